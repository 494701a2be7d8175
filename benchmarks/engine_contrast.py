"""How distinct the engine's styles sound: a nearest-neighbour classifier on simple audio features.

    python benchmarks/engine_contrast.py [--seconds 4] [--train 1-5] [--test 6-10]

Renders each of 18 contrasting prompts (electronic, acoustic, orchestral, rock/metal,
world, ambient) with several seeds, computes simple features (MFCC mean and spread,
tempo, onset rate, centroid, percussive share, stereo width; ``livemusic.engine.features``),
trains a 1-nearest-neighbour classifier on the training seeds and prints how often it
names the prompt of the test seeds, with the confusions. Then, for pairs of prompts,
whether a 50/50 mix lies between its parents (closer to each parent than the parents
are to each other).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from livemusic.engine import Generator
from livemusic.engine.features import NearestNeighbour, features
from livemusic.types import LiveMusicGenerationConfig, WeightedPrompt

SR = 48_000
PROMPTS = [
    "minimal techno", "drum and bass", "dubstep", "trance", "chiptune",            # electronic
    "bossa nova", "jazz piano trio", "bluegrass", "piano ballad",                  # acoustic
    "orchestral score", "baroque",                                                  # orchestral
    "heavy metal", "classic rock",                                                  # rock / metal
    "flamenco guitar", "reggae", "afrobeat",                                        # world
    "ambient", "lo-fi hip hop",                                                     # ambient / chill
]
PAIRS = [("ambient", "drum and bass"), ("bossa nova", "heavy metal"), ("lo-fi hip hop", "trance")]


def render(prompts: dict[str, float], seed: int, seconds: float, skip: float = 1.0) -> np.ndarray:
    g = Generator(sample_rate=SR)
    g.set_prompts([WeightedPrompt(text=t, weight=w) for t, w in prompts.items()])
    g.set_config(LiveMusicGenerationConfig(seed=seed))
    g.render(int(skip * SR))
    return g.render(int(seconds * SR)).mix


def seeds(text: str) -> list[int]:
    lo, hi = (int(v) for v in text.split("-"))
    return list(range(lo, hi + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0, help="audio per render (default 4)")
    parser.add_argument("--train", default="1-5", help="training seeds (default 1-5)")
    parser.add_argument("--test", default="6-10", help="test seeds (default 6-10)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    train, labels = [], []
    for p in PROMPTS:
        for s in seeds(args.train):
            train.append(features(render({p: 1.0}, s, args.seconds)))
            labels.append(p)
    knn = NearestNeighbour(np.array(train), labels)
    right, confusions = 0, []
    tests = seeds(args.test)
    for p in PROMPTS:
        for s in tests:
            guess = knn.predict(features(render({p: 1.0}, s, args.seconds)))
            right += guess == p
            if guess != p:
                confusions.append(f"{p} (seed {s}) -> {guess}")
    total = len(PROMPTS) * len(tests)
    print(f"{len(PROMPTS)} prompts, {args.seconds:g} s renders: {right}/{total} test renders named right "
          f"({100.0 * right / total:.0f}%, target >= 90%)")
    for c in confusions:
        print("  confused:", c)
    for a, b in PAIRS:
        fa, fb, fm = (features(render(p, tests[0], args.seconds)) for p in ({a: 1.0}, {b: 1.0}, {a: 1.0, b: 1.0}))
        d = lambda u, v: float(np.sqrt((((u - v) / knn.scale) ** 2).sum()))
        print(f"  50/50 {a} + {b}: to {a} {d(fm, fa):.1f}, to {b} {d(fm, fb):.1f}, parents apart {d(fa, fb):.1f}")
    print(f"  ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
