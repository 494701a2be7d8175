"""Soak: one long paced session on ``livemusic serve``; server RSS, CPU and client underruns over time.

    python benchmarks/soak.py                 # an hour
    python benchmarks/soak.py --minutes 10 --every 60

The server runs as ``livemusic serve`` in its own process (as in production);
this process is the listener, judging the stream with a virtual player
(``livemusic.audio.playout.Playout``, 0.5 s buffer: ``livemusic play --url``'s
default). Prints one row per interval and a summary: server and client RSS
growth after the first interval (the warm-up fills caches), server CPU share
of one core, underruns. The engine's sound cache (bounded at 64 M samples)
fills over the first minutes of a set; server RSS is flat once it is full.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

from engine_rtf import cpu_of
from livemusic import AsyncLiveMusic
from livemusic.audio.playout import Playout
from livemusic.types import SAMPLE_RATE


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (from /proc)."""
    with open(f"/proc/{pid}/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kb / 1024


async def soak(url: str, pid: int, seconds: float, every: float) -> None:
    playout = Playout(buffer_s=0.5)
    start = time.monotonic()
    rows: list[tuple[float, float, float, int, float]] = []
    next_row = start + every
    print(f"{'minute':>7} {'server RSS MB':>14} {'server CPU %':>13} {'client RSS MB':>14} {'underruns':>10} "
          f"{'audio s':>8}")
    async with AsyncLiveMusic(url=url).connect() as session:
        await session.set_weighted_prompts({"deep house": 1.0, "rhodes piano": 0.4})
        await session.set_music_generation_config({"bpm": 122})
        await session.play()
        last_cpu, last_time = cpu_of(pid), start
        async for block in session.audio():
            now = time.monotonic()
            playout.arrive(now, len(block))
            if now >= next_row:
                cpu = cpu_of(pid)
                rows.append((now - start, rss_mb(pid), 100 * (cpu - last_cpu) / (now - last_time), playout.underruns,
                             rss_mb(os.getpid())))
                last_cpu, last_time, next_row = cpu, now, next_row + every
                minute, server_rss, server_cpu, underruns, client_rss = rows[-1]
                print(f"{minute / 60:7.1f} {server_rss:14.1f} {server_cpu:13.1f} {client_rss:14.1f} {underruns:10d} "
                      f"{playout.frames / SAMPLE_RATE:8.0f}", flush=True)
            if now - start >= seconds:
                break
    if rows:
        first, last = rows[0], rows[-1]
        cpu = sum(row[2] for row in rows) / len(rows)
        print(f"\n{seconds / 60:g} min paced session: server RSS {first[1]:.1f} MB after {first[0] / 60:.1f} min, "
              f"{last[1]:.1f} MB at the end ({last[1] - first[1]:+.1f} MB); client RSS {first[4]:.1f} -> "
              f"{last[4]:.1f} MB ({last[4] - first[4]:+.1f} MB); server CPU {cpu:.1f}% of a core; "
              f"client underruns {playout.underruns} ({playout.underrun_s:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between rows")
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-m", "livemusic.cli", "serve", "--port", "0"],
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        url = server.stderr.readline().split("listening on ")[1].split()[0]
        asyncio.run(soak(url, server.pid, args.minutes * 60, args.every))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
