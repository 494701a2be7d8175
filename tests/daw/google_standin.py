"""A stand-in for Google's hosted music service on 127.0.0.1: strict about the wire, paced like the model.

It answers BidiGenerateMusic as PROTOCOL.md describes Google's service: no
``x-livemusic-extensions`` header; a setup holding anything but ``model`` (or a
message holding a field Google does not know, such as ``livemusicAt``) is closed
with 1007 and Google's "Unknown name" reason; PLAY streams 2-second chunks of
48 kHz stereo L16 at the pace of real time (the model's pace) after a short
start. Its audio is a quiet 220 Hz tone, so a test can tell what arrived.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import numpy as np
import websockets

SR = 48_000
CHUNK_SECONDS = 2.0
MIME = "audio/l16;rate=48000;channels=2"
SETUP_FIELDS = {"model"}
MESSAGES = {"setup", "clientContent", "musicGenerationConfig", "playbackControl"}
CONFIG_FIELDS = {"temperature", "topK", "seed", "guidance", "bpm", "density", "brightness", "scale", "muteBass",
                 "muteDrums", "onlyBassAndDrums", "musicGenerationMode"}


@dataclass
class StandIn:
    url: str
    #: Every JSON message received, in order, on every connection.
    received: list[dict] = field(default_factory=list)
    #: The x-goog-api-key header of each connection.
    keys: list[str | None] = field(default_factory=list)
    #: The close code and reason the stand-in gave each refused connection.
    refused: list[tuple[int, str]] = field(default_factory=list)


def _unknown(message: dict) -> str | None:
    """The first field Google would not know, as its error names it, or None."""
    extra = set(message) - MESSAGES
    if extra or len(message) != 1:
        return f"Unknown name \"{sorted(extra)[0] if extra else ''}\": Cannot find field."
    (kind, body), = message.items()
    allowed = {"setup": SETUP_FIELDS, "musicGenerationConfig": CONFIG_FIELDS, "clientContent": {"weightedPrompts"}}
    if kind in allowed and isinstance(body, dict):
        for name in body:
            if name not in allowed[kind]:
                return f"Invalid JSON payload received. Unknown name \"{name}\" at '{kind}': Cannot find field."
    return None


def _tone(start: int, frames: int) -> bytes:
    t = (np.arange(start, start + frames) / SR).astype(np.float64)
    mono = np.round(0.1 * 32767 * np.sin(2 * np.pi * 220.0 * t)).astype("<i2")
    return np.repeat(mono[:, None], 2, axis=1).tobytes()


@contextlib.asynccontextmanager
async def google_standin() -> AsyncIterator[StandIn]:
    """Serve until the block ends; yields the URL (a bare host: the client adds Google's service path)."""
    stand_in = StandIn(url="")

    async def stream(ws) -> None:
        sent = 0
        while True:
            await ws.send(json.dumps({"serverContent": {"audioChunks": [
                {"data": base64.b64encode(_tone(sent, round(CHUNK_SECONDS * SR))).decode(), "mimeType": MIME}]}}))
            sent += round(CHUNK_SECONDS * SR)
            await asyncio.sleep(CHUNK_SECONDS if sent > 2 * CHUNK_SECONDS * SR else 0.05)

    async def handle(ws) -> None:
        stand_in.keys.append(ws.request.headers.get("x-goog-api-key"))
        player: asyncio.Task | None = None
        try:
            async for text in ws:
                message = json.loads(text)
                stand_in.received.append(message)
                reason = _unknown(message)
                if reason is not None:
                    stand_in.refused.append((1007, reason))
                    await ws.close(1007, reason)
                    return
                if "setup" in message:
                    await ws.send(json.dumps({"setupComplete": {}}))
                elif message.get("playbackControl") == "PLAY" and player is None:
                    player = asyncio.create_task(stream(ws))
                elif message.get("playbackControl") in ("PAUSE", "STOP") and player is not None:
                    player.cancel()
                    player = None
        except websockets.ConnectionClosed:
            pass
        finally:
            if player is not None:
                player.cancel()

    async with websockets.serve(handle, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        stand_in.url = f"ws://127.0.0.1:{port}"
        yield stand_in
