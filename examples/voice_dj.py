"""Talk to a Live model that steers the music: "make it jazzier and slower".

    GEMINI_API_KEY=... python examples/voice_dj.py            # microphone in, voice and music out
    python examples/voice_dj.py --text "something for a rainy night" --seconds 60

The music plays on the embedded engine (or Google's Lyria with --music-backend gemini); the
conversation runs on Google's Live API (or any BidiGenerateContent server with --live-url). The
model's tools (set_prompts, set_bpm, set_mood, set_scale, mute, fade, pause, play, now_playing) are
methods of livemusic.conversation.dj.MusicDJ, called automatically when the model asks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from livemusic import AsyncLive, AsyncLiveMusic
from livemusic.conversation.dj import MusicDJ
from livemusic.stage import BUFFER_MS, Stage, chunk_ms_for

INSTRUCTION = """You are a DJ. Music is playing; steer it with your tools when the listener asks
("jazzier" -> set_prompts with jazz styles, "slower" -> set_bpm lower, "calmer" -> set_mood with less
density, "drop the drums" -> mute). Prefer fade for big style changes. Answer in one short sentence."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live-url", help="a BidiGenerateContent server (default: Google's, with GEMINI_API_KEY)")
    parser.add_argument("--model", default="gemini-live-2.5-flash-preview")
    parser.add_argument("--music-backend", choices=("embedded", "gemini"), default="embedded")
    parser.add_argument("--prompt", default="lo-fi hip hop", help="the music to start with")
    parser.add_argument("--text", action="append", default=[], help="say this (typed) instead of speaking")
    parser.add_argument("--no-mic", action="store_true", help="do not open the microphone")
    parser.add_argument("--no-sound", action="store_true", help="play neither music nor voice")
    parser.add_argument("--record", help="also record the music to this WAV")
    parser.add_argument("--seconds", type=float, help="stop after this long (default: until Ctrl-C or the end)")
    return parser.parse_args()


async def converse(args: argparse.Namespace, dj: MusicDJ) -> None:
    voice = None
    if not args.no_sound:
        from livemusic.conversation.voice import VoiceOutput
        voice = VoiceOutput()
    config = {"response_modalities": ["AUDIO"], "system_instruction": INSTRUCTION, "tools": dj.tools(),
              "input_audio_transcription": {}, "output_audio_transcription": {}}
    live = AsyncLive(url=args.live_url) if args.live_url else AsyncLive()
    async with live.connect(model=args.model, config=config) as session, contextlib.AsyncExitStack() as stack:
        if not args.no_mic:
            from livemusic.conversation.voice import Microphone, stream_microphone
            microphone = stack.enter_context(Microphone())
            stack.push_async_callback(_cancel, asyncio.create_task(stream_microphone(session, microphone)))
        for line in args.text:
            await session.send_client_content(turns=line)
        async for message in session.receive():
            if voice is not None:
                voice.play(message)
            content = message.server_content
            if content and content.input_transcription and content.input_transcription.text:
                print(f"you: {content.input_transcription.text}", flush=True)
            if content and content.output_transcription and content.output_transcription.text:
                print(f"dj: {content.output_transcription.text}", flush=True)
            if message.text:
                print(f"dj: {message.text}", flush=True)
            for call in message.tool_call.function_calls if message.tool_call else ():
                print(f"tool: {call.name}({', '.join(f'{k}={v!r}' for k, v in call.args.items())})", flush=True)
            if message.resumed:
                print(f"(conversation resumed: {message.resumed.reason})", flush=True)
    if voice is not None:
        voice.close()


async def _cancel(task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def main() -> int:
    args = parse_args()
    music_client = AsyncLiveMusic(backend=args.music_backend)
    backend = music_client.backend
    stage = await Stage.open(music_client.connect(chunk_ms=chunk_ms_for(backend)), buffer_ms=BUFFER_MS[backend],
                             audio=not args.no_sound, record=args.record)
    dj = MusicDJ(stage.session)
    try:
        await dj.set_prompts({args.prompt: 1.0})
        await stage.session.play()
        talk = asyncio.create_task(converse(args, dj))
        done, _ = await asyncio.wait([talk, stage.receiver], timeout=args.seconds,
                                     return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # an error ends the program with its message
        await _cancel(talk)
        print(f"music: {dj.state()}", flush=True)
    finally:
        await dj.close()
        await stage.close()
        await stage.session.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:
        sys.exit(130)
