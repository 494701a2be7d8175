"""A fixed-size ring buffer of int16 frames between one producer and one consumer.

The producer is the asyncio task that receives audio; the consumer is the
PortAudio callback thread. Positions are two monotonic frame counters: the
producer only advances the write counter, the consumer only advances the read
counter, and each publishes its counter after the copy, so neither side ever
sees half-copied frames. A lock is held only for the few integer operations
that advance the read counter, because :meth:`RingBuffer.clear` moves it too.

Policies:

- overflow: :meth:`~RingBuffer.write` keeps the frames that fit and drops the
  newest ones that do not (the caller learns how many were taken from the
  return value); dropped frames are counted in ``overrun_frames``.
- underflow: :meth:`~RingBuffer.read_into` fills the missing tail with
  silence and counts it in ``underrun_frames``.
"""

from __future__ import annotations

import threading

import numpy as np

from livemusic.errors import InvalidInputError
from livemusic.playback import CHANNELS, SAMPLE_RATE

__all__ = ["RingBuffer"]


class RingBuffer:
    """Fixed capacity FIFO of int16 frames shaped ``(n, channels)``.

    Single producer (:meth:`write`, :meth:`clear`) and single consumer
    (:meth:`read_into`, :meth:`read`); the consumer path never allocates
    sample memory.
    """

    def __init__(self, capacity_frames: int, channels: int = CHANNELS, *,
                 sample_rate: int = SAMPLE_RATE) -> None:
        if capacity_frames <= 0:
            raise InvalidInputError(f"ring buffer capacity must be positive, got {capacity_frames} frames")
        if channels <= 0:
            raise InvalidInputError(f"ring buffer needs at least one channel, got {channels}")
        self._buf = np.zeros((capacity_frames, channels), dtype=np.int16)
        self._capacity = capacity_frames
        self._channels = channels
        self._sample_rate = sample_rate
        self._lock = threading.Lock()
        self._write_pos = 0  # frames ever accepted; producer-owned
        self._read_pos = 0  # frames ever consumed or cleared; consumer-owned except clear()
        self._read_total = 0
        self._cleared = 0
        self._underruns = 0  # consumer-owned
        self._overruns = 0  # producer-owned

    @classmethod
    def for_seconds(cls, seconds: float, channels: int = CHANNELS, *,
                    sample_rate: int = SAMPLE_RATE) -> RingBuffer:
        """A ring buffer holding ``seconds`` of audio."""
        return cls(max(1, round(seconds * sample_rate)), channels, sample_rate=sample_rate)

    # ------------------------------------------------------------------ producer side

    def write(self, frames: np.ndarray) -> int:
        """Append ``frames`` (int16, shape ``(n, channels)``); return how many were taken.

        Frames beyond the free space are dropped (the newest ones) and counted
        in :attr:`overrun_frames`. Raises :class:`InvalidInputError` for a
        wrong dtype or shape.
        """
        if not isinstance(frames, np.ndarray) or frames.dtype != np.int16 \
                or frames.ndim != 2 or frames.shape[1] != self._channels:
            shape = getattr(frames, "shape", None)
            dtype = getattr(frames, "dtype", type(frames).__name__)
            raise InvalidInputError(
                f"ring buffer takes int16 frames shaped (n, {self._channels}), got {dtype} {shape}")
        n = frames.shape[0]
        write_pos = self._write_pos
        free = self._capacity - (write_pos - self._read_pos)
        taken = n if n <= free else free
        if taken < n:
            self._overruns += n - taken
        if taken:
            start = write_pos % self._capacity
            first = min(taken, self._capacity - start)
            self._buf[start:start + first] = frames[:first]
            if taken > first:
                self._buf[:taken - first] = frames[first:taken]
            self._write_pos = write_pos + taken  # publish after the copy
        return taken

    def clear(self) -> int:
        """Drop every buffered frame (e.g. on stop or reset); return how many were dropped."""
        with self._lock:
            dropped = self._write_pos - self._read_pos
            self._read_pos = self._write_pos
            self._cleared += dropped
        return dropped

    # ------------------------------------------------------------------ consumer side

    def discard(self, frames: int) -> int:
        """Drop up to ``frames`` of the oldest buffered frames unplayed; return how many.

        The consumer uses it to bring the buffered audio back to its target
        (latency) after it piled up; dropped frames count in :attr:`cleared_frames`.
        """
        with self._lock:
            dropped = max(0, min(frames, self._write_pos - self._read_pos))
            self._read_pos += dropped
            self._cleared += dropped
        return dropped

    def read_into(self, out: np.ndarray) -> int:
        """Fill ``out`` (int16, shape ``(n, channels)``) from the buffer; return frames read.

        Missing frames are zeroed and counted in :attr:`underrun_frames`.
        Allocates no sample memory and never blocks on the producer.
        """
        n = out.shape[0]
        read_pos = self._read_pos
        got = min(n, self._write_pos - read_pos)
        if got:
            start = read_pos % self._capacity
            first = min(got, self._capacity - start)
            out[:first] = self._buf[start:start + first]
            if got > first:
                out[first:got] = self._buf[:got - first]
            with self._lock:
                if self._read_pos == read_pos:
                    self._read_pos = read_pos + got
                    self._read_total += got
                else:  # clear() ran during the copy: what we copied is stale
                    got = 0
        if got < n:
            out[got:] = 0
            self._underruns += n - got
        return got

    def read(self, n: int) -> np.ndarray:
        """Convenience for non-real-time use: a new ``(n, channels)`` array, as :meth:`read_into`."""
        out = np.empty((n, self._channels), dtype=np.int16)
        self.read_into(out)
        return out

    # ------------------------------------------------------------------ state

    @property
    def capacity_frames(self) -> int:
        return self._capacity

    @property
    def channels(self) -> int:
        return self._channels

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    @property
    def fill_frames(self) -> int:
        """Frames buffered and not yet read."""
        return self._write_pos - self._read_pos

    @property
    def fill_seconds(self) -> float:
        return self.fill_frames / self._sample_rate

    @property
    def free_frames(self) -> int:
        return self._capacity - self.fill_frames

    @property
    def frames_written_total(self) -> int:
        """Frames ever accepted by :meth:`write` (dropped overruns excluded)."""
        return self._write_pos

    @property
    def frames_read_total(self) -> int:
        """Frames ever delivered by reads (zero-filled underruns and cleared frames excluded)."""
        return self._read_total

    @property
    def cleared_frames(self) -> int:
        """Frames dropped by :meth:`clear` and :meth:`discard`."""
        return self._cleared

    @property
    def underrun_frames(self) -> int:
        """Frames a read asked for that were not there (played as silence)."""
        return self._underruns

    @property
    def overrun_frames(self) -> int:
        """Frames a write could not store (dropped)."""
        return self._overruns

    def __repr__(self) -> str:
        return (f"RingBuffer(fill={self.fill_frames}/{self._capacity} frames, "
                f"underruns={self._underruns}, overruns={self._overruns})")
