"""Tempo over time: seconds <-> beats and bars for a tempo that changes (4/4; bars and beats count from 1)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable

from livemusic.timeparse import BEATS_PER_BAR, DEFAULT_BPM

__all__ = ["TIME_EPSILON", "TempoMap"]

#: Seconds within which two times count as the same (float sums of fades and quantized cues).
TIME_EPSILON = 1e-9


class TempoMap:
    """Seconds <-> beats for a tempo that changes at given times (4/4).

    ``bpm`` is the tempo from 0 s; :meth:`set_bpm` adds a change, at or after
    the last one. Beat positions are continuous across changes.
    """

    def __init__(self, bpm: float = DEFAULT_BPM, changes: Iterable[tuple[float, float]] = ()) -> None:
        self._starts = [0.0]
        self._beats = [0.0]
        self._bpms = [float(bpm)]
        for at, new_bpm in changes:
            self.set_bpm(at, new_bpm)

    def set_bpm(self, at: float, bpm: float) -> None:
        """Change the tempo to ``bpm`` from ``at`` seconds (not before the last change)."""
        if at < self._starts[-1] - TIME_EPSILON:
            raise ValueError(f"tempo changes must be in order: {at} s is before {self._starts[-1]} s")
        if bpm == self._bpms[-1]:
            return
        if at <= self._starts[-1] + TIME_EPSILON:
            self._bpms[-1] = float(bpm)
            return
        self._beats.append(self.beats_at(at))
        self._starts.append(float(at))
        self._bpms.append(float(bpm))

    @property
    def changes(self) -> list[tuple[float, float]]:
        """``(seconds, bpm)`` for each segment, the first at 0 s."""
        return list(zip(self._starts, self._bpms))

    def bpm_at(self, seconds: float) -> float:
        return self._bpms[self._segment(seconds)]

    def beats_at(self, seconds: float) -> float:
        """Beats elapsed from 0 s to ``seconds``."""
        i = self._segment(seconds)
        return self._beats[i] + (seconds - self._starts[i]) * self._bpms[i] / 60.0

    def seconds_at(self, beats: float) -> float:
        """The time in seconds at which ``beats`` beats have elapsed."""
        i = max(0, bisect.bisect_right(self._beats, beats) - 1)
        return self._starts[i] + (beats - self._beats[i]) * 60.0 / self._bpms[i]

    def bar_at(self, seconds: float) -> tuple[int, int]:
        """``(bar, beat)`` at ``seconds``, both counted from 1."""
        beats = math.floor(self.beats_at(max(0.0, seconds)) + 1e-6)
        bar, beat = divmod(beats, BEATS_PER_BAR)
        return bar + 1, beat + 1

    def next_boundary(self, seconds: float, beats: float) -> float:
        """The first multiple of ``beats`` beats at or after ``seconds`` (a bar: ``beats=4``)."""
        position = self.beats_at(seconds) / beats
        snapped = math.ceil(position - 1e-6) * beats
        return max(seconds, self.seconds_at(snapped))

    def _segment(self, seconds: float) -> int:
        return max(0, bisect.bisect_right(self._starts, seconds) - 1)
