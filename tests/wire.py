"""Raw-frame helpers for server tests: the service path, a setup frame, and how a connection ended."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

PATH = "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateMusic"
SETUP = json.dumps({"setup": {"model": "models/lyria-realtime-exp"}})


async def closed_with(ws, timeout: float = 10) -> tuple[int, str]:
    """Read until the server closes ``ws``; its close code and reason."""
    with pytest.raises(websockets.ConnectionClosed) as info:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    assert info.value.rcvd is not None, "the connection ended without a close frame"
    return info.value.rcvd.code, info.value.rcvd.reason


async def opened(url: str, **connect_args):
    """A raw connection past setupComplete."""
    ws = await websockets.connect(url + PATH, **connect_args)
    await ws.send(SETUP)
    assert "setupComplete" in json.loads(await ws.recv())
    return ws
