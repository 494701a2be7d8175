"""Block effects and the master bus: convolution reverb, tempo-synced delay, loudness and limiter.

They run on the generator's fixed internal blocks, so their output never depends on
how a caller splits its render calls. Blocks are float32 ``(channels, frames)``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from livemusic.engine.dsp import F32
from livemusic.engine.filters import filt, response


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
        ir = _room_impulse(sr / d, seconds)
        parts = -(-len(ir) // p)
        ir = np.concatenate([ir, np.zeros((parts * p - len(ir), 2))])
        blocks = ir.reshape(parts, p, 2).transpose(2, 0, 1)  # ch, part, p
        # Reversed partitions, so that a contiguous slice of the doubled history lines up.
        h = level * np.fft.rfft(blocks, n=2 * p, axis=2)[:, ::-1, :].transpose(1, 0, 2)
        self.h = np.ascontiguousarray(h, np.complex64)  # (part, ch, bin)
        self.parts = parts
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


class Delay:
    """Tempo-synced feedback echoes of mono sends, one line each; left and right taps differ for width."""

    def __init__(self, sr: float, block: int, lines: int, seconds: float = 4.0) -> None:
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
        # Each mid's last samples: the delay, and the moving average's window before it.
        self.hist = [np.zeros(d + self.average, F32) for d in self.delays]

    def process(self, stems: list[np.ndarray], gains: tuple[float, ...]) -> None:
        """Widen each stem ``(2, n)`` in place: side = ``gains[k]`` times the delayed mid."""
        m = self.average
        for k, (stem, gain, delay) in enumerate(zip(stems, gains, self.delays)):
            n = stem.shape[1]
            mid = stem[0] + stem[1]
            mid *= F32(0.5)
            line = np.concatenate([self.hist[k], mid])  # sample j is at time j - (delay + m)
            self.hist[k] = line[-(delay + m):]
            if gain < 0.01:
                continue
            side = line[m:m + n].copy()  # the mid ``delay`` samples ago
            if self.highpass[k]:
                total = np.cumsum(line[:m + n], dtype=np.float64)
                side -= ((total[m:m + n] - total[:n]) / m).astype(F32)
            side *= F32(gain)
            stem[0] += side
            stem[1] -= side


class LeadRider:
    """A mixing engineer's hand on the lead fader: in lead-driven styles, the lead sits level with the harmony.

    It listens to the dry lead and harmony stems block by block (mean power over a few
    seconds) and moves :attr:`gain`, which the generator applies to lead notes as they
    start, toward the gain that puts the lead :data:`LEAD_OVER_HARMONY_DB` from the
    harmony (in raw power; about level in LU, as leads play with rests), as far as the
    style is lead-driven (0: gain 1). It only listens while both play, and moves within
    1x..6x.
    """

    def __init__(self, sr: float, block: int, seconds: float = 3.0) -> None:
        self.rate = 1.0 - math.exp(-(block / sr) / seconds)
        self.lead = self.harm = 0.0
        self.gain = 1.0
        self.held = False  # a constant gain, nothing learned (see hold)

    def hold(self) -> None:
        """Keep the gain as it is from now on (a loop: a fader that moved would step at the seam)."""
        self.held = True

    def listen(self, lead: np.ndarray, harm: np.ndarray, driven: float) -> None:
        pl, ph = float(np.vdot(lead, lead)), float(np.vdot(harm, harm))
        if self.held or pl < 1e-6 or ph < 1e-6:
            return
        # The lead's power as if it were played at gain 1: the rider moves what it hears.
        first = self.lead == 0.0
        rate = 1.0 if first else self.rate
        self.lead += rate * (pl / (self.gain * self.gain) - self.lead)
        self.harm += rate * (ph - self.harm)
        want = math.sqrt(self.harm * 10 ** (LEAD_OVER_HARMONY_DB / 10) / self.lead)
        want = 1.0 + min(max(driven, 0.0), 1.0) * (want - 1.0)
        self.gain = min(max(self.gain + min(4.0 * rate, 1.0) * (want - self.gain), 1.0), 6.0)


#: Where a lead-driven style's rider holds the lead: raw power over the harmony's (dB).
LEAD_OVER_HARMONY_DB = 1.5


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


_FULL_SCALE = 32767.0  # int16 PCM

#: The running estimate averages all blocks; BS.1770's gates drop the quiet ones, which
#: reads about this much louder on typical music.
_GATING_OFFSET_DB = 0.8
#: The program loudness is a running mean over this long (once that much has played).
LONG_TERM_SECONDS = 60.0


class Master:
    """Loudness normalization toward a target (slow, BS.1770-weighted), a peak limiter, int16 output.

    Blocks are ``(2, n)`` float32, the stems ``(stems, 2, n)``. The loudness gain of
    each block is a ramp and the limiter's gain is piecewise linear; the stems get
    exactly the mix's gains, so before the limiter they sum to the mix. The limiter
    looks ahead one sub-block, so the output is delayed by ``sub`` samples. Gains
    include the int16 full scale, so gained signals are in PCM units.
    """

    def __init__(self, sr: float, block: int, stems: int, target_lufs: float = -14.0,
                 ceiling_db: float = -2.0) -> None:
        self.sr = sr
        self.block = block
        self.target = target_lufs
        self.ceiling = 10 ** (ceiling_db / 20) * _FULL_SCALE
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
        self.power: float | None = None  # the program's K-weighted power (see gain_curve)
        self.short = 0.0                 # the same over the last seconds
        self.anchored = 0.0              # seconds of anchor sections heard
        self.gain = 1.0
        self.held = False                # a constant gain, nothing learned (see hold)
        self.frac = (np.arange(1, block + 1) * (_FULL_SCALE / block)).astype(F32)  # ramp shape
        self.sub = sub = next(s for s in (240, 200, 160, 120, 100, 80, 60, 50, 40, 30, 20, 10, 1) if block % s == 0)
        self.sub_frac = np.arange(1, sub + 1, dtype=F32) / F32(sub)
        # The gained signals: the previous block's last sub-block (the look-ahead), then this block.
        self.line = np.zeros((2, sub + block), F32)
        self.stem_line = np.zeros((stems, 2, sub + block), F32)
        self.pending_peak = 0.0
        self.lim = 1.0  # limiter gain at the last control point
        self.spec = np.zeros((2, m // 2 + 1), np.complex64)  # reused: faster than a fresh array

    @property
    def latency(self) -> int:
        """Frames by which the output lags its input (the limiter's look-ahead)."""
        return self.sub

    def hold(self, gain_db: float) -> None:
        """Keep a constant gain from now on and learn nothing (a loop, normalized as a whole afterwards)."""
        self.held, self.gain = True, 10 ** (gain_db / 20)

    def process(self, mix: np.ndarray, stems: np.ndarray, with_stems: bool, level_db: float = 0.0,
                anchor: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """One block: int16 PCM of the mix ``(n, 2)`` and, if ``with_stems``, of the stems ``(stems, n, 2)``.

        ``level_db`` is the loudness the arrangement wants for this block relative to
        the program, and ``anchor`` whether the program loudness is learned from it
        (see :meth:`gain_curve`). ``stems`` are needed every block (their last
        sub-block is output with the next block), but only gained and converted in
        full when ``with_stems``.
        """
        sub, n = self.sub, self.block
        ramp = self.gain_curve(mix, level_db, anchor)
        np.multiply(mix, ramp, out=self.line[:, sub:])
        lim = self.limit()
        delayed = self.line[:, :n]
        if lim is not None:
            delayed *= lim
        mix16 = _pcm(delayed)  # the limiter keeps it within range
        self.line[:, :sub] = self.line[:, n:]
        stems16 = None
        if with_stems:
            np.multiply(stems, ramp, out=self.stem_line[..., sub:])
            delayed = self.stem_line[..., :n]
            if lim is not None:
                delayed *= lim
            np.clip(delayed, -32768.0, 32767.0, out=delayed)  # a stem can peak above the mix
            stems16 = _pcm(delayed)
            self.stem_line[..., :sub] = self.stem_line[..., n:]
        else:
            np.multiply(stems[..., -sub:], ramp[-sub:], out=self.stem_line[..., :sub])
        return mix16, stems16

    def gain_curve(self, mix: np.ndarray, level_db: float = 0.0, anchor: bool = True) -> np.ndarray:
        """The gain ramp (per sample, times full scale) for this block of the raw mix.

        The program loudness is learned from the raw mix, quickly until the first
        anchor section, then only in anchor sections, as a running mean that grows to
        :data:`LONG_TERM_SECONDS`; it moves quickly only when the music changes by more
        than 6 dB for seconds (a new prompt). The gain brings the program to the target
        and then applies ``level_db``: the arrangement's dynamics are kept.
        """
        if self.held:
            return np.full(self.block, self.gain * _FULL_SCALE, F32)
        seconds = self.block / self.sr
        # Subsampled: the power of a broadband signal is kept.
        spec = np.fft.rfft(mix[:, :: self.decim], axis=1, out=self.spec)
        # K-weighted mean square, summed over channels (BS.1770), by Parseval from the spectrum
        power = float(np.vdot(spec * self.k_weights, spec).real)
        loud = -0.691 + 10 * math.log10(power + 1e-12)
        first = self.power is None
        learn = anchor or not self.anchored
        if loud > -55.0 and learn:
            if first:
                self.power = self.short = power
            else:
                self.short += (1.0 - math.exp(-seconds / 2.0)) * (power - self.short)
                if anchor:
                    self.anchored += seconds
                # Gated like BS.1770: blocks 10 dB below the estimate do not count.
                if power > self.power * 0.1 or abs(math.log10(self.short / self.power)) > 0.6:
                    if abs(math.log10(self.short / self.power)) > 0.6:
                        tau = 1.0  # 6 dB off for seconds: the music changed
                    elif not self.anchored:
                        tau = 0.6 if power > self.power else 3.0  # settling on the first sounds
                    else:
                        tau = min(max(self.anchored, 1.0), LONG_TERM_SECONDS)
                    self.power += (1.0 - math.exp(-seconds / tau)) * (power - self.power)
        gain = self.gain
        if self.power is not None:
            est = -0.691 + 10 * math.log10(self.power + 1e-12)
            gain = min(max(10 ** ((self.target + _GATING_OFFSET_DB - est + level_db) / 20), 0.05), 40.0)
            if first:
                self.gain = gain
        ramp = self.frac * F32(gain - self.gain)
        ramp += F32(self.gain * _FULL_SCALE)
        self.gain = gain
        return ramp

    def limit(self) -> np.ndarray | None:
        """The limiter gain per sample of the delayed block ``line[:, :block]``, or ``None`` for 1.

        The gain is piecewise linear between sub-block boundaries; each boundary value is
        at most what both neighbouring sub-blocks need, so no sample exceeds the ceiling.
        """
        sub = self.sub
        m = self.block // sub
        peaks = _true_peaks(self.line, sub, self.ceiling).reshape(2, m, sub).max(axis=(0, 2))
        pending_peak, self.pending_peak = self.pending_peak, float(peaks[-1])
        if max(pending_peak, float(peaks.max())) <= self.ceiling and self.lim >= 1.0:
            return None
        need = np.minimum(1.0, self.ceiling / np.maximum(np.concatenate([[pending_peak], peaks]), 1e-9))
        # c[j+1] = min(need[j], need[j+1], 1 - (1 - c[j]) * r): with d = 1 - c this is a
        # running maximum of exponentially decaying values, computed without a loop.
        r = math.exp(-(sub / self.sr) / 0.08)
        floor = 1.0 - np.minimum(need[:-1], need[1:])  # how much each boundary must cut
        j = np.arange(1, m + 1)
        scaled = np.maximum.accumulate(np.concatenate([[1.0 - self.lim], floor * r ** (-j)]))
        c = (1.0 - scaled * r ** np.arange(m + 1)).astype(F32)
        self.lim = float(c[-1])
        return (c[:-1, None] + (c[1:, None] - c[:-1, None]) * self.sub_frac[None, :]).reshape(-1)


def _fractional_taps(taps: int = 8) -> np.ndarray:
    """Windowed-sinc interpolators to a quarter, a half and three quarters past a sample
    (rows), over the ``taps`` samples around it (``taps // 2 - 1`` before it)."""
    offsets = np.arange(taps) - (taps // 2 - 1)
    rows = []
    for frac in (0.25, 0.5, 0.75):
        d = offsets - frac
        w = np.sinc(d) * (0.5 + 0.5 * np.cos(np.pi * d / (taps / 2 + 0.5)))
        rows.append(w / w.sum())
    return np.array(rows, F32)


_TAPS = _fractional_taps()


def _true_peaks(line: np.ndarray, sub: int, ceiling: float) -> np.ndarray:
    """``|x|`` of the look-ahead ``line[:, sub:]``, raised where the signal peaks between samples.

    High partials peak between samples, above the sample peak: the level at a
    quarter, half and three quarters to the next sample is interpolated (8-tap
    windowed sinc: a 4x oversampled true peak, as BS.1770 meters it) where a sample
    comes within 3 dB of the ceiling, so the limiter keeps the true peak under it.
    Samples not yet known (past the line's end) count as held.
    """
    level = np.abs(line[:, sub:])
    near = np.flatnonzero((level > ceiling * 0.7).any(axis=0))
    if not len(near):
        return level
    taps = _TAPS.shape[1]
    idx = np.minimum(near[:, None] + (sub - (taps // 2 - 1) + np.arange(taps)), line.shape[1] - 1)
    between = np.abs(line[:, idx] @ _TAPS.T).max(axis=2)  # (2, near, taps) @ (taps, 3)
    level[:, near] = np.maximum(level[:, near], between)
    return level


def _pcm(x: np.ndarray) -> np.ndarray:
    """Float ``(..., channels, frames)`` within int16 range to C-contiguous int16 ``(..., frames, channels)``."""
    out = np.empty(x.shape[:-2] + x.shape[:-3:-1], np.int16)
    np.rint(x, out=out.swapaxes(-1, -2), casting="unsafe")  # rounds, interleaves and converts at once
    return out
