"""Concurrent sessions on one ``livemusic serve``: server CPU per second of audio, and headroom.

Starts the BidiGenerateMusic server in a child process with "asap" pacing,
then opens N sessions at once from this process (over real loopback
WebSockets) and lets each receive ``--seconds`` of audio. Printed for each N:
the server's real-time factor per core (audio seconds generated per CPU
second of the server process) and the wall-clock throughput in real-time
streams (how many real-time sessions this machine could sustain).

    python benchmarks/server_sessions.py [--sessions 1 4 16] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

PROMPTS = [{"minimal techno": 1.0}, {"jazz trio": 1.0}, {"ambient": 1.0, "synth pads": 0.5},
           {"drum & bass": 1.0}, {"funk": 1.0, "slap bass": 0.6}, {"orchestral score": 1.0}]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (from /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def one_session(url: str, index: int, seconds: float) -> float:
    from livemusic import AsyncLiveMusic

    frames = 0
    async with AsyncLiveMusic(url=url).connect(pacing="asap") as session:
        await session.set_weighted_prompts(PROMPTS[index % len(PROMPTS)])
        await session.set_music_generation_config({"bpm": 90 + 7 * index, "seed": index})
        await session.play()
        async for block in session.audio():
            frames += len(block)
            if frames >= seconds * 48_000:
                break
    return frames / 48_000


async def measure(url: str, pid: int, sessions: int, seconds: float) -> tuple[float, float]:
    cpu, start = cpu_of(pid), time.perf_counter()
    audio = sum(await asyncio.gather(*(one_session(url, i, seconds) for i in range(sessions))))
    wall = time.perf_counter() - start
    return audio / (cpu_of(pid) - cpu), audio / wall


SERVE = """
import asyncio, sys
from livemusic.engine.server import MusicServer, Pacing
async def main():
    async with MusicServer("127.0.0.1", 0, pacing=Pacing(realtime=False)) as server:
        print(server.port, flush=True)
        await asyncio.Event().wait()
asyncio.run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=20.0, help="audio seconds per session")
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVE], stdout=subprocess.PIPE, text=True)
    try:
        url = f"ws://127.0.0.1:{server.stdout.readline().strip()}"
        print(f"one livemusic server, asap pacing, {args.seconds:.0f} s of audio per session, "
              f"{os.cpu_count()} cores")
        for n in args.sessions:
            per_core, streams = asyncio.run(measure(url, server.pid, n, args.seconds))
            print(f"  {n:3d} sessions: {per_core:6.1f}x real time per server core, "
                  f"{streams:6.1f} real-time streams of wall-clock throughput")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
