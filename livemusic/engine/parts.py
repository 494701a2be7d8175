"""How the composer plays one step of a bar: drums, bass, harmony, lead and voice, and the ending's chord.

:class:`Parts` holds the per-step playing and the harmony helpers it needs
(scale degrees, chord tones, voicing); :class:`~livemusic.engine.composer.Composer`
plans the phrases and bars it plays from.
"""

from __future__ import annotations

import math

import numpy as np

from livemusic.engine import harmony
from livemusic.engine.patterns import ACCENT, BASS_TEMPLATES, DRUM_GAIN, DRUM_INDEX, DRUM_PAN, DRUMS, MAJOR, STEPS
from livemusic.engine.plan import STEM_BASS, STEM_DRUMS, STEM_HARM, STEM_LEAD, Bar, Controls, Derived, Event, pick
from livemusic.engine.style import Style

_OHAT = DRUM_INDEX["ohat"]


class Parts:
    """The playing of each part at one step, for the :class:`~livemusic.engine.composer.Composer`."""

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

    def _chord_at(self, bar: Bar, step: int) -> int:
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

    def _last_and(self, bar: Bar, s: int) -> bool:
        """Whether this is the "and" of 4 of a loop's last bar (which leads into its first)."""
        return s == 14 and self.loop_end is not None and bar.index == self.phrase.length - 1

    def _pickup(self, bar: Bar, s: int, stem: int) -> bool:
        """Whether a part plays a pickup here: a loop's last bar leads into its first, so a part that played
        in it but fell silent before beat 4 plays on the "and" of 4 (into beat 1, where the loop starts again)."""
        return self._last_and(bar, s) and 0.0 < bar.until[stem] < 12

    # ----------------------------------------------------------------- one step

    def _step(self, bar: Bar, s: int, onset: int, style: Style, ctl: Controls, out: list[Event]) -> None:
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
            # A crash marks a new section (not every phrase), as loud as the style is energetic: a light touch
            # in bossa nova, a smash in metal.
            if s == 0 and arr.bar == 0 and d.hats > 0.2 and ctl.density > 0.15 and not arr.steady:
                out.append(Event(STEM_DRUMS, onset, "crash", vel=d.drums * DRUM_GAIN["crash"] * (0.25 + 0.75 * d.energy)))
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
        if d.bass_p is not None and not gap and (bar.bass_u[s] < d.bass_p[s] or self._pickup(bar, s, STEM_BASS)):
            self._bass(bar, s, onset, d, ctl, out, sec, chord)

        # ---- harmony, lead, voice
        if ctl.harmony and d.harm > 0.03:
            self._harmony(bar, s, onset, d, ctl, out, sec, chord)
        if ctl.harmony and ctl.lead:
            self._lead(bar, s, onset, d, ctl, out, sec, chord)

    def _closing_chord(self, onset: int, d: Derived, ctl: Controls, out: list[Event], sec: float, chord: int) -> None:
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

    def _build_up(self, bar: Bar, s: int, onset: int, d: Derived, out: list[Event]) -> None:
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
        # Held notes tie over into the next: at most a quarter of a sixteenth between them (a whole-note
        # sub bass that stopped for 5% of every bar pulsed at each bar line).
        held = (nxt - s) - min(0.05 * (nxt - s), 0.25)
        legato = sum(wt * (BASS_TEMPLATES[b][1] or held) for b, wt in w.items())
        length = min(legato, held) * sec
        root = self.pc(chord)
        lo = 28 + int(round((d.register - 0.5) * 6))
        walk_to = self.pc(self._next_chord(bar)) if w["walk"] > 0.3 and s >= 12 else None
        key = ("bass", self.tonic, root, lo, bar.bass_prev, s % 4, walk_to)
        cands, order, cdf = d.memo.get(key) or d.remember(
            key, self._bass_scores(w, root, lo, bar.bass_prev, s, walk_to), d.temp * 0.5, ctl.top_k)
        midi = int(cands[pick(order, cdf, bar.pitch_u[0, s])])
        bar.bass_prev = midi
        accent = (1.0 if s % 4 == 0 else 0.8) * (0.85 + 0.3 * bar.vel_u[1, s])
        bar.until[STEM_BASS] = s + length / sec
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
        octave_up = (s % 4 == 2) * (w["octave"] + w["ostinato"]) * 3.0
        score += np.where(cands == base + 12, 0.6 * w["acid"] + 0.4 * w["funk"] + octave_up, 0.0)
        score -= 0.08 * np.abs(cands - (prev if prev is not None else base))
        score -= np.where(cands > base + 12, 1.0, 0.0)
        if s % 4 == 0:
            score += np.where(cands == base, 1.5, 0.0)
        if walk_to is not None:  # approach the next chord's root
            near = np.abs(((cands - walk_to + 6) % 12) - 6) <= 2
            score += w["walk"] * 2.0 * np.where(near & (rel != 0), 1.0, 0.0)
        return cands, score

    def _next_chord(self, bar: Bar) -> int:
        ph = self.phrase
        i = self.bar_in_phrase  # index of the next bar (a loop's first after its last)
        if self.loop_end is not None:
            i %= ph.length
        if ph.per_bar == 0:
            return ph.progression[(i // 2) % len(ph.progression)]
        if ph.per_bar == 2:
            return ph.progression[(2 * i) % len(ph.progression)]
        return ph.progression[i % len(ph.progression)]

    @staticmethod
    def _centre(d: Derived, ctl: Controls, base: float) -> float:
        return base + (d.register - 0.5) * 12.0 + (ctl.brightness - 0.5) * 14.0

    def _harmony(self, bar, s, onset, d, ctl, out, sec, chord) -> None:
        w = d.harm_w
        level = d.harm
        dens = ctl.density
        chord_start = s == 0 or (len(bar.chords) == 2 and s == 8)
        chord_steps = (8 if len(bar.chords) == 2 else 16) if self.phrase.per_bar else 32
        p = max(d.harm_p_sharp[s], d.harm_start_p) if chord_start else d.harm_p_sharp[s]
        centre = self._centre(d, ctl, 62.0)
        strike = bar.harm_u[s] < p or (chord_start and w["pad"] > 0.25)
        comping = d.power <= 0.5 and w["pad"] <= 0.75  # not power chords, nor pads (strings, drones)
        if strike and comping and s == 0 and bar.index == 0 and self.loop_end is not None \
                and not np.any(self.phrase.harm_u[12:] < d.harm_p_sharp[12:]):  # nor onto a struck beat 4
            self.pushed_chord = True  # a loop's first chord is struck on the "and" of 4 of its last bar
            strike = False
        push = d.power <= 0.5 and (self._pickup(bar, s, STEM_HARM) or self.pushed_chord and self._last_and(bar, s))
        if push:  # the loop's first chord, pushed: held into beat 1
            chord, chord_steps = self.phrase.progression[0], 20  # rings to the end of beat 1
        pcs = self.chord_pcs(chord, d.ext)
        if strike or push:
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
            if push:  # held across the seam (into beat 1), whatever the articulation
                length = max(length, (STEPS + 2 - s) * sec * 0.97)
            before_push = self.pushed_chord and s < 14 and bar.index == self.phrase.length - 1
            if before_push:  # the chord before a pushed one ends where that comes in, and holds no voice over
                length = min(length, (14 - s) * sec)
            bar.until[STEM_HARM] = max(bar.until[STEM_HARM], s + length / sec)
            strum = (w["strum"] + 1.5 * w["rasgueado"]) * 0.012 * self.sr
            vel = level * 0.55 * (0.8 + 0.35 * bar.vel_u[2, s]) * (1.0 if chord_start else 0.8)
            order = range(len(notes)) if s % 2 == 0 or w["rasgueado"] < 0.3 else range(len(notes) - 1, -1, -1)  # up-strokes
            held = self._held_over(notes, bar, s, onset, chord_steps * sec, chord_start and w["pad"] > 0.25)
            if before_push:
                held = {m: more for m, more in held.items() if more == 0.0}
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

    def _held_over(self, notes: list[int], bar: Bar, s: int, onset: int, chord_len: float, pad: bool) -> dict[int, float]:
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
            if bar.breathes and s >= 10:
                p = p * 0.3
            if bar.lead_u[s] < p[s] or self._pickup(bar, s, STEM_LEAD):
                nxt = next((k for k in range(s + 1, STEPS) if bar.lead_u[k] < p[k]), STEPS)
                centre = self._centre(d, ctl, 72.0)
                target = centre + min(max(float(self.phrase.contour[bar.index % 16]), -7.0), 7.0)
                prev = self.lead_prev if self.lead_prev is not None else int(round(target))
                key = ("lead", self.tonic, tuple(pcs), int(centre), prev, int(round(target)), s % 4 == 0)
                cands, order, cdf = d.memo.get(key) or d.remember(
                    key, self._lead_scores(pcs, centre, prev, int(round(target)), s), temp * 0.6, ctl.top_k)
                midi = int(cands[pick(order, cdf, bar.pitch_u[1, s])])
                self.lead_prev = midi
                length = max(min(nxt - s, 4) * sec * 0.9, 0.08)
                bar.until[STEM_LEAD] = s + length / sec
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
