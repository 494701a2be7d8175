"""An ending: asked to finish, the band plays an outro and a closing chord instead of fading out."""

from __future__ import annotations

import numpy as np

from .analysis import as_float, rms_db
from .renders import SR, generator

BPM = 120
BAR = 2 * SR  # frames per bar at 120 bpm


def _finished(prompt: str):
    g = generator(prompt, bpm=BPM)
    g.render(20 * SR)  # into the main part
    closing = g.finish(bars=2)
    block = g.render(closing - 20 * SR + 4 * SR, notes=True)
    return closing - 20 * SR, block  # the closing downbeat, relative to the block


def test_finishing_ends_on_a_closing_chord_two_bars_after_the_next_bar_line():
    closing, block = _finished("house")
    assert 2 * BAR <= closing <= 3 * BAR
    onsets = np.array([n.frame for n in block.notes]) - 20 * SR
    assert onsets.max() <= closing + SR // 50  # nothing starts after the closing chord (humanized by a few ms)
    struck = [n for n in block.notes if abs(n.frame - 20 * SR - closing) <= SR // 50]
    assert {n.part for n in struck} >= {"drums", "bass", "harmony"}


def test_the_closing_chord_is_struck_not_faded_and_then_rings_out():
    closing, block = _finished("house")
    mix = as_float(block.mix)
    outro = rms_db(mix[closing - BAR:closing])
    hit = rms_db(mix[closing:closing + SR // 2])
    assert hit >= outro - 3.0  # as loud as the outro: a chord struck, not a fade
    assert rms_db(mix[closing + 3 * SR:closing + 4 * SR]) <= hit - 30.0  # three seconds later it has rung out


def test_a_drumless_style_ends_on_its_chord_too():
    closing, block = _finished("ambient")
    parts = {n.part for n in block.notes if abs(n.frame - 20 * SR - closing) <= SR // 50}
    assert "harmony" in parts and "drums" not in parts
