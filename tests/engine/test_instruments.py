"""Acoustic instruments sound like their names: measured on their notes and on the parts that play them.

Notes are rendered with the engine's own sounds (the ones a prompt picks) and measured
as audio: spectral centroid, how fast a note speaks and dies away, its pitch over time.
"""

from __future__ import annotations

import numpy as np

from livemusic.engine.fields import SOUND_TIMBRES
from livemusic.engine.synth import render_tone

from .analysis import SR, centroid
from .renders import render


def note(sound: str, midi: float, vel: float = 1.0, seconds: float = 1.5) -> np.ndarray:
    """One note of an instrument sound, held ``seconds``, at mid brightness."""
    return render_tone(SOUND_TIMBRES[sound], midi, seconds, vel, 0.5, SR).astype(np.float64)


def envelope(x: np.ndarray, frame: int = 240) -> np.ndarray:
    """RMS in 5 ms frames."""
    return np.sqrt((x[: len(x) // frame * frame].reshape(-1, frame) ** 2).mean(axis=1))


def seconds_to_fall(x: np.ndarray, db: float) -> float:
    """How long after its peak a note's level first falls ``db`` below that peak."""
    env = envelope(x)
    peak = int(env.argmax())
    below = np.flatnonzero(env[peak:] < env[peak] * 10 ** (-db / 20))
    return (below[0] if len(below) else len(env) - peak) * 240 / SR


def attack_seconds(x: np.ndarray) -> float:
    """Time from 10 % to 90 % of the level the note holds (the median of its first second)."""
    env = envelope(x)
    held = float(np.median(env[: SR // 240]))
    return (np.flatnonzero(env >= 0.9 * held)[0] - np.flatnonzero(env >= 0.1 * held)[0]) * 240 / SR


def pitch_hz(x: np.ndarray, lo: float, hi: float) -> float:
    """The fundamental of ``x`` by autocorrelation, searched between ``lo`` and ``hi`` Hz, refined by a parabola."""
    x = x - x.mean()
    ac = np.fft.irfft(np.abs(np.fft.rfft(x, 4 * len(x))) ** 2)[: len(x)]
    a, b = int(SR / hi), int(SR / lo)
    k = a + int(np.argmax(ac[a:b]))
    y0, y1, y2 = ac[k - 1], ac[k], ac[k + 1]
    return SR / (k + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2))


def test_steel_string_guitar_is_brighter_than_nylon():
    for midi in (45, 52, 59, 64):
        steel, nylon = note("steel", midi), note("nylon", midi)
        assert centroid(steel[: SR // 2]) > 1.5 * centroid(nylon[: SR // 2]), midi


def test_steel_string_guitar_rings_longer_than_nylon():
    for midi in (45, 52, 59, 64):
        assert seconds_to_fall(note("steel", midi), 20) > 1.4 * seconds_to_fall(note("nylon", midi), 20), midi


def test_acoustic_guitar_prompt_plays_brighter_than_nylon_guitar_prompt():
    steel = render("acoustic guitar", 6.0, bpm=100, stems=True, skip=1.0).stems["harmony"]
    nylon = render("nylon guitar", 6.0, bpm=100, stems=True, skip=1.0).stems["harmony"]
    assert centroid(steel) > 1.4 * centroid(nylon)


def test_upright_bass_dies_away_sooner_than_electric_bass():
    for midi in (33, 40, 47):
        upright, electric = note("upright", midi), note("electric_bass", midi)
        assert seconds_to_fall(upright, 20) < 0.5
        assert seconds_to_fall(upright, 20) < 0.5 * seconds_to_fall(electric, 20), midi


def test_upright_bass_pluck_starts_sharp_and_settles():
    for midi in (36, 43):
        x = note("upright", midi)
        f0 = 440.0 * 2 ** ((midi - 69) / 12)
        start = pitch_hz(x[: int(0.03 * SR)], 0.8 * f0, 1.25 * f0)
        settled = pitch_hz(x[int(0.25 * SR): int(0.45 * SR)], 0.8 * f0, 1.25 * f0)
        assert 1200 * np.log2(start / settled) > 10.0, midi  # cents sharp at the pluck
        assert abs(1200 * np.log2(settled / f0)) < 5.0, midi


def test_brass_brightens_when_played_louder():
    for midi in (55, 62, 69):
        soft, loud = note("brass", midi, vel=0.5), note("brass", midi, vel=1.0)
        assert centroid(loud[: SR]) > 1.6 * centroid(soft[: SR]), midi


def test_brass_speaks_slower_than_a_plucked_string():
    for midi in (55, 62, 69):
        assert attack_seconds(note("brass", midi)) > 0.035, midi
        assert attack_seconds(note("brass", midi)) > 4 * attack_seconds(note("steel", midi)), midi


def test_brass_section_is_several_players_where_a_trumpet_is_one():
    def waver(x: np.ndarray) -> float:  # players a few cents apart beat against each other
        env = envelope(x[int(0.3 * SR): int(1.3 * SR)], frame=960)
        return float(env.std() / env.mean())

    for midi in (62, 69):
        assert waver(note("brass", midi)) > 2 * waver(note("trumpet", midi)), midi
