"""CPU cost of receiving audio: livemusic's client vs Google's SDK, against one local server.

Starts one ``livemusic`` server (TLS, self-signed, loopback) in a child
process, then runs each client in its own child process, one after the
other, several times. Each client connects, sends prompts, config and PLAY,
and receives ``--seconds`` of audio. Printed per client: CPU seconds (user +
system of the client process, measured from just before connect) per second
of audio received, and the time from connect to the first audio chunk.

The server paces "asap" (no real-time lead) so the clients are measured at
full speed; chunks have the server's default length.

    python benchmarks/client_vs_sdk.py [--seconds 60] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def serve(port_file: str, cert: str, key: str) -> None:
    from livemusic.server import MusicServer, Pacing, ssl_context

    async with MusicServer("127.0.0.1", 0, ssl_context=ssl_context(cert, key),
                           pacing=Pacing(realtime=False)) as server:
        Path(port_file).write_text(str(server.port))
        await asyncio.Event().wait()


async def ours(port: int, seconds: float) -> dict:
    from livemusic import AsyncLiveMusic

    start_cpu, start = cpu_seconds(), time.perf_counter()
    first = None
    frames = 0
    url = f"wss://127.0.0.1:{port}"
    async with AsyncLiveMusic(url=url, api_key="bench").connect() as session:
        await session.set_weighted_prompts({"minimal techno": 1.0})
        await session.set_music_generation_config({"bpm": 124})
        await session.play()
        async for block in session.audio():
            first = first or time.perf_counter() - start
            frames += len(block)
            if frames >= seconds * 48_000:
                break
    return {"cpu": cpu_seconds() - start_cpu, "audio": frames / 48_000, "first": first}


async def sdk(port: int, seconds: float) -> dict:
    import numpy as np
    from google import genai

    warnings.simplefilter("ignore")
    client = genai.Client(api_key="bench", http_options={"base_url": f"https://127.0.0.1:{port}",
                                                          "api_version": "v1alpha"})
    start_cpu, start = cpu_seconds(), time.perf_counter()
    first = None
    frames = 0
    async with client.aio.live.music.connect(model="models/lyria-realtime-exp") as session:
        await session.set_weighted_prompts(prompts=[{"text": "minimal techno", "weight": 1.0}])
        await session.set_music_generation_config(config={"bpm": 124})
        await session.play()
        async for message in session.receive():
            for chunk in (message.server_content.audio_chunks if message.server_content else None) or []:
                first = first or time.perf_counter() - start
                frames += len(np.frombuffer(chunk.data, "<i2").reshape(-1, 2))  # the same work as ours
            if frames >= seconds * 48_000:
                break
    return {"cpu": cpu_seconds() - start_cpu, "audio": frames / 48_000, "first": first}


def child(role: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--role", role, *args], stdout=subprocess.PIPE, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="audio seconds received per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--role", choices=["main", "serve", "ours", "sdk"], default="main")
    parser.add_argument("--port", type=int)
    parser.add_argument("--port-file")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()

    if args.role == "serve":
        asyncio.run(serve(args.port_file, args.cert, args.key))
        return
    if args.role in ("ours", "sdk"):
        result = asyncio.run((ours if args.role == "ours" else sdk)(args.port, args.seconds))
        print(json.dumps(result))
        return

    from conftest import make_self_signed

    with tempfile.TemporaryDirectory() as tmp:
        cert, key = make_self_signed(Path(tmp))
        os.environ["SSL_CERT_FILE"] = str(cert)
        port_file = Path(tmp) / "port"
        server = child("serve", "--port-file", str(port_file), "--cert", str(cert), "--key", str(key))
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.05)
            port = port_file.read_text()
            results: dict[str, list[dict]] = {"ours": [], "sdk": []}
            for _ in range(args.runs):
                for role in results:
                    proc = child(role, "--port", port, "--seconds", str(args.seconds))
                    out, _ = proc.communicate()
                    results[role].append(json.loads(out.strip().splitlines()[-1]))
        finally:
            server.terminate()
            server.wait()

    from livemusic.server import Pacing

    print(f"client CPU per second of audio received ({args.seconds:.0f} s x {args.runs} runs, "
          f"48 kHz stereo, {Pacing().chunk_ms} ms chunks, TLS on loopback)")
    per_audio = {}
    for role, runs in results.items():
        per_audio[role] = statistics.median(r["cpu"] / r["audio"] for r in runs)
        first = statistics.median(r["first"] for r in runs)
        print(f"  {role:5s}: {per_audio[role] * 1000:7.2f} ms CPU per audio second   "
              f"connect -> first chunk {first * 1000:6.1f} ms (median)")
    print(f"  ratio sdk/ours: {per_audio['sdk'] / per_audio['ours']:.2f}x")


if __name__ == "__main__":
    main()
