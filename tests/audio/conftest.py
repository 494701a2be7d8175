"""Fixtures for the audio tests: a real output device when a sound server is there.

Outside CI a missing sound server skips the tests that need one, with the
reason; with ``CI=true`` it fails them, since CI starts a PulseAudio null sink.
"""

from __future__ import annotations

import os
import threading

import pytest


def _probe_output() -> tuple[int | None, str]:
    """Open the default output for a moment; return (device index, "") or (None, why not)."""
    try:
        import pyaudio
    except (ImportError, OSError) as exc:
        return None, f"PyAudio is not usable ({exc})"
    from livemusic.audio.quiet import quiet_native_stderr

    with quiet_native_stderr():
        pa = pyaudio.PyAudio()
    try:
        try:
            info = pa.get_default_output_device_info()
        except OSError as exc:
            return None, f"PortAudio has no default output device ({exc})"
        called = threading.Event()
        count = 0
        silence = bytes(1024 * 4)

        def callback(in_data, frame_count, time_info, status):
            nonlocal count
            count += 1
            if count >= 4:
                called.set()
            return silence[: frame_count * 4], pyaudio.paContinue

        try:
            with quiet_native_stderr():
                stream = pa.open(format=pyaudio.paInt16, channels=2, rate=48000, output=True,
                                 output_device_index=info["index"], frames_per_buffer=1024,
                                 stream_callback=callback)
        except (OSError, ValueError) as exc:
            return None, f"cannot open output device {info['name']!r} at 48 kHz stereo ({exc})"
        try:
            if not called.wait(3.0):
                return None, f"output device {info['name']!r} opened but never asked for audio"
        finally:
            stream.stop_stream()
            stream.close()
        return int(info["index"]), ""
    finally:
        pa.terminate()


@pytest.fixture(scope="session")
def sound_output() -> int:
    """Index of a working output device (PulseAudio null sink in CI)."""
    index, reason = _probe_output()
    if index is None:
        message = (f"no working sound output: {reason}; start a sound server first, "
                   "e.g. eval \"$(.ci/sound-server)\" (a PulseAudio null sink)")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return index
