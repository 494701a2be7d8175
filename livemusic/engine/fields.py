"""The fields of a style vector, and the instrument sounds and drum kits they name.

A style is a vector of named numbers (see :mod:`style`): global numbers (tempo,
energy, effect amounts...), weights of groove, bass, harmony and progression
archetypes, a drum kit's numbers, and a weight per instrument sound for each part.
:func:`S` builds a vocabulary term's values from readable pieces.
"""

from __future__ import annotations

from livemusic.engine.drums import Kit
from livemusic.engine.timbre import Timbre

MAX_PROMPT_CHARS = 200

GROOVES = ("four", "backbeat", "half", "break", "dembow", "bossa", "afro", "trap", "shuffle", "march", "double", "rumba",
           "onedrop", "score")
BASS_PATTERNS = ("root", "pulse", "offbeat", "octave", "walk", "acid", "sub", "funk", "dub", "ostinato")
HARM_PATTERNS = ("pad", "stab", "comp", "skank", "arp", "strum", "chug", "rasgueado")
PROGRESSIONS = ("pop", "minor", "jazz", "vamp", "modal", "phrygian", "mixolydian")
#: The twelve tonal centres a style may prefer (a genre's keys); none preferred: the seed picks the key.
KEYS = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
ROLES = ("bass", "harm", "lead")
KIT_FIELDS = tuple(Kit.__dataclass_fields__)

GLOBAL_DEFAULTS = {
    "bpm": 110.0, "energy": 0.5, "density": 0.5, "brightness": 0.5, "swing": 0.0,
    "ext": 0.3, "harm_rhythm": 0.5, "phrase": 0.5, "register": 0.5,
    "reverb": 0.25, "delay": 0.1, "width": 0.6, "wobble": 0.0, "phaser": 0.0, "pump": 0.0, "lead_driven": 0.0, "power": 0.0, "humanize": 0.0,
    "drone": 0.0, "glitch": 0.0, "vinyl": 0.0, "lofi": 0.0,
    "drums": 0.9, "hats": 0.7, "perc": 0.0, "bass_level": 0.9, "harm_level": 0.7, "lead_level": 0.5,
    "lead_density": 0.5, "arp": 0.2, "vocal": 0.0,
    # modifiers applied to every instrument's sound
    "saturation": 0.0, "soft_attack": 0.0, "sustain_hold": 0.0, "vibrato": 0.0,
}
DEFAULT_WEIGHTS = {"g_backbeat": 1.0, "b_pulse": 0.6, "b_root": 0.4, "h_pad": 0.6, "h_comp": 0.4,
                    "p_pop": 0.5, "p_minor": 0.5}

FIELDS: tuple[str, ...] = (
    tuple(GLOBAL_DEFAULTS)
    + tuple(f"g_{g}" for g in GROOVES)
    + tuple(f"b_{b}" for b in BASS_PATTERNS)
    + tuple(f"h_{h}" for h in HARM_PATTERNS)
    + tuple(f"p_{p}" for p in PROGRESSIONS)
    + tuple(f"key_{k}" for k in KEYS)
    + tuple(f"kit_{k}" for k in KIT_FIELDS)
)


# --------------------------------------------------------------------------- instrument sounds

T = dict  # a timbre is a dict of Timbre fields; missing fields take Timbre's defaults

TIMBRES: dict[str, dict[str, float]] = {
    "pad": T(saw=0.8, detune=0.8, attack=0.5, decay=1.5, sustain=0.85, release=1.2, cutoff=3.0, fenv=0.0, reso=0.1),
    "strings": T(saw=1.0, detune=0.8, ensemble=1.0, breath=0.06, attack=0.45, decay=1.0, sustain=0.9, release=0.8, cutoff=4.5,
                 fenv=0.1, vibrato=0.5, gm=49),
    "cello": T(saw=1.0, attack=0.12, decay=1.0, sustain=0.9, release=0.35, cutoff=4.5, fenv=0.2, vibrato=0.6, breath=0.1, gm=43),
    "rhodes": T(saw=0.0, sine=0.5, fm=1.0, fm_ratio=1.0, fm_index=1.6, attack=0.004, decay=1.4, sustain=0.25, release=0.45),
    "piano": T(saw=0.35, tri=0.6, attack=0.003, decay=1.1, sustain=0.12, release=0.35, cutoff=3.0, fenv=0.9, gm=1),
    "harpsichord": T(saw=0.0, pluck=1.0, square=0.25, decay=0.6, release=0.15, cutoff=12.0),
    "organ": T(saw=0.0, sine=0.8, square=0.3, tri=0.4, attack=0.01, sustain=1.0, release=0.08, cutoff=8.0, fenv=0.0),
    "guitar": T(saw=0.0, pluck=1.0, decay=1.1, release=0.2, cutoff=8.0),
    # acoustic guitars: a plucked string on a wooden body; nylon soft and dark, steel bright and ringing
    "nylon": T(saw=0.0, pluck=1.0, body=0.6, body_hz=105.0, attack=0.004, decay=1.3, sustain=1.0, release=0.25, cutoff=3.0, gm=25),
    "steel": T(saw=0.0, pluck=1.0, body=0.45, body_hz=95.0, attack=0.002, decay=3.5, sustain=1.0, release=0.35, cutoff=16.0, gm=26),
    "bright_pluck": T(saw=0.0, pluck=1.0, decay=0.5, release=0.12, cutoff=12.0, drive=0.1),
    "sitar": T(saw=0.2, pluck=1.0, decay=1.2, release=0.2, cutoff=10.0, drive=0.35, vibrato=0.2),
    "harp": T(saw=0.0, pluck=1.0, sine=0.3, decay=1.3, release=0.4, cutoff=4.0, gm=47),
    "dist_guitar": T(saw=0.8, square=0.5, pluck=0.4, detune=0.3, decay=0.8, sustain=0.7, release=0.12, cutoff=8.0, drive=0.95,
                     cabinet=1.0),
    "marimba": T(saw=0.0, mallet=1.0, mallet_ratio=4.0, decay=0.35, release=0.1),
    "vibraphone": T(saw=0.0, mallet=1.0, mallet_ratio=4.0, decay=1.4, release=0.5, vibrato=0.25),
    "kalimba": T(saw=0.0, mallet=1.0, mallet_ratio=5.4, decay=0.6, release=0.2),
    "glockenspiel": T(saw=0.0, mallet=1.0, mallet_ratio=2.76, decay=0.9, release=0.3),
    "steel_drum": T(saw=0.0, mallet=0.8, mallet_ratio=2.0, fm=0.4, fm_ratio=2.0, fm_index=1.0, decay=0.6, release=0.2),
    "hang": T(saw=0.0, mallet=1.0, mallet_ratio=2.0, sine=0.3, decay=1.2, release=0.4),
    "bell": T(saw=0.0, fm=1.0, fm_ratio=3.5, fm_index=2.5, decay=1.5, sustain=0.0, release=0.8),
    "sax": T(saw=0.6, square=0.3, breath=0.3, vibrato=0.4, attack=0.04, sustain=0.8, cutoff=4.0, fenv=0.3, release=0.12, gm=66),
    "trumpet": T(saw=0.0, brass=1.0, attack=0.05, decay=0.6, sustain=0.85, vibrato=0.3, release=0.1, gm=57),
    "brass": T(saw=0.0, brass=1.0, ensemble=1.0, attack=0.06, decay=0.6, sustain=0.85, vibrato=0.15, release=0.15, gm=62),
    "tuba": T(saw=0.0, brass=1.0, sine=0.4, attack=0.06, decay=0.6, sustain=0.85, release=0.12, cutoff=2.5, fenv=0.0, gm=59),
    "flute": T(saw=0.0, sine=1.0, tri=0.3, breath=0.35, vibrato=0.45, attack=0.06, sustain=0.85, release=0.15, gm=74),
    "clarinet": T(saw=0.0, square=0.8, sine=0.3, breath=0.15, attack=0.04, sustain=0.85, cutoff=3.5, release=0.12, gm=72),
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
    "upright": T(saw=0.0, pluck=1.0, body=0.9, body_hz=65.0, thump=1.0, attack=0.003, decay=0.9, sustain=1.0, release=0.1,
                 cutoff=1.3, gm=33),
    "fm_bass": T(saw=0.0, fm=1.0, fm_ratio=1.0, fm_index=3.0, sine=0.4, decay=0.3, sustain=0.5, release=0.08),
    "wobble": T(saw=1.0, square=0.6, detune=0.5, cutoff=4.0, reso=0.5, fenv=0.2, sustain=0.9, drive=0.6, release=0.05),
    "didgeridoo": T(saw=1.0, cutoff=2.0, reso=0.75, breath=0.2, sustain=1.0, drive=0.2, vibrato=0.2, attack=0.05),
}

KITS: dict[str, dict[str, float]] = {
    "909": dict(kick_hz=52, kick_decay=0.23, kick_click=0.8, kick_sweep=1.0, snare_hz=200, snare_noise=0.8, snare_decay=0.16,
                clap=0.5, hat_decay=0.035, hat_tone=0.5, machine=0.6, drive=0.2),
    "808": dict(kick_hz=46, kick_decay=0.55, kick_click=0.1, kick_sweep=0.25, snare_hz=180, snare_noise=0.5, snare_decay=0.12,
                clap=0.7, hat_decay=0.03, hat_tone=0.45, machine=1.0, cowbell=1.0),
    "acoustic": dict(kick_hz=58, kick_decay=0.25, kick_click=0.5, kick_sweep=0.1, snare_noise=0.7, snare_decay=0.18, clap=0.0,
                     hat_decay=0.05, hat_tone=0.45, acoustic=1.0, room=0.6),
    "lofi": dict(kick_hz=55, kick_decay=0.3, kick_click=0.3, snare_noise=0.6, hat_decay=0.03, hat_tone=0.15, acoustic=0.6,
                 room=0.3, crunch=0.6, drive=0.3),
    "breaks": dict(kick_hz=60, kick_decay=0.2, kick_click=0.8, kick_sweep=0.15, snare_noise=0.7, snare_hz=210, snare_decay=0.12,
                   hat_decay=0.03, hat_tone=0.7, acoustic=1.0, room=0.5, crunch=0.4, drive=0.2),
    "hand": dict(kick_hz=60, kick_decay=0.3, kick_click=0.2, snare_noise=0.4, perc_hz=320, acoustic=1.0, hat_tone=0.4, room=0.4),
    "chip": dict(kick_hz=60, kick_decay=0.15, kick_click=0.9, kick_sweep=0.8, snare_noise=0.95, hat_tone=0.9, hat_decay=0.02,
                 crunch=0.5),
    "heavy": dict(kick_hz=50, kick_decay=0.3, kick_click=1.0, snare_noise=0.7, snare_hz=180, drive=0.6, acoustic=0.5),
}


INSTRUMENT_SOUNDS = tuple(TIMBRES)
#: One weight per role and instrument sound: a style plays a weighted blend of sounds
#: (each rendered as designed), never a hybrid of their parameters.
FIELDS = FIELDS + tuple(f"{r}:{t}" for r in ROLES for t in INSTRUMENT_SOUNDS)
INDEX = {name: i for i, name in enumerate(FIELDS)}
SOUND_TIMBRES = {name: Timbre(**{**Timbre().__dict__, **values}) for name, values in TIMBRES.items()}


def timbre_values(name: str, role: str) -> dict[str, float]:
    return {f"{role}:{t}": float(t == name) for t in INSTRUMENT_SOUNDS}


def kit_values(name: str) -> dict[str, float]:
    return {f"kit_{k}": float(v) for k, v in named_kit(name).__dict__.items()}


def _weights(prefix: str, names: tuple[str, ...], given: dict[str, float]) -> dict[str, float]:
    unknown = set(given) - set(names)
    if unknown:
        raise ValueError(f"unknown {prefix} names {unknown}")
    return {f"{prefix}_{n}": float(given.get(n, 0.0)) for n in names}


def _style(*, groove=None, bass_pat=None, harm_pat=None, prog=None, keys=None, kit=None,
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
    if keys is not None:
        out.update(_weights("key", KEYS, keys))
    if kit is not None:
        out.update(kit_values(kit))
    for role, name in (("bass", bass), ("harm", harm), ("lead", lead)):
        if name is not None:
            out.update(timbre_values(name, role))
    for key, value in numbers.items():
        if key not in INDEX:
            raise ValueError(f"unknown style field {key!r}")
        out[key] = float(value)
    return out


S = _style


def named_kit(name: str) -> Kit:
    """The drum kit ``name`` of :data:`KITS`, its other numbers at their defaults."""
    return Kit(**{**Kit().__dict__, **KITS[name]})
