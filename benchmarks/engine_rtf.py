"""Real-time factor of the embedded engine, per core.

    python benchmarks/engine_rtf.py [--seconds 60]

For each of three contrasting prompt sets, renders ``seconds`` of a full
arrangement (drums, bass, harmony, lead, effects, master bus) in the server's
default 250 ms chunks and prints how many seconds of audio one second of CPU
time produces, twice:

- cold: a fresh process state (the sound cache emptied), the first ``seconds``;
- warm: after two minutes of the same music, when most notes come from the cache
  (the steady state of a long session, and of a server whose sessions share it).

CPU time (``time.process_time``) is used, so other processes on the machine do
not distort the figure.
"""

from __future__ import annotations

import argparse
import time

from livemusic.engine import Generator
from livemusic.engine.generator import clear_sound_cache
from livemusic.types import LiveMusicGenerationConfig, WeightedPrompt

SAMPLE_RATE = 48_000
CHUNK = 12_000  # 250 ms

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
                      *, warmup: float = 0.0, stems: bool = False) -> float:
    """Seconds of audio rendered per second of CPU time, after ``warmup`` untimed seconds."""
    g = Generator(sample_rate=SAMPLE_RATE)
    g.set_prompts(prompts)
    g.set_config(config)
    _render(g, warmup, stems)
    start = time.process_time()
    _render(g, seconds, stems)
    return seconds / max(time.process_time() - start, 1e-9)


def _render(g: Generator, seconds: float, stems: bool) -> None:
    total = int(seconds * SAMPLE_RATE)
    done = 0
    while done < total:
        n = min(CHUNK, total - done)
        g.render(n, stems=stems)
        done += n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="audio rendered per preset (default 60)")
    parser.add_argument("--stems", action="store_true", help="also render stems")
    args = parser.parse_args()
    print(f"engine real-time factor per core ({args.seconds:g} s per preset, 48 kHz stereo, 250 ms chunks"
          f"{', with stems' if args.stems else ''})")
    print(f"  {'preset':28s} {'cold':>8s} {'warm':>8s}")
    colds, warms = [], []
    for name, (prompts, config) in PRESETS.items():
        clear_sound_cache()
        cold = measure_generator(prompts, config, args.seconds, stems=args.stems)
        warm = measure_generator(prompts, config, args.seconds, warmup=120.0, stems=args.stems)
        colds.append(cold)
        warms.append(warm)
        print(f"  {name:28s} {cold:7.1f}x {warm:7.1f}x")
    print(f"  {'lowest':28s} {min(colds):7.1f}x {min(warms):7.1f}x   (target >= 100x, goal 500x)")


if __name__ == "__main__":
    main()
