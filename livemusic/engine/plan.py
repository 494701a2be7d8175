"""What the composer plans with: the controls, events, phrases and bars, and per style the parts' odds.

A :class:`Phrase` holds the random numbers drawn at its start (one per part and
step), a :class:`Bar` the variant of them it plays; :class:`Derived` turns a
style and the controls into each part's probability per step (the patterns'
templates thinned or filled by density, sharpened or flattened by temperature)
and caches the choices of pitches made from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from livemusic.engine.arrangement import MAIN, Section
from livemusic.engine.patterns import (
    BACKBONE, BASS_TEMPLATES, EXTRA_HITS, GROOVE_TEMPLATES, HARM_TEMPLATES, HATS, PERC, STEPS,
)
from livemusic.engine.fields import BASS_PATTERNS, GROOVES, HARM_PATTERNS
from livemusic.engine.style import Style
from livemusic.types import LiveMusicGenerationConfig, MusicGenerationMode, Scale

STEM_DRUMS, STEM_BASS, STEM_HARM, STEM_LEAD = range(4)


@dataclass(frozen=True)
class Controls:
    """The musical controls in effect, already resolved from config and style."""

    bpm: float
    tonic: int | None          # pitch class of the major tonic, None = composer's choice
    density: float
    brightness: float
    temperature: float
    top_k: int
    drums: bool = True
    bass: bool = True
    harmony: bool = True
    lead: bool = True
    diversity: float = 1.0     # variation multiplier (DIVERSITY mode > 1)
    vocal: float = 0.0         # extra vocal-like voice (VOCALIZATION mode)

    @classmethod
    def of(cls, config: LiveMusicGenerationConfig, style: Style) -> Controls:
        """The controls a config sets, the style choosing what it leaves unset."""
        scale = config.scale if config.scale is not None else Scale.SCALE_UNSPECIFIED
        mode = config.effective("music_generation_mode")
        only_bass_and_drums = bool(config.only_bass_and_drums)
        return cls(
            bpm=float(config.bpm) if config.bpm is not None else float(round(style["bpm"])),
            tonic=scale.tonic,
            density=config.density if config.density is not None else style["density"],
            brightness=config.brightness if config.brightness is not None else style["brightness"],
            temperature=float(config.effective("temperature")),
            top_k=int(config.effective("top_k")),
            drums=not config.mute_drums,
            bass=not config.mute_bass,
            harmony=not only_bass_and_drums,
            lead=not only_bass_and_drums,
            diversity=1.6 if mode is MusicGenerationMode.DIVERSITY else 1.0,
            vocal=0.9 if mode is MusicGenerationMode.VOCALIZATION else 0.0,
        )


class Event(NamedTuple):
    """One thing to play: a drum hit (``kind`` = drum name) or a note (``kind`` = role)."""

    stem: int
    frame: int
    kind: str
    midi: float = 0.0
    dur: float = 0.0
    vel: float = 1.0
    pan: float = 0.0
    var: int = 0


@dataclass
class Phrase:
    length: int
    progression: tuple[int, ...]
    per_bar: int               # chords per bar: 0 means one chord per 2 bars
    drum_u: np.ndarray
    bass_u: np.ndarray
    harm_u: np.ndarray
    lead_u: np.ndarray         # (2 bars, 16) onset numbers of the motif
    pitch_u: np.ndarray        # (4 rows, 16): bass, lead, harmony, vocal choices
    contour: np.ndarray        # melodic target per bar (semitones around the centre)
    lead_on: bool
    arp_shape: int
    variants: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        _freeze(self.drum_u, self.bass_u, self.harm_u, self.lead_u, self.pitch_u, self.contour)  # drawn once


@dataclass
class Bar:
    index: int                 # bar number in the phrase
    start: float               # first frame (exact: a stream frame once rounded)
    step_len: float            # frames per 16th
    swing: float
    swung_eighths: bool        # the swing delays each beat's second 8th (a shuffle), not each 8th's second 16th
    humanize: float
    chords: tuple[int, ...]    # degrees for each half (1 or 2 entries)
    drum_u: np.ndarray
    bass_u: np.ndarray
    harm_u: np.ndarray
    lead_u: np.ndarray
    pitch_u: np.ndarray
    vel_u: np.ndarray
    fill: bool
    breathes: bool = False     # the lead rests in the second half
    until: list[float] = field(default_factory=lambda: [0.0] * 4)  # per stem, the step its last note rings to
    next_step: int = 0
    bass_prev: int | None = None
    extra: list = field(default_factory=list)

    def __post_init__(self) -> None:
        _freeze(self.drum_u, self.bass_u, self.harm_u, self.lead_u, self.pitch_u, self.vel_u)  # drawn once


def at_temperature(p: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature 0 makes likely hits certain and unlikely ones vanish; high flattens."""
    s = 1.0 / max(temperature / 1.1, 0.06)
    return np.clip(0.5 + (p - 0.5) * s, 0.0, 1.0)


def at_density(p: np.ndarray, extra: np.ndarray, density: float) -> np.ndarray:
    """Density 0 keeps only the core hits, 0.5 the template, 1 adds the extra ones."""
    if density < 0.5:
        core = p >= 0.95
        return np.where(core, p, p * (density * 2.0) ** 1.5)
    return np.clip(p + (1.0 - p) * extra * (density - 0.5) * 2.0, 0.0, 1.0)



LEAD_TEMPLATE = np.array([1.0, 0.25, 0.55, 0.25, 0.8, 0.25, 0.55, 0.3, 0.9, 0.25, 0.55, 0.25, 0.8, 0.3, 0.5, 0.35])


class Derived:
    """Everything the composer needs from one (style, controls) pair, computed once.

    A value to a rewindable generator's snapshot (kept by reference, not walked into):
    nothing changes after construction but :attr:`memo`, a cache of choices that a
    block rendered again remembers the same.
    """

    SNAPSHOT_AS_VALUE = True

    def __init__(self, style: Style, ctl: Controls, sec: Section = MAIN) -> None:
        self.temp = temp = ctl.temperature * ctl.diversity
        dens = ctl.density
        g = style.__getitem__
        self.energy, self.drums, self.hats, self.glitch = g("energy"), g("drums") * sec.drums, g("hats"), g("glitch")
        self.bass, self.harm, self.lead = g("bass_level") * sec.bass, g("harm_level") * sec.harm, g("lead_level") * sec.lead
        self.clap, self.acoustic = g("kit_clap"), g("kit_acoustic")
        self.register, self.width, self.ext, self.drone = g("register"), g("width"), g("ext"), g("drone")
        self.arp, self.vocal = g("arp"), g("vocal")
        self.power, self.humanize = g("power"), g("humanize")
        self.memo: dict[tuple, Choice] = {}
        self.drum_p = None
        if ctl.drums and self.drums > 0.03:
            w = style.weights("g", GROOVES)
            p = sum(wt * GROOVE_TEMPLATES[k] for k, wt in w.items() if wt > 0.01)
            hats = min(self.hats * 1.4, 1.0)
            p[HATS] *= hats
            p[PERC] = np.maximum(p[PERC], g("perc") * GROOVE_TEMPLATES["afro"][PERC])
            extra = EXTRA_HITS.copy()
            extra[PERC] *= g("perc")
            extra[HATS] *= hats
            if dens < 0.5:
                p[HATS] *= dens * 2.0
            p = at_temperature(at_density(p, extra, dens), temp)
            p[BACKBONE] *= sec.backbone
            p[HATS] = np.minimum(p[HATS] * sec.hats, 1.0)
            self.drum_p = p
        self.bass_w = style.weights("b", BASS_PATTERNS)
        self.bass_p = None
        if ctl.bass and self.bass > 0.03:
            p = sum(wt * BASS_TEMPLATES[b][0] for b, wt in self.bass_w.items() if wt > 0.01)
            extra = np.where(np.arange(STEPS) % 2 == 0, 0.5, 0.25)
            self.bass_p = at_temperature(at_density(p, extra, dens), temp)
        self.harm_w = style.weights("h", HARM_PATTERNS)
        hp = sum(wt * HARM_TEMPLATES[h][0] for h, wt in self.harm_w.items() if h != "arp" and wt > 0.01)
        self.harm_p = hp if isinstance(hp, np.ndarray) else np.zeros(STEPS)
        self.harm_start = self.harm_w["pad"] + self.harm_w["strum"] + self.harm_w["rasgueado"]
        extra = np.where(np.arange(STEPS) % 2 == 0, 0.3, 0.15)
        self.harm_p_sharp = at_temperature(at_density(self.harm_p, extra, dens), temp)
        self.harm_start_p = float(at_temperature(at_density(np.array([max(self.harm_start, 0.0)]), np.array([0.3]), dens), temp)[0])
        lengths = [(wt, HARM_TEMPLATES[h][1]) for h, wt in self.harm_w.items() if h != "arp" and wt >= 0.01]
        self.harm_lengths = lengths
        p = LEAD_TEMPLATE * (0.15 + 0.85 * g("lead_density"))
        self.lead_p = at_temperature(at_density(p, np.full(STEPS, 0.5), dens), temp)
        _freeze(self.drum_p, self.bass_p, self.harm_p, self.harm_p_sharp, self.lead_p)


    def remember(self, key: tuple, scored: tuple[np.ndarray, np.ndarray], temperature: float, top_k: int):
        """Cache a choice: candidates, the ``top_k`` best in order, and their cumulative softmax."""
        cands, scores = scored
        order = np.argsort(-scores, kind="stable")[: max(1, min(int(top_k), len(scores)))]
        if temperature < 0.02 or len(order) == 1:
            cdf = np.ones(1)
            order = order[:1]
        else:
            z = scores[order] / temperature
            p = np.exp(z - z.max())
            cdf = np.cumsum(p / p.sum())
        if len(self.memo) > 4096:
            self.memo.clear()
        _freeze(cands, order, cdf)
        self.memo[key] = choice = Choice(cands, order, cdf)
        return choice


@dataclass(frozen=True, slots=True)
class Choice:
    """A remembered choice (:meth:`Derived.remember`): the candidates, the ``top_k`` best in order and their
    cumulative softmax, all read-only. A value: a rewindable generator's snapshot keeps it by reference
    without walking into it (a tuple it would walk). Unpacks as ``cands, order, cdf``."""

    cands: np.ndarray
    order: np.ndarray
    cdf: np.ndarray

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.cands, self.order, self.cdf))


def _freeze(*arrays: np.ndarray | None) -> None:
    """Make computed-once arrays read-only: a rewindable generator's snapshot before every block
    then keeps them by reference instead of copying them (see :mod:`livemusic.engine.rewind`)."""
    for a in arrays:
        if a is not None:
            a.flags.writeable = False


def pick(order: np.ndarray, cdf: np.ndarray, u: float) -> int:
    """The candidate a uniform number ``u`` draws from a remembered choice (``Derived.remember``)."""
    return int(order[min(int(np.searchsorted(cdf, u)), len(order) - 1)])
