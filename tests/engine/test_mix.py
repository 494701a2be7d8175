"""The mix: stereo width per part, leads held with the harmony, sidechain pumping."""

from __future__ import annotations

import numpy as np
import pytest

from .analysis import as_float, integrated_loudness
from .renders import SR, render

RHYTHMIC = ["minimal techno", "drum and bass", "funk", "house", "lo-fi hip hop", "bossa nova", "afrobeat", "dubstep"]
LEAD_DRIVEN = ["lo-fi hip hop", "drum and bass", "house", "jazz", "disco"]


def side_to_mid_db(pcm: np.ndarray) -> float:
    x = as_float(pcm)
    mid, side = (x[:, 0] + x[:, 1]) / 2, (x[:, 0] - x[:, 1]) / 2
    return float(10 * np.log10((side**2).mean() / max((mid**2).mean(), 1e-20) + 1e-20))


@pytest.mark.parametrize("prompt", RHYTHMIC)
def test_rhythmic_styles_have_side_within_12_db_of_mid(prompt):
    assert side_to_mid_db(render(prompt, 48.0, bpm=120).mix) > -12.0  # 24 bars: the intro and the groove


@pytest.mark.parametrize("prompt", RHYTHMIC[:3])
def test_the_bass_stays_in_the_centre(prompt):
    assert side_to_mid_db(render(prompt, 8.0, stems=True).stems["bass"]) < -30.0


@pytest.mark.parametrize(("prompt", "seed"), [(p, 11) for p in LEAD_DRIVEN] + [("jazz", 1)])
def test_lead_driven_styles_hold_the_lead_within_3_lu_of_the_harmony(prompt, seed):
    stems = render(prompt, 12.0, seed=seed, stems=True, skip=2.0).stems  # jazz, seed 1: the lead comes in at 12.5 s
    assert abs(integrated_loudness(stems["lead"]) - integrated_loudness(stems["harmony"])) <= 3.0


def _beat_profile(pcm: np.ndarray, bpm: float, skip: float, slices: int = 8) -> np.ndarray:
    """Energy (dB, loudest 0) in ``slices`` equal parts of the beat, summed over every whole beat."""
    x = as_float(pcm).mean(axis=1)
    beat = 60.0 / bpm * SR
    first = beat - (skip * SR) % beat  # the first beat line after the skipped start
    energy = np.zeros(slices)
    for k in range(int((len(x) - first) // beat)):
        b0 = first + k * beat
        for j in range(slices):
            seg = x[int(b0 + j * beat / slices):int(b0 + (j + 1) * beat / slices)]
            energy[j] += float((seg**2).mean())
    return 10 * np.log10(energy / energy.max())


def test_pumping_styles_duck_the_harmony_right_after_each_beat():
    def dip(**flags) -> float:
        profile = _beat_profile(render("edm", 12.0, bpm=128, stems=True, skip=2.0, **flags).stems["harmony"], 128, 2.0)
        return float(profile[4:].mean() - profile[0])  # how far the beat's start sits under its second half

    pumped, still = dip(), dip(mute_drums=True)  # no kick, no sidechain
    assert pumped > still + 2.0, (pumped, still)
