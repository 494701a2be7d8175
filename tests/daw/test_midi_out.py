"""Live MIDI out: notes leave when their audio is heard.

Virtual MIDI ports need the system's MIDI service (the ALSA sequencer on
Linux), which this test machine lacks (no /dev/snd/seq): the port is a
stand-in with mido's ``send``; the timing against the audible clock is real.
"""

from __future__ import annotations

import asyncio
import itertools

import mido

from livemusic import AsyncLiveMusic
from livemusic.music.midi import TICKS_PER_BEAT, midi_file
from livemusic.music.midi_out import MidiOut, NoteQueue, SteppedClock
from livemusic.music.tempo import TempoMap
from livemusic.types import LiveMusicNote

SR = 48_000


class Port:
    """A MIDI output stand-in: what was sent, with the stream time heard at that moment."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.sent: list[tuple[float, mido.Message]] = []

    def send(self, message: mido.Message) -> None:
        self.sent.append((self.clock(), message))


def note(frame: int, part: str = "bass", pitch: int = 40, length: int = 4_800) -> LiveMusicNote:
    return LiveMusicNote(frame=frame, part=part, instrument="bass" if part != "drums" else "kick", pitch=pitch,
                         velocity=0.5, length=length)


def test_a_queued_note_is_released_once_the_clock_reaches_its_frame():
    queue = NoteQueue()
    queue.add([note(1_000)])
    assert queue.due(999) == []
    [on] = queue.due(1_000)
    assert (on.type, on.channel, on.note) == ("note_on", 0, 40)
    [off] = queue.due(5_800)
    assert off.type == "note_off"


def test_a_repeated_note_is_switched_off_before_it_sounds_again():
    queue = NoteQueue()
    queue.add([note(0, length=100), note(100)])
    assert [m.type for m in queue.due(200)] == ["note_on", "note_off", "note_on"]


def test_a_note_sounding_again_before_it_ends_is_switched_off_once_when_the_later_one_ends():
    # A chord's common tone held over into the next chord: two note-offs for one note-on hung the note
    queue = NoteQueue()
    queue.add([note(0, length=1_000), note(500, length=1_000)])
    sent = [(m.type, m.note) for m in queue.due(1_000)]
    assert sent == [("note_on", 40), ("note_off", 40), ("note_on", 40)]
    assert [m.type for m in queue.due(1_500)] == ["note_off"] and queue.release_all() == []


def test_drums_go_to_channel_10_as_general_midi_notes():
    queue = NoteQueue()
    queue.add([note(0, part="drums", pitch=0)])
    [on] = queue.due(0)
    assert (on.channel, on.note) == (9, 36)


def test_stopping_switches_off_what_sounds_and_drops_what_is_queued():
    queue = NoteQueue()
    queue.add([note(0), note(10_000)])
    queue.due(0)
    offs = queue.release_all()
    assert [(m.type, m.note) for m in offs] == [("note_off", 40)]
    assert queue.due(100_000) == []


def test_a_stepped_clock_runs_on_smoothly_between_its_steps_and_never_ahead():
    now = [0.0]
    steps = [0.0]
    clock = SteppedClock(lambda: steps[0], wall=lambda: now[0])
    seen = []
    for tick in range(1, 200):  # a 21 ms device buffer, looked at every millisecond
        now[0] = tick / 1000
        steps[0] = (tick // 21) * 0.021
        seen.append(clock())
    assert all(b >= a for a, b in zip(seen, seen[1:]))
    assert all(value <= (tick // 21) * 0.021 + 1e-12 for tick, value in enumerate(seen, 1))
    assert max(abs(value - (tick / 1000 - 0.021)) for tick, value in enumerate(seen[42:], 43)) < 0.0015


async def test_midi_out_sends_each_message_when_the_clock_passes_it():
    heard = 0.0
    port = Port(lambda: heard)
    midi = MidiOut(port, lambda: heard)
    async with midi:
        midi.add([note(SR // 10), note(SR // 5, pitch=43)])
        for step in range(1, 40):
            heard = step / 100  # the audible clock advances 10 ms at a time
            await asyncio.sleep(0.005)
    note_ons = [(at, m.note) for at, m in port.sent if m.type == "note_on"]
    assert note_ons == [(0.1, 40), (0.2, 43)]
    assert {m.type for _, m in port.sent[:4]} == {"program_change"}  # each part's instrument first


async def test_notes_of_a_session_reach_the_port_after_their_audio_arrives(server):
    """The engine's notes over the notes extension, timed by the session's clock (no device: what arrived)."""
    async with AsyncLiveMusic(url=server.url).connect(notes=True) as session:
        port = Port(lambda: session.audible_position)
        midi = MidiOut(port, lambda: session.audible_position)
        session.on_notes(midi.add)
        async with midi:
            await session.set_weighted_prompts({"techno": 1.0})
            await session.set_music_generation_config({"bpm": 120, "seed": 3})
            await session.play()
            async for _ in session.audio():
                if session.generated_position > 2.0:
                    break
    ons = [(at, m) for at, m in port.sent if m.type == "note_on"]
    assert len(ons) > 10 and any(m.channel == 9 and m.note == 36 for _, m in ons)  # kicks among them
    assert [at for at, _ in ons] == sorted(at for at, _ in ons)


def test_an_exported_file_switches_a_note_sounding_again_off_once_when_the_later_one_ends():
    # The .mid beside a render had the same two note-ons then two note-offs: a DAW ends both at the first
    song = midi_file([note(0, length=24_000), note(12_000, length=24_000)], TempoMap(120))
    [bass] = [track for track in song.tracks if any(m.type == "note_on" for m in track)]
    notes = [(m.type, m.note) for m in bass if m.type in ("note_on", "note_off")]
    assert notes == [("note_on", 40), ("note_off", 40), ("note_on", 40), ("note_off", 40)]
    ends = [tick for tick, m in zip(itertools.accumulate(m.time for m in bass), bass) if m.type == "note_off"]
    assert ends == [TICKS_PER_BEAT // 2, TICKS_PER_BEAT * 3 // 2]  # the restart at 0.25 s, the later end at 0.75 s
