"""Streaming sample-rate conversion by a rational factor (numpy only).

Used where audio arrives at another rate than the 48 kHz stereo the
pipeline carries (the Live API's 24 kHz mono voice), or leaves at another
rate than a device gives (a 48 kHz microphone for the Live API's 16 kHz).
Polyphase FIR: upsample by ``up``, low-pass with a Kaiser-windowed sinc at
the lower of the two Nyquist frequencies, keep every ``down``-th sample.
The filter's history carries over between calls, so chunked input gives
the same output as one long input.
"""

from __future__ import annotations

from math import gcd

import numpy as np

from livemusic.errors import InvalidInputError

#: Filter half-length in input samples at the lower rate (quality vs. delay: 16 -> about 0.7 ms at 24 kHz).
HALF_TAPS = 16


class Resampler:
    """Converts mono float32 blocks from ``src_rate`` to ``dst_rate``, keeping state between blocks."""

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        if src_rate <= 0 or dst_rate <= 0:
            raise InvalidInputError(f"sample rates must be positive, got {src_rate} -> {dst_rate}")
        divisor = gcd(src_rate, dst_rate)
        self.up, self.down = dst_rate // divisor, src_rate // divisor
        self.src_rate, self.dst_rate = src_rate, dst_rate
        factor = max(self.up, self.down)
        length = 2 * HALF_TAPS * factor + 1
        t = (np.arange(length) - (length - 1) / 2) / factor
        taps = np.sinc(t) * np.kaiser(length, 8.0)
        taps *= self.up / taps.sum()  # unity gain after zero-stuffing by ``up``
        #: Polyphase filter: phase p holds taps[p::up] (reversed for a dot product over history).
        self._phases = [taps[p::self.up][::-1].astype(np.float64) for p in range(self.up)]
        self._width = max(len(phase) for phase in self._phases)
        self._history = np.zeros(self._width - 1)
        self._offset = 0  # position of the next output, in upsampled samples, from the start of history
        self.delay_seconds = (length - 1) / 2 / (src_rate * self.up)

    def process(self, block: np.ndarray) -> np.ndarray:
        """Resample the next block (1-D float); returns the output samples it completes."""
        block = np.asarray(block, dtype=np.float64)
        if block.ndim != 1:
            raise InvalidInputError(f"the resampler takes mono 1-D blocks, got shape {block.shape}")
        if self.up == self.down:
            return block.astype(np.float32)
        signal = np.concatenate([self._history, block])
        available = len(signal) - (self._width - 1)  # input positions with a full history
        positions = np.arange(self._offset, available * self.up, self.down)
        out = np.empty(len(positions))
        for phase in range(self.up):
            mask = positions % self.up == phase
            if not mask.any():
                continue
            taps = self._phases[phase]
            starts = positions[mask] // self.up
            windows = np.lib.stride_tricks.sliding_window_view(signal, self._width)[starts]
            out[mask] = windows[:, self._width - len(taps):] @ taps
        consumed = available
        self._offset = (positions[-1] + self.down - consumed * self.up) if len(positions) else \
            self._offset - consumed * self.up
        self._history = signal[consumed:]
        return out.astype(np.float32)


def pcm_to_frames(samples: np.ndarray, channels: int = 2) -> np.ndarray:
    """Float samples in [-1, 1] (1-D) to int16 frames shaped ``(n, channels)``, clipped."""
    mono = np.clip(np.rint(samples * 32767.0), -32768, 32767).astype(np.int16)
    return np.repeat(mono[:, None], channels, axis=1)
