"""How distinct the engine's styles sound: a nearest-neighbour classifier on simple audio features.

    python benchmarks/engine_contrast.py [--seconds 3] [--skip 0.5] [--train 1-5] [--test 6-10] [--soundfont PATH|none]

Renders each of 18 contrasting prompts (electronic, acoustic, orchestral, rock/metal,
world, ambient) with several seeds, computes simple features (MFCC mean and spread,
tempo, onset rate, centroid, percussive share, stereo width; ``livemusic.engine.features``),
trains a 1-nearest-neighbour classifier on the training seeds and prints how often it
names the prompt of the test seeds, with the confusions. Then, for pairs of far-apart prompts
and each test seed, whether the engine's 50/50 mix lies between its parents (closer to each
parent than the parents are to each other) and where it projects on the line from one to the
other; next to it, the same for the parents' renders mixed as audio (two records on a mixer),
a reference for what these log-spectral features make of a blend.
``livemusic.engine.contrast`` does the work.

Both tiers are measured: the synthesized voices, and the sample tier with the SoundFont
the engine finds (``LIVEMUSIC_SOUNDFONT`` or a system one; ``--soundfont`` names another,
``--soundfont none`` measures the synthesized voices only).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from livemusic.engine.contrast import PAIRS, PROMPTS, measure, mix_position
from livemusic.engine.soundfont import OFF, SOUNDFONT_ENV, find_soundfont


def seeds(text: str) -> list[int]:
    lo, hi = (int(v) for v in text.split("-"))
    return list(range(lo, hi + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="audio per render (default 3)")
    parser.add_argument("--skip", type=float, default=0.5, help="seconds skipped before it (default 0.5)")
    parser.add_argument("--train", default="1-5", help="training seeds (default 1-5)")
    parser.add_argument("--test", default="6-10", help="test seeds (default 6-10)")
    parser.add_argument("--soundfont", help="the sample tier's SoundFont (default: the one the engine finds); none: skip it")
    args = parser.parse_args()
    found = find_soundfont() if args.soundfont is None else (None if args.soundfont.lower() in OFF else args.soundfont)
    tiers = [("synthesized voices", "none")] + ([(f"SoundFont {os.path.basename(found)}", str(found))] if found else [])
    for name, value in tiers:
        os.environ[SOUNDFONT_ENV] = value  # the tier is chosen when a generator is made
        tier(name, args)


def tier(name: str, args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    tests = seeds(args.test)
    result = measure(PROMPTS, seeds(args.train), tests, args.seconds, args.skip)
    total = len(PROMPTS) * len(tests)
    right = total - len(result.confusions)
    print(f"{name}: {len(PROMPTS)} prompts, {args.seconds:g} s renders after {args.skip:g} s: {right}/{total} test "
          f"renders named right ({100.0 * result.accuracy:.0f}%, target >= 90%)")
    for prompt, seed, guess in result.confusions:
        print(f"  confused: {prompt} (seed {seed}) -> {guess}")
    print(f"  50/50 mixes of {len(PAIRS)} far-apart pairs, per test seed: between its parents (closer to each than "
          f"they are to each other) and where it lies on the line from the first (0) to the second (1); "
          f"[two records: the parents' renders mixed as audio]")
    engine_total = recorded_total = 0
    for a, b in PAIRS:
        mixes = [mix_position(result, a, b, seed, args.seconds, args.skip) for seed in tests]
        records = [mix_position(result, a, b, seed, args.seconds, args.skip, recorded=True) for seed in tests]
        along = sorted(m.along for m in mixes)
        engine_total += sum(m.between for m in mixes)
        recorded_total += sum(m.between for m in records)
        print(f"    {a + ' + ' + b:34s} between {sum(m.between for m in mixes)}/{len(mixes)}, along "
              f"{along[0]:.2f}-{along[-1]:.2f} (median {np.median(along):.2f})  "
              f"[two records: {sum(m.between for m in records)}/{len(records)}, "
              f"median {np.median([m.along for m in records]):.2f}]")
    count = len(PAIRS) * len(tests)
    print(f"  mixes between their parents: {engine_total}/{count} ({100.0 * engine_total / count:.0f}%)  "
          f"[two records: {recorded_total}/{count}]")
    print(f"  ({time.perf_counter() - t0:.0f} s)")

if __name__ == "__main__":
    main()
