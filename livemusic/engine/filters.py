"""Filters applied in the frequency domain (only numpy: ``scipy.signal`` takes over a second to import).

A whole note is one multiplication by the filter's exact response: noise bands are a
cached noise spectrum times the response; :func:`filt` filters any other signal with
enough padding that the filter's ring-out does not wrap around.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from livemusic.engine.dsp import F32, TWO_PI, noise


#: Transforms longer than this (2.7 s at 48 kHz) keep nothing in the caches below: a sound that long
#: (a build's riser: six bands of seconds of noise) is rendered once and cached whole by the sound
#: cache, and these caches count entries, not bytes: sixteen filtered periods of 8-bar risers held
#: 48 MB, and a server's heap stepped up with each new riser (``benchmarks/soak.py``).
KEEP_NFFT = 1 << 17


def kept(cached, nfft: int):
    """``cached`` (an ``lru_cache`` function) for a transform of ``nfft`` points, or its uncached original."""
    return cached if nfft <= KEEP_NFFT else cached.__wrapped__


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
    """z^-1 and z^-2 at the rfft bins of an ``nfft``-point transform (single precision).

    Bin ``256 * a + c`` is a product of two short tables' values (as in :func:`.dsp.geometric`),
    in double precision: the same values within 1e-15, at less than half the cost of an
    ``np.exp`` per bin (transforms beyond :data:`KEEP_NFFT` compute them every time).
    """
    bins, cols = nfft // 2 + 1, 256
    step = -1j * np.pi / (nfft / 2.0)
    fine = np.exp(step * np.arange(cols))
    coarse = np.exp(step * cols * np.arange(-(-bins // cols)))
    z = np.multiply.outer(coarse, fine).reshape(-1)[:bins]
    return z.astype(np.complex64), (z * z).astype(np.complex64)


def response(b, a, nfft: int) -> np.ndarray:
    """Frequency response of the filter ``b/a`` (at most second order) at the rfft bins."""
    z1, z2 = kept(_unit_circle, nfft)(nfft)
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
    y = kept(_filtered_noise, nfft)(nfft, sr, filters)
    start = seed * 7919 % nfft
    return y[start:start + n] if start + n <= nfft else np.concatenate([y[start:], y[: start + n - nfft]])


@lru_cache(maxsize=16)
def _filtered_noise(nfft: int, sr: float, filters: tuple[tuple[str, float, float], ...]) -> np.ndarray:
    """One period (``nfft`` samples) of the noise table through ``filters``, read-only."""
    spec = kept(_noise_spectrum, nfft)(nfft)
    for kind, f0, q in filters:
        spec = spec * biquad_response(kind, f0, q, sr, nfft)
    y = np.fft.irfft(spec, nfft).astype(F32)
    y.setflags(write=False)
    return y


def biquad_at(kind: str, f0: float, q: float, sr: float, freqs: np.ndarray) -> np.ndarray:
    """Complex response of a biquad (see :func:`_biquad`) at ``freqs`` in Hz."""
    b, a = _biquad(kind, f0, q, sr)
    z1 = np.exp(-1j * TWO_PI * freqs / sr)
    z2 = z1 * z1
    return (b[0] + b[1] * z1 + b[2] * z2) / (a[0] + a[1] * z1 + a[2] * z2)
