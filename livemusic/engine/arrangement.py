"""Arrangement: the sections a style moves through on its own, at phrase boundaries.

Without a timeline a band does not loop one groove: it plays an intro, settles into
the main groove, strips down for a breakdown, builds up (a snare roll and a noise
riser) and drops back in. An :class:`Arranger` picks the next :class:`Section` each
time one ends, from the style (energetic styles with drums build and drop; calmer
ones alternate a main part with a bridge and a quiet breakdown; styles without
drums swell and thin out) and the controls (high density favours the full
sections, low density the sparse ones; temperature varies the lengths).

A section scales the parts (how many hits and notes each plays, and how loud) and
sets the density; its ``level_db`` is the loudness it should have relative to the
program. The master bus learns the program loudness only in ``anchor`` sections
(main, drop), so a breakdown stays quieter than a drop instead of being
normalized back up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from livemusic.engine.dsp import F32, fade_out
from livemusic.engine.filters import colored_noise


@dataclass(frozen=True)
class Section:
    """One part of the arrangement: how each part plays in it, and how loud it is."""

    name: str
    level_db: float          # loudness relative to the program (at its end, for a build)
    drums: float = 1.0       # drum level
    backbone: float = 1.0    # kick and snare: share of their hits kept
    hats: float = 1.0        # hats, shakers, ride: share of their hits kept
    bass: float = 1.0
    harm: float = 1.0
    lead: float = 1.0
    density: float = 0.0     # added to the density control
    anchor: bool = False     # the program's reference loudness is learned here
    build: bool = False      # a snare roll, a riser and a rising level into the next section
    start_db: float | None = None  # a build's level at its start
    final: bool = False      # the closing chord: struck on the downbeat, left to ring out

    def level_at(self, progress: float) -> float:
        """The section's level (dB) at ``progress`` (0..1) through it."""
        if self.start_db is None:
            return self.level_db
        return self.start_db + (self.level_db - self.start_db) * min(max(progress, 0.0), 1.0)


INTRO = Section("intro", -1.5)
MAIN = Section("main", 0.0, anchor=True)
DROP = Section("drop", 1.0, drums=1.1, hats=1.15, bass=1.1, density=0.2, anchor=True)
BRIDGE = Section("bridge", -1.5, drums=0.8, backbone=0.7, hats=0.6, bass=0.85, harm=1.15, lead=0.5, density=-0.1)
BREAKDOWN = Section("breakdown", -2.0, drums=0.6, backbone=0.0, hats=0.45, bass=0.6, harm=1.1, lead=1.2, density=-0.25)
BUILD = Section("build", -0.5, drums=0.9, backbone=0.6, hats=1.2, bass=0.6, harm=0.9, lead=0.7, density=0.1,
                build=True, start_db=-4.5)
OUTRO = Section("outro", -3.0, drums=0.8, backbone=0.8, hats=0.5, bass=0.8, harm=1.0, lead=0.4, density=-0.2)
#: The end: one chord (with a kick and a crash where there are drums) on the downbeat after the outro.
FINAL = Section("final", -2.0, lead=0.0, final=True)
#: Sections of styles without drums: the harmony swells and thins out.
SWELL = Section("swell", 2.5, bass=1.5, harm=1.15, lead=1.1, density=0.25, anchor=True)
SPARSE = Section("sparse", -4.0, bass=0.4, harm=0.9, lead=0.3, density=-0.3)

#: What may follow each section, with weights, per kind of style.
_NEXT = {
    "energetic": {"intro": {"main": 1.0}, "main": {"breakdown": 0.6, "build": 0.4},
                  "breakdown": {"build": 1.0}, "build": {"drop": 1.0}, "drop": {"main": 0.6, "breakdown": 0.4}},
    "band": {"intro": {"main": 1.0}, "main": {"bridge": 0.6, "breakdown": 0.4},
             "bridge": {"main": 1.0}, "breakdown": {"build": 0.5, "main": 0.5}, "build": {"drop": 1.0},
             "drop": {"main": 0.5, "bridge": 0.5}},
    "drumless": {"intro": {"main": 1.0}, "main": {"swell": 0.5, "sparse": 0.5}, "swell": {"main": 0.6, "sparse": 0.4},
                 "sparse": {"main": 0.6, "swell": 0.4}},
}
_SECTIONS = {s.name: s for s in (INTRO, MAIN, DROP, BRIDGE, BREAKDOWN, BUILD, OUTRO, SWELL, SPARSE)}
#: Bars per section (choices; the density and temperature pick among them).
_BARS = {"intro": (8, 4), "main": (16, 8), "drop": (16, 8), "bridge": (8, 8), "breakdown": (8, 4), "build": (4, 8),
         "swell": (8, 16), "sparse": (8, 8), "outro": (2, 2)}
#: Where a kind of style differs: a band's breakdown is a section of its own (8 or 16 bars; one of 4
#: read as a fill), an energetic style's stays short, as a build follows it.
_BARS_OF = {"band": {"breakdown": (16, 8)}}
#: The lengths a build may have, in bars (its riser is rendered ahead for each).
BUILD_BARS = _BARS["build"]
#: Sections the density pushes toward (high) or away from (low).
_FULL = {"main", "drop", "swell", "build"}


def style_kind(drums: float, energy: float) -> str:
    """Which family of arrangements a style follows."""
    if drums < 0.3:
        return "drumless"
    return "energetic" if energy >= 0.6 else "band"


class Arranger:
    """Chooses the sections one after another (reproducible from its random generator)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.section = INTRO
        self.bars = _BARS["intro"][0]
        self.bar = 0  # bars played of the current section
        self.ending: int | None = None  # outro bars asked for by close()
        self.steady = False  # a loop: the main section for ever, no intro, fills or section changes
        #: How often each section was chosen among others over the main groove: a band plays each way of
        #: leaving the groove (a bridge, a breakdown; a swell, a sparse passage) before one comes again.
        self.departures: dict[str, int] = {}

    def hold(self) -> None:
        """Play the main section for ever from now on (a loop that repeats: no intro, build or fill)."""
        self.steady = True
        self.restart()

    def close(self, bars: int) -> None:
        """End: an outro of ``bars`` bars from the next bar line, then the closing chord."""
        self.ending = max(int(bars), 1)

    def restart(self) -> None:
        self.ending = None
        self.departures = {}
        self.section, self.bars, self.bar = (MAIN, _BARS["main"][0], 0) if self.steady else (INTRO, _BARS["intro"][0], 0)

    @property
    def remaining(self) -> int:
        """Bars left in the current section, the current one included."""
        return self.bars - self.bar

    def advance(self, kind: str, density: float, temperature: float) -> bool:
        """Move to the next bar; returns whether a new section starts with it."""
        self.bar += 1
        if self.steady:
            self.bar %= self.bars
            return False
        if self.ending is not None and self.section not in (OUTRO, FINAL):
            self.section, self.bars, self.bar = OUTRO, self.ending, 0
            return True
        if self.bar < self.bars:
            return False
        if self.section in (OUTRO, FINAL):
            self.section, self.bars, self.bar = FINAL, 1, 0
            return True
        rng = self.rng
        follow = _NEXT[kind].get(self.section.name) or _NEXT[kind]["intro"]
        names = list(follow)
        lean = (density - 0.5) * 2.0  # -1 sparse .. 1 full
        played = {n: self.departures.get(n, 0) for n in names if n != "main"}
        least = min(played.values(), default=0)
        w = np.array([follow[n] * math.exp(lean * (1.0 if n in _FULL else -1.0)) * (played.get(n, least) == least)
                      for n in names])
        name = names[int(np.searchsorted(np.cumsum(w / w.sum()), rng.random()))]
        if name != "main" and len(names) > 1:
            self.departures[name] = played[name] + 1
        long, short = _BARS_OF.get(kind, {}).get(name) or _BARS[name]
        # Full sections last longer when dense, sparse ones when sparse; temperature mixes.
        prefer_long = (name in _FULL) == (density >= 0.5)
        # The first groove after the intro is established at full length.
        flip = rng.random() < min(0.25 + 0.2 * temperature, 0.7) and self.section is not INTRO
        self.section = _SECTIONS[name]
        self.bars = long if prefer_long != flip else short
        if temperature > 1.5:  # wild (DIVERSITY): sections come and go faster
            self.bars = min(self.bars, 8)
        self.bar = 0
        return True

    def may_follow(self, name: str, kind: str) -> bool:
        """Whether section ``name`` may come next after the current one, in a ``kind`` of style."""
        return name in (_NEXT[kind].get(self.section.name) or _NEXT[kind]["intro"])

    @property
    def progress(self) -> float:
        return self.bar / max(self.bars, 1)

    @property
    def last_bar(self) -> bool:
        """Whether this bar ends the section (a fill leads out of it); never in a held section."""
        return self.bar == self.bars - 1 and not self.steady


def render_riser(seconds: float, bright: float, sr: int) -> np.ndarray:
    """A noise riser: band-limited noise sweeping up from low mids to the highs, swelling in.

    Six noise bands, each loudest in turn, so the colour rises over the whole length.
    """
    n = max(int(seconds * sr), 64)
    t = np.linspace(0.0, 1.0, n, dtype=F32)
    top = 5000.0 + 5000.0 * bright
    centres = np.geomspace(300.0, top, 6)
    out = np.zeros(n, F32)
    for k, f0 in enumerate(centres):
        band = colored_noise(n, 101 + k, sr, ("bp", float(f0), 1.4))
        where = k / (len(centres) - 1)
        out += band * np.exp(-((t - where) ** 2) / F32(2 * 0.18 ** 2)).astype(F32)
    out *= t ** F32(2.5)
    fade_out(out, int(0.02 * sr))
    return out / F32(max(float(np.abs(out).max()), 1e-9))
