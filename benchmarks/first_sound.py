"""Time from launching ``livemusic play`` to the first audio handed to the sound device.

Runs the real command (embedded engine, PyAudio on the default output, e.g.
a PulseAudio null sink) several times and prints the median and worst time.
The command logs the wall-clock time of its first non-empty device callback
at INFO level; the start time is taken just before the process is spawned.

``--warm-sink`` keeps a silent stream playing to the sink meanwhile (pacat,
20 ms latency), as on a desktop where something else plays; without it the
sink is idle when ``play`` starts (the default: the worst case).

    eval "$(.ci/sound-server)"; python benchmarks/first_sound.py [--runs 5] [--preset presets/funk.yaml] [--warm-sink]
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def once(preset: str) -> float:
    start = time.time()
    result = subprocess.run([sys.executable, "-m", "livemusic.cli", "-v", "play", preset, "--duration", "2"],
                            capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL, timeout=60)
    found = re.search(r"first sound at ([0-9.]+)", result.stderr)
    if result.returncode != 0 or not found:
        sys.exit(f"play failed or no sound device (rc {result.returncode}):\n{result.stderr[-2000:]}")
    return float(found.group(1)) - start


@contextlib.contextmanager
def warm_sink(warm: bool) -> Iterator[None]:
    """With ``warm``, a silent low-latency stream plays to the default sink until the block ends."""
    if not warm:
        yield
        return
    silence = subprocess.Popen(["pacat", "--playback", "--raw", "--format=s16le", "--rate=48000", "--channels=2",
                                "--latency-msec=20", "/dev/zero"], stdin=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # the sink wakes up and settles to the stream's latency
        yield
    finally:
        silence.terminate()
        silence.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--preset", default="presets/funk.yaml")
    parser.add_argument("--warm-sink", action="store_true", help="keep a silent stream playing to the sink")
    args = parser.parse_args()
    with warm_sink(args.warm_sink):
        times = [once(args.preset) for _ in range(args.runs)]
    sink = "warm sink (a silent stream playing)" if args.warm_sink else "idle sink"
    print(f"livemusic play {args.preset}: launch -> first sound at the device, {sink}, {args.runs} runs")
    print(f"  median {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms "
          f"(target <= 1500 ms)")


if __name__ == "__main__":
    main()
