"""Google's own SDK (google-genai) against livemusic, over real TLS sockets on 127.0.0.1."""

import asyncio
import json
import warnings

import numpy as np
import pytest
from google import genai
from google.genai import types as genai_types
from websockets.asyncio.server import serve

from livemusic import AsyncLiveMusic

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def sdk_client(port: int, version: str = "v1alpha") -> genai.Client:
    return genai.Client(api_key="test", http_options={"base_url": f"https://127.0.0.1:{port}",
                                                       "api_version": version})


async def sdk_audio(session, seconds: float) -> np.ndarray:
    """Collect ``seconds`` of audio from an SDK session's receive()."""
    blocks, frames = [], 0
    async for message in session.receive():
        for chunk in (message.server_content.audio_chunks if message.server_content else None) or []:
            block = np.frombuffer(chunk.data, "<i2").reshape(-1, 2)
            blocks.append(block)
            frames += len(block)
        if frames >= seconds * 48_000:
            return np.concatenate(blocks)
    raise AssertionError("stream ended early")


def loud(block: np.ndarray) -> bool:
    return float(np.sqrt(np.mean(block.astype(np.float64) ** 2))) > 300


async def test_google_sdk_plays_music_from_livemusic_serve(tls_server):
    client = sdk_client(tls_server.port)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        async with client.aio.live.music.connect(model="models/lyria-realtime-exp") as session:
            await session.set_weighted_prompts(prompts=[
                genai_types.WeightedPrompt(text="minimal techno", weight=1.0),
                genai_types.WeightedPrompt(text="303 acid bass", weight=0.5),
            ])
            await session.set_music_generation_config(config=genai_types.LiveMusicGenerationConfig(
                bpm=124, scale=genai_types.Scale.A_FLAT_MAJOR_F_MINOR, density=0.7, brightness=0.6))
            await session.play()
            first = await sdk_audio(session, 1.0)
            await session.pause()
            await session.play()
            await session.reset_context()
            after_reset = await sdk_audio(session, 1.0)
            await session.stop()
            await session.play()
            after_stop = await sdk_audio(session, 1.0)
    assert loud(first) and loud(after_reset) and loud(after_stop)


async def test_google_sdk_sees_source_metadata(tls_server):
    client = sdk_client(tls_server.port, "v1beta")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        async with client.aio.live.music.connect(model="models/lyria-realtime-exp") as session:
            await session.set_weighted_prompts(prompts=[{"text": "bossa nova", "weight": 1.0}])
            await session.set_music_generation_config(config={"bpm": 90, "seed": 11})
            await session.play()
            async for message in session.receive():
                if message.server_content and message.server_content.audio_chunks:
                    chunk = message.server_content.audio_chunks[0]
                    break
    assert chunk.mime_type == "audio/l16;rate=48000;channels=2"
    assert chunk.source_metadata.music_generation_config.bpm == 90
    assert chunk.source_metadata.music_generation_config.seed == 11
    assert chunk.source_metadata.client_content.weighted_prompts[0].text == "bossa nova"


# ------------------------------------------------------------------ same wire frames as the SDK

INPUTS = [
    ("set_weighted_prompts", [{"text": "jazz", "weight": 1.0}, {"text": "Rhodes Piano", "weight": 0.35}]),
    ("set_music_generation_config", {"temperature": 1.3, "top_k": 40, "seed": 5, "guidance": 4.5, "bpm": 120,
                                     "density": 0.5, "brightness": 0.25, "scale": "C_MAJOR_A_MINOR",
                                     "mute_bass": True, "mute_drums": False, "only_bass_and_drums": False,
                                     "music_generation_mode": "VOCALIZATION"}),
    ("set_music_generation_config", {"bpm": 80}),
    ("play", None),
    ("pause", None),
    ("stop", None),
    ("reset_context", None),
]


@pytest.fixture
async def recording_server(certificate):
    """A bare TLS WebSocket server that answers setup and records every frame it receives."""
    from livemusic.server import ssl_context

    frames: list[list[dict]] = []

    async def handler(ws):
        seen: list[dict] = []
        frames.append(seen)
        async for frame in ws:
            seen.append(json.loads(frame))
            if "setup" in seen[-1]:
                await ws.send('{"setupComplete": {}}')

    cert, key = certificate
    async with serve(handler, "127.0.0.1", 0, ssl=ssl_context(str(cert), str(key))) as server:
        server.frames = frames
        yield server


async def send_all(session, sdk: bool) -> None:
    for method, argument in INPUTS:
        if argument is None:
            await getattr(session, method)()
        elif method == "set_weighted_prompts":
            prompts = [genai_types.WeightedPrompt(**p) for p in argument] if sdk else argument
            await session.set_weighted_prompts(prompts)
        else:
            config = genai_types.LiveMusicGenerationConfig(**argument) if sdk else argument
            await session.set_music_generation_config(config)


async def test_our_client_sends_the_same_json_as_the_sdk(recording_server):
    port = recording_server.sockets[0].getsockname()[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        async with sdk_client(port).aio.live.music.connect(model="models/lyria-realtime-exp") as session:
            await send_all(session, sdk=True)
    async with AsyncLiveMusic(url=f"wss://127.0.0.1:{port}/ws/google.ai.generativelanguage.v1alpha."
                                  "GenerativeService.BidiGenerateMusic", api_key="test").connect() as session:
        await send_all(session, sdk=False)
    for _ in range(100):
        if len(recording_server.frames) == 2 and len(recording_server.frames[1]) == len(INPUTS) + 1:
            break
        await asyncio.sleep(0.05)
    sdk_frames, our_frames = recording_server.frames
    assert our_frames == sdk_frames
    assert len(our_frames) == len(INPUTS) + 1
