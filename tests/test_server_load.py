"""16 paced sessions at once on one ``livemusic serve``: each streamed to the end, none ahead of the clock, none
starved.

The server runs in its own process; this one listens to all 16. What is asserted holds however busy this
shared machine is: a paced server never sends a stream further ahead of the wall clock than its lead (the
larger one after an untimed message) and a chunk, and its sessions share it alike. Whether 16 listeners hear
no gap is a matter of the CPU the server gets: ``benchmarks/engine_rtf.py --pacing realtime`` measures it
(paced sessions per server core).
"""

import asyncio
import time
from dataclasses import dataclass

from livemusic import AsyncLiveMusic
from livemusic.server.pacing import Pacing
from livemusic.types import SAMPLE_RATE
from serving import serve_process

SESSIONS = 16
SECONDS = 10.0
STYLES = ["deep house", "jazz trio", "ambient pads", "drum and bass", "bossa nova", "minimal techno",
          "funk bass", "lofi hip hop"]
#: The furthest a paced stream may run ahead of the wall clock: ``max_ahead_s`` (the lead after an untimed message,
#: its chunk included) and a chunk's margin (for a tick of the wake-up grid, and play's way to the server).
AHEAD_S = Pacing().max_ahead_s + Pacing().chunk_ms / 1000


@dataclass
class Heard:
    """One listener's stream: audio received, how far ahead of the clock it ran at most, until when."""

    frames: int = 0
    ahead_s: float = 0.0
    seconds: float = 0.0  # from sending play to the last audio
    to_the_end: bool = False  # still streaming at the end of the test

    @property
    def rate(self) -> float:
        """Seconds of audio received per second of wall clock."""
        return self.frames / SAMPLE_RATE / self.seconds


async def listen(url: str, index: int, until: float) -> Heard:
    heard = Heard()
    async with AsyncLiveMusic(url=url).connect() as session:
        await session.set_weighted_prompts({STYLES[index % len(STYLES)]: 1.0})
        await session.set_music_generation_config({"bpm": 90 + 5 * index, "seed": index})
        started = time.monotonic()  # the server starts the stream's clock after this
        await session.play()
        async for audio in session.audio():
            now = time.monotonic()
            heard.frames += len(audio)
            heard.seconds = now - started
            heard.ahead_s = max(heard.ahead_s, heard.frames / SAMPLE_RATE - heard.seconds)
            if now >= until:
                heard.to_the_end = True
                break
    return heard


async def test_sixteen_paced_sessions_stream_to_the_end_on_the_clock_and_share_the_server_alike():
    with serve_process() as served:
        until = time.monotonic() + SECONDS
        heard = await asyncio.gather(*(listen(served.url, i, until) for i in range(SESSIONS)))
    assert all(h.to_the_end for h in heard)
    assert max(h.ahead_s for h in heard) <= AHEAD_S, [round(h.ahead_s, 3) for h in heard]
    rates = [h.rate for h in heard]
    assert min(rates) >= 0.5 * max(rates), [round(r, 2) for r in rates]  # a busy server is slow for all alike
