"""Styles: what a set of weighted text prompts asks for, as numbers.

A :class:`Style` is a vector of named numbers: tempo, groove weights, drum kit,
bass/harmony/lead pattern weights, a weight per instrument sound for each part,
effects. Every vocabulary term (an instrument, a genre or a mood from Google's
Lyria prompt guide, plus synonyms and spellings) sets some of those numbers; a
genre is a whole style. A prompt is the average of the terms it names, and a
weighted set of prompts is, field by field, the weighted average over the
prompts that set that field ("flute" next to "bossa nova" brings a flute, not a
default drum groove). Mixing and cross-fading prompts is therefore linear
interpolation; instrument sounds are blended as sounds (each rendered as
designed), not as hybrids of their parameters. Words the vocabulary does not
know resolve to the nearest known terms by character similarity.

To add a style, add an entry to ``GENRES``, ``INSTRUMENTS`` or ``MOODS`` (and
spellings to ``ALIASES``); to add an instrument sound, add a timbre to
``TIMBRES``; grooves and patterns live in :mod:`composer`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

import numpy as np

from livemusic.engine.synth import Kit, Timbre
from livemusic.types import LiveMusicFilteredPrompt, WeightedPrompt

MAX_PROMPT_CHARS = 200

GROOVES = ("four", "backbeat", "half", "break", "dembow", "bossa", "afro", "trap", "shuffle", "march", "double", "rumba")
BASS_PATTERNS = ("root", "pulse", "offbeat", "octave", "walk", "acid", "sub", "funk", "dub")
HARM_PATTERNS = ("pad", "stab", "comp", "skank", "arp", "strum", "chug", "rasgueado")
PROGRESSIONS = ("pop", "minor", "jazz", "vamp", "modal", "phrygian", "mixolydian")
ROLES = ("bass", "harm", "lead")
KIT_FIELDS = tuple(Kit.__dataclass_fields__)

_GLOBAL = {
    "bpm": 110.0, "energy": 0.5, "density": 0.5, "brightness": 0.5, "swing": 0.0,
    "ext": 0.3, "harm_rhythm": 0.5, "phrase": 0.5, "register": 0.5,
    "reverb": 0.25, "delay": 0.1, "width": 0.6, "wobble": 0.0, "phaser": 0.0, "pump": 0.0, "lead_driven": 0.0, "power": 0.0, "humanize": 0.0,
    "drone": 0.0, "glitch": 0.0, "vinyl": 0.0, "lofi": 0.0,
    "drums": 0.9, "hats": 0.7, "perc": 0.0, "bass_level": 0.9, "harm_level": 0.7, "lead_level": 0.5,
    "lead_density": 0.5, "arp": 0.2, "vocal": 0.0,
    # modifiers applied to every instrument's sound
    "saturation": 0.0, "soft_attack": 0.0, "sustain_hold": 0.0, "vibrato": 0.0,
}
_DEFAULT_WEIGHTS = {"g_backbeat": 1.0, "b_pulse": 0.6, "b_root": 0.4, "h_pad": 0.6, "h_comp": 0.4,
                    "p_pop": 0.5, "p_minor": 0.5}

FIELDS: tuple[str, ...] = (
    tuple(_GLOBAL)
    + tuple(f"g_{g}" for g in GROOVES)
    + tuple(f"b_{b}" for b in BASS_PATTERNS)
    + tuple(f"h_{h}" for h in HARM_PATTERNS)
    + tuple(f"p_{p}" for p in PROGRESSIONS)
    + tuple(f"kit_{k}" for k in KIT_FIELDS)
)


# --------------------------------------------------------------------------- instrument sounds

T = dict  # a timbre is a dict of Timbre fields; missing fields take Timbre's defaults

TIMBRES: dict[str, dict[str, float]] = {
    "pad": T(saw=0.8, detune=0.8, attack=0.5, decay=1.5, sustain=0.85, release=1.2, cutoff=3.0, fenv=0.0, reso=0.1),
    "strings": T(saw=1.0, detune=0.8, ensemble=1.0, breath=0.06, attack=0.45, decay=1.0, sustain=0.9, release=0.8, cutoff=4.5,
                 fenv=0.1, vibrato=0.5),
    "cello": T(saw=1.0, attack=0.12, decay=1.0, sustain=0.9, release=0.35, cutoff=4.5, fenv=0.2, vibrato=0.6, breath=0.1),
    "rhodes": T(saw=0.0, sine=0.5, fm=1.0, fm_ratio=1.0, fm_index=1.6, attack=0.004, decay=1.4, sustain=0.25, release=0.45),
    "piano": T(saw=0.35, tri=0.6, attack=0.003, decay=1.1, sustain=0.12, release=0.35, cutoff=3.0, fenv=0.9),
    "harpsichord": T(saw=0.0, pluck=1.0, square=0.25, decay=0.6, release=0.15, cutoff=12.0),
    "organ": T(saw=0.0, sine=0.8, square=0.3, tri=0.4, attack=0.01, sustain=1.0, release=0.08, cutoff=8.0, fenv=0.0),
    "guitar": T(saw=0.0, pluck=1.0, decay=1.1, release=0.2, cutoff=8.0),
    "nylon": T(saw=0.0, pluck=1.0, tri=0.15, decay=0.9, release=0.2, cutoff=5.0),
    "bright_pluck": T(saw=0.0, pluck=1.0, decay=0.5, release=0.12, cutoff=12.0, drive=0.1),
    "sitar": T(saw=0.2, pluck=1.0, decay=1.2, release=0.2, cutoff=10.0, drive=0.35, vibrato=0.2),
    "harp": T(saw=0.0, pluck=1.0, sine=0.3, decay=1.3, release=0.4, cutoff=4.0),
    "dist_guitar": T(saw=0.8, square=0.5, pluck=0.4, detune=0.3, decay=0.8, sustain=0.7, release=0.12, cutoff=8.0, drive=0.95,
                     cabinet=1.0),
    "marimba": T(saw=0.0, mallet=1.0, mallet_ratio=4.0, decay=0.35, release=0.1),
    "vibraphone": T(saw=0.0, mallet=1.0, mallet_ratio=4.0, decay=1.4, release=0.5, vibrato=0.25),
    "kalimba": T(saw=0.0, mallet=1.0, mallet_ratio=5.4, decay=0.6, release=0.2),
    "glockenspiel": T(saw=0.0, mallet=1.0, mallet_ratio=2.76, decay=0.9, release=0.3),
    "steel_drum": T(saw=0.0, mallet=0.8, mallet_ratio=2.0, fm=0.4, fm_ratio=2.0, fm_index=1.0, decay=0.6, release=0.2),
    "hang": T(saw=0.0, mallet=1.0, mallet_ratio=2.0, sine=0.3, decay=1.2, release=0.4),
    "bell": T(saw=0.0, fm=1.0, fm_ratio=3.5, fm_index=2.5, decay=1.5, sustain=0.0, release=0.8),
    "sax": T(saw=0.6, square=0.3, breath=0.3, vibrato=0.4, attack=0.04, sustain=0.8, cutoff=4.0, fenv=0.3, release=0.12),
    "trumpet": T(saw=1.0, attack=0.03, sustain=0.85, cutoff=5.0, fenv=0.5, vibrato=0.3, release=0.1),
    "brass": T(saw=1.0, detune=0.4, attack=0.05, sustain=0.85, cutoff=4.0, fenv=0.5, release=0.15),
    "tuba": T(saw=0.8, sine=0.4, attack=0.05, sustain=0.85, cutoff=2.5, fenv=0.3, release=0.12),
    "flute": T(saw=0.0, sine=1.0, tri=0.3, breath=0.35, vibrato=0.45, attack=0.06, sustain=0.85, release=0.15),
    "clarinet": T(saw=0.0, square=0.8, sine=0.3, breath=0.15, attack=0.04, sustain=0.85, cutoff=3.5, release=0.12),
    "accordion": T(saw=0.4, square=0.6, detune=0.6, vibrato=0.15, attack=0.04, sustain=0.9, cutoff=6.0, release=0.1),
    "harmonica": T(saw=0.2, square=0.7, breath=0.25, vibrato=0.4, attack=0.03, sustain=0.85, cutoff=5.0, release=0.1),
    "bagpipes": T(saw=1.0, square=0.4, sustain=1.0, cutoff=9.0, fenv=0.0, drive=0.25, attack=0.03, release=0.1),
    "mellotron": T(saw=0.5, tri=0.6, vibrato=0.35, attack=0.1, sustain=0.85, cutoff=3.0, release=0.3, fenv=0.0),
    "moog": T(saw=1.0, square=0.5, cutoff=3.0, reso=0.5, fenv=0.8, decay=0.35, sustain=0.5, drive=0.2),
    "buchla": T(saw=0.0, fm=1.0, fm_ratio=1.5, fm_index=3.5, sine=0.3, decay=0.5, sustain=0.3, release=0.4),
    "space_synth": T(saw=0.5, sine=0.5, detune=0.7, attack=0.25, decay=1.5, sustain=0.7, release=1.0, cutoff=4.0),
    "dirty_synth": T(saw=1.0, square=0.6, detune=0.5, cutoff=6.0, fenv=0.6, drive=0.7, sustain=0.6),
    "supersaw": T(saw=1.0, detune=1.0, cutoff=8.0, fenv=0.3, sustain=0.8, release=0.3),
    "chip": T(saw=0.0, square=1.0, cutoff=40.0, fenv=0.0, reso=0.0, sustain=0.9, attack=0.002, release=0.03),
    "stab": T(saw=0.8, square=0.3, cutoff=3.0, fenv=0.9, reso=0.4, decay=0.22, sustain=0.1, release=0.15),
    "choir": T(saw=0.0, vocal=1.0, vibrato=0.5, attack=0.25, sustain=0.9, release=0.5, cutoff=12.0, fenv=0.0),
    "voice": T(saw=0.0, vocal=1.0, vibrato=0.7, attack=0.08, sustain=0.9, release=0.3, cutoff=12.0, fenv=0.0),
    "drone": T(saw=0.7, sine=0.6, detune=0.9, attack=1.5, decay=3.0, sustain=1.0, release=2.0, cutoff=2.0, fenv=0.0),
    # basses
    "acid": T(saw=1.0, cutoff=2.0, reso=0.85, fenv=1.0, decay=0.18, sustain=0.35, release=0.06, drive=0.3),
    "sub": T(saw=0.0, sine=1.0, tri=0.25, attack=0.005, decay=1.0, sustain=0.85, release=0.12, drive=0.15),
    "808": T(saw=0.0, sine=1.0, attack=0.002, decay=1.2, sustain=0.6, release=0.3, drive=0.35),
    "synth_bass": T(saw=0.8, square=0.4, cutoff=3.0, fenv=0.6, decay=0.3, sustain=0.6, release=0.08, reso=0.3),
    "electric_bass": T(saw=0.3, tri=0.6, pluck=0.5, cutoff=3.0, decay=0.6, sustain=0.5, release=0.08, fenv=0.4),
    "upright": T(saw=0.0, pluck=0.7, sine=0.5, decay=0.7, sustain=0.3, release=0.1, cutoff=2.5),
    "fm_bass": T(saw=0.0, fm=1.0, fm_ratio=1.0, fm_index=3.0, sine=0.4, decay=0.3, sustain=0.5, release=0.08),
    "wobble": T(saw=1.0, square=0.6, detune=0.5, cutoff=4.0, reso=0.5, fenv=0.2, sustain=0.9, drive=0.6, release=0.05),
    "didgeridoo": T(saw=1.0, cutoff=2.0, reso=0.75, breath=0.2, sustain=1.0, drive=0.2, vibrato=0.2, attack=0.05),
}

KITS: dict[str, dict[str, float]] = {
    "909": dict(kick_hz=52, kick_decay=0.35, kick_click=0.7, snare_noise=0.75, clap=0.5, hat_decay=0.035, hat_tone=0.65),
    "808": dict(kick_hz=46, kick_decay=0.9, kick_click=0.2, snare_noise=0.5, clap=0.7, hat_decay=0.03, hat_tone=0.5),
    "acoustic": dict(kick_hz=58, kick_decay=0.25, kick_click=0.6, snare_noise=0.8, snare_decay=0.18, clap=0.0,
                     hat_decay=0.05, hat_tone=0.45, acoustic=1.0),
    "lofi": dict(kick_hz=55, kick_decay=0.3, kick_click=0.3, snare_noise=0.6, hat_decay=0.03, hat_tone=0.15, drive=0.3),
    "breaks": dict(kick_hz=60, kick_decay=0.2, kick_click=0.8, snare_noise=0.7, snare_hz=210, snare_decay=0.12,
                   hat_decay=0.03, hat_tone=0.7, acoustic=0.6, drive=0.2),
    "hand": dict(kick_hz=60, kick_decay=0.3, kick_click=0.2, snare_noise=0.4, perc_hz=320, acoustic=1.0, hat_tone=0.4),
    "chip": dict(kick_hz=60, kick_decay=0.15, kick_click=0.9, snare_noise=0.95, hat_tone=0.9, hat_decay=0.02),
    "heavy": dict(kick_hz=50, kick_decay=0.3, kick_click=1.0, snare_noise=0.7, snare_hz=180, drive=0.6, acoustic=0.5),
}


INSTRUMENT_SOUNDS = tuple(TIMBRES)
#: One weight per role and instrument sound: a style plays a weighted blend of sounds
#: (each rendered as designed), never a hybrid of their parameters.
FIELDS = FIELDS + tuple(f"{r}:{t}" for r in ROLES for t in INSTRUMENT_SOUNDS)
INDEX = {name: i for i, name in enumerate(FIELDS)}
_SOUND_TIMBRES = {name: Timbre(**{**Timbre().__dict__, **values}) for name, values in TIMBRES.items()}


def _timbre(name: str, role: str) -> dict[str, float]:
    return {f"{role}:{t}": float(t == name) for t in INSTRUMENT_SOUNDS}


def _kit(name: str) -> dict[str, float]:
    full = {**Kit().__dict__, **KITS[name]}
    return {f"kit_{k}": float(v) for k, v in full.items()}


def _weights(prefix: str, names: tuple[str, ...], given: dict[str, float]) -> dict[str, float]:
    unknown = set(given) - set(names)
    if unknown:
        raise ValueError(f"unknown {prefix} names {unknown}")
    return {f"{prefix}_{n}": float(given.get(n, 0.0)) for n in names}


def _style(*, groove=None, bass_pat=None, harm_pat=None, prog=None, kit=None,
           bass=None, harm=None, lead=None, **numbers: float) -> dict[str, float]:
    """Build a term's overrides from readable pieces."""
    out: dict[str, float] = {}
    if groove is not None:
        out.update(_weights("g", GROOVES, groove))
    if bass_pat is not None:
        out.update(_weights("b", BASS_PATTERNS, bass_pat))
    if harm_pat is not None:
        out.update(_weights("h", HARM_PATTERNS, harm_pat))
    if prog is not None:
        out.update(_weights("p", PROGRESSIONS, prog))
    if kit is not None:
        out.update(_kit(kit))
    for role, name in (("bass", bass), ("harm", harm), ("lead", lead)):
        if name is not None:
            out.update(_timbre(name, role))
    for key, value in numbers.items():
        if key not in INDEX:
            raise ValueError(f"unknown style field {key!r}")
        out[key] = float(value)
    return out


S = _style

# --------------------------------------------------------------------------- vocabulary

GENRES: dict[str, dict[str, float]] = {
    "minimal techno": S(pump=0.35, bpm=126, energy=0.6, brightness=0.4, groove={"four": 1}, kit="909", bass_pat={"pulse": 0.5, "offbeat": 0.5},
                        harm_pat={"stab": 1}, prog={"vamp": 1}, bass="synth_bass", harm="stab", lead="bell", lead_level=0.25,
                        lead_density=0.3, harm_level=0.5, delay=0.4, reverb=0.25, hats=0.8, ext=0.2),
    "techno": S(pump=0.45, bpm=130, energy=0.75, brightness=0.45, groove={"four": 1}, kit="909", bass_pat={"offbeat": 0.7, "pulse": 0.3},
                harm_pat={"stab": 0.7, "pad": 0.3}, prog={"vamp": 0.8, "minor": 0.2}, bass="synth_bass", harm="stab",
                lead="moog", lead_level=0.3, harm_level=0.5, delay=0.3, hats=0.9),
    "deep house": S(pump=0.5, bpm=122, energy=0.55, brightness=0.45, swing=0.15, groove={"four": 1}, kit="909",
                    bass_pat={"offbeat": 0.6, "funk": 0.4}, harm_pat={"stab": 0.6, "pad": 0.4}, prog={"jazz": 0.5, "minor": 0.5},
                    bass="sub", harm="rhodes", lead="pad", lead_level=0.3, ext=0.9, reverb=0.35, delay=0.2),
    "house": S(lead_driven=1.0, pump=0.6, bpm=124, energy=0.7, groove={"four": 1}, kit="909", bass_pat={"offbeat": 0.7, "octave": 0.3},
               harm_pat={"stab": 0.7, "comp": 0.3}, prog={"pop": 0.4, "minor": 0.6}, bass="synth_bass", harm="piano",
               lead="supersaw", lead_level=0.35, ext=0.6),
    "acid house": S(pump=0.5, bpm=124, energy=0.75, groove={"four": 1}, kit="808", bass_pat={"acid": 1}, harm_pat={"stab": 1},
                    prog={"vamp": 1}, bass="acid", harm="stab", lead="acid", lead_level=0.2, harm_level=0.4, bass_level=1.0),
    "trance": S(lead_driven=1.0, pump=0.6, bpm=138, energy=0.8, brightness=0.6, groove={"four": 1}, kit="909", bass_pat={"offbeat": 1},
                harm_pat={"pad": 0.5, "arp": 0.5}, prog={"minor": 1}, bass="synth_bass", harm="supersaw",
                lead="supersaw", lead_level=0.6, arp=0.7, reverb=0.45, delay=0.35, lead_density=0.6),
    "psytrance": S(pump=0.5, bpm=145, energy=0.9, brightness=0.55, groove={"four": 1}, kit="909", bass_pat={"acid": 0.4, "offbeat": 0.6},
                   harm_pat={"arp": 1}, prog={"vamp": 1}, bass="acid", harm="acid", lead="buchla", lead_level=0.4,
                   arp=0.8, delay=0.4, phaser=0.5, density=0.7, ext=0.0),
    "edm": S(lead_driven=1.0, pump=0.85, bpm=128, energy=0.9, brightness=0.65, groove={"four": 1}, kit="909", bass_pat={"offbeat": 0.5, "pulse": 0.5},
             harm_pat={"pad": 0.4, "stab": 0.6}, prog={"pop": 0.5, "minor": 0.5}, bass="dirty_synth", harm="supersaw",
             lead="supersaw", lead_level=0.7, reverb=0.35),
    "drum and bass": S(lead_driven=1.0, bpm=174, energy=0.85, brightness=0.55, groove={"break": 1}, kit="breaks", bass_pat={"sub": 0.6, "root": 0.4},
                       harm_pat={"pad": 1}, prog={"minor": 1}, bass="sub", harm="pad", lead="space_synth", lead_level=0.35,
                       density=0.75, hats=0.9, reverb=0.35, lead_density=0.4),
    "jungle": S(lead_driven=1.0, bpm=165, energy=0.85, groove={"break": 1}, kit="breaks", bass_pat={"sub": 0.7, "dub": 0.3}, harm_pat={"pad": 1},
                prog={"minor": 1}, bass="sub", harm="pad", lead="space_synth", lead_level=0.3, density=0.85, hats=0.8),
    "dubstep": S(pump=0.4, bpm=140, energy=0.9, brightness=0.5, groove={"half": 1}, kit="heavy", bass_pat={"sub": 0.5, "acid": 0.5},
                 harm_pat={"pad": 1}, prog={"minor": 1}, bass="wobble", harm="dirty_synth", lead="dirty_synth", lead_level=0.3,
                 wobble=1.0, bass_level=1.0, harm_level=0.4),
    "breakbeat": S(bpm=132, energy=0.75, groove={"break": 1}, kit="breaks", bass_pat={"funk": 0.6, "pulse": 0.4},
                   harm_pat={"stab": 0.6, "pad": 0.4}, prog={"minor": 0.7, "vamp": 0.3}, bass="synth_bass", harm="stab",
                   lead="moog", lead_level=0.4),
    "trip hop": S(bpm=88, energy=0.4, brightness=0.35, swing=0.1, groove={"half": 1}, kit="lofi", bass_pat={"root": 0.6, "sub": 0.4},
                  harm_pat={"pad": 0.7, "comp": 0.3}, prog={"minor": 1}, bass="sub", harm="mellotron", lead="rhodes",
                  lead_level=0.35, reverb=0.45, delay=0.3, vinyl=0.4, lofi=0.3, lead_density=0.3),
    "lo-fi hip hop": S(lead_driven=1.0, bpm=82, energy=0.35, brightness=0.25, swing=0.35, groove={"half": 0.4, "backbeat": 0.6}, kit="lofi",
                       bass_pat={"root": 0.5, "funk": 0.5}, harm_pat={"comp": 0.6, "pad": 0.4}, prog={"jazz": 1},
                       bass="upright", harm="rhodes", lead="piano", lead_level=0.35, ext=0.9, vinyl=0.6, lofi=0.7,
                       reverb=0.3, lead_density=0.35, density=0.45),
    "hip hop": S(bpm=92, energy=0.6, swing=0.2, groove={"backbeat": 0.6, "half": 0.4}, kit="808", bass_pat={"sub": 0.6, "root": 0.4},
                 harm_pat={"comp": 0.5, "pad": 0.5}, prog={"minor": 0.6, "jazz": 0.4}, bass="808", harm="piano",
                 lead="bell", lead_level=0.35, ext=0.6),
    "trap beat": S(bpm=140, energy=0.8, groove={"trap": 1}, kit="808", bass_pat={"sub": 1}, harm_pat={"pad": 0.6, "arp": 0.4},
                   prog={"minor": 1}, bass="808", harm="bell", lead="bell", lead_level=0.4, density=0.7, hats=1.0),
    "g-funk": S(bpm=94, energy=0.6, swing=0.25, groove={"backbeat": 1}, kit="808", bass_pat={"funk": 1}, harm_pat={"comp": 0.5, "pad": 0.5},
                prog={"jazz": 0.6, "modal": 0.4}, bass="moog", harm="rhodes", lead="moog", lead_level=0.6, ext=0.8),
    "grime": S(bpm=140, energy=0.8, groove={"half": 0.6, "break": 0.4}, kit="808", bass_pat={"sub": 0.6, "acid": 0.4},
               harm_pat={"stab": 1}, prog={"minor": 0.5, "vamp": 0.5}, bass="wobble", harm="chip", lead="chip", lead_level=0.3),
    "glitch hop": S(bpm=105, energy=0.7, swing=0.2, groove={"half": 0.5, "break": 0.5}, kit="breaks", bass_pat={"funk": 0.6, "sub": 0.4},
                    harm_pat={"stab": 0.6, "arp": 0.4}, prog={"minor": 1}, bass="wobble", harm="chip", lead="buchla",
                    lead_level=0.4, glitch=0.8),
    "reggaeton": S(bpm=95, energy=0.75, groove={"dembow": 1}, kit="808", bass_pat={"sub": 0.5, "root": 0.5},
                   harm_pat={"stab": 0.5, "pad": 0.5}, prog={"minor": 1}, bass="808", harm="pad", lead="bright_pluck", lead_level=0.45),
    "moombahton": S(bpm=108, energy=0.75, groove={"dembow": 1}, kit="909", bass_pat={"sub": 0.6, "acid": 0.4}, harm_pat={"stab": 1},
                    prog={"minor": 1}, bass="dirty_synth", harm="stab", lead="bright_pluck", lead_level=0.4),
    "afrobeat": S(humanize=0.4, bpm=112, energy=0.7, swing=0.15, groove={"afro": 1}, kit="hand", bass_pat={"funk": 1}, harm_pat={"comp": 0.6, "skank": 0.4},
                  prog={"modal": 0.6, "vamp": 0.4}, bass="electric_bass", harm="guitar", lead="brass", lead_level=0.5, perc=0.8, ext=0.5),
    "bossa nova": S(humanize=0.5, lead_driven=1.0, bpm=132, energy=0.35, brightness=0.4, groove={"bossa": 1}, kit="acoustic", bass_pat={"root": 0.5, "walk": 0.5},
                    harm_pat={"strum": 1}, prog={"jazz": 1}, bass="upright", harm="nylon", lead="flute", lead_level=0.45, ext=1.0,
                    hats=0.4, perc=0.4, drums=0.6, lead_density=0.35),
    "flamenco": S(bpm=120, energy=0.7, brightness=0.55, groove={"rumba": 1}, kit="hand", bass_pat={"root": 0.6, "walk": 0.4},
                  harm_pat={"rasgueado": 1}, prog={"phrygian": 1}, bass="upright", harm="nylon", lead="nylon", lead_level=0.55,
                  lead_density=0.75, humanize=0.5, reverb=0.3, ext=0.0),
    "salsa": S(humanize=0.4, bpm=180, energy=0.8, groove={"bossa": 0.5, "afro": 0.5}, kit="hand", bass_pat={"funk": 1}, harm_pat={"comp": 0.7, "arp": 0.3},
               prog={"pop": 0.5, "minor": 0.5}, bass="electric_bass", harm="piano", lead="trumpet", lead_level=0.6, perc=1.0),
    "cumbia": S(bpm=96, energy=0.6, groove={"afro": 0.6, "bossa": 0.4}, kit="hand", bass_pat={"root": 0.5, "octave": 0.5},
                harm_pat={"skank": 0.6, "comp": 0.4}, prog={"pop": 1}, bass="electric_bass", harm="accordion", lead="accordion",
                lead_level=0.5, perc=0.9),
    "merengue": S(bpm=150, energy=0.8, groove={"afro": 0.5, "four": 0.5}, kit="hand", bass_pat={"octave": 1}, harm_pat={"comp": 1},
                  prog={"pop": 1}, bass="electric_bass", harm="accordion", lead="sax", lead_level=0.5, perc=0.8),
    "latin jazz": S(humanize=0.5, lead_driven=1.0, bpm=120, energy=0.6, groove={"bossa": 0.6, "afro": 0.4}, kit="hand", bass_pat={"funk": 0.5, "walk": 0.5},
                    harm_pat={"comp": 1}, prog={"jazz": 1}, bass="upright", harm="piano", lead="trumpet", lead_level=0.55, ext=1.0, perc=0.8),
    "jazz": S(humanize=0.5, lead_driven=1.0, bpm=140, energy=0.45, swing=0.6, groove={"shuffle": 1}, kit="acoustic", bass_pat={"walk": 1}, harm_pat={"comp": 1},
              prog={"jazz": 1}, bass="upright", harm="piano", lead="sax", lead_level=0.55, ext=1.0, hats=0.5),
    "jazz trio": S(humanize=0.6, lead_driven=1.0, bpm=132, energy=0.4, swing=0.6, groove={"shuffle": 1}, kit="acoustic", bass_pat={"walk": 1},
                   harm_pat={"comp": 1}, prog={"jazz": 1}, bass="upright", harm="piano", lead="piano", lead_level=0.55,
                   ext=1.0, hats=0.5, drums=0.6, kit_hat_tone=0.25, kit_snare_noise=0.95),
    "acid jazz": S(bpm=110, energy=0.6, swing=0.3, groove={"backbeat": 0.6, "shuffle": 0.4}, kit="breaks", bass_pat={"funk": 0.6, "walk": 0.4},
                   harm_pat={"comp": 1}, prog={"jazz": 1}, bass="electric_bass", harm="organ", lead="sax", lead_level=0.55, ext=0.9),
    "jazz fusion": S(bpm=118, energy=0.65, swing=0.15, groove={"backbeat": 0.5, "break": 0.5}, kit="acoustic", bass_pat={"funk": 1},
                     harm_pat={"comp": 0.6, "pad": 0.4}, prog={"jazz": 0.6, "modal": 0.4}, bass="electric_bass", harm="rhodes",
                     lead="moog", lead_level=0.6, ext=1.0, lead_density=0.7),
    "neo-soul": S(humanize=0.4, lead_driven=1.0, bpm=84, energy=0.45, swing=0.35, groove={"backbeat": 0.7, "half": 0.3}, kit="lofi", bass_pat={"funk": 0.6, "root": 0.4},
                  harm_pat={"comp": 0.7, "pad": 0.3}, prog={"jazz": 1}, bass="electric_bass", harm="rhodes", lead="voice", lead_level=0.4,
                  ext=1.0),
    "r&b": S(lead_driven=1.0, bpm=90, energy=0.5, swing=0.2, groove={"backbeat": 0.6, "half": 0.4}, kit="808", bass_pat={"sub": 0.5, "funk": 0.5},
             harm_pat={"pad": 0.5, "comp": 0.5}, prog={"jazz": 0.5, "minor": 0.5}, bass="sub", harm="rhodes", lead="voice", lead_level=0.4, ext=0.9),
    "contemporary r&b": S(bpm=96, energy=0.55, groove={"trap": 0.4, "backbeat": 0.6}, kit="808", bass_pat={"sub": 1},
                          harm_pat={"pad": 0.6, "comp": 0.4}, prog={"minor": 0.5, "jazz": 0.5}, bass="808", harm="piano",
                          lead="voice", lead_level=0.4, ext=0.8),
    "new jack swing": S(bpm=108, energy=0.7, swing=0.5, groove={"backbeat": 1}, kit="808", bass_pat={"funk": 1}, harm_pat={"stab": 1},
                        prog={"minor": 0.5, "jazz": 0.5}, bass="fm_bass", harm="brass", lead="bell", lead_level=0.4),
    "funk": S(humanize=0.3, lead_driven=1.0, bpm=108, energy=0.75, swing=0.15, groove={"backbeat": 1}, kit="acoustic", bass_pat={"funk": 1}, harm_pat={"comp": 1},
              prog={"modal": 0.7, "vamp": 0.3}, bass="electric_bass", harm="guitar", lead="brass", lead_level=0.5, ext=0.6, density=0.65),
    "disco funk": S(bpm=118, energy=0.8, groove={"four": 0.7, "backbeat": 0.3}, kit="acoustic", bass_pat={"octave": 1},
                    harm_pat={"comp": 0.6, "pad": 0.4}, prog={"minor": 0.5, "pop": 0.5}, bass="electric_bass", harm="strings",
                    lead="brass", lead_level=0.5, hats=1.0, ext=0.6),
    "disco": S(lead_driven=1.0, pump=0.3, bpm=120, energy=0.8, groove={"four": 1}, kit="acoustic", bass_pat={"octave": 1}, harm_pat={"comp": 0.5, "pad": 0.5},
               prog={"pop": 0.5, "minor": 0.5}, bass="electric_bass", harm="strings", lead="strings", lead_level=0.5, hats=1.0),
    "electro swing": S(pump=0.4, bpm=124, energy=0.75, swing=0.6, groove={"four": 0.6, "shuffle": 0.4}, kit="909", bass_pat={"walk": 0.6, "offbeat": 0.4},
                       harm_pat={"skank": 0.6, "comp": 0.4}, prog={"jazz": 0.5, "minor": 0.5}, bass="upright", harm="piano",
                       lead="trumpet", lead_level=0.6, ext=0.7),
    "synthpop": S(bpm=118, energy=0.65, brightness=0.6, groove={"backbeat": 1}, kit="808", bass_pat={"pulse": 1}, harm_pat={"pad": 0.5, "arp": 0.5},
                  prog={"pop": 0.7, "minor": 0.3}, bass="synth_bass", harm="pad", lead="supersaw", lead_level=0.55, arp=0.5),
    "synthwave": S(lead_driven=1.0, pump=0.35, bpm=100, energy=0.6, brightness=0.5, groove={"backbeat": 1}, kit="808", bass_pat={"pulse": 1},
                   harm_pat={"pad": 0.6, "arp": 0.4}, prog={"minor": 1}, bass="synth_bass", harm="pad", lead="moog",
                   lead_level=0.5, reverb=0.5, delay=0.3),
    "vaporwave": S(bpm=78, energy=0.3, brightness=0.3, groove={"half": 1}, kit="lofi", bass_pat={"root": 1}, harm_pat={"pad": 0.6, "comp": 0.4},
                   prog={"jazz": 1}, bass="fm_bass", harm="rhodes", lead="sax", lead_level=0.4, ext=1.0, reverb=0.6, lofi=0.8, vinyl=0.3,
                   phaser=0.3),
    "chiptune": S(bpm=150, energy=0.8, brightness=0.8, groove={"backbeat": 1}, kit="chip", bass_pat={"octave": 0.6, "pulse": 0.4},
                  harm_pat={"arp": 1}, prog={"pop": 0.6, "minor": 0.4}, bass="chip", harm="chip", lead="chip", lead_level=0.7,
                  arp=1.0, reverb=0.05, delay=0.05, lead_density=0.75, ext=0.0),
    "hyperpop": S(pump=0.5, bpm=160, energy=0.95, brightness=0.85, groove={"trap": 0.5, "four": 0.5}, kit="808", bass_pat={"sub": 1},
                  harm_pat={"stab": 0.5, "arp": 0.5}, prog={"pop": 1}, bass="808", harm="supersaw", lead="chip", lead_level=0.6,
                  glitch=0.6, density=0.8),
    "indie electronic": S(bpm=115, energy=0.55, groove={"backbeat": 0.6, "break": 0.4}, kit="808", bass_pat={"pulse": 0.6, "root": 0.4},
                          harm_pat={"arp": 0.5, "pad": 0.5}, prog={"pop": 0.5, "minor": 0.5}, bass="synth_bass", harm="bright_pluck",
                          lead="space_synth", lead_level=0.4, arp=0.5, delay=0.35),
    "indie pop": S(lead_driven=1.0, bpm=118, energy=0.6, brightness=0.6, groove={"backbeat": 1}, kit="acoustic", bass_pat={"pulse": 1},
                   harm_pat={"strum": 0.6, "pad": 0.4}, prog={"pop": 1}, bass="electric_bass", harm="guitar", lead="glockenspiel", lead_level=0.45),
    "indie folk": S(humanize=0.5, bpm=100, energy=0.4, brightness=0.5, groove={"backbeat": 1}, kit="acoustic", bass_pat={"root": 1},
                    harm_pat={"strum": 1}, prog={"pop": 1}, bass="upright", harm="guitar", lead="mellotron", lead_level=0.35, drums=0.6, hats=0.4),
    "pop": S(lead_driven=1.0, bpm=116, energy=0.65, brightness=0.6, groove={"backbeat": 1}, kit="808", bass_pat={"pulse": 1}, harm_pat={"pad": 0.5, "comp": 0.5},
             prog={"pop": 1}, bass="synth_bass", harm="piano", lead="voice", lead_level=0.45),
    "piano ballad": S(humanize=0.5, lead_driven=1.0, bpm=72, energy=0.3, brightness=0.45, groove={"backbeat": 1}, kit="acoustic", drums=0.3, hats=0.3,
                      bass_pat={"root": 1}, harm_pat={"arp": 0.5, "pad": 0.5}, prog={"pop": 1}, bass="upright", harm="piano",
                      lead="piano", lead_level=0.5, arp=0.4, reverb=0.4, density=0.35),
    "classic rock": S(humanize=0.35, bpm=120, energy=0.8, brightness=0.55, groove={"backbeat": 1}, kit="acoustic", bass_pat={"pulse": 1},
                      harm_pat={"strum": 0.5, "chug": 0.2, "comp": 0.3}, prog={"pop": 0.4, "modal": 0.3, "mixolydian": 0.3},
                      power=0.7, bass="electric_bass", harm="dist_guitar",
                      lead="dist_guitar", lead_level=0.5, ext=0.0),
    "rock": S(power=0.7, humanize=0.3, bpm=124, energy=0.8, groove={"backbeat": 1}, kit="acoustic", bass_pat={"pulse": 1}, harm_pat={"strum": 0.5, "comp": 0.5},
              prog={"pop": 0.5, "minor": 0.5}, bass="electric_bass", harm="dist_guitar", lead="dist_guitar", lead_level=0.5, ext=0.0),
    "blues rock": S(humanize=0.5, bpm=100, energy=0.7, swing=0.5, groove={"shuffle": 0.6, "backbeat": 0.4}, kit="acoustic", bass_pat={"walk": 0.5, "pulse": 0.5},
                    harm_pat={"comp": 1}, prog={"modal": 1}, bass="electric_bass", harm="dist_guitar", lead="harmonica", lead_level=0.5),
    "garage rock": S(bpm=140, energy=0.85, groove={"backbeat": 1}, kit="heavy", bass_pat={"pulse": 1}, harm_pat={"strum": 1},
                     prog={"pop": 0.5, "modal": 0.5}, bass="electric_bass", harm="dist_guitar", lead="dist_guitar", lead_level=0.4, ext=0.0),
    "surf rock": S(bpm=160, energy=0.75, groove={"backbeat": 1}, kit="acoustic", bass_pat={"pulse": 1}, harm_pat={"strum": 1},
                   prog={"minor": 0.6, "pop": 0.4}, bass="electric_bass", harm="bright_pluck", lead="bright_pluck", lead_level=0.6, reverb=0.5),
    "post-punk": S(bpm=150, energy=0.75, brightness=0.4, groove={"backbeat": 1}, kit="heavy", bass_pat={"pulse": 1}, harm_pat={"strum": 0.6, "arp": 0.4},
                   prog={"minor": 1}, bass="electric_bass", harm="bright_pluck", lead="space_synth", lead_level=0.4, reverb=0.4, delay=0.3),
    "shoegaze": S(bpm=110, energy=0.6, brightness=0.4, groove={"backbeat": 1}, kit="acoustic", bass_pat={"pulse": 1}, harm_pat={"pad": 1},
                  prog={"pop": 0.5, "modal": 0.5}, bass="electric_bass", harm="dist_guitar", lead="space_synth", lead_level=0.35,
                  reverb=0.8, delay=0.4, phaser=0.4, harm_level=0.9),
    "funk metal": S(power=1.0, bpm=118, energy=0.9, groove={"backbeat": 1}, kit="heavy", bass_pat={"funk": 1}, harm_pat={"comp": 1}, prog={"modal": 1},
                    bass="electric_bass", harm="dist_guitar", lead="dist_guitar", lead_level=0.5, ext=0.0),
    "metal": S(power=1.0, bpm=150, energy=1.0, brightness=0.55, groove={"double": 0.6, "backbeat": 0.4}, kit="heavy", bass_pat={"pulse": 1},
               harm_pat={"chug": 0.7, "strum": 0.3}, prog={"minor": 0.5, "phrygian": 0.5}, bass="electric_bass", harm="dist_guitar", lead="dist_guitar",
               lead_level=0.5, density=0.8, ext=0.0),
    "60s psychedelic rock": S(bpm=112, energy=0.6, groove={"backbeat": 1}, kit="acoustic", bass_pat={"walk": 0.4, "pulse": 0.6},
                              harm_pat={"strum": 0.6, "pad": 0.4}, prog={"modal": 1}, bass="electric_bass", harm="organ", lead="sitar",
                              lead_level=0.5, phaser=0.6, reverb=0.4),
    "jam band": S(bpm=112, energy=0.6, groove={"backbeat": 1}, kit="acoustic", bass_pat={"walk": 0.5, "funk": 0.5}, harm_pat={"comp": 1},
                  prog={"modal": 1}, bass="electric_bass", harm="organ", lead="guitar", lead_level=0.6, lead_density=0.7),
    "reggae": S(humanize=0.3, bpm=76, energy=0.45, swing=0.2, groove={"half": 1}, kit="acoustic", bass_pat={"dub": 1}, harm_pat={"skank": 1},
                prog={"pop": 0.6, "vamp": 0.4}, bass="sub", harm="organ", lead="brass", lead_level=0.3, delay=0.3),
    "jamaican dub": S(bpm=72, energy=0.4, groove={"half": 1}, kit="acoustic", bass_pat={"dub": 1}, harm_pat={"skank": 1},
                      prog={"vamp": 1}, bass="sub", harm="organ", lead="brass", lead_level=0.2, delay=0.8, reverb=0.6, bass_level=1.0),
    "ska": S(bpm=150, energy=0.75, groove={"backbeat": 1}, kit="acoustic", bass_pat={"walk": 1}, harm_pat={"skank": 1},
             prog={"pop": 1}, bass="upright", harm="guitar", lead="trumpet", lead_level=0.55),
    "bluegrass": S(humanize=0.5, bpm=130, energy=0.6, groove={"backbeat": 1}, kit="acoustic", drums=0.2, hats=0.3, bass_pat={"octave": 0.4, "walk": 0.6},
                   harm_pat={"strum": 1}, prog={"pop": 1}, bass="upright", harm="guitar", lead="bright_pluck", lead_level=0.7,
                   lead_density=0.8, ext=0.0),
    "alternative country": S(humanize=0.4, bpm=100, energy=0.5, groove={"backbeat": 1}, kit="acoustic", bass_pat={"octave": 0.5, "root": 0.5},
                             harm_pat={"strum": 1}, prog={"pop": 1}, bass="electric_bass", harm="guitar", lead="guitar", lead_level=0.5),
    "celtic folk": S(humanize=0.5, bpm=112, energy=0.55, groove={"march": 0.5, "backbeat": 0.5}, kit="hand", drums=0.5, bass_pat={"root": 1},
                     harm_pat={"strum": 1}, prog={"modal": 0.5, "pop": 0.5}, bass="upright", harm="harp", lead="flute", lead_level=0.65,
                     lead_density=0.75, ext=0.0),
    "irish folk": S(humanize=0.5, bpm=118, energy=0.6, groove={"march": 0.6, "backbeat": 0.4}, kit="hand", drums=0.5, bass_pat={"root": 1},
                    harm_pat={"strum": 1}, prog={"modal": 0.6, "pop": 0.4}, bass="upright", harm="guitar", lead="strings",
                    lead_level=0.65, lead_density=0.8, ext=0.0),
    "polka": S(bpm=120, energy=0.7, groove={"march": 1}, kit="acoustic", bass_pat={"octave": 1}, harm_pat={"skank": 1},
               prog={"pop": 1}, bass="tuba", harm="accordion", lead="clarinet", lead_level=0.6, ext=0.0),
    "marching band": S(bpm=116, energy=0.8, groove={"march": 1}, kit="acoustic", bass_pat={"pulse": 1}, harm_pat={"pad": 1},
                       prog={"pop": 1}, bass="tuba", harm="brass", lead="trumpet", lead_level=0.7, ext=0.0, density=0.7),
    "baroque": S(humanize=0.3, bpm=100, energy=0.45, drums=0.0, groove={"backbeat": 1}, bass_pat={"walk": 1}, harm_pat={"arp": 1}, prog={"pop": 0.6, "minor": 0.4},
                 bass="cello", harm="harpsichord", lead="strings", lead_level=0.55, arp=0.6, reverb=0.3, ext=0.0, lead_density=0.7),
    "renaissance music": S(bpm=84, energy=0.3, drums=0.15, groove={"march": 1}, kit="hand", bass_pat={"root": 1}, harm_pat={"strum": 1},
                           prog={"modal": 1}, bass="cello", harm="harp", lead="flute", lead_level=0.55, ext=0.0, reverb=0.45),
    "orchestral score": S(humanize=0.4, bpm=96, energy=0.55, brightness=0.65, drums=0.3, groove={"march": 1}, kit="acoustic", bass_pat={"root": 1},
                          harm_pat={"pad": 1}, prog={"minor": 0.6, "pop": 0.4}, bass="cello", harm="strings", lead="brass",
                          lead_level=0.5, reverb=0.6, hats=0.0, ext=0.3),
    "classical": S(humanize=0.4, bpm=96, energy=0.4, drums=0.0, groove={"backbeat": 1}, bass_pat={"root": 1}, harm_pat={"arp": 0.5, "pad": 0.5},
                   prog={"pop": 0.5, "minor": 0.5}, bass="cello", harm="piano", lead="strings", lead_level=0.55, reverb=0.5),
    "indian classical": S(bpm=90, energy=0.45, groove={"afro": 1}, kit="hand", hats=0.0, perc=1.0, bass_pat={"root": 1},
                          harm_pat={"pad": 1}, prog={"vamp": 1}, bass="drone", harm="drone", lead="sitar", lead_level=0.7,
                          drone=1.0, lead_density=0.6, ext=0.0),
    "bengal baul": S(bpm=100, energy=0.5, groove={"afro": 1}, kit="hand", hats=0.2, perc=1.0, bass_pat={"root": 1},
                     harm_pat={"strum": 1}, prog={"modal": 1}, bass="drone", harm="sitar", lead="flute", lead_level=0.6, ext=0.0),
    "bhangra": S(bpm=110, energy=0.85, groove={"afro": 0.5, "four": 0.5}, kit="hand", perc=1.0, bass_pat={"octave": 1},
                 harm_pat={"stab": 1}, prog={"vamp": 1}, bass="synth_bass", harm="sitar", lead="sitar", lead_level=0.6),
    "ambient": S(bpm=70, energy=0.15, density=0.2, brightness=0.35, drums=0.0, hats=0.0, groove={"half": 1}, bass_pat={"root": 1},
                 harm_pat={"pad": 1}, prog={"modal": 0.5, "pop": 0.5}, bass="sub", harm="pad", lead="bell", lead_level=0.3,
                 lead_density=0.15, reverb=0.9, delay=0.4, drone=0.6, bass_level=0.5, ext=0.7),
    "chillout": S(bpm=95, energy=0.35, brightness=0.4, groove={"half": 0.6, "backbeat": 0.4}, kit="lofi", bass_pat={"root": 1},
                  harm_pat={"pad": 0.6, "comp": 0.4}, prog={"jazz": 0.5, "pop": 0.5}, bass="sub", harm="rhodes", lead="flute",
                  lead_level=0.35, reverb=0.5, ext=0.8),
    "witch house": S(bpm=70, energy=0.5, brightness=0.25, groove={"trap": 0.5, "half": 0.5}, kit="808", bass_pat={"sub": 1},
                     harm_pat={"pad": 1}, prog={"minor": 1}, bass="808", harm="choir", lead="drone", lead_level=0.3, reverb=0.7,
                     drone=0.6),
    "soundtrack": S(bpm=84, energy=0.5, drums=0.3, groove={"march": 1}, kit="acoustic", bass_pat={"root": 1}, harm_pat={"pad": 1},
                    prog={"minor": 1}, bass="cello", harm="strings", lead="piano", lead_level=0.4, reverb=0.6),
}

INSTRUMENTS: dict[str, dict[str, float]] = {
    "303 acid bass": S(bass="acid", bass_pat={"acid": 1}, bass_level=1.0),
    "808 hip hop beat": S(kit="808", groove={"half": 0.5, "trap": 0.5}, bass="808", bass_pat={"sub": 1}, drums=1.0),
    "tr-909 drum machine": S(kit="909", groove={"four": 1}, drums=1.0),
    "accordion": S(harm="accordion", lead="accordion"),
    "alto saxophone": S(lead="sax", lead_level=0.65),
    "baritone saxophone": S(lead="sax", bass="sax", lead_level=0.5, register=0.3),
    "bass clarinet": S(bass="clarinet", lead="clarinet", register=0.35),
    "clarinet": S(lead="clarinet", lead_level=0.6),
    "bagpipes": S(lead="bagpipes", harm="bagpipes", drone=0.6),
    "banjo": S(harm="bright_pluck", lead="bright_pluck", harm_pat={"arp": 0.6, "strum": 0.4}),
    "bongos": S(kit="hand", perc=1.0),
    "conga drums": S(kit="hand", perc=1.0),
    "djembe": S(kit="hand", perc=1.0, groove={"afro": 1}),
    "tabla": S(kit="hand", perc=1.0, kit_perc_hz=400.0),
    "maracas": S(perc=0.6, hats=0.9),
    "drumline": S(kit="acoustic", groove={"march": 1}, drums=1.0, density=0.8),
    "brushed drums": S(kit="acoustic", kit_hat_tone=0.2, kit_snare_noise=0.95, kit_snare_decay=0.25, drums=0.6),
    "timpani": S(kit="acoustic", kit_kick_decay=0.7, kit_kick_click=0.1, groove={"march": 1}),
    "funk drums": S(kit="acoustic", groove={"backbeat": 1}, drums=1.0, density=0.7),
    "boomy bass": S(bass="808", bass_level=1.0),
    "slap bass": S(bass="electric_bass", bass_pat={"funk": 1}, bass_level=1.0),
    "reese bass": S(bass="wobble", bass_pat={"sub": 1}, bass_level=1.0),
    "wah guitar": S(harm="guitar", harm_pat={"comp": 1}, phaser=0.4),
    "french horns": S(harm="brass", lead="brass"),
    "precision bass": S(bass="electric_bass", bass_level=0.95),
    "bass guitar": S(bass="electric_bass"),
    "synth bass": S(bass="synth_bass"),
    "sub bass": S(bass="sub", bass_level=1.0),
    "upright bass": S(bass="upright", bass_pat={"walk": 1}),
    "bouzouki": S(harm="bright_pluck", lead="bright_pluck"),
    "mandolin": S(harm="bright_pluck", lead="bright_pluck", lead_density=0.75),
    "charango": S(harm="bright_pluck", harm_pat={"strum": 1}),
    "buchla synths": S(lead="buchla", harm="buchla", arp=0.5),
    "moog oscillations": S(lead="moog", bass="moog"),
    "dirty synths": S(lead="dirty_synth", harm="dirty_synth"),
    "spacey synths": S(lead="space_synth", harm="space_synth", reverb=0.6, delay=0.4),
    "synth pads": S(harm="pad", harm_pat={"pad": 1}),
    "supersaw": S(harm="supersaw", lead="supersaw"),
    "cello": S(harm="cello", lead="cello", bass="cello"),
    "viola ensemble": S(harm="strings", harm_pat={"pad": 1}),
    "strings": S(harm="strings", harm_pat={"pad": 1}),
    "violin": S(lead="strings", lead_level=0.6),
    "fiddle": S(lead="strings", lead_level=0.65, lead_density=0.8),
    "clavichord": S(harm="harpsichord", lead="harpsichord"),
    "harpsichord": S(harm="harpsichord", lead="harpsichord", harm_pat={"arp": 1}),
    "didgeridoo": S(bass="didgeridoo", drone=0.8, bass_pat={"root": 1}),
    "dulcimer": S(harm="bright_pluck", lead="bright_pluck", harm_pat={"arp": 1}),
    "flamenco guitar": S(harm="nylon", lead="nylon", harm_pat={"rasgueado": 1}, prog={"phrygian": 1}, groove={"rumba": 1},
                         lead_density=0.75, humanize=0.5),
    "warm acoustic guitar": S(harm="guitar", harm_pat={"strum": 1}),
    "acoustic guitar": S(harm="guitar", harm_pat={"strum": 1}),
    "guitar": S(harm="guitar", lead="guitar"),
    "electric guitar": S(harm="dist_guitar", lead="dist_guitar"),
    "shredding guitar": S(lead="dist_guitar", lead_level=0.8, lead_density=1.0),
    "slide guitar": S(lead="guitar", vibrato=0.7),
    "glockenspiel": S(lead="glockenspiel", register=0.7),
    "hang drum": S(lead="hang", harm="hang"),
    "harp": S(harm="harp", lead="harp", harm_pat={"arp": 1}),
    "lyre": S(harm="harp", lead="harp"),
    "harmonica": S(lead="harmonica", lead_level=0.6),
    "hurdy-gurdy": S(lead="bagpipes", harm="accordion", drone=0.6),
    "kalimba": S(lead="kalimba", harm="kalimba", harm_pat={"arp": 1}),
    "mbira": S(lead="kalimba", harm="kalimba", harm_pat={"arp": 1}),
    "koto": S(lead="nylon", harm="harp"),
    "shamisen": S(lead="bright_pluck", harm="bright_pluck"),
    "pipa": S(lead="bright_pluck", harm="nylon"),
    "marimba": S(lead="marimba", harm="marimba", harm_pat={"arp": 1}),
    "mellotron": S(harm="mellotron", lead="mellotron"),
    "metallic twang": S(lead="bright_pluck", saturation=0.3),
    "ocarina": S(lead="flute", register=0.65),
    "flute": S(lead="flute", lead_level=0.6),
    "woodwinds": S(lead="flute", harm="clarinet"),
    "persian tar": S(lead="sitar", harm="bright_pluck"),
    "sitar": S(lead="sitar", harm="sitar", drone=0.4),
    "piano": S(harm="piano", lead="piano"),
    "ragtime piano": S(harm="piano", lead="piano", harm_pat={"skank": 1}, bass_pat={"octave": 1}, swing=0.3),
    "smooth pianos": S(harm="piano", lead="piano", harm_pat={"pad": 0.5, "arp": 0.5}, ext=0.8),
    "rhodes piano": S(harm="rhodes", lead="rhodes"),
    "organ": S(harm="organ"),
    "steel drum": S(lead="steel_drum", harm="steel_drum"),
    "trumpet": S(lead="trumpet", lead_level=0.65),
    "brass section": S(harm="brass", lead="brass"),
    "tuba": S(bass="tuba", bass_pat={"octave": 1}),
    "vibraphone": S(lead="vibraphone", harm="vibraphone"),
    "bells": S(lead="bell"),
    "choir": S(harm="choir", vocal=0.7),
    "vocals": S(lead="voice", vocal=1.0),
    "chiptune synth": S(lead="chip", harm="chip"),
}

MOODS: dict[str, dict[str, float]] = {
    "acoustic instruments": S(kit="acoustic", harm="guitar", lead="flute"),
    "bright tones": S(brightness=0.85, register=0.7),
    "chill": S(energy=0.3, density=0.35, brightness=0.4, reverb=0.45),
    "crunchy distortion": S(saturation=0.7, kit_drive=0.6),
    "danceable": S(energy=0.8, groove={"four": 1}, drums=1.0),
    "dreamy": S(reverb=0.75, delay=0.35, brightness=0.4, energy=0.3, soft_attack=0.6),
    "echo": S(delay=0.8),
    "emotional": S(prog={"minor": 1}, energy=0.45, reverb=0.5),
    "ethereal ambience": S(reverb=0.95, energy=0.15, density=0.2, drums=0.0, harm="pad", vocal=0.3, drone=0.4),
    "experimental": S(glitch=0.6, harm="buchla", phaser=0.3),
    "fat beats": S(drums=1.0, kit_kick_decay=0.7, kit_drive=0.4, energy=0.75),
    "funky": S(bass_pat={"funk": 1}, harm_pat={"comp": 1}, swing=0.2),
    "glitchy effects": S(glitch=1.0),
    "huge drop": S(energy=1.0, bass_level=1.0, kit_kick_decay=0.8, density=0.8),
    "live performance": S(kit="acoustic", swing=0.1),
    "lo-fi": S(lofi=0.8, vinyl=0.6, brightness=0.25),
    "ominous drone": S(drone=1.0, prog={"minor": 1}, brightness=0.25, energy=0.25, bass="drone"),
    "psychedelic": S(phaser=0.7, delay=0.5, reverb=0.5),
    "rich orchestration": S(harm="strings", lead="brass", bass="cello", reverb=0.5),
    "saturated tones": S(saturation=0.5, kit_drive=0.4),
    "subdued melody": S(lead_level=0.25, lead_density=0.25, energy=0.3),
    "sustained chords": S(harm_pat={"pad": 1}, sustain_hold=0.9),
    "swirling phasers": S(phaser=1.0),
    "tight groove": S(swing=0.0, energy=0.7, kit_kick_decay=0.2),
    "unsettling": S(prog={"modal": 1}, drone=0.6, glitch=0.3),
    "upbeat": S(energy=0.8, bpm=128, prog={"pop": 1}, brightness=0.65),
    "virtuoso": S(lead_level=0.8, lead_density=1.0),
    "swing": S(swing=0.6, groove={"shuffle": 1}),
    "vinyl crackle": S(vinyl=0.9, lofi=0.5),
    "weird noises": S(glitch=0.7, lead="buchla"),
    "dark": S(brightness=0.2, prog={"minor": 1}),
    "happy": S(prog={"pop": 1}, brightness=0.65, energy=0.65),
    "sad": S(prog={"minor": 1}, energy=0.3, bpm=80),
    "energetic": S(energy=0.95, density=0.75),
    "calm": S(energy=0.2, density=0.25),
    "relaxing": S(energy=0.2, density=0.25, reverb=0.5),
    "aggressive": S(energy=1.0, kit_drive=0.6, saturation=0.5),
    "epic": S(harm="strings", lead="brass", reverb=0.6, energy=0.8),
    "minimal": S(density=0.3, lead_level=0.2),
    "groovy": S(swing=0.25, bass_pat={"funk": 1}),
    "warm": S(brightness=0.35),
    "mellow": S(brightness=0.3, energy=0.3),
    "fast": S(bpm=160),
    "slow": S(bpm=72),
    "heavy": S(kit="heavy", energy=0.9),
    "jazzy": S(prog={"jazz": 1}, ext=1.0, swing=0.3),
    "retro": S(lofi=0.4),
    "cinematic": S(harm="strings", reverb=0.6),
    "spacey": S(reverb=0.7, delay=0.5, lead="space_synth"),
    "atmospheric": S(reverb=0.75, drone=0.4),
}

#: Other spellings and synonyms, mapped to the term they mean.
ALIASES: dict[str, str] = {
    "dnb": "drum and bass", "d&b": "drum and bass", "drum n bass": "drum and bass", "drum & bass": "drum and bass",
    "drum'n'bass": "drum and bass", "drumnbass": "drum and bass", "liquid funk": "drum and bass",
    "lofi": "lo-fi", "lo fi": "lo-fi", "lofi hip hop": "lo-fi hip hop", "lo fi hip hop": "lo-fi hip hop",
    "lo-fi hiphop": "lo-fi hip hop", "chillhop": "lo-fi hip hop", "hiphop": "hip hop", "hip-hop": "hip hop", "rap": "hip hop",
    "boom bap": "hip hop", "trap": "trap beat", "808": "808 hip hop beat", "tr-808": "808 hip hop beat", "tr808": "808 hip hop beat",
    "909": "tr-909 drum machine", "tr909": "tr-909 drum machine", "drum machine": "tr-909 drum machine",
    "303": "303 acid bass", "tb-303": "303 acid bass", "acid bass": "303 acid bass", "acid": "acid house",
    "rhodes": "rhodes piano", "electric piano": "rhodes piano", "wurlitzer": "rhodes piano", "ep": "rhodes piano",
    "sax": "alto saxophone", "saxophone": "alto saxophone", "tenor sax": "alto saxophone", "alto sax": "alto saxophone",
    "bari sax": "baritone saxophone", "moog": "moog oscillations", "buchla": "buchla synths", "pads": "synth pads",
    "pad": "synth pads", "synth pad": "synth pads", "synths": "spacey synths", "synth": "spacey synths", "synthesizer": "spacey synths",
    "violins": "strings", "string section": "strings", "orchestra": "orchestral score", "orchestral": "orchestral score",
    "film score": "orchestral score", "score": "orchestral score", "viola": "viola ensemble", "violas": "viola ensemble",
    "steel drums": "steel drum", "steelpan": "steel drum", "steel pan": "steel drum", "handpan": "hang drum", "hang": "hang drum",
    "conga": "conga drums", "congas": "conga drums", "bongo": "bongos", "shaker": "maracas", "tr 909": "tr-909 drum machine",
    "house music": "house", "deep-house": "deep house", "tech house": "house", "progressive house": "house",
    "trance music": "trance", "psy trance": "psytrance", "psy-trance": "psytrance", "goa": "psytrance",
    "trip-hop": "trip hop", "triphop": "trip hop", "dub step": "dubstep", "brostep": "dubstep", "riddim": "dubstep",
    "break beat": "breakbeat", "breaks": "breakbeat", "big beat": "breakbeat", "uk garage": "breakbeat", "2-step": "breakbeat",
    "electro-swing": "electro swing", "synth pop": "synthpop", "synth-pop": "synthpop", "new wave": "synthpop",
    "retrowave": "synthwave", "outrun": "synthwave", "vapor wave": "vaporwave", "chip tune": "chiptune", "8-bit": "chiptune",
    "8 bit": "chiptune", "8bit": "chiptune", "video game": "chiptune", "neo soul": "neo-soul", "neosoul": "neo-soul", "soul": "neo-soul",
    "rnb": "r&b", "r and b": "r&b", "rhythm and blues": "r&b", "gfunk": "g-funk", "g funk": "g-funk",
    "reggaetón": "reggaeton", "dembow": "reggaeton", "afro beat": "afrobeat", "afrobeats": "afrobeat", "afro": "afrobeat",
    "bossanova": "bossa nova", "bossa": "bossa nova", "samba": "bossa nova", "latin": "latin jazz", "mambo": "salsa",
    "swung": "swing", "swing feel": "swing", "bebop": "jazz", "big band": "jazz", "smooth jazz": "jazz fusion", "fusion": "jazz fusion",
    "blues": "blues rock", "country": "alternative country", "americana": "alternative country", "folk": "indie folk",
    "celtic": "celtic folk", "irish": "irish folk", "punk": "garage rock", "indie rock": "garage rock", "grunge": "garage rock",
    "heavy metal": "metal", "jazz piano trio": "jazz trio", "piano trio": "jazz trio", "psychedelic rock": "60s psychedelic rock", "psych rock": "60s psychedelic rock",
    "classic": "classical", "symphonic": "orchestral score", "chamber music": "classical", "baroque music": "baroque",
    "medieval": "renaissance music", "renaissance": "renaissance music", "raga": "indian classical", "indian": "indian classical",
    "hindustani": "indian classical", "baul": "bengal baul", "punjabi": "bhangra", "chill out": "chillout", "chill-out": "chillout",
    "downtempo": "chillout", "lounge": "chillout", "ambient music": "ambient", "drone": "ominous drone", "dub": "jamaican dub",
    "roots reggae": "reggae", "dancehall": "reggae", "rocksteady": "ska", "grime music": "grime", "glitch": "glitchy effects",
    "idm": "glitch hop", "electronic": "indie electronic", "electronica": "indie electronic", "edm music": "edm",
    "electro": "edm", "big room": "edm", "festival": "edm", "ballad": "piano ballad", "marching": "marching band",
    "brass band": "marching band", "brass": "brass section", "horns": "brass section", "horn section": "brass section",
    "trumpets": "trumpet", "keys": "piano", "grand piano": "piano", "upright piano": "piano", "keyboard": "piano",
    "harmonium": "accordion", "bandoneon": "accordion", "concertina": "accordion", "guitars": "guitar",
    "nylon guitar": "flamenco guitar", "spanish guitar": "flamenco guitar", "classical guitar": "flamenco guitar",
    "distorted guitar": "electric guitar", "power chords": "electric guitar", "bass": "bass guitar", "electric bass": "bass guitar",
    "double bass": "upright bass", "contrabass": "upright bass", "vibes": "vibraphone", "xylophone": "marimba",
    "glock": "glockenspiel", "celesta": "glockenspiel", "music box": "glockenspiel", "thumb piano": "kalimba",
    "violoncello": "cello", "fiddles": "fiddle", "flutes": "flute", "pan flute": "flute", "recorder": "flute", "whistle": "flute",
    "oboe": "woodwinds", "bassoon": "woodwinds", "voice": "vocals", "vocal": "vocals", "singing": "vocals", "singer": "vocals",
    "vocal chops": "vocals", "choral": "choir", "chorus": "choir", "humming": "choir", "aahs": "choir", "oohs": "choir",
    "chimes": "bells", "bell": "bells", "tubular bells": "bells", "drums": "funk drums", "drum kit": "funk drums",
    "percussion": "conga drums", "hand drums": "djembe", "tablas": "tabla", "organ music": "organ", "hammond": "organ",
    "b3": "organ", "church organ": "organ", "moog bass": "moog oscillations", "analog synth": "moog oscillations",
    "modular": "buchla synths", "modular synth": "buchla synths", "arpeggiator": "buchla synths", "fm synth": "buchla synths",
    "supersaws": "supersaw", "lush": "dreamy", "dreamlike": "dreamy", "ethereal": "ethereal ambience", "spooky": "unsettling",
    "creepy": "unsettling", "eerie": "unsettling", "scary": "unsettling", "horror": "unsettling", "tense": "unsettling",
    "ominous": "ominous drone", "bright": "bright tones", "sparkly": "bright tones", "shimmering": "bright tones",
    "chilled": "chill", "laid back": "chill", "laid-back": "chill", "relaxed": "relaxing", "peaceful": "calm", "serene": "calm",
    "meditative": "calm", "meditation": "calm", "sleep": "calm", "study": "lo-fi hip hop", "focus": "minimal",
    "distortion": "crunchy distortion", "distorted": "crunchy distortion", "crunchy": "crunchy distortion", "gritty": "saturated tones",
    "saturated": "saturated tones", "dance": "danceable", "party": "danceable", "club": "danceable", "uplifting": "upbeat",
    "joyful": "happy", "cheerful": "happy", "melancholic": "sad", "melancholy": "sad", "somber": "sad", "nostalgic": "retro",
    "vintage": "retro", "moody": "dark", "gloomy": "dark", "phaser": "swirling phasers", "phasers": "swirling phasers",
    "swirling": "swirling phasers", "delay": "echo", "echoes": "echo", "reverb": "atmospheric", "space": "spacey",
    "cosmic": "spacey", "futuristic": "spacey", "sci-fi": "spacey", "drop": "huge drop", "bass drop": "huge drop",
    "fat": "fat beats", "punchy": "fat beats", "tight": "tight groove", "groove": "groovy", "funk music": "funk",
    "live": "live performance", "acoustic": "acoustic instruments", "unplugged": "acoustic instruments",
    "orchestration": "rich orchestration", "virtuosic": "virtuoso", "solo": "virtuoso", "noise": "weird noises",
    "noisy": "weird noises", "weird": "weird noises", "strange": "experimental", "avant-garde": "experimental",
    "sustained": "sustained chords", "soft": "mellow", "gentle": "mellow", "intense": "aggressive", "angry": "aggressive",
    "powerful": "epic", "heroic": "epic", "trailer": "epic", "movie": "cinematic", "film": "cinematic", "hypnotic": "minimal",
    "motown": "neo-soul", "gospel": "choir", "latin pop": "reggaeton", "k-pop": "pop", "kpop": "pop", "j-pop": "pop", "pop music": "pop",
    "rock music": "rock", "hard rock": "classic rock", "emo": "post-punk", "goth": "post-punk", "darkwave": "post-punk",
    "dream pop": "shoegaze", "slowcore": "shoegaze", "vaporware": "vaporwave", "phonk": "trap beat", "drill": "trap beat",
}

_GROUPS = (GENRES, INSTRUMENTS, MOODS)
VOCABULARY: dict[str, dict[str, float]] = {k: v for group in _GROUPS for k, v in group.items()}
#: How strongly each kind of term sets the fields it names, when a prompt holds several terms.
_TERM_WEIGHT = {**{k: 1.0 for k in GENRES}, **{k: 1.6 for k in INSTRUMENTS}, **{k: 1.2 for k in MOODS}}

_STOPWORDS = frozenset(
    "a an the and with of in on some lots lot little bit very really more less plus feat featuring style styled "
    "music song track tune beat beats vibe vibes type like kind sound sounds sounding ish by for to from at into "
    "&amp; n y or but trio quartet quintet band ensemble section player players".split()
)


# --------------------------------------------------------------------------- the style vector


def _defaults() -> np.ndarray:
    vec = np.zeros(len(FIELDS))
    for k, v in _GLOBAL.items():
        vec[INDEX[k]] = v
    for k, v in _DEFAULT_WEIGHTS.items():
        vec[INDEX[k]] = v
    for k, v in {**_kit("909"), **_timbre("synth_bass", "bass"), **_timbre("piano", "harm"), **_timbre("bell", "lead")}.items():
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

    def sounds(self, role: str, most: int = 2) -> list[tuple[Timbre, float]]:
        """The instrument sounds a role plays, with weights summing to 1 (the ``most`` strongest).

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
            tb = _SOUND_TIMBRES[INSTRUMENT_SOUNDS[i]]
            if any(v > 0.02 for v in mods.values()):
                tb = Timbre(**{**tb.__dict__,
                               "drive": max(tb.drive, mods["saturation"]),
                               "attack": tb.attack + 0.6 * mods["soft_attack"],
                               "sustain": max(tb.sustain, mods["sustain_hold"]),
                               "vibrato": max(tb.vibrato, mods["vibrato"])})
            out.append((tb, float(w[i]) / total))
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
            if words[i] not in _STOPWORDS and not words[i].isdigit():
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
        w = w * _TERM_WEIGHT[term]
        if term in GENRES:  # a genre is a whole style: what it leaves out is the default
            total += w * _GENRE_VECTORS[term]
            weight += w
            continue
        for field, value in VOCABULARY[term].items():
            i = INDEX[field]
            total[i] += w * value
            weight[i] += w
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
    vec = DEFAULT_VECTOR.copy()
    for v, strength, w in used:
        vec += np.divide(w * strength, norm, out=np.zeros_like(norm), where=norm > 0) * (v - DEFAULT_VECTOR)
    _clip(vec)
    vec.setflags(write=False)
    return Style(vec), filtered


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
