"""Inputs and setup conveniences that Google's SDK does not have, checked on their encoded form."""

from __future__ import annotations

import json
import struct
import zlib

import numpy as np
import pytest

from livemusic.conversation.inputs import audio_blob, encode_png, video_blob
from livemusic.errors import InvalidConfigError, InvalidInputError
from livemusic.live import codec
from livemusic.live.content import LiveClientMessage, LiveServerMessage
from livemusic.live.content_setup import LiveConnectConfig


def test_a_voice_name_string_is_a_prebuilt_voice():
    setup = LiveConnectConfig.parse({"speech_config": "Kore"}).setup("gemini-live-2.5-flash-preview")
    assert setup.to_wire()["generationConfig"] == {"speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {
        "voiceName": "Kore"}}}}


def test_a_bare_model_name_gets_the_models_prefix():
    assert LiveConnectConfig().setup("gemini-live-2.5-flash-preview").model == "models/gemini-live-2.5-flash-preview"


def test_two_response_modalities_are_refused_naming_the_field():
    with pytest.raises(InvalidConfigError, match="responseModalities: .*one response modality"):
        LiveConnectConfig.parse({"response_modalities": ["TEXT", "AUDIO"]}).setup("m")


def test_out_of_range_generation_values_name_the_field():
    with pytest.raises(InvalidConfigError, match=r"topP: must be between 0.0 and 1.0, got 3"):
        LiveConnectConfig.parse({"top_p": 3}).setup("m")


def test_unknown_setup_fields_are_refused_before_reaching_the_wire():
    with pytest.raises(InvalidConfigError, match="realtimeInputConfig.automaticActivityDetection.silence: unknown"):
        LiveConnectConfig.parse({"realtime_input_config": {"automatic_activity_detection": {"silence": 1}}})


def test_png_from_numpy_holds_the_pixels():
    image = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    png = encode_png(image)
    width, height, depth, color = struct.unpack(">IIBB", png[16:26])
    idat_length = struct.unpack(">I", png[33:37])[0]
    rows = zlib.decompress(png[41:41 + idat_length])
    assert (width, height, depth, color) == (3, 2, 8, 2)
    assert rows == b"\x00" + image[0].tobytes() + b"\x00" + image[1].tobytes()


def test_image_bytes_are_typed_by_their_magic_and_unknown_bytes_refused():
    assert video_blob(b"\x89PNG\r\n\x1a\n....").mime_type == "image/png"
    with pytest.raises(InvalidInputError, match="not JPEG, PNG or WebP"):
        video_blob(b"GIF89a")


def test_odd_pcm_byte_counts_are_refused():
    with pytest.raises(InvalidInputError, match="even number of bytes"):
        audio_blob(b"\x00\x01\x02")


def test_stereo_float_audio_is_mixed_to_mono_int16():
    blob = audio_blob(np.array([[1.0, 0.0], [-0.5, -0.5]], dtype=np.float32), rate=24_000)
    assert blob.mime_type == "audio/pcm;rate=24000"
    assert np.frombuffer(blob.data, "<i2").tolist() == [16384, -16384]


def test_audio_payloads_are_spliced_exactly_as_json_would_write_them():
    message = LiveClientMessage.parse({"realtime_input": {"audio": audio_blob(bytes(range(256)) * 4)}})
    assert codec.encode(message) == json.dumps(message.to_wire(), separators=(",", ":"))


def test_server_audio_in_url_safe_base64_is_decoded():
    frame = '{"serverContent": {"modelTurn": {"parts": [{"inlineData": {"data": "__79", "mimeType": "audio/pcm"}}]}}}'
    assert codec.decode(frame, LiveServerMessage).data == b"\xff\xfe\xfd"


def test_go_away_time_left_is_read_in_seconds():
    message = codec.decode('{"goAway": {"timeLeft": "12.5s"}}', LiveServerMessage)
    assert message.go_away.seconds_left == 12.5
