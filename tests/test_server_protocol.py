"""The sans-I/O server protocol: order of messages, models, extensions and close codes, without sockets."""

import json

import pytest

from livemusic.errors import ProtocolError, SessionStateError
from livemusic.live import State
from livemusic.live.music import MODELS, MUSIC
from livemusic.live.server_protocol import CloseCode, ServerProtocol
from livemusic.types import LiveMusicServerMessage

SETUP = '{"setup": {"model": "models/lyria-realtime-exp"}}'
EXTENDED_SETUP = '{"setup": {"model": "models/lyria-realtime-exp", "livemusicPacing": "asap"}}'
TIMED_PLAY = '{"playbackControl": "PLAY", "livemusicAt": 4800}'


def opened(setup: str = SETUP) -> ServerProtocol:
    protocol = ServerProtocol(MUSIC, MODELS)
    protocol.receive(setup)
    protocol.setup_complete()
    return protocol


def refusal(protocol: ServerProtocol, frame: str) -> tuple[int, str]:
    with pytest.raises(ProtocolError) as info:
        protocol.receive(frame)
    return info.value.code, info.value.reason


def test_a_message_before_setup_is_refused_with_1008():
    assert refusal(ServerProtocol(MUSIC, MODELS), '{"playbackControl": "PLAY"}') == (
        1008, "the first message must be setup")


def test_an_unknown_model_is_refused_with_1008_naming_it():
    code, reason = refusal(ServerProtocol(MUSIC, MODELS), '{"setup": {"model": "models/bogus"}}')
    assert code == 1008 and reason.startswith("models/bogus is not found")


def test_a_model_without_the_models_prefix_is_served():
    protocol = ServerProtocol(MUSIC, MODELS)
    protocol.receive('{"setup": {"model": "lyria-realtime-exp"}}')
    assert protocol.setup.model == "lyria-realtime-exp"


def test_setup_complete_opens_the_session_with_the_sdk_frame():
    protocol = ServerProtocol(MUSIC, MODELS)
    protocol.receive(SETUP)
    assert json.loads(protocol.setup_complete()) == {"setupComplete": {}}
    assert protocol.state is State.OPEN


def test_setup_twice_is_refused_with_1008():
    assert refusal(opened(), SETUP)[0] == 1008


def test_an_extension_field_is_refused_unless_setup_asked_for_an_extension():
    assert refusal(opened(), TIMED_PLAY) == (1007, "livemusicAt: extension not negotiated in setup")
    assert opened(EXTENDED_SETUP).receive(TIMED_PLAY).livemusic_at == 4800


def test_an_invalid_setup_extension_is_refused_with_1007_naming_the_field():
    code, reason = refusal(ServerProtocol(MUSIC, MODELS),
                           '{"setup": {"model": "models/lyria-realtime-exp", "livemusicPacing": "fast"}}')
    assert code == 1007 and "livemusicPacing" in reason


def test_sending_before_setup_complete_is_refused():
    protocol = ServerProtocol(MUSIC, MODELS)
    protocol.receive(SETUP)
    with pytest.raises(SessionStateError):
        protocol.send(LiveMusicServerMessage(warning="early"))


def test_close_reason_fits_a_close_frame_and_closes_the_session():
    protocol = opened()
    code, reason = protocol.close(CloseCode.POLICY_VIOLATION, "x" * 500)
    assert code == 1008 and len(reason.encode()) <= 123
    assert protocol.state is State.CLOSED
    with pytest.raises(SessionStateError):
        protocol.receive('{"playbackControl": "PLAY"}')
