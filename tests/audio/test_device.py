"""Opening the sound card in the background (``livemusic.device``), what that needs imported, ALSA's messages."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import pytest

from livemusic.device import DeviceOpening
from livemusic.types import PlaybackState


def _loaded_after(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after ``statement``."""
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    return set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())


def test_the_audio_layer_imports_without_pydantic():
    loaded = _loaded_after("import livemusic.device, livemusic.audio.player, livemusic.audio.ring")
    assert "pydantic" not in loaded


def test_play_leaves_the_engines_sound_code_to_the_engine_process():
    loaded = _loaded_after("import livemusic.cli, livemusic.app")
    assert not {name for name in loaded if name.startswith("livemusic.engine")}


@pytest.mark.sound
async def test_a_session_needing_another_buffer_gets_the_device_opened_again_for_it(sound_output):
    opening = DeviceOpening(device=str(sound_output), buffer_ms=100)
    _, first = await opening.result()
    _, player = await opening.result(buffer_ms=500)
    try:
        assert first.state is PlaybackState.STOPPED
        assert player.state is PlaybackState.PLAYING
    finally:
        player.close()


@pytest.mark.sound
async def test_a_device_opened_for_nothing_is_released(sound_output):
    opening = DeviceOpening(device=str(sound_output), buffer_ms=100)
    opening.close()
    _, player = await opening.result()
    assert player.state is PlaybackState.STOPPED


_OPEN_AN_UNKNOWN_PCM = """
import ctypes
from livemusic.audio.quiet import quiet_alsa_messages
quiet_alsa_messages()
asound = ctypes.CDLL("libasound.so.2")
asound.snd_pcm_open(ctypes.byref(ctypes.c_void_p()), b"no-such-livemusic-pcm", 0, 0)
"""


def _alsa_says(env: dict[str, str]) -> str:
    pytest.importorskip("pyaudio")
    try:
        ctypes.CDLL("libasound.so.2")
    except OSError:
        pytest.skip("no ALSA here")
    return subprocess.run([sys.executable, "-c", _OPEN_AN_UNKNOWN_PCM], capture_output=True, text=True,
                          env={**os.environ, **env}, check=True).stderr


def test_alsa_keeps_its_messages_off_the_terminal():
    assert "ALSA lib" not in _alsa_says({"LIVEMUSIC_AUDIO_DEBUG": ""})


def test_alsa_messages_show_with_audio_debugging_on():
    assert "no-such-livemusic-pcm" in _alsa_says({"LIVEMUSIC_AUDIO_DEBUG": "1"})
