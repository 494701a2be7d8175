"""The dry stems' ring: what the notes played so far ring into the coming frames, block by block.

Notes are mixed in as they start: the part within the current block at once, the
rest (their tails) when the next block begins. So until then the ring beyond the
current block holds only what earlier blocks left there, and the current block can
be undone (:meth:`DryRing.undo_block`) and rendered again with a change in it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from livemusic.engine.dsp import F32

#: How far ahead a note may ring (longer ones are cut there).
RING_SECONDS = 12


class DryRing:
    """Dry stems ``(stem, channel, frame)`` in a ring of whole blocks, read and cleared one block at a time."""

    def __init__(self, stems: int, sample_rate: int, block: int, *, undoable: bool = False) -> None:
        """``undoable``: keep what :meth:`undo_block` needs (a copy of each block, and of the stems a cut clears)."""
        self.sample_rate = sample_rate
        self.undoable = undoable
        self.block = block
        self.ring = np.zeros((stems, 2, int(RING_SECONDS * sample_rate) // block * block), F32)
        self.pos = 0  # ring index of the current block's first frame
        #: Tails of the current block's notes, mixed in when the next block begins: (stem, ring index, wave, gains).
        self._tails: list[tuple[int, int, np.ndarray, np.ndarray | np.float32]] = []
        self._start = np.zeros((stems, 2, block) if undoable else (0,), F32)  # the current block as it began
        self._cuts: list[tuple[list[int], np.ndarray]] = []  # stems cut in the current block, as they were

    def begin_block(self) -> None:
        """Mix in the last block's tails and remember the block about to be filled (to undo it)."""
        for stem, at, wave, gains in self._tails:
            self._add(stem, at, wave, gains)
        self._tails.clear()
        self._cuts.clear()
        if self.undoable:
            np.copyto(self._start, self.current())

    def current(self) -> np.ndarray:
        """The current block ``(stem, channel, frame)``, a view: effects work on it in place."""
        return self.ring[:, :, self.pos:self.pos + self.block]

    def end_block(self) -> None:
        """The current block has been heard: clear it and move on to the next."""
        self.current()[...] = 0.0
        self.pos = (self.pos + self.block) % self.ring.shape[2]

    def undo_block(self) -> None:
        """Back to the start of the block just ended, as it was before any note was mixed into it."""
        self.pos = (self.pos - self.block) % self.ring.shape[2]
        for stems, before in reversed(self._cuts):
            self.ring[stems] = before
        np.copyto(self.current(), self._start)
        self._tails.clear()
        self._cuts.clear()

    def mix_in(self, stem: int, offset: int, wave: np.ndarray, gains: np.ndarray | np.float32) -> None:
        """Add ``wave`` times ``gains`` into ``stem`` from ``offset`` frames into the current block.

        ``wave`` is mono ``(n,)`` with ``gains`` ``(2, 1)`` (its pan), or stereo
        ``(2, n)`` with a scalar gain: one broadcast operation either way.
        """
        cap = self.ring.shape[2]
        length = min(wave.shape[-1], cap - self.block - offset)
        now = min(length, self.block - offset)
        if now > 0:
            self.ring[stem, :, self.pos + offset:self.pos + offset + now] += gains * wave[..., :now]
        if length > max(now, 0):
            begin = max(now, 0)
            self._tails.append((stem, (self.pos + offset + begin) % cap, wave[..., begin:length], gains))

    def cut(self, stems: Iterable[int], offset: int) -> None:
        """Fade ``stems`` out over 10 ms from ``offset`` into the current block and drop their tails."""
        stems = list(stems)
        ring = self.ring
        cap = ring.shape[2]
        if self.undoable:
            self._cuts.append((stems, ring[stems].copy()))
        for tail in [t for t in self._tails if t[0] in stems]:  # the fade may reach into them
            self._add(*tail)
        self._tails = [t for t in self._tails if t[0] not in stems]
        fade = int(0.01 * self.sample_rate)
        faded = (self.pos + offset + np.arange(fade)) % cap  # the ring wraps around
        ring[np.ix_(stems, [0, 1], faded)] *= np.linspace(1.0, 0.0, fade, dtype=F32)
        # The rest of the ring, from after the fade round to the block's start: at most two slices
        # (a fancy-indexed assignment over the 12 s ring took 15-50 ms, longer than a live chunk).
        begin, end = (self.pos + offset + fade) % cap, self.pos
        for lo, hi in ((begin, end),) if begin < end else ((begin, cap), (0, end)):
            for stem in stems:
                ring[stem, :, lo:hi] = 0.0

    def _add(self, stem: int, at: int, wave: np.ndarray, gains: np.ndarray | np.float32) -> None:
        cap = self.ring.shape[2]
        length = wave.shape[-1]
        first = min(length, cap - at)
        ring = self.ring[stem]
        ring[:, at:at + first] += gains * wave[..., :first]
        if first < length:
            ring[:, :length - first] += gains * wave[..., first:length]
