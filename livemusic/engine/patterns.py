"""Patterns the composer draws on: drum grooves, bass and harmony rhythms, chord progressions.

Each groove is a grid of hit probabilities per drum and 16th step; bass and harmony
archetypes are onset probabilities per step with a note length; progressions are
major-scale degrees. Styles weight them by name (see :mod:`style`).
"""

from __future__ import annotations

import numpy as np

MAJOR = (0, 2, 4, 5, 7, 9, 11)
STEPS = 16

DRUMS = ("kick", "snare", "hat", "ohat", "perc", "perc2", "shaker", "rim", "ride")
DRUM_INDEX = {name: i for i, name in enumerate(DRUMS)}


def _pattern(**hits: dict[int, float]) -> np.ndarray:
    grid = np.zeros((len(DRUMS), STEPS))
    for name, steps in hits.items():
        for step, p in steps.items():
            grid[DRUM_INDEX[name], step] = p
    return grid


def _every(start: int, stride: int, p: float) -> dict[int, float]:
    return {s: p for s in range(start, STEPS, stride)}


#: Hit probabilities per drum and 16th step for each groove archetype.
GROOVE_TEMPLATES: dict[str, np.ndarray] = {
    "four": _pattern(kick=_every(0, 4, 1.0) | {14: 0.1}, snare={4: 0.9, 12: 0.9}, hat={**_every(0, 1, 0.3), **_every(2, 4, 1.0)},
                     ohat=_every(2, 4, 0.35), shaker=_every(1, 2, 0.3), perc={7: 0.2, 10: 0.25}, perc2={3: 0.15, 13: 0.2}),
    "backbeat": _pattern(kick={0: 1.0, 8: 1.0, 10: 0.45, 7: 0.2, 3: 0.1}, snare={4: 1.0, 12: 1.0, 15: 0.1},
                         hat={**_every(0, 2, 1.0), **_every(1, 2, 0.25)}, ohat={14: 0.2}, perc={6: 0.1}),
    "half": _pattern(kick={0: 1.0, 3: 0.3, 10: 0.6, 11: 0.2}, snare={8: 1.0, 15: 0.15},
                     hat={**_every(0, 2, 0.95), **_every(1, 2, 0.2)}, rim={4: 0.2, 12: 0.3}, shaker=_every(2, 4, 0.3)),
    "break": _pattern(kick={0: 1.0, 10: 1.0, 7: 0.3, 2: 0.15}, snare={4: 1.0, 12: 1.0, 9: 0.3, 14: 0.25},
                      hat={**_every(0, 2, 1.0), **_every(1, 2, 0.5)}, ride=_every(0, 4, 0.2), ohat={6: 0.2}),
    "dembow": _pattern(kick=_every(0, 4, 1.0), snare={3: 1.0, 6: 0.9, 11: 1.0, 14: 0.9}, hat=_every(0, 2, 0.9),
                       perc={2: 0.3, 10: 0.3}, shaker=_every(1, 2, 0.3)),
    "bossa": _pattern(kick={0: 1.0, 3: 0.8, 8: 1.0, 11: 0.8}, rim={0: 0.9, 3: 0.9, 6: 0.9, 10: 0.9, 13: 0.9},
                      shaker={**_every(0, 1, 0.6), **_every(0, 4, 1.0)}, hat=_every(2, 4, 0.3)),
    "afro": _pattern(kick={0: 1.0, 6: 0.6, 10: 0.8}, snare={4: 0.6, 12: 0.7}, hat=_every(0, 2, 0.8),
                     perc={0: 0.8, 3: 0.7, 6: 0.6, 10: 0.7, 14: 0.5}, perc2={2: 0.6, 7: 0.5, 11: 0.6, 15: 0.4},
                     shaker=_every(0, 1, 0.7), ohat={14: 0.4}),
    "trap": _pattern(kick={0: 1.0, 7: 0.5, 10: 0.8, 3: 0.2}, snare={8: 1.0}, hat={**_every(0, 1, 0.9)},
                     ohat={6: 0.2, 14: 0.3}, perc={12: 0.2}),
    "shuffle": _pattern(kick={0: 0.9, 8: 0.6, 11: 0.2}, snare={4: 0.6, 12: 0.7, 7: 0.2, 15: 0.2}, hat={4: 0.8, 12: 0.8},
                        ride={0: 1.0, 4: 1.0, 6: 0.8, 8: 1.0, 12: 1.0, 14: 0.8}),
    # metal: double kick on every 16th, a heavy backbeat, crash-ride on the quarters
    "double": _pattern(kick=_every(0, 1, 0.92), snare={4: 1.0, 12: 1.0}, ride=_every(0, 4, 0.9), hat=_every(2, 4, 0.3)),
    # flamenco rumba: cajon bass and slap, palmas (hand claps, on the rim voice) on the off-beats
    "rumba": _pattern(kick={0: 1.0, 3: 0.7, 8: 0.9, 11: 0.6}, snare={4: 0.9, 12: 0.9, 14: 0.35, 7: 0.2},
                      rim={2: 0.85, 6: 0.85, 10: 0.85, 14: 0.85, 0: 0.3}, shaker=_every(1, 2, 0.25)),
    # reggae's one drop: nothing on the one; kick and cross-stick together on beat 3, hats on the 8ths
    "onedrop": _pattern(kick={8: 1.0}, rim={8: 1.0, 14: 0.2}, hat={**_every(0, 2, 0.95), **_every(1, 2, 0.15)},
                        ohat={6: 0.25}, perc={15: 0.1}),
    # a film score's percussion: bass drum and timpani (the toms) on the strong beats, no backbeat
    "score": _pattern(kick={0: 1.0, 8: 0.8, 15: 0.3}, perc={0: 0.5, 4: 0.3, 8: 0.5, 12: 0.3}),
    "march": _pattern(kick={0: 1.0, 8: 0.9}, snare={4: 0.9, 12: 0.9, 6: 0.4, 7: 0.3, 14: 0.5, 15: 0.4},
                      hat=_every(0, 4, 0.4), ride=_every(0, 4, 0.2)),
}
#: Where extra hits may appear when density goes up (per drum, per step).
EXTRA_HITS = _pattern(kick={6: 0.25, 14: 0.3}, snare={7: 0.2, 15: 0.3, 10: 0.15}, hat=_every(0, 1, 0.9), shaker=_every(0, 1, 0.7),
                  perc={3: 0.4, 11: 0.4, 14: 0.3}, perc2={5: 0.3, 9: 0.3}, ohat={6: 0.2})
HATS = [DRUM_INDEX[n] for n in ("hat", "ohat", "shaker", "ride")]
PERC = [DRUM_INDEX[n] for n in ("perc", "perc2")]
BACKBONE = [DRUM_INDEX[n] for n in ("kick", "snare")]
ACCENT = np.array([1.0, 0.55, 0.7, 0.55, 0.9, 0.55, 0.7, 0.55, 0.95, 0.55, 0.7, 0.55, 0.9, 0.55, 0.7, 0.6])
DRUM_GAIN = {"kick": 0.55, "snare": 0.55, "hat": 0.42, "ohat": 0.36, "perc": 0.45, "perc2": 0.4, "shaker": 0.3,
              "rim": 0.35, "ride": 0.3, "tom": 0.5, "crash": 0.3, "clap": 0.55}
DRUM_PAN = {"kick": 0.0, "snare": 0.05, "hat": 0.4, "ohat": 0.45, "perc": -0.55, "perc2": 0.6, "shaker": -0.45,
             "rim": -0.3, "ride": -0.45, "tom": -0.3, "crash": 0.3, "clap": 0.0}


def _steps(d: dict[int, float]) -> np.ndarray:
    a = np.zeros(STEPS)
    for k, v in d.items():
        a[k] = v
    return a


#: Onset probabilities per step and note length (in steps; 0 = until the next note) per bass archetype.
BASS_TEMPLATES = {
    "root": (_steps({0: 1.0, 8: 0.5, 14: 0.15}), 0),
    "pulse": (_steps(_every(0, 2, 1.0) | _every(1, 2, 0.1)), 1.6),
    "offbeat": (_steps(_every(2, 4, 1.0) | {3: 0.2, 11: 0.2}), 1.5),
    "octave": (_steps(_every(0, 2, 1.0)), 1.5),
    "walk": (_steps(_every(0, 4, 1.0) | {14: 0.2}), 3.6),
    "acid": (_steps(_every(0, 1, 0.62) | _every(0, 4, 1.0)), 0.9),
    "sub": (_steps({0: 1.0, 7: 0.5, 10: 0.8, 3: 0.2}), 0),
    "funk": (_steps({0: 1.0, 3: 0.6, 6: 0.6, 7: 0.35, 10: 0.7, 11: 0.3, 14: 0.45}), 1.2),
    "dub": (_steps({2: 0.9, 3: 0.6, 6: 0.9, 8: 0.4, 10: 0.9, 13: 0.4}), 1.8),
    # a film score's low-string ostinato: a gallop on every beat (an 8th and two 16ths)
    "ostinato": (_steps(_every(0, 4, 1.0) | _every(2, 4, 1.0) | _every(3, 4, 0.9)), 0.9),
}
#: Onset probabilities per step and chord length (steps; 0 = whole chord) per harmony archetype.
HARM_TEMPLATES = {
    "pad": (_steps({0: 1.0}), 0),
    "stab": (_steps({0: 0.3, 3: 0.8, 6: 0.5, 10: 0.8, 14: 0.4}), 1.0),
    "comp": (_steps({0: 0.8, 3: 0.55, 6: 0.6, 8: 0.4, 11: 0.6, 14: 0.45}), 1.8),
    "skank": (_steps(_every(2, 4, 1.0)), 0.9),
    "strum": (_steps({0: 1.0, 4: 0.5, 6: 0.7, 8: 0.5, 10: 0.7, 12: 0.5, 14: 0.4}), 2.0),
    "arp": (_steps({}), 1.0),
    # palm-muted power-chord chugs on the 8ths (16ths as density rises), short and tight
    "chug": (_steps(_every(0, 2, 1.0) | _every(1, 2, 0.3)), 0.6),
    # rasgueado: flurries of strums, down and up, accents on the beats
    "rasgueado": (_steps({0: 1.0, 2: 0.7, 3: 0.8, 4: 0.6, 6: 0.9, 8: 1.0, 10: 0.7, 11: 0.8, 12: 0.6, 14: 0.9}), 1.4),
}
#: Chord progressions as major-scale degrees (0 = I ... 5 = vi), one chord per slot.
PROGRESSION_BANK = {
    "pop": ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 4, 3), (3, 4, 0, 0), (0, 3, 5, 4), (0, 2, 3, 4)),
    "minor": ((5, 3, 0, 4), (5, 4, 3, 4), (5, 3, 4, 5), (5, 1, 2, 5), (5, 5, 3, 4), (5, 2, 3, 1)),
    "jazz": ((1, 4, 0, 0), (1, 4, 0, 5), (0, 5, 1, 4), (2, 5, 1, 4), (3, 2, 1, 0)),
    "vamp": ((5, 5, 5, 5), (5, 5, 3, 3), (5, 5, 5, 4), (1, 1, 1, 1)),
    "modal": ((1, 4, 1, 4), (4, 3, 4, 3), (1, 1, 0, 0), (5, 6, 5, 6), (2, 1, 2, 1)),
    # Phrygian (centre on the 3rd degree): the Andalusian cadence down to it, and the I-bII sway
    "phrygian": ((5, 4, 3, 2), (2, 3, 2, 3), (2, 3, 4, 3), (5, 4, 3, 2, 2, 3, 2, 2)),
    # Mixolydian (centre on the 5th degree): I-bVII-IV-I
    "mixolydian": ((4, 3, 0, 4), (4, 4, 3, 3), (4, 0, 3, 4)),
}
#: Where a progression family puts the mode's centre (default: its first chord).
MODE_CENTRE = {"phrygian": 2, "mixolydian": 4}
#: The degree a family's progressions mostly centre on (major, Aeolian, Dorian...): a genre's key names it.
FAMILY_CENTRE = {"pop": 0, "minor": 5, "jazz": 0, "vamp": 5, "modal": 1, **MODE_CENTRE}
