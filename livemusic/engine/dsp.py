"""Numeric building blocks of every sound: the noise table, decays, fades, resampling, the final scaling.

Everything is float32 and vectorized with numpy; there is no per-sample Python loop.
Per sample, a table lookup or a multiply is cheap and ``np.exp``/``np.sin`` are not,
so decays are built from short exponentials (:func:`exp_decay`).
"""

from __future__ import annotations

import math

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


def upsample(x: np.ndarray, factor: int) -> np.ndarray:
    """``x`` at ``factor`` times the rate, by linear interpolation (toward silence after the end)."""
    slope = np.diff(x, append=F32(0.0))
    out = np.empty((len(x), factor), F32)
    out[:, 0] = x
    for i in range(1, factor):  # one strided pass per phase: long inner loops
        np.multiply(slope, F32(i / factor), out=out[:, i])
        out[:, i] += x
    return out.ravel()


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
