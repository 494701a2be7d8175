"""The master bus: loudness normalization (BS.1770 K-weighted), a true-peak limiter, int16 output.

It runs on the generator's fixed internal blocks, so its output never depends on how a
caller splits its render calls. Blocks are float32 ``(channels, frames)``.
"""

from __future__ import annotations

import math

import numpy as np

from livemusic.engine.dsp import F32
from livemusic.engine.filters import response


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
#: Samples under this fraction of the limiter's ceiling (-3.1 dB) cannot peak above it between
#: samples: a band-limited signal overshoots its samples by at most 3 dB unless its partials near
#: the Nyquist rate are strong (a sine at a quarter of the rate, sampled 45 degrees off its peaks:
#: exactly 3 dB), which music's are not. Only samples above it get the oversampled look.
_NEAR_CEILING = 0.7

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
        # The limiter's release per control point (r ** j, j = 0..m) and its inverse (r ** -j, j = 1..m).
        r = math.exp(-(sub / sr) / 0.08)
        self.release = r ** np.arange(block // sub + 1)
        self.release_up = r ** (-np.arange(1, block // sub + 1))
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

    def snapshot(self) -> tuple:
        """What the next block changes: the loudness and limiter state and the look-ahead it reads."""
        sub = self.sub
        return (self.power, self.short, self.anchored, self.gain, self.held, self.pending_peak, self.lim,
                self.line[:, :sub].copy(), self.stem_line[..., :sub].copy())

    def restore(self, state: tuple) -> None:
        """Back to a :meth:`snapshot` (which stays valid)."""
        sub = self.sub
        (self.power, self.short, self.anchored, self.gain, self.held, self.pending_peak, self.lim,
         self.line[:, :sub], self.stem_line[..., :sub]) = state

    def gain_curve(self, mix: np.ndarray, level_db: float = 0.0, anchor: bool = True) -> np.ndarray:
        """The gain ramp (per sample, times full scale) for this block of the raw mix.

        The program loudness is learned from the raw mix, quickly until the first
        anchor section, then only in anchor sections (at the level the arrangement asks
        of them: a swell counts 1.5 dB louder), as a running mean that grows to
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
        if anchor:  # the program is the music as the arrangement wants it heard: a swell counts louder
            power *= 10 ** (level_db / 10)
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
        if self.lim >= 1.0 and self.pending_peak <= self.ceiling:
            ahead = self.line[:, sub:]
            peak = max(float(np.maximum.reduce(ahead, axis=None)), -float(np.minimum.reduce(ahead, axis=None)))
            if peak <= self.ceiling * _NEAR_CEILING:  # nothing to limit, nor to look at closely
                self.pending_peak = peak  # at least the last sub-block's: all the next block needs
                return None
        peaks = _true_peaks(self.line, sub, self.ceiling).reshape(m, sub).max(axis=1)
        pending_peak, self.pending_peak = self.pending_peak, float(peaks[-1])
        if max(pending_peak, float(peaks.max())) <= self.ceiling and self.lim >= 1.0:
            return None
        need = np.minimum(1.0, self.ceiling / np.maximum(np.concatenate([[pending_peak], peaks]), 1e-9))
        # c[j+1] = min(need[j], need[j+1], 1 - (1 - c[j]) * r): with d = 1 - c this is a
        # running maximum of exponentially decaying values, computed without a loop.
        floor = 1.0 - np.minimum(need[:-1], need[1:])  # how much each boundary must cut
        scaled = np.maximum.accumulate(np.concatenate([[1.0 - self.lim], floor * self.release_up]))
        c = (1.0 - scaled * self.release).astype(F32)
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
    """The louder channel's ``|x|`` over the look-ahead ``line[:, sub:]``, raised where the signal
    peaks between samples.

    High partials peak between samples, above the sample peak: the level at a
    quarter, half and three quarters to the next sample is interpolated (8-tap
    windowed sinc: a 4x oversampled true peak, as BS.1770 meters it) where a sample
    comes within 3 dB of the ceiling (:data:`_NEAR_CEILING`), so the limiter keeps the true peak under it.
    Samples not yet known (past the line's end) count as held.
    """
    level = np.abs(line[0, sub:])
    np.maximum(level, np.abs(line[1, sub:]), out=level)
    near = np.flatnonzero(level > ceiling * _NEAR_CEILING)
    if not len(near):
        return level
    taps = _TAPS.shape[1]
    idx = np.minimum(near[:, None] + (sub - (taps // 2 - 1) + np.arange(taps)), line.shape[1] - 1)
    between = np.abs(line[:, idx] @ _TAPS.T).max(axis=(0, 2))  # (2, near, taps) @ (taps, 3)
    level[near] = np.maximum(level[near], between)
    return level


def _pcm(x: np.ndarray) -> np.ndarray:
    """Float ``(..., channels, frames)`` within int16 range to C-contiguous int16 ``(..., frames, channels)``."""
    out = np.empty(x.shape[:-2] + x.shape[:-3:-1], np.int16)
    np.rint(x, out=out.swapaxes(-1, -2), casting="unsafe")  # rounds, interleaves and converts at once
    return out
