"""Contrasting prompts sound apart: from simple audio features alone (MFCC mean and spread, tempo, onset
rate, centroid, percussive share, width), a nearest-neighbour classifier trained on renders with seeds 1-5
names the prompt of renders with seeds 6-10, in both tiers (``livemusic.engine.contrast``)."""

from __future__ import annotations

from livemusic.engine.contrast import FAMILIES, PROMPTS, measure


def test_the_contrasting_prompts_are_16_or_more_from_six_families():
    assert len(PROMPTS) >= 16
    assert set(FAMILIES) == {"electronic", "acoustic", "orchestral", "rock/metal", "world", "ambient"}


def test_the_synthesized_voices_name_nine_renders_in_ten_by_their_prompt():
    result = measure(PROMPTS)
    assert result.accuracy >= 0.9, result.confusions


def test_the_sample_tier_names_nine_renders_in_ten_by_their_prompt(soundfont):
    result = measure(PROMPTS)
    assert result.accuracy >= 0.9, result.confusions
