"""Prompt change to the first audio generated with it, on the embedded engine.

Plays a session in real time (the server's default pacing), then sends a new
prompt set every ~1.5 s and measures the wall time until the first chunk
whose ``sourceMetadata`` carries the new prompts arrives at the client
(which includes rendering that chunk and the loopback hop). Also printed: how
much audio was already in flight at that moment (the server's lead), which is
what a listener hears before the change reaches the speaker.

    python benchmarks/change_latency.py [--changes 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from livemusic import AsyncLiveMusic

MIXES = [{"minimal techno": 1.0}, {"jazz trio": 1.0}, {"ambient": 1.0}, {"funk": 1.0, "slap bass": 0.5}]


async def measure(changes: int) -> tuple[list[float], list[float]]:
    latencies, leads = [], []
    async with AsyncLiveMusic(backend="embedded").connect() as session:
        await session.set_weighted_prompts(MIXES[0])
        await session.play()
        started = time.perf_counter()
        sent_at, expected = None, None
        async for message in session.receive():
            now = time.perf_counter()
            for chunk in message.audio_chunks:
                texts = [p.text for p in chunk.source_metadata.client_content.weighted_prompts]
                if expected is not None and texts == expected:
                    latencies.append(now - sent_at)
                    leads.append(session.generated_position - (now - started))
                    expected = None
            if expected is None and now - started > 1.5 * (len(latencies) + 1):
                if len(latencies) == changes:
                    break
                mix = MIXES[(len(latencies) + 1) % len(MIXES)]
                sent_at, expected = time.perf_counter(), list(mix)
                await session.set_weighted_prompts(mix)
    return latencies, leads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=10)
    args = parser.parse_args()
    latencies, leads = asyncio.run(measure(args.changes))
    print(f"prompt change -> first chunk generated with it, embedded engine, {len(latencies)} changes")
    print(f"  median {statistics.median(latencies) * 1000:.0f} ms, worst {max(latencies) * 1000:.0f} ms "
          f"(target <= 100 ms)")
    print(f"  audio already in flight when it arrived: median {statistics.median(leads) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
