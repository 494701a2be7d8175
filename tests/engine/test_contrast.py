"""Contrasting prompts sound apart: from simple audio features alone (MFCC mean and spread, tempo, onset
rate, centroid, percussive share, width), a nearest-neighbour classifier trained on renders with seeds 1-5
names the prompt of renders with seeds 6-10, in both tiers; and a 50/50 mix of two far-apart prompts lies
between them in those features (``livemusic.engine.contrast``)."""

from __future__ import annotations

import functools
import os

from livemusic.engine.contrast import FAMILIES, PAIRS, PROMPTS, Contrast, measure, mix_position
from livemusic.engine.soundfont import SOUNDFONT_ENV


@functools.lru_cache(maxsize=2)
def measured(tier: str) -> Contrast:
    """The classifier's measurement in a tier (the SoundFont the environment names, or "none"), once."""
    return measure(PROMPTS)


def mixes_between(tier: str) -> dict[tuple[str, str], int]:
    """Per pair of far-apart prompts, with how many of the five test seeds their 50/50 mix lies between them."""
    result = measured(tier)
    return {(a, b): sum(mix_position(result, a, b, seed).between for seed in range(6, 11)) for a, b in PAIRS}


def test_the_contrasting_prompts_are_16_or_more_from_six_families():
    assert len(PROMPTS) >= 16
    assert set(FAMILIES) == {"electronic", "acoustic", "orchestral", "rock/metal", "world", "ambient"}


def test_the_synthesized_voices_name_nine_renders_in_ten_by_their_prompt():
    result = measured(os.environ[SOUNDFONT_ENV])
    assert result.accuracy >= 0.9, result.confusions


def test_the_sample_tier_names_nine_renders_in_ten_by_their_prompt(soundfont):
    result = measured(os.environ[SOUNDFONT_ENV])
    assert result.accuracy >= 0.9, result.confusions


def assert_mixes_lie_between(between: dict[tuple[str, str], int]) -> None:
    """Between its parents for most seeds of every pair, and for at least 85% of all the mixes (the parents'
    renders mixed as audio, two records on a mixer, reach 95-100% in these features)."""
    assert all(n >= 3 for n in between.values()), between
    assert sum(between.values()) >= 0.85 * 5 * len(between), between


def test_a_50_50_mix_of_far_apart_prompts_lies_between_them_with_the_synthesized_voices():
    assert_mixes_lie_between(mixes_between(os.environ[SOUNDFONT_ENV]))


def test_a_50_50_mix_of_far_apart_prompts_lies_between_them_in_the_sample_tier(soundfont):
    assert_mixes_lie_between(mixes_between(os.environ[SOUNDFONT_ENV]))
