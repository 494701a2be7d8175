"""The sound cache: rendered notes and hits, kept while they are used, keyed by quantized parameters."""

from __future__ import annotations

import mmap
from collections import OrderedDict

import numpy as np


class SoundCache:
    """A bounded LRU cache of rendered notes and hits, keyed by their quantized parameters."""

    def __init__(self, max_samples: int = 40_000_000) -> None:
        self._items: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._samples = 0
        self._max = max_samples

    @property
    def samples(self) -> int:
        """Samples held (float32: 4 bytes each)."""
        return self._samples

    def clear(self) -> None:
        self._items.clear()
        self._samples = 0

    def get(self, key: tuple, make, spare: bool = False) -> np.ndarray:
        """The sound cached under ``key``, else ``make()``'s, cached.

        A ``spare`` sound (one only used to build others, such as a chord's notes) joins at
        the old end: when the cache is full, such sounds leave before the sounds played.
        """
        item = self.find(key)
        if item is not None:
            return item
        item = _in_own_pages(make())
        item.setflags(write=False)
        self._items[key] = item
        if spare:
            self._items.move_to_end(key, last=False)
        self._samples += item.size
        self._trim()
        return item

    def find(self, key: tuple) -> np.ndarray | None:
        """The sound cached under ``key`` (now the most recently used), or None."""
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def __contains__(self, key: tuple) -> bool:
        return key in self._items

    def limit(self, max_samples: int) -> None:
        """Hold at most ``max_samples`` from now on, forgetting the least recently used sounds beyond it."""
        self._max = max_samples
        self._trim()

    def _trim(self) -> None:
        while self._samples > self._max and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self._samples -= old.size


def _in_own_pages(wave: np.ndarray) -> np.ndarray:
    """``wave``, copied into memory mapped for it alone when it is large.

    Cached sounds live for minutes and leave in LRU order, while a render's temporaries
    come and go every block: in the allocator's heap, each sound that left the cache
    left a hole that the next, differently sized sound did not fill, and a server's RSS
    grew by tens of MB per hour (``benchmarks/soak.py``). Pages of their own go back to
    the system when the sound leaves the cache.
    """
    if wave.nbytes < _OWN_PAGES_BYTES:
        return wave
    pages = mmap.mmap(-1, wave.nbytes, **_PAGES)
    copy = np.frombuffer(pages, dtype=wave.dtype, count=wave.size).reshape(wave.shape)
    copy[...] = wave
    return copy


_OWN_PAGES_BYTES = 64 * 1024  # smaller sounds (short hits) stay in the heap: a page each would waste more
#: Private pages, faulted in by the kernel all at once (Linux): a sound's first write then
#: runs at memory speed instead of taking one page fault per 4 KB (2.4x faster to cache).
_PAGES = ({"flags": mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_POPULATE", 0)}
          if hasattr(mmap, "MAP_ANONYMOUS") else {})


def quantize(values, step: float = 1 / 16) -> tuple:
    return tuple(round(v / step) for v in values)
