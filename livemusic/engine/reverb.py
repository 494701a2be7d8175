"""Convolution reverb: a synthesized stereo hall, convolved block by block at a reduced rate.

It runs on the generator's fixed internal blocks, so its output never depends on how a
caller splits its render calls. Blocks are float32 ``(channels, frames)``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from livemusic.engine.dsp import F32
from livemusic.engine.filters import filt


@lru_cache(maxsize=8)  # every session uses the same hall: synthesize it once per process
def _room_impulse(sr: float, seconds: float) -> np.ndarray:
    """A synthetic stereo hall: decaying noise whose highs die faster, with a few early echoes."""
    n = int(sr * seconds)
    rng = np.random.default_rng(77)
    t = np.arange(n) / sr
    out = np.zeros((n, 2))
    for ch in range(2):
        x = rng.standard_normal(n).astype(F32)
        low = filt(x, "lp", 900.0, 0.7, sr).astype(np.float64)
        mid = filt(x, "bp", 2500.0, 0.7, sr).astype(np.float64)
        high = x - low - mid
        y = low * np.exp(-t * 6.9 / (seconds * 0.8)) + mid * np.exp(-t * 6.9 / (seconds * 0.5))
        y += 0.3 * high * np.exp(-t * 6.9 / (seconds * 0.25))
        y *= np.minimum(t / 0.02, 1.0)  # gentle onset after the pre-delay
        for delay, gain in ((0.011, 0.5), (0.019, 0.35), (0.027, 0.3), (0.041, 0.22)):
            k = int((delay + 0.003 * ch) * sr)
            y[k] += gain * (1 if (k + ch) % 2 else -1)
        out[:, ch] = y
    pre = int(0.012 * sr)
    out = np.concatenate([np.zeros((pre, 2)), out])[:n]
    out /= np.sqrt((out**2).sum(axis=0).mean())
    out.setflags(write=False)  # shared by every Reverb
    return out


@lru_cache(maxsize=8)  # the same for every session: a new session does not transform the hall again
def _partitions(sr: float, seconds: float, p: int, level: float) -> np.ndarray:
    """The hall's partitions of ``p`` samples, transformed for overlap-save and reversed (so that a
    contiguous slice of the doubled history lines up), times ``level``: read-only ``(part, ch, bin)``."""
    ir = _room_impulse(sr, seconds)
    parts = -(-len(ir) // p)
    ir = np.concatenate([ir, np.zeros((parts * p - len(ir), 2))])
    blocks = ir.reshape(parts, p, 2).transpose(2, 0, 1)  # ch, part, p
    h = level * np.fft.rfft(blocks, n=2 * p, axis=2)[:, ::-1, :].transpose(1, 0, 2)
    h = np.ascontiguousarray(h, np.complex64)
    h.setflags(write=False)
    return h


class Reverb:
    """Stereo convolution reverb on mono sends, at a reduced sample rate.

    Uniformly partitioned overlap-save convolution with a synthesized impulse
    response, one partition per block. Each send keeps its own spectra history, so
    the wet signal of the summed send (the mix) and, when stems are wanted, of each
    stem's send come from the same math. Stem histories are only kept while stems
    are active (they start empty when turned on). ``level`` scales the wet signal.
    """

    def __init__(self, sr: float, block: int, stems: int, level: float = 1.0, seconds: float = 1.5) -> None:
        self.decim = d = next(d for d in (4, 3, 2, 1) if block % d == 0)
        self.p = p = block // d
        self.h = _partitions(sr / d, seconds, p, level)  # (part, ch, bin)
        self.parts = parts = len(self.h)
        self.stems = stems
        rows = stems + 1  # the last row is the mix's send
        self.hist = np.zeros((rows, 2 * parts, p + 1), np.complex64)
        self.head = 0
        # Overlap-save input frames, the previous block then this one. float64, because
        # numpy's FFT of several float32 rows is several times slower.
        self.frame = np.zeros((rows, 2 * p))
        # Work buffers, reused: fresh arrays every block are measurably slower.
        self.spec = np.zeros((rows, p + 1), complex)
        self.prod = np.zeros((rows, parts, 2, p + 1), np.complex64)
        self.circular = np.zeros((rows, 2, 2 * p), F32)  # the convolution; its second half is valid
        self.box = np.full(d, 1.0 / d, F32)  # anti-alias filter of the decimation: mean of d neighbours
        self.pairs = np.zeros((rows, 2, p, 2), F32)  # each low-rate output sample after the one before it
        # Up to the full rate by linear interpolation between neighbouring low-rate samples
        # (delayed by most of a low-rate sample, so that it needs no look-ahead).
        ramp = np.arange(1, d + 1) / d
        self.interp = np.array([1.0 - ramp, ramp], F32)
        self.stems_on = False

    def process(self, sends: np.ndarray) -> np.ndarray:
        """The stereo wet blocks ``(rows, 2, block)`` of one block of mono sends ``(rows, block)``.

        The rows are the mix's send alone, or each stem's send followed by the mix's.
        """
        stems_on = len(sends) > 1
        if stems_on and not self.stems_on:
            self.hist[:-1] = 0
            self.frame[:-1] = 0
            self.pairs[:-1] = 0
        self.stems_on = stems_on
        rows = slice(None) if stems_on else slice(-1, None)
        p, parts = self.p, self.parts
        frame = self.frame[rows]
        frame[:, :p] = frame[:, p:]
        frame[:, p:] = sends.reshape(len(sends), p, self.decim) @ self.box
        spec = np.fft.rfft(frame, axis=1, out=self.spec[rows])
        # The newest spectrum goes to slot i and its copy at i + parts; partitions line up
        # with the contiguous slice that starts after it.
        i = self.head
        self.head = (i + 1) % parts
        self.hist[rows, i] = spec
        self.hist[rows, i + parts] = spec
        src = self.hist[rows, self.head:self.head + parts]               # (rows, parts, bins)
        prod = np.multiply(src[:, :, None], self.h, out=self.prod[rows])  # (rows, parts, 2, bins)
        low = np.fft.irfft(prod.sum(axis=1), n=2 * p, axis=2, out=self.circular[rows])[..., p:]
        pairs = self.pairs[rows]
        pairs[..., 0, 0] = pairs[..., -1, 1]
        pairs[..., 1:, 0] = low[..., :-1]
        pairs[..., 1] = low
        return (pairs.reshape(-1, 2) @ self.interp).reshape(len(sends), 2, -1)

    def snapshot(self) -> tuple[int, bool, np.ndarray, np.ndarray, np.ndarray]:
        """What the next block changes: the history slot it overwrites, its input frame's second half,
        the last output sample it interpolates from (of the mix's send alone while stems are off: a block
        that turns them on clears theirs), the head and whether stems were on."""
        p = self.p
        rows = slice(None) if self.stems_on else slice(-1, None)
        return self.head, self.stems_on, self.hist[rows, self.head].copy(), self.frame[rows, p:].copy(), \
            self.pairs[rows, :, -1, 1].copy()

    def restore(self, state: tuple[int, bool, np.ndarray, np.ndarray, np.ndarray]) -> None:
        """Back to a :meth:`snapshot` (which stays valid). A history slot and its copy hold the same spectra."""
        self.head, self.stems_on, slot, frame, last = state
        rows = slice(None) if self.stems_on else slice(-1, None)
        self.frame[rows, self.p:], self.pairs[rows, :, -1, 1] = frame, last
        self.hist[rows, self.head] = slot
        self.hist[rows, self.head + self.parts] = slot
