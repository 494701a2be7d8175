"""Genre idioms, measured on the parts: metal's double kick and amp, flamenco's Phrygian centre."""

from __future__ import annotations

import numpy as np
from scipy import signal

from livemusic.types import Scale

from .analysis import SR, chroma, mono, onset_rate
from .renders import render


def _band_db(pcm: np.ndarray, lo: float, hi: float, ref: tuple[float, float]) -> float:
    f, p = signal.welch(mono(pcm), fs=SR, nperseg=4096)
    band = p[(f >= lo) & (f < hi)].sum()
    return float(10 * np.log10(band / p[(f >= ref[0]) & (f < ref[1])].sum()))


def _kicks_per_second(drums: np.ndarray) -> float:
    """Peaks of the drums' low band (under 150 Hz) in 5 ms frames, at least 40 ms apart."""
    low = signal.sosfilt(signal.butter(4, 150, "lp", fs=SR, output="sos"), mono(drums))
    frame = SR // 200
    env = np.sqrt((low[: len(low) // frame * frame].reshape(-1, frame) ** 2).mean(axis=1))
    peaks, _ = signal.find_peaks(env, height=0.3 * env.max(), distance=8, prominence=0.15 * env.max())
    return len(peaks) / (len(low) / SR)


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
