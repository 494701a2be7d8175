"""Brass: a lip-buzz source whose spectrum brightens as it is played louder, a section of players.

A brass player's lips are driven harder by a stronger breath: the louder the note,
the more its upper harmonics grow (the brassy "blare"), and they come in a little
after the fundamental as the note speaks. The bell radiates the upper harmonics and
the bore favours a band around 1-1.5 kHz (a formant). So a note crossfades from a
soft spectrum to a bright one as its brightness envelope blooms, scaled by velocity.
The pitch starts a little flat and settles (the lips lock onto the bore's resonance).
A section is several players a few cents and milliseconds apart.
"""

from __future__ import annotations

import numpy as np

from livemusic.engine.dsp import F32, exp_decay
from livemusic.engine.filters import biquad_at
from livemusic.engine.oscillators import Wavetable, cycles, fixed_point

#: Players of a section: (detune in cents, onset delay in seconds, starting phase in cycles, level).
#: The first leads; the others, softer, thicken the sound without cancelling it where they beat.
SECTION = ((0.0, 0.0, 0.0, 1.0), (-6.0, 0.011, 0.37, 0.5), (5.0, 0.019, 0.61, 0.45), (-2.5, 0.006, 0.83, 0.4))

#: Each player's harmonics at their own phases (fixed, for reproducible output): the players'
#: harmonics then beat independently, rather than the whole note swelling and fading at once.
_PHASES = np.exp(2j * np.pi * np.random.default_rng(0xB7A55).random((len(SECTION), 4096)))
_PHASES[0] = 1.0

#: How long the brightness takes to bloom after the attack, and how far it settles back (0..1).
_BLOOM = 0.07
_SETTLE = 0.15


def brass_harmonics(f0: float, sr: float, loudness: float, bright: float) -> np.ndarray:
    """Sine amplitudes of harmonics ``0..count`` of a lip-buzz at ``loudness`` (0 soft .. 1 blaring).

    The harmonics fall off as ``k ** -slope``, the slope shrinking with loudness, times
    a bore formant near 1.2 kHz, a gentle roll-off of the fundamental and of what lies above 5 kHz.
    """
    count = max(int(0.45 * sr / f0), 1)
    k = np.arange(count + 1, dtype=np.float64)
    k[0] = 1.0
    slope = 3.0 - 2.4 * loudness - 0.8 * (bright - 0.5)
    amps = k ** -max(slope, 0.6)
    freqs = k * f0
    formant = 1.0 + 1.5 * np.abs(biquad_at("bp", 1200.0, 1.2, sr, freqs))
    bell = np.abs(biquad_at("hp", 0.8 * f0, 0.6, sr, freqs))  # the lowest harmonic radiates least
    bell *= np.abs(biquad_at("lp", 5000.0, 0.6, sr, freqs))  # and little passes above some 5 kHz
    out = amps * formant * bell
    out[0] = 0.0
    return out / np.abs(out).max()


def brass_voice(f0: float, n: int, sr: float, vel: float, bright: float, players: int,
                wobble: np.ndarray | None) -> np.ndarray:
    """``n`` samples of brass at ``f0``: one player, or ``players`` of a section, summed (peak about ``players``).

    ``vel`` (0..1) sets how bright the note blooms; ``wobble`` multiplies the frequency (vibrato).
    """
    quiet = brass_harmonics(f0, sr, 0.15 * vel, bright)
    blare = brass_harmonics(f0, sr, vel, bright) - quiet  # what the bloom adds
    m = min(n, int(24 * _BLOOM * sr))
    bloom = np.full(n, F32(1.0 - _SETTLE), F32)  # bright at the onset, then settling back a little
    bloom[:m] = (F32(1.0) - exp_decay(m, _BLOOM, sr)) * (F32(1.0 - _SETTLE) + F32(_SETTLE) * exp_decay(m, 3 * _BLOOM, sr))
    scoop = F32(1.0) - F32(0.012) * exp_decay(n, 0.035, sr)  # starts some 20 cents flat
    bend = scoop if wobble is None else scoop * wobble
    out = np.zeros(n, F32)
    for player, (cents, delay, start, level) in enumerate(SECTION[:max(players, 1)]):
        turn = _PHASES[player, :len(quiet)] * level
        soft, loud = Wavetable(quiet * turn), Wavetable(blare * turn)
        lag = min(int(delay * sr), n)
        idx, frac = fixed_point(cycles(n - lag, f0 * 2.0 ** (cents / 1200.0), sr, bend[:n - lag], start), soft.shift)
        part = soft.read_at(idx, frac)
        part += bloom[:n - lag] * loud.read_at(idx, frac)
        out[lag:] += part
    return out
