"""Soak: one long paced session on ``livemusic serve``; server RSS, CPU and client underruns over time.

    python benchmarks/soak.py                 # an hour
    python benchmarks/soak.py --minutes 10 --every 60
    python benchmarks/soak.py --asap          # an hour of audio as fast as the server renders it

The server runs as ``livemusic serve`` in its own process (as in production);
this process is the listener, judging the stream with a virtual player
(``livemusic.audio.playout.Playout``, 0.5 s buffer: ``livemusic play --url``'s
default). The music is deep house with rhodes at 122 bpm from a fixed seed
(``--seed``), so runs play the same arrangement.

Server RSS is sampled every second (of audio, with ``--asap``); each row shows
the last sample, the minute's minimum and median (one sample moves by +-10 MB
with the large buffers a render holds at that moment), and the resident memory
split from /proc/PID/smaps: glibc's heaps (the main arena and the threads'
arenas), the other anonymous memory (the engine's cached sounds in pages of their own,
large buffers, Python's object arenas, thread stacks) and mapped files. The summary gives server
RSS before the session, after the warm-up (``--warmup``, 5 minutes: the
engine's sound cache, bounded at 16 M samples for one session, fills in the
first minute of a set, and the allocator's heap settles over the next few) and
at the end; its growth per hour after the warm-up as the least-squares slope of
the raw samples, of the per-minute minima and of the per-minute medians; the
range and slope of each part of the split; the same for the client; server CPU share of one core;
underruns.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from engine_rtf import cpu_of
from livemusic import AsyncLiveMusic
from livemusic.audio.playout import Playout
from livemusic.types import SAMPLE_RATE

#: glibc reserves each thread arena as this much address space, aligned to it, and maps it in as it grows.
ARENA_RESERVE = 64 * 1024 * 1024


@dataclass(frozen=True)
class Row:
    """One interval of the session: its end (seconds), server memory (MB) and CPU, the client's state."""

    at: float
    rss: float          # the last sample
    low: float          # the interval's samples: minimum and median
    median: float
    heap: float         # the last sample's split (/proc/PID/smaps)
    anon: float
    files: float
    cpu: float          # % of one core over the interval
    underruns: int
    client: float


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (from /proc)."""
    with open(f"/proc/{pid}/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kb / 1024


def memory_split(pid: int) -> tuple[float, float, float]:
    """Resident MB of process ``pid`` in glibc's heaps, in other anonymous memory, and in mapped files
    (from /proc/PID/smaps).

    The heaps are the main arena (``[heap]``) and the thread arenas: glibc reserves
    each as :data:`ARENA_RESERVE` of address space aligned to its size, maps in its
    used part read-write from the start and leaves the rest ``---p``. A cached
    sound's own pages (``SoundCache``) are private anonymous memory, mapped and faulted in
    at once (``MAP_POPULATE``): nothing in smaps tells them from the other anonymous memory.
    """
    mappings: list[tuple[int, int, str, str, int]] = []  # start, end, permissions, name, resident kB
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            head = line.split()
            if head[0] == "Rss:":
                mappings[-1] = (*mappings[-1][:4], int(head[1]))
            elif not head[0].endswith(":"):
                start, end = (int(address, 16) for address in head[0].split("-"))
                mappings.append((start, end, head[1], " ".join(head[5:]), 0))
    arenas = {start for start, _, perms, name, _ in mappings
              if not name and perms == "rw-p" and start % ARENA_RESERVE == 0}
    arenas &= {end - ARENA_RESERVE for _, end, perms, name, _ in mappings
               if not name and (perms == "---p" or perms == "rw-p") and end % ARENA_RESERVE == 0}
    heap = anon = files = 0
    for start, _, perms, name, kb in mappings:
        if name == "[heap]" or (not name and start - start % ARENA_RESERVE in arenas):
            heap += kb
        elif not name or name.startswith("["):
            anon += kb
        else:
            files += kb
    return heap / 1024, anon / 1024, files / 1024


async def soak(url: str, pid: int, seconds: float, every: float, warmup: float, seed: int,
               asap: bool = False) -> None:
    playout = Playout(buffer_s=0.5)
    server_start = rss_mb(pid)
    start = time.monotonic()
    rows: list[Row] = []
    samples: list[float] = []
    next_row, next_sample = every, 0.0
    print(f"{'minute':>7} {'server RSS MB':>14} {'min':>6} {'median':>7} {'heaps':>6} {'anon':>6} "
          f"{'files':>6} {'server CPU %':>13} {'client RSS MB':>14} {'underruns':>10} {'audio s':>8}")
    async with AsyncLiveMusic(url=url).connect(pacing="asap" if asap else None) as session:
        await session.set_weighted_prompts({"deep house": 1.0, "rhodes piano": 0.4})
        await session.set_music_generation_config({"bpm": 122, "seed": seed})
        await session.play()
        last_cpu, last_time = cpu_of(pid), start
        async for block in session.audio():
            now = time.monotonic()
            playout.arrive(now, len(block))
            elapsed = playout.frames / SAMPLE_RATE if asap else now - start  # asap: the stream's own time
            if elapsed >= next_sample:
                samples.append(rss_mb(pid))
                next_sample = elapsed + 1.0
            if elapsed >= next_row:
                cpu = cpu_of(pid)
                rows.append(Row(elapsed, samples[-1], min(samples), statistics.median(samples), *memory_split(pid),
                                100 * (cpu - last_cpu) / (now - last_time), playout.underruns, rss_mb(os.getpid())))
                samples.clear()
                last_cpu, last_time, next_row = cpu, now, next_row + every
                row = rows[-1]
                print(f"{row.at / 60:7.1f} {row.rss:14.1f} {row.low:6.1f} {row.median:7.1f} {row.heap:6.1f} "
                      f"{row.anon:6.1f} {row.files:6.1f} {row.cpu:13.1f} {row.client:14.1f} "
                      f"{row.underruns:10d} {playout.frames / SAMPLE_RATE:8.0f}", flush=True)
            if elapsed >= seconds:
                break
    warm = [row for row in rows if row.at >= warmup]
    if len(warm) >= 2:
        first, last = warm[0], warm[-1]
        cpu = sum(row.cpu for row in rows) / len(rows)
        print(f"\n{seconds / 60:g} min paced session (seed {seed}): server RSS {server_start:.1f} MB before it, "
              f"{first.rss:.1f} MB after the warm-up ({first.at / 60:.1f} min), {last.rss:.1f} MB at the end, "
              f"{min(row.low for row in warm):.1f}-{max(row.rss for row in warm):.1f} MB in between; growth after "
              f"the warm-up (least-squares slope, MB per hour): {per_hour(warm, 'rss'):+.1f} raw, "
              f"{per_hour(warm, 'low'):+.1f} per-minute minima, {per_hour(warm, 'median'):+.1f} per-minute "
              f"medians; {split(warm)}; client RSS {first.client:.1f} -> {last.client:.1f} MB "
              f"({per_hour(warm, 'client'):+.1f} MB per hour); server CPU {cpu:.1f}% of a core; "
              f"client underruns {playout.underruns} ({playout.underrun_s:.2f} s)")


def split(rows: list[Row]) -> str:
    """The range and slope of each part of the rows' memory split."""
    parts = {"glibc heaps": "heap", "other anonymous (cached sounds included)": "anon", "files": "files"}
    return ", ".join(f"{label} {min(getattr(row, column) for row in rows):.1f}-"
                     f"{max(getattr(row, column) for row in rows):.1f} MB ({per_hour(rows, column):+.1f}/h)"
                     for label, column in parts.items())


def per_hour(rows: list[Row], column: str) -> float:
    """The least-squares slope of ``column`` over the rows' times, per hour."""
    return statistics.linear_regression([row.at / 3600 for row in rows],
                                        [getattr(row, column) for row in rows]).slope


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between rows")
    parser.add_argument("--warmup", type=float, default=5.0, help="minutes before RSS growth is counted")
    parser.add_argument("--seed", type=int, default=1, help="the session's seed (the arrangement it plays)")
    parser.add_argument("--asap", action="store_true",
                        help="render as fast as the server can, minutes counted in audio: memory over a long set in "
                             "a few minutes (CPU and underruns then mean nothing)")
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-m", "livemusic.cli", "serve", "--port", "0"],
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        url = server.stderr.readline().split("listening on ")[1].split()[0]
        asyncio.run(soak(url, server.pid, args.minutes * 60, args.every, args.warmup * 60, args.seed, args.asap))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
