"""Real-time factor of the embedded engine, per core.

    python benchmarks/engine_rtf.py [--seconds 60] [--sessions 1 4 16]
    python benchmarks/engine_rtf.py --seconds 0 --sessions 8 --pacing realtime --chunk-ms 40   # listeners
    python benchmarks/engine_rtf.py --soundfont /usr/share/sounds/sf2/TimGM6mb.sf2   # the sample tier
    python benchmarks/engine_rtf.py --seconds 0 --sessions 8 --pacing realtime --chunk-ms 40 --floor
    python benchmarks/engine_rtf.py --seconds 60 --sessions --live 40   # the engine of a live listener's session

For each of three contrasting prompt sets, renders ``seconds`` of a full
arrangement (drums, bass, harmony, lead, effects, master bus) in the server's
default chunks and prints how many seconds of audio one second of CPU time
produces, twice:

- cold: a fresh process state (the sound cache emptied), the first ``seconds``;
- warm: after two minutes of the same music, when most notes come from the cache
  (the steady state of a long session, and of a server whose sessions share it).

With ``--live MS`` each preset is rendered as a live listener's session is: a rewindable
generator (a snapshot before each 200 ms block, so that a change can render it again)
asked for ``MS`` ms at a time (livemusic's client asks 40).

Acoustic parts are synthesized unless ``--soundfont`` names a General MIDI SoundFont
to play them from (the sample tier; the soundfont extra must be installed).

CPU time (``time.process_time``) is used, so other processes on the machine do
not distort the figure.

Then it starts one BidiGenerateMusic server in a child process ("asap"
pacing) and opens 1, 4 and 16 sessions at once over loopback WebSockets,
each receiving ``--session-seconds`` of audio with different prompts: printed
are the server's real-time factor per core (audio seconds per CPU second of
the server process, encoding and sending included) and the wall-clock
throughput in real-time streams. Each count runs twice: first with sessions
the server has not met (their own tempo and seed; the styles recur, so some
notes are cached already), then the same sessions again (the steady state of
a server that has played this music before: its sound cache is shared).
Paced sessions (``--pacing realtime``) also show the factor in their steady
state: the server's CPU from their 5th second to a second before they end,
without connecting, set-up and the start's burst.

With ``--floor`` the server's engine makes silence at no cost: what is left is the
server's own cost per chunk (pacing, encoding, sending), the ceiling of its real-time
factor whatever the engine costs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator

from livemusic.engine import Generator
from livemusic.engine.soundfont import SOUNDFONT_ENV, sample_bank
from livemusic.engine.voicing import clear_sound_cache
from livemusic.server import Pacing
from livemusic.types import LiveMusicGenerationConfig, WeightedPrompt

SAMPLE_RATE = 48_000
CHUNK = Pacing().chunk_frames

PRESETS: dict[str, tuple[list[WeightedPrompt], LiveMusicGenerationConfig]] = {
    "minimal techno + rhodes": (
        [WeightedPrompt(text="minimal techno", weight=1.0), WeightedPrompt(text="rhodes piano", weight=0.4)],
        LiveMusicGenerationConfig(seed=1, bpm=126),
    ),
    "bossa nova, flute, dense": (
        [WeightedPrompt(text="bossa nova", weight=1.0), WeightedPrompt(text="flute", weight=0.6)],
        LiveMusicGenerationConfig(seed=2, density=0.8),
    ),
    "drum & bass + dreamy pads": (
        [WeightedPrompt(text="drum & bass", weight=1.0), WeightedPrompt(text="dreamy synth pads", weight=0.5)],
        LiveMusicGenerationConfig(seed=3, bpm=174, brightness=0.7),
    ),
}


def measure_generator(prompts: list[WeightedPrompt], config: LiveMusicGenerationConfig, seconds: float,
                      *, warmup: float = 0.0, stems: bool = False, live_ms: int | None = None) -> float:
    """Seconds of audio rendered per second of CPU time, after ``warmup`` untimed seconds
    (with ``live_ms``, as a live listener's session: rewindable, in chunks of that many ms)."""
    g = Generator(sample_rate=SAMPLE_RATE, rewindable=live_ms is not None)
    g.set_prompts(prompts)
    g.set_config(config)
    chunk = SAMPLE_RATE * live_ms // 1000 if live_ms else CHUNK
    _render(g, warmup, stems, chunk)
    start = time.process_time()
    _render(g, seconds, stems, chunk)
    return seconds / max(time.process_time() - start, 1e-9)


def _render(g: Generator, seconds: float, stems: bool, chunk: int) -> None:
    total = int(seconds * SAMPLE_RATE)
    done = 0
    while done < total:
        n = min(chunk, total - done)
        g.render(n, stems=stems)
        done += n


PROMPTS = [{"minimal techno": 1.0}, {"jazz trio": 1.0}, {"ambient": 1.0, "synth pads": 0.5},
           {"drum & bass": 1.0}, {"funk": 1.0, "slap bass": 0.6}, {"orchestral score": 1.0}]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (from /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def one_session(url: str, index: int, seconds: float, pacing: str = "asap", chunk_ms: int | None = None) -> float:
    """Render ``seconds`` of session ``index``'s music; returns the seconds received."""
    from livemusic import AsyncLiveMusic

    frames = 0
    async with AsyncLiveMusic(url=url).connect(pacing=pacing, chunk_ms=chunk_ms) as session:
        await session.set_weighted_prompts(PROMPTS[index % len(PROMPTS)])
        await session.set_music_generation_config({"bpm": 80 + 7 * index % 110, "seed": index})
        await session.play()
        async for block in session.audio():
            frames += len(block)
            if frames >= seconds * 48_000:
                break
    return frames / 48_000


#: Paced sessions' steady state: from this many seconds after they start to a second before they end.
STEADY_FROM_S = 5.0


async def steady_per_core(pid: int, sessions: int, seconds: float) -> float:
    """Real-time factor per server core of ``sessions`` paced sessions of ``seconds`` in their steady
    state: the server's CPU from ``STEADY_FROM_S`` to a second before they end (no connecting, no set-up,
    no start burst)."""
    await asyncio.sleep(STEADY_FROM_S)
    cpu, start = cpu_of(pid), time.perf_counter()
    await asyncio.sleep(seconds - 1 - STEADY_FROM_S)
    return sessions * (time.perf_counter() - start) / (cpu_of(pid) - cpu)


async def measure(url: str, pid: int, sessions: range, seconds: float, pacing: str = "asap",
                  chunk_ms: int | None = None) -> tuple[float, float, float | None]:
    """The server's real-time factor per core and the wall-clock throughput in real-time streams of
    ``sessions`` at once, and with realtime pacing (sessions of 10 s or more) the steady state's factor."""
    cpu, start = cpu_of(pid), time.perf_counter()
    steady = None
    if pacing == "realtime" and seconds >= STEADY_FROM_S + 5:
        steady = asyncio.create_task(steady_per_core(pid, len(sessions), seconds))
    audio = sum(await asyncio.gather(*(one_session(url, i, seconds, pacing, chunk_ms) for i in sessions)))
    wall = time.perf_counter() - start
    return audio / (cpu_of(pid) - cpu), audio / wall, await steady if steady else None


SERVE = """
import asyncio
from livemusic.server import MusicServer
{engine}
async def main():
    async with MusicServer("127.0.0.1", 0) as server:
        print(server.port, flush=True)
        await asyncio.Event().wait()
asyncio.run(main())
"""
#: With ``--floor``: the server's blocks are silence, synthesized at no cost (what is left is the server's own).
SILENT_ENGINE = """
import numpy as np
from livemusic.engine.generator import Generator
def silence(self):
    self._started = True
    self._ahead.push(np.zeros((self.block, 2), np.int16), None)
    self._frame += self.block
Generator._synthesize_block = silence
"""


@contextlib.contextmanager
def serving(floor: bool = False) -> Iterator[tuple[str, int]]:
    """A BidiGenerateMusic server in a child process: its URL and pid (sessions choose their pacing).
    With ``floor``, its engine makes silence at no cost."""
    script = SERVE.format(engine=SILENT_ENGINE if floor else "")
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        yield f"ws://127.0.0.1:{server.stdout.readline().strip()}", server.pid
    finally:
        server.terminate()
        server.wait()


def measure_server(session_counts: list[int], seconds: float, pacing: str = "asap", chunk_ms: int | None = None,
                   floor: bool = False) -> None:
    """Print the server's figures for each number of concurrent sessions."""
    with serving(floor) as (url, pid):
        chunks = f"{chunk_ms} ms chunks" if chunk_ms else "the server's default chunks"
        print(f"one server, {pacing} pacing, {chunks}, {seconds:g} s of audio per session, {os.cpu_count()} cores"
              f"{', silence at no cost (the floor)' if floor else ''}")
        first = 0
        for n in session_counts:
            sessions = range(first, first + n)  # sessions never met before (tempo and seed differ)
            first += n
            for run in ("first", "again"):
                per_core, streams, steady = asyncio.run(measure(url, pid, sessions, seconds, pacing, chunk_ms))
                steady_text = f" ({steady:.1f}x in steady state)" if steady else ""
                print(f"  {n:3d} sessions, {run}: {per_core:6.1f}x real time per server core{steady_text}, "
                      f"{streams:6.1f} real-time streams of wall-clock throughput")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="audio rendered per preset (default 60)")
    parser.add_argument("--stems", action="store_true", help="also render stems")
    parser.add_argument("--sessions", type=int, nargs="*", default=[1, 4, 16],
                        help="concurrent sessions on one server (none: skip the server part)")
    parser.add_argument("--session-seconds", type=float, default=20.0, help="audio per session (default 20)")
    parser.add_argument("--pacing", choices=["asap", "realtime"], default="asap",
                        help="server sessions rendered as fast as possible, or paced as a listener's (default asap)")
    parser.add_argument("--chunk-ms", type=int, help="chunk length the server sessions ask for (livemusic's "
                                                     "client asks 40 for a listener)")
    parser.add_argument("--floor", action="store_true", help="the server's blocks are silence made at no cost: "
                                                             "its own cost per chunk (sending, pacing), engine aside")
    parser.add_argument("--soundfont", help="play acoustic parts from this General MIDI SoundFont (default: synthesized)")
    parser.add_argument("--live", type=int, metavar="MS", help="render the presets as a live listener's session: "
                                                               "rewindable, MS ms at a time (the client asks 40)")
    args = parser.parse_args()
    os.environ[SOUNDFONT_ENV] = args.soundfont or "none"  # the server's child process inherits it
    if args.soundfont and sample_bank(SAMPLE_RATE) is None:
        parser.error(f"cannot play from {args.soundfont} (is the soundfont extra installed?)")
    if args.seconds <= 0:  # the server part alone
        measure_server(args.sessions, args.session_seconds, args.pacing, args.chunk_ms, args.floor)
        return
    chunks = f"a live listener's session in {args.live} ms chunks" if args.live else f"{CHUNK * 1000 // SAMPLE_RATE} ms chunks"
    print(f"engine real-time factor per core ({args.seconds:g} s per preset, 48 kHz stereo, {chunks}"
          f"{', with stems' if args.stems else ''}, {'samples from ' + args.soundfont if args.soundfont else 'synthesized'})")
    print(f"  {'preset':28s} {'cold':>8s} {'warm':>8s}")
    colds, warms = [], []
    for name, (prompts, config) in PRESETS.items():
        clear_sound_cache()
        cold = measure_generator(prompts, config, args.seconds, stems=args.stems, live_ms=args.live)
        warm = measure_generator(prompts, config, args.seconds, warmup=120.0, stems=args.stems, live_ms=args.live)
        colds.append(cold)
        warms.append(warm)
        print(f"  {name:28s} {cold:7.1f}x {warm:7.1f}x")
    print(f"  {'lowest':28s} {min(colds):7.1f}x {min(warms):7.1f}x   (target >= 100x, goal 500x)")
    if args.sessions:
        measure_server(args.sessions, args.session_seconds, args.pacing, args.chunk_ms, args.floor)


if __name__ == "__main__":
    main()
