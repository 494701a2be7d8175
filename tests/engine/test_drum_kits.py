"""Drum kits sound like their families: measured on rendered hits and on prompts' drum stems."""

from __future__ import annotations

import numpy as np
import pytest

from livemusic.engine.drums import render_drum
from livemusic.engine.fields import named_kit

from .renders import SR, render


def hit(kind: str, kit: str) -> np.ndarray:
    return render_drum(kind, named_kit(kit), 1.0, 0.5, SR).astype(np.float64)


def peak_hz(x: np.ndarray, start: float, end: float) -> float:
    """The strongest frequency between ``start`` and ``end`` seconds (zero-padded FFT)."""
    seg = x[int(start * SR):int(end * SR)] * np.hanning(int(end * SR) - int(start * SR))
    spec = np.abs(np.fft.rfft(seg, 1 << 16))
    return float(np.fft.rfftfreq(1 << 16, 1 / SR)[np.argmax(spec)])


def fall_time(x: np.ndarray, db: float = 20.0) -> float:
    """Seconds until the hit stays ``db`` below its peak."""
    level = np.abs(x)
    still = np.flatnonzero(level > level.max() * 10 ** (-db / 20))
    return float(still[-1]) / SR


def band_share(x: np.ndarray, low: float, high: float) -> float:
    power = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / SR)
    return float(power[(f >= low) & (f < high)].sum() / power.sum())


def flatness(x: np.ndarray, low: float = 3000.0, high: float = 16000.0) -> float:
    """Spectral flatness (geometric over arithmetic mean) in a band: 1 for noise, low for a few partials."""
    power = np.abs(np.fft.rfft(x, 1 << 14)) ** 2
    f = np.fft.rfftfreq(1 << 14, 1 / SR)
    band = power[(f >= low) & (f < high)] + 1e-20
    return float(np.exp(np.log(band).mean()) / band.mean())


def crest_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.abs(x).max() / np.sqrt(np.mean(x ** 2))))


def test_808_kick_is_a_long_low_sine_that_drops_in_pitch():
    kick = hit("kick", "808")
    assert fall_time(kick) > 0.6
    assert peak_hz(kick, 0.2, 0.5) < 60.0
    assert peak_hz(kick, 0.0, 0.04) > 1.2 * peak_hz(kick, 0.2, 0.5)
    assert band_share(kick, 1000.0, SR / 2) < 0.01


def test_909_kick_is_shorter_than_the_808s_and_punchy_with_a_click():
    kick, boom = hit("kick", "909"), hit("kick", "808")
    assert fall_time(boom) > 1.6 * fall_time(kick)
    first = slice(0, int(0.005 * SR))
    assert band_share(kick[first], 2000.0, SR / 2) > 4 * band_share(boom[first], 2000.0, SR / 2)
    # its pitch falls fast from several times the final pitch
    assert peak_hz(kick, 0.0, 0.012) > 2.5 * peak_hz(kick, 0.1, 0.3)


@pytest.mark.parametrize("machine", ["808", "909"])
def test_machine_hats_are_metallic_partials_not_plain_noise(machine):
    assert flatness(hit("hat", machine)) < 0.8 * flatness(hit("hat", "acoustic"))


def test_808_hats_are_tinny_a_narrow_band():
    power = np.abs(np.fft.rfft(hit("hat", "808"))) ** 2
    f = np.fft.rfftfreq(len(hit("hat", "808")), 1 / SR)
    assert power[(f > 5000) & (f < 11000)].sum() > 0.6 * power.sum()


def test_808_cowbell_rings_at_540_and_800_hz():
    bell = hit("perc2", "808")
    power = np.abs(np.fft.rfft(bell, 1 << 15)) ** 2
    f = np.fft.rfftfreq(1 << 15, 1 / SR)
    for hz in (540.0, 800.0):
        near = power[(f > hz - 6) & (f < hz + 6)].max()
        around = np.median(power[(f > hz - 150) & (f < hz + 150)])
        assert near > 30 * around


def test_acoustic_snare_has_the_inharmonic_modes_of_a_skin():
    def mode_prominence(kit: str) -> float:
        x = hit("snare", kit)[: int(0.08 * SR)]
        power = np.abs(np.fft.rfft(x, 1 << 15)) ** 2
        f = np.fft.rfftfreq(1 << 15, 1 / SR)
        hz = named_kit(kit).snare_hz * 1.59
        return float(power[(f > hz - 8) & (f < hz + 8)].max() / np.median(power[(f > hz - 120) & (f < hz + 120)]))

    assert mode_prominence("acoustic") > 5 * mode_prominence("909")


def test_acoustic_hits_ring_in_a_room():
    dry, roomy = hit("rim", "909"), hit("rim", "acoustic")
    assert fall_time(roomy, 30.0) > 2 * fall_time(dry, 30.0)


def test_breakbeat_hits_are_compressed_and_crunchy():
    snare, clean = hit("snare", "breaks"), hit("snare", "acoustic")
    assert crest_db(snare) < crest_db(clean) - 1.5
    # a 26 kHz sampler's images of a kick's body above its Nyquist frequency
    assert band_share(hit("kick", "breaks"), 13500.0, 20000.0) > 2 * band_share(hit("kick", "acoustic"), 13500.0, 20000.0)


def test_breakbeat_prompt_drums_are_more_compressed_than_acoustic_drums():
    crunchy = render("breakbeat drums", 8.0, stems=True, skip=2.0).stems["drums"].astype(np.float64).mean(axis=1)
    clean = render("acoustic drums", 8.0, stems=True, skip=2.0).stems["drums"].astype(np.float64).mean(axis=1)
    assert crest_db(crunchy) < crest_db(clean) - 0.5
