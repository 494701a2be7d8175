"""Block effects and the master bus: convolution reverb, tempo-synced delay, loudness and limiter.

They run on the generator's fixed internal blocks, so their output never depends on
how a caller splits its render calls. Blocks are float32 ``(channels, frames)``.
"""

from __future__ import annotations

import math

import numpy as np

from livemusic.engine.synth import F32, filt, response

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
    return out / np.sqrt((out**2).sum(axis=0).mean())


class Reverb:
    """Stereo convolution reverb on mono sends, at a reduced sample rate.

    Uniformly partitioned overlap-save convolution with a synthesized impulse
    response, one partition per block. Each send keeps its own spectra history, so
    the wet signal of the summed send (the mix) and, when stems are wanted, of each
    stem's send come from the same math. Stem histories are only kept while stems
    are active (they start empty when turned on).
    """

    def __init__(self, sr: float, block: int, stems: int, seconds: float = 1.5) -> None:
        self.decim = next(d for d in (4, 3, 2, 1) if block % d == 0)
        self.p = block // self.decim
        rate = sr / self.decim
        ir = _room_impulse(rate, seconds)
        parts = -(-len(ir) // self.p)
        ir = np.concatenate([ir, np.zeros((parts * self.p - len(ir), 2))])
        blocks = ir.reshape(parts, self.p, 2).transpose(2, 0, 1)  # ch, part, p
        # Reversed partitions, so that a contiguous slice of the doubled history lines up.
        self.h = np.fft.rfft(blocks, n=2 * self.p, axis=2)[:, ::-1, :].astype(np.complex64)
        self.parts = parts
        self.stems = stems
        bins = self.p + 1
        self.hist = np.zeros((stems + 1, 2 * parts, bins), np.complex64)  # last row: the mix send
        self.head = 0
        self.prev = np.zeros((stems + 1, self.p), F32)
        self.last = np.zeros((stems + 1, 2), F32)  # upsampling memory per output path (row, channel)
        self.stems_on = False

    def _down(self, x: np.ndarray) -> np.ndarray:
        """Decimate by summing ``decim`` neighbours (a boxcar anti-alias filter)."""
        d = self.decim
        if d == 1:
            return x.astype(F32, copy=False)
        out = x[..., 0::d].copy()
        for k in range(1, d):
            out += x[..., k::d]
        return out * F32(1.0 / d)

    def push(self, mix_send: np.ndarray, stem_sends: np.ndarray | None = None) -> None:
        """Feed one block: the mix's mono send and, if stems are wanted, each stem's."""
        self.head = (self.head + 1) % self.parts
        i = (self.head + self.parts - 1) % self.parts  # newest slot (and its copy at i + parts)
        rows = [self.stems]
        sends = self._down(mix_send)[None]
        if stem_sends is not None:
            if not self.stems_on:
                self.hist[: self.stems] = 0
                self.prev[: self.stems] = 0
                self.stems_on = True
            rows = list(range(self.stems)) + rows
            sends = np.concatenate([self._down(stem_sends), sends])
        frame = np.concatenate([self.prev[rows], sends], axis=1)
        self.prev[rows] = sends
        spec = np.fft.rfft(frame, axis=1).astype(np.complex64, copy=False)
        self.hist[rows, i] = spec
        self.hist[rows, i + self.parts] = spec

    def wet(self, which: int | None) -> np.ndarray:
        """The stereo wet block ``(2, block)`` of one stem's send, or of the mix's (``None``)."""
        row = self.stems if which is None else which
        return self._wet([row])[0]

    def wet_stems(self) -> np.ndarray:
        """The wet blocks of every stem's send at once, shaped ``(stems, 2, block)``."""
        return self._wet(list(range(self.stems)))

    def _wet(self, rows: list[int]) -> np.ndarray:
        src = self.hist[rows, self.head:self.head + self.parts]          # (rows, parts, bins)
        spec = (src[:, None] * self.h[None]).sum(axis=2)                  # (rows, 2, bins)
        low = np.fft.irfft(spec, n=2 * self.p, axis=2)[:, :, self.p:].astype(F32)  # (rows, 2, p)
        d = self.decim
        if d == 1:
            return low
        # Up to the full rate: hold each sample d times, then average d neighbours
        # (together a linear interpolation, delayed by a fraction of a low-rate sample).
        held = np.repeat(low, d, axis=2)
        ext = np.concatenate([np.repeat(self.last[rows][:, :, None], d - 1, axis=2), held], axis=2)
        self.last[rows] = low[:, :, -1]
        n = held.shape[2]
        out = ext[:, :, d - 1:d - 1 + n].copy()
        for k in range(1, d):
            out += ext[:, :, d - 1 - k:d - 1 - k + n]
        return out * F32(1.0 / d)


class Delay:
    """A tempo-synced feedback echo on a mono send; left and right taps differ for width."""

    def __init__(self, sr: float, seconds: float = 4.0) -> None:
        self.buf = np.zeros(int(sr * seconds), F32)
        self.pos = 0

    def _read(self, start: int, n: int) -> np.ndarray:
        size = len(self.buf)
        start %= size
        if start + n <= size:
            return self.buf[start:start + n]
        return np.concatenate([self.buf[start:], self.buf[: start + n - size]])

    def _write(self, y: np.ndarray) -> None:
        size = len(self.buf)
        n = len(y)
        first = min(n, size - self.pos)
        self.buf[self.pos:self.pos + first] = y[:first]
        if first < n:
            self.buf[: n - first] = y[first:]

    def process(self, x: np.ndarray, delay: int, feedback: float) -> np.ndarray:
        """Echoes of ``x`` as ``(2, n)``; ``delay`` (samples) must be at least ``len(x)``."""
        n = len(x)
        delay = max(delay, n)
        echo = self._read(self.pos - delay, n).copy()
        echo_r = self._read(self.pos - delay - delay // 2, n).copy()
        self._write(x + F32(feedback) * echo)
        self.pos = (self.pos + n) % len(self.buf)
        return np.stack([echo, echo_r])


def k_weighting(sr: float) -> np.ndarray:
    """The ITU-R BS.1770 K-weighting pre-filter (shelf + high-pass) as SOS for any rate."""
    # Stage 1: high shelf (+4 dB above ~1.7 kHz).
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sr)
    vh = 10 ** (gain_db / 20)
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    b1 = [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]
    a1 = [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    # Stage 2: high-pass at ~38 Hz.
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sr)
    a0 = 1 + k / q + k * k
    b2 = [1.0, -2.0, 1.0]
    a2 = [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([b1 + a1, b2 + a2])


#: The running estimate averages all blocks; BS.1770's gates drop the quiet ones, which
#: reads about this much louder on typical music.
_GATING_OFFSET_DB = 0.8


class Master:
    """Loudness normalization toward a target (slow, BS.1770-weighted) and a peak limiter.

    Blocks are ``(2, n)`` float32. The gain applied to each block is a ramp, so the
    stems can be given exactly the same gain curve as the mix. The limiter looks
    ahead one sub-block, so its output is delayed by ``sub`` samples.
    """

    def __init__(self, sr: float, block: int, target_lufs: float = -14.0, ceiling_db: float = -1.3) -> None:
        self.sr = sr
        self.block = block
        self.target = target_lufs
        self.ceiling = 10 ** (ceiling_db / 20)
        self.decim = next(d for d in (4, 2, 1) if block % d == 0)
        m = block // self.decim
        sos = k_weighting(sr / self.decim)
        h2 = np.ones(m // 2 + 1)
        for section in sos:
            h2 *= np.abs(response(section[:3], section[3:], m)) ** 2
        bins = np.full(m // 2 + 1, 2.0)  # Parseval weights of a real transform
        bins[0] = 1.0
        if m % 2 == 0:
            bins[-1] = 1.0
        self.k_weights = (h2 * bins / (m * m)).astype(F32)
        self.power: float | None = None
        self.gain = 1.0
        self.frac = np.arange(1, block + 1, dtype=F32) / F32(block)
        self.sub = next(s for s in (240, 200, 160, 120, 100, 80, 60, 50, 40, 30, 20, 10, 1) if block % s == 0)
        self.sub_frac = np.arange(1, self.sub + 1, dtype=F32) / F32(self.sub)
        self.pending = np.zeros((2, self.sub), F32)  # one sub-block of look-ahead
        self.pending_peak = 0.0
        self.lim = 1.0  # limiter gain at the last control point

    def gain_curve(self, mix: np.ndarray) -> np.ndarray:
        """The loudness gain ramp (per sample) for this block of the raw mix."""
        low = mix[:, :: self.decim]  # subsampled: the power of a broadband signal is kept
        spec = np.fft.rfft(low, axis=1)
        # K-weighted mean square, summed over channels (BS.1770), by Parseval from the spectrum
        power = float(((spec.real**2 + spec.imag**2) * self.k_weights).sum())
        loud = -0.691 + 10 * math.log10(power + 1e-12)
        first = self.power is None
        # Gated like BS.1770: silence and blocks 10 dB below the running estimate do not count.
        if loud > -55.0 and (first or power > self.power * 0.1):
            if first:
                self.power = power
            else:
                tau = 0.6 if power > self.power else 3.0  # rise quickly, fall slowly
                self.power += (1.0 - math.exp(-(self.block / self.sr) / tau)) * (power - self.power)
        gain = self.gain
        if self.power is not None:
            est = -0.691 + 10 * math.log10(self.power + 1e-12)
            gain = min(max(10 ** ((self.target + _GATING_OFFSET_DB - est) / 20), 0.05), 40.0)
            if first:
                self.gain = gain
        ramp = F32(self.gain) + F32(gain - self.gain) * self.frac
        self.gain = gain
        return ramp

    def limit(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Limit a gained block; returns ``(output, limiter gain per sample)``, delayed by ``sub``.

        The gain is piecewise linear between sub-block boundaries; each boundary value is
        at most what both neighbouring sub-blocks need, so no sample exceeds the ceiling.
        """
        sub = self.sub
        m = x.shape[1] // sub
        peaks = np.abs(x).reshape(2, m, sub).max(axis=(0, 2))
        need = np.minimum(1.0, self.ceiling / np.maximum(np.concatenate([[self.pending_peak], peaks]), 1e-9))
        if need.min() >= 1.0 and self.lim >= 1.0:
            points = None
            g = None
        else:
            # c[j+1] = min(need[j], need[j+1], 1 - (1 - c[j]) * r): with d = 1 - c this is a
            # running maximum of exponentially decaying values, computed without a loop.
            r = math.exp(-(sub / self.sr) / 0.08)
            floor = 1.0 - np.minimum(need[:-1], need[1:])  # how much each boundary must cut
            j = np.arange(1, m + 1)
            scaled = np.maximum.accumulate(np.concatenate([[1.0 - self.lim], floor * r ** (-j)]))
            c = (1.0 - scaled * r ** np.arange(m + 1)).astype(F32)
            g = (c[:-1, None] + (c[1:, None] - c[:-1, None]) * self.sub_frac[None, :]).reshape(-1)
            points = c
        delayed = np.concatenate([self.pending, x[:, :-sub]], axis=1)
        self.pending = x[:, -sub:].copy()
        self.pending_peak = float(peaks[-1])
        if g is None:
            return delayed, np.ones(x.shape[1], F32)
        self.lim = float(points[-1])
        return delayed * g[None, :], g
