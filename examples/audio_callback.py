"""Audio to a callback, at the pace of playback: route it anywhere (here: raw float32 PCM on stdout).

    python examples/audio_callback.py | play -t raw -e floating-point -b 32 -r 48000 -c 2 -   (sox)
    python examples/audio_callback.py --bars 4 > out.f32

``on_audio`` gets each block of float32 frames shaped (frames, 2) as it is
generated; with ``realtime=True`` the blocks come as fast as they play.
"""

import argparse
import sys

import numpy as np

import livemusic


def send(block: np.ndarray) -> None:
    sys.stdout.buffer.write(block.astype("<f4").tobytes())
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=16)
    args = parser.parse_args()
    clip = livemusic.render("dub techno", bpm=120, bars=args.bars, realtime=True, on_audio=send)
    print(f"sent {clip.frames} frames", file=sys.stderr)
