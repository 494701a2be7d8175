"""Session rotation: the next session opened before the current one ends, and cross-faded in over a bar.

Google's hosted model ends a session after about ten minutes; livemusic's
server may be told to (``livemusic serve --max-session-seconds``) and then
sends a notice ahead. :meth:`AsyncMusicSession.audio` rotates on that
notice, or :attr:`~AsyncMusicSession.rotate_after_s` after a connection
opened: it opens the next session (resumed from the handle where the server
can, else with the same prompts, config and PLAY), drops the first
``settle_s`` of its audio while the model settles, and fades from the old
stream to the new one over a bar, frame-aligned from the moment the
rotation began (linear when both share the bar grid, else equal power). Then the old session is closed.
"""

from __future__ import annotations

import asyncio
import contextlib

import numpy as np

from livemusic.audio.pcm import decode_pcm
from livemusic.live import LiveConnection
from livemusic.types import SAMPLE_RATE, LiveMusicClientMessage, LiveMusicServerMessage


class Rotation:
    """One rotation in progress: the new connection read on a task, its audio, and the fade.

    Frames are counted from the start of the rotation in both streams, so
    that old frame ``i`` and new frame ``i`` are mixed together.
    """

    def __init__(self, connection: LiveConnection[LiveMusicClientMessage, LiveMusicServerMessage], *,
                 settle_s: float, fade_frames: int, aligned: bool) -> None:
        self.connection = connection
        #: Whether both streams share the bar grid (a resumed session): then a linear fade keeps the level of
        #: what they share (the beat); independent streams (replayed) fade at equal power instead.
        self.aligned = aligned
        self.settle_frames = round(settle_s * SAMPLE_RATE)
        self.fade_frames = max(1, fade_frames)
        self.handle: str | None = None
        self.finished = False
        self._new = np.zeros((0, 2), np.int16)
        self._new_from = 0  # rotation frame of self._new[0]
        self._fade_from: int | None = None
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while (message := await self.connection.recv()) is not None:
            if message.livemusic_resumption_update is not None:
                self.handle = message.livemusic_resumption_update.new_handle
            for chunk in message.audio_chunks:
                if chunk.data:
                    self._new = np.concatenate([self._new, decode_pcm(chunk.data, chunk.mime_type)])

    def mix(self, old: np.ndarray, at: int) -> np.ndarray:
        """``old`` (rotation frames ``at``...) faded toward the new stream, once it has the same frames."""
        end = at + len(old)
        covered = self._new_from <= at and self._new_from + len(self._new) >= end
        if self._fade_from is None and covered and at >= self.settle_frames:
            self._fade_from = at
        if self._fade_from is None or not covered:
            self._drop_before(end if self._fade_from is None else at)
            return old
        new = self._new[at - self._new_from:end - self._new_from]
        ramp = np.clip((np.arange(at, end) - self._fade_from) / self.fade_frames, 0.0, 1.0)[:, None]
        gain_old, gain_new = (1 - ramp, ramp) if self.aligned else (np.cos(ramp * np.pi / 2), np.sin(ramp * np.pi / 2))
        out = old.astype(np.float32) * gain_old + new.astype(np.float32) * gain_new
        self._drop_before(end)
        self.finished = end >= self._fade_from + self.fade_frames
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)

    @property
    def failed(self) -> bool:
        """Whether the new session ended before the fade did (it met its own limit, or failed): drop the rotation."""
        return self._reader.done() and not self.finished

    def _drop_before(self, frame: int) -> None:
        cut = max(0, min(frame - self._new_from, len(self._new)))
        self._new, self._new_from = self._new[cut:], self._new_from + cut

    async def take_over(self) -> np.ndarray:
        """Stop reading the new connection (the session reads it from now on); the audio it holds past the fade."""
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        rest, self._new = self._new, np.zeros((0, 2), np.int16)
        return rest

    async def abandon(self) -> None:
        """Give up this rotation and close its connection."""
        self._reader.cancel()
        with contextlib.suppress(BaseException):
            await self._reader
        with contextlib.suppress(Exception):
            await self.connection.close()
