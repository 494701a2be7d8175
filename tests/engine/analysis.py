"""Audio analysis for the engine tests: everything is measured on rendered PCM.

Loudness follows ITU-R BS.1770-4 (K-weighting, 400 ms blocks with 75 % overlap,
absolute gate at -70 LUFS, relative gate at -10 LU). Tempo comes from the
autocorrelation of a spectral-flux onset envelope; pitch content from a chroma
of stable (time-median filtered) spectral peaks.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage, signal

SR = 48_000


def as_float(pcm: np.ndarray) -> np.ndarray:
    """int16 ``(frames, 2)`` -> float64 in [-1, 1)."""
    return pcm.astype(np.float64) / 32768.0


def mono(pcm: np.ndarray) -> np.ndarray:
    x = as_float(pcm) if pcm.dtype == np.int16 else pcm
    return x.mean(axis=1) if x.ndim == 2 else x


# --------------------------------------------------------------------------- loudness


def _k_filter(sr: int) -> tuple[np.ndarray, np.ndarray]:
    """K-weighting (pre-filter shelf and RLB high-pass) as one transfer function."""
    f0, g, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sr)
    vh = 10 ** (g / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    b1 = np.array([vh + vb * k / q + k * k, 2 * (k * k - vh), vh - vb * k / q + k * k]) / a0
    a1 = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sr)
    a0 = 1 + k / q + k * k
    b2 = np.array([1.0, -2.0, 1.0])
    a2 = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    return np.convolve(b1, b2), np.convolve(a1, a2)


def k_weighted(x: np.ndarray, sr: int = SR) -> np.ndarray:
    """``x`` (float, time along the first axis) through the BS.1770 K-weighting filter."""
    b, a = _k_filter(sr)
    return signal.lfilter(b, a, x, axis=0)


def integrated_loudness(pcm: np.ndarray, sr: int = SR) -> float:
    """Gated integrated loudness in LUFS (ITU-R BS.1770-4)."""
    y = k_weighted(as_float(pcm), sr)
    block, hop = int(0.4 * sr), int(0.1 * sr)
    count = 1 + (len(y) - block) // hop
    power = np.array([np.mean(y[i * hop:i * hop + block] ** 2, axis=0).sum() for i in range(count)])
    loud = -0.691 + 10 * np.log10(power + 1e-20)
    gated = power[loud > -70.0]
    if len(gated) == 0:
        return -math.inf
    rel = -0.691 + 10 * np.log10(gated.mean()) - 10.0
    final = power[(loud > -70.0) & (loud > rel)]
    return float(-0.691 + 10 * np.log10(final.mean()))


def peak_dbfs(pcm: np.ndarray) -> float:
    return 20 * math.log10(max(int(np.abs(pcm.astype(np.int32)).max()), 1) / 32768.0)


def rms_db(x: np.ndarray) -> float:
    x = as_float(x) if x.dtype == np.int16 else x
    return 10 * math.log10(float(np.mean(x**2)) + 1e-20)


# --------------------------------------------------------------------------- spectra


def stft_mag(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Magnitude STFT of a mono signal, shape (frames, bins)."""
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    frames = 1 + (len(x) - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    return np.abs(np.fft.rfft(x[idx] * np.hanning(n_fft), axis=1))


def centroid(pcm: np.ndarray, sr: int = SR) -> float:
    """Spectral centroid (Hz) of the long-term power spectrum."""
    f, p = signal.welch(mono(pcm), fs=sr, nperseg=4096)
    return float((f * p).sum() / p.sum())


def onset_envelope(pcm: np.ndarray, sr: int = SR, hop: int = 256) -> np.ndarray:
    """Half-wave rectified spectral flux of log magnitudes, local mean removed."""
    mag = stft_mag(mono(pcm), 1024, hop)
    logm = np.log1p(100.0 * mag)
    flux = np.maximum(np.diff(logm, axis=0), 0.0).sum(axis=1)
    flux = flux - ndimage.uniform_filter1d(flux, 64)
    return np.maximum(flux, 0.0)


def tempo(pcm: np.ndarray, expected: float, sr: int = SR, hop: int = 256) -> float:
    """Tempo (bpm) from onset autocorrelation, searched within +-25 % of ``expected``.

    The beat period found first is refined on the peaks at 4 and 8 beats, where one
    envelope frame is a much smaller fraction of the lag.
    """
    env = onset_envelope(pcm, sr, hop)
    env = env - env.mean()
    n = len(env)
    spec = np.fft.rfft(env, 2 * n)
    acf = np.fft.irfft(spec * np.conj(spec))[:n]
    acf /= acf[0]
    fps = sr / hop
    lo_lag = int(60.0 / (expected * 1.25) * fps)
    hi_lag = int(math.ceil(60.0 / (expected / 1.25) * fps))
    lags = np.arange(lo_lag, hi_lag + 1)
    beat = lags[np.argmax(acf[lags])]
    best = float(beat)
    for mult in (4, 8):
        centre = int(round(beat * mult))
        if centre + 3 >= n:
            break
        win = np.arange(centre - 3, centre + 4)
        k = win[np.argmax(acf[win])]
        y0, y1, y2 = acf[k - 1], acf[k], acf[k + 1]
        denom = y0 - 2 * y1 + y2
        shift = 0.5 * (y0 - y2) / denom if denom != 0 else 0.0
        best = (k + shift) / mult
    return 60.0 * fps / best


def onset_times(pcm: np.ndarray, sr: int = SR, hop: int = 256, rel: float = 0.12, floor: float = 30.0) -> np.ndarray:
    """Onset times (s): peaks of the onset envelope above a fraction of its high percentile.

    ``floor`` is an absolute minimum (for loudness-normalized audio), so the flicker of
    sustained sounds does not count as onsets when there are no real ones.
    """
    env = onset_envelope(pcm, sr, hop)
    thresh = max(rel * np.percentile(env, 99.5), floor)
    peaks, _ = signal.find_peaks(env, height=thresh, distance=max(1, int(0.045 * sr / hop)))
    return peaks * hop / sr


def onset_rate(pcm: np.ndarray, sr: int = SR) -> float:
    """Onsets per second."""
    return len(onset_times(pcm, sr)) / (len(pcm) / sr)


def percussive_ratio(pcm: np.ndarray, sr: int = SR) -> float:
    """Share of spectral energy that is percussive (median-filter HPSS)."""
    mag = stft_mag(mono(pcm), 2048, 512) ** 2
    harm = ndimage.median_filter(mag, size=(17, 1))
    perc = ndimage.median_filter(mag, size=(1, 17))
    return float(perc.sum() / (perc.sum() + harm.sum()))


def chroma(pcm: np.ndarray, sr: int = SR, fmin: float = 60.0, fmax: float = 2500.0) -> np.ndarray:
    """Energy per pitch class (0 = C) of the stable, tonal part of the signal.

    A median over time keeps sustained partials and drops drum hits; only spectral
    peaks that stand above their frequency neighbourhood count as pitched.
    """
    n_fft, hop = 16384, 4096
    mag = stft_mag(mono(pcm), n_fft, hop) ** 2
    harm = ndimage.median_filter(mag, size=(5, 1))
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    band = (freqs >= fmin) & (freqs <= fmax)
    floor = ndimage.median_filter(harm, size=(1, 31))
    is_peak = (harm > 10.0 * floor) & (harm >= np.roll(harm, 1, axis=1)) & (harm >= np.roll(harm, -1, axis=1))
    energy = np.where(is_peak, harm, 0.0)[:, band].sum(axis=0)
    midi = 69 + 12 * np.log2(freqs[band] / 440.0)
    pcs = np.round(midi).astype(int) % 12
    return np.bincount(pcs, weights=energy, minlength=12)


def in_scale_share(pcm: np.ndarray, pitch_classes: tuple[int, ...], sr: int = SR) -> float:
    c = chroma(pcm, sr)
    return float(c[list(pitch_classes)].sum() / max(c.sum(), 1e-20))


# --------------------------------------------------------------------------- structure


def bar_fingerprints(pcm: np.ndarray, bpm: float, sr: int = SR) -> np.ndarray:
    """One vector per bar: onset strength on a 16-step grid plus the bar's chroma."""
    bar = int(round(4 * 60.0 / bpm * sr))
    hop = 256
    env = onset_envelope(pcm, sr, hop)
    out = []
    for b in range(len(pcm) // bar):
        seg = pcm[b * bar:(b + 1) * bar]
        e0, e1 = b * bar // hop, (b + 1) * bar // hop
        grid = np.array([env[e0 + (e1 - e0) * k // 16:e0 + (e1 - e0) * (k + 1) // 16].max(initial=0.0) for k in range(16)])
        grid = grid / (grid.max() + 1e-9)
        mag = stft_mag(mono(seg), 4096, 2048) ** 2
        freqs = np.fft.rfftfreq(4096, 1 / sr)
        band = (freqs > 60) & (freqs < 2500)
        pcs = np.round(69 + 12 * np.log2(freqs[band] / 440.0)).astype(int) % 12
        ch = np.bincount(pcs, weights=mag[:, band].sum(axis=0), minlength=12)
        ch = ch / (ch.sum() + 1e-9)
        out.append(np.concatenate([grid, 2.0 * ch]))
    return np.array(out)


def distinct_bars(pcm: np.ndarray, bpm: float, threshold: float = 0.35, sr: int = SR) -> int:
    """How many bars differ from every earlier bar by more than ``threshold``."""
    fp = bar_fingerprints(pcm, bpm, sr)
    distinct: list[np.ndarray] = []
    for v in fp:
        if all(np.abs(v - d).sum() / 4.0 > threshold for d in distinct):
            distinct.append(v)
    return len(distinct)


def mean_bar_distance(pcm: np.ndarray, bpm: float, sr: int = SR) -> float:
    """Average distance between consecutive bars' fingerprints (variety)."""
    fp = bar_fingerprints(pcm, bpm, sr)
    return float(np.abs(np.diff(fp, axis=0)).sum(axis=1).mean())


def feature_track(pcm: np.ndarray, window_s: float, feature, sr: int = SR) -> np.ndarray:
    """A feature computed on consecutive windows of ``window_s`` seconds."""
    n = int(window_s * sr)
    return np.array([feature(pcm[i:i + n]) for i in range(0, len(pcm) - n + 1, n)])


def settle_time(track: np.ndarray, window_s: float, change_at: float, fraction: float = 0.8) -> float:
    """Seconds after ``change_at`` until the track has moved ``fraction`` of the way to its end value and stays."""
    start = int(change_at / window_s)
    before = np.median(track[max(0, start - 4):start])
    after = np.median(track[-4:])
    goal = before + fraction * (after - before)
    sign = 1.0 if after >= before else -1.0
    ok = sign * (track - goal) >= 0
    for i in range(start, len(track)):
        if ok[i:].all():
            return (i + 1) * window_s - change_at
    return math.inf



def short_term_loudness(pcm: np.ndarray, sr: int = SR, window: float = 3.0, hop: float = 1.0) -> np.ndarray:
    """Loudness (LUFS) of ``window``-second windows every ``hop`` seconds (EBU Tech 3341 short-term)."""
    y = k_weighted(as_float(pcm), sr) ** 2
    csum = np.concatenate([np.zeros((1, 2)), np.cumsum(y, axis=0)])
    n, h = int(window * sr), int(hop * sr)
    starts = np.arange(0, len(y) - n + 1, h)
    power = ((csum[starts + n] - csum[starts]) / n).sum(axis=1)
    return -0.691 + 10 * np.log10(power + 1e-20)


def loudness_range(pcm: np.ndarray, sr: int = SR) -> float:
    """EBU R128 loudness range (LU): the 10th to 95th percentile of gated short-term loudness (Tech 3342)."""
    st = short_term_loudness(pcm, sr)
    st = st[st > -70.0]
    power = 10 ** ((st + 0.691) / 10)
    rel = -0.691 + 10 * np.log10(power.mean()) - 20.0
    st = st[st > rel]
    return float(np.percentile(st, 95) - np.percentile(st, 10))


def true_peak_dbfs(pcm: np.ndarray) -> float:
    """True peak (dBTP): the sample peak after 4x oversampling (ITU-R BS.1770-4 annex 2)."""
    up = signal.resample_poly(as_float(pcm), 4, 1, axis=0)
    return 20 * math.log10(max(float(np.abs(up).max()), 1e-9))


def bar_loudness(pcm: np.ndarray, bpm: float, sr: int = SR) -> np.ndarray:
    """K-weighted loudness (LUFS, ungated) of each whole bar."""
    bar = int(round(4 * 60.0 / bpm * sr))
    y = k_weighted(as_float(pcm), sr) ** 2
    count = len(pcm) // bar
    power = y[: count * bar].reshape(count, bar, 2).mean(axis=1).sum(axis=1)
    return -0.691 + 10 * np.log10(power + 1e-20)


def bar_low_share(pcm: np.ndarray, bpm: float, sr: int = SR, cutoff: float = 120.0) -> np.ndarray:
    """Each bar's share of energy below ``cutoff`` Hz, in dB (kick and bass: high; a breakdown: low)."""
    bar = int(round(4 * 60.0 / bpm * sr))
    x = mono(pcm)
    out = []
    for i in range(len(x) // bar):
        f, p = signal.welch(x[i * bar:(i + 1) * bar], fs=sr, nperseg=4096)
        out.append(10 * np.log10(p[(f > 30) & (f < cutoff)].sum() / p.sum() + 1e-20))
    return np.array(out)


def sections(pcm: np.ndarray, bpm: float, sr: int = SR, bars: int = 4, loud_tol: float = 2.0,
             low_tol: float = 2.0) -> list[list[int]]:
    """Groups of ``bars``-bar stretches that sound alike (self-similarity of loudness and low end).

    A stretch joins the first group whose first member is within ``loud_tol`` dB of loudness
    and ``low_tol`` dB of low-end share; otherwise it starts a group. Returns the groups'
    stretch indices.
    """
    loud, low = bar_loudness(pcm, bpm, sr), bar_low_share(pcm, bpm, sr)
    count = len(loud) // bars
    feats = [(loud[i * bars:(i + 1) * bars].mean(), low[i * bars:(i + 1) * bars].mean()) for i in range(count)]
    groups: list[list[int]] = []
    for i, (lo, lw) in enumerate(feats):
        for g in groups:
            l0, w0 = feats[g[0]]
            if abs(lo - l0) <= loud_tol and abs(lw - w0) <= low_tol:
                g.append(i)
                break
        else:
            groups.append([i])
    return groups
