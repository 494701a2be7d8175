from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livemusic.audio.ring import RingBuffer
from livemusic.errors import InvalidInputError


def numbered(start: int, count: int) -> np.ndarray:
    """Frames whose two channels encode their sequence number (up to 2**30)."""
    index = np.arange(start, start + count, dtype=np.int64)
    return np.stack([index & 0x7FFF, (index >> 15) & 0x7FFF], axis=1).astype(np.int16)


def numbers(frames: np.ndarray) -> np.ndarray:
    return frames[:, 0].astype(np.int64) | (frames[:, 1].astype(np.int64) << 15)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.integers(0, 40)),
        st.tuples(st.just("read"), st.integers(0, 40)),
        st.tuples(st.just("clear"), st.just(0)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(capacity=st.integers(1, 32), ops=operations)
def test_any_interleaving_preserves_order_and_counts_exactly(capacity, ops):
    ring = RingBuffer(capacity)
    model: deque[int] = deque()
    next_number = 0
    underruns = overruns = written = read_total = cleared = 0
    for op, n in ops:
        if op == "write":
            taken = ring.write(numbered(next_number, n))
            expected_taken = min(n, capacity - len(model))
            assert taken == expected_taken
            model.extend(range(next_number, next_number + taken))
            overruns += n - taken
            written += taken
            next_number += n  # the dropped (newest) frames are gone for good
        elif op == "read":
            out = np.full((n, 2), 99, dtype=np.int16)
            got = ring.read_into(out)
            expected = [model.popleft() for _ in range(min(n, len(model)))]
            assert got == len(expected)
            assert numbers(out[:got]).tolist() == expected
            assert not out[got:].any()
            underruns += n - got
            read_total += got
        else:
            assert ring.clear() == len(model)
            cleared += len(model)
            model.clear()
        assert ring.fill_frames == len(model)
        assert ring.free_frames == capacity - len(model)
        assert ring.fill_seconds == pytest.approx(len(model) / 48000)
        assert ring.underrun_frames == underruns
        assert ring.overrun_frames == overruns
        assert ring.frames_written_total == written
        assert ring.frames_read_total == read_total
        assert ring.cleared_frames == cleared
        assert written == read_total + cleared + len(model)


@settings(max_examples=100, deadline=None)
@given(capacity=st.integers(1, 64), chunks=st.lists(st.integers(1, 100), max_size=30))
def test_write_past_capacity_keeps_oldest_and_drops_newest(capacity, chunks):
    ring = RingBuffer(capacity)
    start = 0
    for n in chunks:
        ring.write(numbered(start, n))
        start += n
    kept = min(capacity, start)
    assert ring.overrun_frames == start - kept
    assert numbers(ring.read(kept)).tolist() == list(range(kept))


def test_read_from_empty_ring_returns_silence_and_counts_underrun():
    ring = RingBuffer(16)
    out = ring.read(10)
    assert out.shape == (10, 2)
    assert not out.any()
    assert ring.underrun_frames == 10


def test_write_rejects_wrong_shape_or_dtype():
    ring = RingBuffer(16)
    with pytest.raises(InvalidInputError, match="int16"):
        ring.write(np.zeros((4, 2), dtype=np.float32))
    with pytest.raises(InvalidInputError, match=r"\(n, 2\)"):
        ring.write(np.zeros(8, dtype=np.int16))


def test_for_seconds_sizes_capacity_at_48_khz():
    assert RingBuffer.for_seconds(0.5).capacity_frames == 24000


def test_threaded_producer_and_consumer_deliver_every_frame_in_order():
    total = 300_000
    ring = RingBuffer(4096)
    received = np.empty(total, dtype=np.int64)
    errors: list[BaseException] = []

    def produce():
        rng = np.random.default_rng(1)
        position = 0
        while position < total:
            n = min(int(rng.integers(1, 3000)), total - position)
            position += ring.write(numbered(position, n))  # retry what did not fit
            if ring.free_frames == 0:
                time.sleep(0.0001)

    def consume():
        rng = np.random.default_rng(2)
        out = np.empty((3000, 2), dtype=np.int16)
        position = 0
        try:
            while position < total:
                n = int(rng.integers(1, 3000))
                got = ring.read_into(out[:n])
                received[position:position + got] = numbers(out[:got])
                position += got
                if not got:
                    time.sleep(0.0001)
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors
    assert np.array_equal(received, np.arange(total))
    assert ring.frames_written_total == ring.frames_read_total == total
    assert ring.fill_frames == 0
