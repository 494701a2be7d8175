"""A virtual player for measuring a stream: what a real one with a given buffer would have missed.

Tests and benchmarks that open many sessions cannot give each one a sound
card; they feed the arrival time of every chunk to a :class:`Playout`, which,
like :class:`~livemusic.audio.player.Player`, starts once ``buffer_s`` of audio
has arrived, plays (in arithmetic) at real time, and counts every chunk that
arrived after it was due as an underrun.
"""

from __future__ import annotations

from livemusic.playback import SAMPLE_RATE


class Playout:
    """Counts the underruns a player that prerolls ``buffer_s`` of audio would have had."""

    def __init__(self, buffer_s: float, sample_rate: int = SAMPLE_RATE) -> None:
        self.buffer_s = buffer_s
        self.sample_rate = sample_rate
        self.frames = 0
        #: Times audio was missing when due, and how long (seconds of silence played) in all.
        self.underruns = 0
        self.underrun_s = 0.0
        self._start: float | None = None  # clock time at which stream frame 0 plays

    def arrive(self, now: float, frames: int) -> None:
        """``frames`` more frames of the stream arrived at clock time ``now``."""
        if self._start is not None:
            late = now - (self._start + self.frames / self.sample_rate)
            if late > 0:  # a real player plays silence meanwhile, then carries on from here
                self.underruns += 1
                self.underrun_s += late
                self._start += late
        self.frames += frames
        if self._start is None and self.frames >= self.buffer_s * self.sample_rate:
            self._start = now  # the preroll is in: frame 0 plays from now

    def lead_s(self, now: float) -> float:
        """Seconds of audio buffered ahead of the play position at ``now``."""
        if self._start is None:
            return 0.0
        return self._start + self.frames / self.sample_rate - max(now, self._start)
