"""The master limiter: untouched below its ceiling, the true peak held under it above."""

from __future__ import annotations

import numpy as np

from livemusic.engine.master import Master

from .analysis import true_peak_dbfs

SR, BLOCK, CEILING_DB = 48_000, 9_600, -2.0


def _through_master(x: np.ndarray) -> np.ndarray:
    """Float ``(2, frames)`` at a constant 0 dB gain through the master: int16 ``(frames, 2)``, late by its look-ahead."""
    master = Master(SR, BLOCK, stems=4, ceiling_db=CEILING_DB)
    master.hold(0.0)
    stems = np.zeros((4, 2, BLOCK), np.float32)
    return np.concatenate([master.process(x[:, i:i + BLOCK], stems, False)[0]
                           for i in range(0, x.shape[1], BLOCK)])[master.latency:]


def _noise(peak_db: float) -> np.ndarray:
    x = np.random.default_rng(1).uniform(-1.0, 1.0, (2, 4 * BLOCK))
    return (x * 10 ** (peak_db / 20) / np.abs(x).max()).astype(np.float32)


def test_a_signal_3_db_under_the_ceiling_comes_out_untouched():
    x = _noise(CEILING_DB - 3.5)
    expected = np.rint(x * np.float32(32767.0)).astype(np.int16).T
    out = _through_master(x)
    assert np.array_equal(out, expected[: len(out)])


def test_peaks_between_samples_are_held_under_the_ceiling():
    """A sine at a quarter of the rate, sampled 45 degrees off its peaks: 3 dB louder between samples."""
    n = np.arange(4 * BLOCK)
    sine = np.sin(np.pi / 2 * n + np.pi / 4) * 10 ** ((CEILING_DB + 1.0) / 20)  # 2 dB over the ceiling
    x = np.array([sine, sine], np.float32)
    assert 20 * np.log10(np.abs(x).max()) < CEILING_DB  # every sample under it
    assert true_peak_dbfs(_through_master(x)) <= CEILING_DB
