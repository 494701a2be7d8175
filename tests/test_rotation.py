"""Session rotation across a short ``--max-session-seconds``: the next session fades in with no seam."""

import asyncio
import time

import numpy as np

from livemusic import AsyncLiveMusic, EventKind
from livemusic.audio.playout import Playout
from livemusic.server import MusicServer
from livemusic.server.limits import Limits
from livemusic.stage import Stage
from livemusic.types import SAMPLE_RATE
from serving import serve_process

WINDOW = SAMPLE_RATE // 50  # 20 ms


def window_db(audio: np.ndarray) -> np.ndarray:
    """RMS level of each 20 ms window, in dB."""
    x = audio[: len(audio) // WINDOW * WINDOW].astype(np.float64).mean(axis=1).reshape(-1, WINDOW)
    return 10 * np.log10(np.mean(x**2, axis=1) + 1e-9)


def step(audio: np.ndarray) -> np.ndarray:
    """The sample-to-sample step (largest of the two channels): a cut or a click is a large one."""
    return np.abs(np.diff(audio.astype(np.int32), axis=0)).max(axis=1)


async def test_rotation_across_a_short_session_limit_leaves_no_seam():
    with serve_process("--max-session-seconds", "5") as served:
        session = await AsyncLiveMusic(url=served.url).connect()
        rotated_at: list[int] = []
        blocks: list[np.ndarray] = []
        playout = Playout(buffer_s=0.5)
        session.on_event = lambda e: rotated_at.append(sum(map(len, blocks))) if e.kind is EventKind.ROTATED else None
        await session.set_weighted_prompts({"deep house": 1.0})
        await session.set_music_generation_config({"bpm": 120, "seed": 11})
        await session.play()
        async for block in session.audio():
            blocks.append(block)
            playout.arrive(time.monotonic(), len(block))
            if sum(map(len, blocks)) >= 10 * SAMPLE_RATE:
                break
        await session.close()
    assert [e.kind for e in session.events] == [EventKind.ROTATED] * len(rotated_at) and len(rotated_at) >= 2
    assert playout.underruns == 0
    audio = np.concatenate(blocks)
    level, jumps = window_db(audio), step(audio)
    bar = 2 * SAMPLE_RATE  # at 120 bpm
    for end in rotated_at:  # the fade is the bar before ``end``, where the new session took over alone
        fade = slice((end - bar) // WINDOW, end // WINDOW + 5)
        around = np.r_[level[max(0, fade.start - bar // WINDOW):fade.start], level[fade.stop:fade.stop + bar // WINDOW]]
        assert level[fade].mean() > np.median(around) - 3, "the level dips during the fade"
        near = jumps[max(0, end - 2 * bar):end + bar]
        assert jumps[end - 2:end + 2].max() <= np.percentile(near, 99.9), "a click where the new session takes over"


async def test_a_rotation_shows_on_the_status_line():
    async with MusicServer("127.0.0.1", 0, limits=Limits(max_session_s=2)) as server:
        session = await AsyncLiveMusic(url=server.url).connect()
        await session.set_weighted_prompts({"dub": 1.0})
        await session.play()
        stage = await Stage.open(session, buffer_ms=500, audio=False)
        try:
            async with asyncio.timeout(20):
                while not any(e.kind is EventKind.ROTATED for e in session.events):
                    await asyncio.sleep(0.05)
            assert "| rotated: " in stage.status(3.0, (2, 1), 120, width=300)
        finally:
            await stage.close()
            await session.close()


async def test_a_rotation_whose_next_session_ends_before_the_fade_is_dropped_and_the_music_plays_on(caplog):
    # The server ends every session after 1.5 s; the client rotates 0.3 s into each and fades over a bar (2 s
    # at 120 bpm), so every next session ends mid-fade. The stream goes on from the current session.
    async with MusicServer("127.0.0.1", 0, limits=Limits(max_session_s=1.5)) as server:
        session = await AsyncLiveMusic(url=server.url).connect()
        session.rotate_after_s = 0.3
        await session.set_weighted_prompts({"deep house": 1.0})
        await session.set_music_generation_config({"bpm": 120, "seed": 11})
        await session.play()
        frames = 0
        async with asyncio.timeout(30):
            async for block in session.audio():
                frames += len(block)
                if frames >= 4 * SAMPLE_RATE:
                    break
        await session.close()
    assert frames >= 4 * SAMPLE_RATE
    assert any("ended before the fade" in r.getMessage() for r in caplog.records)
