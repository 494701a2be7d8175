from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from livemusic.audio.player import DeviceInfo, PlaybackFeed, Player, select_device
from livemusic.audio.ring import RingBuffer
from livemusic.errors import AudioDeviceError

RATE = 48000


def constant(n: int, value: int = 10000) -> np.ndarray:
    return np.full((n, 2), value, dtype=np.int16)


def tone(seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    wave = (0.3 * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)
    return np.stack([wave, wave], axis=1)


def play(feed: PlaybackFeed, buffers: int, size: int = 480) -> np.ndarray:
    return np.concatenate([feed.fill(size).copy() for _ in range(buffers)])


# --------------------------------------------------------------------------- the callback's work


def test_feed_waits_for_preroll_without_counting_underruns():
    ring = RingBuffer(RATE)
    feed = PlaybackFeed(ring, 480, preroll_frames=4800)
    ring.write(constant(4000))
    assert not play(feed, 3).any()
    assert feed.underrun_frames == 0
    assert ring.fill_frames == 4000


def test_feed_fades_in_over_the_ramp_without_a_step():
    ring = RingBuffer(RATE)
    ring.write(constant(RATE))
    feed = PlaybackFeed(ring, 480, ramp_frames=4800)
    out = play(feed, 20)[:, 0].astype(int)
    assert out[0] < 10
    assert np.all(np.diff(out[:4800]) >= 0)
    assert np.max(np.abs(np.diff(out))) <= 10000 / 4800 + 1
    assert np.all(out[4800:] == 10000)


def test_pause_fades_out_then_holds_the_ring_position():
    ring = RingBuffer(RATE)
    ring.write(constant(RATE))
    feed = PlaybackFeed(ring, 480, ramp_frames=4800)
    play(feed, 20)
    feed.fade_to(0.0)
    fading = play(feed, 10)[:, 0].astype(int)
    assert np.all(np.diff(fading) <= 0)
    assert fading[-1] == 0
    assert feed.silent.is_set()
    held = ring.fill_frames
    assert not play(feed, 5).any()
    assert ring.fill_frames == held
    assert feed.underrun_frames == 0


def test_resume_fades_back_in_from_where_pause_stopped():
    ring = RingBuffer(RATE)
    ring.write(np.concatenate([constant(9600, 100), constant(9600, 200)]))
    feed = PlaybackFeed(ring, 480, ramp_frames=960)
    play(feed, 20)  # 9600 frames of value 100, the fade-out included
    feed.fade_to(0.0)
    play(feed, 2)
    feed.fade_to(1.0)
    resumed = play(feed, 4)[:, 0]
    assert resumed[-1] == 200
    assert feed.played_frames == 9600 + 960 + 1920


def test_missing_frames_after_preroll_play_as_silence_and_are_counted():
    ring = RingBuffer(RATE)
    ring.write(constant(1000))
    feed = PlaybackFeed(ring, 480, preroll_frames=1000, ramp_frames=1)
    out = play(feed, 3)
    assert out[:1000].all() and not out[1000:].any()
    assert feed.underrun_frames == 440
    assert feed.played_frames == 1000


def test_the_lowest_fill_tells_how_close_the_buffer_came_to_running_dry():
    ring = RingBuffer(RATE)
    ring.write(constant(4800))
    feed = PlaybackFeed(ring, 480, preroll_frames=4800, ramp_frames=1)
    assert feed.lowest_fill_frames is None
    play(feed, 4)
    ring.write(constant(960))
    play(feed, 2)
    assert feed.lowest_fill_frames == 4800 - 4 * 480
    play(feed, 10)  # runs dry
    assert feed.lowest_fill_frames == 0


def test_audio_piled_up_beyond_the_preroll_is_dropped_when_playback_starts():
    ring = RingBuffer(RATE)
    ring.write(np.concatenate([constant(20_000, 100), constant(4800, 200)]))  # 0.4 s late, 0.1 s target
    feed = PlaybackFeed(ring, 480, preroll_frames=4800, ramp_frames=1)
    out = play(feed, 2)[:, 0]
    assert np.all(out[1:] == 200)  # the newest audio plays: the backlog is gone
    assert feed.dropped_frames == 20_000
    assert ring.fill_frames == 4800 - 960


def test_a_backlog_piling_up_while_playing_is_cut_back_with_a_crossfade():
    ring = RingBuffer(RATE)
    ring.write(constant(4800, 1000))
    feed = PlaybackFeed(ring, 480, preroll_frames=4800, ramp_frames=1)
    play(feed, 1)
    ring.write(constant(12_000, 3000))  # the device stalled while the stream went on: 0.34 s buffered
    out = play(feed, 1)[:, 0].astype(int)
    assert ring.fill_frames == 4800 - 480
    assert feed.dropped_frames == 4320 + 12_000 - 240 - 4800
    assert feed.played_frames == 480 + 240 + 480
    assert out[0] < 1100 and out[-1] == 3000
    assert np.max(np.abs(np.diff(out))) < 50  # a crossfade, not a step of 2000


def test_after_an_underrun_the_buffer_refills_to_its_target_not_beyond():
    ring = RingBuffer(RATE)
    ring.write(constant(4800))
    feed = PlaybackFeed(ring, 480, preroll_frames=4800, ramp_frames=480)
    play(feed, 12)  # 4800 played, then 960 of silence: an underrun
    assert feed.underrun_frames == 960
    ring.write(constant(2400))
    assert not play(feed, 1).any()  # still below the target: silence, counted
    assert feed.underrun_frames == 1440
    ring.write(constant(12_000))  # a burst after the gap
    out = play(feed, 2)[:, 0].astype(int)
    assert ring.fill_frames == 4800 - 960  # trimmed back to the target
    assert out[0] < 100 and np.all(np.diff(out[:480]) >= 0)  # fades back in, no click


def test_after_a_cut_the_audio_that_comes_back_plays_at_once():
    ring = RingBuffer(RATE)
    ring.write(constant(4800))
    feed = PlaybackFeed(ring, 480, preroll_frames=4800, ramp_frames=1)
    play(feed, 12)  # the stream was cut: the ring ran dry
    feed.resume_on_audio()  # the session resumed
    ring.write(constant(960))  # its first audio, well below the target
    assert play(feed, 1).all()


def test_a_cut_the_ring_outlasted_leaves_the_next_underrun_to_rebuffer():
    ring = RingBuffer(RATE)
    ring.write(constant(4800))
    feed = PlaybackFeed(ring, 480, preroll_frames=4800, ramp_frames=1)
    play(feed, 2)
    feed.resume_on_audio()
    ring.write(constant(960))  # the audio came back before the ring ran dry
    play(feed, 14)  # later the producer is late: an underrun
    ring.write(constant(960))
    assert not play(feed, 1).any()  # which waits for the target as usual


def test_resume_keeps_only_the_target_of_what_piled_up():
    ring = RingBuffer(RATE)
    ring.write(constant(9600))
    feed = PlaybackFeed(ring, 480, preroll_frames=4800, ramp_frames=1)
    play(feed, 2)
    ring.write(constant(9600))  # what arrived while paused
    feed.resync()
    play(feed, 1)
    assert ring.fill_frames == 4800 - 480
    assert feed.underrun_frames == 0


def test_drain_plays_the_tail_without_counting_an_underrun():
    ring = RingBuffer(RATE)
    ring.write(constant(700))
    feed = PlaybackFeed(ring, 480, preroll_frames=4800, ramp_frames=1)
    feed.drain()
    out = play(feed, 2)
    assert out[:700].all() and not out[700:].any()
    assert feed.underrun_frames == 0
    assert feed.drained.is_set()


# --------------------------------------------------------------------------- device choice


DEVICES = [
    DeviceInfo(0, "HDA Intel PCH: ALC892 Analog", 2, 48000.0, False),
    DeviceInfo(3, "pulse", 32, 44100.0, False),
    DeviceInfo(4, "default", 32, 44100.0, True),
    DeviceInfo(7, "HDA Intel PCH: HDMI 0", 8, 48000.0, False),
    DeviceInfo(9, "USB mono speaker", 1, 48000.0, False),
]


def test_no_device_given_picks_the_default_output():
    assert select_device(DEVICES, None).index == 4


def test_device_by_index_or_digit_string():
    assert select_device(DEVICES, 7).name == "HDA Intel PCH: HDMI 0"
    assert select_device(DEVICES, "3").name == "pulse"


def test_device_by_case_insensitive_name_substring():
    assert select_device(DEVICES, "alc892").index == 0


def test_exact_name_wins_over_substring_matches():
    assert select_device([*DEVICES, DeviceInfo(5, "pulse monitor", 2, 48000.0, False)], "Pulse").index == 3


def test_ambiguous_name_lists_the_matches():
    with pytest.raises(AudioDeviceError, match="ambiguous") as info:
        select_device(DEVICES, "hda intel")
    assert "ALC892" in str(info.value) and "HDMI 0" in str(info.value)


def test_unknown_name_lists_every_choice():
    with pytest.raises(AudioDeviceError, match="no output device matches 'speakers'") as info:
        select_device(DEVICES, "speakers")
    assert all(device.name in str(info.value) for device in DEVICES)


def test_unknown_index_lists_every_choice():
    with pytest.raises(AudioDeviceError, match="no output device has index 42"):
        select_device(DEVICES, 42)


def test_mono_device_is_refused_for_stereo_output():
    with pytest.raises(AudioDeviceError, match="1 channel"):
        select_device(DEVICES, "usb")


def test_no_devices_at_all_says_how_to_get_one():
    with pytest.raises(AudioDeviceError, match="no audio output device found.*sound server"):
        select_device([], None)


def test_missing_pyaudio_gives_one_line_with_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyaudio", None)  # makes `import pyaudio` fail
    with pytest.raises(AudioDeviceError) as info:
        Player(RingBuffer(1024))
    message = str(info.value)
    assert "\n" not in message
    assert "pip install 'livemusic[audio]'" in message
    assert "portaudio19-dev" in message and "brew install portaudio" in message


# --------------------------------------------------------------------------- real device


@pytest.mark.sound
def test_unknown_device_name_on_a_real_system_raises_with_choices(sound_output):
    with pytest.raises(AudioDeviceError, match="choose one of") as info:
        Player(RingBuffer(1024), device="no-such-device-xyz")
    assert "\n" not in str(info.value)


@pytest.mark.sound
def test_three_seconds_play_without_underrun_while_producer_keeps_up(sound_output):
    audio = tone(3.0)
    ring = RingBuffer.for_seconds(1.0)
    started = time.monotonic()
    with Player(ring, device=sound_output, frames_per_buffer=1024, target_latency_ms=150) as player:
        position = 0
        while position < len(audio):
            position += ring.write(audio[position:position + 960])
            while ring.fill_seconds > 0.25:
                time.sleep(0.005)  # a real-time producer: 20 ms chunks, a quarter of a second ahead
        assert player.drain(timeout=5.0)
        elapsed = time.monotonic() - started
        assert player.latency_seconds > 0
        assert player.underrun_frames == 0
        assert ring.underrun_frames == 0
        assert player.callback_errors == 0
        assert player.played_frames + player.dropped_frames == len(audio)  # what piled up at start is dropped
        assert player.dropped_frames < 0.25 * RATE
    assert elapsed >= 2.4  # the device consumed at its real-time pace
