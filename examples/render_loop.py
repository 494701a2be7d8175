"""Render a bar-exact, seamless loop and its stems for a DAW, from a script.

    python examples/render_loop.py out/loop.wav
"""

import sys

import livemusic

clip = livemusic.render({"deep house": 1.0, "rhodes piano": 0.5}, bpm=120, scale="F_MAJOR_D_MINOR", seed=42, bars=8,
                        loop=True, stems=True)
path = clip.write(sys.argv[1] if len(sys.argv) > 1 else "loop.wav")
print(f"wrote {path} and {len(clip.stems)} stems, {clip.frames} frames each")
