"""``AsyncLiveMusic``: the entry point that picks a backend and opens music sessions on it.

The embedded engine (no API key: its own process on an ephemeral loopback
port), Google's hosted model (an API key) or any BidiGenerateMusic server
(``url=``); :class:`~livemusic.music.session.AsyncMusicSession` is what it opens.
"""

from __future__ import annotations

from livemusic.errors import InvalidInputError
from livemusic.live import Secret, api_key_from_env, embedded_endpoint, google_endpoint, url_endpoint
from livemusic.live.connecting import Connecting
from livemusic.live.music import SERVICE
from livemusic.music.embedded import EmbeddedEngine
from livemusic.music.session import AsyncMusicSession
from livemusic.types import DEFAULT_MODEL

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
                stems: bool = False, notes: bool = False, end: int | None = None) -> Connecting[AsyncMusicSession]:
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

