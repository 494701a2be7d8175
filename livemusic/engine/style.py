"""Styles: what a set of weighted text prompts asks for, as numbers.

A :class:`Style` is a vector of named numbers: tempo, groove weights, drum kit,
bass/harmony/lead pattern weights, a weight per instrument sound for each part,
effects. Every vocabulary term (an instrument, a genre or a mood from Google's
Lyria prompt guide, plus synonyms and spellings) sets some of those numbers; a
genre is a whole style. A prompt is the average of the terms it names, and a
weighted set of prompts is, field by field, the weighted average over the
prompts that set that field ("flute" next to "bossa nova" brings a flute, not a
default drum groove). Blended as a band would: how a part plays (its patterns,
kit and sounds) comes from the prompts that play it, each as much as it plays
it; part levels add as powers and tempos as ratios. Instrument sounds are
blended as sounds (each rendered as designed, see :mod:`voicing`), not as
hybrids of their parameters. Words the vocabulary does not know resolve to the
nearest known terms by character similarity.

To add a style, add an entry to ``GENRES`` in :mod:`genres`, or to ``INSTRUMENTS``
or ``MOODS`` in :mod:`vocabulary` (and spellings to ``ALIASES`` in :mod:`aliases`);
to add an instrument sound, add a timbre to ``TIMBRES`` in :mod:`fields`; grooves and patterns live in :mod:`patterns`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

import numpy as np

from livemusic.engine.drums import Kit
from livemusic.engine.fields import (
    DEFAULT_WEIGHTS, FIELDS, GLOBAL_DEFAULTS, INDEX, INSTRUMENT_SOUNDS, KIT_FIELDS, MAX_PROMPT_CHARS, SOUND_TIMBRES,
    kit_values, timbre_values,
)
from livemusic.engine.timbre import Timbre
from livemusic.engine.aliases import ALIASES
from livemusic.engine.genres import GENRES
from livemusic.engine.vocabulary import STOPWORDS, TERM_WEIGHT, VOCABULARY
from livemusic.types import LiveMusicFilteredPrompt, WeightedPrompt

# --------------------------------------------------------------------------- the style vector


def _defaults() -> np.ndarray:
    vec = np.zeros(len(FIELDS))
    for k, v in GLOBAL_DEFAULTS.items():
        vec[INDEX[k]] = v
    for k, v in DEFAULT_WEIGHTS.items():
        vec[INDEX[k]] = v
    for k, v in {**kit_values("909"), **timbre_values("synth_bass", "bass"), **timbre_values("piano", "harm"), **timbre_values("bell", "lead")}.items():
        vec[INDEX[k]] = v
    return vec


_DEFAULT_SOUND = {"bass": "synth_bass", "harm": "piano", "lead": "bell"}
DEFAULT_VECTOR = _defaults()
DEFAULT_VECTOR.setflags(write=False)


@dataclass(frozen=True, eq=False)
class Style:
    """An immutable style vector with named access (``style["bpm"]``, ``style.timbre("lead")``)."""

    vector: np.ndarray

    def __getitem__(self, name: str) -> float:
        return float(self.vector[INDEX[name]])

    def weights(self, prefix: str, names: Iterable[str]) -> dict[str, float]:
        """The normalized weights of a family of archetypes (grooves, patterns, progressions)."""
        raw = {n: max(float(self.vector[INDEX[f"{prefix}_{n}"]]), 0.0) for n in names}
        total = sum(raw.values())
        if total <= 1e-9:
            return {n: 1.0 / len(raw) for n in raw}
        return {n: v / total for n, v in raw.items()}

    def sounds(self, role: str, most: int = 2) -> list[tuple[str, Timbre, float]]:
        """The instrument sounds a role plays (name, timbre), with weights summing to 1 (the ``most`` strongest).

        The style's modifiers (saturation, soft attack, held sustain, vibrato) are applied.
        """
        names = [f"{role}:{t}" for t in INSTRUMENT_SOUNDS]
        w = np.array([max(float(self.vector[INDEX[n]]), 0.0) for n in names])
        if w.sum() <= 1e-9:
            w = np.array([float(n == _DEFAULT_SOUND[role]) for n in INSTRUMENT_SOUNDS])
        top = np.argsort(-w, kind="stable")[:most]
        top = [i for i in top if w[i] > 0.04 * w[top[0]]]
        total = float(w[top].sum())
        mods = {k: self[k] for k in ("saturation", "soft_attack", "sustain_hold", "vibrato")}
        out = []
        for i in top:
            tb = SOUND_TIMBRES[INSTRUMENT_SOUNDS[i]]
            if any(v > 0.02 for v in mods.values()):
                tb = Timbre(**{**tb.__dict__,
                               "drive": max(tb.drive, mods["saturation"]),
                               "attack": tb.attack + 0.6 * mods["soft_attack"],
                               "sustain": max(tb.sustain, mods["sustain_hold"]),
                               "vibrato": max(tb.vibrato, mods["vibrato"])})
            out.append((INSTRUMENT_SOUNDS[i], tb, float(w[i]) / total))
        return out

    def kit(self) -> Kit:
        return Kit(**{f: max(float(self.vector[INDEX[f"kit_{f}"]]), 0.0) for f in KIT_FIELDS})

    def toward(self, target: Style, amount: float) -> Style:
        """This style moved ``amount`` (0..1) of the way to ``target``."""
        if amount >= 1.0:
            return target
        return Style(self.vector + amount * (target.vector - self.vector))

    def distance(self, other: Style) -> float:
        return float(np.abs(self.vector - other.vector).max())


DEFAULT_STYLE = Style(DEFAULT_VECTOR)


def _genre_vector(overrides: dict[str, float]) -> np.ndarray:
    vec = DEFAULT_VECTOR.copy()
    for field, value in overrides.items():
        vec[INDEX[field]] = value
    return vec


_GENRE_VECTORS = {name: _genre_vector(values) for name, values in GENRES.items()}
_TERM_VECTORS = {name: _genre_vector(values) for name, values in VOCABULARY.items() if name not in GENRES}

#: How a part plays (its patterns, its kit, its sounds) is blended over the terms and prompts that play
#: it, each as much as it plays it: a drumless prompt's groove does not thin out another prompt's drums.
#: A term that leaves a part silent still says faintly how it would play it (ambient: half time, no hats),
#: which counts when no other term plays that part ("ambient" with "drums").
_UNPLAYED = 0.05
_PART_LEVEL = np.full(len(FIELDS), -1)
for _name in FIELDS:
    _part = next((level for level, fields in (
        ("drums", ("g_", "kit_", "hats", "perc", "glitch")), ("bass_level", ("b_", "bass:")),
        ("harm_level", ("h_", "harm:", "arp")), ("lead_level", ("lead:", "lead_density"))) if _name.startswith(fields)), None)
    if _part is not None:
        _PART_LEVEL[INDEX[_name]] = INDEX[_part]
_PARTS = _PART_LEVEL >= 0
_LEAD_SOUNDS = np.array([name.startswith("lead:") for name in FIELDS])


def _played(vec: np.ndarray) -> np.ndarray:
    """Per field, how much a style vector plays the part that field belongs to (1 for the others)."""
    out = np.ones(len(FIELDS))
    out[_PARTS] = np.maximum(vec[_PART_LEVEL[_PARTS]], _UNPLAYED)
    out[_LEAD_SOUNDS] *= np.clip(vec[INDEX["lead_density"]], 0.0, 1.0)  # a lead that seldom plays is seldom heard
    return out


# --------------------------------------------------------------------------- prompt resolution


def _normalize(text: str) -> str:
    text = text.lower().replace("&", " and ").replace("'n'", " and ").replace("’", "'")
    text = re.sub(r"[^a-z0-9&+\-' ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _key(term: str) -> str:
    return _normalize(term).replace("-", " ")


# Lookup table: normalized spelling (hyphens as spaces) -> vocabulary term.
_LOOKUP: dict[str, str] = {}
for _term in VOCABULARY:
    _LOOKUP[_key(_term)] = _term
for _alias, _term in ALIASES.items():
    if _term not in VOCABULARY:
        raise ValueError(f"alias {_alias!r} points at unknown term {_term!r}")
    _LOOKUP.setdefault(_key(_alias), _term)
_MAX_WORDS = max(len(k.split()) for k in _LOOKUP)


@lru_cache(maxsize=4096)
def _nearest(word: str) -> tuple[tuple[str, float], ...]:
    """Known terms nearest to an unknown word, with similarity weights."""
    keys = list(_LOOKUP)
    scored = sorted(((difflib.SequenceMatcher(None, word, k).ratio(), k) for k in keys), reverse=True)
    best = scored[0][0]
    picks = [(k, s) for s, k in scored[:3] if s >= best - 0.05]
    # a word that is part of a known term ("hop", "jazz") also counts
    for k in keys:
        if word in k.split() and all(k != p for p, _ in picks):
            picks.append((k, 0.8))
    return tuple((_LOOKUP[k], max(s, 0.2)) for k, s in picks[:4])


def terms_of(text: str) -> list[tuple[str, float]]:
    """The vocabulary terms a prompt names, with weights (exact matches 1, near matches less)."""
    words = [w.strip("'-") for w in _key(text).split()]
    words = [w for w in words if w]
    found: list[tuple[str, float]] = []
    unknown: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(_MAX_WORDS, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + n])
            if phrase in _LOOKUP:
                found.append((_LOOKUP[phrase], 1.0))
                i += n
                break
        else:
            if words[i] not in STOPWORDS and not words[i].isdigit():
                unknown.append(words[i])
            i += 1
    exact = bool(found)
    for word in unknown:
        for term, sim in _nearest(word):
            if exact and sim < 0.6:
                continue  # a stray word next to known terms: ignore rather than guess
            found.append((term, 0.6 * sim * sim))
    if not found:
        for term, sim in _nearest(" ".join(words) or text.lower()):
            found.append((term, 0.6 * sim))
    return found


def prompt_style(text: str) -> Style:
    """The style one prompt asks for: each field is the average of the terms that set it."""
    return Style(_prompt_fields(_normalize(text))[0])


@lru_cache(maxsize=1024)
def _prompt_fields(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The prompt's style vector and how strongly it sets each field (0 = left at default)."""
    total = np.zeros(len(FIELDS))
    weight = np.zeros(len(FIELDS))
    for term, w in terms_of(text):
        w = w * TERM_WEIGHT[term]
        if term in GENRES:  # a genre is a whole style: what it leaves out is the default
            wf = w * _played(_GENRE_VECTORS[term])
            total += wf * _GENRE_VECTORS[term]
            weight += wf
            continue
        idx = np.array([INDEX[f] for f in VOCABULARY[term]])
        wf = w * _played(_TERM_VECTORS[term])[idx]
        total[idx] += wf * _TERM_VECTORS[term][idx]
        weight[idx] += wf
    vec = DEFAULT_VECTOR.copy()
    set_ = weight > 0
    vec[set_] = total[set_] / weight[set_]
    strength = np.minimum(weight, 1.0)
    vec.setflags(write=False)
    strength.setflags(write=False)
    return vec, strength


def filter_reason(prompt: Any) -> str | None:
    """Why a prompt cannot be used, or ``None`` when it can."""
    text = getattr(prompt, "text", prompt)
    if not isinstance(text, str):
        return "prompt text must be a string"
    if not text.strip():
        return "empty prompt"
    if len(text) > MAX_PROMPT_CHARS:
        return f"prompt longer than {MAX_PROMPT_CHARS} characters"
    if not any(ch.isalpha() for ch in text):
        return "prompt contains no words"
    weight = getattr(prompt, "weight", 1.0)
    if not isinstance(weight, (int, float)) or weight != weight or weight == 0:
        return "prompt weight must be a finite non-zero number"
    return None


def _screen(prompts: list[WeightedPrompt]) -> tuple[list[WeightedPrompt], list[LiveMusicFilteredPrompt]]:
    """The usable prompts, and the ignored ones (empty, too long, not text) with their reasons."""
    usable, filtered = [], []
    for prompt in prompts:
        reason = filter_reason(prompt)
        if reason is None:
            usable.append(prompt)
        else:
            text = getattr(prompt, "text", None)
            filtered.append(LiveMusicFilteredPrompt(text=text if isinstance(text, str) else repr(text),
                                                    filtered_reason=reason))
    return usable, filtered


def filtered_prompts(prompts: list[WeightedPrompt]) -> list[LiveMusicFilteredPrompt]:
    """The prompts the engine ignores (empty, too long, not text), each with its reason."""
    return _screen(prompts)[1]


def mix_prompts(prompts: list[WeightedPrompt]) -> tuple[Style | None, list[LiveMusicFilteredPrompt]]:
    """The weighted mix of the usable prompts' styles (``None`` if none), and the filtered ones.

    Per field, weights are normalized by the sum of the magnitudes of the prompts that
    set it (weights are relative); a negative weight moves the mix away from that
    prompt's style.
    """
    usable, filtered = _screen(prompts)
    used: list[tuple[np.ndarray, np.ndarray, float]] = []
    for prompt in usable:
        vec, strength = _prompt_fields(_normalize(prompt.text))
        used.append((vec, strength, float(prompt.weight)))
    if not used:
        return None, filtered
    # Per field, a weighted average over the prompts that set it: "flute" next to
    # "bossa nova" brings its flute, not a default drum groove.
    norm = sum(abs(w) * strength for _, strength, w in used)
    vec = _to_blend(DEFAULT_VECTOR)
    for v, strength, w in used:
        vec += np.divide(w * strength, norm, out=np.zeros_like(norm), where=norm > 0) * (_to_blend(v) - _to_blend(DEFAULT_VECTOR))
    vec = _from_blend(vec)
    _clip(vec)
    vec.setflags(write=False)
    return Style(vec), filtered


#: Fields blended as the ear adds sounds: a part's level as power (level ** 2), as when two recordings are
#: mixed (a part only one of two prompts plays comes in at half its power, -3 dB); tempo as a ratio (log).
_POWER = np.array([INDEX[f] for f in ("drums", "bass_level", "harm_level", "lead_level", "drone", "vocal")])
_BPM = INDEX["bpm"]


def _to_blend(vec: np.ndarray) -> np.ndarray:
    out = vec.copy()
    out[_POWER] = np.maximum(out[_POWER], 0.0) ** 2
    out[_BPM] = np.log(max(out[_BPM], 1.0))
    return out


def _from_blend(vec: np.ndarray) -> np.ndarray:
    vec[_POWER] = np.sqrt(np.maximum(vec[_POWER], 0.0))
    vec[_BPM] = np.exp(vec[_BPM])
    return vec


_LOWER = np.zeros(len(FIELDS))
_UPPER = np.full(len(FIELDS), 1.0)
for _name in FIELDS:
    if _name == "bpm":
        _LOWER[INDEX[_name]], _UPPER[INDEX[_name]] = 60.0, 200.0
    elif _name.startswith("kit_"):
        _UPPER[INDEX[_name]] = 1e6
_LOWER[INDEX["kit_kick_hz"]] = 30.0
_LOWER[INDEX["kit_snare_hz"]] = 100.0
_LOWER[INDEX["kit_perc_hz"]] = 100.0


def _clip(vec: np.ndarray) -> None:
    np.clip(vec, _LOWER, _UPPER, out=vec)


def vocabulary_size() -> int:
    """How many distinct terms (instruments, genres, moods) the engine knows, synonyms aside."""
    return len(VOCABULARY)
