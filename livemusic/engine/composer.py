"""The composer: turns a style and the controls into timed note and drum events.

Music is planned on a 16-step grid per 4/4 bar, in phrases of 4, 8 or 16 bars.
At each phrase start the composer draws a chord progression and matrices of
random numbers (one per part and step); each bar reuses them with a fraction
re-drawn (more with higher temperature), so parts repeat like a band's
patterns and still vary. Whether a step sounds is decided only when the
generator reaches it, from those numbers and the style *at that moment*, so a
prompt or control change is heard within one internal block. Tempo and key
changes apply at the next bar line. Phrases start and end with the sections of
the arrangement (:mod:`arrangement`), which scale the parts; the patterns drawn on
live in :mod:`patterns`.

Everything stays in the 7 pitch classes of the configured scale: chords are
stacked diatonic thirds (or power chords), bass and melodies pick scale tones,
modes are a choice of centre among them, and drums are tuned to the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from livemusic.engine.arrangement import FINAL, MAIN, OUTRO, Arranger, Section, style_kind
from livemusic.engine.patterns import (
    ACCENT, BACKBONE, BASS_TEMPLATES, DRUM_GAIN, DRUM_INDEX, DRUM_PAN, DRUMS, EXTRA_HITS, GROOVE_TEMPLATES,
    HARM_TEMPLATES, HATS, MAJOR, MODE_CENTRE, PERC, PROGRESSION_BANK, STEPS,
)
from livemusic.engine import harmony
from livemusic.engine.fields import BASS_PATTERNS, GROOVES, HARM_PATTERNS, PROGRESSIONS
from livemusic.engine.style import Style

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
class _Phrase:
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


@dataclass
class _Bar:
    index: int                 # bar number in the phrase
    start: int                 # first frame
    step_len: float            # frames per 16th
    swing: float
    humanize: float
    chords: tuple[int, ...]    # degrees for each half (1 or 2 entries)
    drum_u: np.ndarray
    bass_u: np.ndarray
    harm_u: np.ndarray
    lead_u: np.ndarray
    pitch_u: np.ndarray
    vel_u: np.ndarray
    fill: bool
    next_step: int = 0
    bass_prev: int | None = None
    extra: list = field(default_factory=list)


def _sharpen(p: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature 0 makes likely hits certain and unlikely ones vanish; high flattens."""
    s = 1.0 / max(temperature / 1.1, 0.06)
    return np.clip(0.5 + (p - 0.5) * s, 0.0, 1.0)


def _dens(p: np.ndarray, extra: np.ndarray, density: float) -> np.ndarray:
    """Density 0 keeps only the core hits, 0.5 the template, 1 adds the extra ones."""
    if density < 0.5:
        core = p >= 0.95
        return np.where(core, p, p * (density * 2.0) ** 1.5)
    return np.clip(p + (1.0 - p) * extra * (density - 0.5) * 2.0, 0.0, 1.0)


_OHAT = DRUM_INDEX["ohat"]


_LEAD_TEMPLATE = np.array([1.0, 0.25, 0.55, 0.25, 0.8, 0.25, 0.55, 0.3, 0.9, 0.25, 0.55, 0.25, 0.8, 0.3, 0.5, 0.35])


class _Derived:
    """Everything the composer needs from one (style, controls) pair, computed once."""

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
        self.memo: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
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
            p = _sharpen(_dens(p, extra, dens), temp)
            p[BACKBONE] *= sec.backbone
            p[HATS] = np.minimum(p[HATS] * sec.hats, 1.0)
            self.drum_p = p
        self.bass_w = style.weights("b", BASS_PATTERNS)
        self.bass_p = None
        if ctl.bass and self.bass > 0.03:
            p = sum(wt * BASS_TEMPLATES[b][0] for b, wt in self.bass_w.items() if wt > 0.01)
            extra = np.where(np.arange(STEPS) % 2 == 0, 0.5, 0.25)
            self.bass_p = _sharpen(_dens(p, extra, dens), temp)
        self.harm_w = style.weights("h", HARM_PATTERNS)
        hp = sum(wt * HARM_TEMPLATES[h][0] for h, wt in self.harm_w.items() if h != "arp" and wt > 0.01)
        self.harm_p = hp if isinstance(hp, np.ndarray) else np.zeros(STEPS)
        self.harm_start = self.harm_w["pad"] + self.harm_w["strum"] + self.harm_w["rasgueado"]
        extra = np.where(np.arange(STEPS) % 2 == 0, 0.3, 0.15)
        self.harm_p_sharp = _sharpen(_dens(self.harm_p, extra, dens), temp)
        self.harm_start_p = float(_sharpen(_dens(np.array([max(self.harm_start, 0.0)]), np.array([0.3]), dens), temp)[0])
        lengths = [(wt, HARM_TEMPLATES[h][1]) for h, wt in self.harm_w.items() if h != "arp" and wt >= 0.01]
        self.harm_lengths = lengths
        p = _LEAD_TEMPLATE * (0.15 + 0.85 * g("lead_density"))
        self.lead_p = _sharpen(_dens(p, np.full(STEPS, 0.5), dens), temp)


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
        self.memo[key] = (cands, order, cdf)
        return cands, order, cdf


def _pick(order: np.ndarray, cdf: np.ndarray, u: float) -> int:
    return int(order[min(int(np.searchsorted(cdf, u)), len(order) - 1)])


class Composer:
    """Plans bars and hands out the events that start inside a span of frames."""

    def __init__(self, sample_rate: int, seed: int) -> None:
        self.sr = sample_rate
        self.reseed(seed)
        self.reset(0)

    _d_style: Style | None = None
    _d_ctl: Controls | None = None
    _arp_key: tuple | None = None
    _arp_tones: list[int] = []

    _d_sec: Section | None = None
    _held: dict[int, int] = {}  # pad notes held over into the next chord: midi -> frame until which they sound
    _eff: tuple[Controls, Section, Controls] | None = None

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed & 0xFFFFFFFF)
        self.auto_tonic = int(self.rng.integers(12))
        # The arrangement draws from its own stream: its choices do not shift the notes'.
        rng = np.random.default_rng((seed ^ 0x5EC7) & 0xFFFFFFFF)
        if hasattr(self, "arranger"):
            self.arranger.rng = rng
        else:
            self.arranger = Arranger(rng)

    @property
    def section(self) -> Section:
        """The section of the arrangement being played."""
        return self.arranger.section

    def level_db(self) -> float:
        """The loudness (dB, relative to the program) the arrangement asks for now."""
        arr = self.arranger
        step = self.bar.next_step / STEPS if self.bar is not None else 0.0
        return arr.section.level_at((arr.bar + step) / max(arr.bars, 1))

    def hold(self) -> None:
        """A loop: the steady main section from now on, with no intro, fill, crash or section change."""
        self.arranger.hold()

    def reset(self, frame: int) -> None:
        """Start over: a new phrase from bar 1 at ``frame``."""
        self.bar: _Bar | None = None
        self.next_bar_start = frame
        self.bar_in_phrase = 0
        self.phrase: _Phrase | None = None
        self.voicing: list[int] | None = None
        self.lead_prev: int | None = None
        self.bpm = None
        self.tonic = self.auto_tonic
        self.mode_tonic = 0
        self.arranger.restart()
        self.first_bar = True
        self.finished = False  # the closing chord has been struck: no bar follows
        self.phrygian = False  # the phrase's progression centres on the Phrygian degree

    # ----------------------------------------------------------------- planning

    def events(self, start: int, end: int, style: Style, ctl: Controls) -> list[Event]:
        """Every event whose onset lies in ``[start, end)``."""
        out: list[Event] = []
        given = ctl
        while True:
            if self.bar is None:
                if self.finished or self.next_bar_start >= end:
                    return out
                self._begin_bar(style, given)
            ctl = self._in_section(given)
            if style is not self._d_style or ctl != self._d_ctl or self.section is not self._d_sec:
                self._d = _Derived(style, ctl, self.section)
                self._d_style, self._d_ctl, self._d_sec = style, ctl, self.section
            bar = self.bar
            while bar.next_step < STEPS:
                onset = self._onset(bar, bar.next_step)
                if onset >= end:
                    return out
                self._step(bar, bar.next_step, onset, style, ctl, out)
                bar.next_step += 1
            self.next_bar_start = bar.start + int(round(bar.step_len * STEPS))
            self.bar = None

    def _in_section(self, ctl: Controls) -> Controls:
        """The controls as the current section plays them (its density added)."""
        sec = self.section
        if self._eff is None or self._eff[0] != ctl or self._eff[1] is not sec:
            eff = replace(ctl, density=min(max(ctl.density + sec.density, 0.0), 1.0)) if sec.density else ctl
            self._eff = (ctl, sec, eff)
        return self._eff[2]

    def _onset(self, bar: _Bar, step: int) -> int:
        delay = 0.0
        if step % 2 == 1:
            delay = bar.swing * 0.33
        if bar.humanize > 0.02:  # players sit a few milliseconds behind the grid, never exactly on it
            delay += bar.humanize * 0.1 * bar.vel_u[1, (step + 7) % STEPS]
        return bar.start + int(round((step + delay) * bar.step_len))

    def _begin_bar(self, style: Style, ctl: Controls) -> None:
        rng = self.rng
        self.bpm = ctl.bpm
        self.tonic = ctl.tonic if ctl.tonic is not None else self.auto_tonic
        temp = ctl.temperature * ctl.diversity
        arr = self.arranger
        kind = style_kind(style["drums"], style["energy"])
        new_section = self.first_bar or arr.advance(kind, ctl.density, temp)
        if self.first_bar and temp > 1.5:
            arr.bars = 4  # wild (DIVERSITY): a short intro
        self.first_bar = False
        ending = arr.section in (OUTRO, FINAL) and self.phrase is not None
        self.finished = arr.section.final
        if not ending and (new_section or self.phrase is None or self.bar_in_phrase >= self.phrase.length):
            # Phrases start with sections and end with them at the latest.
            self.phrase = self._new_phrase(style, ctl, temp, arr.remaining, new_section)
            self.bar_in_phrase = 0
        ph = self.phrase
        i = self.bar_in_phrase
        if ph.per_bar == 0:
            chords = (ph.progression[(i // 2) % len(ph.progression)],)
        elif ph.per_bar == 2:
            chords = (ph.progression[(2 * i) % len(ph.progression)], ph.progression[(2 * i + 1) % len(ph.progression)])
        else:
            chords = (ph.progression[i % len(ph.progression)],)
        if ending:
            chords = (self._cadence(),)
        rate = float(np.clip(0.11 * temp, 0.0, 0.7))

        def vary(base: np.ndarray) -> np.ndarray:
            fresh = rng.random(base.shape)
            mask = rng.random(base.shape) < rate
            return np.where(mask, fresh, base)

        # top_k bounds how many different variants of the phrase's patterns bars choose from.
        slot = int(rng.integers(max(1, min(ctl.top_k, 1000))))
        if slot < 8 and ctl.top_k < 8:
            variant = ph.variants.get(slot)
            if variant is None:
                variant = ph.variants[slot] = (vary(ph.drum_u), vary(ph.bass_u), vary(ph.harm_u),
                                               [vary(ph.lead_u[0]), vary(ph.lead_u[1])], vary(ph.pitch_u)) if slot else \
                    (ph.drum_u, ph.bass_u, ph.harm_u, [ph.lead_u[0], ph.lead_u[1]], ph.pitch_u)
            drum_u, bass_u, harm_u, lead_u, pitch_u = variant
            lead_u = lead_u[i % 2]
        else:
            drum_u, bass_u, harm_u = vary(ph.drum_u), vary(ph.bass_u), vary(ph.harm_u)
            lead_u, pitch_u = vary(ph.lead_u[i % 2]), vary(ph.pitch_u)
        self.bar = _Bar(
            index=i, start=self.next_bar_start, step_len=60.0 / ctl.bpm / 4.0 * self.sr,
            swing=float(np.clip(style["swing"], 0.0, 1.0)), humanize=float(np.clip(style["humanize"], 0.0, 1.0)), chords=chords,
            drum_u=drum_u, bass_u=bass_u, harm_u=harm_u,
            lead_u=lead_u, pitch_u=pitch_u, vel_u=rng.random((4, STEPS)),
            fill=(arr.last_bar and not arr.section.build)
            or ((i == ph.length - 1) and rng.random() < 0.35 + 0.5 * min(temp, 1.0) and not arr.steady),
        )
        self.bar_in_phrase += 1

    def _new_phrase(self, style: Style, ctl: Controls, temp: float, most: int, new_section: bool) -> _Phrase:
        rng = self.rng
        old = self.phrase
        lengths = (4, 8, 16)
        pick = style["phrase"] * 2.0 + (rng.random() - 0.5) * min(temp, 1.5)
        length = min(lengths[int(np.clip(round(pick), 0, 2))], most)
        hr = style["harm_rhythm"]
        per_bar = 0 if hr < 0.3 else (2 if hr > 0.75 else 1)
        if self.section.harm > 1.0:  # sections led by the harmony move it every bar
            per_bar = max(per_bar, 1)
        fams = style.weights("p", PROGRESSIONS)
        names = list(fams)
        fam = names[self._choose(np.log(np.array([fams[n] for n in names]) + 1e-6), rng.random(), temp, ctl.top_k)]
        bank = PROGRESSION_BANK[fam]
        # Earlier progressions in the bank are the more idiomatic ones.
        prog = bank[self._choose(-0.5 * np.arange(len(bank)), rng.random(), temp, ctl.top_k)]
        # The mode's tonic (0 major, 5 minor, 1 dorian...) is where the progression starts.
        self.mode_tonic = MODE_CENTRE.get(fam, prog[0])
        self.phrygian = fam == "phrygian"
        # A new section mostly brings new patterns; phrases within one mostly keep them.
        keep = old is not None and rng.random() > min(0.35 * temp + 0.45 * new_section, 1.0)
        if keep:
            drum_u, bass_u, harm_u, lead_u, pitch_u = old.drum_u, old.bass_u, old.harm_u, old.lead_u, old.pitch_u
            contour, arp_shape = old.contour, old.arp_shape
        else:
            drum_u = rng.random((len(DRUMS), STEPS))
            bass_u = rng.random(STEPS)
            harm_u = rng.random(STEPS)
            lead_u = rng.random((2, STEPS))
            pitch_u = rng.random((4, STEPS))
            contour = np.cumsum(rng.normal(0, 2.5, 16))
            arp_shape = int(rng.integers(3))
        lead_on = rng.random() > 0.15 * min(temp, 2.0)  # temp already carries the DIVERSITY boost
        return _Phrase(length, prog, per_bar, drum_u, bass_u, harm_u, lead_u, pitch_u,
                       contour - contour.mean(), lead_on, arp_shape)

    def close(self, bars: int) -> int:
        """End the music: an outro of ``bars`` bars from the next bar line, then a closing chord.

        Returns the stream frame of the closing chord's downbeat (at the tempo now); no
        note starts after that chord.
        """
        self.arranger.close(bars)
        bar_frames = 240.0 / (self.bpm or 120.0) * self.sr
        first = self.bar.start + self.bar.step_len * STEPS if self.bar is not None else self.next_bar_start
        return int(round(first + max(int(bars), 1) * bar_frames))

    def _cadence(self) -> int:
        """The ending's chords: the subdominant, then the dominant (the bII in Phrygian), then the centre."""
        arr, centre = self.arranger, self.mode_tonic
        if arr.section.final:
            return centre
        if arr.bars - arr.bar == 1:  # the outro's last bar
            return centre + (1 if self.phrygian else 4)
        return centre + 3

    @staticmethod
    def _choose(scores: np.ndarray, u: float, temperature: float, top_k: int) -> int:
        """Sample an index from softmax(scores / temperature), keeping the ``top_k`` best."""
        order = np.argsort(-scores, kind="stable")
        k = max(1, min(int(top_k), len(order)))
        order = order[:k]
        if temperature < 0.02 or k == 1:
            return int(order[0])
        s = scores[order] / temperature
        p = np.exp(s - s.max())
        c = np.cumsum(p / p.sum())
        return int(order[min(int(np.searchsorted(c, u)), k - 1)])

    # ----------------------------------------------------------------- harmony helpers

    def pc(self, degree: int) -> int:
        """Pitch class of a major-scale degree (may exceed 6) in the current key."""
        return (self.tonic + MAJOR[degree % 7] + 12 * (degree // 7)) % 12

    def chord_pcs(self, degree: int, ext: float) -> list[int]:
        """Pitch classes of the chord on ``degree``: a triad, with a 7th and a 9th as ``ext`` grows."""
        return harmony.chord_pcs(self.tonic, degree, 3 + (ext > 0.35) + (ext > 0.8))

    def _chord_at(self, bar: _Bar, step: int) -> int:
        return bar.chords[0] if len(bar.chords) == 1 or step < 8 else bar.chords[1]

    def _scale_notes(self, lo: int, hi: int) -> np.ndarray:
        return harmony.scale_notes(self.tonic, lo, hi)

    def _voice(self, pcs: list[int], centre: float) -> list[int]:
        """Place chord tones near ``centre``, moving each voice as little as possible."""
        notes = []
        prev = self.voicing
        for i, pc in enumerate(pcs):
            target = prev[i] if prev is not None and i < len(prev) else centre - 5 + 4 * i
            notes.append(harmony.nearest(pc, target))
        notes = sorted(set(notes))
        spread = notes[-1] - notes[0]
        mean = sum(notes) / len(notes)
        if abs(mean - centre) > 7 or spread > 14:  # drifted: re-centre in close position
            base = harmony.nearest(pcs[0], centre - 4)
            notes = sorted({base + ((pc - pcs[0]) % 12) for pc in pcs})
        self.voicing = notes
        return notes

    # ----------------------------------------------------------------- one step

    def _step(self, bar: _Bar, s: int, onset: int, style: Style, ctl: Controls, out: list[Event]) -> None:
        d = self._d
        sec = bar.step_len / self.sr
        chord = self._chord_at(bar, s)

        arr = self.arranger
        if arr.section.final:
            if s == 0:
                self._closing_chord(onset, d, ctl, out, sec, chord)
            return

        # ---- drums
        if arr.section.build and d.drum_p is not None:
            self._build_up(bar, s, onset, d, out)
        gap = arr.section.build and arr.last_bar and s >= 12  # a breath before the drop
        if d.drum_p is not None and not gap:
            p = d.drum_p[:, s]
            if bar.fill and s >= 8 and bar.drum_u[DRUM_INDEX["snare"], s] < 0.3 + 0.5 * ctl.density:
                kind = "tom" if s < 12 and d.acoustic > 0.3 else "snare"
                out.append(Event(STEM_DRUMS, onset, kind, vel=d.drums * DRUM_GAIN[kind] * (0.5 + 0.04 * s),
                                 pan=-0.2 + 0.05 * (s - 8), var=s))
            if s == 0 and bar.index == 0 and d.hats > 0.2 and ctl.density > 0.15 and not arr.steady:
                out.append(Event(STEM_DRUMS, onset, "crash", vel=d.drums * DRUM_GAIN["crash"] * (0.5 + 0.5 * d.energy)))
            u = bar.drum_u[:, s]
            for i in np.flatnonzero(u < p):
                name = DRUMS[i]
                if name == "hat" and p[_OHAT] > u[_OHAT]:
                    continue  # an open hat replaces the closed one
                vel = d.drums * DRUM_GAIN[name] * ACCENT[s] * (0.85 + 0.3 * bar.vel_u[0, s]) * (0.6 + 0.5 * d.energy)
                if name == "snare":
                    if d.clap < 0.85:
                        out.append(Event(STEM_DRUMS, onset, "snare", vel=vel * (1.0 - 0.5 * d.clap), pan=DRUM_PAN[name], var=s % 3))
                    if d.clap > 0.15:
                        out.append(Event(STEM_DRUMS, onset, "clap", vel=vel * d.clap, pan=0.0, var=s % 3))
                    continue
                out.append(Event(STEM_DRUMS, onset, name, vel=vel, pan=DRUM_PAN[name], var=(s + i) % 4))
                if d.glitch > 0.3 and name in ("hat", "snare", "perc") and bar.vel_u[3, s] < d.glitch * 0.25:
                    for r in range(1, 4):  # ratchet: a burst of 32nds
                        out.append(Event(STEM_DRUMS, onset + int(r * bar.step_len / 2), name, vel=vel * (0.8 - 0.15 * r),
                                         pan=DRUM_PAN[name], var=r))

        # ---- bass
        if d.bass_p is not None and not gap and bar.bass_u[s] < d.bass_p[s]:
            self._bass(bar, s, onset, d, ctl, out, sec, chord)

        # ---- harmony, lead, voice
        if ctl.harmony and d.harm > 0.03:
            self._harmony(bar, s, onset, d, ctl, out, sec, chord)
        if ctl.harmony and ctl.lead:
            self._lead(bar, s, onset, d, ctl, out, sec, chord)

    def _closing_chord(self, onset: int, d: _Derived, ctl: Controls, out: list[Event], sec: float, chord: int) -> None:
        """The last chord, on the downbeat after the outro: struck together (a kick and a crash under it
        where there are drums) and left to ring for a bar."""
        ring = STEPS * sec
        if d.drum_p is not None:
            out.append(Event(STEM_DRUMS, onset, "kick", vel=d.drums * DRUM_GAIN["kick"] * 1.1, pan=DRUM_PAN["kick"]))
            out.append(Event(STEM_DRUMS, onset, "crash", vel=d.drums * DRUM_GAIN["crash"] * (0.6 + 0.5 * d.energy)))
        if ctl.bass and d.bass > 0.03:
            root = harmony.nearest(self.pc(chord), 28 + int(round((d.register - 0.5) * 6)) + 6)
            out.append(Event(STEM_BASS, onset, "bass", midi=root, dur=ring, vel=0.6 * d.bass, pan=0.0))
        if ctl.harmony and d.harm > 0.03:
            notes = self._voice(self.chord_pcs(chord, d.ext), self._centre(d, ctl, 62.0))
            for i, m in enumerate(notes):
                pan = (i / max(len(notes) - 1, 1) - 0.5) * 0.8 * d.width
                out.append(Event(STEM_HARM, onset, "harm", midi=m, dur=ring, vel=d.harm * 0.6, pan=pan, var=i))

    def _build_up(self, bar: _Bar, s: int, onset: int, d: _Derived, out: list[Event]) -> None:
        """A build: a riser over the whole section and a snare roll that speeds up (4ths, 8ths, 16ths)."""
        arr = self.arranger
        if arr.bar == 0 and s == 0:
            seconds = arr.bars * STEPS * bar.step_len / self.sr
            out.append(Event(STEM_DRUMS, onset, "riser", dur=seconds, vel=0.22 * d.drums * (0.6 + 0.6 * d.energy)))
        progress = (arr.bar + s / STEPS) / arr.bars
        stride = 4 if progress < 0.5 else (2 if progress < 0.75 else 1)
        if s % stride == 0:
            vel = d.drums * DRUM_GAIN["snare"] * (0.35 + 0.55 * progress)
            out.append(Event(STEM_DRUMS, onset, "snare", vel=vel, pan=DRUM_PAN["snare"], var=s % 3))

    def _bass(self, bar, s, onset, d, ctl, out, sec, chord) -> None:
        w = d.bass_w
        nxt = next((k for k in range(s + 1, STEPS) if bar.bass_u[k] < d.bass_p[k]), STEPS)
        legato = sum(wt * (BASS_TEMPLATES[b][1] or (nxt - s) * 0.95) for b, wt in w.items())
        length = min(legato, (nxt - s) * 0.95) * sec
        root = self.pc(chord)
        lo = 28 + int(round((d.register - 0.5) * 6))
        walk_to = self.pc(self._next_chord(bar)) if w["walk"] > 0.3 and s >= 12 else None
        key = ("bass", self.tonic, root, lo, bar.bass_prev, s % 4, walk_to)
        cands, order, cdf = d.memo.get(key) or d.remember(
            key, self._bass_scores(w, root, lo, bar.bass_prev, s, walk_to), d.temp * 0.5, ctl.top_k)
        midi = int(cands[_pick(order, cdf, bar.pitch_u[0, s])])
        bar.bass_prev = midi
        accent = (1.0 if s % 4 == 0 else 0.8) * (0.85 + 0.3 * bar.vel_u[1, s])
        out.append(Event(STEM_BASS, onset, "bass", midi=midi, dur=max(length, 0.05), vel=0.55 * d.bass * accent, pan=0.0))

    def _bass_scores(self, w, root, lo, prev, s, walk_to) -> tuple[np.ndarray, np.ndarray]:
        """Candidate bass notes and how well each fits (root first, then fifth, octave...)."""
        cands = self._scale_notes(lo, lo + 19)
        rel = (cands - root) % 12
        score = np.where(rel == 0, 2.0, 0.0)
        score += np.where(rel == 7, 0.7 + 0.6 * w["funk"] + 0.4 * w["walk"], 0.0)
        score += np.where((rel == 3) | (rel == 4), 0.5 * w["walk"] + 0.3 * w["funk"], 0.0)
        score += np.where((rel == 10) | (rel == 11), 0.4 * w["acid"] + 0.3 * w["funk"], 0.0)
        base = min(cands[rel == 0], key=lambda m: abs(m - (lo + 7)))
        octave_up = (s % 4 == 2) * w["octave"] * 3.0
        score += np.where(cands == base + 12, 0.6 * w["acid"] + 0.4 * w["funk"] + octave_up, 0.0)
        score -= 0.08 * np.abs(cands - (prev if prev is not None else base))
        score -= np.where(cands > base + 12, 1.0, 0.0)
        if s % 4 == 0:
            score += np.where(cands == base, 1.5, 0.0)
        if walk_to is not None:  # approach the next chord's root
            near = np.abs(((cands - walk_to + 6) % 12) - 6) <= 2
            score += w["walk"] * 2.0 * np.where(near & (rel != 0), 1.0, 0.0)
        return cands, score

    def _next_chord(self, bar: _Bar) -> int:
        ph = self.phrase
        i = self.bar_in_phrase  # index of the next bar
        if ph.per_bar == 0:
            return ph.progression[(i // 2) % len(ph.progression)]
        if ph.per_bar == 2:
            return ph.progression[(2 * i) % len(ph.progression)]
        return ph.progression[i % len(ph.progression)]

    @staticmethod
    def _centre(d: _Derived, ctl: Controls, base: float) -> float:
        return base + (d.register - 0.5) * 12.0 + (ctl.brightness - 0.5) * 14.0

    def _harmony(self, bar, s, onset, d, ctl, out, sec, chord) -> None:
        w = d.harm_w
        level = d.harm
        dens = ctl.density
        chord_start = s == 0 or (len(bar.chords) == 2 and s == 8)
        chord_steps = (8 if len(bar.chords) == 2 else 16) if self.phrase.per_bar else 32
        p = max(d.harm_p_sharp[s], d.harm_start_p) if chord_start else d.harm_p_sharp[s]
        centre = self._centre(d, ctl, 62.0)
        pcs = self.chord_pcs(chord, d.ext)
        if bar.harm_u[s] < p or (chord_start and w["pad"] > 0.25):
            if d.power > 0.5:  # power chord: root, fifth and octave, low
                root = harmony.nearest(pcs[0], centre - 12)
                notes = [root, root + (self.pc(chord + 4) - pcs[0]) % 12, root + 12]
            else:
                notes = self._voice(pcs, centre)
            lengths = [(wt, art if art else (chord_steps - (s % chord_steps if chord_steps <= 16 else s)))
                       for wt, art in d.harm_lengths]
            total = sum(wt for wt, _ in lengths) or 1.0
            length = sum(wt * ln for wt, ln in lengths) / total * sec * 0.97
            if chord_start and w["pad"] > 0.25:
                length = max(length, chord_steps * sec * 0.97 * w["pad"] / max(w["pad"], 0.5))
            strum = (w["strum"] + 1.5 * w["rasgueado"]) * 0.012 * self.sr
            vel = level * 0.55 * (0.8 + 0.35 * bar.vel_u[2, s]) * (1.0 if chord_start else 0.8)
            order = range(len(notes)) if s % 2 == 0 or w["rasgueado"] < 0.3 else range(len(notes) - 1, -1, -1)  # up-strokes
            held = self._held_over(notes, bar, s, onset, chord_steps * sec, chord_start and w["pad"] > 0.25)
            for k, i in enumerate(order):
                m = notes[i]
                if m in held and held[m] == 0.0:
                    continue  # still sounding from the last chord: a held voice
                pan = (i / max(len(notes) - 1, 1) - 0.5) * 0.8 * d.width
                out.append(Event(STEM_HARM, onset + int(k * strum), "harm", midi=m, dur=max(length + held.get(m, 0.0), 0.06),
                                 vel=vel, pan=pan, var=i))
        # arpeggio voice (harmony archetype "arp" plus the style's arp amount)
        arp_w = max(w["arp"], d.arp * 0.6)
        if arp_w > 0.05:
            rate = 1 if dens > 0.35 else 2
            if s % rate == 0 and bar.harm_u[(s + 5) % STEPS] < min(1.0, arp_w * 1.6) * (0.35 + 0.65 * min(dens * 2, 1.0)):
                key = (tuple(pcs), round(centre))
                if self._arp_key != key:
                    base = self._voice(pcs, centre)
                    self._arp_tones = sorted(set(base + [m + 12 for m in base]))
                    self._arp_key = key
                tones = self._arp_tones
                shape = self.phrase.arp_shape
                idx = s // rate
                seq = tones if shape == 0 else (tones[::-1] if shape == 1 else tones + tones[-2:0:-1])
                m = seq[idx % len(seq)]
                out.append(Event(STEM_HARM, onset, "harm", midi=m, dur=sec * rate * 0.9, vel=level * 0.6 * min(1.0, 0.4 + arp_w) * (0.8 + 0.3 * bar.vel_u[2, s]),
                                 pan=0.35 * math.sin(idx * 1.3) * d.width, var=idx % 2))
        # drone: tonic and fifth held, renewed every two bars
        if d.drone > 0.2 and s == 0 and bar.index % 2 == 0:
            tonic = self.pc(self.mode_tonic)
            for k, m in enumerate((48 + tonic, 55 + tonic)):
                out.append(Event(STEM_HARM, onset, "drone", midi=m, dur=32 * sec, vel=0.22 * d.drone, pan=(-0.3, 0.3)[k]))

    def _held_over(self, notes: list[int], bar: _Bar, s: int, onset: int, chord_len: float, pad: bool) -> dict[int, float]:
        """Voice leading for sustained chords: common tones are held, not struck again.

        Returns, per note, 0.0 if it still sounds from the last chord (skip it), or the
        seconds it is held on into the next chord (its pitch class is in that one too).
        """
        if not pad:
            self._held = {}
            return {}
        out = {m: 0.0 for m in notes if self._held.get(m, -1) >= onset}
        nxt = bar.chords[1] if len(bar.chords) == 2 and s < 8 else self._next_chord(bar)
        upcoming = set(self.chord_pcs(nxt, self._d.ext))
        self._held = {}
        for m in notes:
            if m not in out and m % 12 in upcoming:
                out[m] = chord_len
                self._held[m] = onset + int(1.5 * chord_len * self.sr)
        return out

    def _lead_scores(self, pcs, centre, prev, target, s) -> tuple[np.ndarray, np.ndarray]:
        """Candidate melody notes: near the last note, toward the contour, chord tones on beats."""
        cands = self._scale_notes(int(centre) - 10, int(centre) + 10)
        score = -0.35 * np.abs(cands - prev) - 0.12 * np.abs(cands - target)
        is_ct = harmony.pc_mask(pcs)[cands % 12]
        score += np.where(is_ct, 1.2 if s % 4 == 0 else 0.4, 0.0)
        score -= np.where(np.abs(cands - prev) > 7, 1.5, 0.0)
        score -= np.where(cands == prev, 0.4, 0.0)
        return cands, score

    def _lead(self, bar, s, onset, d, ctl, out, sec, chord) -> None:
        level = d.lead
        temp = d.temp
        pcs = self.chord_pcs(chord, 0.5)
        if level > 0.03 and self.phrase.lead_on:
            p = d.lead_p
            # rest in the second half of every other bar: melodies breathe
            if bar.index % 2 == 1 and s >= 10:
                p = p * 0.3
            if bar.lead_u[s] < p[s]:
                nxt = next((k for k in range(s + 1, STEPS) if bar.lead_u[k] < p[k]), STEPS)
                centre = self._centre(d, ctl, 72.0)
                target = centre + min(max(float(self.phrase.contour[bar.index % 16]), -7.0), 7.0)
                prev = self.lead_prev if self.lead_prev is not None else int(round(target))
                key = ("lead", self.tonic, tuple(pcs), int(centre), prev, int(round(target)), s % 4 == 0)
                cands, order, cdf = d.memo.get(key) or d.remember(
                    key, self._lead_scores(pcs, centre, prev, int(round(target)), s), temp * 0.6, ctl.top_k)
                midi = int(cands[_pick(order, cdf, bar.pitch_u[1, s])])
                self.lead_prev = midi
                length = max(min(nxt - s, 4) * sec * 0.9, 0.08)
                vel = level * 0.8 * (0.8 + 0.3 * bar.vel_u[3, s]) * (1.0 if s % 4 == 0 else 0.85)
                out.append(Event(STEM_LEAD, onset, "lead", midi=midi, dur=length, vel=vel, pan=0.1 * d.width, var=s % 2))
        # a sung line: long notes on chord tones
        vocal = max(d.vocal, ctl.vocal)
        if vocal > 0.15 and s % 8 == 0 and (bar.pitch_u[3, s] < 0.85 or s == 0):
            centre = self._centre(d, ctl, 64.0)
            cands = self._scale_notes(int(centre) - 6, int(centre) + 8)
            is_ct = harmony.pc_mask(pcs)[cands % 12]
            score = np.where(is_ct, 1.5, 0.0) - 0.1 * np.abs(cands - centre)
            midi = int(cands[self._choose(score, bar.pitch_u[3, (s + 3) % STEPS], temp * 0.5, ctl.top_k)])
            out.append(Event(STEM_LEAD, onset, "vocal", midi=midi, dur=8 * sec * 0.95, vel=0.42 * vocal, pan=-0.1, var=bar.index + s // 8))
