"""Loudness, peaks, DC and continuity of the rendered stream."""

from __future__ import annotations

import numpy as np
import pytest

from livemusic.engine.drums import Kit, render_drum

from .analysis import as_float, integrated_loudness, peak_dbfs
from .renders import SR, generator, render, render_in_chunks

PRESETS = ["minimal techno", "ambient", "bossa nova with flute", "dubstep"]


@pytest.mark.parametrize("prompt", PRESETS)
def test_integrated_loudness_is_minus_14_lufs(prompt):
    mix = render(prompt, 16.0).mix
    assert integrated_loudness(mix[SR * 2:]) == pytest.approx(-14.0, abs=2.0)


@pytest.mark.parametrize("prompt", PRESETS)
def test_sample_peak_is_at_most_minus_1_dbfs(prompt):
    assert peak_dbfs(render(prompt, 16.0).mix) <= -1.0


@pytest.mark.parametrize("prompt", PRESETS + ["synthwave", "acid house"])  # saturated leads and basses
def test_there_is_no_dc_offset(prompt):
    assert np.abs(as_float(render(prompt, 16.0).mix).mean(axis=0)).max() < 1e-3


def test_chunk_boundaries_have_no_step_larger_than_inside_chunks():
    sizes = [4_799, 12_000, 1, 6_001] * 12
    mix, _ = render_in_chunks(generator("psytrance", seed=2), sizes)
    steps = np.abs(np.diff(mix.astype(np.int32), axis=0)).max(axis=1)
    bounds = np.cumsum(sizes)[:-1] - 1
    inside = np.delete(steps, bounds)
    assert steps[bounds].max() <= inside.max()


@pytest.mark.parametrize("kind", ["kick", "snare", "clap", "hat", "ohat", "shaker", "crash", "ride", "tom", "perc", "rim"])
def test_drum_hits_fade_to_silence_before_they_end(kind):
    """A hit cut while still audible clicks: its last 2% must be 40 dB below its loudest 2%."""
    hit = render_drum(kind, Kit(), 1.0, 0.5, SR).astype(np.float64)
    window = len(hit) // 50
    rms = np.sqrt((hit[: window * 50].reshape(50, window) ** 2).mean(axis=1))
    assert 20 * np.log10(rms[-1] / rms.max()) < -40.0
