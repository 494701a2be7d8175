"""Memory the engine keeps: what it caches for notes stays small, whatever long sounds it renders."""

from __future__ import annotations

from livemusic.engine import filters
from livemusic.engine.arrangement import render_riser


def _kept() -> list[int]:
    return [cached.cache_info().currsize
            for cached in (filters._unit_circle, filters._noise_spectrum, filters._filtered_noise)]


def test_a_riser_keeps_none_of_its_spectra_in_the_note_caches():
    before = _kept()
    render_riser(16.0, 0.5, 48_000)  # an 8-bar build at 120 bpm: six bands of 16 s of noise
    assert _kept() == before
