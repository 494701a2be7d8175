"""16 paced sessions at once for 30 s: every listener hears its stream with no gap.

The server runs as ``livemusic serve`` in its own process; each session's
chunks feed a virtual player with a 1 s buffer (twice ``livemusic play``'s
default for servers given by URL: this machine is shared, and this one
process decodes all 16 streams).
"""

import asyncio
import time

from livemusic import AsyncLiveMusic
from livemusic.audio.playout import Playout
from livemusic.types import SAMPLE_RATE
from serving import serve_process

SESSIONS = 16
SECONDS = 30.0
STYLES = ["deep house", "jazz trio", "ambient pads", "drum and bass", "bossa nova", "minimal techno",
          "funk bass", "lofi hip hop"]


async def listen(url: str, index: int, until: float) -> Playout:
    playout = Playout(buffer_s=1.0)
    async with AsyncLiveMusic(url=url).connect() as session:
        await session.set_weighted_prompts({STYLES[index % len(STYLES)]: 1.0})
        await session.set_music_generation_config({"bpm": 90 + 5 * index, "seed": index})
        await session.play()
        async for audio in session.audio():
            playout.arrive(time.monotonic(), len(audio))
            if time.monotonic() >= until:
                break
    return playout


async def test_sixteen_paced_sessions_for_30_s_have_no_underrun():
    with serve_process() as served:
        until = time.monotonic() + SECONDS
        playouts = await asyncio.gather(*(listen(served.url, i, until) for i in range(SESSIONS)))
    assert [p.underruns for p in playouts] == [0] * SESSIONS, [round(p.underrun_s, 3) for p in playouts]
    assert min(p.frames for p in playouts) >= (SECONDS - 1) * SAMPLE_RATE
