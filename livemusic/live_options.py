"""Where and how a live session plays (the flags of ``livemusic repl``), and the client they choose."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from livemusic.music.client import AsyncLiveMusic
from livemusic.music.embedded import EmbeddedEngine

if TYPE_CHECKING:
    from livemusic.presets import Preset


@dataclass(frozen=True)
class LiveOptions:
    """Where and how a live session plays (the flags of ``livemusic repl``)."""

    record: Path | None = None
    device: str | None = None
    buffer_ms: int | None = None
    backend: str | None = None
    url: str | None = None
    api_key: str | None = None
    audio: bool = True
    #: A MIDI input port (name or part of it) whose knobs and pads steer the music.
    midi: str | None = None


async def client_for(options: LiveOptions, preset: Preset | None,
                     engine: EmbeddedEngine | None = None) -> AsyncLiveMusic:
    """The client the options (then the preset) choose; an engine spawned early is stopped if unused."""
    try:
        client = AsyncLiveMusic(api_key=options.api_key, url=options.url or (preset.url if preset else None),
                                backend=options.backend or (preset.backend if preset else None), engine=engine)
    except BaseException:
        if engine is not None:
            await engine.stop()
        raise
    if engine is not None and client.backend != "embedded":
        await engine.stop()
    return client
