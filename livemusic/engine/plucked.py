"""Plucked strings: Karplus-Strong computed a period at a time in the frequency domain, and wooden bodies.

An acoustic guitar or a double bass is a string coupled to a hollow wooden body: the
body's air and plate modes colour the low and middle range (the "woody" sound) and
ring a little after the string. A hard-plucked string also starts a little sharp
(its tension rises with the displacement) and settles: the thump of a double bass.
"""

from __future__ import annotations

import math

import numpy as np

from livemusic.engine.dsp import F32, TWO_PI, exp_decay, geometric, noise
from livemusic.engine.filters import biquad_response, fft_size, response, ring_time
from livemusic.engine.oscillators import lerp, slopes
from livemusic.engine.timbre import Timbre


#: How fast a sharp pluck settles to its pitch (seconds).
_SETTLE = 0.045

#: The modes of a wooden body, as multiples of its lowest (air) mode: (ratio, gain, Q).
BODY_MODES = ((1.0, 1.0, 8.0), (2.05, 0.8, 12.0), (3.3, 0.5, 14.0), (5.2, 0.35, 10.0))


def body_resonance(x: np.ndarray, hz: float, amount: float, top: float, sr: float) -> np.ndarray:
    """``x`` (a string) heard through a wooden body whose air mode is at ``hz``: ``x`` plus
    ``amount`` of the body's modes, each a resonant band-pass, the whole rolled off above
    ``top`` Hz (a soft finger and the wood damp the highs). As long as ``x``; the body rings
    on within it."""
    nfft = fft_size(len(x) + ring_time(hz, BODY_MODES[0][2], sr))
    h = sum(g * biquad_response("bp", hz * r, q, sr, nfft) for r, g, q in BODY_MODES)
    spec = np.fft.rfft(x, nfft)
    spec *= (biquad_response("lp", top, 0.6, sr, nfft) * (1.0 + amount * h)).astype(np.complex64)
    return np.fft.irfft(spec, nfft)[:len(x)].astype(F32)


def karplus_strong(f0: float, n: int, sr: float, decay: float, bright: float, seed: int,
                   sharp: float = 0.0) -> np.ndarray:
    """A plucked string (Karplus-Strong), computed one period at a time in the frequency domain.

    The loop (delay line + averaging filter) multiplies each period's spectrum by the
    filter's magnitude response, so period ``k`` is the first period's spectrum times
    ``H**k``: all periods come out of one inverse FFT. The period is rounded up to
    a size the FFT handles fast and the result read back at the exact pitch. ``sharp``
    (cents) starts the pitch that much higher, settling within some 50 ms.
    """
    period = fft_size(int(math.ceil(sr / f0)))
    ratio = period * f0 / sr  # <= 1: read slower than written to land on f0
    bend = None
    if sharp > 0.0:
        bend = F32(2.0 ** (sharp / 1200.0) - 1.0) * exp_decay(n, _SETTLE, sr)
        bend[0] = 0.0
    extra = float(bend.sum(dtype=np.float64)) * ratio if bend is not None else 0.0  # samples read ahead
    count = int(math.ceil((n * ratio + extra) / period)) + 2
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
    if bend is None:
        pos = np.arange(n, dtype=np.uint32) * np.uint32(round(ratio * (1 << shift)))
    else:
        bend += F32(1.0)
        pos = np.rint(np.cumsum(bend, dtype=np.float64) * (ratio * (1 << shift))).astype(np.uint32)
        pos -= pos[0]
    return lerp(y, slopes(y, np.append(y[1:], y[-1]), shift), pos, shift)


def pluck_brightness(tb: Timbre, bright: float, vel: float) -> float:
    """How bright a string is plucked: follows the timbre's filter and the global brightness."""
    return min(max((math.log2(max(tb.cutoff, 1.0)) - 1.0) / 5.0 + (bright - 0.5) * 0.6 + 0.2 * vel, 0.05), 1.0)
