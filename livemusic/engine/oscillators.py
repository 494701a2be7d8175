"""Oscillators: fixed-point phases, wavetables read with linear interpolation, harmonic spectra.

An oscillator through a filter that does not move is periodic: one period of it (its
harmonics times the filter's response) becomes a wavetable, and a note costs a table
lookup per sample instead of FFTs over the whole note.
"""

from __future__ import annotations

import numpy as np

from livemusic.engine.dsp import F32, TWO_PI


def sine(phase: np.ndarray) -> np.ndarray:
    return np.sin(phase * F32(TWO_PI))


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
