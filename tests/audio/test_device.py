"""Opening the sound card in the background (``livemusic.device``), and what that needs imported."""

from __future__ import annotations

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
