"""Our client against our server, over real sockets: every control, both API versions."""

import asyncio

import numpy as np
import pytest

from livemusic import AsyncLiveMusic, LiveMusicGenerationConfig, Scale, WeightedPrompt
from livemusic.errors import InvalidInputError, SessionStateError
from livemusic.types import MIME_TYPE

JAZZ = [WeightedPrompt(text="jazz trio", weight=1.0)]


async def first_audio(session, frames: int = 1) -> np.ndarray:
    """Collect at least ``frames`` frames of audio from the session."""
    got = []
    total = 0
    async for block in session.audio():
        got.append(block)
        total += len(block)
        if total >= frames:
            break
    return np.concatenate(got)


async def first_chunk(session):
    """The first audio chunk the session receives."""
    async for message in session.receive():
        if message.audio_chunks:
            return message.audio_chunks[0]
    raise AssertionError("the stream ended before any audio")


def rms(block: np.ndarray) -> float:
    return float(np.sqrt(np.mean(block.astype(np.float64) ** 2)))


@pytest.mark.parametrize("version", ["v1alpha", "v1beta"])
async def test_session_streams_audio_on_both_versions(server, version):
    async with AsyncLiveMusic(url=server.url, api_version=version).connect() as session:
        await session.set_weighted_prompts(JAZZ)
        await session.set_music_generation_config(LiveMusicGenerationConfig(bpm=110))
        await session.play()
        audio = await first_audio(session, 48_000)
    assert audio.dtype == np.int16 and audio.shape[1] == 2
    assert rms(audio) > 300


async def test_a_stopped_server_serves_again_when_started_again():
    from livemusic.server import MusicServer

    server = MusicServer("127.0.0.1", 0)
    for pacing in ("asap", None):  # each start serves both kinds of session
        await server.start()
        try:
            async with AsyncLiveMusic(url=server.url).connect(pacing=pacing) as session:
                await session.set_weighted_prompts(JAZZ)
                await session.play()
                assert len(await first_audio(session, 48_000)) >= 48_000
        finally:
            await server.stop()


async def test_root_path_is_served(server):
    async with AsyncLiveMusic(url=server.url + "/").connect() as session:
        await session.set_weighted_prompts(JAZZ)
        await session.play()
        assert len(await first_audio(session)) > 0


async def test_chunks_carry_mime_type_and_source_metadata(server):
    async with AsyncLiveMusic(url=server.url).connect() as session:
        await session.set_weighted_prompts(JAZZ)
        await session.set_music_generation_config({"bpm": 96, "scale": "D_MAJOR_B_MINOR", "seed": 7})
        await session.play()
        chunk = await first_chunk(session)
    assert chunk.mime_type == MIME_TYPE
    assert chunk.source_metadata.client_content.weighted_prompts == JAZZ
    config = chunk.source_metadata.music_generation_config
    assert (config.bpm, config.scale, config.seed) == (96, Scale.D_MAJOR_B_MINOR, 7)


async def test_config_replaces_the_whole_config(server):
    async with AsyncLiveMusic(url=server.url).connect() as session:
        await session.set_weighted_prompts(JAZZ)
        await session.set_music_generation_config({"bpm": 96, "density": 0.2})
        await session.set_music_generation_config({"brightness": 0.9})
        await session.play()
        config = (await first_chunk(session)).source_metadata.music_generation_config
    assert config.bpm is None and config.density is None and config.brightness == 0.9


async def test_update_config_merges_one_field(server):
    async with AsyncLiveMusic(url=server.url).connect() as session:
        await session.set_music_generation_config({"bpm": 96, "density": 0.2})
        merged = await session.update_config(density=0.7)
        assert merged == LiveMusicGenerationConfig(bpm=96, density=0.7)
        assert session.config == merged


async def test_session_remembers_prompts_config_and_playback(server):
    async with AsyncLiveMusic(url=server.url).connect() as session:
        assert session.playback_state == "stopped"
        await session.set_weighted_prompts({"funk": 1.0, "slap bass": 0.5})
        await session.play()
        assert session.playback_state == "playing"
        await session.pause()
        assert session.playback_state == "paused"
        await session.stop()
        assert session.playback_state == "stopped"
        assert [p.text for p in session.prompts] == ["funk", "slap bass"]


async def test_pause_stops_the_stream_and_play_resumes_it(server):
    async with AsyncLiveMusic(url=server.url).connect() as session:
        await session.set_weighted_prompts(JAZZ)
        await session.play()
        await first_audio(session, 24_000)
        await session.pause()
        received_at_pause = session.generated_position
        # drain what was in flight, then nothing more may arrive while paused
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1.5):
                await first_audio(session, 10**9)
        drained = session.generated_position
        assert drained - received_at_pause <= 1.0  # at most the lead that was in flight
        await session.play()
        await first_audio(session, 24_000)
        assert session.generated_position > drained


async def test_stop_then_play_restarts_and_reset_context_keeps_streaming(server):
    async with AsyncLiveMusic(url=server.url).connect() as session:
        await session.set_weighted_prompts(JAZZ)
        await session.play()
        await first_audio(session, 12_000)
        await session.reset_context()
        after_reset = await first_audio(session, 48_000)
        await session.stop()
        await session.play()
        after_stop = await first_audio(session, 48_000)
    assert rms(after_reset) > 300 and rms(after_stop) > 300


async def test_stop_ends_on_a_closing_chord_that_rings_out_then_the_stream_ends(server):
    async with AsyncLiveMusic(url=server.url).connect(pacing="asap") as session:
        await session.set_weighted_prompts([WeightedPrompt(text="house", weight=1.0)])
        await session.set_music_generation_config({"bpm": 120, "seed": 5})
        await session.play()
        await first_audio(session, 4 * 48_000)
        await session.stop()
        tail = []
        with pytest.raises(TimeoutError):  # the stream ends by itself: nothing more arrives
            async with asyncio.timeout(3.0):
                async for block in session.audio():
                    tail.append(block)
    audio = np.abs(np.concatenate(tail).astype(np.float64)).max(axis=1)
    window = 4800  # 100 ms
    peaks = 20 * np.log10(audio[: len(audio) // window * window].reshape(-1, window).max(axis=1) / 32768 + 1e-9)
    struck = int(np.flatnonzero(peaks >= peaks.max() - 6.0)[-1])  # the closing chord: the last loud moment
    decay = peaks[struck:]
    assert len(decay) >= 20  # it rings for two seconds or more
    assert decay[-1] < -55.0  # and the stream ends once it has rung out
    assert decay[1:].max() <= decay[0] + 1.0  # nothing louder comes after it
    assert np.diff(decay).min() > -20.0  # a decay, not a cut: no 100 ms falls by 20 dB or more


async def test_receive_ends_normally_when_the_server_closes_with_1000(server):
    async with AsyncLiveMusic(url=server.url).connect() as session:
        await session.play()
        for ws in list(server.sessions):
            await ws.close(1000, "bye")
        messages = [m async for m in session.receive()]
    assert session._conn.protocol.close_code == 1000
    assert all(m.setup_complete is None for m in messages)


async def test_warning_frames_reach_the_caller(server):
    async with AsyncLiveMusic(url=server.url).connect() as session:
        for ws in list(server.sessions):
            await ws.send('{"warning": "model is warming up"}')
            await ws.close(1000)
        messages = [m async for m in session.receive()]
    assert [m.warning for m in messages if m.livemusic_resumption_update is None] == ["model is warming up"]
    assert session.warnings == ["model is warming up"]


async def test_empty_prompt_comes_back_filtered(server):
    async with AsyncLiveMusic(url=server.url).connect() as session:
        await session.set_weighted_prompts([{"text": "   ", "weight": 1.0}, {"text": "techno", "weight": 1.0}])
        await session.play()
        async for message in session.receive():
            if message.filtered_prompt is not None:
                filtered = message.filtered_prompt
                break
    assert filtered.text == "   " and filtered.filtered_reason


async def test_invalid_config_is_refused_before_sending(server):
    async with AsyncLiveMusic(url=server.url).connect() as session:
        with pytest.raises(InvalidInputError, match="bpm: must be between 60 and 200"):
            await session.set_music_generation_config({"bpm": 20})
        assert session.config == LiveMusicGenerationConfig()


async def test_sending_after_close_is_refused(server):
    async with AsyncLiveMusic(url=server.url).connect() as session:
        pass
    with pytest.raises(SessionStateError):
        await session.play()


async def test_scheduled_change_applies_at_the_exact_frame(server):
    async with AsyncLiveMusic(url=server.url).connect(pacing="asap") as session:
        assert session.supports_scheduling
        await session.set_weighted_prompts(JAZZ)
        await session.set_music_generation_config({"bpm": 100, "seed": 3})
        await session.set_music_generation_config({"bpm": 100, "seed": 3, "mute_drums": True}, at=0.6)
        await session.play()
        boundaries = {}
        position = 0
        async for message in session.receive():
            for chunk in message.audio_chunks:
                boundaries[chunk.livemusic_position] = chunk.source_metadata.music_generation_config.mute_drums
                position = chunk.livemusic_position + len(chunk.data) // 4
            if position >= 48_000:
                break
    assert boundaries[28_800] is True
    assert all(not muted for start, muted in boundaries.items() if start < 28_800)


async def test_stems_are_sent_on_request(server):
    async with AsyncLiveMusic(url=server.url).connect(pacing="asap", stems=True) as session:
        await session.set_weighted_prompts(JAZZ)
        await session.play()
        chunk = await first_chunk(session)
    assert set(chunk.livemusic_stems) == {"drums", "bass", "harmony", "lead"}
    assert all(len(pcm) == len(chunk.data) for pcm in chunk.livemusic_stems.values())


@pytest.mark.parametrize("chunk_ms", [None, 40])  # 40: smaller than the engine's default 200 ms block
async def test_a_change_shows_in_the_first_chunk_generated_after_it_arrives(server, chunk_ms):
    async with AsyncLiveMusic(url=server.url).connect(stems=True, chunk_ms=chunk_ms) as session:
        await session.set_weighted_prompts({"minimal techno": 1.0})
        await session.set_music_generation_config({"bpm": 120, "seed": 2})
        await session.play()
        levels = []
        async for message in session.receive():
            for chunk in message.audio_chunks:
                muted = chunk.source_metadata.music_generation_config.mute_drums
                drums = np.frombuffer(chunk.livemusic_stems["drums"], "<i2")
                # A mute fades the ringing drums out from the chunk's start (10 ms, after the limiter's
                # 5 ms look-ahead, and their tails); the second half of the chunk shows it.
                levels.append((muted, rms(drums[len(drums) // 2:] if muted else drums)))
                if len(levels) == 7:  # mid-way through a 200 ms block when chunks are 40 ms
                    await session.update_config(mute_drums=True)
            if levels and levels[-1][0]:
                break
    first_muted = levels[-1][1]
    assert first_muted < max(level for _, level in levels[:7]) / 10  # 20 dB down in that very chunk
