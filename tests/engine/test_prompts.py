"""Prompts steer the music: contrasting prompts sound different, mixes lie between."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from .analysis import centroid, integrated_loudness, onset_rate, percussive_ratio, tempo
from .renders import render

#: Contrasting prompts and the tempo each implies (bpm is left unset in the config).
CONTRASTS = {
    "minimal techno": 126, "ambient": 70, "drum and bass": 174, "lo-fi hip hop": 82, "bossa nova": 132,
    "dubstep": 140, "chiptune": 150, "orchestral score": 96, "reggae": 76, "trap beat": 140, "jazz": 140,
    "piano ballad": 72, "psytrance": 145, "afrobeat": 112,
}


def features(prompt: str) -> dict[str, float]:
    mix = render(prompt, 10.0, skip=1.0).mix
    return {
        "tempo": tempo(mix, CONTRASTS.get(prompt, 120)),
        "centroid": centroid(mix),
        "onsets": onset_rate(mix),
        "percussive": percussive_ratio(mix),
    }


@pytest.fixture(scope="module")
def contrast_features() -> dict[str, dict[str, float]]:
    return {p: features(p) for p in CONTRASTS}


def test_each_prompt_with_a_beat_plays_at_its_own_tempo(contrast_features):
    for prompt, bpm in CONTRASTS.items():
        if prompt == "ambient":  # no drums, no pulse to measure
            continue
        assert contrast_features[prompt]["tempo"] == pytest.approx(bpm, rel=0.02), prompt


def test_every_pair_of_contrasting_prompts_differs_clearly_in_some_feature(contrast_features):
    for a, b in itertools.combinations(CONTRASTS, 2):
        fa, fb = contrast_features[a], contrast_features[b]
        ratios = [max(fa[k], fb[k]) / max(min(fa[k], fb[k]), 1e-9) for k in ("tempo", "centroid", "onsets")]
        perc_gap = abs(fa["percussive"] - fb["percussive"])
        assert max(ratios) > 1.15 or perc_gap > 0.08, (a, b, fa, fb)


def test_features_span_a_wide_range(contrast_features):
    values = {k: [f[k] for f in contrast_features.values()] for k in ("tempo", "centroid", "onsets")}
    assert max(values["tempo"]) / min(values["tempo"]) > 2.0
    assert max(values["centroid"]) / min(values["centroid"]) > 2.5
    assert max(values["onsets"]) / min(values["onsets"]) > 2.5


@pytest.mark.parametrize(("a", "b"), [("ambient", "drum and bass"), ("lo-fi hip hop", "chiptune")])
def test_a_50_50_mix_lies_between_its_parents(a, b):
    fa, fb = features(a), features(b)
    mixed_bpm = round(math.sqrt(CONTRASTS[a] * CONTRASTS[b]))  # halfway as a ratio: as far from each
    mix = render({a: 1.0, b: 1.0}, 10.0, skip=1.0).mix
    fm = {"tempo": tempo(mix, mixed_bpm), "centroid": centroid(mix), "onsets": onset_rate(mix)}
    assert fm["tempo"] == pytest.approx(mixed_bpm, rel=0.02)
    for key in ("centroid", "onsets"):
        lo, hi = sorted((fa[key], fb[key]))
        margin = 0.1 * (hi - lo)
        assert lo - margin <= fm[key] <= hi + margin, (key, fa[key], fm[key], fb[key])


def test_mixed_with_a_drumless_prompt_the_drums_play_their_groove_quieter_not_thinned_out():
    # Half ambient (no drums) leaves drum and bass's break in place, at half its power (-3 dB), not a
    # random half of its hits merged with ambient's unplayed half-time groove.
    def drums(prompts):
        stems = render(prompts, 8.0, bpm=174, stems=True, skip=1.0).stems
        return integrated_loudness(stems["drums"]), onset_rate(stems["drums"])

    (alone, alone_rate), (mixed, mixed_rate) = drums("drum and bass"), drums({"ambient": 1.0, "drum and bass": 1.0})
    assert alone - 5.0 <= mixed <= alone - 1.5
    assert mixed_rate >= 0.7 * alone_rate


def test_weights_are_relative():
    a = render({"jazz": 2.0, "techno": 2.0}, 4.0).mix
    b = render({"jazz": 0.5, "techno": 0.5}, 4.0).mix
    assert np.array_equal(a, b)
