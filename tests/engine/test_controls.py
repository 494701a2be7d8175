"""Every control of the protocol, measured on rendered audio."""

from __future__ import annotations

import numpy as np
import pytest

from livemusic.types import MusicGenerationMode, Scale, WeightedPrompt

from .analysis import (
    centroid,
    feature_track,
    in_scale_share,
    mean_bar_distance,
    onset_rate,
    rms_db,
    settle_time,
    stft_mag,
    mono,
    tempo,
)
from .renders import SR, generator, render

SCALES = [s for s in Scale if s is not Scale.SCALE_UNSPECIFIED]


@pytest.mark.parametrize("bpm", [60, 87, 120, 163, 200])
def test_bpm_sets_the_tempo_within_2_percent(bpm):
    mix = render("minimal techno", 14.0, bpm=bpm, skip=1.0).mix
    assert tempo(mix, bpm) == pytest.approx(bpm, rel=0.02)


@pytest.mark.parametrize("scale", SCALES, ids=[s.name for s in SCALES])
def test_scale_keeps_90_percent_of_pitched_energy_in_key(scale):
    mix = render("neo-soul with rhodes piano", 6.0, scale=scale, seed=4).mix
    assert in_scale_share(mix, scale.pitch_classes) >= 0.9


def test_brightness_raises_the_spectral_centroid():
    values = [centroid(render("deep house", 10.0, brightness=b).mix) for b in (0.0, 0.5, 1.0)]
    assert values[0] < values[1] < values[2]


def test_density_raises_the_onset_rate():
    values = [onset_rate(render("deep house", 12.0, density=d).mix) for d in (0.0, 0.5, 1.0)]
    assert values[0] < values[1] < values[2]


@pytest.mark.parametrize(
    ("flags", "removed"),
    [
        ({"mute_drums": True}, ["drums"]),
        ({"mute_bass": True}, ["bass"]),
        ({"only_bass_and_drums": True}, ["harmony", "lead"]),
    ],
)
def test_mutes_remove_their_parts_by_at_least_20_db(flags, removed):
    base = render("funk", 8.0, stems=True)
    muted = render("funk", 8.0, stems=True, **flags)
    for name, pcm in base.stems.items():
        before, after = rms_db(pcm), rms_db(muted.stems[name])
        if name in removed:
            assert after <= before - 20.0, name
        else:
            assert after > before - 6.0, name
    kept = sum(muted.stems[n].astype(np.float64) for n in muted.stems if n not in removed)
    assert rms_db((muted.mix - kept) / 32768.0) <= rms_db(muted.mix) - 20.0


def test_higher_temperature_gives_more_varied_bars():
    calm = mean_bar_distance(render("house", 40.0, bpm=124, temperature=0.0).mix, 124)
    wild = mean_bar_distance(render("house", 40.0, bpm=124, temperature=2.0).mix, 124)
    assert wild > calm * 1.3


def test_top_k_of_one_narrows_the_choices():
    narrow = mean_bar_distance(render("jazz fusion", 40.0, bpm=120, temperature=1.5, top_k=1).mix, 120)
    wide = mean_bar_distance(render("jazz fusion", 40.0, bpm=120, temperature=1.5, top_k=40).mix, 120)
    assert narrow < wide


def _settle_after_switch(guidance: float) -> float:
    """Seconds until the drums of the new prompt (absent from the old one) reach their level."""
    g = generator("ambient", bpm=120, guidance=guidance, seed=9)
    before = g.render(SR * 6, stems=True).stems["drums"]
    g.set_prompts([WeightedPrompt(text="drum and bass", weight=1.0)])
    after = g.render(SR * 24, stems=True).stems["drums"]
    track = feature_track(np.concatenate([before, after]), 0.25, lambda pcm: max(rms_db(pcm), -80.0))
    smooth = np.convolve(track, np.ones(4) / 4, mode="valid")  # one-second windows, ending at each point
    return settle_time(np.concatenate([np.full(3, smooth[0]), smooth]), 0.25, 6.0, fraction=0.85)


def test_guidance_sets_how_fast_the_music_moves_to_new_prompts():
    fast = _settle_after_switch(6.0)
    slow = _settle_after_switch(0.0)
    assert fast <= 1.5          # about a beat (0.5 s at 120 bpm), plus the one-second analysis window
    assert slow >= 4.0          # several bars
    assert slow > 3 * fast


def test_diversity_mode_varies_more_than_quality():
    quality = mean_bar_distance(render("synthpop", 40.0, bpm=118).mix, 118)
    diverse = mean_bar_distance(render("synthpop", 40.0, bpm=118, music_generation_mode=MusicGenerationMode.DIVERSITY).mix, 118)
    assert diverse > quality


def test_vocalization_adds_a_voice_with_energy_in_vowel_formants():
    plain = render("minimal techno", 12.0, stems=True).stems["lead"]
    sung = render("minimal techno", 12.0, stems=True, music_generation_mode=MusicGenerationMode.VOCALIZATION).stems["lead"]
    assert rms_db(sung) > rms_db(plain) + 3.0
    freqs = np.fft.rfftfreq(8192, 1 / SR)
    spec = (stft_mag(mono(sung), 8192, 4096) ** 2).mean(axis=0)
    band = lambda lo, hi: spec[(freqs >= lo) & (freqs < hi)].sum()
    # formant filtering gathers the voice's energy where vowels have their first two formants
    assert band(300, 1300) > 10 * band(1800, 2300)
    assert band(300, 1300) > 0.5 * spec[(freqs >= 60) & (freqs < 8000)].sum()


def test_scale_change_takes_effect_at_the_next_bar_without_reset():
    g = generator("neo-soul with rhodes piano", scale=Scale.C_MAJOR_A_MINOR, seed=4)
    g.render(SR * 6)
    g.set_config({"seed": 4, "scale": "G_FLAT_MAJOR_E_FLAT_MINOR"})
    g.render(SR * 4)  # the current bar, and the old chords' release
    after = g.render(SR * 6).mix
    assert in_scale_share(after, Scale.G_FLAT_MAJOR_E_FLAT_MINOR.pitch_classes) >= 0.9
