"""MIDI of what the engine played: notes from the stream, as a Standard MIDI File or live messages.

livemusic's server sends the notes it plays with each audio chunk (a
negotiated extension), stamped with the stream frame where each onset is
heard. This module turns them into MIDI a DAW reads:

- one track per part (drums, bass, harmony, lead, vocal), each on its own
  channel with a General MIDI program; drums on channel 10 with GM drum notes;
- a tempo track with the tempo map and 4/4, so bar 1 of the MIDI is frame 0
  of the WAV and every note lands on its frame (to a tick, about 1 ms);
- velocities from the engine's note gains.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import mido

from livemusic.music.tempo import TempoMap
from livemusic.types import SAMPLE_RATE, LiveMusicNote

TICKS_PER_BEAT = 960

#: General MIDI drum notes (channel 10) for the engine's drums.
GM_DRUMS = {"kick": 36, "rim": 37, "snare": 38, "clap": 39, "hat": 42, "tom": 45, "ohat": 46, "crash": 49,
            "ride": 51, "perc2": 62, "perc": 64, "shaker": 70}


class Part(NamedTuple):
    """Where a part goes in the MIDI file: its track name, channel (0-based) and GM program."""

    name: str
    channel: int
    program: int | None


#: Track order of the file; channel 9 is MIDI channel 10, the drums.
PARTS = {
    "drums": Part("Drums", 9, None),
    "bass": Part("Bass", 0, 33),        # Electric Bass (finger)
    "harmony": Part("Harmony", 1, 4),   # Electric Piano 1
    "lead": Part("Lead", 2, 81),        # Lead 2 (sawtooth)
    "vocal": Part("Vocal", 3, 52),      # Choir Aahs
}
#: How long a drum hit is held in the file (drums have no length of their own): a 32nd at 120 bpm.
DRUM_SECONDS = 0.0625


def velocity(gain: float) -> int:
    """A MIDI velocity (1-127) for an engine note gain (about 0..1), on a loudness-like curve."""
    return max(1, min(127, round(127 * min(1.0, max(gain, 0.0) / 0.7) ** 0.6)))


def midi_file(notes: Iterable[LiveMusicNote], tempo: TempoMap, *, frames: int | None = None,
              key: str | None = None, sample_rate: int = SAMPLE_RATE, name: str = "livemusic") -> mido.MidiFile:
    """A type-1 MIDI file of ``notes`` (stream frames at ``sample_rate``) with ``tempo``'s map.

    ``frames`` cuts notes that would sound past the end (a loop's notes end at its end);
    ``key`` (e.g. ``"Amin"``) adds a key signature.
    """
    ticks = _Ticks(tempo, sample_rate)
    conductor = [(0, mido.MetaMessage("track_name", name=name)),
                 (0, mido.MetaMessage("time_signature", numerator=4, denominator=4))]
    if key is not None:
        conductor.append((0, mido.MetaMessage("key_signature", key=_midi_key(key))))
    for seconds, bpm in tempo.changes:
        if frames is None or seconds * sample_rate < frames:
            conductor.append((ticks.of_seconds(seconds), mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))))
    end = ticks.of_frame(frames) if frames is not None else None
    song = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    song.tracks.append(_delta(conductor, end))
    by_part: dict[str, list[LiveMusicNote]] = {}
    for note in notes:
        if note.part in PARTS and (frames is None or note.frame < frames):
            by_part.setdefault(note.part, []).append(note)
    for part_name, part in PARTS.items():
        if part_name not in by_part:
            continue
        track = [(0, mido.MetaMessage("track_name", name=part.name))]
        if part.program is not None:
            track.append((0, mido.Message("program_change", channel=part.channel, program=part.program)))
        for note in by_part[part_name]:
            messages = note_messages(note, sample_rate)
            if not messages:
                continue
            (start, on), (stop, off) = messages
            first = ticks.of_frame(start)
            last = max(first + 1, ticks.of_frame(stop))
            if end is not None:
                last = min(last, end)
            if last > first:
                track += [(first, on), (last, off)]
        song.tracks.append(_delta(track, end))
    return song


def note_messages(note: LiveMusicNote, sample_rate: int = SAMPLE_RATE) -> list[tuple[int, mido.Message]]:
    """The note-on and note-off of ``note``, each with its stream frame (none for a part MIDI has not)."""
    part = PARTS.get(note.part)
    if part is None:
        return []
    drums = note.part == "drums"
    pitch = GM_DRUMS.get(note.instrument, 39) if drums else note.pitch
    if not 0 <= pitch <= 127:
        return []
    length = round(DRUM_SECONDS * sample_rate) if drums else max(note.length, 1)
    return [(note.frame, mido.Message("note_on", channel=part.channel, note=pitch, velocity=velocity(note.velocity))),
            (note.frame + length, mido.Message("note_off", channel=part.channel, note=pitch, velocity=0))]


def program_messages() -> list[mido.Message]:
    """The program changes that give each part its General MIDI instrument (sent once at the start)."""
    return [mido.Message("program_change", channel=p.channel, program=p.program)
            for p in PARTS.values() if p.program is not None]


class _Ticks:
    """Stream frames and seconds to MIDI ticks through a tempo map."""

    def __init__(self, tempo: TempoMap, sample_rate: int) -> None:
        self.tempo = tempo
        self.sample_rate = sample_rate

    def of_seconds(self, seconds: float) -> int:
        return round(self.tempo.beats_at(seconds) * TICKS_PER_BEAT)

    def of_frame(self, frame: int) -> int:
        return self.of_seconds(frame / self.sample_rate)


class Voices:
    """Which notes sound, so that a note starting again before it ends is not left hanging.

    A receiver pairs a note-off with the last note-on of its pitch: two overlapping notes of one
    pitch would end at the first one's note-off, and the second note-off would find nothing. So a
    note that sounds again is switched off and on again, and off when the last of them ends.
    """

    def __init__(self) -> None:
        self._sounding: collections.Counter[tuple[int, int]] = collections.Counter()

    def play(self, message: mido.Message) -> list[mido.Message]:
        """The messages to send for ``message`` (a note-on or note-off, in time order); others pass."""
        if message.type not in ("note_on", "note_off"):
            return [message]
        key = (message.channel, message.note)
        if message.type == "note_on":
            restart = self._sounding[key] > 0
            self._sounding[key] += 1
            if restart:
                return [mido.Message("note_off", channel=message.channel, note=message.note, velocity=0), message]
            return [message]
        if not self._sounding[key]:
            return []  # its note-on was never sent
        self._sounding[key] -= 1
        return [] if self._sounding[key] else [message]

    def release_all(self) -> list[mido.Message]:
        """Note-offs for everything sounding; afterwards nothing sounds."""
        offs = [mido.Message("note_off", channel=channel, note=note, velocity=0)
                for (channel, note), count in sorted(self._sounding.items()) if count]
        self._sounding.clear()
        return offs


def _delta(events: Sequence[tuple[int, mido.Message | mido.MetaMessage]], end: int | None) -> mido.MidiTrack:
    """A track from absolute-tick events (note-offs before note-ons at the same tick), ending at ``end``;
    overlapping notes of one pitch are played as :class:`Voices` says."""
    ordered = sorted(enumerate(events), key=lambda item: (item[1][0], item[1][1].type != "note_off", item[0]))
    voices = Voices()
    track = mido.MidiTrack()
    now = 0
    for _, (tick, event) in ordered:
        for message in voices.play(event) if isinstance(event, mido.Message) else [event]:
            track.append(message.copy(time=tick - now))
            now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, (end or now) - now)))
    return track


def _midi_key(key: str) -> str:
    """``"Amin"`` -> ``"Am"``, ``"Ebmaj"`` -> ``"Eb"`` (the key signature names mido knows)."""
    tonic, minor = key[:-3], key.endswith("min")
    if minor:
        return {"Db": "C#", "Gb": "F#"}.get(tonic, tonic) + "m"
    return tonic
