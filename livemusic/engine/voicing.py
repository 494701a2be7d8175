"""How the composer's events become sounds: the shared sound cache, per-style sound settings, notes and chords.

A note is rendered once per pitch, timbre and class of length, velocity and
brightness, cached for every session of the process, and ended where the note
ends when it is mixed. :func:`event_sounds` and :func:`chord_sound` say what to
mix for an event; the generator mixes it into its ring of stems.
"""

from __future__ import annotations

import functools
import math
import queue
import threading
from typing import Callable

import numpy as np

from livemusic.engine.arrangement import BUILD_BARS, render_riser
from livemusic.engine.composer import STEM_DRUMS, STEM_HARM, Composer, Event
from livemusic.engine.drums import render_drum
from livemusic.engine.dsp import F32, fade_out, midi_hz
from livemusic.engine.fields import SOUND_TIMBRES
from livemusic.engine.filters import response
from livemusic.engine.master import k_weighting
from livemusic.engine.sound_cache import SoundCache, quantize
from livemusic.engine.soundfont import SampleBank
from livemusic.engine.style import Style
from livemusic.engine.synth import render_tone
from livemusic.engine.timbre import Timbre, timbre_key

#: Sounds are shared by all generators of a process (sessions repeat each other's notes too).
#: 64 M samples (256 MB) hold about two minutes of one busy style's notes, or the working
#: set of a dozen sessions; at 24 M a single drum & bass session already re-rendered.
SOUND_CACHE_SAMPLES = 64_000_000
_CACHE = SoundCache(max_samples=SOUND_CACHE_SAMPLES)
#: Risers (a build's whole section of noise, 0.3-0.8 M samples each) are cached apart from the notes,
#: in at most 8 M samples (32 MB: both build lengths at five tempos or brightnesses). In the notes'
#: cache, full after a session's second minute, each riser pushed notes out when it was rendered and
#: was itself pushed out before the next build, which rendered it again.
RISER_CACHE_SAMPLES = 8_000_000
_RISERS = SoundCache(max_samples=RISER_CACHE_SAMPLES)
_CACHE_LOCK = threading.Lock()  # guards both caches
_WARMING: set[tuple] = set()  # keys queued for the background thread or being rendered there
_WARM_QUEUE: queue.SimpleQueue = queue.SimpleQueue()
_WARMER: list[threading.Thread] = []  # the one background thread, once started

#: One sound to add into a stem: (stem, frames after the event's onset, wave, gains). ``wave`` is
#: mono ``(n,)`` with ``gains`` ``(2, 1)`` (its pan), or stereo ``(2, n)`` with a scalar gain.
Sound = tuple[int, int, np.ndarray, "np.ndarray | np.float32"]


class StyleSettings:
    """Per-style numbers used every block (looked up once per style): effect amounts, kit, sounds per role.

    With a SoundFont's ``bank``, the sounds it has a program for are played from its samples.
    """

    def __init__(self, style: Style, bank: SampleBank | None = None) -> None:
        for name in ("wobble", "phaser", "vinyl", "delay", "reverb", "lofi", "width", "pump"):
            setattr(self, name, style[name])
        self.kit = style.kit()
        # Lead-driven styles hold the lead about level with the harmony; others are left alone.
        self.lead_driven = style["lead_driven"]
        self.sounds = {}
        for role in ("bass", "harm", "lead"):
            sounds = []
            # A melody is one instrument's; bass and harmony may layer two (a sub under a bass, strings on a pad).
            for name, tb, weight in style.sounds(role, 1 if role == "lead" else 2):
                if self.lofi > 0.3:
                    tb = Timbre(**{**tb.__dict__, "vibrato": max(tb.vibrato, 0.25 * self.lofi)})
                key = timbre_key(tb)
                if bank is not None and tb.gm >= 1 and bank.has(int(tb.gm) - 1):
                    key = ("sample", bank, int(tb.gm) - 1)  # :func:`_tone` plays it from the bank
                sounds.append((name, tb, key, weight))
            self.sounds[role] = [(tb, key, round(gain * 16) / 16 or 1 / 16)
                                 for (_, tb, key, _), gain in zip(sounds, _level_gains(sounds, _REFERENCE[role]))]
        self.kits: dict[tuple[int, int], tuple] = {}  # (tonic, third) -> tuned kit


#: The note at which a role's sounds are compared (how loud each is, when a blend layers two).
_REFERENCE = {"bass": 40, "harm": 60, "lead": 72}
_LOUDNESS: dict[tuple, float] = {}


def _level_gains(sounds: list[tuple[str, Timbre, tuple, float]], midi: int) -> list[float]:
    """Gains that layer a role's sounds (name, timbre, key, weight) by their weights in loudness, not in peak level.

    Sounds are rendered to equal peaks, so at equal gains a bright pluck drowns a soft pad and
    a blend of two styles sounds like the one with the louder instrument. The part keeps the
    loudness its weighted sounds had together.
    """
    if len(sounds) < 2:
        return [w for *_, w in sounds]
    loud = [_loudness(name, key, midi) for name, _, key, _ in sounds]
    mean = sum(w * level for (*_, w), level in zip(sounds, loud))
    return [w * mean / level for (*_, w), level in zip(sounds, loud)]


def _loudness(name: str, key: tuple, midi: int) -> float:
    """The K-weighted RMS of the first half second of a loud note of sound ``name`` (its attack and body),
    played from the SoundFont if ``key`` names one (the style's modifiers left out: one measurement a sound)."""
    sample = key[0] == "sample"
    cache_key = (key if sample else name, midi)
    level = _LOUDNESS.get(cache_key)
    if level is None:
        if sample:
            _, bank, program = key
            sr = bank.sample_rate
            wave = bank.note(program, midi, 1.0, 1.0)
        else:
            sr = 24_000
            wave = render_tone(SOUND_TIMBRES[name], midi, 1.0, 1.0, 0.5, sr)
        spec = np.fft.rfft(wave[: sr // 2])
        weights = np.ones(len(spec), np.complex64)
        for sos in k_weighting(sr):
            weights *= response(sos[:3], sos[3:], 2 * (len(spec) - 1))
        level = _LOUDNESS[cache_key] = max(math.sqrt(float(np.sum(np.abs(spec * weights) ** 2))) / (sr // 2), 1e-6)
    return level


def event_sounds(ev: Event, fx: StyleSettings, brightness: float, composer: Composer, sr: int) -> list[Sound]:
    """What to mix for one event (a chord's notes go through :func:`chord_sound` instead).

    Drums are tuned to the composer's key.
    """
    if ev.kind == "riser":
        key, make = _riser(ev.dur, brightness, sr)
        return [(ev.stem, 0, _cached(key, make, cache=_RISERS), _pan_column(ev.pan) * F32(ev.vel))]
    if ev.stem == STEM_DRUMS:
        tonic = composer.pc(composer.mode_tonic)
        third = composer.pc(composer.mode_tonic + 2)
        tuned = fx.kits.get((tonic, third))
        if tuned is None:  # drums tuned to the key: kick on the tonic, toms and hand drums on the third
            k = fx.kit
            kit = k.__class__(**{**k.__dict__, "kick_hz": midi_hz(_nearest_midi(k.kick_hz, tonic)),
                                 "perc_hz": midi_hz(_nearest_midi(k.perc_hz, third)),
                                 "snare_hz": midi_hz(_nearest_midi(k.snare_hz, third))})
            tuned = fx.kits[(tonic, third)] = (kit, quantize(kit.__dict__.values(), 1 / 32))
        kit, kit_key = tuned
        bq = round(brightness * 8)
        key = ("drum", ev.kind, kit_key, bq, ev.var % 4, sr)
        wave = _cached(key, lambda: render_drum(ev.kind, kit, 1.0, bq / 8, sr, ev.var % 4))
        return [(ev.stem, 0, wave, _pan_column(ev.pan) * F32(ev.vel))]
    if ev.kind == "vocal":
        sounds = ((_VOICE, _VOICE_KEY, 1.0),)
    elif ev.kind == "drone":
        sounds = ((_DRONE, _DRONE_KEY, 1.0),)
    else:
        sounds = fx.sounds[ev.kind]
    # Two velocity layers (soft, loud) colour the sound; the exact velocity is a gain.
    vq, bq, held = _note_classes(ev, brightness, fx.lofi, sounds)
    pan = _pan_column(ev.pan)
    out: list[Sound] = []
    for tb, tkey, weight in sounds:
        var = ev.var % 4 if tb.vocal > 0.02 else 0  # the vowel
        held_part, tail = _released(_tone(tb, tkey, ev.midi, held, vq, bq, var, sr), int(ev.dur * sr), tb, sr)
        gains = pan * F32(ev.vel / vq * weight)
        out.append((ev.stem, 0, held_part, gains))
        if len(tail):
            out.append((ev.stem, len(held_part), tail, gains))
    return out


def chord_sound(notes: list[Event], fx: StyleSettings, brightness: float, sr: int) -> Sound:
    """A chord (same onset, length and velocity) as one cached stereo sound, its notes panned across the field."""
    first = notes[0]
    sounds = fx.sounds["harm"]
    vq, bq, held = _note_classes(first, brightness, fx.lofi, sounds)
    n_on = int(first.dur * sr)
    voicing = tuple((e.midi, round(e.pan, 2)) for e in notes)
    key = ("chord", tuple(k for _, k, _ in sounds), tuple(w for _, _, w in sounds), voicing, n_on, held, vq, bq, sr)

    def make() -> np.ndarray:
        # Each note held and released from its cached tone, which serves every length.
        parts = []
        for tb, tkey, weight in sounds:
            for midi, pan in voicing:
                tone = _tone(tb, tkey, midi, held, vq, bq, 0, sr, spare=True)  # the chord is what is kept
                held_part, tail = _released(tone, n_on, tb, sr)
                gains = _pan_column(pan) * F32(weight / vq)
                parts += [(held_part, gains, 0), (tail, gains, len(held_part))]
        return _stereo_sum(parts)

    return STEM_HARM, 0, _cached(key, make), F32(first.vel)


def warm_risers(bar_frames: float, brightness: float, sr: int) -> None:
    """Queue the risers of a build (4 or 8 bars of ``bar_frames``) for rendering in the background, once each.

    A riser is a whole section of filtered noise: rendered when the build starts, it held up
    that block by 90 ms on an idle machine (270 ms loaded), longer than a live client's buffer
    holds; rendered ahead, the build finds it in the cache. One thread renders them in turn, so
    a server's sessions do not all burst at once.
    """
    for bars in BUILD_BARS:
        key, make = _riser(bars * bar_frames / sr, brightness, sr)
        with _CACHE_LOCK:
            if key in _RISERS or key in _WARMING:
                continue
            _WARMING.add(key)
        _WARM_QUEUE.put((key, make))
        if not _WARMER:
            _WARMER.append(threading.Thread(target=_warm, name="livemusic-warm", daemon=True))
            _WARMER[0].start()


def _warm() -> None:
    while True:
        key, make = _WARM_QUEUE.get()
        try:
            _cached(key, make, cache=_RISERS)
        finally:
            with _CACHE_LOCK:
                _WARMING.discard(key)


def _riser(seconds: float, brightness: float, sr: int) -> tuple[tuple, Callable[[], np.ndarray]]:
    """The cache key of a riser this long and bright, and how to render it."""
    bq = round(brightness * 8)
    return ("riser", round(seconds, 2), bq, sr), lambda: render_riser(seconds, bq / 8, sr)


def clear_sound_cache() -> None:
    """Forget every cached sound, risers included (for cold-start measurements)."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _RISERS.clear()


def limit_sound_cache(max_samples: int) -> None:
    """Bound the shared sound cache at ``max_samples`` (at most ``SOUND_CACHE_SAMPLES``), oldest sounds out first.

    Risers keep their own bound, :data:`RISER_CACHE_SAMPLES`.
    """
    with _CACHE_LOCK:
        _CACHE.limit(min(max_samples, SOUND_CACHE_SAMPLES))


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


def _tone(tb: Timbre, tkey: tuple, midi: float, held: float, vq: float, bq: int, var: int, sr: int,
          spare: bool = False) -> np.ndarray:
    """The cached rendering of a note held for length class ``held``, release included.

    One rendering per pitch and length class serves every note held at most that long.
    ``spare``: see :meth:`SoundCache.get`.
    """
    if tkey[0] == "sample":  # a SoundFont's program (see StyleSettings)
        _, bank, program = tkey
        return _cached(("tone", tkey, midi, held, vq, sr), lambda: bank.note(program, midi, held, vq), spare)
    return _cached(("tone", tkey, midi, held, vq, bq, var, sr), lambda: render_tone(tb, midi, held, vq, bq / 8, sr, var),
                   spare)


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


def _nearest_midi(hz: float, pc: int) -> int:
    """The MIDI note of pitch class ``pc`` closest to ``hz``."""
    m = 69.0 + 12.0 * math.log2(max(hz, 1.0) / 440.0)
    base = int(round(m))
    return min((base + d for d in range(-6, 7) if (base + d) % 12 == pc), key=lambda x: abs(x - m))


def _cached(key: tuple, make, spare: bool = False, cache: SoundCache = _CACHE) -> np.ndarray:
    """The sound under ``key`` in ``cache``, else ``make()``'s, rendered outside the lock and cached."""
    with _CACHE_LOCK:
        hit = cache.find(key)
        if hit is not None:
            return hit
    wave = make()
    with _CACHE_LOCK:
        return cache.get(key, lambda: wave, spare)
