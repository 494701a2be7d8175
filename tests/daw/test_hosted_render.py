"""``render()`` against a server that behaves like Google's hosted model (a strict stand-in on 127.0.0.1).

It offers none of livemusic's extensions and closes a connection that sends one,
as Google's service does; the render must work at its pace, cut the exact length,
and say clearly what it cannot give (stems, MIDI, loops).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import livemusic
from livemusic.errors import InvalidInputError

from .google_standin import SR, google_standin


async def test_a_render_on_a_server_like_googles_sends_only_what_it_knows_and_is_cut_to_the_bars():
    async with google_standin() as google:
        clip = await livemusic.arender("minimal techno", bpm=124, bars=2, seed=1, url=google.url, api_key="test-key")
    assert google.refused == [] and google.keys == ["test-key"]
    assert "livemusic" not in json.dumps(google.received)
    assert {"musicGenerationConfig": {"bpm": 124, "seed": 1}} in google.received
    assert clip.frames == round(2 * 4 * 60 / 124 * SR) and clip.stems == {} and clip.midi is None
    spectrum = np.abs(np.fft.rfft(clip.audio[:, 0]))
    assert np.argmax(spectrum) * SR / clip.frames == pytest.approx(220, abs=1)  # the stand-in's tone, in full


@pytest.mark.parametrize("ask, named", [({"stems": True}, "stems"), ({"midi": True}, "MIDI"),
                                        ({"loop": True}, "loops")])
async def test_what_a_server_like_googles_cannot_give_is_a_clear_error_and_nothing_it_would_refuse(ask, named):
    async with google_standin() as google:
        with pytest.raises(InvalidInputError, match=f"cannot give {named}.*livemusic's engine"):
            await livemusic.arender("minimal techno", bpm=124, bars=2, url=google.url, **ask)
    assert google.refused == []  # it was never sent an extension to refuse


async def test_a_tempo_change_on_a_server_like_googles_is_followed_by_a_reset_and_the_bars_by_the_tempo_map(tmp_path):
    preset = tmp_path / "faster.yaml"
    preset.write_text("prompts: {minimal techno: 1.0}\nconfig: {bpm: 120}\n"
                      "timeline:\n  - at: 1 bar\n    config: {bpm: 150}\n")
    async with google_standin() as google:
        clip = await livemusic.arender(preset=preset, bars=2, url=google.url)
    assert clip.frames == round((2.0 + 1.6) * SR)  # a bar at 120 bpm, then one at 150
    sent = [m for m in google.received if "musicGenerationConfig" in m or "playbackControl" in m]
    faster = next(i for i, m in enumerate(sent) if m.get("musicGenerationConfig", {}).get("bpm") == 150)
    assert {"playbackControl": "RESET_CONTEXT"} in sent[faster + 1:]
