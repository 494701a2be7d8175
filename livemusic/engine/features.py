"""Simple audio features, to measure how far apart styles sound (numpy only).

Used by the contrast benchmark and its test: MFCC mean and spread, tempo, onset
rate, spectral centroid, percussive share and stereo width of a stereo int16
render, and a nearest-neighbour classifier over them.
"""

from __future__ import annotations

import math

import numpy as np

N_FFT, HOP, N_MELS, N_MFCC = 1024, 512, 26, 13


def _frames(x: np.ndarray) -> np.ndarray:
    """Magnitude STFT ``(frames, bins)`` of a mono signal (Hann window)."""
    count = 1 + (len(x) - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(count)[:, None]
    return np.abs(np.fft.rfft(x[idx] * np.hanning(N_FFT), axis=1))


def _mel_bank(sr: int) -> np.ndarray:
    """Triangular mel filters ``(N_MELS, bins)`` from 40 Hz to 16 kHz."""
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)
    edges = 700.0 * (10 ** (np.linspace(mel(40.0), mel(min(16000.0, sr / 2)), N_MELS + 2) / 2595.0) - 1.0)
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / sr)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    return np.maximum(0.0, np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)))


def _dct(n_in: int, n_out: int) -> np.ndarray:
    k = np.arange(n_out)[:, None]
    return np.cos(math.pi / n_in * (np.arange(n_in)[None, :] + 0.5) * k)


#: Compare-exchange pairs whose network leaves the median of nine values in position 4 (Paeth's opt_med9).
_MEDIAN9 = ((1, 2), (4, 5), (7, 8), (0, 1), (3, 4), (6, 7), (1, 2), (4, 5), (7, 8), (0, 3), (5, 8), (4, 7),
            (3, 6), (1, 4), (2, 5), (4, 7), (4, 2), (6, 4), (4, 2))


def _median9(x: np.ndarray, axis: int) -> np.ndarray:
    """Median filter of length 9 along ``axis`` of a 2-D array (edges repeated), by a sorting network."""
    pad = [(0, 0), (0, 0)]
    pad[axis] = (4, 4)
    padded = np.pad(x, pad, mode="edge")
    n = x.shape[axis]
    v = [padded[k:k + n] if axis == 0 else padded[:, k:k + n] for k in range(9)]
    for a, b in _MEDIAN9:
        v[a], v[b] = np.minimum(v[a], v[b]), np.maximum(v[a], v[b])
    return v[4]


def features(pcm: np.ndarray, sr: int = 48_000) -> np.ndarray:
    """One vector: 13 MFCC means, 13 MFCC spreads, log tempo, log onset rate, log centroid,
    percussive share, side/mid (dB / 10)."""
    x = pcm.astype(np.float64) / 32768.0
    mono = x.mean(axis=1)
    mag = _frames(mono)
    power = mag**2
    mel = np.log(power @ _mel_bank(sr).T + 1e-10)
    mfcc = mel @ _dct(N_MELS, N_MFCC).T
    # onsets: half-wave rectified flux of log magnitudes, local mean removed
    flux = np.maximum(np.diff(np.log1p(100.0 * mag), axis=0), 0.0).sum(axis=1)
    flux = flux - np.convolve(flux, np.ones(16) / 16, mode="same")
    flux = np.maximum(flux, 0.0)
    fps = sr / HOP
    env = flux - flux.mean()
    acf = np.correlate(env, env, mode="full")[len(env) - 1:]
    # The beat's lag and its double both repeat; tempos far from 120 bpm are less likely (a log-normal prior).
    lags = np.arange(max(1, int(60.0 / 200.0 * fps)), int(60.0 / 60.0 * fps) + 1)
    twice = np.minimum(2 * lags, len(acf) - 1)
    prior = np.exp(-0.5 * (np.log2(60.0 * fps / lags / 120.0) / 0.8) ** 2)
    bpm = 60.0 * fps / lags[np.argmax((acf[lags] + 0.5 * acf[twice]) * prior)] if acf[0] > 0 else 60.0
    high = flux > max(0.3 * np.percentile(flux, 99), 1e-3)
    onsets = np.count_nonzero(high[1:] & ~high[:-1]) / (len(mono) / sr)
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / sr)
    spectrum = power.sum(axis=0)
    centroid = float((freqs * spectrum).sum() / max(spectrum.sum(), 1e-20))
    harm, perc = _median9(power, 0), _median9(power, 1)
    percussive = float(perc.sum() / max(perc.sum() + harm.sum(), 1e-20))
    mid, side = (x[:, 0] + x[:, 1]) / 2, (x[:, 0] - x[:, 1]) / 2
    width = 10 * math.log10((side**2).mean() / max((mid**2).mean(), 1e-20) + 1e-6)
    return np.concatenate([mfcc.mean(axis=0), mfcc.std(axis=0),
                           [math.log(bpm), math.log(onsets + 0.5), math.log(centroid + 1.0), percussive, width / 10]])


class NearestNeighbour:
    """1-nearest-neighbour over z-scored features (the scale learned from the training set)."""

    def __init__(self, vectors: np.ndarray, labels: list[str]) -> None:
        self.mean = vectors.mean(axis=0)
        self.scale = vectors.std(axis=0) + 1e-9
        self.train = (vectors - self.mean) / self.scale
        self.labels = labels

    def distances(self, vector: np.ndarray) -> np.ndarray:
        return np.sqrt((((vector - self.mean) / self.scale - self.train) ** 2).sum(axis=1))

    def predict(self, vector: np.ndarray) -> str:
        return self.labels[int(np.argmin(self.distances(vector)))]
