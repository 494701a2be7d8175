"""How well loops join in level: loudness of the first and last beat, and the seam step, over many loops.

    python benchmarks/loop_loudness.py [--seeds 1,2,3] [--soundfont PATH]

Renders 20 prompts and every preset in presets/ as loops (2-4 bars) on the embedded
engine and prints, per loop, the loudness of its first and last beat (BS.1770
K-weighting, ungated, one block per beat through the tempo map, measured on the loop as it repeats),
their gap, and how far the sample step at the seam stands out of its neighbourhood
(over the largest step within 1 ms either side) against the 99.9th percentile of
that ratio at every frame inside; then the median gap, how many loops are within
1 LU and how many seams stand out no more than that percentile. Acoustic parts are synthesized (as in the
tests) unless ``--soundfont`` names a General MIDI SoundFont to play them from.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import livemusic
from livemusic.engine.soundfont import SOUNDFONT_ENV
from livemusic.music.seam import beat_loudness
from livemusic.server import MusicServer
from livemusic.types import SAMPLE_RATE

PROMPTS = [("minimal techno", 124, 4), ("dub techno", 120, 2), ("deep house", 122, 4), ("house", 124, 4),
           ("techno", 130, 4), ("drum and bass", 174, 4), ("funk", 108, 4), ("bossa nova", 132, 4),
           ("lo-fi hip hop", 82, 2), ("hip hop", 92, 2), ("trap beat", 140, 4), ("reggae", 76, 2), ("disco", 120, 4),
           ("synthwave", 100, 4), ("jazz trio", 132, 4), ("rock", 124, 4), ("ambient", 70, 2), ("trance", 138, 4),
           ("afrobeat", 112, 4), ("dubstep", 140, 4)]
PRESET_DIR = Path(__file__).resolve().parents[1] / "presets"
PRESETS = sorted(path.stem for path in PRESET_DIR.glob("*.yaml"))


def seam(loop: np.ndarray, around: int = SAMPLE_RATE // 1000) -> tuple[float, float]:
    """The sample step at the seam over the largest within ``around`` frames either side, and the 99.9th
    percentile of that ratio at every frame inside (a click stands out of its neighbourhood)."""
    wrapped = np.concatenate([loop[-around - 1:], loop, loop[:around + 1]]).astype(np.float64)
    steps = np.abs(np.diff(wrapped, axis=0)).max(axis=1)  # steps[around]: into the first frame (the seam)
    window = sliding_window_view(steps, around).max(axis=1)
    here = np.arange(around, len(steps) - around)
    ratios = steps[here] / np.maximum(np.maximum(window[here - around], window[here + 1]), 1e-12)
    return float(ratios[0]), float(np.percentile(ratios[1:-1], 99.9))


async def main(seeds: list[int]) -> None:
    gaps, seams_within = [], 0
    async with MusicServer("127.0.0.1", 0) as server:
        for seed in seeds:
            jobs = [(p, dict(prompts=p, bpm=bpm, bars=bars)) for p, bpm, bars in PROMPTS]
            jobs += [(f"preset {p}", dict(preset=PRESET_DIR / f"{p}.yaml", bars=4)) for p in PRESETS]
            for name, args in jobs:
                clip = await livemusic.arender(**args, seed=seed, loop=True, url=server.url)
                beats = beat_loudness(clip.audio, clip.tempo)
                step, inside = seam(clip.audio)
                gaps.append(abs(beats[0] - beats[-1]))
                seams_within += step <= inside
                print(f"{name:24s} seed {seed}  first {beats[0]:6.1f}  last {beats[-1]:6.1f}  gap {beats[0] - beats[-1]:+5.1f} LU"
                      f"  seam step / steps around {step:.2f} (inside, 99.9th percentile {inside:.2f})")
    print(f"{len(gaps)} loops: median gap {statistics.median(gaps):.2f} LU, worst {max(gaps):.2f}, "
          f"within 1 LU: {sum(g <= 1.0 for g in gaps)}; seams standing out no more than the 99.9th percentile "
          f"inside: {seams_within}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--soundfont", help="play acoustic parts from this General MIDI SoundFont (default: synthesized)")
    args = parser.parse_args()
    os.environ[SOUNDFONT_ENV] = args.soundfont or "none"
    asyncio.run(main([int(s) for s in args.seeds.split(",")]))
