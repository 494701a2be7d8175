"""The voice DJ's tool plumbing, offline: a scripted Live peer calls the DJ's tools, the embedded engine plays."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from livemusic import AsyncLive, AsyncLiveMusic
from livemusic.conversation.dj import MusicDJ

ROOT = Path(__file__).resolve().parents[2]
MODEL = "gemini-live-2.5-flash-preview"
JAZZIER_AND_SLOWER = [
    {"id": "p", "name": "set_prompts", "args": {"prompts": {"acid jazz": 1.0, "upright bass": 0.5}}},
    {"id": "b", "name": "set_bpm", "args": {"bpm": 84}},
]


def answers_by_id(frames: list[dict]) -> dict[str, dict]:
    return {r["id"]: r["response"] for f in frames if "toolResponse" in f
            for r in f["toolResponse"]["functionResponses"]}


def call_tools_then_close(calls: list[dict]):
    async def script(connection):
        connection.setup = await connection.accept_setup()
        await connection.send({"toolCall": {"functionCalls": calls}})
        while len(answers_by_id(connection.frames)) < len(calls):
            await connection.recv()
        await connection.ws.close(1000)
    return script


async def test_the_models_tool_calls_change_what_the_engine_plays(peer):
    async with AsyncLiveMusic().connect(chunk_ms=40) as music, peer(call_tools_then_close(
            [*JAZZIER_AND_SLOWER, {"id": "m", "name": "mute", "args": {"part": "drums"}}])) as running:
        dj = MusicDJ(music)
        await dj.set_prompts({"minimal techno": 1.0})
        await music.play()
        async with AsyncLive(url=running.url).connect(model=MODEL, config={"tools": dj.tools()}) as session:
            async for _ in session.receive():
                pass
        async for message in music.receive():  # the engine's own account of what it now plays
            metadata = message.audio_chunks[0].source_metadata if message.audio_chunks else None
            if metadata and metadata.music_generation_config and metadata.music_generation_config.bpm == 84 \
                    and metadata.music_generation_config.mute_drums:
                break
    connection = running.connections[0]
    declared = {d["name"] for d in connection.setup["tools"][0]["functionDeclarations"]}
    assert {"set_prompts", "set_bpm", "set_mood", "set_scale", "mute", "fade", "pause", "play"} <= declared
    assert [p.text for p in metadata.client_content.weighted_prompts] == ["acid jazz", "upright bass"]
    answers = answers_by_id(connection.frames)
    assert answers["b"]["result"]["config"]["bpm"] == 84
    assert answers["m"]["result"]["config"] == {"bpm": 84, "mute_drums": True}


async def test_out_of_range_arguments_are_answered_with_the_allowed_range(peer):
    async with AsyncLiveMusic().connect(chunk_ms=40) as music, peer(call_tools_then_close([
            {"id": "b", "name": "set_bpm", "args": {"bpm": 500}},
            {"id": "m", "name": "mute", "args": {"part": "guitar"}}])) as running:
        dj = MusicDJ(music)
        async with AsyncLive(url=running.url).connect(model=MODEL, config={"tools": dj.tools()}) as session:
            async for _ in session.receive():
                pass
        assert music.config.bpm is None
    answers = answers_by_id(running.connections[0].frames)
    assert "bpm: must be between 60 and 200, got 500" in answers["b"]["error"]
    assert "invalid arguments: part" in answers["m"]["error"]


async def test_fade_moves_the_prompts_step_by_step_to_the_target(peer):
    async with AsyncLiveMusic().connect(chunk_ms=40) as music:
        dj = MusicDJ(music)
        await dj.set_prompts({"minimal techno": 1.0})
        sent = []
        original = music.set_weighted_prompts

        async def spy(prompts, **kwargs):
            sent.append(dict(prompts))
            await original(prompts, **kwargs)

        music.set_weighted_prompts = spy
        answer = await dj.fade({"bossa nova": 1.0}, seconds=1.0)
        await dj._fade
    assert answer["fading_to"] == {"bossa nova": 1.0}
    assert sent[0] == {"bossa nova": 0.5, "minimal techno": 0.5}
    assert sent[-1] == {"bossa nova": 1.0}


def test_voice_dj_example_steers_the_music_from_a_scripted_conversation(tmp_path):
    # The peer runs in this process; the example in a child process talks to it over loopback.
    out = tmp_path / "music.wav"

    async def script(connection):
        connection.setup = await connection.accept_setup()
        turn = await connection.recv()
        connection.turn = turn
        await connection.send({"toolCall": {"functionCalls": JAZZIER_AND_SLOWER}})
        while len(answers_by_id(connection.frames)) < 2:
            await connection.recv()
        await connection.send({"serverContent": {"modelTurn": {"parts": [{"text": "Jazzier and slower."}]}}})
        await connection.send({"serverContent": {"turnComplete": True}})
        await connection.drain()  # until the example stops (--seconds) and closes

    async def main(peer_class):
        async with peer_class(script) as running:
            process = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "examples" / "voice_dj.py"), "--live-url", running.url, "--no-mic",
                "--no-sound", "--text", "make it jazzier and slower", "--record", str(out),
                "--seconds", "4", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
                cwd=ROOT)
            stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
            return process.returncode, stdout.decode(), stderr.decode(), running.connections[0]

    import importlib.util
    spec = importlib.util.spec_from_file_location("peer_conftest", Path(__file__).with_name("conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    code, stdout, stderr, connection = asyncio.run(main(module.ScriptedPeer))
    assert code == 0, stderr
    assert connection.turn == {"clientContent": {"turns": [{"parts": [{"text": "make it jazzier and slower"}],
                                                             "role": "user"}], "turnComplete": True}}
    assert "tool: set_bpm(bpm=84)" in stdout and "dj: Jazzier and slower." in stdout
    assert "'bpm': 84" in stdout and "'acid jazz': 1.0" in stdout
    audio, rate = sf.read(out, dtype="float32")
    assert rate == 48_000 and len(audio) > rate
    assert np.sqrt(np.mean(audio ** 2)) > 0.01
