"""A scripted BidiGenerateContent peer on 127.0.0.1: each connection runs the test's script."""

from __future__ import annotations

import json
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

Script = Callable[["PeerConnection"], Awaitable[None]]


class PeerConnection:
    """One connection to the peer: what the client sent, and helpers to answer it."""

    def __init__(self, ws: ServerConnection, index: int) -> None:
        self.ws = ws
        self.index = index
        self.frames: list[dict[str, Any]] = []
        self.headers = ws.request.headers if ws.request else {}

    async def recv(self) -> dict[str, Any]:
        frame = json.loads(await self.ws.recv())
        self.frames.append(frame)
        return frame

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def accept_setup(self, **setup_complete: Any) -> dict[str, Any]:
        """Wait for setup and answer setupComplete; returns the setup."""
        frame = await self.recv()
        assert "setup" in frame, frame
        await self.send({"setupComplete": setup_complete})
        return frame["setup"]

    async def drain(self) -> None:
        """Record every frame until the client closes."""
        async for raw in self.ws:
            self.frames.append(json.loads(raw))


class ScriptedPeer:
    """Runs ``scripts[i]`` for the i-th connection (the last script for any further ones)."""

    @staticmethod
    async def accept_and_drain(connection: PeerConnection) -> None:
        """A script that answers setup and records what the client sends until it closes."""
        await connection.accept_setup()
        await connection.drain()

    def __init__(self, *scripts: Script, ssl_context: ssl.SSLContext | None = None) -> None:
        self.scripts = scripts
        self.ssl_context = ssl_context
        self.connections: list[PeerConnection] = []
        self.port = 0

    async def _handle(self, ws: ServerConnection) -> None:
        connection = PeerConnection(ws, len(self.connections))
        self.connections.append(connection)
        script = self.scripts[min(connection.index, len(self.scripts) - 1)]
        await script(connection)

    @property
    def url(self) -> str:
        return f"{'wss' if self.ssl_context else 'ws'}://127.0.0.1:{self.port}"

    async def __aenter__(self) -> ScriptedPeer:
        self._server = await serve(self._handle, "127.0.0.1", 0, ssl=self.ssl_context).__aenter__()
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
def peer() -> Callable[..., ScriptedPeer]:
    return ScriptedPeer
