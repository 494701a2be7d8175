from __future__ import annotations

import os
import signal
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile

from livemusic.audio.recorder import Recorder
from livemusic.errors import InvalidInputError

RATE = 48000
PROGRAM = Path(__file__).with_name("record_program.py")
REPO = Path(__file__).resolve().parents[2]

sys.path.insert(0, str(PROGRAM.parent))
from record_program import pattern  # noqa: E402


def read_with_wave(path: Path) -> np.ndarray:
    """Read with Python's wave module, which trusts the header's sizes."""
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, RATE)
        data = wav.readframes(wav.getnframes())
    return np.frombuffer(data, dtype="<i2").reshape(-1, 2)


def read_with_soundfile(path: Path) -> np.ndarray:
    data, rate = soundfile.read(path, dtype="int16", always_2d=True)
    assert rate == RATE
    return data


def write_in_chunks(recorder: Recorder, frames: np.ndarray, chunk: int = 4800) -> None:
    for start in range(0, len(frames), chunk):
        recorder.write(frames[start:start + chunk])


# --------------------------------------------------------------------------- in process


def test_closed_recording_reads_back_exactly_with_soundfile_and_wave(tmp_path):
    path = tmp_path / "take.wav"
    audio = pattern(0, RATE)
    with Recorder(path) as recorder:
        write_in_chunks(recorder, audio)
    assert np.array_equal(read_with_soundfile(path), audio)
    assert np.array_equal(read_with_wave(path), audio)
    info = soundfile.info(path)
    assert (info.format, info.subtype) == ("WAV", "PCM_16")
    assert recorder.frames_written == RATE


def test_header_sizes_are_valid_while_still_recording(tmp_path):
    path = tmp_path / "open.wav"
    audio = pattern(0, RATE // 2)
    with Recorder(path) as recorder:
        write_in_chunks(recorder, audio)
        assert recorder.flush(timeout=5)
        assert np.array_equal(read_with_wave(path), audio)


def test_unwritable_path_raises_invalid_input(tmp_path):
    with pytest.raises(InvalidInputError, match="cannot record to"):
        Recorder(tmp_path / "no" / "such" / "dir" / "x.wav")


def test_write_after_close_raises(tmp_path):
    recorder = Recorder(tmp_path / "x.wav")
    recorder.close()
    with pytest.raises(ValueError, match="closed"):
        recorder.write(pattern(0, 10))


def test_write_beyond_queue_bound_drops_and_counts(tmp_path):
    with Recorder(tmp_path / "x.wav", queue_seconds=0.0) as recorder:
        assert recorder.write(pattern(0, 4800)) == 0
        assert recorder.dropped_frames == 4800


def test_recording_switches_to_rf64_when_data_passes_the_threshold(tmp_path):
    path = tmp_path / "long.wav"
    audio = pattern(0, 3 * RATE)
    with Recorder(path, rf64_threshold_bytes=RATE * 4) as recorder:  # one second of audio
        write_in_chunks(recorder, audio)
        assert recorder.flush(timeout=10)
        assert recorder.format == "RF64"
    assert path.read_bytes()[:4] == b"RF64"
    assert soundfile.info(path).format == "RF64"
    assert np.array_equal(read_with_soundfile(path), audio)
    assert not list(tmp_path.glob("*.rf64-part"))


def test_recording_expected_to_pass_the_threshold_is_rf64_from_the_start(tmp_path):
    path = tmp_path / "planned.wav"
    audio = pattern(0, RATE // 2)
    with Recorder(path, max_seconds=2.0, rf64_threshold_bytes=RATE * 4) as recorder:
        assert recorder.format == "RF64"
        write_in_chunks(recorder, audio)
    assert path.read_bytes()[:4] == b"RF64"
    assert np.array_equal(read_with_soundfile(path), audio)


def test_recording_below_the_threshold_stays_plain_wav(tmp_path):
    path = tmp_path / "short.wav"
    with Recorder(path, max_seconds=0.5, rf64_threshold_bytes=RATE * 4) as recorder:
        write_in_chunks(recorder, pattern(0, RATE // 2))
    assert path.read_bytes()[:4] == b"RIFF"


# --------------------------------------------------------------------------- a real program, interrupted


def run_until(path: Path, seconds_written: float, sig: signal.Signals) -> tuple[int, int, str]:
    """Run the recording program, send ``sig`` once it queued ``seconds_written``.

    Returns (frames queued when the signal was sent, exit code, rest of stdout).
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen([sys.executable, str(PROGRAM), str(path), "3.0"], stdout=subprocess.PIPE,
                               text=True, env=env, cwd=REPO)
    try:
        queued = 0
        for line in process.stdout:
            if line.startswith("queued "):
                queued = int(line.split()[1])
                if queued >= seconds_written * RATE:
                    break
        else:
            pytest.fail(f"the program ended before recording {seconds_written} s")
        process.send_signal(sig)
        rest, _ = process.communicate(timeout=15)
        return queued, process.returncode, rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def closed_frames(stdout: str) -> int:
    lines = [line for line in stdout.splitlines() if line.startswith("closed ")]
    assert lines, f"the program did not finalize the recording: {stdout!r}"
    return int(lines[-1].split()[1])


def assert_valid_prefix(path: Path, at_least_frames: int) -> np.ndarray:
    by_wave = read_with_wave(path)
    by_soundfile = read_with_soundfile(path)
    assert np.array_equal(by_wave, by_soundfile)
    assert len(by_wave) >= at_least_frames
    assert np.array_equal(by_wave, pattern(0, len(by_wave)))
    return by_wave


@pytest.mark.parametrize(("sig", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_interrupting_signal_finalizes_the_recording(tmp_path, sig, exit_code):
    path = tmp_path / f"{sig.name}.wav"
    queued, code, stdout = run_until(path, 2.0, sig)
    assert code == exit_code
    frames = assert_valid_prefix(path, queued)
    assert len(frames) == closed_frames(stdout)


def test_kill_9_leaves_a_valid_wav_missing_at_most_a_second(tmp_path):
    path = tmp_path / "sigkill.wav"
    queued, code, stdout = run_until(path, 2.0, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert "closed" not in stdout
    frames = assert_valid_prefix(path, max(RATE, queued - RATE))
    assert len(frames) <= queued
