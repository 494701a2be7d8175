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

from dataclasses import replace

import numpy as np

from livemusic.engine.arrangement import FINAL, OUTRO, Arranger, Section, style_kind
from livemusic.engine.patterns import DRUMS, FAMILY_CENTRE, MAJOR, MODE_CENTRE, PROGRESSION_BANK, STEPS
from livemusic.engine.fields import GROOVES, KEYS, PROGRESSIONS
from livemusic.engine.parts import Parts
from livemusic.engine.plan import STEM_BASS, STEM_DRUMS, STEM_HARM, STEM_LEAD, Bar, Controls, Derived, Event, Phrase
from livemusic.engine.style import Style

__all__ = ["STEM_BASS", "STEM_DRUMS", "STEM_HARM", "STEM_LEAD", "STEPS", "Composer", "Controls", "Event"]


class Composer(Parts):
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
    loop_end: int | None = None  # a loop's end (see hold)

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

    def hold(self, end: int | None = None) -> None:
        """A loop that ends at stream frame ``end``: the steady main section from now on, with no intro,
        fill, crash or section change, its bars one phrase whose last bar leads back into its first."""
        self.arranger.hold()
        self.loop_end = end

    def reset(self, frame: int) -> None:
        """Start over: a new phrase from bar 1 at ``frame``."""
        self.bar: Bar | None = None
        self.next_bar_start = frame
        self.bar_in_phrase = 0
        self.phrase: Phrase | None = None
        self.voicing: list[int] | None = None
        self.lead_prev: int | None = None
        self.bpm = None
        self.tonic = self.auto_key = self.auto_tonic
        self.mode_tonic = 0
        self.arranger.restart()
        self.first_bar = True
        self.finished = False  # the closing chord has been struck: no bar follows
        self.phrygian = False  # the phrase's progression centres on the Phrygian degree
        self.pushed_chord = False  # a loop's first chord comes early, from its last bar (see Parts._harmony)

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
                self._d = Derived(style, ctl, self.section)
                self._d_style, self._d_ctl, self._d_sec = style, ctl, self.section
            bar = self.bar
            while bar.next_step < STEPS:
                onset = self._onset(bar, bar.next_step)
                if onset >= end:
                    return out
                self._step(bar, bar.next_step, onset, style, ctl, out)
                bar.next_step += 1
            self.next_bar_start = bar.start + bar.step_len * STEPS  # exact: bar lines do not drift by rounding
            self.bar = None

    def _in_section(self, ctl: Controls) -> Controls:
        """The controls as the current section plays them (its density added)."""
        sec = self.section
        if self._eff is None or self._eff[0] != ctl or self._eff[1] is not sec:
            eff = replace(ctl, density=min(max(ctl.density + sec.density, 0.0), 1.0)) if sec.density else ctl
            self._eff = (ctl, sec, eff)
        return self._eff[2]

    def _onset(self, bar: Bar, step: int) -> int:
        delay = 0.0
        if bar.swung_eighths:  # a shuffle: each beat's second 8th comes late (2/3 of the beat at full swing)
            late = bar.swing * 2.0 / 3.0
            pos = step % 4
            delay = late * (pos if pos <= 2 else 4 - pos) / 2.0  # the 16ths between move with it
        elif step % 2 == 1:  # 16th swing (hip hop, house): each 8th's second 16th comes late
            delay = bar.swing * 0.33
        if bar.humanize > 0.02:  # players sit a few milliseconds behind the grid, never exactly on it
            delay += bar.humanize * 0.1 * bar.vel_u[1, (step + 7) % STEPS]
        return int(round(bar.start + (step + delay) * bar.step_len))

    def _begin_bar(self, style: Style, ctl: Controls) -> None:
        rng = self.rng
        self.bpm = ctl.bpm
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
        self.tonic = ctl.tonic if ctl.tonic is not None else self.auto_key
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
        self.bar = Bar(
            index=i, start=self.next_bar_start, step_len=60.0 / ctl.bpm / 4.0 * self.sr,
            swing=float(np.clip(style["swing"], 0.0, 1.0)), swung_eighths=style.weights("g", GROOVES)["shuffle"] >= 0.35,
            humanize=float(np.clip(style["humanize"], 0.0, 1.0)), chords=chords,
            drum_u=drum_u, bass_u=bass_u, harm_u=harm_u,
            lead_u=lead_u, pitch_u=pitch_u, vel_u=rng.random((4, STEPS)),
            fill=(arr.last_bar and not arr.section.build)
            or ((i == ph.length - 1) and rng.random() < 0.35 + 0.5 * min(temp, 1.0) and not arr.steady),
            # the lead rests every other bar; in a loop, never in its last one (it plays on into the first)
            breathes=(i % 2 == 1) if self.loop_end is None else (ph.length - 1 - i) % 2 == 1,
        )
        self.bar_in_phrase += 1

    def _new_phrase(self, style: Style, ctl: Controls, temp: float, most: int, new_section: bool) -> Phrase:
        rng = self.rng
        old = self.phrase
        lengths = (4, 8, 16)
        pick = style["phrase"] * 2.0 + (rng.random() - 0.5) * min(temp, 1.5)
        length = min(lengths[int(np.clip(round(pick), 0, 2))], most)
        if self.loop_end is not None:  # a loop is one phrase (of 16 bars at most): its last bar is the phrase's
            length = int(np.clip(round((self.loop_end - self.next_bar_start) * ctl.bpm / (240.0 * self.sr)), 1, 16))
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
        self.auto_key = self._key(style, fam)  # a new prompt's key comes in with a phrase
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
        return Phrase(length, prog, per_bar, drum_u, bass_u, harm_u, lead_u, pitch_u,
                       contour - contour.mean(), lead_on, arp_shape)

    def _key(self, style: Style, family: str) -> int:
        """The major scale (its tonic's pitch class) a phrase of progression ``family`` plays in.

        A genre names the tonal centres it plays in (``keys``); the seed's number draws one, and the
        scale is the one whose mode of the family has that centre (E: G major for an Aeolian phrase,
        C major for a Phrygian one). A style without keys plays in the seed's own (:attr:`auto_tonic`).
        """
        w = np.array(list(style.weights("key", KEYS).values()))
        if np.ptp(w) < 1e-9:
            return self.auto_tonic
        w = np.cumsum(w)
        centre = min(int(np.searchsorted(w, (self.auto_tonic + 0.5) / 12.0 * w[-1])), 11)
        return (centre - MAJOR[FAMILY_CENTRE[family]]) % 12

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

