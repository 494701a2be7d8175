"""A session wired to the sound card and a recorder: what ``play``, the REPL and ``Player`` share.

::

    session.audio() -> RingBuffer -> audio.Player (PortAudio callback) -> device
                    \\-> Recorder (WAV writer thread)

Latency: a change sent now is heard after the audio already buffered ahead
of it. The ring is therefore held at its target instead of keeping whatever
piled up: the device starts once the ring holds the target, and at that
moment (and after any underrun or resume) the feed drops the oldest frames
beyond it, so the distance between what is received and what is heard stays
at the target plus the device's own latency for the whole session. On
livemusic's engine the session asks for small chunks, so a change is
rendered into the next few tens of milliseconds of the stream.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from livemusic.audio.recorder import Recorder
from livemusic.audio.ring import RingBuffer
from livemusic.device import BUFFER_MS, DeviceOpening
from livemusic.errors import InvalidInputError
from livemusic.music.reconnect import EventKind
from livemusic.music.session import AsyncMusicSession
from livemusic.types import SAMPLE_RATE, PlaybackState

__all__ = ["BUFFER_MS", "Stage", "chunk_ms_for", "fit", "recording_path"]

log = logging.getLogger("livemusic.stage")

#: Margin the buffer keeps over one chunk: chunks arrive whole, so the buffer swings by a chunk.
CHUNK_MARGIN_MS = 60
#: Connection events the status line shows until the next one.
_UNTIL_RESUMED = (EventKind.DISCONNECTED, EventKind.RECONNECTING)


def recording_path(path: str | Path) -> Path:
    """``path`` as a WAV to record to; a missing folder is named (not left to the OS's "System error")."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InvalidInputError(f"cannot record to {path}: the folder {path.parent} does not exist")
    return path


class Stage:
    """Moves a session's audio to the device and the recorder until closed.

    ``player`` is an ``audio.Player`` on ``ring`` (or ``None`` for
    no sound); ``limit_seconds`` ends the stream after that much audio, played
    out to the end.
    """

    def __init__(self, session: AsyncMusicSession, ring: RingBuffer, player: Any, *, buffer_ms: int,
                 recorder: Recorder | None = None, limit_seconds: float | None = None) -> None:
        self.session = session
        self.ring = ring
        self.player = player
        self.buffer_s = buffer_ms / 1000
        self.recorder = recorder
        self._limit = round(limit_seconds * SAMPLE_RATE) if limit_seconds is not None else None
        self._tasks: list[asyncio.Task[None]] = []
        self.receiver: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, session: AsyncMusicSession | Awaitable[AsyncMusicSession], *, buffer_ms: int,
                   device: str | None = None, audio: bool = True, record: str | Path | None = None,
                   opening: DeviceOpening | None = None) -> Stage:
        """Open the sound card for ``session`` and start moving audio.

        ``session`` may still be connecting (``AsyncLiveMusic().connect()``):
        then the device opens meanwhile (both take a while); ``opening`` is a
        device already being opened (by the command line, first thing). If
        either fails, the other is closed and the error raised.
        """
        if opening is None:
            opening = DeviceOpening(device=device, buffer_ms=buffer_ms, audio=audio)
        try:
            recorder = Recorder(recording_path(record)) if record else None
        except BaseException:
            await asyncio.to_thread(opening.close)
            raise
        connecting = session if not isinstance(session, AsyncMusicSession) else asyncio.sleep(0, session)
        device_ready, session = await asyncio.gather(opening.result(buffer_ms), connecting, return_exceptions=True)
        failed = next((r for r in (device_ready, session) if isinstance(r, BaseException)), None)
        if failed is not None:
            if not isinstance(device_ready, BaseException) and device_ready[1] is not None:
                device_ready[1].close()
            if not isinstance(session, BaseException):
                await session.close()
            if recorder is not None:
                recorder.close()
            raise failed
        ring, player = device_ready
        stage = cls(session, ring, player, buffer_ms=buffer_ms, recorder=recorder)
        stage.start()
        return stage

    def start(self) -> None:
        """Start receiving (and following the session's pauses on the device)."""
        if self.player is not None:
            self.session.set_audible_clock(lambda: self.player.audible_frames / SAMPLE_RATE)
            self._tasks += [asyncio.create_task(self._report_first_sound()),
                            asyncio.create_task(self._follow_playback())]
        self.receiver = asyncio.create_task(self._receive())
        self._tasks.append(self.receiver)

    # ------------------------------------------------------------------ recording

    def record(self, path: str | Path) -> Path:
        """Start recording what plays from now on to ``path`` (ends a recording in progress)."""
        path = recording_path(path)
        self.stop_recording()
        self.recorder = Recorder(path)
        return path

    def stop_recording(self) -> Recorder | None:
        """Finalize the recording in progress, if any, and return it."""
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            recorder.close()
        return recorder

    # ------------------------------------------------------------------ state

    def status(self, position: float, bar: tuple[int, int], bpm: float, width: int | None = None) -> str:
        """One line: time, bar.beat, bpm, buffer, underruns, a connection event, prompts; cut to ``width`` columns.

        A disconnection (and each reconnection attempt) shows until the session resumes; resumed
        and rotated show for 10 s.
        """
        minutes, seconds = divmod(max(0.0, position), 60)
        prompts = ", ".join(f"{p.text} {p.weight:.2f}" for p in self.session.prompts) or "-"
        audio = (f"buf {self.ring.fill_seconds * 1000:3.0f} ms | underruns {self.player.underrun_frames}"
                 if self.player is not None else "no audio")
        rec = " | rec" if self.recorder is not None else ""
        event = self.session.events[-1] if self.session.events else None
        shown = event is not None and (event.kind in _UNTIL_RESUMED or time.monotonic() - event.at < 10)
        news = f" | {event}" if shown else ""
        line = (f"{int(minutes):02d}:{seconds:04.1f} bar {bar[0]}.{bar[1]} | {bpm:.0f} bpm | {audio}{rec}{news} | "
                f"{prompts}")
        return fit(line, width)

    async def wait(self) -> None:
        """Until the stream ends (``limit_seconds`` played out, or the server closed); raises its error."""
        assert self.receiver is not None
        await self.receiver

    async def close(self) -> None:
        """Stop receiving, fade the device out, finalize the recording. Idempotent."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            if self.player is not None:
                await asyncio.to_thread(self.player.close)
        finally:
            self.stop_recording()

    # ------------------------------------------------------------------ tasks

    async def _receive(self) -> None:
        """Session -> ring and recorder until the limit, with backpressure on the socket."""
        received = 0
        limit, player, ring, session = self._limit, self.player, self.ring, self.session
        session.refill_ms = lambda: round(max(0.0, self.buffer_s - ring.fill_seconds) * 1000)
        resumed = None  # the last resumption seen
        async for block in session.audio():
            if limit is not None:
                block = block[: limit - received]
            received += len(block)
            if self.recorder is not None:
                self.recorder.write(block)
            if player is not None:
                while ring.free_frames < len(block):
                    await asyncio.sleep(0.01)  # the device drains the ring; stop reading the socket meanwhile
                latest = session.events[-1] if session.events else None
                if latest is not None and latest.kind is EventKind.RESUMED and latest is not resumed:
                    resumed = latest
                    player.resume_on_audio()  # the first audio after an outage: no rebuffering wait
                ring.write(block)
            if limit is not None and received >= limit:
                if player is not None:
                    await asyncio.to_thread(player.drain, limit / SAMPLE_RATE)
                return

    async def _follow_playback(self) -> None:
        """Pause the device as a PAUSE or STOP plays out; resume on PLAY.

        The stream simply stops at a pause, so without this the device would
        count the silence that follows as underruns. The pause starts once audio
        stopped arriving and the ring holds just the gain ramp (or less), so the
        fade-out uses the last audio.
        """
        player, ring, session = self.player, self.ring, self.session
        while player.played_frames == 0:  # nothing to follow before the first sound
            await asyncio.sleep(0.01)
        written, last_arrival = ring.frames_written_total, time.monotonic()
        dropped = player.dropped_frames
        while True:
            if player.dropped_frames != dropped:
                log.debug("skipped %.0f ms of buffered audio to hold the latency (%.0f ms buffered now)",
                          (player.dropped_frames - dropped) * 1000 / SAMPLE_RATE, ring.fill_seconds * 1000)
                dropped = player.dropped_frames
            if ring.frames_written_total != written:
                written, last_arrival = ring.frames_written_total, time.monotonic()
            # A pause sent ahead (at=) holds the stream later, and a STOP's ending plays on for seconds:
            # wait until audio stops arriving (and resume if it comes again: the ending went on).
            playing = session.playback_state is PlaybackState.PLAYING
            arriving = time.monotonic() - last_arrival <= 0.06
            if not playing and not arriving and player.state is PlaybackState.PLAYING \
                    and ring.fill_seconds <= min(0.12, self.buffer_s):
                log.debug("stream held: device paused with %.0f ms buffered", ring.fill_seconds * 1000)
                player.pause()
            elif (playing or arriving) and player.state is PlaybackState.PAUSED and ring.fill_seconds >= self.buffer_s:
                log.debug("stream playing: device resumed with %.0f ms buffered", ring.fill_seconds * 1000)
                player.resume()
            await asyncio.sleep(0.01)

    async def _report_first_sound(self) -> None:
        """Log the wall-clock time at which the device first got audio (benchmarks read it)."""
        while self.player.played_frames == 0:
            await asyncio.sleep(0.005)
        log.info("first sound at %.3f (unix time)", time.time())


def fit(line: str, width: int | None = None) -> str:
    """``line`` cut to the terminal's width (one column spare, so it never wraps)."""
    if width is None:
        width = shutil.get_terminal_size((100, 24)).columns
    width = max(20, width - 1)
    return line if len(line) <= width else line[: width - 1] + "…"


def chunk_ms_for(backend: str, buffer_ms: int | None = None) -> int | None:
    """The chunk length to ask of livemusic's engine: the buffer target less a margin, 40-200 ms.

    The buffer swings by a chunk as chunks arrive, so small chunks let a small buffer (a change heard
    soon) play without underruns; each chunk costs the server a fixed amount, so a larger buffer
    (``--buffer-ms``) asks for larger chunks and costs the server less. Other backends choose their
    own chunks (``None``).
    """
    if backend != "embedded":
        return None
    target = buffer_ms or BUFFER_MS[backend]
    return max(40, min(200, target - CHUNK_MARGIN_MS))

