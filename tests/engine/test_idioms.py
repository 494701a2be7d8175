"""Genre idioms, measured on the parts: metal's double kick and amp, flamenco's Phrygian centre and key, jazz's swing,
reggae's one drop, a film score's low-string ostinato."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from livemusic.types import Scale

from .analysis import SR, chroma, mono, onset_rate
from .renders import render


def _band_db(pcm: np.ndarray, lo: float, hi: float, ref: tuple[float, float]) -> float:
    f, p = signal.welch(mono(pcm), fs=SR, nperseg=4096)
    band = p[(f >= lo) & (f < hi)].sum()
    return float(10 * np.log10(band / p[(f >= ref[0]) & (f < ref[1])].sum()))


def _kicks_per_second(drums: np.ndarray) -> float:
    """Peaks of the drums' low band (under 150 Hz), its level in 25 ms windows (longer than a period of the
    lowest kick, so the level follows the hits, not the wave) every 5 ms, at least 40 ms apart."""
    low = signal.sosfilt(signal.butter(4, 150, "lp", fs=SR, output="sos"), mono(drums))
    env = np.sqrt(np.convolve(low**2, np.ones(SR // 40) / (SR // 40), mode="same")[:: SR // 200])
    peaks, _ = signal.find_peaks(env, height=0.3 * env.max(), distance=8, prominence=0.15 * env.max())
    return len(peaks) / (len(low) / SR)


def _notes_per_second(pcm: np.ndarray) -> float:
    """Peaks of a part's level (25 ms windows every 5 ms) standing 3 dB above their surroundings."""
    x = mono(pcm)
    env = np.sqrt(np.convolve(x**2, np.ones(SR // 40) / (SR // 40), mode="same")[:: SR // 200])
    peaks, _ = signal.find_peaks(20 * np.log10(env / env.max() + 1e-6), prominence=3.0, distance=8)
    return len(peaks) / (len(x) / SR)


def test_metal_drums_play_a_double_kick():
    def kicks(prompt: str) -> float:
        return _kicks_per_second(render(prompt, 8.0, bpm=150, stems=True, skip=1.0).stems["drums"])

    assert kicks("heavy metal") >= 6.0  # 16ths at 150 bpm are 10 a second
    assert kicks("classic rock") <= 4.0  # a rock kick plays a few a bar


def test_metal_guitars_go_through_a_cabinet():
    harm = render("heavy metal", 8.0, bpm=150, stems=True, skip=1.0).stems["harmony"]
    # distorted (rich up to the presence peak) and then cut above the speaker's range
    assert _band_db(harm, 9000, 16000, (1000, 5000)) < -25.0


def test_flamenco_centres_on_the_phrygian_degree_of_the_scale():
    bass = render("flamenco", 16.0, scale=Scale.C_MAJOR_A_MINOR, stems=True).stems["bass"]
    c = chroma(bass, fmin=30.0, fmax=400.0)
    assert set(np.flatnonzero(c > 0.02 * c.sum())) <= set(Scale.C_MAJOR_A_MINOR.pitch_classes)
    assert int(np.argmax(c)) == 4  # E: the Phrygian centre of C major's notes


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_flamenco_plays_in_e_whatever_the_seed(seed):
    bass = render("flamenco", 16.0, seed=seed, stems=True).stems["bass"]
    assert int(np.argmax(chroma(bass, fmin=60.0, fmax=400.0))) == 4  # E: the genre's key, its Phrygian centre


def test_reggae_drops_the_kick_on_beat_three():
    drums = render("reggae", 12.6, bpm=76, stems=True).stems["drums"]  # four bars from the first downbeat
    low = signal.sosfilt(signal.butter(4, 150, "lp", fs=SR, output="sos"), mono(drums))
    beat = round(60 / 76 * SR)
    energy = [sum(float((low[(4 * bar + k) * beat:][: SR // 10] ** 2).sum()) for bar in range(4)) for k in range(4)]
    assert 10 * np.log10(energy[2] / energy[0]) > 20.0  # the one drop: nothing on the one, the kick on three


def test_an_orchestral_score_drives_on_a_low_string_ostinato():
    cellos = render("orchestral score", 8.0, bpm=96, stems=True, skip=1.0).stems["bass"]
    assert _notes_per_second(cellos) >= 4.0  # a gallop on every beat: 12 notes a bar, 4.8 a second


def _second_eighths(prompt: str, bpm: int) -> float:
    """Where in the beat (0..1) the drums' hits around its second 8th land, by the notes the engine played
    (its MIDI): the median of those between 0.4 and 0.8 of a beat."""
    from .renders import generator

    g = generator(prompt, bpm=bpm)
    beat = 60.0 / bpm * SR
    where = np.array([n.frame % beat / beat for n in g.render(20 * SR, notes=True).notes if n.part == "drums"])
    return float(np.median(where[(where > 0.4) & (where < 0.8)]))


def test_jazz_swings_its_eighths():
    assert 0.56 <= _second_eighths("jazz", 140) <= 0.7  # 0.5 straight, 2/3 a triplet


def test_hip_hop_swings_sixteenths_leaving_its_eighths_straight():
    assert _second_eighths("lo-fi hip hop", 82) <= 0.53
