"""What a caller hands to ``send_realtime_input``, turned into wire blobs.

Audio: PCM bytes or a NumPy array (int16, or float in [-1, 1]; mono, or
several channels mixed down) becomes 16-bit little-endian mono PCM with its
rate in the mime type (``audio/pcm;rate=16000``). Video frames: JPEG/PNG
bytes, an image file's path, or a NumPy array (``(height, width)`` gray,
``(height, width, 3)`` RGB or ``(..., 4)`` RGBA, uint8), which is encoded as
PNG without any imaging library.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from livemusic.errors import InvalidInputError
from livemusic.live.content import INPUT_RATE
from livemusic.live.content_parts import Blob

_IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"RIFF", "image/webp"))


def pcm_mime(rate: int) -> str:
    """The mime type of 16-bit mono PCM at ``rate`` Hz, as the Live API wants it."""
    return f"audio/pcm;rate={rate}"


def to_mono_int16(audio: np.ndarray) -> np.ndarray:
    """``audio`` as 1-D int16: float in [-1, 1] is scaled and clipped, channels are averaged."""
    audio = np.asarray(audio)
    if audio.ndim not in (1, 2):
        raise InvalidInputError(f"audio must be shaped (frames,) or (frames, channels), got {audio.shape}")
    if np.issubdtype(audio.dtype, np.floating):
        scaled = audio * 32767.0
    elif np.issubdtype(audio.dtype, np.integer):
        scaled = audio
    else:
        raise InvalidInputError(f"audio must be int16 or float, got {audio.dtype}")
    if scaled.ndim == 2:
        scaled = scaled.mean(axis=1) if scaled.shape[1] > 1 else scaled[:, 0]
    if scaled.dtype == np.int16:
        return scaled
    return np.clip(np.rint(scaled), -32768, 32767).astype(np.int16)


def audio_blob(audio: Any, rate: int = INPUT_RATE) -> Blob:
    """A PCM audio blob from a :class:`Blob`/dict/SDK blob, PCM bytes, or a NumPy array at ``rate``."""
    if isinstance(audio, (bytes, bytearray, memoryview)):
        data = bytes(audio)
        if len(data) % 2:
            raise InvalidInputError(f"16-bit PCM must have an even number of bytes, got {len(data)}")
        return Blob(data=data, mime_type=pcm_mime(rate))
    if isinstance(audio, np.ndarray):
        return Blob(data=to_mono_int16(audio).astype("<i2").tobytes(), mime_type=pcm_mime(rate))
    return Blob.parse(audio)


def video_blob(frame: Any) -> Blob:
    """An image blob from a :class:`Blob`/dict/SDK blob, image bytes, an image file, or a NumPy array."""
    if isinstance(frame, (str, os.PathLike)):
        path = Path(frame)
        mime = _IMAGE_TYPES.get(path.suffix.lower())
        if mime is None:
            raise InvalidInputError(f"{path}: video frames must be {', '.join(sorted(_IMAGE_TYPES))} files")
        try:
            return Blob(data=path.read_bytes(), mime_type=mime)
        except OSError as exc:
            raise InvalidInputError(f"cannot read video frame {path}: {exc.strerror}") from None
    if isinstance(frame, (bytes, bytearray, memoryview)):
        data = bytes(frame)
        mime = next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)
        if mime is None:
            raise InvalidInputError("video frame bytes are not JPEG, PNG or WebP (pass a Blob with its mime_type)")
        return Blob(data=data, mime_type=mime)
    if isinstance(frame, np.ndarray):
        return Blob(data=encode_png(frame), mime_type="image/png")
    return Blob.parse(frame)


def encode_png(image: np.ndarray) -> bytes:
    """Encode a uint8 image shaped ``(h, w)``, ``(h, w, 3)`` or ``(h, w, 4)`` as PNG."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise InvalidInputError(f"image arrays must be uint8, got {image.dtype}")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4) or 0 in image.shape[:2]:
        raise InvalidInputError(f"an image must be shaped (h, w), (h, w, 3) or (h, w, 4), got {image.shape}")
    height, width, channels = image.shape
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    rows = np.zeros((height, 1 + width * channels), dtype=np.uint8)  # filter byte 0 per row
    rows[:, 1:] = image.reshape(height, width * channels)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
            + chunk(b"IEND", b""))
