"""Google's own SDK playing music from `livemusic serve` (about 20 lines of logic).

    livemusic serve --certfile cert.pem --keyfile key.pem        # a certificate for IP 127.0.0.1
    SSL_CERT_FILE=cert.pem python examples/sdk_client.py [seconds]

The SDK always dials wss:// when it has an API key (any string will do for
livemusic), so the server needs TLS and the client must trust its certificate.
"""

import asyncio
import sys

import pyaudio
from google import genai
from google.genai import types


async def main(seconds: float) -> None:
    client = genai.Client(api_key="unused", http_options={"base_url": "https://127.0.0.1:8765",
                                                          "api_version": "v1alpha"})
    audio = pyaudio.PyAudio()
    out = audio.open(format=pyaudio.paInt16, channels=2, rate=48_000, output=True)
    played = 0.0
    async with client.aio.live.music.connect(model="models/lyria-realtime-exp") as session:
        await session.set_weighted_prompts(prompts=[types.WeightedPrompt(text="bossa nova", weight=1.0),
                                                    types.WeightedPrompt(text="vibraphone", weight=0.5)])
        await session.set_music_generation_config(config=types.LiveMusicGenerationConfig(bpm=92, density=0.5))
        await session.play()
        async for message in session.receive():
            for chunk in message.server_content.audio_chunks if message.server_content else []:
                await asyncio.to_thread(out.write, chunk.data)  # blocking write releases the GIL
                played += len(chunk.data) / 4 / 48_000
            if played >= seconds:
                break
    out.close()
    audio.terminate()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0))
