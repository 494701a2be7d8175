"""Raw PCM <-> NumPy frames.

The wire carries 16-bit signed little-endian PCM, interleaved, described by a
mimeType such as ``audio/l16;rate=48000;channels=2``. In Python, audio is an
int16 array shaped ``(frames, 2)`` at 48 kHz everywhere.
"""

from __future__ import annotations

import numpy as np

from livemusic.errors import InvalidConfigError, InvalidInputError
from livemusic.playback import CHANNELS, SAMPLE_RATE

__all__ = ["CHANNELS", "SAMPLE_RATE", "decode_pcm", "encode_pcm", "parse_mime"]

#: Media types that mean raw 16-bit little-endian PCM.
_PCM_TYPES = frozenset({"audio/l16", "audio/pcm", "audio/x-raw"})
_WIRE_DTYPE = np.dtype("<i2")


def parse_mime(mime_type: str | None) -> tuple[int, int]:
    """Return ``(rate, channels)`` of a raw PCM mimeType.

    ``None`` or an empty string means the protocol default (48000 Hz, 2
    channels); parameters left out default the same way. Raises
    :class:`InvalidConfigError` (field ``mimeType``) for a type that is not raw
    16-bit PCM or for parameters that are not positive integers.
    """
    if not mime_type:
        return SAMPLE_RATE, CHANNELS
    media, *params = (part.strip() for part in mime_type.split(";"))
    if media.lower() not in _PCM_TYPES:
        raise InvalidConfigError(
            f"unsupported audio type {mime_type!r}: expected raw 16-bit PCM "
            f"such as 'audio/l16;rate={SAMPLE_RATE};channels={CHANNELS}'",
            field="mimeType",
        )
    values = {"rate": SAMPLE_RATE, "channels": CHANNELS}
    for param in params:
        if not param:
            continue
        key, sep, value = param.partition("=")
        key = key.strip().lower()
        if key not in values:
            continue  # e.g. "endianness"-style extras we do not need
        try:
            number = int(value.strip().strip('"'))
        except ValueError:
            number = 0
        if not sep or number <= 0:
            raise InvalidConfigError(f"{key} in mimeType {mime_type!r} must be a positive integer",
                                     field="mimeType")
        values[key] = number
    return values["rate"], values["channels"]


def decode_pcm(data: bytes, mime_type: str | None = None) -> np.ndarray:
    """Decode raw PCM bytes to int16 frames shaped ``(frames, 2)``.

    Mono is duplicated to both channels. The result is a read-only view of
    ``data`` when no conversion is needed (copy it to modify it). Raises
    :class:`InvalidConfigError` when the rate is not 48000 Hz, when there are
    more than 2 channels, or when ``data`` is not a whole number of frames.
    """
    rate, channels = parse_mime(mime_type)
    if rate != SAMPLE_RATE:
        raise InvalidConfigError(
            f"audio at {rate} Hz is not supported: livemusic plays and records {SAMPLE_RATE} Hz "
            f"(mimeType {mime_type!r})",
            field="mimeType",
        )
    if channels not in (1, 2):
        raise InvalidConfigError(f"{channels}-channel audio is not supported (mono or stereo only)",
                                 field="mimeType")
    frame_bytes = 2 * channels
    if len(data) % frame_bytes:
        raise InvalidConfigError(
            f"audio data of {len(data)} bytes is not a whole number of {frame_bytes}-byte frames",
            field="data",
        )
    samples = np.frombuffer(data, dtype=_WIRE_DTYPE)
    if _WIRE_DTYPE != np.dtype(np.int16):  # big-endian host
        samples = samples.astype(np.int16)
    frames = samples.reshape(-1, channels)
    if channels == 1:
        frames = np.repeat(frames, CHANNELS, axis=1)
    return frames


def encode_pcm(frames: np.ndarray) -> bytes:
    """Encode int16 frames shaped ``(frames, channels)`` to interleaved little-endian bytes.

    Raises :class:`InvalidInputError` for another dtype or a shape that is
    not 2-D (convert float audio explicitly, deciding on scaling and clipping).
    """
    frames = np.asarray(frames)
    if frames.dtype != np.int16:
        raise InvalidInputError(f"PCM frames must be int16, got {frames.dtype}")
    if frames.ndim != 2:
        raise InvalidInputError(f"PCM frames must be shaped (frames, channels), got shape {frames.shape}")
    return np.ascontiguousarray(frames, dtype=_WIRE_DTYPE).tobytes()
