"""Sound generation: oscillators, FM, plucks, mallets, voices and the sound cache (drums: :mod:`drums`).

Everything is vectorized with numpy per note or per block; there is no per-sample
Python loop. Notes are rendered whole (attack to end of release) when they start and
cached, because music repeats: the same pitch, length and timbre cost one synthesis.
All audio is float32, mono per note; stereo comes from panning when notes are mixed.

Effects and the master bus live in :mod:`effects`.

Only numpy is used (``scipy.signal`` alone takes over a second to import, which
would break the time to first sound). Filters are applied in the frequency
domain, where a whole note is one multiplication by the filter's exact response:
a filtered oscillator is periodic, so one period of it (its harmonics times the
response) becomes a wavetable; noise bands are a cached noise spectrum times the
response; :func:`filt` filters any other signal with enough padding that the
filter's ring-out does not wrap around. Per sample, a table lookup or a multiply
is cheap and ``np.exp``/``np.sin`` are not, so decays are built from short
exponentials (:func:`exp_decay`) and dark notes are rendered at a lower rate.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import astuple, dataclass
from functools import lru_cache

import numpy as np

F32 = np.float32
TWO_PI = 2.0 * math.pi

#: A fixed table of white noise: drums and breath draw from it, so output is reproducible.
_NOISE = np.random.default_rng(0x5EED).standard_normal(8 * 48_000).astype(F32)


def midi_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def noise(n: int, offset: int = 0) -> np.ndarray:
    """``n`` samples of the fixed noise table starting at ``offset`` (wrapping)."""
    start = (offset * 7919) % (len(_NOISE) - 1)
    if start + n <= len(_NOISE):
        return _NOISE[start:start + n]
    reps = -(-(start + n) // len(_NOISE))
    return np.tile(_NOISE, reps)[start:start + n]


# --------------------------------------------------------------------------- filters


def _biquad(kind: str, f0: float, q: float, sr: float) -> tuple[np.ndarray, np.ndarray]:
    """RBJ cookbook biquad coefficients (lowpass, highpass, bandpass)."""
    f0 = min(max(f0, 10.0), 0.45 * sr)
    w0 = TWO_PI * f0 / sr
    alpha = math.sin(w0) / (2.0 * q)
    cw = math.cos(w0)
    if kind == "lp":
        b = [(1 - cw) / 2, 1 - cw, (1 - cw) / 2]
    elif kind == "hp":
        b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
    else:  # band-pass, 0 dB peak gain
        b = [alpha, 0.0, -alpha]
    a = [1 + alpha, -2 * cw, 1 - alpha]
    return np.array(b) / a[0], np.array(a) / a[0]


@lru_cache(maxsize=256)
def fft_size(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= ``n`` (sizes the FFT handles fast)."""
    best = 1 << max(n - 1, 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            p = p35
            while p < n:
                p *= 2
            best = min(best, p)
            p35 *= 3
        p5 *= 5
    return best


@lru_cache(maxsize=32)
def _unit_circle(nfft: int) -> tuple[np.ndarray, np.ndarray]:
    """z^-1 and z^-2 at the rfft bins of an ``nfft``-point transform (single precision)."""
    z = np.exp(-1j * np.pi * np.arange(nfft // 2 + 1) / (nfft / 2.0))
    return z.astype(np.complex64), (z * z).astype(np.complex64)


def response(b, a, nfft: int) -> np.ndarray:
    """Frequency response of the filter ``b/a`` (at most second order) at the rfft bins."""
    z1, z2 = _unit_circle(nfft)
    b = [float(c) for c in b] + [0.0] * (3 - len(b))
    a = [float(c) for c in a] + [0.0] * (3 - len(a))
    num = np.complex64(b[0]) + np.float32(b[1]) * z1
    if b[2]:
        num += np.float32(b[2]) * z2
    den = np.complex64(a[0]) + np.float32(a[1]) * z1
    if a[2]:
        den += np.float32(a[2]) * z2
    num /= den
    return num


def biquad_response(kind: str, f0: float, q: float, sr: float, nfft: int) -> np.ndarray:
    return response(*_biquad(kind, f0, q, sr), nfft)


def ring_time(f0: float, q: float, sr: float) -> int:
    """Samples a biquad at ``f0``/``q`` takes to ring down by about 80 dB."""
    w0 = TWO_PI * min(max(f0, 10.0), 0.45 * sr) / sr
    return min(int(9.2 * 2.0 * max(q, 0.5) / max(w0, 1e-4)) + 16, int(sr))


def filt(x: np.ndarray, kind: str, f0: float, q: float, sr: float) -> np.ndarray:
    """Filter float32 audio with a biquad (the filter starts at rest, like ``lfilter``)."""
    n = len(x)
    nfft = fft_size(n + ring_time(f0, q, sr))
    spec = np.fft.rfft(x.astype(F32, copy=False), nfft)
    spec *= biquad_response(kind, f0, q, sr, nfft).astype(np.complex64)
    return np.fft.irfft(spec, nfft)[:n].astype(F32, copy=False)


@lru_cache(maxsize=24)
def _noise_spectrum(nfft: int) -> np.ndarray:
    """The spectrum of the first ``nfft`` samples of the noise table (cached: note lengths repeat)."""
    return np.fft.rfft(noise(nfft)).astype(np.complex64)


def colored_noise(n: int, seed: int, sr: float, *filters: tuple[str, float, float]) -> np.ndarray:
    """``n`` samples of noise through the biquads ``filters`` (``(kind, f0, q)`` each).

    The noise is one period of a periodic signal, so the filters are applied to a
    cached spectrum and are in their steady state from the first sample. ``seed``
    picks where in the period the samples start: variations of one sound (the four
    hits of a hi-hat) share one period. The result may be a read-only view.
    """
    nfft = fft_size(n)
    y = _filtered_noise(nfft, sr, filters)
    start = seed * 7919 % nfft
    return y[start:start + n] if start + n <= nfft else np.concatenate([y[start:], y[: start + n - nfft]])


@lru_cache(maxsize=16)
def _filtered_noise(nfft: int, sr: float, filters: tuple[tuple[str, float, float], ...]) -> np.ndarray:
    """One period (``nfft`` samples) of the noise table through ``filters``, read-only."""
    spec = _noise_spectrum(nfft)
    for kind, f0, q in filters:
        spec = spec * biquad_response(kind, f0, q, sr, nfft)
    y = np.fft.irfft(spec, nfft).astype(F32)
    y.setflags(write=False)
    return y


# --------------------------------------------------------------------------- oscillators


def sine(phase: np.ndarray) -> np.ndarray:
    return np.sin(phase * F32(TWO_PI))


_FADE = np.linspace(1.0, 0.0, 64, dtype=F32)


def fade_out(x: np.ndarray, length: int = 64) -> None:
    """Fade the last ``length`` samples of ``x`` to silence, in place: no click where a sound ends."""
    length = min(length, len(x))
    fade = _FADE if length == len(_FADE) else np.linspace(1.0, 0.0, length, dtype=F32)
    x[len(x) - length:] *= fade


def exp_decay(n: int, tau: float, sr: float) -> np.ndarray:
    """``exp(-t / tau)`` for ``n`` samples, as float32."""
    return geometric(n, -1.0 / (max(tau, 1e-6) * sr))


def geometric(n: int, log_step, cols: int = 256) -> np.ndarray:
    """``exp(k * log_step)`` for ``k`` in ``0..n-1``, float32, shaped ``(n,) + log_step.shape``.

    With ``k = cols * a + c`` it is an outer product of two short exponentials:
    ``np.exp`` costs some 4 ns a sample here, a multiply a twentieth of that. Values
    stop at ``e**-80``, above the float32 denormals that would slow everything after.
    """
    log_step = np.asarray(log_step, np.float64)
    rows = -(-n // cols)
    fine = np.exp(np.maximum(np.multiply.outer(np.arange(cols), log_step), -20.0)).astype(F32)
    coarse = np.exp(np.maximum(np.multiply.outer(np.arange(rows) * cols, log_step), -60.0)).astype(F32)
    return (coarse[:, None] * fine[None]).reshape((rows * cols,) + log_step.shape)[:n]


def biquad_at(kind: str, f0: float, q: float, sr: float, freqs: np.ndarray) -> np.ndarray:
    """Complex response of a biquad (see :func:`_biquad`) at ``freqs`` in Hz."""
    b, a = _biquad(kind, f0, q, sr)
    z1 = np.exp(-1j * TWO_PI * freqs / sr)
    z2 = z1 * z1
    return (b[0] + b[1] * z1 + b[2] * z2) / (a[0] + a[1] * z1 + a[2] * z2)


#: Phases are unsigned 32-bit fixed point: a full cycle is 2**32, so they wrap by themselves.
_CYCLE = 2.0**32


def cycles(n: int, hz: float, sr: float, wobble: np.ndarray | None = None, start: float = 0.0) -> np.ndarray:
    """The phase of an oscillator at ``hz`` for ``n`` samples (uint32, see :data:`_CYCLE`).

    ``wobble`` multiplies the frequency sample by sample (vibrato); ``start`` is the
    initial phase in cycles.
    """
    step = hz / sr * _CYCLE
    offset = np.uint32(int(start % 1.0 * _CYCLE))
    if wobble is None:
        return np.arange(n, dtype=np.uint32) * np.uint32(round(step) % 2**32) + offset
    return np.cumsum(np.rint(wobble * step).astype(np.uint32), dtype=np.uint32) + offset


class Wavetable:
    """One period of a waveform, given by its harmonics, read at any phase.

    An oscillator through a filter that does not move is periodic: one period holds
    its harmonics, each scaled by the filter's response at its frequency. Building that
    period costs one small inverse FFT, and a note then costs a table lookup with
    linear interpolation per sample, instead of FFTs over the whole note.
    """

    def __init__(self, harmonics: np.ndarray) -> None:
        """``harmonics[k]``: complex amplitude of harmonic ``k`` (as a sine; index 0 unused)."""
        size = max(256, 1 << (8 * len(harmonics) - 1).bit_length())  # 8 points per cycle of the top harmonic
        spec = np.zeros(size // 2 + 1, np.complex128)
        spec[1:len(harmonics)] = harmonics[1:] * (-0.5j * size)
        table = np.fft.irfft(spec, size).astype(F32)
        self.shift = 33 - size.bit_length()
        self.table = table
        self.slope = slopes(table, np.append(table[1:], table[0]), self.shift)

    def read(self, phase: np.ndarray) -> np.ndarray:
        """The waveform at ``phase`` (uint32 from :func:`cycles`)."""
        return lerp(self.table, self.slope, phase, self.shift)

    def read_at(self, idx: np.ndarray, frac: np.ndarray) -> np.ndarray:
        """The waveform at a phase already split by :func:`fixed_point` (tables of one size share it)."""
        return interpolate(self.table, self.slope, idx, frac)


def slopes(table: np.ndarray, following: np.ndarray, shift: int) -> np.ndarray:
    """The ``slope`` table :func:`lerp` needs: ``following - table`` per step of the fraction."""
    return (following - table) * F32(1.0 / (1 << shift))  # a power of two: exact


def fixed_point(pos: np.ndarray, shift: int) -> tuple[np.ndarray, np.ndarray]:
    """Table index (intp, which np.take is fastest with) and fraction (float32, in steps of
    ``2**-shift``) of fixed-point positions ``pos`` (uint32, ``shift`` fractional bits)."""
    return (pos >> np.uint32(shift)).astype(np.intp), (pos & np.uint32((1 << shift) - 1)).astype(F32)


def interpolate(table: np.ndarray, slope: np.ndarray, idx: np.ndarray, frac: np.ndarray) -> np.ndarray:
    """``table`` at ``idx + frac`` (from :func:`fixed_point`), linearly interpolated.

    ``slope`` comes from :func:`slopes`. np.take's ``mode="wrap"`` skips the bounds
    errors of its default mode (the indices are in range anyway) and is much faster.
    """
    out = np.take(slope, idx, mode="wrap")
    out *= frac
    out += np.take(table, idx, mode="wrap")
    return out


def lerp(table: np.ndarray, slope: np.ndarray, pos: np.ndarray, shift: int) -> np.ndarray:
    """``table`` read at fixed-point positions ``pos`` (see :func:`fixed_point`), interpolated."""
    return interpolate(table, slope, *fixed_point(pos, shift))


def saw_harmonics(count: int) -> np.ndarray:
    """Sine amplitudes of a sawtooth rising from -1 to 1, harmonics 0..``count`` (0 unused)."""
    k = np.arange(count + 1, dtype=np.float64)
    k[0] = 1.0
    out = -2.0 / np.pi / k
    out[0] = 0.0
    return out


def karplus_strong(f0: float, n: int, sr: float, decay: float, bright: float, seed: int) -> np.ndarray:
    """A plucked string (Karplus-Strong), computed one period at a time in the frequency domain.

    The loop (delay line + averaging filter) multiplies each period's spectrum by the
    filter's magnitude response, so period ``k`` is the first period's spectrum times
    ``H**k``: all periods come out of one inverse FFT. The period is rounded up to
    a size the FFT handles fast and the result read back at the exact pitch.
    """
    period = fft_size(int(math.ceil(sr / f0)))
    ratio = period * f0 / sr  # <= 1: read slower than written to land on f0
    count = int(math.ceil(n * ratio / period)) + 2
    excite = noise(period, seed).astype(np.float64)
    spectrum = np.fft.rfft(excite - excite.mean())
    # A darker excitation for a darker pluck: a one-pole lowpass (applied circularly,
    # on the period's spectrum), its cutoff a multiple of the pitch, as on a real string.
    pole = math.exp(-TWO_PI * min(f0 * (1.5 + 40.0 * bright * bright), 0.45 * sr) / sr)
    spectrum = (spectrum * response([1.0 - pole], [1.0, -pole], period)).astype(np.complex64)
    w = np.pi * np.arange(len(spectrum)) / (period / 2.0) / 2.0
    loss = -3.0 * math.log(10) / f0 / max(decay, 0.05)  # fundamental: -60 dB at decay
    damping = (4.0 - 3.0 * bright) * np.log(np.maximum(np.cos(w / 2.0), 1e-6))
    per_period = np.maximum(loss + damping, -30.0).astype(F32)  # log gain of one trip round the loop
    gains = geometric(count, per_period, cols=16)  # period k: exp(k * per_period)
    y = np.fft.irfft(spectrum[None, :] * gains, n=period, axis=1).astype(F32).ravel()
    y *= F32(1.0 / (np.abs(y[:period]).max() + 1e-9))
    shift = min(31 - len(y).bit_length(), 20)  # fixed-point read positions that fit 32 bits
    pos = np.arange(n, dtype=np.uint32) * np.uint32(round(ratio * (1 << shift)))
    return lerp(y, slopes(y, np.append(y[1:], y[-1]), shift), pos, shift)


# --------------------------------------------------------------------------- timbres


@dataclass(frozen=True)
class Timbre:
    """How one pitched voice sounds: oscillator levels, envelope, filter, colour (all numbers)."""

    sine: float = 0.0
    tri: float = 0.0
    saw: float = 1.0
    square: float = 0.0
    fm: float = 0.0          # FM (electric piano / bell) level
    fm_ratio: float = 1.0
    fm_index: float = 2.0
    pluck: float = 0.0       # Karplus-Strong level
    mallet: float = 0.0      # struck bar (inharmonic partials) level
    mallet_ratio: float = 4.0
    breath: float = 0.0      # band of noise around the pitch (winds, bows)
    vocal: float = 0.0       # formant-filtered glottal source ("aah"/"ooh")
    attack: float = 0.01
    decay: float = 0.4
    sustain: float = 0.6
    release: float = 0.25
    cutoff: float = 6.0      # lowpass cutoff as a multiple of the pitch
    reso: float = 0.2
    fenv: float = 0.3        # filter envelope amount
    detune: float = 0.0      # unison detune (0..1 -> 0..25 cents)
    vibrato: float = 0.0
    drive: float = 0.0
    cabinet: float = 0.0     # a guitar speaker cabinet after the drive (amp distortion)
    ensemble: float = 0.0    # a section: five detuned players instead of two


_VOWELS = {  # formant frequencies (Hz) and bandwidths of sung vowels
    "a": ((800, 80), (1150, 90), (2900, 120)),
    "o": ((450, 70), (800, 80), (2830, 100)),
    "u": ((325, 50), (700, 60), (2530, 170)),
    "e": ((400, 60), (1700, 90), (2600, 100)),
}


def _envelope(n_on: int, n: int, sr: float, tb: Timbre) -> np.ndarray:
    """Attack (linear), decay (exponential) to sustain, release (exponential) after ``n_on``.

    Read-only: notes of one length class share it.
    """
    return _adsr(n_on, n, sr, tb.attack, tb.decay, tb.sustain, tb.release)


@lru_cache(maxsize=32)
def _adsr(n_on: int, n: int, sr: float, attack: float, decay: float, sustain: float, release: float) -> np.ndarray:
    sus = min(max(sustain, 0.0), 1.0)
    env = np.full(n, sus, F32)
    na = max(int(max(attack, 0.0015) * sr), 1)
    nd = min(n, na + int(max(decay, 0.01) * 7.0 * sr))
    if nd > na:
        env[na:nd] += F32(1.0 - sus) * exp_decay(nd - na, max(decay, 0.01), sr)
    env[:min(na, n)] = np.arange(min(na, n), dtype=F32) * F32(1.0 / na)
    if n > n_on:
        env[n_on:] *= exp_decay(n - n_on, max(release, 0.01) / 4.6, sr)
    fade_out(env)
    env.setflags(write=False)
    return env


def _top_frequency(tb: Timbre, f0: float, bright: float, vel: float) -> float:
    """Roughly the highest frequency a note of this timbre puts out."""
    top = f0
    brightmul = 2.0 ** ((bright - 0.5) * 3.0) * (0.6 + 0.6 * vel)
    if tb.sine + tb.tri + tb.saw + tb.square > 0.02:
        top = max(top, f0 * max(tb.cutoff, 0.5) * brightmul * (1.0 + 6.0 * tb.fenv) * 2.0)
    if tb.fm > 0.02:
        top = max(top, f0 * (tb.fm_ratio * (tb.fm_index * 1.5 + 2.0) + 1.0))
    if tb.mallet > 0.02:
        top = max(top, f0 * tb.mallet_ratio * 2.6)
    if tb.pluck > 0.02:
        top = max(top, f0 * (1.5 + 40.0 * _pluck_brightness(tb, bright, vel) ** 2) * 4.0)
    if tb.breath > 0.02:  # a band of noise at twice the pitch; -30 dB two octaves up
        top = max(top, min(f0 * 2.0, 6000.0) * 4.0)
    if tb.drive > 0.3:
        top = math.inf  # strong saturation: broadband
    return top


def _pluck_brightness(tb: Timbre, bright: float, vel: float) -> float:
    """How bright a string is plucked: follows the timbre's filter and the global brightness."""
    return min(max((math.log2(max(tb.cutoff, 1.0)) - 1.0) / 5.0 + (bright - 0.5) * 0.6 + 0.2 * vel, 0.05), 1.0)


def render_tone(tb: Timbre, midi: float, dur: float, vel: float, bright: float, sr: float, seed: int = 0) -> np.ndarray:
    """One pitched note, attack through release, as mono float32 (peak about ``vel``).

    Notes whose spectrum stays well below a quarter (or an eighth) of the sample
    rate are synthesized at half (or a quarter of) the rate and interpolated up:
    a fraction of the work, no audible difference.
    """
    top = _top_frequency(tb, midi_hz(midi), bright, vel)
    for down in (4, 2):
        if sr >= 12_000 * down and top < 0.19 * sr / down:
            return upsample(_render_tone(tb, midi, dur, vel, bright, sr / down, seed), down)
    return _render_tone(tb, midi, dur, vel, bright, sr, seed)


def upsample(x: np.ndarray, factor: int) -> np.ndarray:
    """``x`` at ``factor`` times the rate, by linear interpolation (toward silence after the end)."""
    slope = np.diff(x, append=F32(0.0))
    out = np.empty((len(x), factor), F32)
    out[:, 0] = x
    for i in range(1, factor):  # one strided pass per phase: long inner loops
        np.multiply(slope, F32(i / factor), out=out[:, i])
        out[:, i] += x
    return out.ravel()


def _render_tone(tb: Timbre, midi: float, dur: float, vel: float, bright: float, sr: float, seed: int = 0) -> np.ndarray:
    f0 = midi_hz(midi)
    n_on = max(int(dur * sr), 16)
    n = n_on + int(max(tb.release, 0.01) * sr)
    if tb.pluck > 0.02 or tb.mallet > 0.02:  # struck and plucked sounds ring on, until the release fades them
        n = max(n, min(int(min(tb.decay * 2.0, 3.0) * sr), n_on + int(2.0 * max(tb.release, 0.01) * sr)))
    env = _envelope(n_on, n, sr, tb)
    wobble = _vibrato(n, sr, tb.vibrato) if tb.vibrato > 0.01 else None
    if tb.fm > 0.02 or tb.mallet > 0.02:  # phase in cycles, for the sine-based voices
        step = F32(f0 / sr)
        phase = np.arange(n, dtype=F32) * step if wobble is None else np.cumsum(step * wobble, dtype=F32)
    out = np.zeros(n, F32)
    brightmul = 2.0 ** ((bright - 0.5) * 3.0) * (0.6 + 0.6 * vel)
    if tb.sine + tb.tri + tb.saw + tb.square > 0.02:
        out += _oscillators(tb, f0, n, sr, brightmul, wobble)
    if tb.fm > 0.02:
        index = tb.fm_index * (0.5 + vel) * (0.5 + bright)
        ienv = exp_decay(n, max(tb.decay * 0.6, 0.02), sr)
        mod = F32(index) * (F32(0.3) + F32(0.7) * ienv) * sine(phase * F32(tb.fm_ratio))
        out += F32(tb.fm) * sine(phase + mod * F32(1.0 / TWO_PI))
    if tb.pluck > 0.02:
        pb = _pluck_brightness(tb, bright, vel)
        out += F32(tb.pluck) * karplus_strong(f0, n, sr, max(tb.decay * 2.0, 0.2), pb, seed)
    if tb.mallet > 0.02:
        m = sine(phase)
        for ratio, amp, dec in ((tb.mallet_ratio, 0.5 * (0.5 + bright), 0.18), (tb.mallet_ratio * 2.6, 0.2 * bright, 0.06)):
            if f0 * ratio < 0.45 * sr:
                m += F32(amp) * sine(phase * F32(ratio)) * exp_decay(n, dec, sr)
        out += F32(tb.mallet) * m * exp_decay(n, max(tb.decay, 0.05), sr)
    if tb.breath > 0.02:
        br = colored_noise(n, seed * 31 + 7, sr, ("bp", min(f0 * 2.0, 6000.0), 3.0))
        out += F32(tb.breath * 0.6 * math.sqrt(sr / 48_000)) * br  # the same band level at any synthesis rate
    if tb.vocal > 0.02:
        out += F32(tb.vocal) * _vocal(f0, n, sr, wobble, seed)
    if tb.drive > 0.02:
        k = 1.0 + tb.drive * 8.0
        out = np.tanh(out * F32(k)) * F32(1.0 / math.tanh(k))
        out = _without_local_dc(out, round(sr / f0 * math.ceil(0.02 * f0)))  # before the envelope: steady level
    if tb.cabinet > 0.02:  # a 4x12 cabinet: no lows under 90 Hz, a presence bump near 5 kHz, little above 7 kHz
        cab = filt(filt(filt(out, "hp", 90.0, 0.7, sr), "lp", 5200.0, 1.6, sr), "lp", 7500.0, 0.7, sr)
        out = F32(1.0 - tb.cabinet) * out + F32(1.4 * tb.cabinet) * cab
    out *= env
    out -= env * F32(out.sum() / max(env.sum(), 1e-9))  # no DC: remove the note's mean, shaped by its envelope
    return finish(out, vel)


def _without_local_dc(x: np.ndarray, window: int) -> np.ndarray:
    """``x`` minus its running mean over ``window`` samples (whole periods of the note).

    Saturation gives an asymmetric wave a DC that follows the filter's opening,
    so removing one mean from the whole note leaves some in a note cut short. The
    mean over whole periods holds none of the note's harmonics.
    """
    n = len(x)
    if n <= window:
        return x - F32(x.mean())
    total = np.cumsum(x, dtype=np.float64)
    mean = total[window - 1:].copy()  # sums of x[k - window + 1 .. k]
    mean[1:] -= total[:-window]
    mean *= 1.0 / window
    half = window // 2  # centred: sample j gets the window starting at j - half
    x[half:half + len(mean)] -= mean.astype(F32)
    x[:half] -= F32(mean[0])
    x[half + len(mean):] -= F32(mean[-1])
    return x


def _vibrato(n: int, sr: float, amount: float) -> np.ndarray:
    """The frequency multiplier of a 5.2 Hz vibrato that fades in over 0.4 s.

    It moves slowly, so it is computed every 16 samples and held in between.
    """
    t = np.arange(0, n + 15, 16, dtype=F32) / F32(sr)
    coarse = F32(1.0) + F32(amount * 0.006) * np.minimum(t / F32(0.4), F32(1.0)) * np.sin(t * F32(TWO_PI * 5.2))
    return np.repeat(coarse, 16)[:n]


def finish(x: np.ndarray, vel: float, floor: float = 2e-4) -> np.ndarray:
    """``x`` (a fresh array) scaled to peak ``vel``, without a tail that has decayed below
    ``floor`` of the peak (about -74 dB) and with its last samples faded."""
    peak = max(float(x.max()), -float(x.min()))  # two reductions: cheaper than abs() then max()
    loud = np.flatnonzero(np.abs(x[::64]) > floor * peak)
    end = min(len(x), (int(loud[-1]) + 2) * 64) if len(loud) else len(x)
    if end < len(x):
        x = x[:end].copy()
        fade_out(x)
    x *= F32(vel / (peak + 1e-9))
    return x


def _oscillators(tb: Timbre, f0: float, n: int, sr: float, brightmul: float,
                 wobble: np.ndarray | None) -> np.ndarray:
    """Sine, triangle, saw and square through the timbre's resonant lowpass.

    With a filter envelope the cutoff starts ``1 + 6 * fenv`` times higher and falls
    with the decay (a crossfade between the two filtered waveforms). Detuned saws and
    squares are two copies a few cents apart, the second half a cycle in.
    """
    count = max(int(0.45 * sr / f0), 1)  # harmonics below the band limit
    level = {name: v if v > 0.02 else 0.0 for name, v in
             (("sine", tb.sine), ("tri", tb.tri), ("saw", tb.saw), ("square", tb.square))}
    steady = np.zeros(count + 1)
    steady[1] = level["sine"] + 0.8 * level["tri"]
    for k, sign in ((3, -1.0), (5, 1.0)):  # the triangle's next odd harmonics
        if k <= count:
            steady[k] += 0.8 * level["tri"] * sign / (k * k)
    buzz = saw_harmonics(count) * (0.7 * level["saw"])
    buzz[1::2] += saw_harmonics(count)[1::2] * (0.8 * level["square"])  # a square: a saw's odd harmonics
    voices = [(steady, ((1.0, 0.0),))]
    if tb.detune >= 0.05:
        cents = tb.detune * 25.0 / 1200.0
        reads = ((2.0 ** -cents, 0.0), (2.0 ** cents, 0.37))
        if tb.ensemble > 0.3:  # a section: players spread around the pitch, each at its own phase
            reads += ((2.0 ** (-0.45 * cents), 0.61), (2.0 ** (0.55 * cents), 0.83), (2.0 ** (0.1 * cents), 0.19))
        voices.append((buzz / len(reads), reads))
    else:
        steady += buzz
    freqs = np.arange(count + 1) * f0
    cutoff = f0 * max(tb.cutoff, 0.5) * brightmul
    q = 0.707 + tb.reso * 6.0
    dark = biquad_at("lp", cutoff, q, sr, freqs)
    opening = None
    if tb.fenv > 0.02:  # the filter opens at the attack and closes with the decay
        opening = biquad_at("lp", cutoff * (1.0 + 6.0 * tb.fenv), q, sr, freqs) - dark
        tau = max(tb.decay * 0.5, 0.02)
        m = min(n, int(math.log(1e4) * tau * sr) + 1)  # where the opening has died away (-80 dB)
        fe = exp_decay(m, tau, sr)
    out = np.zeros(n, F32)
    for harmonics, reads in voices:
        if not harmonics.any():
            continue
        low = Wavetable(harmonics * dark)
        high = Wavetable(harmonics * opening) if opening is not None else None
        for ratio, start in reads:
            idx, frac = fixed_point(cycles(n, f0 * ratio, sr, wobble, start), low.shift)
            out += low.read_at(idx, frac)
            if high is not None:  # the same size of table: the same split phase
                out[:m] += fe[:m] * high.read_at(idx[:m], frac[:m])
    return out


def _vocal(f0: float, n: int, sr: float, wobble: np.ndarray | None, seed: int) -> np.ndarray:
    """A sung vowel: a glottal-like source through three formant resonators in parallel."""
    formants = _VOWELS["aoue"[seed % 4]]
    count = max(int(0.45 * sr / f0), 1)
    freqs = np.arange(count + 1) * f0
    h = sum(g * biquad_at("bp", f, f / bw, sr, freqs) for g, (f, bw) in zip((1.0, 0.7, 0.5), formants))
    # a glottal pulse falls off faster than a saw
    h = h * biquad_at("lp", 900.0, 0.6, sr, freqs) * 2.0
    return Wavetable(saw_harmonics(count) * h).read(cycles(n, f0, sr, wobble))


# --------------------------------------------------------------------------- cache


class SoundCache:
    """A bounded LRU cache of rendered notes and hits, keyed by their quantized parameters."""

    def __init__(self, max_samples: int = 40_000_000) -> None:
        self._items: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._samples = 0
        self._max = max_samples

    def clear(self) -> None:
        self._items.clear()
        self._samples = 0

    def get(self, key: tuple, make) -> np.ndarray:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
            return item
        item = make()
        item.setflags(write=False)
        self._items[key] = item
        self._samples += item.size
        self._trim()
        return item

    def limit(self, max_samples: int) -> None:
        """Hold at most ``max_samples`` from now on, forgetting the least recently used sounds beyond it."""
        self._max = max_samples
        self._trim()

    def _trim(self) -> None:
        while self._samples > self._max and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self._samples -= old.size


def quantize(values, step: float = 1 / 16) -> tuple:
    return tuple(round(v / step) for v in values)


def timbre_key(tb: Timbre) -> tuple:
    return quantize(astuple(tb), 1 / 24)
