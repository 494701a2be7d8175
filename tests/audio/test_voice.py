"""The Live API's audio on the shared audio layer, through PulseAudio's null sink and its monitor.

The model's voice (24 kHz mono) plays through a RingBuffer and Player at 48 kHz stereo; the
microphone (16 kHz mono) captures the sink's monitor (``PULSE_SOURCE=null.monitor``), so what
is played is heard back and measured.
"""

from __future__ import annotations

import asyncio
import base64

import numpy as np
import pytest

from livemusic.audio.resample import Resampler
from livemusic.conversation.voice import Microphone, VoiceOutput, stream_microphone
from livemusic.live.content import LiveServerMessage

pytestmark = pytest.mark.sound


def tone(frequency: float, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (0.4 * 32767 * np.sin(2 * np.pi * frequency * t)).astype("<i2")


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


def voice_message(pcm: bytes = b"", *, interrupted: bool | None = None) -> LiveServerMessage:
    content: dict = {"interrupted": interrupted} if interrupted else {}
    if pcm:
        content["modelTurn"] = {"parts": [{"inlineData": {"mimeType": "audio/pcm;rate=24000",
                                                          "data": base64.b64encode(pcm).decode()}}]}
    return LiveServerMessage.model_validate({"serverContent": content}, context={"lenient": True})


@pytest.fixture
def monitor(monkeypatch, sound_output):
    """The microphone hears the null sink's monitor."""
    monkeypatch.setenv("PULSE_SOURCE", "null.monitor")


async def listen(mic: Microphone, seconds: float) -> np.ndarray:
    blocks, frames = [], 0
    async for block in mic:
        blocks.append(block)
        frames += len(block)
        if frames >= seconds * mic.rate:
            break
    return np.concatenate(blocks)


async def test_model_voice_at_24k_is_heard_at_its_pitch_through_the_player(monitor):
    with VoiceOutput(target_latency_ms=50) as output, Microphone() as mic:
        output.play(voice_message(tone(440, 3.0, 24_000).tobytes()))
        heard = await listen(mic, 2.0)
    loud = heard[np.abs(heard) > 500]
    assert len(loud) > 0.5 * 16_000
    assert abs(dominant_frequency(heard[-16_000:], 16_000) - 440) < 3


async def test_interrupted_empties_the_playback_buffer_at_once(monitor):
    with VoiceOutput(target_latency_ms=50) as output, Microphone() as mic:
        output.play(voice_message(tone(660, 20.0, 24_000).tobytes()))
        async for block in mic:  # wait until the voice is heard
            if rms(block) > 1000:
                break
        output.play(voice_message(interrupted=True))
        buffered_after = output.ring.fill_frames
        after = await listen(mic, 1.0)
    assert buffered_after == 0
    assert output.interrupted_frames > 15 * 48_000
    assert rms(after[-8_000:]) < 30  # the last half second is silence


async def test_microphone_audio_reaches_the_session_as_16k_pcm(monitor):
    class Recorder:
        def __init__(self):
            self.blobs = []

        async def send_realtime_input(self, *, audio, rate):
            self.blobs.append((audio.copy(), rate))

    session = Recorder()
    with VoiceOutput(target_latency_ms=50) as output:
        output.play(voice_message(tone(880, 3.0, 24_000).tobytes()))
        mic = Microphone()
        task = asyncio.create_task(stream_microphone(session, mic))
        while sum(len(b) for b, _ in session.blobs) < 2 * 16_000:
            await asyncio.sleep(0.05)
        mic.close()
        await task
    audio = np.concatenate([b for b, _ in session.blobs])
    assert {rate for _, rate in session.blobs} == {16_000}
    assert abs(dominant_frequency(audio[-8_000:], 16_000) - 880) < 3


def test_resampling_in_chunks_equals_resampling_at_once():
    signal = np.random.default_rng(1).standard_normal(24_000) * 0.1
    whole = Resampler(24_000, 48_000).process(signal)
    chunked = Resampler(24_000, 48_000)
    parts = np.concatenate([chunked.process(part) for part in np.array_split(signal, 41)])
    assert len(whole) == 48_000
    assert np.allclose(whole, parts, atol=1e-6)


@pytest.mark.parametrize(("src", "dst"), [(24_000, 48_000), (48_000, 16_000), (44_100, 16_000)])
def test_resampling_keeps_a_tone_at_its_pitch_and_level(src, dst):
    t = np.arange(src) / src
    out = Resampler(src, dst).process(0.5 * np.sin(2 * np.pi * 1000 * t))
    settled = out[dst // 10:]
    assert abs(dominant_frequency(settled, dst) - 1000) < 2
    assert abs(np.sqrt(2) * settled.std() - 0.5) < 0.005


def test_speech_feed_plays_its_whole_backlog_where_music_would_trim_it():
    from livemusic.audio.player import PlaybackFeed
    from livemusic.audio.ring import RingBuffer

    played = {}
    for trim in (True, False):
        ring = RingBuffer.for_seconds(2.0)
        ring.write(np.ones((48_000, 2), dtype=np.int16))
        feed = PlaybackFeed(ring, 480, preroll_frames=4_800, trim_backlog=trim)
        while ring.fill_frames:
            feed.fill(480)
        played[trim] = feed.played_frames
    assert played == {True: 4_800, False: 48_000}
