"""Pacing a realtime stream (sans-I/O, the clock given): how much a start sends at once, and a resumption."""

from livemusic.server.pacing import Pacer, Pacing
from livemusic.types import SAMPLE_RATE

PACING = Pacing(chunk_ms=200, lead_s=0.2)


def sent_at_once(pacer: Pacer) -> float:
    """Seconds of stream rendered at the start before the pacer asks to wait (the clock standing still)."""
    position = 0
    while pacer.wake_at(0.0, position) is None:
        position += PACING.chunk_frames
    return position / SAMPLE_RATE


def test_a_start_sends_the_lead_and_a_chunk_at_once():
    assert sent_at_once(Pacer(PACING)) == 0.4


def test_a_resumed_stream_sends_the_buffer_its_player_lacks_at_once():
    assert sent_at_once(Pacer(PACING, burst_s=1.0)) == 1.0
