"""How the embedded engine's own arrangement holds up over many seeds: sections, program loudness, the lead.

    python benchmarks/engine_arrangement.py [--seeds 1-12] [--minutes 3] [--soundfont PATH]

For each of six prompts (two energetic, a band, a lo-fi groove, two without drums)
and each seed, renders ``--minutes`` of one prompt left alone and prints:

- its distinct sections: groups of 4-bar stretches alike in loudness and low end
  (within 2 dB), counted when they last 8 bars or more (issue 14 asks for three);
- its program loudness (BS.1770 integrated, target -14 LUFS +-1) and loudness range;

then, for five lead-driven prompts and each seed, the lead's loudness minus the
harmony's over 12 s after 2 s and over the first minute (where the lead plays; issue 14
asks for 3 LU at most). The measures are the engine tests' own (``tests/engine/analysis.py``),
taken on the rendered PCM. Acoustic parts are synthesized (as in the tests) unless
``--soundfont`` names a General MIDI SoundFont to play them from.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' audio analysis
from tests.engine.analysis import integrated_loudness, loudness_range, sections  # noqa: E402

from livemusic.engine.generator import Generator  # noqa: E402
from livemusic.engine.soundfont import SOUNDFONT_ENV  # noqa: E402
from livemusic.types import LiveMusicGenerationConfig, WeightedPrompt  # noqa: E402

SR = 48_000
#: Prompts left alone for minutes, with their tempo (so that bars are known).
LONG = {"techno": 130, "drum and bass": 174, "bossa nova": 132, "lo-fi hip hop": 82, "ambient": 70,
        "orchestral score": 96}
LEAD_DRIVEN = ("lo-fi hip hop", "drum and bass", "house", "jazz", "disco")


def generator(prompt: str, seed: int, **config) -> Generator:
    g = Generator(sample_rate=SR)
    g.set_prompts([WeightedPrompt(text=prompt, weight=1.0)])
    g.set_config(LiveMusicGenerationConfig(seed=seed, **config))
    return g


def seeds(text: str) -> list[int]:
    lo, hi = (int(v) for v in text.split("-"))
    return list(range(lo, hi + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="1-12", help="seeds (default 1-12)")
    parser.add_argument("--minutes", type=float, default=3.0, help="minutes per render (default 3)")
    parser.add_argument("--soundfont", default="none", help="the sample tier's SoundFont (default: none)")
    args = parser.parse_args()
    os.environ[SOUNDFONT_ENV] = args.soundfont
    tried = seeds(args.seeds)
    t0 = time.perf_counter()
    print(f"{args.minutes:g} minutes of one prompt, seeds {args.seeds}: sections of 8 bars or more / "
          f"program loudness (LUFS) / loudness range (LU)")
    held = 0
    worst = 0.0
    for prompt, bpm in LONG.items():
        row = []
        for seed in tried:
            mix = generator(prompt, seed, bpm=bpm).render(int(args.minutes * 60 * SR)).mix
            count = sum(len(group) >= 2 for group in sections(mix, bpm))
            lufs = integrated_loudness(mix)
            held += count >= 3
            worst = max(worst, abs(lufs + 14.0))
            row.append(f"{count}/{lufs:.1f}/{loudness_range(mix):.0f}")
        print(f"  {prompt:17s} " + "  ".join(row))
    print(f"  three sections or more: {held}/{len(LONG) * len(tried)}; program loudness at most "
          f"{worst:.1f} LU from -14")
    print("lead minus harmony (LU) over 12 s after 2 s | over the first minute (-inf: no lead in it)")
    for prompt in LEAD_DRIVEN:
        short, minute = [], []
        for seed in tried:
            g = generator(prompt, seed)
            blocks = [g.render(int(2 * SR), stems=True), g.render(int(12 * SR), stems=True),
                      g.render(int(46 * SR), stems=True)]
            stems = {k: np.concatenate([b.stems[k] for b in blocks]) for k in ("lead", "harmony")}
            window = slice(2 * SR, 14 * SR)
            short.append(integrated_loudness(stems["lead"][window]) - integrated_loudness(stems["harmony"][window]))
            minute.append(integrated_loudness(stems["lead"]) - integrated_loudness(stems["harmony"]))
        print(f"  {prompt:17s} " + " ".join(f"{v:+5.1f}" for v in short) + " | "
              + " ".join(f"{v:+5.1f}" for v in minute))
    print(f"  ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
