"""The same render on Google's hosted Lyria RealTime model (needs GEMINI_API_KEY or GOOGLE_API_KEY).

    GEMINI_API_KEY=... python examples/hosted_render.py [folder]

The hosted model renders at its own pace (real time) and the clip is cut to
the exact number of bars; it has no stems, MIDI or seamless loops (asking for
them raises a clear error).
"""

import sys

import livemusic

clip = livemusic.render("minimal techno", bpm=124, scale="A_FLAT_MAJOR_F_MINOR", bars=4, backend="gemini")
print(clip, "->", clip.write(sys.argv[1] if len(sys.argv) > 1 else "."))
