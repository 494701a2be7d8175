"""What a rewindable generator's snapshot before every block copies, and what it keeps by reference."""

from __future__ import annotations

import tracemalloc
from types import SimpleNamespace

import numpy as np

from livemusic.engine.composer import Composer
from livemusic.engine.plan import Controls, Derived
from livemusic.engine.rewind import Snapshotter
from livemusic.engine.style import DEFAULT_STYLE
from livemusic.types import LiveMusicGenerationConfig


def _snapshot_bytes(array: np.ndarray) -> int:
    """Peak bytes allocated by a snapshot of an object holding ``array``."""
    snapshots = Snapshotter(SimpleNamespace(array=array))
    tracemalloc.start()
    snapshots.take()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_a_snapshot_keeps_a_read_only_array_by_reference():
    array = np.zeros(1 << 20)
    array.flags.writeable = False
    assert _snapshot_bytes(array) < array.nbytes // 100


def test_a_snapshot_copies_a_writable_array():
    array = np.zeros(1 << 20)
    assert _snapshot_bytes(array) >= array.nbytes


def test_the_composers_derived_arrays_and_remembered_choices_are_read_only():
    """Computed once, they are kept by reference by the snapshot, not copied before every block."""
    d = Derived(DEFAULT_STYLE, Controls.of(LiveMusicGenerationConfig(), DEFAULT_STYLE))
    choice = d.remember(("lead",), (np.arange(60, 72), np.linspace(0.0, 1.0, 12)), 0.5, 4)
    arrays = [d.drum_p, d.bass_p, d.harm_p, d.harm_p_sharp, d.lead_p, *choice]
    assert not any(a.flags.writeable for a in arrays if a is not None)


def test_a_phrases_and_a_bars_random_draws_are_read_only():
    """Drawn once per phrase and bar, they are kept by reference by the snapshot, not copied before every block."""
    composer = Composer(48_000, seed=1)
    list(composer.events(0, 48_000, DEFAULT_STYLE, Controls.of(LiveMusicGenerationConfig(), DEFAULT_STYLE)))
    phrase, bar = composer.phrase, composer.bar
    arrays = [phrase.drum_u, phrase.bass_u, phrase.harm_u, phrase.lead_u, phrase.pitch_u, phrase.contour,
              bar.drum_u, bar.bass_u, bar.harm_u, bar.lead_u, bar.pitch_u, bar.vel_u]
    assert not any(a.flags.writeable for a in arrays)


def test_a_snapshot_keeps_what_the_composer_derives_by_reference():
    """``Derived`` is a value to the snapshot: not walked into, and its cache of choices is not put back
    (a block rendered again remembers the same choices)."""
    d = Derived(DEFAULT_STYLE, Controls.of(LiveMusicGenerationConfig(), DEFAULT_STYLE))
    holder = SimpleNamespace(derived=d)
    snapshots = Snapshotter(holder)
    snapshots.take()
    d.remember(("lead",), (np.arange(60, 72), np.linspace(0.0, 1.0, 12)), 0.5, 4)
    holder.derived = None
    snapshots.restore()
    assert holder.derived is d and ("lead",) in d.memo
