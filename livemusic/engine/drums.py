"""Drum kits: one synthesis model whose numbers span the families (808, 909, acoustic, breakbeat).

A :class:`Kit` is numbers only, so kits blend like every other style field. The
numbers are chosen to model what makes each family recognisable:

* the TR-808: a long sine kick with a gentle pitch drop, snare and conga from
  tuned oscillators, a clap of bursts, hats and a cowbell from square-wave
  oscillators at fixed inharmonic frequencies through band-pass filters (tinny);
* the TR-909: a short punchy kick whose pitch falls fast from several times its
  final pitch, with a click; a noisy bright snare; metallic hats (square
  oscillators mixed with noise, as its sampled cymbals sound);
* an acoustic kit: drum skins with the inharmonic modes of a membrane, a beater
  or stick attack, snare wires, noisy cymbals, and the hits played in a room;
* a sampled break: an acoustic kit in a room, compressed (the tails come up),
  at a low sample rate and 12 bits (an SP-1200-like crunch).

Hits are rendered once per kit, kind and brightness and cached by the generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from livemusic.engine.dsp import F32, exp_decay, fade_out, finish
from livemusic.engine.filters import biquad_at, biquad_response, colored_noise, fft_size, filt, kept, ring_time
from livemusic.engine.oscillators import Wavetable, cycles, sine


@dataclass(frozen=True)
class Kit:
    """A synthesized drum kit; numbers only, so kits can be mixed."""

    kick_hz: float = 50.0
    kick_decay: float = 0.3   # 0 tight .. 1 long 808 boom
    kick_click: float = 0.5
    kick_sweep: float = 0.3   # pitch drop: 0 none .. 1 a 909's fast fall from six times the pitch
    snare_hz: float = 190.0
    snare_noise: float = 0.6  # noise vs body
    snare_decay: float = 0.15
    clap: float = 0.0         # clap instead of snare
    hat_decay: float = 0.04
    hat_tone: float = 0.5     # brightness of hats
    perc_hz: float = 300.0    # hand drums (tabla, bongos, congas)
    acoustic: float = 0.0     # 0 drum machine .. 1 acoustic kit (skin modes, beater, wires)
    machine: float = 0.0      # metallic square-oscillator hats and cymbals (808/909) instead of noise
    cowbell: float = 0.0      # the second hand drum is a machine cowbell
    room: float = 0.0         # hits played in a small room
    crunch: float = 0.0       # a sampled break: compressed, low sample rate, 12 bits
    drive: float = 0.0


#: Membrane modes of an ideal drum skin (Bessel zeros, relative to the fundamental).
_SKIN = (1.0, 1.59, 2.14, 2.30, 2.65)
#: The 808's six square-wave oscillators of its cymbal and hats (Hz), and its cowbell's two.
_METAL_HZ = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)
_COWBELL_HZ = (540.0, 800.0)
#: Short bright ticks a break's sampler leaves clean: squashed and crushed, hats and
#: shakers blur into the kit's tails and no longer mark the sixteenths.
_TICKS = ("hat", "shaker")


def render_drum(kind: str, kit: Kit, vel: float, bright: float, sr: float, var: int = 0) -> np.ndarray:
    """One drum hit as mono float32 with peak about ``vel``."""
    b = 2.0 ** ((bright - 0.5) * 2.0)
    if kind == "kick":
        x = _kick(kit, b, sr, var)
    elif kind == "snare":
        x = _snare(kit, b, sr, var)
    elif kind == "clap":
        x = _clap(kit, b, sr, var)
    elif kind in ("hat", "ohat", "shaker", "crash", "ride"):
        x = _cymbal(kind, kit, b, sr, var)
    elif kind == "perc2" and kit.cowbell > 0.5:
        x = _cowbell(b, sr)
    elif kind in ("tom", "perc", "perc2"):
        x = _tom(kind, kit, b, sr, var)
    elif kind == "rim":
        n = int(sr * 0.06)
        t = np.arange(n, dtype=F32) / F32(sr)
        x = (sine(t * F32(1700.0)) + F32(0.5) * sine(t * F32(2500.0))) * exp_decay(n, 0.008, sr)
    else:
        raise ValueError(f"unknown drum {kind!r}")
    # A hit is cut where its decay is still 15-30 dB down: its last quarter fades it
    # out, or the cut is a click (a thump for a kick).
    fade_out(x, len(x) // 4)
    dry = _energy_per_peak(x)
    # Little above 16 kHz, as from drums through microphones; near Nyquist, partials
    # would peak far between samples (true-peak overs).
    lowpass = ("lp", min(16_000.0, 0.35 * sr), 0.7)
    crunched = kit.crunch > 0.02 and kind not in _TICKS
    if kit.room > 0.02 and not crunched:
        x = _in_room(x, kit.room, sr, lowpass)  # the room and the lowpass in one transform
    else:
        if kit.room > 0.02:
            x = _in_room(x, kit.room, sr)
        if crunched:
            x = _sampled(x, kit.crunch, sr)
        x = filt(x, *lowpass, sr)
    shape = np.abs(x)
    x = x - shape * F32(x.sum() / max(float(shape.sum()), 1e-9))  # no DC, shaped like the hit
    x = finish(x, vel)
    # A room's tail and a compressor add energy under the same peak: the hit keeps
    # the loudness of its dry self, so the kit's balance with the band holds.
    wet = _energy_per_peak(x)
    if wet > dry:
        x *= F32(math.sqrt(dry / wet))
    return x


def _energy_per_peak(x: np.ndarray) -> float:
    peak = float(np.abs(x).max())
    return float(np.dot(x, x)) / (peak * peak + 1e-18)


def _swept(n: int, f_end: float, ratio: float, tau: float, sr: float) -> np.ndarray:
    """Phase (cycles) of a tone starting at ``ratio * f_end`` and falling to ``f_end`` with time constant ``tau``."""
    t = np.arange(n, dtype=F32) / F32(sr)
    return F32(f_end) * t + F32(f_end * (ratio - 1.0) * tau) * (F32(1.0) - exp_decay(n, tau, sr))


def _kick(kit: Kit, b: float, sr: float, var: int) -> np.ndarray:
    dec = 0.12 + 0.9 * kit.kick_decay
    n = int(sr * (dec * 3.2 + 0.06))
    f0 = kit.kick_hz
    sweep = min(max(kit.kick_sweep, 0.0), 1.0)
    ratio = 1.0 + 5.0 * sweep * sweep + 0.6 * sweep
    tau = 0.045 - 0.033 * sweep  # a gentle fall over 50 ms .. a 909's over 12 ms
    ph = _swept(n, f0, ratio, tau, sr)
    body = exp_decay(n, dec, sr) * F32(0.7) + exp_decay(n, dec * 2.5, sr) * F32(0.3)  # a punch, then a low tail
    x = sine(ph) * body
    if kit.acoustic > 0.02:  # a skin: its higher modes die fast; the beater's felt thud
        for mode, amp in zip(_SKIN[1:], (0.35, 0.2, 0.12, 0.08)):
            x += F32(kit.acoustic * amp) * sine(ph * F32(mode)) * exp_decay(n, 0.035, sr)
    n_click = min(n, int(0.008 * sr))
    click_band = ("bp", 3200.0 * b, 0.9) if kit.acoustic > 0.5 else ("hp", 1800.0 * b, 0.7)
    click = colored_noise(n_click, 11 + var, sr, click_band) * exp_decay(n_click, 0.0018, sr)
    x[:n_click] += F32(kit.kick_click * (0.35 + 0.35 * sweep)) * click
    if sweep > 0.5:  # a 909's click is also a short pulse
        m = min(n, int(0.0012 * sr))
        x[:m] += F32(kit.kick_click * 0.4 * (sweep - 0.5)) * np.hanning(m).astype(F32)  # smooth: no true-peak overs
    drive = 1.0 + 3.0 * kit.drive + kit.kick_decay
    return np.tanh(x * F32(drive)) * F32(1.0 / math.tanh(drive))


def _snare(kit: Kit, b: float, sr: float, var: int) -> np.ndarray:
    n = int(sr * (kit.snare_decay * 3.0 + 0.12))
    ph = _swept(n, kit.snare_hz, 1.15, 0.01, sr)
    # A machine snare: two tuned oscillators; an acoustic one: the skin's modes.
    modes = ((1.0, 1.0), (1.83, 0.6)) if kit.acoustic < 0.5 else tuple(zip(_SKIN, (1.0, 0.7, 0.5, 0.35, 0.25)))
    body = np.zeros(n, F32)
    for mode, amp in modes:
        body += F32(amp) * sine(ph * F32(mode)) * exp_decay(n, 0.05 / mode ** 0.5, sr)
    body *= F32(1.0 / sum(a for _, a in modes) ** 0.5)
    if kit.acoustic > 0.5:  # snare wires: a broad band, brighter as the drum is hit harder
        wires = colored_noise(n, 23 + var, sr, ("bp", 3300.0 * b, 0.6))
    else:  # the machines' band of noise, brighter on a 909
        wires = colored_noise(n, 23 + var, sr, ("bp", (1300.0 + 2000.0 * kit.snare_noise) * b, 0.6))
    x = F32(1.0 - kit.snare_noise * 0.6) * body
    x += F32(kit.snare_noise * 1.3) * wires * exp_decay(n, kit.snare_decay, sr)
    m = min(n, int(0.004 * sr))  # the stick
    x[:m] += F32(0.5 * kit.acoustic) * colored_noise(m, 29 + var, sr, ("hp", 2500.0 * b, 0.7)) * exp_decay(m, 0.001, sr)
    return x


def _clap(kit: Kit, b: float, sr: float, var: int) -> np.ndarray:
    n = int(sr * (kit.snare_decay * 3.0 + 0.12))
    env = np.zeros(n, F32)
    for k, off in enumerate((0.0, 0.011, 0.022)):
        s = int(off * sr)
        env[s:] += exp_decay(n - s, 0.004 if k < 2 else 0.12 + kit.snare_decay * 0.5, sr) * F32(0.8)
    band = ("bp", (1800.0 + 1500 * kit.acoustic) * b, 0.6)
    return colored_noise(n, 23 + var, sr, band, ("bp", 1300.0 * b, 1.2)) * env * F32(2.0)


def _squares(freqs: tuple[float, ...], n: int, sr: float, *filters: tuple[str, float, float]) -> np.ndarray:
    """Band-limited square waves at ``freqs`` through the biquads ``filters``, summed.

    Each square is a wavetable of its odd harmonics times the filters' response: no
    edges, so no spikes that a sample-peak limiter would have to catch.
    """
    out = np.zeros(n, F32)
    for i, hz in enumerate(freqs):
        count = max(int(min(16_000.0, 0.45 * sr) / hz), 1)
        k = np.arange(count + 1, dtype=np.float64)
        h = np.where(k % 2 == 1, 4.0 / np.pi / np.maximum(k, 1.0), 0.0).astype(complex)
        for kind, f0, q in filters:
            h *= biquad_at(kind, f0, q, sr, k * hz)
        out += Wavetable(h).read(cycles(n, hz, sr, start=i / 7.0))
    return out


def _cymbal(kind: str, kit: Kit, b: float, sr: float, var: int) -> np.ndarray:
    dec = {"hat": kit.hat_decay, "ohat": 0.22 + kit.hat_decay, "shaker": 0.05, "crash": 1.1, "ride": 0.6}[kind]
    n = int(sr * dec * 3.5)
    t = np.arange(n, dtype=F32) / F32(sr)
    cut = {"hat": 7000.0, "ohat": 6500.0, "shaker": 5000.0, "crash": 4000.0, "ride": 5000.0}[kind]
    cut = min(cut * (0.55 + 0.6 * kit.hat_tone) * b, 0.4 * sr)
    x = colored_noise(n, 37 + var + len(kind), sr, ("hp", cut, 0.8))
    metal = kit.machine if kind != "shaker" else 0.0
    if metal > 0.02:  # the square cluster through a band-pass: narrow and tinny, noise behind it
        ring = _metal_band(n, sr, min(cut * 1.25, 0.42 * sr))
        ring *= F32(_rms(x) / (_rms(ring) + 1e-9))
        x = F32(1.0 - 0.85 * metal) * x + F32(metal) * ring
    if kind in ("ride", "crash"):
        x = x + F32(0.3 * (1.0 - metal)) * sine(t * F32(587.0 + 200.0 * kit.hat_tone) + F32(0.4) * sine(t * F32(1523.0)))
    att = np.minimum(t / F32(0.012 if kind == "shaker" else 0.0008), F32(1.0))
    return x * att * exp_decay(n, dec, sr)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def _metal_band(n: int, sr: float, centre: float) -> np.ndarray:
    """The 808's six squares through a band-pass at ``centre`` (about an octave wide)."""
    return _squares(_METAL_HZ, n, sr, ("bp", centre, 1.2), ("hp", centre * 0.7, 0.7))


def _cowbell(b: float, sr: float) -> np.ndarray:
    """The 808 cowbell: two square waves (540 and 800 Hz) through a band-pass, a sharp then a long decay."""
    n = int(sr * 0.4)
    x = _squares(_COWBELL_HZ, n, sr, ("bp", 2600.0 * b, 0.9)) * F32(0.5) + _squares(_COWBELL_HZ, n, sr, ("bp", 800.0, 2.0))
    return x * (F32(0.7) * exp_decay(n, 0.012, sr) + F32(0.3) * exp_decay(n, 0.09, sr))


def _tom(kind: str, kit: Kit, b: float, sr: float, var: int) -> np.ndarray:
    hz = {"tom": kit.snare_hz * 0.6, "perc": kit.perc_hz, "perc2": kit.perc_hz * 1.5}[kind] * (1.0 + 0.06 * (var % 3))
    dec = 0.25 if kind == "tom" else 0.12 + 0.08 * kit.acoustic
    n = int(sr * dec * 3.0)
    ph = _swept(n, hz, 1.25, 0.02, sr)
    x = (sine(ph) + F32(0.25) * sine(ph * F32(2.02))) * exp_decay(n, dec, sr)
    if kit.acoustic > 0.02:
        x += F32(0.3 * kit.acoustic) * sine(ph * F32(_SKIN[1])) * exp_decay(n, dec * 0.3, sr)
    m = min(n, int(0.01 * sr))
    x[:m] += F32(0.4) * colored_noise(m, 53 + var, sr, ("bp", hz * 6.0 * b, 1.0)) * exp_decay(m, 0.003, sr)
    return x


@lru_cache(maxsize=8)
def _room_ir(sr: float, size: float) -> np.ndarray:
    """A small room's impulse response: early reflections then a short dark tail (read-only)."""
    n = int(sr * (0.12 + 0.25 * size))
    rng = np.random.default_rng(909)
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * np.exp(-t / (0.03 + 0.06 * size)) * np.minimum(t / 0.008, 1.0)
    spec = np.fft.rfft(tail)
    spec *= 1.0 / (1.0 + (np.fft.rfftfreq(n, 1.0 / sr) / 3500.0) ** 2)  # walls absorb the highs
    ir = np.fft.irfft(spec, n) * 0.25
    for delay, gain in ((0.0043, 0.45), (0.0071, -0.35), (0.0112, 0.3), (0.0167, -0.2)):
        ir[int(delay * sr)] += gain
    ir = (ir / np.sqrt((ir ** 2).sum())).astype(F32)
    ir.setflags(write=False)
    return ir


@lru_cache(maxsize=8)  # hits of one kind (their variations) have one length
def _room_spectrum(sr: float, size: float, nfft: int) -> np.ndarray:
    """The room's impulse response (see :func:`_room_ir`) as an ``nfft``-point spectrum (read-only)."""
    spec = np.fft.rfft(_room_ir(sr, size), nfft)
    spec.setflags(write=False)
    return spec


def _in_room(x: np.ndarray, amount: float, sr: float, lowpass: tuple[str, float, float] | None = None) -> np.ndarray:
    """``x`` with a small room's reflections mixed in (``amount`` 0..1), as long as the room rings,
    and through the biquad ``lowpass`` (``(kind, f0, q)``) if given."""
    size = round(amount * 4) / 4
    ring = len(_room_ir(sr, size))
    n = len(x) + ring - 1
    nfft = fft_size(n + (ring_time(*lowpass[1:], sr) if lowpass else 0))
    spec = np.fft.rfft(x, nfft)
    room = spec * kept(_room_spectrum, nfft)(sr, size, nfft)
    wet = np.fft.irfft(room, nfft)[:n].astype(F32)
    gain = F32(0.5 * amount * (float(np.abs(x).max()) + 1e-9) / (float(np.abs(wet).max()) + 1e-9))
    if lowpass is None:
        wet *= gain
        wet[:len(x)] += x
    else:  # the dry hit plus its room, filtered in the spectrum
        room *= gain
        room += spec
        room *= biquad_response(*lowpass, sr, nfft)
        wet = np.fft.irfft(room, nfft)[:n].astype(F32)
    fade_out(wet, ring // 4)
    return wet


def _sampled(x: np.ndarray, amount: float, sr: float) -> np.ndarray:
    """A hit as a sampled break sounds: compressed (tails come up), at a low rate, 12 bits."""
    # A fast compressor: gain follows the level over 2 ms windows, with a 3:1 ratio above -24 dB of the peak.
    hop = max(int(0.002 * sr), 1)
    rows = -(-len(x) // hop)
    padded = np.zeros(rows * hop, F32)
    padded[:len(x)] = x
    level = np.abs(padded).reshape(rows, hop).max(axis=1) / (float(np.abs(x).max()) + 1e-9)
    over = np.maximum(level / 0.063, 1.0)  # -24 dB
    gain = over ** (-(1.0 - 1.0 / (1.0 + 2.0 * amount)))
    gain = np.repeat(gain.astype(F32), hop)[:len(x)]
    y = np.tanh(x * gain * F32(1.0 + 2.0 * amount))
    # An old sampler: held samples at 26 kHz (images above its Nyquist) and 12-bit steps.
    step = sr / 26_040.0
    if step > 1.0:
        held = (np.floor(np.arange(len(y)) / step) * step).astype(np.intp)
        y = F32(1.0 - amount) * y + F32(amount) * y[held]
    return np.round(y * F32(2047.0)) * F32(1.0 / 2047.0)
