"""Block effects of the mix bus: tempo-synced delay, stereo width, the lead's level rider.

They run on the generator's fixed internal blocks, so their output never depends on
how a caller splits its render calls. Blocks are float32 ``(channels, frames)``. The
reverb is in :mod:`livemusic.engine.reverb`, loudness and limiter in
:mod:`livemusic.engine.master`.
"""

from __future__ import annotations

import math

import numpy as np

from livemusic.engine.dsp import F32


class Delay:
    """Tempo-synced feedback echoes of mono sends, one line each; left and right taps differ for width."""

    def __init__(self, sr: float, block: int, lines: int, seconds: float = 4.0) -> None:
        self.block = block
        self.size = -(-int(sr * seconds) // block) * block  # whole blocks: writing one never wraps
        # One more block mirrors the first, so that reading a block never wraps either.
        self.buf = np.zeros((lines, self.size + block), F32)
        self.pos = 0

    def process(self, x: np.ndarray, delay: int, feedback: float, out: np.ndarray) -> None:
        """Add the echoes of sends ``x`` ``(lines, block)`` to ``out`` ``(lines, 2, block)``.

        ``delay`` (samples) is at least a block; the right tap, half as late again, must
        fit in the line.
        """
        n, size = x.shape[1], self.size
        delay = max(delay, n)
        left = self.buf[:, (self.pos - delay) % size:][:, :n]
        out[:, 0] += left
        out[:, 1] += self.buf[:, (self.pos - delay - delay // 2) % size:][:, :n]
        new = self.buf[:, self.pos:self.pos + n]
        np.multiply(left, F32(feedback), out=new)
        new += x
        if self.pos == 0:
            self.buf[:, size:] = new
        self.pos = (self.pos + n) % size

    def snapshot(self) -> tuple[int, np.ndarray]:
        """What the next block changes: the write position and the block of the line it overwrites."""
        return self.pos, self.buf[:, self.pos:self.pos + self.block].copy()

    def restore(self, state: tuple[int, np.ndarray]) -> None:
        """Back to a :meth:`snapshot` (which stays valid)."""
        self.pos, overwritten = state
        self.buf[:, self.pos:self.pos + self.block] = overwritten
        if self.pos == 0:
            self.buf[:, self.size:] = overwritten  # the mirror of the first block


class Widener:
    """Stereo width: each stem's mid, delayed a little, added as its side (a mono sum cancels it).

    Each stem has its own delay, so parts do not share one comb pattern. Where
    ``highpass`` is set (drums), the side loses what a 1.5 ms moving average keeps
    (below some 300 Hz): kick and bass stay in the centre, hats and snares spread.
    """

    def __init__(self, sr: float, delays: tuple[float, ...], highpass: tuple[bool, ...]) -> None:
        self.delays = [int(d * sr) for d in delays]
        self.highpass = highpass
        self.average = max(int(0.0015 * sr), 1)
        # Each stem's mid: its last samples (the delay, and the moving average's window before
        # it), then the block's. Kept from block to block, like the side's scratch.
        self.lines = [np.zeros(d + self.average, F32) for d in self.delays]
        self.side = np.zeros(0, F32)

    def process(self, stems: list[np.ndarray], gains: tuple[float, ...], sum_sides: bool = False) -> np.ndarray | None:
        """Widen each stem ``(2, n)`` in place: side = ``gains[k]`` times the delayed mid.

        With ``sum_sides`` the stems are left as they are and the sum of their sides is
        returned (None if none): a mix of the stems, widened, is their sum with it added to
        the left and taken from the right (one side to add, not one a stem). Either way each
        stem's mid is kept for the next block.
        """
        m = self.average
        total = None
        for k, (stem, gain, delay) in enumerate(zip(stems, gains, self.delays)):
            n, keep = stem.shape[1], delay + m
            line = self.lines[k]  # sample j is at time j - keep
            if len(line) == keep + n:
                line[:keep] = line[n:]
            else:  # the first block (or a new block size)
                line = self.lines[k] = np.concatenate([line[-keep:], np.zeros(n, F32)])
            mid = np.add(stem[0], stem[1], out=line[keep:])
            mid *= F32(0.5)
            if gain < 0.01:
                continue
            if len(self.side) != n:
                self.side = np.zeros(n, F32)
            delayed = line[m:m + n]  # the mid ``delay`` samples ago
            side = self.side if total is None else None
            if self.highpass[k]:  # less the mean of the ``m`` samples up to it
                side = np.multiply(_window_sums(line[1:m + n], m, n), F32(-1.0 / m), out=side)
                side += delayed
                side *= F32(gain)
            else:
                side = np.multiply(delayed, F32(gain), out=side)
            if not sum_sides:
                stem[0] += side
                stem[1] -= side
            elif total is None:
                total = side
            else:
                total += side
        return total

    def snapshot(self) -> list[np.ndarray]:
        """What the next block reads of each line: its last ``delay`` + moving average samples."""
        return [line[len(line) - d - self.average:].copy() for line, d in zip(self.lines, self.delays)]

    def restore(self, state: list[np.ndarray]) -> None:
        """Back to a :meth:`snapshot` (which stays valid)."""
        for line, kept in zip(self.lines, state):
            line[len(line) - len(kept):] = kept


def _window_sums(x: np.ndarray, m: int, n: int) -> np.ndarray:
    """The sums of ``x[j:j + m]`` for ``j`` in ``0..n-1`` (``x`` holds at least ``n + m - 1`` samples), a new array.

    Built from sums of 1, 2, 4... neighbours (each the sum of two of the last), those that
    make up ``m`` added end to end: a few passes in single precision, where a running sum's
    difference needs double precision and a sequential scan, several times slower.
    """
    total, offset, width, sums = None, 0, 1, x
    while True:
        if m & width:
            part = sums[offset:offset + n]
            total = part.copy() if total is None else np.add(total, part, out=total)
            offset += width
        if 2 * width > m:
            return total
        sums = sums[:-width] + sums[width:]
        width *= 2


class LeadRider:
    """A mixing engineer's hand on the lead fader: in lead-driven styles, the lead sits level with the harmony.

    It listens to the dry lead and harmony stems block by block (mean power over a few
    seconds) and moves :attr:`gain` toward the gain that puts the lead
    :data:`LEAD_OVER_HARMONY_DB` from the harmony (in raw power; about level in LU, as
    leads play with rests), as far as the style is lead-driven (0: gain 1); :meth:`ride`
    applies it to the lead stem, ramped across the block. It only listens while both
    play, and moves within 1x..6x. The first time it hears a lead it sets the fader at
    once: a lead's first notes (often long ones) are not played at the old gain.
    """

    def __init__(self, sr: float, block: int, seconds: float = 3.0) -> None:
        self.rate = 1.0 - math.exp(-(block / sr) / seconds)
        self.lead = self.harm = 0.0
        self.gain = 1.0     # the fader at the end of this block
        self.applied = 1.0  # the fader at the end of the last block
        self.held = False   # a constant gain, nothing learned (see hold)
        self.ramp = np.arange(1, block + 1, dtype=F32) / F32(block)

    def hold(self) -> None:
        """Keep the gain as it is from now on (a loop: a fader that moved would step at the seam)."""
        self.held = True

    def listen(self, lead: np.ndarray, harm: np.ndarray, driven: float) -> None:
        pl, ph = float(np.vdot(lead, lead)), float(np.vdot(harm, harm))
        if self.held or pl < 1e-6 or ph < 1e-6:
            return
        first = self.lead == 0.0
        rate = 1.0 if first else self.rate
        if first:  # the lead's power while it sounds, not averaged with the silence before its first note
            sounding = np.flatnonzero(np.abs(lead[0]) > 1e-4)
            pl *= lead.shape[-1] / max(lead.shape[-1] - (sounding[0] if len(sounding) else 0), 1)
        self.lead += rate * (pl - self.lead)
        self.harm += rate * (ph - self.harm)
        want = math.sqrt(self.harm * 10 ** (LEAD_OVER_HARMONY_DB / 10) / self.lead)
        want = 1.0 + min(max(driven, 0.0), 1.0) * (want - 1.0)
        self.gain = min(max(self.gain + (1.0 if first else min(4.0 * rate, 1.0)) * (want - self.gain), 1.0), 6.0)
        if first:
            self.applied = self.gain

    def ride(self, lead: np.ndarray) -> None:
        """The lead stem ``(channels, frames)`` through the fader, in place: from the last block's gain to this one's."""
        if self.gain != self.applied:
            lead *= F32(self.applied) + F32(self.gain - self.applied) * self.ramp
        elif self.gain != 1.0:
            lead *= F32(self.gain)
        self.applied = self.gain

    def snapshot(self) -> tuple[float, float, float, float, bool]:
        """Its state before a block: what it has heard, its fader and whether it holds (the bus's snapshot,
        so that a block rendered again moves the fader as the first rendering did)."""
        return self.lead, self.harm, self.gain, self.applied, self.held

    def restore(self, state: tuple[float, float, float, float, bool]) -> None:
        """Back to a :meth:`snapshot` (which stays valid)."""
        self.lead, self.harm, self.gain, self.applied, self.held = state


#: Where a lead-driven style's rider holds the lead: raw power over the harmony's (dB).
LEAD_OVER_HARMONY_DB = 1.5
