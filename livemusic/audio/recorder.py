"""Crash-safe WAV recording through soundfile, from a writer thread.

:meth:`Recorder.write` only queues a copy of the frames (bounded, never
blocks); a writer thread appends them to the file. Every ``header_interval``
seconds (0.5 by default) the thread has libsndfile rewrite the header with
the current sizes (``SFC_UPDATE_HEADER_NOW``; ``SoundFile.flush()`` does not
do that). libsndfile writes straight to the file descriptor, so the data and
the header are in the kernel's hands: after ``kill -9`` or a crash the file
is a valid WAV for any reader (Python's ``wave`` included), missing at most
the last ``header_interval`` plus what was still queued. Ctrl-C and SIGTERM
finalize the file exactly when the program closes the recorder on the way
out (``with Recorder(...)``, and for SIGTERM a handler that turns the signal
into an exception or a task cancellation); livemusic does not install
signal handlers itself. Recorders still open at interpreter exit are closed.

A 16-bit stereo 48 kHz WAV reaches the 4 GiB limit of its size fields after
about 6.2 hours. Past ``rf64_threshold_bytes`` the file becomes RF64: from the
start when ``max_seconds`` says it will get there, otherwise when the data
reaches the threshold, by copying what was written into a new RF64 file that
then replaces the WAV (while the copy runs, the WAV on disk stays valid and
incoming audio is held in memory).
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import weakref
from collections import deque
from pathlib import Path

import numpy as np
import soundfile

from livemusic.errors import InvalidInputError
from livemusic.playback import CHANNELS, SAMPLE_RATE

__all__ = ["WAV_MAX_DATA_BYTES", "Recorder"]

#: The most audio data a RIFF/WAV file can describe (32-bit size fields), less room for the header.
WAV_MAX_DATA_BYTES = 0xFFFFFFFF - 4096

# libsndfile commands (sndfile.h) that soundfile does not name.
_SFC_UPDATE_HEADER_NOW = 0x1060

_open_recorders: weakref.WeakSet[Recorder] = weakref.WeakSet()


def _update_header_now(sound_file: soundfile.SoundFile) -> None:
    """Make libsndfile rewrite the header with the sizes written so far.

    soundfile (0.12 to 0.14) has no public way to send libsndfile a command:
    ``SoundFile.flush()`` only syncs the data, the header is written at
    ``close()``, and the commands it does wrap (clipping, truncate, bitrate)
    do not include ``SFC_UPDATE_HEADER_NOW``. So this one call uses its
    cffi handles (``_snd``, ``_ffi``, ``_file``), as soundfile's own methods
    do; tests/audio/test_recording.py reads an interrupted recording back
    with Python's ``wave`` to catch a soundfile release that changes them.
    """
    soundfile._snd.sf_command(sound_file._file, _SFC_UPDATE_HEADER_NOW, soundfile._ffi.NULL, 0)


class Recorder:
    """Records int16 frames to a 16-bit PCM WAV (or RF64) file.

    ``write()`` is safe to call from the event loop: it copies and queues.
    When more than ``queue_seconds`` of audio is waiting (the disk stalls),
    new frames are dropped and counted in :attr:`dropped_frames`. Opening
    fails with :class:`InvalidInputError` when the file cannot be created.
    If the writer thread fails (disk full), the next :meth:`write` and
    :meth:`close` raise :class:`OSError` naming the file.
    """

    def __init__(self, path: str | os.PathLike[str], *, sample_rate: int = SAMPLE_RATE,
                 channels: int = CHANNELS, max_seconds: float | None = None,
                 queue_seconds: float = 10.0, header_interval: float = 0.5,
                 rf64_threshold_bytes: int = WAV_MAX_DATA_BYTES) -> None:
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.channels = channels
        self._frame_bytes = 2 * channels
        self._threshold = rf64_threshold_bytes
        self._header_interval = header_interval
        expected_bytes = None if max_seconds is None else max_seconds * sample_rate * self._frame_bytes
        self._format = "RF64" if expected_bytes is not None and expected_bytes > self._threshold else "WAV"
        try:
            self._file = self._open(self.path, self._format)
        except (soundfile.LibsndfileError, OSError, RuntimeError) as exc:
            raise InvalidInputError(f"cannot record to {self.path}: {exc}") from None
        self._cond = threading.Condition()
        self._pending: deque[np.ndarray | threading.Event] = deque()
        self._backlog: deque[np.ndarray | threading.Event] = deque()  # held during an RF64 switch
        self._pending_frames = 0
        self._max_pending = max(1, round(queue_seconds * sample_rate))
        self._closing = False
        self._error: BaseException | None = None
        self._data_bytes = 0
        self._frames_written = 0
        self._dropped = 0
        self._thread = threading.Thread(target=self._run, name=f"livemusic-recorder {self.path.name}",
                                        daemon=True)
        self._thread.start()
        _open_recorders.add(self)

    def _open(self, path: Path, container: str) -> soundfile.SoundFile:
        return soundfile.SoundFile(path, "w", samplerate=self.sample_rate, channels=self.channels,
                                   subtype="PCM_16", format=container)

    # ------------------------------------------------------------------ producer side

    def write(self, frames: np.ndarray) -> int:
        """Queue a copy of ``frames`` (int16, ``(n, channels)``); return frames queued (0 if dropped).

        Raises :class:`InvalidInputError` for a wrong dtype or shape,
        :class:`ValueError` after :meth:`close`, :class:`OSError` if writing failed.
        """
        if not isinstance(frames, np.ndarray) or frames.dtype != np.int16 \
                or frames.ndim != 2 or frames.shape[1] != self.channels:
            raise InvalidInputError(
                f"recorder takes int16 frames shaped (n, {self.channels}), "
                f"got {getattr(frames, 'dtype', type(frames).__name__)} {getattr(frames, 'shape', '')}")
        n = frames.shape[0]
        with self._cond:
            self._raise_if_failed()
            if self._closing:
                raise ValueError(f"recorder for {self.path} is closed")
            if self._pending_frames + n > self._max_pending:
                self._dropped += n
                return 0
            self._pending.append(np.array(frames, dtype=np.int16, order="C", copy=True))
            self._pending_frames += n
            self._cond.notify()
        return n

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is on disk with a valid header."""
        done = threading.Event()
        with self._cond:
            if self._closing or not self._thread.is_alive():
                return not self._thread.is_alive()
            self._pending.append(done)
            self._cond.notify()
        return done.wait(timeout)

    def close(self) -> None:
        """Write what is queued, finalize the header and close the file. Idempotent."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread is not threading.current_thread():
            self._thread.join()
        _open_recorders.discard(self)
        with self._cond:
            self._raise_if_failed()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise OSError(f"recording to {self.path} failed: {self._error}") from self._error

    # ------------------------------------------------------------------ state

    @property
    def format(self) -> str:
        """``"WAV"`` or ``"RF64"``: the container the file has now."""
        return self._format

    @property
    def frames_written(self) -> int:
        """Frames written to the file so far."""
        return self._frames_written

    @property
    def seconds_written(self) -> float:
        return self._frames_written / self.sample_rate

    @property
    def dropped_frames(self) -> int:
        """Frames refused because more than ``queue_seconds`` were waiting."""
        return self._dropped

    @property
    def closed(self) -> bool:
        return self._closing and not self._thread.is_alive()

    def __repr__(self) -> str:
        return f"Recorder({str(self.path)!r}, {self._format}, {self.seconds_written:.1f} s)"

    # ------------------------------------------------------------------ writer thread

    def _run(self) -> None:
        sound_file_dirty = False
        next_sync = time.monotonic() + self._header_interval
        try:
            while True:
                with self._cond:
                    while not self._pending and not self._backlog and not self._closing:
                        timeout = next_sync - time.monotonic() if sound_file_dirty else None
                        if timeout is not None and timeout <= 0:
                            break
                        self._cond.wait(timeout)
                    items = list(self._backlog) + list(self._pending)
                    self._backlog.clear()
                    self._pending.clear()
                    self._pending_frames = 0
                    closing = self._closing
                for item in items:
                    if isinstance(item, threading.Event):
                        if sound_file_dirty:
                            _update_header_now(self._file)
                            sound_file_dirty = False
                        item.set()
                    else:
                        self._append(item)
                        sound_file_dirty = True
                if sound_file_dirty and time.monotonic() >= next_sync:
                    _update_header_now(self._file)
                    sound_file_dirty = False
                    next_sync = time.monotonic() + self._header_interval
                if closing and not self._backlog:
                    break
        except BaseException as exc:  # surfaced by write()/close()
            with self._cond:
                self._error = exc
        finally:
            try:
                self._file.close()
            except Exception as exc:
                with self._cond:
                    self._error = self._error or exc
            with self._cond:
                self._closing = True
                for item in list(self._backlog) + list(self._pending):
                    if isinstance(item, threading.Event):
                        item.set()
                self._pending.clear()
                self._backlog.clear()

    def _append(self, frames: np.ndarray) -> None:
        size = frames.shape[0] * self._frame_bytes
        if self._format == "WAV" and self._data_bytes + size > self._threshold:
            self._switch_to_rf64()
        self._file.write(frames)
        self._data_bytes += size
        self._frames_written += frames.shape[0]

    def _switch_to_rf64(self) -> None:
        """Copy the WAV written so far into an RF64 file that then takes its place."""
        self._file.close()
        part = self.path.with_name(self.path.name + ".rf64-part")
        target = self._open(part, "RF64")
        try:
            with soundfile.SoundFile(self.path) as source:
                for block in source.blocks(blocksize=1 << 16, dtype="int16", always_2d=True):
                    target.write(block)
                    with self._cond:  # keep the queue free while the copy runs
                        self._backlog.extend(self._pending)
                        self._pending.clear()
                        self._pending_frames = 0
            _update_header_now(target)
            os.replace(part, self.path)
        except BaseException:
            target.close()
            raise
        self._file = target
        self._format = "RF64"


@atexit.register
def _close_open_recorders() -> None:
    for recorder in list(_open_recorders):
        try:
            recorder.close()
        except Exception:
            pass
