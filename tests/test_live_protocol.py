"""The sans-I/O session state machine and codec: no sockets involved."""

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livemusic.errors import (
    AuthenticationError,
    InvalidArgumentError,
    PolicyViolationError,
    ProtocolError,
    ServerError,
    SessionStateError,
)
from livemusic.live import ClientProtocol, State, codec
from livemusic.music.session import MUSIC
from livemusic.types import LiveMusicClientMessage, LiveMusicServerMessage, PlaybackControl

PLAY = LiveMusicClientMessage(playback_control=PlaybackControl.PLAY)


def opened() -> ClientProtocol:
    protocol = ClientProtocol(MUSIC)
    protocol.setup({"model": "models/lyria-realtime-exp"})
    protocol.receive('{"setupComplete": {}}')
    return protocol


def test_setup_frame_is_the_sdk_frame():
    protocol = ClientProtocol(MUSIC)
    assert json.loads(protocol.setup({"model": "models/lyria-realtime-exp"})) == \
        {"setup": {"model": "models/lyria-realtime-exp"}}
    assert protocol.state is State.SETUP


def test_sending_before_setup_complete_is_refused():
    protocol = ClientProtocol(MUSIC)
    protocol.setup({"model": "m"})
    with pytest.raises(SessionStateError, match="setupComplete"):
        protocol.send(PLAY)


def test_setup_complete_opens_the_session():
    assert opened().state is State.OPEN
    assert json.loads(opened().send(PLAY)) == {"playbackControl": "PLAY"}


def test_setup_twice_is_refused():
    with pytest.raises(SessionStateError):
        opened().setup({"model": "m"})


def test_normal_close_is_not_an_error():
    protocol = opened()
    assert protocol.connection_closed(1000, "") is None
    assert protocol.state is State.CLOSED


def test_sending_after_close_is_refused():
    protocol = opened()
    protocol.connection_closed(1000, "")
    with pytest.raises(SessionStateError, match="closed"):
        protocol.send(PLAY)


def test_close_initiated_by_the_client_is_not_an_error():
    protocol = opened()
    protocol.start_closing()
    assert protocol.state is State.CLOSING
    assert protocol.connection_closed(1005, "") is None


@pytest.mark.parametrize(("code", "reason", "kind"), [
    (1007, "Request contains an invalid argument.", InvalidArgumentError),
    (1008, "models/bogus is not found for API version v1alpha", PolicyViolationError),
    (1008, "Your API key was reported as leaked", AuthenticationError),
    (1011, "Internal error encountered", ServerError),
    (1013, "try again later", ServerError),
])
def test_close_codes_map_to_typed_errors_with_code_and_reason(code, reason, kind):
    error = opened().connection_closed(code, reason)
    assert isinstance(error, kind)
    assert (error.code, error.reason) == (code, reason)


def test_lost_connection_without_close_frame_is_a_retryable_1006():
    error = opened().connection_closed(None)
    assert isinstance(error, ServerError) and error.code == 1006 and error.retryable


def test_codec_rejects_non_json_with_1007():
    with pytest.raises(ProtocolError) as info:
        codec.decode("{nope", LiveMusicClientMessage)
    assert info.value.code == 1007 and "invalid JSON" in info.value.reason


def test_codec_names_the_field_of_an_invalid_message():
    with pytest.raises(ProtocolError, match=r"musicGenerationConfig\.bpm: must be between 60 and 200"):
        codec.decode('{"musicGenerationConfig": {"bpm": 500}}', LiveMusicClientMessage)


def test_codec_accepts_snake_case_keys():
    message = codec.decode('{"music_generation_config": {"top_k": 5}}', LiveMusicClientMessage)
    assert message.music_generation_config.top_k == 5


def test_codec_ignores_unknown_server_keys():
    message = codec.decode('{"setupComplete": {}, "somethingNew": {"a": 1}}', LiveMusicServerMessage)
    assert message.setup_complete is not None


def _audio_message(prompt: str, data: bytes = bytes(range(256)) * 40, position: int | None = None,
                   stems: dict[str, bytes] | None = None) -> LiveMusicServerMessage:
    stems = {"drums": b"\x01\x02" * 999} if stems is None else stems
    return LiveMusicServerMessage.model_validate({"serverContent": {"audioChunks": [{
        "data": base64.b64encode(data).decode(),
        "mimeType": "audio/l16;rate=48000;channels=2",
        "sourceMetadata": {"clientContent": {"weightedPrompts": [{"text": prompt, "weight": 1.0}]}},
        "livemusicPosition": position,
        "livemusicStems": {name: base64.b64encode(pcm).decode() for name, pcm in stems.items()} or None,
    }]}})


def test_codec_audio_frame_is_the_plain_json_encoding():
    message = _audio_message("minimal techno")
    assert codec.encode(message) == json.dumps(message.to_wire(), separators=(",", ":"))


def test_codec_audio_frame_is_exact_when_a_prompt_holds_the_splice_tokens():
    message = _audio_message("a\x00livemusic-0-0\x00b\x00livemusic-0-1\x00\"\x00livemusic-1-0\x00\"")
    assert codec.encode(message) == json.dumps(message.to_wire(), separators=(",", ":"))


PCM = st.binary(max_size=64)


@given(prompt=st.text(), data=PCM, position=st.none() | st.integers(0, 2**40),
       stems=st.dictionaries(st.sampled_from(["drums", "bass", "harmony", "lead"]), PCM))
def test_audio_frame_template_encodes_chunks_as_the_codec_does(prompt, data, position, stems):
    template = codec.AudioFrame(_audio_message(prompt, b"\x07" * 6, 0 if position is not None else None,
                                               {name: b"\x07" * 6 for name in stems}))
    expected = codec.encode(_audio_message(prompt, data, position, stems))
    assert template.encode(data, position, stems) == expected


def test_audio_frame_template_is_exact_when_a_prompt_holds_the_position_token():
    prompt = "\x00livemusic-0-0\x00 \"\x00livemusic-0-1\x00"  # JSON: ...\"\u0000livemusic-0-1\u0000"
    template = codec.AudioFrame(_audio_message(prompt, position=0))
    assert template.encode(b"pcm", 96_000, {"drums": b"\x01"}) == \
        codec.encode(_audio_message(prompt, b"pcm", 96_000, {"drums": b"\x01"}))


def test_close_reason_is_truncated_to_fit_a_close_frame():
    assert len(codec.truncate_reason("é" * 200).encode()) <= 123
