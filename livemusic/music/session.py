"""``AsyncLiveMusic`` and ``AsyncMusicSession``: Google's music API, on any backend.

The names and semantics are those of ``google.genai``'s
``client.aio.live.music`` so its users can switch by changing one import.
Beyond it: :meth:`AsyncMusicSession.audio` yields numpy frames, the session
remembers its prompts, config and playback state, ``update_config`` merges a
change into the whole config (the protocol replaces it), ``receive()`` ends
normally on a 1000 close and surfaces ``warning`` frames, and the backend is
chosen for you: no API key means the embedded engine in its own process on
an ephemeral loopback port.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator, Iterable
from typing import Any

import numpy as np

from livemusic.audio.pcm import decode_pcm, parse_mime
from livemusic.errors import InvalidInputError
from livemusic.music.embedded import EmbeddedEngine
from livemusic.live import (
    Endpoint,
    LiveConnection,
    Secret,
    api_key_from_env,
    embedded_endpoint,
    google_endpoint,
    url_endpoint,
)
from livemusic.live.music import MUSIC, SERVICE
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

BACKENDS = ("embedded", "gemini")


class AsyncLiveMusic:
    """Entry point: ``async with AsyncLiveMusic().connect() as session: ...``.

    Backend choice: ``url=`` any BidiGenerateMusic server; else ``api_key=``
    or ``GOOGLE_API_KEY``/``GEMINI_API_KEY`` (or ``backend="gemini"``) Google's
    hosted model; else the embedded engine. A key from the environment only
    ever goes to Google; a ``url=`` server gets a key only when passed
    explicitly. ``engine`` hands over an :class:`EmbeddedEngine` spawned
    earlier (it is stopped with the session).
    """

    def __init__(self, *, api_key: str | None = None, url: str | None = None, backend: str | None = None,
                 api_version: str = "v1beta", engine: EmbeddedEngine | None = None) -> None:
        if backend is not None and backend not in BACKENDS:
            raise InvalidInputError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        if url is not None:
            self.backend = "url"
        elif backend is not None:
            self.backend = backend
        else:
            self.backend = "gemini" if api_key or api_key_from_env() else "embedded"
        key = api_key or (api_key_from_env() if self.backend == "gemini" else None)
        self._api_key = Secret(key) if key and self.backend != "embedded" else None
        self.url = url
        self.api_version = api_version
        self._engine = engine
        if self.backend == "gemini" and not self._api_key:
            raise InvalidInputError("backend 'gemini' needs an API key: set GEMINI_API_KEY or pass api_key=")

    def __repr__(self) -> str:
        return f"AsyncLiveMusic(backend={self.backend!r}, url={self.url!r})"

    def connect(self, *, model: str = DEFAULT_MODEL, pacing: str | None = None, chunk_ms: int | None = None,
                stems: bool = False, notes: bool = False, end: int | None = None) -> Connecting:
        """Open a session (setup done): ``async with ... as session`` closes it on exit;
        ``session = await ...`` keeps it open until ``await session.close()``.

        ``pacing="asap"`` (render as fast as the CPU allows), ``chunk_ms``,
        ``stems``, ``notes`` (the notes played, with each chunk) and ``end`` (the
        stream frame from which no note starts: the tails ring out) are livemusic
        extensions, sent only to a server that advertised them.
        """
        return Connecting(self._open(model=model, pacing=pacing, chunk_ms=chunk_ms, stems=stems, notes=notes,
                                     end=end))

    async def _open(self, *, model: str, pacing: str | None, chunk_ms: int | None, stems: bool, notes: bool,
                    end: int | None) -> AsyncMusicSession:
        engine = (self._engine or EmbeddedEngine()) if self.backend == "embedded" else None
        self._engine = None  # a handed-over engine serves one session
        try:
            if engine is not None:
                endpoint = embedded_endpoint(await engine.start(), SERVICE, version=self.api_version)
            elif self.backend == "url":
                assert self.url is not None
                endpoint = url_endpoint(self.url, SERVICE, version=self.api_version, api_key=self._api_key)
            else:
                assert self._api_key is not None
                endpoint = google_endpoint(SERVICE, self._api_key, version=self.api_version)
            session = await AsyncMusicSession.open(endpoint, model=model, pacing=pacing, chunk_ms=chunk_ms,
                                                   stems=stems, notes=notes, end=end)
        except BaseException:
            if engine is not None:
                await engine.stop()
            raise
        if engine is not None:
            session._on_close.append(engine.stop)  # the session owns the engine it was opened on
        return session


class Connecting:
    """What :meth:`AsyncLiveMusic.connect` returns: await it, or use it with ``async with``.

    Awaiting it gives a session that stays open until ``await session.close()``
    (a REPL, a notebook); ``async with`` closes it when the block ends.
    """

    def __init__(self, opening: Coroutine[Any, Any, AsyncMusicSession]) -> None:
        self._opening = opening
        self._session: AsyncMusicSession | None = None

    def __await__(self) -> Generator[Any, None, AsyncMusicSession]:
        return self._opening.__await__()

    async def __aenter__(self) -> AsyncMusicSession:
        self._session = await self._opening
        return self._session

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._session is not None
        await self._session.close()


class AsyncMusicSession:
    """An open music session: steer it, and read its audio with ``receive()`` or ``audio()``."""

    def __init__(self, connection: LiveConnection[LiveMusicClientMessage, LiveMusicServerMessage]) -> None:
        self._conn = connection
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
        connection = await LiveConnection.connect(endpoint, MUSIC)
        setup: dict[str, Any] = {"model": model}
        if connection.extensions:
            setup["livemusic_pacing"] = pacing or "realtime"
            if chunk_ms is not None:
                setup["livemusic_chunk_ms"] = chunk_ms
            if stems:
                setup["livemusic_stems"] = True
            if notes and "notes" in connection.extensions:
                setup["livemusic_notes"] = True
            if end is not None and "end" in connection.extensions:
                setup["livemusic_end"] = end
        elif pacing == "asap" or stems or notes or end is not None:
            log.info("server has no livemusic extensions: pacing/stems/notes/end requests ignored")
        try:
            await connection.setup(setup)
        except BaseException:
            await connection.close()
            raise
        return cls(connection)

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
        await self._conn.send(LiveMusicClientMessage(livemusic_at=frame, **payload))

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
        """Server messages until the server closes normally; an error close raises a typed error."""
        while (message := await self._conn.recv()) is not None:
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

    async def audio(self) -> AsyncIterator[np.ndarray]:
        """The stream's audio as int16 arrays shaped ``(frames, 2)``."""
        async for message in self.receive():
            for chunk in message.audio_chunks:
                if chunk.data:
                    yield decode_pcm(chunk.data, chunk.mime_type)

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
