"""``livemusic play --midi-out PORT`` end to end: the command's notes through mido to a port.

This machine has no ALSA sequencer (no ``/dev/snd/seq``; the kernel has no sound
support to load), so no virtual port can be made with RtMidi. mido's backend is
swapped (``MIDO_BACKEND``) for one whose ports write what they are sent to a file;
everything on livemusic's side, from the command line to ``mido.open_output``, runs
as it would against a DAW.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from pathlib import Path

import mido

from .logging_midi_backend import LOG_ENV

ROOT = Path(__file__).resolve().parents[2]


def play_with_midi_out(port: str, log: Path) -> list[str]:
    env = {**os.environ, "MIDO_BACKEND": "logging_midi_backend", LOG_ENV: str(log),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-m", "livemusic.cli", "play", "presets/funk.yaml", "--no-audio",
                             "--duration", "4", "--midi-out", port], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    return log.read_text().splitlines()


def test_play_sends_each_part_s_notes_to_a_new_virtual_port_and_leaves_none_sounding(tmp_path):
    lines = play_with_midi_out("daw-test", tmp_path / "midi.log")
    assert lines[0] == "open daw-test virtual=True" and lines[-1] == "close"
    sounding: collections.Counter[tuple[int, int]] = collections.Counter()
    for message in (mido.Message.from_str(line) for line in lines[1:-1]):
        if message.type in ("note_on", "note_off"):
            on = message.type == "note_on" and message.velocity > 0
            sounding[message.channel, message.note] += 1 if on else -1
    assert {channel for channel, _ in sounding} >= {9, 0, 1}  # drums on 10, bass, harmony
    assert set(sounding.values()) == {0}


def test_play_sends_to_an_existing_port_whose_name_contains_the_one_given(tmp_path):
    lines = play_with_midi_out("synth", tmp_path / "midi.log")
    assert lines[0] == "open Existing Synth virtual=False"
    assert any(line.startswith("note_on channel=9") for line in lines)
