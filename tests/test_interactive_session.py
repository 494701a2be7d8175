"""A session opened with ``await connect()`` (REPL, notebook) lives until ``close()``."""

import gc

from livemusic import AsyncLiveMusic
from livemusic.music.embedded import EmbeddedEngine


async def test_awaited_connect_stays_open_until_close(server):
    session = await AsyncLiveMusic(url=server.url).connect()
    gc.collect()  # the temporaries of the call are gone; the session must not close with them
    await session.set_weighted_prompts({"minimal techno": 1.0})
    await session.play()
    frames = 0
    async for block in session.audio():
        frames += len(block)
        if frames >= 4800:
            break
    assert frames >= 4800
    await session.close()


async def test_close_is_idempotent(server):
    session = await AsyncLiveMusic(url=server.url).connect()
    await session.close()
    await session.close()


async def test_closing_an_awaited_embedded_session_stops_its_engine():
    engine = EmbeddedEngine.spawn()
    session = await AsyncLiveMusic(backend="embedded", engine=engine).connect()
    process = engine.process
    assert process is not None and process.poll() is None
    await session.close()
    assert process.poll() is not None
