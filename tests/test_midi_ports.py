"""``livemusic play --midi-out PORT`` and ``--midi PORT`` through real MIDI ports of a JACK server.

This machine has no ALSA sequencer (no ``/dev/snd/seq``); a JACK server on its dummy
driver (``.ci/midi-server``) makes real virtual ports in user space, and python-rtmidi's
JACK API opens them. The command plays through PyAudio on the null sink, so notes leave
on the player's clock. What livemusic sends is read by ``jack_midi_dump``, JACK's own C
client: a Python reader (python-rtmidi's callback, or its queue) under load misses a
JACK cycle now and then and loses or repeats that cycle's events, which would be the
reader's fault, not livemusic's. Where no JACK server runs, ``tests/daw/test_play_midi_out.py``
and ``test_midi_control.py`` cover the same commands through mido with a stand-in backend.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import mido

ROOT = Path(__file__).resolve().parents[1]
#: Drums are on channel 10 (mido counts from 0).
DRUMS = 9


class Readback:
    """``jack_midi_dump`` on an input port ``CLIENT:input`` of its own: every message that reaches it, in order."""

    def __init__(self, jack, client: str) -> None:
        self.port = f"{client}:input"
        self.messages: list[mido.Message] = []
        self._changed = threading.Condition()
        self._dump = subprocess.Popen(["stdbuf", "-oL", "jack_midi_dump", "-a", client], text=True,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        while self.port not in jack.get_output_names():  # JACK's inputs are where a sender can go
            assert self._dump.poll() is None, "jack_midi_dump ended"
            time.sleep(0.02)  # the client registers its port on its own; nothing to wait on but its name

    def _read(self) -> None:
        for line in self._dump.stdout:  # "  42240: 99 24 5a note on  (channel  9): ..."
            words = line.partition(":")[2].split()
            data = [int(word, 16) for word in words[:3] if len(word) == 2 and word.isalnum()]
            with self._changed:
                self.messages.append(mido.Message.from_bytes(data))
                self._changed.notify_all()

    def wait_for(self, condition, timeout: float = 30.0) -> bool:
        """Whether ``condition(messages)`` came true within ``timeout`` s (checked at each arrival)."""
        with self._changed:
            return self._changed.wait_for(lambda: condition(self.messages), timeout)

    def close(self) -> None:
        self._dump.terminate()
        self._dump.wait()
        self._reader.join()


def note_ons(messages: list[mido.Message]) -> list[mido.Message]:
    return [m for m in messages if m.type == "note_on" and m.velocity > 0]


def sounding(messages: list[mido.Message]) -> collections.Counter[tuple[int, int]]:
    """How many note-ons of each (channel, note) are not yet switched off."""
    count: collections.Counter[tuple[int, int]] = collections.Counter()
    for m in messages:
        if m.type in ("note_on", "note_off"):
            count[m.channel, m.note] += 1 if m.type == "note_on" and m.velocity > 0 else -1
    return count


def none_sounding(messages: list[mido.Message]) -> bool:
    return set(sounding(messages).values()) <= {0}


def unique(name: str) -> str:
    """A name no other test run on this JACK server uses."""
    return f"{name}-{os.getpid()}"


def play(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``livemusic play ARGS`` through the sound card (the null sink)."""
    return subprocess.Popen([sys.executable, "-m", "livemusic.cli", "play", *args], cwd=ROOT, text=True,
                            env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def finish(process: subprocess.Popen[str]) -> None:
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr


def test_play_sends_each_part_s_notes_to_an_existing_port_and_leaves_none_sounding(jack):
    # No MIDO_BACKEND: livemusic finds the port in whichever MIDI system the machine runs
    readback = Readback(jack, unique("readback"))
    try:
        finish(play("presets/funk.yaml", "--duration", "4", "--midi-out", unique("readback")))
        assert readback.wait_for(none_sounding, timeout=5), sounding(readback.messages)
    finally:
        readback.close()
    assert readback.messages[0].type == "program_change"  # each part's instrument before its notes
    assert {m.channel for m in note_ons(readback.messages)} >= {DRUMS, 0, 1}  # drums on 10, bass, harmony


def test_play_makes_a_virtual_port_named_for_livemusic_that_a_daw_reads(jack):
    readback = Readback(jack, unique("daw"))
    process = play("presets/minimal-techno.yaml", "--duration", "6", "--midi-out", unique("to-daw"),
                   env={"MIDO_BACKEND": f"{jack.name}/{jack.api}"})
    try:
        name = f"livemusic:{unique('to-daw')}"
        while name not in jack.get_input_names():  # JACK's outputs are what a reader can take from
            assert process.poll() is None, process.communicate()[1]
            time.sleep(0.05)  # the port appears once the command has started; nothing to wait on but its name
        subprocess.run(["jack_connect", name, readback.port], check=True, stdin=subprocess.DEVNULL)
        finish(process)
    finally:
        process.kill()
        process.wait()
        readback.close()
    assert any(m.channel == DRUMS for m in note_ons(readback.messages))


def test_a_pad_on_a_real_port_mutes_the_drums_of_a_playing_session(jack, tmp_path):
    preset = tmp_path / "pads.yaml"
    preset.write_text((ROOT / "presets/funk.yaml").read_text().split("timeline:")[0]
                      + "midi:\n  notes:\n    36: {toggle: mute_drums}\n")
    readback = Readback(jack, unique("heard"))
    process = play(str(preset), "--duration", "10", "--midi", unique("pads"), "--midi-out", unique("heard"),
                   env={"MIDO_BACKEND": f"{jack.name}/{jack.api}"})
    try:
        assert readback.wait_for(lambda messages: any(m.channel == DRUMS for m in note_ons(messages)))
        with jack.open_output(f"livemusic:{unique('pads')}") as pads:
            hit = len(readback.messages)
            pads.send(mido.Message("note_on", note=36, velocity=100))
        finish(process)
        assert readback.wait_for(none_sounding, timeout=5), sounding(readback.messages)
    finally:
        process.kill()
        process.wait()
        readback.close()
    after = note_ons(readback.messages[hit:])
    last_drum = max((i for i, m in enumerate(after) if m.channel == DRUMS), default=-1)
    # what was already generated still plays; then the bass and the band go on without drums
    assert len(after[last_drum + 1:]) >= 20 and all(m.channel != DRUMS for m in after[last_drum + 1:])
