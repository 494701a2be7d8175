"""Pitched notes: a :class:`Timbre`'s voices (oscillators, FM, plucks, mallets, breath, voice) mixed and shaped.

Notes are rendered whole (attack to end of release) when they start and cached,
because music repeats: the same pitch, length and timbre cost one synthesis. All
audio is float32, mono per note; stereo comes from panning when notes are mixed.
Dark notes are rendered at a lower rate. Drums live in :mod:`drums`, effects and
the master bus in :mod:`effects`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from livemusic.engine.brass import SECTION, brass_voice
from livemusic.engine.dsp import F32, TWO_PI, exp_decay, fade_out, finish, midi_hz, upsample
from livemusic.engine.filters import biquad_at, colored_noise, filt
from livemusic.engine.oscillators import Wavetable, cycles, fixed_point, saw_harmonics, sine
from livemusic.engine.plucked import body_resonance, karplus_strong, pluck_brightness
from livemusic.engine.timbre import Timbre


_VOWELS = {  # formant frequencies (Hz) and bandwidths of sung vowels
    "a": ((800, 80), (1150, 90), (2900, 120)),
    "o": ((450, 70), (800, 80), (2830, 100)),
    "u": ((325, 50), (700, 60), (2530, 170)),
    "e": ((400, 60), (1700, 90), (2600, 100)),
}


def _envelope(n_on: int, n: int, sr: float, tb: Timbre) -> np.ndarray:
    """Attack (linear), decay (exponential) to sustain, release (exponential) after ``n_on``.

    Read-only: notes of one length class share it.
    """
    return _adsr(n_on, n, sr, tb.attack, tb.decay, tb.sustain, tb.release)


@lru_cache(maxsize=32)
def _adsr(n_on: int, n: int, sr: float, attack: float, decay: float, sustain: float, release: float) -> np.ndarray:
    sus = min(max(sustain, 0.0), 1.0)
    env = np.full(n, sus, F32)
    na = max(int(max(attack, 0.0015) * sr), 1)
    nd = min(n, na + int(max(decay, 0.01) * 7.0 * sr))
    if nd > na:
        env[na:nd] += F32(1.0 - sus) * exp_decay(nd - na, max(decay, 0.01), sr)
    env[:min(na, n)] = np.arange(min(na, n), dtype=F32) * F32(1.0 / na)
    if n > n_on:
        env[n_on:] *= exp_decay(n - n_on, max(release, 0.01) / 4.6, sr)
    fade_out(env)
    env.setflags(write=False)
    return env


def _top_frequency(tb: Timbre, f0: float, bright: float, vel: float) -> float:
    """Roughly the highest frequency a note of this timbre puts out."""
    top = f0
    brightmul = 2.0 ** ((bright - 0.5) * 3.0) * (0.6 + 0.6 * vel)
    if tb.sine + tb.tri + tb.saw + tb.square > 0.02:
        top = max(top, f0 * max(tb.cutoff, 0.5) * brightmul * (1.0 + 6.0 * tb.fenv) * 2.0)
    if tb.fm > 0.02:
        top = max(top, f0 * (tb.fm_ratio * (tb.fm_index * 1.5 + 2.0) + 1.0))
    if tb.mallet > 0.02:
        top = max(top, f0 * tb.mallet_ratio * 2.6)
    if tb.pluck > 0.02:
        top = max(top, f0 * (1.5 + 40.0 * pluck_brightness(tb, bright, vel) ** 2) * 4.0)
    if tb.brass > 0.02:  # a blaring lip-buzz reaches some 30 harmonics
        top = max(top, f0 * (8.0 + 24.0 * vel))
    if tb.breath > 0.02:  # a band of noise at twice the pitch; -30 dB two octaves up
        top = max(top, min(f0 * 2.0, 6000.0) * 4.0)
    if tb.drive > 0.3:
        top = math.inf  # strong saturation: broadband
    return top


def render_tone(tb: Timbre, midi: float, dur: float, vel: float, bright: float, sr: float, seed: int = 0) -> np.ndarray:
    """One pitched note, attack through release, as mono float32 (peak about ``vel``).

    Notes whose spectrum stays well below a quarter (or an eighth) of the sample
    rate are synthesized at half (or a quarter of) the rate and interpolated up:
    a fraction of the work, no audible difference.
    """
    top = _top_frequency(tb, midi_hz(midi), bright, vel)
    for down in (4, 2):
        if sr >= 12_000 * down and top < 0.19 * sr / down:
            return upsample(_render_tone(tb, midi, dur, vel, bright, sr / down, seed), down)
    return _render_tone(tb, midi, dur, vel, bright, sr, seed)


def _render_tone(tb: Timbre, midi: float, dur: float, vel: float, bright: float, sr: float, seed: int = 0) -> np.ndarray:
    f0 = midi_hz(midi)
    n_on = max(int(dur * sr), 16)
    n = n_on + int(max(tb.release, 0.01) * sr)
    if tb.pluck > 0.02 or tb.mallet > 0.02:  # struck and plucked sounds ring on, until the release fades them
        n = max(n, min(int(min(tb.decay * 2.0, 3.0) * sr), n_on + int(2.0 * max(tb.release, 0.01) * sr)))
    env = _envelope(n_on, n, sr, tb)
    wobble = _vibrato(n, sr, tb.vibrato) if tb.vibrato > 0.01 else None
    if tb.fm > 0.02 or tb.mallet > 0.02:  # phase in cycles, for the sine-based voices
        step = F32(f0 / sr)
        phase = np.arange(n, dtype=F32) * step if wobble is None else np.cumsum(step * wobble, dtype=F32)
    out = np.zeros(n, F32)
    brightmul = 2.0 ** ((bright - 0.5) * 3.0) * (0.6 + 0.6 * vel)
    if tb.sine + tb.tri + tb.saw + tb.square > 0.02:
        out += _oscillators(tb, f0, n, sr, brightmul, wobble)
    if tb.fm > 0.02:
        index = tb.fm_index * (0.5 + vel) * (0.5 + bright)
        ienv = exp_decay(n, max(tb.decay * 0.6, 0.02), sr)
        mod = F32(index) * (F32(0.3) + F32(0.7) * ienv) * sine(phase * F32(tb.fm_ratio))
        out += F32(tb.fm) * sine(phase + mod * F32(1.0 / TWO_PI))
    if tb.pluck > 0.02:
        pb = pluck_brightness(tb, bright, vel)
        string = karplus_strong(f0, n, sr, max(tb.decay * 2.0, 0.2), pb, seed, 40.0 * tb.thump)
        if tb.body > 0.02:
            top = f0 * max(tb.cutoff, 1.0) * 8.0 * (0.5 + vel)  # a dark pluck is rolled off near its cutoff
            string = body_resonance(string, tb.body_hz, tb.body, top, sr)
        out += F32(tb.pluck) * string
    if tb.brass > 0.02:
        players = len(SECTION) if tb.ensemble > 0.3 else 1
        out += F32(tb.brass / players) * brass_voice(f0, n, sr, vel, bright, players, wobble)
    if tb.mallet > 0.02:
        m = sine(phase)
        for ratio, amp, dec in ((tb.mallet_ratio, 0.5 * (0.5 + bright), 0.18), (tb.mallet_ratio * 2.6, 0.2 * bright, 0.06)):
            if f0 * ratio < 0.45 * sr:
                m += F32(amp) * sine(phase * F32(ratio)) * exp_decay(n, dec, sr)
        out += F32(tb.mallet) * m * exp_decay(n, max(tb.decay, 0.05), sr)
    if tb.breath > 0.02:
        br = colored_noise(n, seed * 31 + 7, sr, ("bp", min(f0 * 2.0, 6000.0), 3.0))
        out += F32(tb.breath * 0.6 * math.sqrt(sr / 48_000)) * br  # the same band level at any synthesis rate
    if tb.vocal > 0.02:
        out += F32(tb.vocal) * _vocal(f0, n, sr, wobble, seed)
    if tb.drive > 0.02:
        k = 1.0 + tb.drive * 8.0
        out = np.tanh(out * F32(k)) * F32(1.0 / math.tanh(k))
        out = _without_local_dc(out, round(sr / f0 * math.ceil(0.02 * f0)))  # before the envelope: steady level
    if tb.cabinet > 0.02:  # a 4x12 cabinet: no lows under 90 Hz, a presence bump near 5 kHz, little above 7 kHz
        cab = filt(filt(filt(out, "hp", 90.0, 0.7, sr), "lp", 5200.0, 1.6, sr), "lp", 7500.0, 0.7, sr)
        out = F32(1.0 - tb.cabinet) * out + F32(1.4 * tb.cabinet) * cab
    out *= env
    out -= env * F32(out.sum() / max(env.sum(), 1e-9))  # no DC: remove the note's mean, shaped by its envelope
    return finish(out, vel)


def _without_local_dc(x: np.ndarray, window: int) -> np.ndarray:
    """``x`` minus its running mean over ``window`` samples (whole periods of the note).

    Saturation gives an asymmetric wave a DC that follows the filter's opening,
    so removing one mean from the whole note leaves some in a note cut short. The
    mean over whole periods holds none of the note's harmonics.
    """
    n = len(x)
    if n <= window:
        return x - F32(x.mean())
    total = np.cumsum(x, dtype=np.float64)
    mean = total[window - 1:].copy()  # sums of x[k - window + 1 .. k]
    mean[1:] -= total[:-window]
    mean *= 1.0 / window
    half = window // 2  # centred: sample j gets the window starting at j - half
    x[half:half + len(mean)] -= mean.astype(F32)
    x[:half] -= F32(mean[0])
    x[half + len(mean):] -= F32(mean[-1])
    return x


def _vibrato(n: int, sr: float, amount: float) -> np.ndarray:
    """The frequency multiplier of a 5.2 Hz vibrato that fades in over 0.4 s.

    It moves slowly, so it is computed every 16 samples and held in between.
    """
    t = np.arange(0, n + 15, 16, dtype=F32) / F32(sr)
    coarse = F32(1.0) + F32(amount * 0.006) * np.minimum(t / F32(0.4), F32(1.0)) * np.sin(t * F32(TWO_PI * 5.2))
    return np.repeat(coarse, 16)[:n]


def _oscillators(tb: Timbre, f0: float, n: int, sr: float, brightmul: float,
                 wobble: np.ndarray | None) -> np.ndarray:
    """Sine, triangle, saw and square through the timbre's resonant lowpass.

    With a filter envelope the cutoff starts ``1 + 6 * fenv`` times higher and falls
    with the decay (a crossfade between the two filtered waveforms). Detuned saws and
    squares are two copies a few cents apart, the second half a cycle in.
    """
    count = max(int(0.45 * sr / f0), 1)  # harmonics below the band limit
    level = {name: v if v > 0.02 else 0.0 for name, v in
             (("sine", tb.sine), ("tri", tb.tri), ("saw", tb.saw), ("square", tb.square))}
    steady = np.zeros(count + 1)
    steady[1] = level["sine"] + 0.8 * level["tri"]
    for k, sign in ((3, -1.0), (5, 1.0)):  # the triangle's next odd harmonics
        if k <= count:
            steady[k] += 0.8 * level["tri"] * sign / (k * k)
    buzz = saw_harmonics(count) * (0.7 * level["saw"])
    buzz[1::2] += saw_harmonics(count)[1::2] * (0.8 * level["square"])  # a square: a saw's odd harmonics
    voices = [(steady, ((1.0, 0.0),))]
    if tb.detune >= 0.05:
        cents = tb.detune * 25.0 / 1200.0
        reads = ((2.0 ** -cents, 0.0), (2.0 ** cents, 0.37))
        if tb.ensemble > 0.3:  # a section: players spread around the pitch, each at its own phase
            reads += ((2.0 ** (-0.45 * cents), 0.61), (2.0 ** (0.55 * cents), 0.83), (2.0 ** (0.1 * cents), 0.19))
        voices.append((buzz / len(reads), reads))
    else:
        steady += buzz
    freqs = np.arange(count + 1) * f0
    cutoff = f0 * max(tb.cutoff, 0.5) * brightmul
    q = 0.707 + tb.reso * 6.0
    dark = biquad_at("lp", cutoff, q, sr, freqs)
    opening = None
    if tb.fenv > 0.02:  # the filter opens at the attack and closes with the decay
        opening = biquad_at("lp", cutoff * (1.0 + 6.0 * tb.fenv), q, sr, freqs) - dark
        tau = max(tb.decay * 0.5, 0.02)
        m = min(n, int(math.log(1e4) * tau * sr) + 1)  # where the opening has died away (-80 dB)
        fe = exp_decay(m, tau, sr)
    out = np.zeros(n, F32)
    for harmonics, reads in voices:
        if not harmonics.any():
            continue
        low = Wavetable(harmonics * dark)
        high = Wavetable(harmonics * opening) if opening is not None else None
        for ratio, start in reads:
            idx, frac = fixed_point(cycles(n, f0 * ratio, sr, wobble, start), low.shift)
            out += low.read_at(idx, frac)
            if high is not None:  # the same size of table: the same split phase
                out[:m] += fe[:m] * high.read_at(idx[:m], frac[:m])
    return out


def _vocal(f0: float, n: int, sr: float, wobble: np.ndarray | None, seed: int) -> np.ndarray:
    """A sung vowel: a glottal-like source through three formant resonators in parallel."""
    formants = _VOWELS["aoue"[seed % 4]]
    count = max(int(0.45 * sr / f0), 1)
    freqs = np.arange(count + 1) * f0
    h = sum(g * biquad_at("bp", f, f / bw, sr, freqs) for g, (f, bw) in zip((1.0, 0.7, 0.5), formants))
    # a glottal pulse falls off faster than a saw
    h = h * biquad_at("lp", 900.0, 0.6, sr, freqs) * 2.0
    return Wavetable(saw_harmonics(count) * h).read(cycles(n, f0, sr, wobble))
