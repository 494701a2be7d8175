"""A timeline change is heard on time: measured on the stream the embedded engine sends."""

import asyncio

import numpy as np

from livemusic import AsyncLiveMusic
from livemusic.music.schedule import Scheduler
from livemusic.presets import parse_preset

RATE = 48_000
CHANGE_AT = 1.5
PRESET = f"""
name: timing
config: {{bpm: 120, seed: 5}}
prompts: {{minimal techno: 1.0}}
duration: 3
timeline:
  - at: {CHANGE_AT}
    config: {{mute_drums: true}}
"""


def db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-9)


async def test_change_is_heard_within_50_ms_of_its_nominal_time(server):
    preset = parse_preset(PRESET)
    drums, muted_from = [], None
    async with AsyncLiveMusic(url=server.url).connect(stems=True) as session:
        scheduler = Scheduler(session, preset.resolved_timeline(), duration=3.0)
        timeline = asyncio.create_task(scheduler.run())
        async for message in session.receive():
            for chunk in message.audio_chunks:
                if muted_from is None and chunk.source_metadata.music_generation_config.mute_drums:
                    muted_from = chunk.livemusic_position
                drums.append(np.frombuffer(chunk.livemusic_stems["drums"], "<i2").reshape(-1, 2))
            if session.generated_position >= 3.0:
                break
        await timeline
    # the stream position where the server applied the change (sourceMetadata + position)
    assert muted_from is not None, "no chunk was generated with the change"
    assert abs(muted_from - CHANGE_AT * RATE) <= 0.050 * RATE
    # and the drums really stop there: 20 dB quieter in the 0.5 s after than in the 0.5 s before
    drums_audio = np.concatenate(drums)
    at = int(CHANGE_AT * RATE)
    tail = int(0.05 * RATE)
    assert db(drums_audio[at + tail: at + RATE // 2]) <= db(drums_audio[at - RATE // 2: at]) - 20
