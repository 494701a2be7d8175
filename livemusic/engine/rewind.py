"""Snapshots of an object graph's state, restored in place: a block rendered again from its start.

A live listener's generator renders 200 ms blocks but sends 40 ms chunks; a change
that arrives mid-block is made at the first frame not yet sent by rendering the
block again from a snapshot taken at its start (the frames already sent come out
the same). :class:`BlockRewind` keeps what that takes; :class:`Begun`, the
generator's own state at the block's start. The composer is snapshotted
generically, so that its modules need not know about it (the bus keeps its own,
smaller snapshots: :meth:`.Bus.snapshot`; the dry ring its undo of a block):

- an object's attributes, a list's items and a dict's entries are kept (shallow) and
  walked on; a restore puts them back into the same objects, so objects shared
  between parts stay shared;
- a writable numpy array's contents are copied;
- a NumPy random generator's state is kept;
- values that cannot change in place (numbers, strings, frozen dataclasses, arrays
  that are not writable, functions and classes) are kept by reference, and so are
  instances of a class that says its instances are values (``SNAPSHOT_AS_VALUE = True``:
  set once and then only read, but for a cache of what they compute, which a block
  rendered again computes the same).
"""

from __future__ import annotations

import dataclasses
import enum
import types
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from livemusic.engine.bus import Bus
    from livemusic.engine.composer import Composer, Controls
    from livemusic.engine.dry import DryRing
    from livemusic.engine.style import Style
    from livemusic.types import LiveMusicGenerationConfig, WeightedPrompt

_ATOMS = (int, float, complex, str, bytes, bool, type(None), enum.Enum, range, slice,
          types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)

# How a snapshot treats an object, by its type.
_ATOM, _ARRAY, _ITEMS, _LIST, _DICT, _RANDOM, _OBJECT = range(7)


def _kind(cls: type) -> int:
    """How a snapshot treats instances of ``cls`` (see the module's docstring)."""
    if issubclass(cls, _ATOMS):
        return _ATOM
    if issubclass(cls, np.ndarray):
        return _ARRAY
    if issubclass(cls, tuple | frozenset):
        return _ITEMS
    if issubclass(cls, list):
        return _LIST
    if issubclass(cls, dict):
        return _DICT
    if issubclass(cls, np.random.Generator):
        return _RANDOM
    if dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen or getattr(cls, "SNAPSHOT_AS_VALUE", False):
        return _ATOM  # a value (a style, the controls, a section, what the composer derives from them)
    return _OBJECT if cls.__dictoffset__ else _ATOM  # instances with attributes, or none (slots)


class Snapshotter:
    """Takes snapshots of ``roots`` (their state now) and restores the last one taken.

    A snapshot is taken before every block of a live session, so it is made for speed:
    each type is classified once, and the composer's arrays are small (copied whole).
    """

    def __init__(self, *roots: object) -> None:
        self._roots = roots
        self._kinds: dict[type, int] = {}
        self._restore: list[tuple[Any, Any]] = []

    def take(self) -> None:
        """Remember the state of everything reachable from the roots."""
        self._restore = restore = []
        kinds = self._kinds
        seen: set[int] = set()
        stack: list = []
        self._walk(self._roots, stack)
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            kind = kinds[type(obj)]
            if kind == _ARRAY:
                restore.append((obj, obj.copy()))
            elif kind == _ITEMS:
                self._walk(obj, stack)
            elif kind == _LIST:
                restore.append((obj, list(obj)))
                self._walk(obj, stack)
            elif kind == _DICT:
                restore.append((obj, dict(obj)))
                self._walk(obj.values(), stack)
            elif kind == _RANDOM:
                restore.append((obj, obj.bit_generator.state))
            else:
                state = vars(obj)
                restore.append((state, dict(state)))
                self._walk(state.values(), stack)

    def _walk(self, children, stack: list) -> None:
        """Push the ``children`` that hold state (not values nor read-only arrays) onto ``stack``."""
        kinds = self._kinds
        for child in children:
            cls = type(child)
            kind = kinds.get(cls)
            if kind is None:
                kind = kinds[cls] = _kind(cls)
            if kind == _ATOM or (kind == _ARRAY and not child.flags.writeable):
                continue
            stack.append(child)

    def restore(self) -> None:
        """Put back the state of the last snapshot taken (it stays valid: a block may be redone twice)."""
        for target, saved in self._restore:
            if isinstance(target, np.ndarray):
                target[...] = saved
            elif isinstance(target, list):
                target[:] = saved
            elif isinstance(target, dict):
                target.clear()
                target.update(saved)
            else:
                target.bit_generator.state = saved


class Begun(NamedTuple):
    """A block's start and the generator's state there (the rest is in the composer's, bus's and ring's undo)."""

    frame: int
    style: Style
    target: Style
    config: LiveMusicGenerationConfig
    seed: int
    started: bool
    ctl: Controls | None
    reset_pending: bool
    #: The scheduled changes applied in the block, taken off the schedule.
    applied: list[tuple[int, int, list[WeightedPrompt] | None, LiveMusicGenerationConfig | None, bool]]


class BlockRewind:
    """What a rewindable generator keeps to render its last block again: the composer's state at the block's
    start (a :class:`Snapshotter`), the bus's own snapshot, and the dry ring's undo of the block."""

    def __init__(self, composer: Composer, bus: Bus, dry: DryRing) -> None:
        self._composer = Snapshotter(composer)
        self._bus, self._dry = bus, dry
        self._bus_state: tuple | None = None

    def take(self) -> None:
        """Before a block: remember the composer's and the bus's state (the dry ring keeps its undo itself)."""
        self._composer.take()
        self._bus_state = self._bus.snapshot()

    def restore(self) -> None:
        """Back to the start of the last block (the snapshot stays valid: a block may be redone twice)."""
        self._composer.restore()
        self._bus.restore(self._bus_state)
        self._dry.undo_block()
