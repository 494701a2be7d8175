"""The generator: one session's music, rendered block by block into 48 kHz int16 PCM.

A :class:`Generator` owns a composer, voices still ringing, effect tails and the
master bus. It synthesizes in fixed internal blocks of 200 ms and hands out
exactly the frames asked for, so splitting a render into calls of any size
gives the same bytes. At most one block is generated ahead of what has been
returned: a prompt or config change shows within 200 ms of stream time.

::

    g = Generator(sample_rate=48_000)
    g.set_prompts([WeightedPrompt(text="minimal techno", weight=1.0)])
    g.set_config(LiveMusicGenerationConfig(bpm=126, scale=Scale.A_MAJOR_G_FLAT_MINOR))
    block = g.render(12_000, stems=True)   # 250 ms: block.mix, block.stems["drums"], ...
"""

from __future__ import annotations

import bisect
import itertools
import math
import secrets
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from livemusic.engine.arrangement import style_kind
from livemusic.engine.bus import Bus
from livemusic.engine.composer import STEM_DRUMS, STEPS, Composer, Controls, Event
from livemusic.engine.dsp import F32
from livemusic.engine.soundfont import sample_bank
from livemusic.engine.style import DEFAULT_STYLE, Style, mix_prompts
from livemusic.engine.voicing import StyleSettings, chord_sound, event_sounds, warm_risers
from livemusic.types import (
    LiveMusicFilteredPrompt,
    LiveMusicGenerationConfig,
    MusicGenerationMode,
    Scale,
    WeightedPrompt,
)

STEM_NAMES = ("drums", "bass", "harmony", "lead")
#: Internal block: effects and the master bus work on blocks of this length, and at
#: most one block is generated ahead of what has been returned.
BLOCK_SECONDS = 0.2
#: Smallest internal block a generator accepts (live listeners ask for small ones).
MIN_BLOCK_SECONDS = 0.02

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


@dataclass(frozen=True)
class Block:
    """Rendered audio: ``mix`` and optional ``stems``, int16 arrays shaped ``(frames, 2)``.

    ``notes`` (when asked for) are the notes whose onsets fall in this block's frames.
    """

    mix: np.ndarray
    stems: dict[str, np.ndarray] | None = None
    notes: tuple[Note, ...] | None = None


def _settle_beats(guidance: float) -> float:
    """Beats to settle on a new prompt mix: 32 (8 bars) at guidance 0 down to 1 at 6."""
    return 32.0 * (1.0 / 32.0) ** (min(max(guidance, 0.0), 6.0) / 6.0)


#: The master gain of a loop: constant, with headroom for the loudest styles (they learn -5 to -13 dB).
LOOP_GAIN_DB = -12.0
#: How much of a loop is rehearsed before it is played: the lead rider settles on it (about 1 s) and then holds.
LOOP_REHEARSAL_SECONDS = 2.0


class Generator:
    """One session's music. Not thread-safe: call it from one thread at a time."""

    def __init__(self, sample_rate: int = 48_000, *, seed: int | None = None,
                 block_seconds: float = BLOCK_SECONDS) -> None:
        """``block_seconds`` (0.02-0.2) is the internal block: an untimed change lands at the next
        block boundary, so a live listener wants it small; each block has a fixed cost, so a render
        wants it large."""
        if sample_rate % 20 or sample_rate < 8000:
            raise ValueError("sample_rate must be a multiple of 20 Hz, at least 8000")
        if not MIN_BLOCK_SECONDS <= block_seconds <= BLOCK_SECONDS:
            raise ValueError(f"block_seconds must be between {MIN_BLOCK_SECONDS} and {BLOCK_SECONDS}")
        self.sample_rate = sample_rate
        self.block = round(sample_rate * block_seconds)
        self._random_seed = seed if seed is not None else secrets.randbelow(2**31)
        self._config = LiveMusicGenerationConfig()
        self._seed = self._random_seed
        self._target: Style = DEFAULT_STYLE
        self._style: Style = DEFAULT_STYLE
        self._composer = Composer(sample_rate, self._seed)
        cap = int(12 * sample_rate) // self.block * self.block
        self._ring = np.zeros((4, 2, cap), F32)
        self._ring_pos = 0
        self._frame = 0
        self._fx_style: Style | None = None
        self._fx_cache: StyleSettings | None = None
        self._bus = Bus(sample_rate, self.block, stems=len(STEM_NAMES))
        self._bank = sample_bank(sample_rate)  # acoustic parts from a SoundFont, when there is one
        self._queue: list[tuple[np.ndarray, np.ndarray | None]] = []
        self._queue_offset = 0
        self._queued = 0
        self._stems_active = False
        self._notes: list[Note] | None = None  # played notes not yet handed out, once asked for
        self._end: int | None = None  # no note starts at or after this stream frame
        self._skip_before = 0  # no note starts before this stream frame (a resumed stream's first)
        self._reset_pending = False
        self._started = False
        #: Changes to apply at an exact stream frame: (frame, order, prompts, config, reset).
        self._scheduled: list[tuple[int, int, list[WeightedPrompt] | None, LiveMusicGenerationConfig | None, bool]] = []
        self._order = itertools.count()
        self._ctl: Controls | None = None  # the controls in effect at the end of the last block

    # ----------------------------------------------------------------- controls

    @property
    def seed(self) -> int:
        """The seed in effect: the config's, or one chosen at random at construction."""
        return self._seed

    @property
    def style(self) -> Style:
        """The style the music is currently playing (moving toward the prompts' mix)."""
        return self._style

    def set_prompts(self, prompts: list[WeightedPrompt]) -> list[LiveMusicFilteredPrompt]:
        """Steer toward the weighted mix of ``prompts``; returns the ones that were filtered.

        If every prompt is filtered, the previous style stays in effect.
        """
        style, filtered = mix_prompts(list(prompts))
        if style is not None:
            self._target = style
            if not self._started:
                self._style = style
        return filtered

    def set_config(self, config: LiveMusicGenerationConfig | dict[str, Any]) -> None:
        """Replace the whole config (unset fields go back to their defaults).

        bpm and scale changes take effect at the next bar line; a new seed restarts
        the random choices from that seed.
        """
        config = LiveMusicGenerationConfig.parse(config)
        self._config = config
        seed = config.seed if config.seed is not None else self._random_seed
        if seed != self._seed:
            self._seed = seed
            self._composer.reseed(seed)

    def reset(self) -> None:
        """RESET_CONTEXT: a hard restart of the musical context at the next block.

        The phrase starts again from bar 1, pending tempo and key apply at once, the
        style jumps to the prompts' mix and ringing notes are cut short (with a fade).
        Prompts and config are kept.
        """
        self._reset_pending = True

    def schedule(self, frame: int, *, prompts: list[WeightedPrompt] | None = None,
                 config: LiveMusicGenerationConfig | None = None, reset: bool = False) -> None:
        """Apply a change exactly at stream ``frame`` (frames counted from the first render).

        Sample-exact when it arrives before that frame is synthesized (the
        server hands timed messages over ahead); otherwise it applies at the
        next internal block, like the immediate setters. Config and reset
        land on the frame; new prompts set the target there, and the style
        moves toward it from the next block at the pace ``guidance`` sets.
        """
        bisect.insort(self._scheduled, (frame, next(self._order), prompts, config, reset), key=lambda e: e[:2])

    def end(self, frame: int) -> None:
        """Start no note at or after stream ``frame``; what rings then plays out with its effects.

        The stream goes on (in tails, then silence): a render of N bars that ends here
        holds, after frame N, exactly the tails that a seamless loop folds into its start.
        The music before it is a loop's: the steady main section (no intro, fill or
        crash) at a constant master gain and lead level (a gain that moved would step at
        the seam; the client normalizes the finished loop as a whole). The lead's level
        is set in a rehearsal of the loop's first seconds before it is played.
        """
        self._end = frame
        self._composer.hold(frame)
        self._bus.master.hold(LOOP_GAIN_DB)

    def finish(self, bars: int = 2) -> int:
        """End the music as a band does: ``bars`` bars of outro from the next bar line, moving to
        the mode's centre, then a closing chord struck on the downbeat and left to ring.

        Returns the stream frame of that downbeat (at the tempo now); no note starts after its
        bar, and the stream goes on in its tails, then silence.
        """
        return self._composer.close(bars)

    # ----------------------------------------------------------------- resuming

    def bar_line(self) -> tuple[int, int]:
        """The stream frame of the last bar line composed, and the frames per bar from there (for resuming)."""
        composer = self._composer
        if composer.bar is not None:
            return composer.bar.start, int(round(composer.bar.step_len * STEPS))
        return composer.next_bar_start, int(round(240.0 / self._controls().bpm * self.sample_rate))

    def resume_at(self, frame: int, bar_line: int, bar_frames: int) -> None:
        """Continue a stream made elsewhere at stream ``frame``, on its grid of bar lines (before any render).

        The phrase starts afresh on the last bar line ``bar_line + k * bar_frames``
        at or before ``frame``; notes that would start before ``frame`` are not played.
        """
        if self._started:
            raise RuntimeError("resume_at() must come before the first render")
        self._frame = frame
        self._skip_before = frame
        self._composer.reset(bar_line + (frame - bar_line) // max(bar_frames, 1) * bar_frames)

    # ----------------------------------------------------------------- rendering

    def render(self, frames: int, stems: bool = False, notes: bool = False) -> Block:
        """The next ``frames`` frames of the stream (any size, seamless across calls).

        With ``stems``, the drums, bass, harmony and lead parts come too, with the
        mix's gain staging (they sum to the mix before its limiter). Stems are made
        from the first call that asks for them on; audio generated before (at most one
        internal block ahead) has silent stems. With ``notes``, the notes played with
        onsets in these frames come too (likewise from the first call that asks).
        """
        if frames < 0:
            raise ValueError("frames must be >= 0")
        if stems:
            self._stems_active = True
        if notes and self._notes is None:
            self._notes = []
        if self._end is not None and not self._started and frames:
            self._rehearse()
        end = self._frame - self._queued + frames  # the stream frame after this call's audio
        while self._queued < frames:
            self._synthesize_block()
        mixes, stem_parts = [], []
        need = frames
        while need > 0:
            mix, st = self._queue[0]
            take = min(need, len(mix) - self._queue_offset)
            sl = slice(self._queue_offset, self._queue_offset + take)
            mixes.append(mix[sl])
            if stems:
                stem_parts.append(st[:, sl] if st is not None else np.zeros((4, take, 2), np.int16))
            self._queue_offset += take
            need -= take
            if self._queue_offset == len(mix):
                self._queue.pop(0)
                self._queue_offset = 0
        self._queued -= frames
        out = np.ascontiguousarray(np.concatenate(mixes) if mixes else np.zeros((0, 2), np.int16))
        stem_dict = None
        if stems:
            allst = np.concatenate(stem_parts, axis=1) if stem_parts else np.zeros((4, 0, 2), np.int16)
            stem_dict = {name: np.ascontiguousarray(allst[i]) for i, name in enumerate(STEM_NAMES)}
        played = None
        if notes:
            played = tuple(sorted((n for n in self._notes if n.frame < end), key=lambda n: n.frame))
            self._notes = [n for n in self._notes if n.frame >= end]
        return Block(out, stem_dict, played)

    # ----------------------------------------------------------------- internals

    def _rehearse(self) -> None:
        """Settle the lead rider on a loop before it plays, then hold it: the loop's lead sits at one level.

        A twin generator plays the loop's first seconds (same style, config, seed and
        timeline, so the same notes) and is dropped; only its rider is kept. Played
        from cold, the rider would still be moving during the first beat.
        """
        twin = Generator(self.sample_rate, seed=self._random_seed, block_seconds=self.block / self.sample_rate)
        twin._style = twin._target = self._style
        twin.set_config(self._config)
        twin._scheduled = list(self._scheduled)
        twin.end(self._end)
        for _ in range(math.ceil(LOOP_REHEARSAL_SECONDS * self.sample_rate / self.block)):
            twin._synthesize_block()  # block by block: no rehearsal of its own
        self._bus.rider = twin._bus.rider
        self._bus.rider.hold()

    def _controls(self) -> Controls:
        cfg = self._config
        style = self._style
        scale = cfg.scale if cfg.scale is not None else Scale.SCALE_UNSPECIFIED
        mode = cfg.effective("music_generation_mode")
        only_bd = bool(cfg.only_bass_and_drums)
        return Controls(
            bpm=float(cfg.bpm) if cfg.bpm is not None else float(round(style["bpm"])),
            tonic=scale.tonic,
            density=cfg.density if cfg.density is not None else style["density"],
            brightness=cfg.brightness if cfg.brightness is not None else style["brightness"],
            temperature=float(cfg.effective("temperature")),
            top_k=int(cfg.effective("top_k")),
            drums=not cfg.mute_drums,
            bass=not cfg.mute_bass,
            harmony=not only_bd,
            lead=not only_bd,
            diversity=1.6 if mode is MusicGenerationMode.DIVERSITY else 1.0,
            vocal=0.9 if mode is MusicGenerationMode.VOCALIZATION else 0.0,
        )

    def _synthesize_block(self) -> None:
        sr, n = self.sample_rate, self.block
        start = self._frame
        if self._reset_pending:
            self._reset_pending = False
            self._restart(start, 0)
        elif self._started:
            bpm = self._composer.bpm or self._style["bpm"]
            beats = n / sr * bpm / 60.0
            amount = 1.0 - 0.05 ** (beats / _settle_beats(float(self._config.effective("guidance"))))
            if self._style is not self._target:
                self._style = self._style.toward(self._target, amount)
                if self._style.distance(self._target) < 1e-4:
                    self._style = self._target
        self._started = True
        ctl = self._controls()
        # A build's riser, rendered ahead in the last bar of a section that a build may follow.
        arranger = self._composer.arranger
        if (ctl.drums and self._composer.bar is not None and arranger.remaining == 1
                and arranger.may_follow("build", style_kind(self._style["drums"], self._style["energy"]))):
            warm_risers(self._composer.bar.step_len * STEPS, ctl.brightness, sr)
        if self._ctl is not None:
            self._silence_muted(self._ctl, ctl, 0)
        segment = start
        while self._scheduled and self._scheduled[0][0] < start + n:
            frame, _, prompts, config, reset = self._scheduled.pop(0)
            frame = max(frame, segment)
            self._compose(segment, frame, self._style, ctl, start)
            if prompts is not None:
                self.set_prompts(prompts)
            if config is not None:
                self.set_config(config)
            if reset:
                self._restart(start, frame - start)
            new_ctl = self._controls()
            self._silence_muted(ctl, new_ctl, frame - start)
            ctl, segment = new_ctl, frame
        self._compose(segment, start + n, self._style, ctl, start)
        self._ctl = ctl

        pos = self._ring_pos
        dry = self._ring[:, :, pos:pos + n]   # (stem, ch, n), a view: effects work in place
        self._queue.append(self._bus.process(dry, self._fx(self._style), ctl, start, self._composer, self._stems_active))
        self._queued += n
        dry[...] = 0.0
        self._ring_pos = (pos + n) % self._ring.shape[2]
        self._frame += n

    def _compose(self, begin: int, end: int, style: Style, ctl: Controls, block_start: int) -> None:
        """Play every event with its onset in ``[begin, end)`` into the ring."""
        chord: list[Event] = []
        for ev in self._composer.events(begin, end, style, ctl):
            if (self._end is not None and ev.frame >= self._end) or ev.frame < self._skip_before:
                continue
            if self._notes is not None:
                self._notes.append(_note(ev, self.sample_rate, self._bus.master.latency))
            # Notes of one chord (same onset, length and velocity) are rendered together.
            if chord and (ev.kind != "harm" or (ev.frame, ev.dur, ev.vel) != (chord[0].frame, chord[0].dur, chord[0].vel)):
                self._play_chord(chord, style, ctl, block_start)
                chord = []
            if ev.kind == "harm":
                chord.append(ev)
            else:
                self._play(ev, style, ctl, block_start)
        if chord:
            self._play_chord(chord, style, ctl, block_start)

    def _restart(self, block_start: int, offset: int) -> None:
        """RESET_CONTEXT at ``offset`` into the current block: new phrase, target style, notes cut."""
        self._style = self._target
        self._composer.reset(block_start + offset)
        self._cut(range(len(STEM_NAMES)), offset)

    def _silence_muted(self, before: Controls, after: Controls, offset: int) -> None:
        """Cut the ringing notes of parts that a config change just muted."""
        turned_off = [i for i, (was, now) in enumerate(zip(
            (before.drums, before.bass, before.harmony, before.lead),
            (after.drums, after.bass, after.harmony, after.lead))) if was and not now]
        if turned_off:
            self._cut(turned_off, offset)

    def _cut(self, stems, offset: int) -> None:
        """Fade ``stems`` out over 10 ms from ``offset`` into the current block and drop their tails."""
        fade = int(0.01 * self.sample_rate)
        ring = self._ring
        cap = ring.shape[2]
        stems = list(stems)
        faded = (self._ring_pos + offset + np.arange(fade)) % cap  # the ring wraps around
        ring[np.ix_(stems, [0, 1], faded)] *= np.linspace(1.0, 0.0, fade, dtype=F32)
        # The rest of the ring, from after the fade round to the block's start: at most two slices
        # (a fancy-indexed assignment over the 12 s ring took 15-50 ms, longer than a live chunk).
        begin, end = (self._ring_pos + offset + fade) % cap, self._ring_pos
        for lo, hi in ((begin, end),) if begin < end else ((begin, cap), (0, end)):
            for stem in stems:
                ring[stem, :, lo:hi] = 0.0

    def _play(self, ev: Event, style: Style, ctl: Controls, block_start: int) -> None:
        sounds = event_sounds(ev, self._fx(style), ctl.brightness, self._composer, self._bus.rider.gain,
                              self.sample_rate)
        for stem, after, wave, gains in sounds:
            self._mix_in(stem, ev.frame - block_start + after, wave, gains)

    def _play_chord(self, notes: list[Event], style: Style, ctl: Controls, block_start: int) -> None:
        """A chord as one cached stereo sound (its notes panned across the field)."""
        if len(notes) == 1:
            self._play(notes[0], style, ctl, block_start)
            return
        stem, _, wave, gain = chord_sound(notes, self._fx(style), ctl.brightness, self.sample_rate)
        self._mix_in(stem, notes[0].frame - block_start, wave, gain)

    def _mix_in(self, stem: int, offset: int, wave: np.ndarray, gains: np.ndarray | np.float32) -> None:
        """Add ``wave`` times ``gains`` into ``stem`` from ``offset`` frames into the current block.

        ``wave`` is mono ``(n,)`` with ``gains`` ``(2, 1)`` (its pan), or stereo
        ``(2, n)`` with a scalar gain: one broadcast operation either way.
        """
        cap = self._ring.shape[2]
        length = min(wave.shape[-1], cap - self.block - offset)
        a = (self._ring_pos + offset) % cap
        first = min(length, cap - a)
        ring = self._ring[stem]
        ring[:, a:a + first] += gains * wave[..., :first]
        if first < length:
            ring[:, :length - first] += gains * wave[..., first:length]

    def _fx(self, style: Style) -> StyleSettings:
        if self._fx_style is not style:
            self._fx_cache = StyleSettings(style, self._bank)
            self._fx_style = style
        return self._fx_cache


def _note(ev: Event, sr: int, latency: int) -> Note:
    """The record of a played event, at the frame where it is heard (the one place notes are captured)."""
    frame = ev.frame + latency
    if ev.stem == STEM_DRUMS:
        return Note(frame, "drums", ev.kind, 0, float(ev.vel), 0)
    part = "vocal" if ev.kind == "vocal" else STEM_NAMES[ev.stem]
    return Note(frame, part, ev.kind, int(round(ev.midi)), float(ev.vel), int(ev.dur * sr))
