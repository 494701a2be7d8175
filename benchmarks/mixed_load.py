"""A listener on a server that render clients keep busy: do its chunks still arrive in time?

Starts one BidiGenerateMusic server in a child process and plays one session
in real time (the server's default pacing) while 0, 4 and 16 other sessions
render as fast as the server allows (``asap`` pacing, one after another). For
the listener it prints the smallest margin of a chunk: how long before the
listener needs it (playing from the first chunk's arrival, with no buffer of
its own) it arrived. The server aims at a 0.2 s lead; below 0 a player with no
buffer would run dry.

    python benchmarks/mixed_load.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from engine_rtf import one_session, serving
from livemusic import AsyncLiveMusic


async def render_forever(url: str, index: int) -> None:
    """Render 20 s pieces of session ``index``'s music, again and again."""
    while True:
        await one_session(url, index, 20.0)


async def listen(url: str, seconds: float) -> float:
    """The smallest margin (s) of a chunk of a real-time session of ``seconds``."""
    margin, frames, start = float("inf"), 0, None
    async with AsyncLiveMusic(url=url).connect() as session:
        await session.set_weighted_prompts({"jazz trio": 1.0})
        await session.play()
        async for block in session.audio():
            now = time.monotonic()
            start = start if start is not None else now
            if frames:  # the first chunk sets the clock
                margin = min(margin, frames / 48_000 - (now - start))
            frames += len(block)
            if frames >= seconds * 48_000:
                break
    return margin


async def measure(url: str, renders: int, seconds: float) -> float:
    tasks = [asyncio.create_task(render_forever(url, i)) for i in range(renders)]
    try:
        await asyncio.sleep(1.0)  # the render clients are under way
        return await listen(url, seconds)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="the listener's session (default 10)")
    args = parser.parse_args()
    with serving() as (url, _):
        print(f"one server; a real-time listener for {args.seconds:g} s while render clients run")
        for renders in (0, 4, 16):
            margin = asyncio.run(measure(url, renders, args.seconds))
            print(f"  {renders:2d} render clients: smallest margin {margin * 1000:4.0f} ms")


if __name__ == "__main__":
    main()
