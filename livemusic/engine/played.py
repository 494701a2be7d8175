"""What a generator plays: the composer's events into the dry ring, and the record of them as notes."""

from __future__ import annotations

from typing import NamedTuple

from livemusic.engine.bus import Bus
from livemusic.engine.composer import STEM_DRUMS, Composer, Controls, Event
from livemusic.engine.dry import DryRing
from livemusic.engine.soundfont import sample_bank
from livemusic.engine.style import Style
from livemusic.engine.voicing import StyleSettings, chord_sound, event_sounds

STEM_NAMES = ("drums", "bass", "harmony", "lead")


class Note(NamedTuple):
    """One note or drum hit as the engine played it: what a MIDI file of the music holds.

    ``part`` is a stem name, or ``"vocal"`` for the vocalization voice (mixed into the
    lead stem); ``instrument`` is the drum (``"kick"``, ``"snare"``, ...) or the note's
    role (``"bass"``, ``"harm"``, ``"drone"``, ``"lead"``, ``"vocal"``).
    """

    frame: int         # stream frame where the onset is heard (frames counted from the first render)
    part: str
    instrument: str
    pitch: int         # MIDI note number; 0 for drums
    velocity: float    # the engine's gain for the note, about 0..1
    length: int        # frames held before the release; 0 for drums


def played(ev: Event, sr: int, latency: int) -> Note:
    """The record of a played event, at the frame where it is heard (the one place notes are captured)."""
    frame = ev.frame + latency
    if ev.stem == STEM_DRUMS:
        return Note(frame, "drums", ev.kind, 0, float(ev.vel), 0)
    part = "vocal" if ev.kind == "vocal" else STEM_NAMES[ev.stem]
    return Note(frame, part, ev.kind, int(round(ev.midi)), float(ev.vel), int(ev.dur * sr))


class Player:
    """Plays the composer's events into the dry ring (each with its style's sounds), noting them when asked."""

    def __init__(self, sample_rate: int, composer: Composer, dry: DryRing, bus: Bus) -> None:
        self.sample_rate = sample_rate
        self._composer = composer
        self._dry = dry
        self._bus = bus
        self._bank = sample_bank(sample_rate)  # acoustic parts from a SoundFont, when there is one
        self._fx_style: Style | None = None
        self._fx_cache: StyleSettings | None = None
        self.notes: list[Note] | None = None  # played notes not yet handed out, once asked for
        self.end: int | None = None  # no note starts at or after this stream frame
        #: A resumed stream's first frame: the notes that began before it (on the bar it resumes in) sound
        #: from there on, mid-note, as they would have, without being noted again.
        self.skip_before = 0

    def compose(self, begin: int, end: int, style: Style, ctl: Controls, block_start: int) -> None:
        """Play every event with its onset in ``[begin, end)`` into the ring."""
        chord: list[Event] = []
        for ev in self._composer.events(begin, end, style, ctl):
            if self.end is not None and ev.frame >= self.end:
                continue
            if self.notes is not None and ev.frame >= self.skip_before:
                self.notes.append(played(ev, self.sample_rate, self._bus.master.latency))
            # Notes of one chord (same onset, length and velocity) are rendered together.
            if chord and (ev.kind != "harm" or (ev.frame, ev.dur, ev.vel) != (chord[0].frame, chord[0].dur, chord[0].vel)):
                self._chord(chord, style, ctl, block_start)
                chord = []
            if ev.kind == "harm":
                chord.append(ev)
            else:
                self._play(ev, style, ctl, block_start)
        if chord:
            self._chord(chord, style, ctl, block_start)

    def _play(self, ev: Event, style: Style, ctl: Controls, block_start: int) -> None:
        sounds = event_sounds(ev, self.fx(style), ctl.brightness, self._composer, self.sample_rate)
        for stem, after, wave, gains in sounds:
            self._mix_in(stem, ev.frame - block_start + after, wave, gains)

    def _chord(self, notes: list[Event], style: Style, ctl: Controls, block_start: int) -> None:
        """A chord as one cached stereo sound (its notes panned across the field)."""
        if len(notes) == 1:
            self._play(notes[0], style, ctl, block_start)
            return
        stem, _, wave, gain = chord_sound(notes, self.fx(style), ctl.brightness, self.sample_rate)
        self._mix_in(stem, notes[0].frame - block_start, wave, gain)

    def _mix_in(self, stem: int, offset: int, wave, gains) -> None:
        """Mix a sound in from ``offset`` frames into the block; one that began before the block (a
        resumed stream's first) from where the block starts, if it still sounds there."""
        if offset < 0:
            wave, offset = wave[..., -offset:], 0
            if not wave.shape[-1]:
                return
        self._dry.mix_in(stem, offset, wave, gains)

    def fx(self, style: Style) -> StyleSettings:
        if self._fx_style is not style:
            self._fx_cache = StyleSettings(style, self._bank)
            self._fx_style = style
        return self._fx_cache
