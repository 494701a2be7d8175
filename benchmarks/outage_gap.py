"""Outage gap: the silence a listener hears when its server dies and comes back, against the outage.

    eval "$(.ci/sound-server)"; python benchmarks/outage_gap.py [--runs 3] [--outage 3] [--signal both]

``livemusic serve`` runs in a child, with a resume secret its successor shares.
This process is the listener: a session played through the real player
(PortAudio on the default output: PulseAudio's null sink here) at ``livemusic
play --url``'s buffer, while ``parec`` records the sink's monitor. After
``--warmup`` seconds the server is killed (SIGKILL: the connection just
drops; SIGTERM: the server closes it with 1001), a new one is started on the
same port ``--outage`` seconds later, and the listener plays on for a few
seconds after it resumed. Per run:

- down: from the kill until the new server listens;
- outage: from the last audio that reached the listener before the kill to
  the first after it (what it lacked: the time down, the reconnection's
  wait and the first chunk's render);
- buffer: the audio the ring held when that last audio arrived (what it
  could play meanwhile);
- gap: the silence in the recording (the longest run of zero samples between
  the first and the last sound: the player outputs zeros when the ring is dry);
- excess: gap - (outage - buffer). The issue's bound is excess <= 0: the
  gap is at most the outage less the buffered audio;
- player silent: the player's own silence, from its ring running dry to its
  playing again; restart: from the first audio after the outage to that;
- stall: the longest time without a device callback meanwhile: a device
  stall (PulseAudio restarts a stream after an ALSA underrun, which a loaded
  machine causes, silent for up to 2 s) if more than a few 21 ms buffers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from livemusic import AsyncLiveMusic, EventKind
from livemusic.audio.ring import RingBuffer
from livemusic.stage import BUFFER_MS, Stage
from livemusic.types import SAMPLE_RATE

SIGNALS = {"kill": signal.SIGKILL, "term": signal.SIGTERM}
#: Seconds the listener plays on after it resumed (the recording needs sound after the gap).
AFTER_S = 3.0


@dataclass(frozen=True)
class Run:
    """One outage as the listener lived it (seconds)."""

    signal: str
    down: float
    outage: float
    buffer: float
    gap: float
    silent: float   # the player's own silence: from its ring running dry to its playing again
    restart: float  # from the first audio after the outage to the player playing again
    stall: float    # the longest time without a device callback meanwhile (a device stall, if over a few buffers)

    @property
    def excess(self) -> float:
        return self.gap - (self.outage - self.buffer)


class Server:
    """``livemusic serve`` in a child process; its log is read on a thread (a full pipe would block it)."""

    def __init__(self, port: int, secret: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "livemusic.cli", "serve", "--port", str(port)], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "LIVEMUSIC_RESUME_SECRET": secret})
        line = self.process.stderr.readline()
        if "listening on " not in line:
            self.process.kill()
            sys.exit(f"livemusic serve did not start: {line}{self.process.stderr.read()}")
        self.url = line.split("listening on ")[1].split()[0]
        threading.Thread(target=self.process.stderr.read, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/")[0])

    def stop(self, sig: int = signal.SIGKILL) -> None:
        self.process.send_signal(sig)
        self.process.wait()


class Watch:
    """What reached the ring and what the player did, polled every 2 ms."""

    def __init__(self, ring: RingBuffer, player) -> None:
        self.ring, self.player = ring, player
        #: (time, frames written to the ring, its fill in seconds, frames played, underrun frames)
        self.seen: list[tuple[float, int, float, int, int]] = []
        self.task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        ring, player = self.ring, self.player
        while True:
            self.seen.append((time.monotonic(), ring.frames_written_total, ring.fill_seconds, player.played_frames,
                              player.underrun_frames))
            await asyncio.sleep(0.002)

    def _next(self, column: int, after: int) -> int:
        """The first sample past ``after`` where ``column`` grew."""
        seen = self.seen
        return next(i for i in range(after + 1, len(seen)) if seen[i][column] > seen[i - 1][column])

    def outage(self, at: float) -> dict[str, float]:
        """The outage around time ``at``, when the connection dropped (see the module's doc; times are
        ``time.monotonic()``)."""
        seen = self.seen
        last = max(i for i in range(1, len(seen)) if seen[i][0] <= at and seen[i][1] > seen[i - 1][1])
        first = self._next(1, last)
        dry, plays = self._next(4, last), self._next(3, first)
        # The device's callbacks advance one count or the other; none for a while is a device stall.
        calls = [(t, played + lacked) for t, _, _, played, lacked in seen[last:plays + 250]]
        still = [t1 - t0 if c1 == c0 else 0.0 for (t0, c0), (t1, c1) in zip(calls, calls[1:])]
        return {"outage": seen[first][0] - seen[last][0], "buffer": seen[last][2], "dry": seen[dry][0],
                "arrived": seen[first][0], "plays": seen[plays][0],
                "stall": _longest_run(still), "first_sound": seen[self._next(3, 0)][0]}


def _longest_run(steps: list[float]) -> float:
    """The longest sum of consecutive entries of ``steps`` (0 where there are none)."""
    longest = run = 0.0
    for step in steps:
        run = run + step if step else 0.0
        longest = max(longest, run)
    return longest


def silences(recording: np.ndarray) -> list[tuple[int, int]]:
    """The runs of all-zero frames between sounds in ``recording``: (first frame, frames)."""
    sound = np.flatnonzero(np.any(recording != 0, axis=1))
    gaps = np.flatnonzero(np.diff(sound) > 1)
    return [(int(sound[i]) + 1, int(sound[i + 1] - sound[i] - 1)) for i in gaps]


def heard_gap(recording: np.ndarray, watch: dict[str, float]) -> float:
    """The longest silence in ``recording`` that began between the ring running dry and the player playing
    again (seconds). The recording is placed on our clock by its first sound (the player's first frames):
    the sink's clock is real time, as ours is; device latency shifts both ends alike."""
    runs = silences(recording)
    origin = int(np.flatnonzero(np.any(recording != 0, axis=1))[0])
    frame = lambda t: origin + int((t - watch["first_sound"]) * SAMPLE_RATE)  # noqa: E731
    begin, end = frame(watch["dry"]) - SAMPLE_RATE, frame(watch["plays"]) + SAMPLE_RATE // 4
    return max((n for start, n in runs if begin <= start <= end), default=0) / SAMPLE_RATE


async def measure(sig: str, outage: float, *, warmup: float = 6.0, buffer_ms: int = BUFFER_MS["url"]) -> Run:
    """One run: a session on the real player, its server killed with ``sig`` and restarted ``outage`` s later."""
    secret = secrets.token_hex(16)
    server = Server(0, secret)
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "monitor.raw"
        with open(wav, "wb") as out:
            parec = subprocess.Popen(["parec", "-d", "@DEFAULT_MONITOR@", "--format=s16le", "--rate=48000",
                                      "--channels=2", "--raw"], stdout=out, stdin=subprocess.DEVNULL)
        try:
            session = await AsyncLiveMusic(url=server.url).connect()
            await session.set_weighted_prompts({"deep house with rhodes": 1.0})
            await session.set_music_generation_config({"bpm": 122, "seed": 1})
            await session.play()
            stage = await Stage.open(session, buffer_ms=buffer_ms)
            watch = Watch(stage.ring, stage.player)
            try:
                await asyncio.sleep(warmup)
                killed = time.monotonic()
                await asyncio.to_thread(server.stop, SIGNALS[sig])  # a SIGTERM'd server closes with us
                await asyncio.sleep(outage)
                server = await asyncio.to_thread(Server, server.port, secret)
                down = time.monotonic() - killed
                while not any(e.kind is EventKind.RESUMED for e in session.events):
                    await asyncio.sleep(0.01)
                await asyncio.sleep(AFTER_S)
                dropped = next(e.at for e in session.events if e.kind is EventKind.DISCONNECTED)
                seen = watch.outage(dropped)  # a SIGTERM'd server may send its last audio after the signal
            finally:
                watch.task.cancel()
                await stage.close()
                await session.close()
        finally:
            parec.terminate()
            parec.wait()
            server.stop()
        recording = np.fromfile(wav, dtype=np.int16)
    recording = recording[: len(recording) // 2 * 2].reshape(-1, 2)
    return Run(sig, down, seen["outage"], seen["buffer"], heard_gap(recording, seen), seen["plays"] - seen["dry"],
               seen["plays"] - seen["arrived"], seen["stall"])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per signal")
    parser.add_argument("--outage", type=float, default=3.0, help="seconds between the kill and the restart")
    parser.add_argument("--signal", choices=[*SIGNALS, "both"], default="both")
    parser.add_argument("--buffer-ms", type=int, default=BUFFER_MS["url"], help="the player's buffer target")
    parser.add_argument("--warmup", type=float, default=6.0, help="seconds played before the kill")
    args = parser.parse_args()
    kinds = list(SIGNALS) if args.signal == "both" else [args.signal]
    print(f"outage gap: server killed, restarted {args.outage:g} s later; buffer target {args.buffer_ms} ms; "
          f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("signal  down s  outage s  buffer s   gap s  gap-(outage-buffer) s  player silent s  restart s  stall s")
    for sig in kinds:
        for _ in range(args.runs):
            run = await measure(sig, args.outage, warmup=args.warmup, buffer_ms=args.buffer_ms)
            print(f"{run.signal:6}  {run.down:6.2f}  {run.outage:8.2f}  {run.buffer:8.3f}  {run.gap:6.3f}  "
                  f"{run.excess:+21.3f}  {run.silent:15.3f}  {run.restart:9.3f}  {run.stall:7.3f}", flush=True)
    print(f"load after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    asyncio.run(main())
