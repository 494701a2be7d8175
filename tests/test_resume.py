"""Resumption: signed handles, and a session that survives its server being killed and restarted."""

import asyncio
import base64
import json
import os
import random
from urllib.parse import urlsplit

import numpy as np
import pytest
from websockets.asyncio.server import serve

from engine.analysis import onset_envelope
from livemusic import AsyncLiveMusic
from livemusic.engine import Generator
from livemusic.errors import ProtocolError, SessionStateError
from livemusic.music.reconnect import Backoff, EventKind
from livemusic.server.resume import ResumeState, sign, verify
from livemusic.types import SAMPLE_RATE, LiveMusicGenerationConfig, PlaybackState, WeightedPrompt
from serving import serve_process

STATE = ResumeState(prompts=[WeightedPrompt(text="dub techno", weight=1.0)],
                    config=LiveMusicGenerationConfig(bpm=120), seed=7, position=96_000, bar_line=72_000,
                    bar_frames=96_000, playback=PlaybackState.PLAYING)


def test_a_handle_gives_back_its_state():
    assert verify(sign(STATE, b"k"), 96_000, b"k") == STATE


@pytest.mark.parametrize("tamper", [
    lambda h: h[:10] + ("A" if h[10] != "A" else "B") + h[11:],  # the state changed
    lambda h: h.split(".")[0] + ".AAAA",  # another signature
    lambda h: "not a handle",
])
def test_an_altered_handle_is_refused_with_1008(tamper):
    with pytest.raises(ProtocolError) as info:
        verify(tamper(sign(STATE, b"k")), 96_000, b"k")
    assert info.value.code == 1008


def test_a_handle_made_with_another_secret_is_refused():
    with pytest.raises(ProtocolError, match="invalid signature"):
        verify(sign(STATE, b"k"), 96_000, b"other")


@pytest.mark.parametrize("position", [95_999, 96_000 + 31 * SAMPLE_RATE])
def test_resuming_before_the_handle_or_far_past_it_is_refused(position):
    with pytest.raises(ProtocolError, match="position"):
        verify(sign(STATE, b"k"), position, b"k")


def test_the_first_retry_is_made_at_once():
    assert next(Backoff().delays()) == 0.0


def test_backoff_grows_by_its_factor_up_to_its_cap():
    delays = Backoff(at_once=0, first=0.2, factor=1.5, cap=0.5, jitter=0).delays()
    assert [next(delays) for _ in range(5)] == pytest.approx([0.2, 0.3, 0.45, 0.5, 0.5])


def test_jitter_spreads_listeners_below_the_cap():
    backoff = Backoff(at_once=0, first=2.0, cap=2.0, jitter=0.3)
    waits = [next(backoff.delays(random.Random(seed))) for seed in range(20)]
    assert all(1.4 <= wait <= 2.0 for wait in waits) and len(set(waits)) == 20


async def take(stream, chunks: list, frames: int) -> None:
    """Collect audio chunks from ``stream`` until ``frames`` more frames came."""
    goal = sum(len(c.data) // 4 for c in chunks) + frames
    async for message in stream:
        chunks.extend(message.audio_chunks)
        if sum(len(c.data) // 4 for c in chunks) >= goal:
            return


async def test_a_session_resumes_where_it_was_after_its_server_is_killed_and_restarted():
    env = {**os.environ, "LIVEMUSIC_RESUME_SECRET": "shared by the servers"}
    chunks: list = []
    with serve_process(env=env) as first:
        session = await AsyncLiveMusic(url=first.url).connect()
        await session.set_weighted_prompts({"deep house": 1.0})
        await session.set_music_generation_config({"bpm": 120})
        await session.play()
        stream = session.receive()
        await take(stream, chunks, SAMPLE_RATE // 2)
        first.process.kill()  # SIGKILL: no close frame, no goodbye
    before = len(chunks)
    with serve_process(port=urlsplit(first.url).port, env=env):
        await take(stream, chunks, SAMPLE_RATE // 2)
        await session.close()
    kinds = [e.kind for e in session.events if e.kind is not EventKind.RECONNECTING]  # attempts while it restarted
    assert kinds == [EventKind.DISCONNECTED, EventKind.RESUMED] and "same bar" in session.events[-1].detail
    positions = [c.livemusic_position for c in chunks]
    expected = [sum(len(c.data) // 4 for c in chunks[:i]) for i in range(len(chunks))]
    assert positions == expected  # no frame lost or repeated across the restart
    old, new = chunks[before - 1].source_metadata, chunks[before].source_metadata
    assert new.client_content == old.client_content and new.music_generation_config == old.music_generation_config


def drum_track(resumed_at: int | None) -> np.ndarray:
    """5 s of deep house drums from stream second 3 on: played through, or resumed at ``resumed_at``."""
    generator = Generator(seed=5)
    generator.set_prompts([WeightedPrompt(text="deep house")])
    generator.set_config({"bpm": 120})
    generator.render(3 * SAMPLE_RATE)
    if resumed_at is not None:
        bar_line = generator.bar_line()
        generator = Generator(seed=5)
        generator.set_prompts([WeightedPrompt(text="deep house")])
        generator.set_config({"bpm": 120})
        generator.resume_at(resumed_at, *bar_line)
        return generator.render(5 * SAMPLE_RATE, stems=True).stems["drums"]
    return generator.render(5 * SAMPLE_RATE, stems=True).stems["drums"]


def test_a_resumed_stream_sounds_from_its_start_with_the_notes_ringing_there():
    position = 3 * SAMPLE_RATE + 1234  # between onsets: the next is up to a sixteenth (125 ms) away
    generator = Generator(seed=5)
    generator.set_prompts([WeightedPrompt(text="deep house")])
    generator.render(position)
    resumed = Generator(seed=5)
    resumed.set_prompts([WeightedPrompt(text="deep house")])
    resumed.resume_at(position, *generator.bar_line())
    mix = resumed.render(SAMPLE_RATE // 5).mix
    assert np.flatnonzero(np.any(mix != 0, axis=1))[0] < SAMPLE_RATE // 100  # the master's 5 ms lookahead at most


@pytest.mark.parametrize("late_ms", [0, 130])
def test_a_resumed_stream_keeps_the_beat_of_the_stream_it_continues(late_ms):
    hop = 256
    through = onset_envelope(drum_track(None), hop=hop)
    late = late_ms * SAMPLE_RATE // 1000
    resumed = onset_envelope(drum_track(3 * SAMPLE_RATE + late), hop=hop)
    shift = round(late / hop)  # the resumed stream starts this many hops later
    span = len(resumed) - 80
    lags = range(-40, 41)  # +-0.2 s: less than half a beat at 120 bpm
    score = [np.dot(through[shift + 40 + lag:shift + 40 + lag + span - 40], resumed[40:span]) for lag in lags]
    assert abs(lags[int(np.argmax(score))]) <= 1


async def test_a_server_that_cannot_resume_gets_prompts_config_and_play_replayed():
    chunks: list = []
    with serve_process(env={**os.environ, "LIVEMUSIC_RESUME_SECRET": "first"}) as first:
        session = await AsyncLiveMusic(url=first.url).connect()
        await session.set_weighted_prompts({"bossa nova": 1.0})
        await session.set_music_generation_config({"bpm": 96, "seed": 3})
        await session.play()
        stream = session.receive()
        await take(stream, chunks, SAMPLE_RATE // 2)
        first.process.kill()
    with serve_process(port=urlsplit(first.url).port, env={**os.environ, "LIVEMUSIC_RESUME_SECRET": "another"}):
        await take(stream, chunks, SAMPLE_RATE // 2)
        await session.close()
    assert "replayed" in session.events[-1].detail
    last = chunks[-1].source_metadata
    assert last.client_content.weighted_prompts == [WeightedPrompt(text="bossa nova", weight=1.0)]
    assert last.music_generation_config.bpm == 96 and last.music_generation_config.seed == 3


async def test_a_server_without_extensions_gets_none_and_a_replay_after_a_drop():
    """Like Google's service: no extension header, so no livemusic fields, no handle; the state is replayed."""
    connections: list[list[dict]] = []
    chunk = json.dumps({"serverContent": {"audioChunks": [{
        "data": base64.b64encode(bytes(4 * 4800)).decode(), "mimeType": "audio/l16;rate=48000;channels=2"}]}})

    async def handler(ws):
        frames = [json.loads(await ws.recv())]
        connections.append(frames)
        await ws.send('{"setupComplete": {}}')
        async for frame in ws:
            frames.append(json.loads(frame))
            if "playbackControl" in frames[-1]:
                await ws.send(chunk)
                if len(connections) == 1:
                    await ws.close(1011, "Internal error encountered.")

    async with serve(handler, "127.0.0.1", 0) as server:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        session = await AsyncLiveMusic(url=url).connect(chunk_ms=40, stems=True)
        session.backoff = Backoff(first=0.01)
        await session.set_weighted_prompts({"ambient": 1.0})
        await session.update_config(bpm=90)
        await session.play()
        received = 0
        async for audio in session.audio():
            received += len(audio)
            if received >= 2 * 4800:
                break
        await session.close()
    assert [frames[0] for frames in connections] == [{"setup": {"model": "models/lyria-realtime-exp"}}] * 2
    assert connections[1][1:] == [{"clientContent": {"weightedPrompts": [{"text": "ambient", "weight": 1.0}]}},
                                  {"musicGenerationConfig": {"bpm": 90}}, {"playbackControl": "PLAY"}]
    assert [e.kind for e in session.events] == [EventKind.DISCONNECTED, EventKind.RESUMED]


async def test_a_send_after_the_server_ended_the_session_normally_raises_session_state_error():
    """A normal close (1000) is the end, not an outage: reconnecting sessions must not swallow the send."""
    closed = asyncio.Event()

    async def handler(ws):
        await ws.recv()
        await ws.send('{"setupComplete": {}}')
        await ws.close(1000, "done")  # returns once the client's websockets answered the close
        closed.set()

    async with serve(handler, "127.0.0.1", 0) as server:
        session = await AsyncLiveMusic(url=f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}").connect()
        assert session.reconnect
        await closed.wait()
        with pytest.raises(SessionStateError, match="ended"):
            await session.set_weighted_prompts({"ambient": 1.0})
        with pytest.raises(SessionStateError):
            await session.play()
        await session.close()
