"""The asyncio I/O layer: moves frames between a :class:`ClientProtocol` and a socket.

This is the only module of :mod:`livemusic.live` that awaits a socket. It adds
what a long-lived stream needs: keepalive pings, a bounded receive queue, a
maximum message size and a clean close, and it turns every way a connection
can end into either the end of iteration (a normal close) or a typed
:class:`~livemusic.errors.ConnectionClosedError`.
"""

from __future__ import annotations

from typing import Any, Generic
from urllib.parse import urlsplit

import websockets
from websockets.asyncio.client import ClientConnection, connect

from livemusic.errors import ConnectionClosedError, ServerError, SessionStateError
from livemusic.live.endpoints import EXTENSIONS_HEADER, Endpoint
from livemusic.live.redact import redacting_logger, register_secret
from livemusic.live.state import C, ClientProtocol, Dialect, S, State


#: Largest frame accepted: a 2 s chunk of 48 kHz stereo is ~512 KB of base64; stems add 4x.
MAX_MESSAGE_BYTES = 16 * 2**20
#: Frames buffered by websockets before it stops reading from the socket (backpressure).
MAX_QUEUE = 64
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


_WS_LOG = redacting_logger("livemusic.websocket")


class LiveConnection(Generic[C, S]):
    """One bidi session over a WebSocket: ``connect``, ``setup``, ``send``, ``recv``, ``close``."""

    def __init__(self, ws: ClientConnection, protocol: ClientProtocol[C, S], endpoint: Endpoint) -> None:
        self._ws = ws
        self.protocol = protocol
        self.endpoint = endpoint
        #: Extensions the server advertised in its handshake (livemusic's server only).
        self.extensions: frozenset[str] = frozenset(
            x.strip() for x in (ws.response.headers.get(EXTENSIONS_HEADER) or "").split(",") if x.strip()
        ) if ws.response is not None else frozenset()

    @classmethod
    async def connect(cls, endpoint: Endpoint, dialect: Dialect[C, S], *, open_timeout: float = 10.0,
                      ping_interval: float | None = 20.0) -> LiveConnection[C, S]:
        """Open the WebSocket (no setup yet); loopback endpoints never go through a proxy."""
        host = urlsplit(endpoint.url).hostname or ""
        for value in endpoint.headers.values():
            register_secret(value)
        try:
            ws = await connect(
                endpoint.url,
                additional_headers=dict(endpoint.headers),
                max_size=MAX_MESSAGE_BYTES,
                max_queue=MAX_QUEUE,
                ping_interval=ping_interval,
                open_timeout=open_timeout,
                proxy=None if host in LOOPBACK_HOSTS else True,
                compression=None if endpoint.backend == "embedded" else "deflate",
                logger=_WS_LOG,
            )
        except websockets.InvalidStatus as exc:
            status = exc.response.status_code
            raise ServerError(1006, f"handshake refused by {endpoint.url} with HTTP {status}") from None
        except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
            raise ServerError(1006, f"cannot connect to {endpoint.url}: {exc}") from None
        return cls(ws, ClientProtocol(dialect), endpoint)

    async def setup(self, setup: Any) -> S:
        """Send the setup frame and wait for ``setupComplete``; a close here raises a typed error."""
        frame = self.protocol.setup(setup)
        try:
            await self._ws.send(frame)
        except websockets.ConnectionClosed as exc:  # refused at once (a token, a full server)
            raise self._closed(exc) or ServerError(1000, "the server closed the connection before setup") from None
        while True:
            message = await self.recv()
            if message is None:
                raise ServerError(self.protocol.close_code or 1000,
                                  "the server closed the connection before setupComplete")
            if self.protocol.state is State.OPEN:
                return message

    async def send(self, message: C) -> None:
        """Send one message; refused (SessionStateError) unless the session is open."""
        frame = self.protocol.send(message)
        try:
            await self._ws.send(frame)
        except websockets.ConnectionClosed as exc:
            error = self._closed(exc)  # None for a normal close: the session ended, nothing to retry
            ended = f"{self.protocol.close_code} {self.protocol.close_reason}".strip()
            raise error or SessionStateError(f"the session has ended ({ended})") from None

    async def recv(self) -> S | None:
        """The next server message, or ``None`` once the server closed normally (1000)."""
        if self.protocol.state is State.CLOSED:
            return None
        try:
            frame = await self._ws.recv()
        except websockets.ConnectionClosed as exc:
            error = self._closed(exc)
            if error is not None:
                raise error from None
            return None
        return self.protocol.receive(frame)

    async def close(self) -> None:
        """Close cleanly with 1000 and wait for the server's close frame."""
        self.protocol.start_closing()
        await self._ws.close()
        if self.protocol.state is not State.CLOSED:
            self.protocol.connection_closed(1000)

    def _closed(self, exc: websockets.ConnectionClosed) -> ConnectionClosedError | None:
        frame = exc.rcvd
        return self.protocol.connection_closed(frame.code if frame else None, frame.reason if frame else "")
