from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from livemusic.audio.pcm import SAMPLE_RATE, decode_pcm, encode_pcm, parse_mime
from livemusic.errors import InvalidConfigError, InvalidInputError

frames_strategy = hnp.arrays(np.int16, st.tuples(st.integers(0, 500), st.just(2)))


@given(frames_strategy)
def test_encode_then_decode_returns_the_same_frames(frames):
    decoded = decode_pcm(encode_pcm(frames), "audio/l16;rate=48000;channels=2")
    assert decoded.dtype == np.int16
    assert decoded.shape == frames.shape
    assert np.array_equal(decoded, frames)


def test_encoding_is_interleaved_little_endian():
    frames = np.array([[1, -2], [0x0102, 0x7FFF]], dtype=np.int16)
    assert encode_pcm(frames) == bytes([1, 0, 0xFE, 0xFF, 2, 1, 0xFF, 0x7F])


def test_mono_is_duplicated_to_both_channels():
    data = np.array([5, -7, 9], dtype="<i2").tobytes()
    decoded = decode_pcm(data, "audio/l16;rate=48000;channels=1")
    assert decoded.tolist() == [[5, 5], [-7, -7], [9, 9]]


@pytest.mark.parametrize(("mime", "expected"), [
    ("audio/l16;rate=48000;channels=2", (48000, 2)),
    ("audio/L16; rate=48000; channels=1", (48000, 1)),
    ("audio/pcm;rate=24000", (24000, 2)),
    ("audio/pcm", (SAMPLE_RATE, 2)),
    (None, (SAMPLE_RATE, 2)),
    ("", (SAMPLE_RATE, 2)),
])
def test_parse_mime_reads_rate_and_channels_with_protocol_defaults(mime, expected):
    assert parse_mime(mime) == expected


def test_other_sample_rate_is_rejected_naming_the_rate():
    with pytest.raises(InvalidConfigError, match="44100 Hz") as info:
        decode_pcm(b"\0" * 8, "audio/l16;rate=44100;channels=2")
    assert info.value.field == "mimeType"


def test_non_pcm_type_is_rejected():
    with pytest.raises(InvalidConfigError, match="unsupported audio type"):
        parse_mime("audio/mpeg")


def test_bad_rate_parameter_is_rejected():
    with pytest.raises(InvalidConfigError, match="positive integer"):
        parse_mime("audio/l16;rate=fast")


def test_partial_frame_is_rejected():
    with pytest.raises(InvalidConfigError, match="whole number"):
        decode_pcm(b"\0" * 6, "audio/l16;rate=48000;channels=2")


def test_encode_rejects_float_frames():
    with pytest.raises(InvalidInputError, match="int16"):
        encode_pcm(np.zeros((4, 2), dtype=np.float32))
