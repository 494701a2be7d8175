"""How fast ``livemusic.render`` turns out clips on the embedded engine (engine start-up included).

    python benchmarks/render_speed.py [--bars 32] [--runs 2]

Prints, per kind of render, the wall-clock time and the audio seconds rendered per wall second.
"""

from __future__ import annotations

import argparse
import time

import livemusic

KINDS = {
    "mix only": {},
    "stems + MIDI": {"stems": True, "midi": True},
    "loop + stems + MIDI": {"loop": True, "stems": True, "midi": True},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=32)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    for kind, options in KINDS.items():
        figures = []
        for run in range(args.runs):
            started = time.perf_counter()
            clip = livemusic.render("minimal techno", bpm=124, bars=args.bars, seed=run, **options)
            elapsed = time.perf_counter() - started
            figures.append((elapsed, clip.seconds / elapsed))
        text = ", ".join(f"{elapsed:.2f} s ({speed:.0f}x)" for elapsed, speed in figures)
        print(f"{kind:22s} {args.bars} bars ({clip.seconds:.1f} s of audio): {text}")


if __name__ == "__main__":
    main()
