"""Soak: one long paced session on ``livemusic serve``; server RSS, CPU and client underruns over time.

    python benchmarks/soak.py                 # an hour
    python benchmarks/soak.py --minutes 10 --every 60
    python benchmarks/soak.py --asap          # an hour of audio as fast as the server renders it

The server runs as ``livemusic serve`` in its own process (as in production);
this process is the listener, judging the stream with a virtual player
(``livemusic.audio.playout.Playout``, 0.5 s buffer: ``livemusic play --url``'s
default). Prints one row per interval and a summary: server RSS before the
session, after the warm-up (``--warmup``, 5 minutes: the engine's sound cache,
bounded at 16 M samples for one session, fills in the first minute of a set,
and the allocator's heap settles over the next few) and at the end, its
growth per hour after the warm-up, the same for the client, server CPU share
of one core, underruns.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
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


async def soak(url: str, pid: int, seconds: float, every: float, warmup: float, asap: bool = False) -> None:
    playout = Playout(buffer_s=0.5)
    server_start = rss_mb(pid)
    start = time.monotonic()
    rows: list[tuple[float, float, float, int, float]] = []
    next_row = every
    print(f"{'minute':>7} {'server RSS MB':>14} {'server CPU %':>13} {'client RSS MB':>14} {'underruns':>10} "
          f"{'audio s':>8}")
    async with AsyncLiveMusic(url=url).connect(pacing="asap" if asap else None) as session:
        await session.set_weighted_prompts({"deep house": 1.0, "rhodes piano": 0.4})
        await session.set_music_generation_config({"bpm": 122})
        await session.play()
        last_cpu, last_time = cpu_of(pid), start
        async for block in session.audio():
            now = time.monotonic()
            playout.arrive(now, len(block))
            elapsed = playout.frames / SAMPLE_RATE if asap else now - start  # asap: the stream's own time
            if elapsed >= next_row:
                cpu = cpu_of(pid)
                rows.append((elapsed, rss_mb(pid), 100 * (cpu - last_cpu) / (now - last_time), playout.underruns,
                             rss_mb(os.getpid())))
                last_cpu, last_time, next_row = cpu, now, next_row + every
                minute, server_rss, server_cpu, underruns, client_rss = rows[-1]
                print(f"{minute / 60:7.1f} {server_rss:14.1f} {server_cpu:13.1f} {client_rss:14.1f} {underruns:10d} "
                      f"{playout.frames / SAMPLE_RATE:8.0f}", flush=True)
            if elapsed >= seconds:
                break
    warm = [row for row in rows if row[0] >= warmup]
    if len(warm) >= 2:
        first, last = warm[0], warm[-1]
        server = [row[1] for row in warm]
        cpu = sum(row[2] for row in rows) / len(rows)
        print(f"\n{seconds / 60:g} min paced session: server RSS {server_start:.1f} MB before it, {first[1]:.1f} MB "
              f"after the warm-up ({first[0] / 60:.1f} min), {last[1]:.1f} MB at the end, {min(server):.1f}-"
              f"{max(server):.1f} MB in between; growth after the warm-up (least-squares slope) "
              f"{per_hour(warm, 1):+.1f} MB per hour; client RSS {first[4]:.1f} -> {last[4]:.1f} MB "
              f"({per_hour(warm, 4):+.1f} MB per hour); server CPU {cpu:.1f}% of a core; "
              f"client underruns {playout.underruns} ({playout.underrun_s:.2f} s)")


def per_hour(rows: list[tuple[float, float, float, int, float]], column: int) -> float:
    """The least-squares slope of ``column`` over the rows' times, per hour (one sample alone is noisy:
    RSS moves by +-10 MB with what a render holds at that moment)."""
    return statistics.linear_regression([row[0] / 3600 for row in rows], [row[column] for row in rows]).slope


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between rows")
    parser.add_argument("--warmup", type=float, default=5.0, help="minutes before RSS growth is counted")
    parser.add_argument("--asap", action="store_true",
                        help="render as fast as the server can, minutes counted in audio: memory over a long set in "
                             "a few minutes (CPU and underruns then mean nothing)")
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-m", "livemusic.cli", "serve", "--port", "0"],
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        url = server.stderr.readline().split("listening on ")[1].split()[0]
        asyncio.run(soak(url, server.pid, args.minutes * 60, args.every, args.warmup * 60, args.asap))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
