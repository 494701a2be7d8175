"""How far a paced session may run ahead of real time, without a clock of its own (sans-I/O)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from livemusic.types import SAMPLE_RATE


@dataclass(frozen=True)
class Pacing:
    """How far generation may run ahead of real time.

    A chunk is rendered once the stream is at most ``lead_s`` ahead of the
    wall clock (so 0.2-0.4 s ahead in steady state). After an untimed
    message the next chunk is rendered as soon as that keeps the stream
    within ``max_ahead_s``, so a change leaves the server as soon as it is
    rendered. A smaller lead saves latency but starves the client's buffer
    after a pause (measured: underruns at 0.1 s on a PulseAudio sink).
    Wake-ups fall on a grid of ``tick_s`` that every session shares, a chunk
    up to one tick before it is due, so that sessions due within one tick
    share one wake-up of the server.
    """

    chunk_ms: int = 200
    lead_s: float = 0.2
    max_ahead_s: float = 0.6
    realtime: bool = True
    tick_s: float = 0.01

    @property
    def chunk_frames(self) -> int:
        return SAMPLE_RATE * self.chunk_ms // 1000


class Pacer:
    """Says when to render the next chunk; the caller supplies the clock.

    The stream is anchored to the clock when playback starts (or resumes):
    from there, the stream may lead the clock by ``lead_s``, or by up to
    ``max_ahead_s`` for the chunk after an untimed message (``urgent``).
    A start sends the lead and a chunk at once; a stream that continues a
    resumed session sends at least ``burst_s`` at once (the buffer its
    client's player lacks after the outage), and keeps the larger lead that
    takes until playback stops or pauses.
    """

    def __init__(self, pacing: Pacing, burst_s: float = 0.0) -> None:
        self.pacing = pacing
        self._anchor: tuple[float, int] | None = None  # (clock, stream frames) at the start of playing
        #: How far the first anchor is set back: the burst beyond a start's own.
        self._ahead = max(0.0, burst_s - pacing.lead_s - pacing.chunk_ms / 1000)

    def halt(self) -> None:
        """Playback stopped or paused: the next :meth:`delay` starts a new burst."""
        self._anchor = None

    def wake_at(self, now: float, position: int, *, urgent: bool = False) -> float | None:
        """The clock time at which to render the chunk at stream ``position``: the last tick of the
        grid by which it is due (``None``: render it now)."""
        pacing = self.pacing
        if self._anchor is None:
            self._anchor, self._ahead = (now - self._ahead, position), 0.0
        if not pacing.realtime:
            return None
        start_time, start_position = self._anchor
        lead = max(pacing.lead_s, pacing.max_ahead_s - pacing.chunk_ms / 1000) if urgent else pacing.lead_s
        due = start_time + (position - start_position) / SAMPLE_RATE - lead
        at = math.floor(due / pacing.tick_s) * pacing.tick_s
        return at if at > now else None
