"""A small program that records the way ``livemusic play --record`` does.

An asyncio task produces audio at real-time pace in 50 ms chunks and hands
each chunk to a :class:`Recorder`; SIGTERM cancels the main task (as the CLI
does) and Ctrl-C is asyncio's KeyboardInterrupt, so both leave the ``with``
block and finalize the file. Progress goes to stdout for the test to follow.

    python record_program.py OUT.wav SECONDS
"""

from __future__ import annotations

import asyncio
import signal
import sys

import numpy as np

from livemusic.audio import Recorder

RATE = 48000
CHUNK = 2400  # 50 ms


def pattern(start: int, count: int) -> np.ndarray:
    """Frames whose values follow from their position, so a test can check what it reads back."""
    index = np.arange(start, start + count, dtype=np.int64)
    left = (index * 7) % 20000 - 10000
    return np.stack([left, -left], axis=1).astype(np.int16)


async def record(path: str, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    recorder = Recorder(path)
    try:
        with recorder:
            print("recording", flush=True)
            started = loop.time()
            position = 0
            while position < seconds * RATE:
                recorder.write(pattern(position, CHUNK))
                position += CHUNK
                print(f"queued {position}", flush=True)
                await asyncio.sleep(max(0.0, started + position / RATE - loop.time()))
    finally:
        print(f"closed {recorder.frames_written}", flush=True)


def main() -> int:
    try:
        asyncio.run(record(sys.argv[1], float(sys.argv[2])))
    except KeyboardInterrupt:
        return 130
    except asyncio.CancelledError:
        return 143
    return 0


if __name__ == "__main__":
    sys.exit(main())
