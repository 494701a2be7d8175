"""Time from launching ``livemusic play`` to the first audio handed to the sound device.

Runs the real command (embedded engine, PyAudio on the default output, e.g.
a PulseAudio null sink) several times and prints the median and worst time.
The command logs the wall-clock time of its first non-empty device callback
at INFO level; the start time is taken just before the process is spawned.

    eval "$(.ci/sound-server)"; python benchmarks/first_sound.py [--runs 5] [--preset presets/funk.yaml]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--preset", default="presets/funk.yaml")
    args = parser.parse_args()
    times = [once(args.preset) for _ in range(args.runs)]
    print(f"livemusic play {args.preset}: launch -> first sound at the device, {args.runs} runs")
    print(f"  median {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms "
          f"(target <= 1500 ms)")


if __name__ == "__main__":
    main()
