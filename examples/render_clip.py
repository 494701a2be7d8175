"""The smallest DAW script: eight bars of minimal techno with stems and MIDI, named for tempo and key.

    python examples/render_clip.py [folder]
"""

import sys

import livemusic

clip = livemusic.render("minimal techno", bpm=124, scale="A_FLAT_MAJOR_F_MINOR", bars=8, stems=True, midi=True)
print(clip, "->", clip.write(sys.argv[1] if len(sys.argv) > 1 else "."))
