"""Musical structure: phrases vary, keys stay diatonic when left to the engine."""

from __future__ import annotations

import numpy as np

from livemusic.types import Scale

from .analysis import bar_fingerprints, chroma
from .renders import render

SCALES = [s for s in Scale if s is not Scale.SCALE_UNSPECIFIED]


def test_a_minute_of_music_does_not_repeat_a_bar():
    fp = bar_fingerprints(render("house", 60.0, bpm=124).mix, 124)
    dist = np.abs(fp[:, None, :] - fp[None, :, :]).sum(axis=2) / 4.0
    np.fill_diagonal(dist, np.inf)
    assert len(fp) >= 30
    assert dist.min() > 0.08  # a bar played again note for note measures about 0.03


def _best_key(pcm: np.ndarray) -> tuple[Scale, float]:
    c = chroma(pcm)
    shares = {s: c[list(s.pitch_classes)].sum() / c.sum() for s in SCALES}
    best = max(shares, key=shares.get)
    return best, float(shares[best])


def test_without_a_scale_the_engine_picks_one_diatonic_key_per_seed():
    keys = set()
    for seed in (1, 2, 3, 4):
        key, share = _best_key(render("synth pads, piano", 6.0, seed=seed).mix)
        assert share >= 0.9
        keys.add(key)
    assert len(keys) >= 2
