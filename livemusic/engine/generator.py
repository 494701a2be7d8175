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
import functools
import itertools
import math
import secrets
import threading
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from livemusic.engine.arrangement import render_riser
from livemusic.engine.composer import STEM_BASS, STEM_DRUMS, STEM_HARM, STEM_LEAD, STEPS, Composer, Controls, Event
from livemusic.engine.style import DEFAULT_STYLE, Style, mix_prompts
from livemusic.engine.effects import Delay, LeadRider, Master, Reverb, Widener
from livemusic.engine.synth import (
    F32,
    SoundCache,
    Timbre,
    fade_out,
    midi_hz,
    noise,
    quantize,
    render_drum,
    render_tone,
    timbre_key,
)
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

#: Sounds are shared by all generators of a process (sessions repeat each other's notes too).
#: 64 M samples (256 MB) hold about two minutes of one busy style's notes, or the working
#: set of a dozen sessions; at 24 M a single drum & bass session already re-rendered.
_CACHE = SoundCache(max_samples=64_000_000)
_CACHE_LOCK = threading.Lock()


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


@functools.lru_cache(maxsize=512)  # pans repeat: drums have fixed places, notes few
def _pan_column(pan: float) -> np.ndarray:
    """Constant-power left/right gains for ``pan`` in [-1, 1] (1.0 each at the centre).

    A read-only float32 column ``(2, 1)``: times a mono sound, it is the sound in stereo.
    """
    angle = (max(-1.0, min(1.0, pan)) + 1.0) * math.pi / 4.0
    column = np.array([[math.cos(angle)], [math.sin(angle)]], F32) * F32(math.sqrt(2.0))
    column.setflags(write=False)
    return column


def _note_classes(ev: Event, bright: float, lofi: float, sounds) -> tuple[float, int, float]:
    """The cache classes of a note: velocity layer (soft, loud), brightness step, held length.

    Notes shorter than their sounds' release share one rendering: the release is
    most of what is synthesized, and the note's own end is applied when it is mixed.
    """
    vq = 0.5 if ev.vel < 0.3 else 1.0
    bq = round(bright * (1.0 - 0.5 * lofi) * 8)
    hold = max([ev.dur] + [tb.release for tb, _, _ in sounds])
    held = next((c for c in _LENGTH_CLASSES if c >= hold), _LENGTH_CLASSES[-1])
    return vq, bq, held


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
        self._reverb = Reverb(sample_rate, self.block, stems=3, level=0.7)  # drums, harmony, lead
        self._fx_style: Style | None = None
        self._fx_cache: _Fx | None = None
        self._delays = Delay(sample_rate, self.block, lines=2)  # harmony, lead
        self._rider = LeadRider(sample_rate, self.block)
        self._pump = 0.0  # sidechain ducking depth at the end of the last block
        self._widener = Widener(sample_rate, (0.009, 0.013, 0.019), (True, False, False))  # drums, harmony, lead
        self._master = Master(sample_rate, self.block, stems=len(STEM_NAMES))
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
        """
        self._end = frame

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
        self._effects(dry, self._style, ctl, start)
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
                self._notes.append(_note(ev, self.sample_rate, self._master.latency))
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
        keep = np.zeros(cap, bool)
        keep[(self._ring_pos + np.arange(offset + fade)) % cap] = True
        ring[np.ix_(stems, [0, 1], np.flatnonzero(~keep))] = 0.0

    def _play(self, ev: Event, style: Style, ctl: Controls, block_start: int) -> None:
        sr = self.sample_rate
        bright = ctl.brightness
        fx = self._fx(style)
        if ev.kind == "riser":
            bq = round(bright * 8)
            wave = _cached(("riser", round(ev.dur, 2), bq, sr), lambda: render_riser(ev.dur, bq / 8, sr))
            gain = ev.vel
        elif ev.stem == STEM_DRUMS:
            comp = self._composer
            tonic = comp.pc(comp.mode_tonic)
            third = comp.pc(comp.mode_tonic + 2)
            tuned = fx.kits.get((tonic, third))
            if tuned is None:  # drums tuned to the key: kick on the tonic, toms and hand drums on the third
                k = fx.kit
                kit = k.__class__(**{**k.__dict__, "kick_hz": midi_hz(_nearest_midi(k.kick_hz, tonic)),
                                     "perc_hz": midi_hz(_nearest_midi(k.perc_hz, third)),
                                     "snare_hz": midi_hz(_nearest_midi(k.snare_hz, third))})
                tuned = fx.kits[(tonic, third)] = (kit, quantize(kit.__dict__.values(), 1 / 32))
            kit, kit_key = tuned
            bq = round(bright * 8)
            key = ("drum", ev.kind, kit_key, bq, ev.var % 4, sr)
            wave = _cached(key, lambda: render_drum(ev.kind, kit, 1.0, bq / 8, sr, ev.var % 4))
            gain = ev.vel
        else:
            if ev.kind == "vocal":
                sounds = ((_VOICE, _VOICE_KEY, 1.0),)
            elif ev.kind == "drone":
                sounds = ((_DRONE, _DRONE_KEY, 1.0),)
            else:
                sounds = fx.sounds[ev.kind]
            # Two velocity layers (soft, loud) colour the sound; the exact velocity is a gain.
            vq, bq, held = _note_classes(ev, bright, fx.lofi, sounds)
            pan = _pan_column(ev.pan)
            offset = ev.frame - block_start
            for tb, tkey, weight in sounds:
                var = ev.var % 4 if tb.vocal > 0.02 else 0  # the vowel
                held_part, tail = _released(_tone(tb, tkey, ev.midi, held, vq, bq, var, sr), int(ev.dur * sr), tb, sr)
                ride = self._rider.gain if ev.kind == "lead" else 1.0
                gains = pan * F32(ev.vel / vq * weight * ride)
                self._mix_in(ev.stem, offset, held_part, gains)
                if len(tail):
                    self._mix_in(ev.stem, offset + len(held_part), tail, gains)
            return
        self._mix_in(ev.stem, ev.frame - block_start, wave, _pan_column(ev.pan) * F32(gain))

    def _play_chord(self, notes: list[Event], style: Style, ctl: Controls, block_start: int) -> None:
        """A chord as one cached stereo sound (its notes panned across the field)."""
        if len(notes) == 1:
            self._play(notes[0], style, ctl, block_start)
            return
        sr = self.sample_rate
        fx = self._fx(style)
        first = notes[0]
        sounds = fx.sounds["harm"]
        vq, bq, held = _note_classes(first, ctl.brightness, fx.lofi, sounds)
        n_on = int(first.dur * sr)
        voicing = tuple((e.midi, round(e.pan, 2)) for e in notes)
        key = ("chord", tuple(k for _, k, _ in sounds), tuple(w for _, _, w in sounds), voicing, n_on, held, vq, bq, sr)

        def voiced(tb: Timbre, tkey: tuple) -> np.ndarray:
            """The chord's notes in one sound, panned and summed, before any release."""
            return _stereo_sum([(_tone(tb, tkey, midi, held, vq, bq, 0, sr), _pan_column(pan), 0) for midi, pan in voicing])

        def make() -> np.ndarray:
            # Held length and release, sound by sound: the voiced chords serve every length.
            parts = []
            for tb, tkey, weight in sounds:
                voiced_key = ("voiced", tkey, voicing, held, vq, bq, sr)
                held_part, tail = _released(_cached(voiced_key, lambda: voiced(tb, tkey)), n_on, tb, sr)
                gain = F32(weight / vq)
                parts += [(held_part, gain, 0), (tail, gain, held_part.shape[-1])]
            return _stereo_sum(parts)

        wave = _cached(key, make)
        offset = first.frame - block_start
        self._mix_in(STEM_HARM, offset, wave, F32(first.vel))

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

    def _effects(self, dry: np.ndarray, style: Style, ctl: Controls, start: int) -> None:
        """Stem colour, echoes, reverb, master bus; queues the finished int16 block."""
        sr, n = self.sample_rate, self.block
        bpm = self._composer.bpm or ctl.bpm
        beat = 60.0 / bpm * sr
        fx = self._fx(style)
        self._rider.listen(dry[STEM_LEAD], dry[STEM_HARM], fx.lead_driven)
        # Sidechain pumping follows the kick: none without drums or in a section without kick.
        pump = 0.7 * fx.pump * self._composer.section.backbone if ctl.drums and fx.pump > 0.1 else 0.0
        if pump > 0.0 or self._pump > 0.0:
            self._duck(dry, bpm, start, pump)
        if fx.wobble > 0.1 or fx.phaser > 0.1:
            # LFOs locked to the beat: the phase at the block's start in double precision
            # (it grows without bound), the steps within the block in single.
            step = bpm / 60.0 / sr  # beats per sample
            beats = start * step
            ramp = np.arange(n, dtype=F32)
            if fx.wobble > 0.1:  # tempo-synced tremolo on the bass, two cycles a beat
                depth = 0.8 * (fx.wobble - 0.1) / 0.9  # starts from 0 at the threshold: no click
                gain = np.cos(ramp * F32(4 * math.pi * step) + F32(4 * math.pi * (beats % 1.0)))
                gain *= F32(-0.5 * depth)
                gain += F32(1.0 - 0.5 * depth)  # 1 - depth * (0.5 + 0.5 * cos)
                dry[STEM_BASS] *= gain
            if fx.phaser > 0.1:  # slow swirl across the stereo field on the harmony, every 8 beats
                depth = 0.7 * (fx.phaser - 0.1) / 0.9
                swirl = np.sin(ramp * F32(math.pi / 4 * step) + F32(2 * math.pi * (beats / 8 % 1.0)))
                dry[STEM_HARM] *= 1.0 + np.array([[-depth], [depth]], F32) * swirl
        w = fx.width
        self._widener.process([dry[i] for i in _WIDENED], (_WIDTH_DRUMS * w, _WIDTH_HARM * w, _WIDTH_LEAD * w))
        if fx.vinyl > 0.1:
            dry[STEM_HARM] += noise(n, start // n) * F32(0.004 * fx.vinyl)
        if fx.delay > 0.03:  # echoes of harmony and lead, part of each stem
            echoed = slice(STEM_HARM, STEM_LEAD + 1)  # neighbours in the stem order
            level = 0.6 * fx.delay  # of the echoes
            sends = dry[echoed, 0] + dry[echoed, 1]
            sends *= np.array([[0.18 * level], [0.35 * level]], F32)
            self._delays.process(sends, int(0.75 * beat), 0.25 + 0.35 * fx.delay, out=dry[echoed])
        send_gain = [0.03 + 0.1 * fx.reverb, 0.0, 0.08 + 0.38 * fx.reverb, 0.05 + 0.3 * fx.reverb]
        wet_stems = [STEM_DRUMS, STEM_HARM, STEM_LEAD]  # the bass stays dry
        gains = [send_gain]  # the mix's reverb send: each stem at its send gain
        if self._stems_active:  # and, before it, each reverberated stem's own
            gains = [[g if s == stem else 0.0 for s, g in enumerate(send_gain)] for stem in wet_stems] + gains
        weights = np.repeat(np.array(gains, F32), 2, axis=1)  # the same for both channels
        wet = self._reverb.process(weights @ dry.reshape(8, n))
        mix = dry.sum(axis=0)
        mix += wet[-1]
        if self._stems_active:
            dry[wet_stems] += wet[:-1]
        comp = self._composer
        mix16, stems16 = self._master.process(mix, dry, self._stems_active, comp.level_db(), comp.section.anchor)
        self._queue.append((mix16, stems16))
        self._queued += n

    def _duck(self, dry: np.ndarray, bpm: float, start: int, depth: float) -> None:
        """Duck bass, harmony and (half as deep) lead on every beat, as a kick on a sidechain does.

        The gain dips within 4 ms of the beat and recovers over a quarter of it; its depth
        moves from the last block's to ``depth`` across the block, so it never steps.
        """
        sr, n = self.sample_rate, self.block
        beat_s = 60.0 / bpm
        step = 1.0 / (beat_s * sr)  # beats per sample
        phase = (np.arange(n) * step + (start * step) % 1.0) % 1.0  # float64: the phase wraps exactly
        since = (phase * beat_s).astype(F32)  # seconds since the beat
        env = np.minimum(since * F32(250.0), F32(1.0)) * np.exp(since * F32(-4.0 / beat_s))
        env *= np.linspace(self._pump, depth, n, dtype=F32)
        self._pump = depth
        gain = F32(1.0) - env
        dry[STEM_BASS] *= gain
        dry[STEM_HARM] *= gain
        gain += F32(1.0)
        gain *= F32(0.5)
        dry[STEM_LEAD] *= gain

    def _fx(self, style: Style) -> "_Fx":
        if self._fx_style is not style:
            self._fx_cache = _Fx(style)
            self._fx_style = style
        return self._fx_cache


#: The stems widened (drums, harmony, lead: the bass stays in the centre) and their side
#: levels, relative to their mid, at the style's width 1.
_WIDENED = [STEM_DRUMS, STEM_HARM, STEM_LEAD]
_WIDTH_DRUMS, _WIDTH_HARM, _WIDTH_LEAD = 1.2, 1.0, 0.5


class _Fx:
    """Per-style numbers used every block (looked up once per style)."""

    def __init__(self, style: Style) -> None:
        for name in ("wobble", "phaser", "vinyl", "delay", "reverb", "lofi", "width", "pump"):
            setattr(self, name, style[name])
        self.kit = style.kit()
        # Lead-driven styles hold the lead about level with the harmony; others are left alone.
        self.lead_driven = style["lead_driven"]
        self.sounds = {}
        for role in ("bass", "harm", "lead"):
            sounds = []
            for tb, weight in style.sounds(role):
                if self.lofi > 0.3:
                    tb = Timbre(**{**tb.__dict__, "vibrato": max(tb.vibrato, 0.25 * self.lofi)})
                sounds.append((tb, timbre_key(tb), round(weight * 16) / 16 or 1 / 16))
            self.sounds[role] = sounds
        self.kits: dict[tuple[int, int], tuple] = {}  # (tonic, third) -> tuned kit


_VOICE = Timbre(saw=0.0, vocal=1.0, vibrato=0.7, attack=0.12, decay=1.0, sustain=0.9, release=0.35, cutoff=12.0, fenv=0.0)
_DRONE = Timbre(saw=0.6, sine=0.7, detune=0.8, attack=1.2, decay=3.0, sustain=1.0, release=1.5, cutoff=2.5, fenv=0.0)
_VOICE_KEY = timbre_key(_VOICE)
_DRONE_KEY = timbre_key(_DRONE)


_LENGTH_CLASSES = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
_RELEASES: dict[tuple[float, int], np.ndarray] = {}


def _stereo_sum(parts: list[tuple[np.ndarray, np.ndarray | np.float32, int]]) -> np.ndarray:
    """Sounds ``gains * wave`` placed ``offset`` frames in, summed into one stereo sound ``(2, n)``.

    ``wave`` is mono with ``gains`` ``(2, 1)`` (a pan), or stereo with a scalar gain.
    """
    out = np.zeros((2, max(offset + wave.shape[-1] for wave, _, offset in parts)), F32)
    for wave, gains, offset in parts:
        out[:, offset:offset + wave.shape[-1]] += gains * wave
    return out


def _tone(tb: Timbre, tkey: tuple, midi: float, held: float, vq: float, bq: int, var: int, sr: int) -> np.ndarray:
    """The cached rendering of a note held for length class ``held``, release included.

    One rendering per pitch and length class serves every note held at most that long.
    """
    return _cached(("tone", tkey, midi, held, vq, bq, var, sr), lambda: render_tone(tb, midi, held, vq, bq / 8, sr, var))


def _released(base: np.ndarray, n_on: int, tb: Timbre, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """A sound ``base`` (mono or stereo) ended after ``n_on`` frames: its held part and release tail.

    The release envelope starts where the note ends; the rest of the rendering is dropped.
    """
    curve = _release_curve(max(tb.release, 0.01), sr)
    length = base.shape[-1]
    on = min(n_on, length)
    rel = min(len(curve), length - on)
    return base[..., :on], base[..., on:on + rel] * curve[:rel]


def _release_curve(release: float, sr: int) -> np.ndarray:
    key = (release, sr)
    curve = _RELEASES.get(key)
    if curve is None:
        if len(_RELEASES) > 256:
            _RELEASES.clear()
        n = max(int(release * sr), 1)
        curve = np.exp(np.arange(n, dtype=F32) * F32(-4.6 / (release * sr)))
        fade_out(curve)
        _RELEASES[key] = curve
    return curve


def _note(ev: Event, sr: int, latency: int) -> Note:
    """The record of a played event, at the frame where it is heard (the one place notes are captured)."""
    frame = ev.frame + latency
    if ev.stem == STEM_DRUMS:
        return Note(frame, "drums", ev.kind, 0, float(ev.vel), 0)
    part = "vocal" if ev.kind == "vocal" else STEM_NAMES[ev.stem]
    return Note(frame, part, ev.kind, int(round(ev.midi)), float(ev.vel), int(ev.dur * sr))


def _nearest_midi(hz: float, pc: int) -> int:
    """The MIDI note of pitch class ``pc`` closest to ``hz``."""
    m = 69.0 + 12.0 * math.log2(max(hz, 1.0) / 440.0)
    base = int(round(m))
    return min((base + d for d in range(-6, 7) if (base + d) % 12 == pc), key=lambda x: abs(x - m))


def clear_sound_cache() -> None:
    """Forget every cached sound (for cold-start measurements)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _cached(key: tuple, make) -> np.ndarray:
    with _CACHE_LOCK:
        hit = _CACHE._items.get(key)
        if hit is not None:
            _CACHE._items.move_to_end(key)
            return hit
    wave = make()
    with _CACHE_LOCK:
        return _CACHE.get(key, lambda: wave)

