"""The prompt vocabulary: Lyria's prompt-guide terms are known, unknown words degrade gracefully."""

from __future__ import annotations

import pytest

from livemusic.engine.style import terms_of, vocabulary_size

# The abridged lists of Google's Lyria RealTime prompt guide (instruments, genres, moods).
GUIDE = [
    "303 Acid Bass", "808 Hip Hop Beat", "Accordion", "Alto Saxophone", "Bagpipes", "Banjo", "Bongos",
    "Buchla Synths", "Cello", "Clavichord", "Didgeridoo", "Djembe", "Flamenco Guitar", "Hang Drum", "Harp",
    "Kalimba", "Koto", "Marimba", "Mellotron", "Moog Oscillations", "Rhodes Piano", "Sitar", "Steel Drum",
    "Synth Pads", "Tabla", "TR-909 Drum Machine", "Vibraphone", "Warm Acoustic Guitar",
    "Acid Jazz", "Afrobeat", "Bossa Nova", "Chiptune", "Deep House", "Drum & Bass", "Dubstep", "Electro Swing",
    "Lo-Fi Hip Hop", "Minimal Techno", "Neo-Soul", "Orchestral Score", "Psytrance", "Reggaeton", "Shoegaze",
    "Synthpop", "Trip Hop", "Vaporwave",
    "Ambient", "Bright Tones", "Chill", "Crunchy Distortion", "Danceable", "Dreamy", "Ethereal Ambience",
    "Fat Beats", "Glitchy Effects", "Huge Drop", "Lo-fi", "Ominous Drone", "Swirling Phasers", "Tight Groove",
    "Upbeat", "Virtuoso",
]


@pytest.mark.parametrize("term", GUIDE)
def test_prompt_guide_terms_are_known_exactly(term):
    found = terms_of(term)
    assert len(found) == 1 and found[0][1] == 1.0


def test_the_vocabulary_has_at_least_150_terms():
    assert vocabulary_size() >= 150


@pytest.mark.parametrize(("text", "expected"), [("saxofone", "alto saxophone"), ("technoo", "techno"), ("dubstepp", "dubstep")])
def test_misspelled_words_resolve_to_the_nearest_term(text, expected):
    assert expected in [term for term, _ in terms_of(text)]
