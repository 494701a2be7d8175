"""Measurements of rendered files for the DAW tests: seams, beat loudness, onsets against MIDI."""

from __future__ import annotations

import mido
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import maximum_filter1d

from engine.analysis import k_weighted
from livemusic.music.tempo import TempoMap

MS = 48  # frames per millisecond at 48 kHz


def seam_steps(audio: np.ndarray) -> tuple[float, np.ndarray]:
    """The loop tiled three times: the largest sample step at its two seams, and every step inside one copy."""
    frames = len(audio)
    tiled = np.concatenate([audio, audio, audio]).astype(np.float64)
    steps = np.abs(np.diff(tiled, axis=0)).max(axis=1)
    return float(max(steps[frames - 1], steps[2 * frames - 1])), steps[: frames - 1]


def seam_clicks(audio: np.ndarray, around: int = MS) -> tuple[float, np.ndarray]:
    """How far each seam's sample step stands out of its neighbourhood, and every other frame's, in one copy.

    The loop is tiled three times; at a frame, the sample step there is divided by
    the largest step within ``around`` frames either side. A click is a step far
    larger than the ones around it, which a global figure (a loud passage's steps)
    could hide. Returns the larger of the two seams' ratios and the ratios inside.
    """
    frames = len(audio)
    tiled = np.concatenate([audio, audio, audio]).astype(np.float64)
    steps = np.abs(np.diff(tiled, axis=0)).max(axis=1)[frames - 1 - around: 2 * frames + around]
    window = sliding_window_view(steps, around).max(axis=1)  # window[i]: the largest of steps[i:i + around]
    here = np.arange(around, len(steps) - around)
    ratios = steps[here] / np.maximum(np.maximum(window[here - around], window[here + 1]), 1e-12)
    return float(max(ratios[0], ratios[-1])), ratios[1:-1]


def beat_loudness(audio: np.ndarray, tempo: float | TempoMap) -> np.ndarray:
    """The loudness (LUFS, BS.1770 K-weighted, ungated) of each beat of a loop as it repeats.

    The loop is filtered tiled three times and the middle copy measured, so the
    first beat is heard after the last, as in playback; a beat is one block (a
    beat can be shorter than BS.1770's 400 ms). Beats are counted at ``tempo`` bpm
    or through a tempo map.
    """
    frames = len(audio)
    weighted = k_weighted(np.concatenate([audio] * 3).astype(np.float64))[frames:2 * frames]
    tempo = tempo if isinstance(tempo, TempoMap) else TempoMap(tempo)
    beats = round(tempo.beats_at(frames / 48_000))
    edges = [round(tempo.seconds_at(beat) * 48_000) for beat in range(beats)] + [frames]
    power = [np.mean(weighted[s:e] ** 2, axis=0).sum() for s, e in zip(edges[:-1], edges[1:])]
    return -0.691 + 10 * np.log10(np.array(power) + 1e-20)


def level_steps(audio: np.ndarray, window: int = 50 * MS) -> np.ndarray:
    """How much the level (dB, mean power of both channels) changes from each ``window`` of frames to the next."""
    power = (audio.astype(np.float64) ** 2).sum(axis=1)
    count = len(power) // window
    level = 10 * np.log10(power[: count * window].reshape(count, window).mean(axis=1) + 1e-12)
    return np.abs(np.diff(level))


def bar_line_dips(audio: np.ndarray, bar: float) -> np.ndarray:
    """How far (dB) the level dips at each bar line of a loop as it repeats, the seam's first.

    At a bar line: the level of the 250 ms before it (50 ms windows, as
    :func:`level_steps`) less the lowest 50 ms within 300 ms after it.
    """
    frames = len(audio)
    tiled = np.concatenate([audio] * 3).astype(np.float64)
    window = 50 * MS

    def level(start: int, count: int) -> np.ndarray:
        power = (tiled[start:start + count * window] ** 2).sum(axis=1)
        return 10 * np.log10(power.reshape(count, window).mean(axis=1) + 1e-12)

    lines = [frames + round(k * bar) for k in range(round(frames / bar))]
    return np.array([level(at - 5 * window, 5).mean() - level(at, 6).min() for at in lines])


def onset_frames(stem: np.ndarray, rise_db: float = 6.0, highs: bool = False) -> np.ndarray:
    """Frames where the stem's 1 ms level rises by ``rise_db`` or more within 1 ms (the steepest point of each rise).

    ``highs`` measures the first difference of the signal instead (a rising treble: a hat over a kick's tail).
    """
    x = stem.astype(np.float64).mean(axis=1)
    if highs:
        x = np.diff(x, prepend=0.0)
    level = 20 * np.log10(np.sqrt(np.convolve(x * x, np.ones(MS) / MS, "full")[: len(x)]) + 1e-5)
    rise = np.zeros_like(level)
    rise[MS:] = level[MS:] - level[:-MS]
    peaks = (rise >= rise_db) & (rise == maximum_filter1d(rise, 4 * MS + 1))
    return np.flatnonzero(peaks) - MS // 2  # the middle of the 1 ms over which it rose


def note_starts(stem: np.ndarray, rise_db: float = 10.0, hold_db: float = 6.0, past: int = 20 * MS,
                ahead: int = 10 * MS) -> np.ndarray:
    """Frames where a sound starts in a stem, whatever it is (a hit, a pluck, a note over a held chord).

    A start is where the 1 ms level first rises ``rise_db`` above the loudest 1 ms of the ``past``
    frames before, and the mean power of the ``ahead`` frames from there stays ``hold_db`` above that
    of the ``past`` frames (a sound that goes on, not a click); the middle of that 1 ms, at most one
    start in 30 ms. Unlike :func:`onset_frames` (the steepest point of a rise) it marks where the level
    leaves what came before: a low tone's cycle and the beating of a held chord are within the past's
    loudest, and a rise that peaks late (a filter opening, a sidechain letting go) still starts where
    the sound does. A slow attack (strings, a choir) rises too little within ``ahead`` to show, as does
    a note struck again no louder than the one before it.
    """
    x = stem.astype(np.float64).mean(axis=1)
    total = np.concatenate([[0.0], np.cumsum(x * x)])

    def mean_power(frames: int) -> np.ndarray:  # [i]: over x[i:i + frames]
        return (total[frames:] - total[:-frames]) / frames

    level = 10 * np.log10(mean_power(MS) + 1e-12)  # level[i]: the 1 ms from frame i
    # from each frame i: the loudest 1 ms and the mean power of x[i - past:i], the mean power of x[i:i + ahead]
    i = np.arange(past, len(x) - max(ahead, MS))
    loudest = sliding_window_view(level, past - MS + 1).max(axis=1)[i - past]
    before, after = mean_power(past)[i - past], mean_power(ahead)[i]
    rising = (level[i] > loudest + rise_db) & (after > before * 10 ** (hold_db / 10))
    starts, last = [], -np.inf
    for frame in i[rising & ~np.concatenate([[False], rising[:-1]])]:
        if frame - last > 30 * MS:
            starts.append(frame)
            last = frame
    return np.array(starts, dtype=np.int64) + MS // 2


def note_ons(song: mido.MidiFile) -> list[tuple[float, int, int]]:
    """``(seconds, channel, note)`` of every note-on, timed as a player (and a DAW) times them."""
    now, found = 0.0, []
    for message in song:  # mido merges tracks and converts ticks to seconds through the tempo map
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            found.append((now, message.channel, message.note))
    return found
