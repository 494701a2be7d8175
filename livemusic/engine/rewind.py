"""Snapshots of an object graph's state, restored in place: a block rendered again from its start.

A live listener's generator renders 200 ms blocks but sends 40 ms chunks; a change
that arrives mid-block is made at the first frame not yet sent by rendering the
block again from a snapshot taken at its start (the frames already sent come out
the same). The composer is snapshotted generically, so that its modules need not
know about it (the bus keeps its own, smaller snapshots: :meth:`.Bus.snapshot`):

- an object's attributes, a list's items and a dict's entries are kept (shallow) and
  walked on; a restore puts them back into the same objects, so objects shared
  between parts stay shared;
- a writable numpy array's contents are copied (into a buffer reused from the last
  snapshot);
- a NumPy random generator's state is kept;
- values that cannot change in place (numbers, strings, frozen dataclasses, arrays
  that are not writable, functions and classes) are kept by reference.
"""

from __future__ import annotations

import dataclasses
import enum
import types
from typing import Any

import numpy as np

_ATOMS = (int, float, complex, str, bytes, bool, type(None), enum.Enum, range, slice,
          types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)


class Snapshotter:
    """Takes snapshots of ``roots`` (their state now) and restores the last one taken."""

    def __init__(self, *roots: object) -> None:
        self._roots = roots
        self._buffers: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # id(array): (array, copy)
        self._restore: list[tuple[Any, Any]] = []

    def take(self) -> None:
        """Remember the state of everything reachable from the roots."""
        self._restore = restore = []
        buffers, self._buffers = self._buffers, {}
        seen: set[int] = set()
        stack = list(self._roots)
        while stack:
            obj = stack.pop()
            if isinstance(obj, _ATOMS) or id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, np.ndarray):
                if obj.flags.writeable:
                    kept = buffers.get(id(obj))
                    copy = kept[1] if kept is not None and kept[0] is obj else np.empty_like(obj)
                    np.copyto(copy, obj)
                    self._buffers[id(obj)] = (obj, copy)
                    restore.append((obj, copy))
            elif isinstance(obj, tuple | frozenset):
                stack.extend(obj)
            elif isinstance(obj, list):
                restore.append((obj, list(obj)))
                stack.extend(obj)
            elif isinstance(obj, dict):
                restore.append((obj, dict(obj)))
                stack.extend(obj.values())
            elif isinstance(obj, np.random.Generator):
                restore.append((obj, obj.bit_generator.state))
            elif dataclasses.is_dataclass(obj) and obj.__dataclass_params__.frozen:
                continue  # a value (a style, the controls, a section)
            elif hasattr(obj, "__dict__"):
                state = vars(obj)
                restore.append((state, dict(state)))
                stack.extend(state.values())

    def restore(self) -> None:
        """Put back the state of the last snapshot taken (it stays valid: a block may be redone twice)."""
        for target, saved in self._restore:
            if isinstance(target, np.ndarray):
                np.copyto(target, saved)
            elif isinstance(target, list):
                target[:] = saved
            elif isinstance(target, dict):
                target.clear()
                target.update(saved)
            else:
                target.bit_generator.state = saved
