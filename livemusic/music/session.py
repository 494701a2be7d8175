"""``AsyncMusicSession``: an open music session of Google's music API, on any backend.

The names and semantics are those of ``google.genai``'s
``client.aio.live.music`` so its users can switch by changing one import;
:class:`~livemusic.music.client.AsyncLiveMusic` opens it. Beyond it:
:meth:`AsyncMusicSession.audio` yields numpy frames, the session remembers its
prompts, config and playback state, ``update_config`` merges a change into the
whole config (the protocol replaces it), and ``receive()`` ends normally on a
1000 close and surfaces ``warning`` frames.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import numpy as np

from livemusic.audio.pcm import decode_pcm, parse_mime
from livemusic.errors import ConnectionClosedError, InvalidInputError
from livemusic.music.reconnect import Backoff, EventKind, SessionEvent, reconnect
from livemusic.music.rotation import Rotation
from livemusic.live import Endpoint, LiveConnection
from livemusic.live.music import MUSIC
from livemusic.types import (
    DEFAULT_MODEL,
    SAMPLE_RATE,
    LiveMusicClientContent,
    LiveMusicClientMessage,
    LiveMusicGenerationConfig,
    LiveMusicNote,
    LiveMusicServerMessage,
    PlaybackControl,
    PlaybackState,
    WeightedPrompt,
    prompts_from,
)

log = logging.getLogger("livemusic.music")

MusicConnection = LiveConnection[LiveMusicClientMessage, LiveMusicServerMessage]

#: The extension a setup field needs advertised (the others need livemusic's basic set, "pacing").
_NEEDS = {"livemusic_notes": "notes", "livemusic_end": "end", "livemusic_resume": "resume"}


async def _connect(endpoint: Endpoint, setup: dict[str, Any],
                   connection: LiveConnection[LiveMusicClientMessage, LiveMusicServerMessage] | None = None,
                   ) -> LiveConnection[LiveMusicClientMessage, LiveMusicServerMessage]:
    """``connection`` (else a new one to ``endpoint``) after ``setup``; extension fields only where advertised."""
    connection = connection or await LiveConnection.connect(endpoint, MUSIC)
    kept = {k: v for k, v in setup.items() if not k.startswith(MUSIC.extension_prefix) or (
        connection.extensions and _NEEDS.get(k, "pacing") in connection.extensions)}
    left_out = sorted(k for k, v in setup.items() if k not in kept and v not in (None, False, "realtime"))
    if left_out:
        log.info("server lacks the extensions for %s: left out", ", ".join(left_out))
    setup = kept
    try:
        await connection.setup(setup)
    except BaseException:
        await connection.close()
        raise
    return connection


class AsyncMusicSession:
    """An open music session: steer it, and read its audio with ``receive()`` or ``audio()``.

    A dropped connection or a server going away does not end it: while
    ``receive()`` runs, the session reconnects (at once, then a gentle :attr:`backoff`,
    for up to :attr:`reconnect_timeout` seconds) and resumes; see
    :mod:`livemusic.music.reconnect`. :attr:`events` and ``on_event`` tell
    what happened.
    """

    #: Seconds a session keeps trying to reconnect before the close reaches the caller.
    reconnect_timeout: float = 60.0
    #: The waits between reconnection attempts (at once, then growing up to a cap, with jitter).
    backoff: Backoff = Backoff()
    #: Seconds of a new session's audio dropped while the model settles, on a rotation that replays.
    settle_s: float = 5.0

    def __init__(self, connection: LiveConnection[LiveMusicClientMessage, LiveMusicServerMessage],
                 setup: dict[str, Any] | None = None) -> None:
        self._conn = connection
        #: The setup this session was opened with (what a reconnection sends again).
        self._setup = setup or {"model": DEFAULT_MODEL}
        self._resume_handle: str | None = None
        #: Reconnecting now; or state was changed while the connection was down (replay it).
        self._reconnecting = False
        self._replay = False
        #: The latest connection events, oldest first; ``on_event`` is called with each as it happens.
        self.events: deque[SessionEvent] = deque(maxlen=64)
        self.on_event: Callable[[SessionEvent], None] | None = None
        #: Whether to reconnect after a retryable close (not on a child engine that is gone with its process).
        self.reconnect = connection.endpoint.backend != "embedded"
        #: Rotate to a new session this long after a connection opened (Google's sessions last about
        #: 10 minutes); livemusic's server sends a notice instead when it has a limit.
        self.rotate_after_s: float | None = 540.0 if connection.endpoint.backend == "gemini" else None
        self._opened_at = time.monotonic()
        #: The audio (ms) the player lacks to its buffer target, asked of a resuming server (a stage sets it).
        self.refill_ms: Callable[[], int] | None = None
        self._prompts: tuple[WeightedPrompt, ...] = ()
        self._config = LiveMusicGenerationConfig()
        self._playback = PlaybackState.STOPPED
        self._frames_received = 0
        self.warnings: list[str] = []
        self.filtered_prompts: list[Any] = []
        self._audible_clock: Callable[[], float] | None = None
        self._note_listeners: list[Callable[[list[LiveMusicNote]], None]] = []
        #: Called once by :meth:`close`, after the connection (e.g. stopping the engine the session runs on).
        self._on_close: list[Callable[[], Awaitable[None]]] = []

    @classmethod
    async def open(cls, endpoint: Endpoint, *, model: str = DEFAULT_MODEL, pacing: str | None = None,
                   chunk_ms: int | None = None, stems: bool = False, notes: bool = False,
                   end: int | None = None) -> AsyncMusicSession:
        """Connect to ``endpoint`` and complete setup (extensions the server lacks are left out)."""
        setup: dict[str, Any] = {"model": model, "livemusic_pacing": pacing or "realtime"}
        if chunk_ms is not None:
            setup["livemusic_chunk_ms"] = chunk_ms
        if stems:
            setup["livemusic_stems"] = True
        if notes:
            setup["livemusic_notes"] = True
        if end is not None:
            setup["livemusic_end"] = end
        return cls(await _connect(endpoint, setup), setup)

    async def _reopen(self, handle: str | None) -> bool:
        """Replace the connection by a new one to the same endpoint; whether it resumed from ``handle``."""
        self._conn, resumed = await self._open_next(handle)
        self._opened_at = time.monotonic()
        return resumed

    async def _open_next(self, handle: str | None) -> tuple[MusicConnection, bool]:
        """A new connection to the same endpoint, resumed from ``handle`` where the server can, else replayed."""
        setup = dict(self._setup)
        connection = await LiveConnection.connect(self._conn.endpoint, MUSIC)
        resumed = handle is not None and "resume" in connection.extensions
        if resumed:
            setup["livemusic_resume"] = {"handle": handle, "position": self._frames_received}
            if self.refill_ms is not None:
                setup["livemusic_resume"]["buffer_ms"] = min(self.refill_ms(), 10_000)
        connection = await _connect(self._conn.endpoint, setup, connection)
        if not resumed or self._replay:
            self._replay = False
            if self._prompts:
                await connection.send(LiveMusicClientMessage(
                    client_content=LiveMusicClientContent(weighted_prompts=list(self._prompts))))
            await connection.send(LiveMusicClientMessage(music_generation_config=self._config))
            if self._playback is PlaybackState.PLAYING:
                await connection.send(LiveMusicClientMessage(playback_control=PlaybackControl.PLAY))
        return connection, resumed

    def _emit(self, kind: EventKind, detail: str, code: int | None = None) -> None:
        event = SessionEvent(kind, detail, code)
        log.warning("session %s", event)
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    # ------------------------------------------------------------------ state

    @property
    def prompts(self) -> list[WeightedPrompt]:
        """The prompts last sent."""
        return list(self._prompts)

    @property
    def config(self) -> LiveMusicGenerationConfig:
        """The config last sent (the whole config: the protocol replaces it)."""
        return self._config

    @property
    def playback_state(self) -> PlaybackState:
        """Stopped, playing or paused, from the controls sent (equal to ``"stopped"`` etc.)."""
        return self._playback

    @property
    def backend(self) -> str:
        return self._conn.endpoint.backend

    @property
    def supports_scheduling(self) -> bool:
        """Whether the server applies ``at=`` sample-exactly (livemusic's server)."""
        return "at" in self._conn.extensions

    @property
    def supports_stems(self) -> bool:
        """Whether the server can send stems (livemusic's server)."""
        return "stems" in self._conn.extensions

    @property
    def supports_notes(self) -> bool:
        """Whether the server can send the notes it played (livemusic's server)."""
        return "notes" in self._conn.extensions

    @property
    def supports_end(self) -> bool:
        """Whether the server can end the music at a frame and let it ring out (livemusic's server)."""
        return "end" in self._conn.extensions

    @property
    def generated_position(self) -> float:
        """Seconds of stream audio received so far."""
        return self._frames_received / SAMPLE_RATE

    @property
    def audible_position(self) -> float:
        """Seconds of stream audio being heard now; a player replaces this via :meth:`set_audible_clock`."""
        return self._audible_clock() if self._audible_clock else self.generated_position

    def on_notes(self, listener: Callable[[list[LiveMusicNote]], None]) -> None:
        """Call ``listener(notes)`` with the notes of each chunk received (sessions opened with ``notes=True``)."""
        self._note_listeners.append(listener)

    def set_audible_clock(self, clock: Callable[[], float] | None) -> None:
        """Install ``clock()`` -> seconds of stream time heard now (the player knows it)."""
        self._audible_clock = clock

    # ------------------------------------------------------------------ sending

    async def _send(self, at: float | None, **payload: Any) -> None:
        frame: int | None = None
        if at is not None:
            if not self.supports_scheduling:
                raise InvalidInputError("at= needs a server that supports scheduling (livemusic's own)")
            frame = max(0, round(at * SAMPLE_RATE))
        message = LiveMusicClientMessage(livemusic_at=frame, **payload)
        if self._reconnecting:  # the state is kept and sent once the new connection is open
            self._replay = True
            return
        try:
            await self._conn.send(message)
        except ConnectionClosedError as exc:
            if not (self.reconnect and exc.retryable):
                raise
            self._replay = True  # receive() notices the close, reconnects and replays

    async def set_weighted_prompts(self, prompts: Iterable[Any] | dict[str, float], *, at: float | None = None) -> None:
        """Replace the prompts (WeightedPrompt, dicts, SDK objects, or ``{text: weight}``)."""
        validated = prompts_from(prompts)
        await self._send(at, client_content=LiveMusicClientContent(weighted_prompts=validated))
        self._prompts = tuple(validated)

    async def set_music_generation_config(self, config: Any, *, at: float | None = None) -> None:
        """Replace the whole config; fields left out return to their defaults (as on Google's service)."""
        validated = LiveMusicGenerationConfig.parse(config)
        await self._send(at, music_generation_config=validated)
        self._config = validated

    async def update_config(self, *, at: float | None = None, **changes: Any) -> LiveMusicGenerationConfig:
        """Change some fields and send the merged whole config; returns it."""
        merged = self._config.merged(**changes)
        await self.set_music_generation_config(merged, at=at)
        return merged

    async def _control(self, control: PlaybackControl, at: float | None) -> None:
        await self._send(at, playback_control=control)
        self._playback = self._playback.after(control)

    async def play(self, *, at: float | None = None) -> None:
        """Start or resume the stream."""
        await self._control(PlaybackControl.PLAY, at)

    async def pause(self, *, at: float | None = None) -> None:
        """Hold the stream; ``play()`` resumes from the same position."""
        await self._control(PlaybackControl.PAUSE, at)

    async def stop(self, *, at: float | None = None) -> None:
        """Stop and reset the context; prompts and config are kept."""
        await self._control(PlaybackControl.STOP, at)

    async def reset_context(self, *, at: float | None = None) -> None:
        """Restart the musical context without stopping (a hard transition)."""
        await self._control(PlaybackControl.RESET_CONTEXT, at)

    # ------------------------------------------------------------------ receiving

    async def receive(self) -> AsyncIterator[LiveMusicServerMessage]:
        """Server messages until the server closes normally; an error close raises a typed error.

        A retryable close (see :attr:`reconnect`) is not raised: the session reconnects and goes on.
        """
        while (message := await self._next_message()) is not None:
            if message.livemusic_resumption_update is not None:
                self._resume_handle = message.livemusic_resumption_update.new_handle
            for chunk in message.audio_chunks:
                self._frames_received += len(chunk.data) // (2 * parse_mime(chunk.mime_type)[1])
                if chunk.livemusic_notes:
                    for listener in self._note_listeners:
                        listener(chunk.livemusic_notes)
            if message.warning is not None:
                log.warning("server warning: %s", message.warning)
                self.warnings.append(message.warning)
            if message.filtered_prompt is not None:
                log.warning("prompt %r filtered: %s", message.filtered_prompt.text,
                            message.filtered_prompt.filtered_reason)
                self.filtered_prompts.append(message.filtered_prompt)
            yield message

    async def _next_message(self) -> LiveMusicServerMessage | None:
        while True:
            try:
                return await self._conn.recv()
            except ConnectionClosedError as exc:
                if not (self.reconnect and exc.retryable):
                    raise
                self._reconnecting = True
                try:
                    await reconnect(self, exc)
                finally:
                    self._reconnecting = False

    async def audio(self) -> AsyncIterator[np.ndarray]:
        """The stream's audio as int16 arrays shaped ``(frames, 2)``.

        It goes on across session rotations (see :mod:`livemusic.music.rotation`), cross-faded over a bar.
        """
        rotation: Rotation | None = None
        rotation_from = 0  # self._frames_received when the rotation began
        try:
            async for message in self.receive():
                before = self._frames_received - sum(len(c.data) // 4 for c in message.audio_chunks)
                if rotation is None and self._rotation_due(message):
                    notice = message.livemusic_go_away
                    rotation = await self._start_rotation(notice.time_left_s if notice is not None else None)
                    rotation_from = self._frames_received
                for chunk in message.audio_chunks:
                    if not chunk.data:
                        continue
                    block = decode_pcm(chunk.data, chunk.mime_type)
                    if rotation is not None and rotation.failed:
                        log.warning("the next session ended before the fade: it is dropped, the current one plays on")
                        await rotation.abandon()
                        rotation, self._opened_at = None, time.monotonic()  # try again after rotate_after_s
                    if rotation is not None:
                        block = rotation.mix(block, before - rotation_from)
                    before += len(block)
                    yield block
                    if rotation is not None and rotation.finished:
                        rest = await rotation.take_over()
                        await self._switch_to(rotation)
                        rotation = None
                        self._frames_received += len(rest)
                        if len(rest):
                            yield rest
        finally:
            if rotation is not None:
                await rotation.abandon()

    def _rotation_due(self, message: LiveMusicServerMessage) -> bool:
        if message.livemusic_go_away is not None:
            return True
        return self.rotate_after_s is not None and time.monotonic() - self._opened_at >= self.rotate_after_s

    async def _start_rotation(self, time_left_s: float | None) -> Rotation | None:
        """Open the next session; the fade lasts a bar, or half the time left when the server gave less."""
        bar_s = 240 / (self._config.bpm or 120)
        fade_s = min(bar_s, time_left_s / 2) if time_left_s is not None else bar_s
        try:
            connection, resumed = await self._open_next(self._resume_handle)
        except ConnectionClosedError as exc:
            log.warning("could not open the next session (%s): the current one plays until it ends", exc)
            self._opened_at = time.monotonic()  # try again after rotate_after_s
            return None
        return Rotation(connection, settle_s=0.0 if resumed else self.settle_s,
                        fade_frames=round(fade_s * SAMPLE_RATE), aligned=resumed)

    async def _switch_to(self, rotation: Rotation) -> None:
        old, self._conn = self._conn, rotation.connection
        self._opened_at = time.monotonic()
        self._resume_handle = rotation.handle or self._resume_handle
        asyncio.get_running_loop().create_task(old.close())
        self._emit(EventKind.ROTATED, "next session cross-faded in over a bar")

    async def close(self) -> None:
        """Close the session cleanly (1000), and stop the embedded engine it ran on. Idempotent."""
        on_close, self._on_close = self._on_close, []
        try:
            await self._conn.close()
        finally:
            for stop in on_close:
                await stop()

    def __repr__(self) -> str:
        return f"AsyncMusicSession(backend={self.backend!r}, playback={self._playback.value!r})"

    def __aiter__(self) -> AsyncIterator[LiveMusicServerMessage]:
        return self.receive()
