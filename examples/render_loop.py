"""Render a bar-exact loop and its stems for a DAW, from a script.

    python examples/render_loop.py out/loop.wav
"""

import asyncio
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from livemusic import AsyncLiveMusic

BPM, BARS = 120, 8


async def main(path: Path) -> None:
    frames = round(BARS * 4 * 60 / BPM * 48_000)  # sample-exact length of 8 bars
    mix, stems = [], {}
    async with AsyncLiveMusic().connect(pacing="asap", stems=True) as session:
        await session.set_weighted_prompts({"deep house": 1.0, "rhodes piano": 0.5})
        await session.set_music_generation_config({"bpm": BPM, "scale": "F_MAJOR_D_MINOR", "seed": 42})
        await session.play()
        got = 0
        async for message in session.receive():
            for chunk in message.audio_chunks:
                mix.append(np.frombuffer(chunk.data, "<i2").reshape(-1, 2))
                for name, pcm in (chunk.livemusic_stems or {}).items():
                    stems.setdefault(name, []).append(np.frombuffer(pcm, "<i2").reshape(-1, 2))
                got += len(mix[-1])
            if got >= frames:
                break
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.concatenate(mix)[:frames], 48_000, subtype="PCM_16")
    for name, blocks in stems.items():
        sf.write(path.with_name(f"{path.stem}.{name}.wav"), np.concatenate(blocks)[:frames], 48_000,
                 subtype="PCM_16")
    print(f"wrote {path} and {len(stems)} stems, {frames} frames each")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "loop.wav")))
