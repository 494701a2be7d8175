"""Four loops for a DAW project: one tempo, one key, each seamless, with stems and MIDI.

    python examples/four_loops.py [folder] [--bars N]

Drag the folder into Ableton, Bitwig, Reaper or Logic: every file is the same
number of bars at the same tempo, its end joins its start, and the .mid beside
each WAV holds the notes it plays, lined up from bar 1.
"""

import argparse
import asyncio
from pathlib import Path

import livemusic

BPM, SCALE = 122, "A_FLAT_MAJOR_F_MINOR"
LOOPS = {
    "groove": {"deep house": 1.0, "tight groove": 0.6},
    "keys": {"rhodes piano": 1.0, "chill": 0.5},
    "bass": {"303 acid bass": 1.0, "minimal techno": 0.5},
    "pads": {"ambient": 1.0, "synth pads": 0.8},
}


async def main(folder: Path, bars: int) -> list[Path]:
    written = []
    for seed, (name, prompts) in enumerate(LOOPS.items()):
        clip = await livemusic.arender(prompts, bpm=BPM, scale=SCALE, bars=bars, seed=seed, loop=True, stems=True,
                                       midi=True, name=name)
        written.append(clip.write(folder))
        print(written[-1].name)
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="loops", type=Path)
    parser.add_argument("--bars", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.folder, args.bars))
