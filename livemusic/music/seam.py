"""Where a loop joins itself: its tails folded into its start, its loudness as it repeats, a swell on its last beat.

A loop is rendered past its end with no note starting there, so what follows
the end is exactly the reverb, echoes and releases of the loop's own notes;
:func:`join` adds those tails onto the start, so that played back to back the
loop sounds like the music repeating. Music often leads into its downbeat
more quietly (or, a drum fill, more loudly) than the downbeat itself; as a
loop that is a jump in level at every repeat. So the last beat is brought to
within :data:`SWELL_TOLERANCE_LU` of the first by a gain that swells (or dips)
smoothly over it and is back at unity at the seam (at most
:data:`SWELL_MAX_DB` at the middle of the beat). Loudness here is BS.1770's
K-weighted power (a beat's ungated), measured on the loop as it repeats (the
filter wraps around, as playback does). Beats follow the tempo map: a loop that
changes tempo ends on a beat of its last tempo.
"""

from __future__ import annotations

import math

import numpy as np

from livemusic.engine.filters import response
from livemusic.engine.master import k_weighting
from livemusic.music.tempo import TempoMap
from livemusic.types import SAMPLE_RATE

#: The loudness a loop is brought to (integrated, as the engine's program).
LOOP_LUFS = -14.0
#: The swell's largest gain either way, at the middle of the last beat (dB).
SWELL_MAX_DB = 12.0
#: A last beat this close to the first in loudness is left as it is (LU).
SWELL_TOLERANCE_LU = 0.5


def join(audio: np.ndarray, stems: dict[str, np.ndarray], frames: int,
         tempo: TempoMap) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The loop of ``frames`` frames through ``tempo`` from a render that runs past its end, and its stems.

    The tails are folded into the start, the last beat swelled toward the first's
    loudness, and the loop brought to :data:`LOOP_LUFS` as a whole (less should its
    peak exceed full scale). Stems get the same gains, so they still sum to the mix.
    """
    looped = fold(audio, frames)
    looped_stems = {name: fold(stem, frames) for name, stem in stems.items()}
    edges = beat_edges(tempo, frames)
    envelope = swell(looped, edges[1] - edges[0], edges[-1] - edges[-2])
    gain = 10 ** ((LOOP_LUFS - loudness(looped * envelope)) / 20)
    gain = min(gain, 1.0 / max(float(np.abs(looped * envelope).max(initial=0.0)), 1e-9))
    envelope *= np.float32(gain)
    looped *= envelope
    for stem in looped_stems.values():
        stem *= envelope
    return looped, looped_stems


def fold(x: np.ndarray, frames: int) -> np.ndarray:
    """The first ``frames`` of ``x`` with what follows added onto their start (wrapping for tails longer
    than the loop)."""
    out = x[:frames].copy()
    for start in range(frames, len(x), frames):
        piece = x[start:start + frames]
        out[: len(piece)] += piece
    return out


def beat_edges(tempo: TempoMap | float, frames: int) -> np.ndarray:
    """The frame where each beat of a loop of ``frames`` frames begins through the tempo map (or at one
    tempo, in bpm), then ``frames``: the last beat ends there."""
    tempo = tempo if isinstance(tempo, TempoMap) else TempoMap(tempo)
    beats = max(round(tempo.beats_at(frames / SAMPLE_RATE)), 1)
    return np.array([round(tempo.seconds_at(k) * SAMPLE_RATE) for k in range(beats)] + [frames])


def swell(loop: np.ndarray, first_beat: int, last_beat: int) -> np.ndarray:
    """Per-frame gains, shape ``(frames, 1)``: 1 except over the last beat (``last_beat`` frames), where they
    swell (or dip) and come back so that its loudness is within :data:`SWELL_TOLERANCE_LU` of the first
    beat's (``first_beat`` frames)."""
    frames = len(loop)
    envelope = np.ones((frames, 1), np.float32)
    beat = min(last_beat, frames // 2)
    if beat < 2 or first_beat < 1:
        return envelope
    power = np.sum(loop_k_weighted(loop) ** 2, axis=1)
    first, last = power[:first_beat].mean(), power[-beat:]
    gap = 10 * np.log10((first + 1e-20) / (last.mean() + 1e-20))
    if abs(gap) <= SWELL_TOLERANCE_LU:
        return envelope
    target = first * 10 ** (-np.clip(gap, -SWELL_TOLERANCE_LU, SWELL_TOLERANCE_LU) / 10)
    shape = np.sin(np.pi * np.arange(beat) / beat) ** 2
    lo, hi = (0.0, SWELL_MAX_DB) if gap > 0 else (-SWELL_MAX_DB, 0.0)
    for _ in range(30):  # the beat's power grows with the gain: bisect for the target
        db = (lo + hi) / 2
        lo, hi = (db, hi) if np.mean(last * 10 ** (db * shape / 10)) < target else (lo, db)
    envelope[-beat:, 0] = 10 ** ((lo + hi) / 2 * shape / 20)
    return envelope


def beat_loudness(loop: np.ndarray, tempo: TempoMap | float) -> np.ndarray:
    """The K-weighted loudness (LUFS, ungated) of each beat of ``loop`` as it repeats, one block per beat
    through the tempo map (or at one tempo, in bpm)."""
    weighted = loop_k_weighted(loop)
    edges = beat_edges(tempo, len(loop))
    power = [np.mean(weighted[a:b] ** 2, axis=0).sum() for a, b in zip(edges[:-1], edges[1:])]
    return -0.691 + 10 * np.log10(np.array(power) + 1e-20)


def loudness(loop: np.ndarray) -> float:
    """The integrated loudness (LUFS, BS.1770 with its gates) of a loop as it repeats: 400 ms blocks every
    100 ms over one period, the blocks that start near its end wrapping around into its start."""
    power = np.sum(loop_k_weighted(loop) ** 2, axis=1)
    block, hop = round(0.4 * SAMPLE_RATE), round(0.1 * SAMPLE_RATE)
    sums = np.concatenate([[0.0], np.cumsum(np.concatenate([power, np.resize(power, block)]))])
    starts = np.arange(0, len(power), hop)
    blocks = (sums[starts + block] - sums[starts]) / block
    level = -0.691 + 10 * np.log10(blocks + 1e-20)
    heard = blocks[level > -70.0]
    if not heard.size:
        return -math.inf
    relative = -0.691 + 10 * np.log10(heard.mean()) - 10.0
    return float(-0.691 + 10 * np.log10(blocks[(level > -70.0) & (level > relative)].mean()))


def loop_k_weighted(loop: np.ndarray) -> np.ndarray:
    """``loop`` through the BS.1770 K-weighting filter as it repeats (the filter wraps around, as playback does)."""
    spectrum = np.fft.rfft(loop.astype(np.float64), axis=0)
    for section in k_weighting(SAMPLE_RATE):
        spectrum *= response(section[:3], section[3:], len(loop))[:, None]
    return np.fft.irfft(spectrum, len(loop), axis=0)
