"""The audio a generator has synthesized and not yet returned (whole blocks), and the :class:`Block` it returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livemusic.engine.played import STEM_NAMES, Note


@dataclass(frozen=True)
class Block:
    """Rendered audio: ``mix`` and optional ``stems``, int16 arrays shaped ``(frames, 2)``.

    ``notes`` (when asked for) are the notes whose onsets fall in this block's frames.
    """

    mix: np.ndarray
    stems: dict[str, np.ndarray] | None = None
    notes: tuple[Note, ...] | None = None


class Ahead:
    """Finished blocks (an int16 mix ``(frames, 2)`` and stems ``(4, frames, 2)`` or None) waiting to be returned."""

    def __init__(self) -> None:
        self._blocks: list[tuple[np.ndarray, np.ndarray | None]] = []
        self._offset = 0  # frames of the first block already returned
        self.frames = 0   # frames waiting

    def push(self, mix: np.ndarray, stems: np.ndarray | None) -> None:
        self._blocks.append((mix, stems))
        self.frames += len(mix)

    def clear(self) -> None:
        self._blocks.clear()
        self._offset = self.frames = 0

    def drop(self, frames: int) -> None:
        """Drop the next ``frames`` (returned already), within the first block."""
        self._offset += frames
        self.frames -= frames

    def take(self, frames: int, stems: bool) -> tuple[np.ndarray, dict[str, np.ndarray] | None]:
        """The next ``frames`` of the mix and, with ``stems``, of each stem (silent where none were made)."""
        mixes, stem_parts = [], []
        need = frames
        while need > 0:
            mix, st = self._blocks[0]
            take = min(need, len(mix) - self._offset)
            part = slice(self._offset, self._offset + take)
            mixes.append(mix[part])
            if stems:
                stem_parts.append(st[:, part] if st is not None else np.zeros((4, take, 2), np.int16))
            self._offset += take
            need -= take
            if self._offset == len(mix):
                self._blocks.pop(0)
                self._offset = 0
        self.frames -= frames
        # One block's frames (a live listener's chunk) are a view of it: rows of a C-ordered array.
        out = mixes[0] if len(mixes) == 1 else np.concatenate(mixes) if mixes else np.zeros((0, 2), np.int16)
        if not stems:
            return out, None
        every = np.concatenate(stem_parts, axis=1) if stem_parts else np.zeros((4, 0, 2), np.int16)
        return out, {name: np.ascontiguousarray(every[i]) for i, name in enumerate(STEM_NAMES)}
