"""A DJ-style crossfade from one prompt set to another, recorded to one file.

    python examples/dj_crossfade.py [out.wav]

The timeline is a preset written in code: 8 bars of deep house, then a
16-bar fade into acid techno at the same tempo, sample-exact on the engine.
"""

import sys

import livemusic
from livemusic.presets import parse_preset

SET = """
name: house to acid
config: {bpm: 124, scale: A_FLAT_MAJOR_F_MINOR, seed: 7}
prompts: {Deep House: 1.0, Rhodes Piano: 0.5}
duration: 32 bars
timeline:
  - at: 8 bars
    prompts: {Acid Techno: 1.0, 303 Acid Bass: 0.7}
    fade: 16 bars
"""

clip = livemusic.render(preset=parse_preset(SET))
print(clip, "->", clip.write(sys.argv[1] if len(sys.argv) > 1 else "house-to-acid.wav"))
