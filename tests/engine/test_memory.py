"""Memory the engine keeps: what it caches for notes stays small, whatever long sounds it renders."""

from __future__ import annotations

from livemusic.engine import filters, voicing
from livemusic.engine.arrangement import render_riser
from livemusic.engine.composer import STEM_DRUMS, Composer
from livemusic.engine.plan import Event
from livemusic.engine.style import DEFAULT_STYLE
from livemusic.engine.voicing import StyleSettings, event_sounds

SR = 48_000


def _kept() -> list[int]:
    return [cached.cache_info().currsize
            for cached in (filters._unit_circle, filters._noise_spectrum, filters._filtered_noise)]


def test_a_riser_keeps_none_of_its_spectra_in_the_note_caches():
    before = _kept()
    render_riser(16.0, 0.5, SR)  # an 8-bar build at 120 bpm: six bands of 16 s of noise
    assert _kept() == before


def _builds(tempos) -> None:
    """The risers of 8-bar builds at each of ``tempos`` (bpm), played as the generator plays them."""
    fx, composer = StyleSettings(DEFAULT_STYLE), Composer(SR, 1)
    for bpm in tempos:
        riser = Event(STEM_DRUMS, 0, "riser", dur=8 * 4 * 60 / bpm, vel=0.2)
        event_sounds(riser, fx, 0.5, composer, SR)


def test_a_long_sets_risers_stay_within_their_own_bound():
    _builds(range(100, 122, 2))  # eleven tempos: 9.2 M samples of risers, were they all kept
    assert voicing._RISERS.samples <= voicing.RISER_CACHE_SAMPLES


def test_a_riser_leaves_the_notes_cached_as_they_were():
    before = voicing._CACHE.samples
    _builds([97])
    assert voicing._CACHE.samples == before
