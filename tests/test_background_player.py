"""``livemusic.play(...)`` / ``Player``: music in the background of a script or notebook."""

import asyncio
import threading

import numpy as np
import pytest
import soundfile as sf

import livemusic
from livemusic.errors import InvalidInputError, SessionStateError


def levels(path, seconds=0.25):
    audio, rate = sf.read(path, dtype="int16")
    n = int(rate * seconds)
    frames = audio[: len(audio) // n * n].astype(np.float64)
    return np.sqrt((frames.reshape(-1, n, 2) ** 2).mean(axis=(1, 2)))


def test_play_starts_in_one_line_steers_and_stops(tmp_path):
    out = tmp_path / "bg.wav"
    player = livemusic.play({"minimal techno": 1.0}, audio=False, record=out)
    player.bpm(128)
    player.call(asyncio.sleep(1.0))
    player.solo("bass", "drums")
    player.mute("drums", "bass")
    player.call(asyncio.sleep(1.5))
    assert "128 bpm" in player.status()
    assert player.stop().startswith("recorded")
    level = levels(out)
    assert level[1:4].max() > 1000 and level[-1] < level[1:4].max() / 20  # silent once the tails faded
    assert not any(t.name == "livemusic-player" for t in threading.enumerate())


def test_a_bad_value_raises_in_the_caller_and_the_music_plays_on():
    with livemusic.Player({"bossa nova": 1.0}, audio=False) as player:
        with pytest.raises(InvalidInputError, match="density"):
            player.density(2.0)
        player.density(0.3)
        assert player.session.config.density == 0.3


def test_a_stopped_player_refuses_calls():
    player = livemusic.play(audio=False)
    player.stop()
    player.stop()
    with pytest.raises(SessionStateError):
        player.bpm(100)
