"""Harmony helpers: scale notes, chords and voicings.

Everything stays in the 7 pitch classes of one major scale (the configured one,
or one the composer picks); a mode is a choice of centre among them.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from livemusic.engine.patterns import MAJOR


@lru_cache(maxsize=4096)
def scale_notes(tonic: int, lo: int, hi: int) -> np.ndarray:
    """MIDI notes of the major scale on ``tonic`` between ``lo`` and ``hi``."""
    pcs = {(tonic + step) % 12 for step in MAJOR}
    notes = np.array([m for m in range(lo, hi + 1) if m % 12 in pcs])
    notes.setflags(write=False)
    return notes


@lru_cache(maxsize=1024)
def chord_pcs(tonic: int, degree: int, size: int) -> list[int]:
    """Pitch classes of the chord of ``size`` stacked thirds on ``degree`` (cached; do not modify)."""
    return [(tonic + MAJOR[d % 7] + 12 * (d // 7)) % 12 for d in range(degree, degree + 2 * size, 2)]


def nearest(pc: int, target: float) -> int:
    """The MIDI note of pitch class ``pc`` in octaves 2..8 nearest ``target`` (the lower one on a tie)."""
    octave = math.ceil((target - pc) / 12.0 - 0.5)
    return pc + 12 * min(max(octave, 2), 8)


def pc_mask(pcs: list[int]) -> np.ndarray:
    mask = np.zeros(12, bool)
    mask[pcs] = True
    return mask
