"""The ``livemusic`` command end to end, in subprocesses, with real WAV files read back."""

import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "presets" / "minimal-techno.yaml"


def livemusic(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "livemusic.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, stdin=subprocess.DEVNULL)


def read_wav(path: Path) -> np.ndarray:
    """Read with soundfile and check that Python's strict ``wave`` reader agrees on the length."""
    data, rate = sf.read(path, dtype="int16")
    assert rate == 48_000 and data.shape[1] == 2
    with wave.open(str(path)) as strict:
        assert strict.getnframes() == len(data)
    return data


def test_play_records_the_requested_duration_without_a_sound_card(tmp_path):
    out = tmp_path / "x.wav"
    result = livemusic("play", str(PRESET), "--duration", "5", "--no-audio", "--record", str(out))
    assert result.returncode == 0, result.stderr
    audio = read_wav(out)
    assert len(audio) == 5 * 48_000
    assert np.sqrt(np.mean(audio.astype(float) ** 2)) > 300


def test_play_prints_plain_status_lines_when_not_a_terminal(tmp_path):
    result = livemusic("play", str(PRESET), "--duration", "2", "--no-audio")
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stdout
    assert "bpm" in result.stdout and "bar" in result.stdout


def test_invalid_preset_exits_2_naming_file_line_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nprompts: {techno: 1.0}\nconfig:\n  bpm: 300\nduration: 10\n")
    result = livemusic("play", str(bad), "--no-audio")
    assert result.returncode == 2
    assert f"{bad}:4" in result.stderr and "bpm" in result.stderr and "60 and 200" in result.stderr


def test_invalid_preset_prints_one_line_and_no_traceback_from_the_engine(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nprompts: {techno: 1.0}\nconfig:\n  bpm: 300\nduration: 10\n")
    for command in ("play", "repl"):
        result = livemusic(command, str(bad), "--no-audio")
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr


def test_recording_to_a_missing_folder_names_the_folder(tmp_path):
    result = livemusic("play", str(PRESET), "--no-audio", "--record", str(tmp_path / "nowhere" / "x.wav"))
    assert result.returncode == 2
    assert f"the folder {tmp_path / 'nowhere'} does not exist" in result.stderr


def test_render_progress_is_a_few_plain_lines_when_not_a_terminal(tmp_path):
    result = livemusic("render", str(PRESET), "--out", str(tmp_path / "x.wav"), "--bars", "8")
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr
    assert result.stderr.count("rendered") <= 4 and "rendered 100%" in result.stderr


def test_missing_preset_exits_2(tmp_path):
    result = livemusic("play", str(tmp_path / "none.yaml"), "--no-audio")
    assert result.returncode == 2
    assert "none.yaml" in result.stderr


def test_bad_duration_flag_exits_2():
    result = livemusic("play", str(PRESET), "--duration", "soon", "--no-audio")
    assert result.returncode == 2
    assert "soon" in result.stderr


def test_unknown_device_exits_2_listing_the_choices():
    pytest.importorskip("pyaudio")
    result = livemusic("play", str(PRESET), "--duration", "1", "--device", "no-such-device-xyz")
    assert result.returncode == 2
    assert "no-such-device-xyz" in result.stderr


def test_render_bars_gives_a_sample_exact_length(tmp_path):
    out = tmp_path / "loop.wav"
    result = livemusic("render", str(PRESET), "--out", str(out), "--bars", "4")
    assert result.returncode == 0, result.stderr
    bpm = 126  # minimal-techno.yaml
    assert len(read_wav(out)) == round(4 * 4 * 60 / bpm * 48_000)


def test_render_stems_writes_four_stems_of_the_same_length(tmp_path):
    out = tmp_path / "loop.wav"
    result = livemusic("render", str(PRESET), "--out", str(out), "--duration", "3", "--stems")
    assert result.returncode == 0, result.stderr
    mix = read_wav(out)
    for name in ("drums", "bass", "harmony", "lead"):
        assert len(read_wav(tmp_path / f"loop.{name}.wav")) == len(mix)


def test_render_prompts_without_a_preset_writes_a_named_loop_with_stems_and_midi(tmp_path):
    result = livemusic("render", "--prompt", "minimal techno", "--bpm", "124", "--scale", "A_FLAT_MAJOR_F_MINOR",
                       "--bars", "2", "--loop", "--stems", "--midi", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    [wav] = [p for p in tmp_path.glob("*.wav") if p.stem.count(".") == 0]
    assert wav.name in ("minimal-techno_124bpm_Fmin_2bars.wav", "minimal-techno_124bpm_Abmaj_2bars.wav")
    assert len(read_wav(wav)) == round(2 * 4 * 60 / 124 * 48_000)
    assert {p.name.removeprefix(wav.stem) for p in tmp_path.iterdir()} == {
        ".wav", ".drums.wav", ".bass.wav", ".harmony.wav", ".lead.wav", ".mid"}


def test_render_duration_in_bars_follows_the_preset_tempo_map(tmp_path):
    preset = tmp_path / "change.yaml"
    preset.write_text("name: change\nprompts: {techno: 1.0}\nconfig: {bpm: 120}\n"
                      "timeline:\n  - at: 1 bar\n    config: {bpm: 60}\n")
    out = tmp_path / "x.wav"
    result = livemusic("render", str(preset), "--duration", "2 bars", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert len(read_wav(out)) == (2 + 4) * 48_000  # a bar at 120 bpm, then one at 60


def test_render_without_preset_or_prompt_exits_2():
    result = livemusic("render", "--bars", "2")
    assert result.returncode == 2 and "--prompt" in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_play_interrupted_finalizes_the_recording(tmp_path, sig):
    out = tmp_path / "cut.wav"
    proc = subprocess.Popen([sys.executable, "-m", "livemusic.cli", "play", str(PRESET), "--no-audio",
                             "--record", str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 48_000 * 4 * 2):
        time.sleep(0.1)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}[sig]
    assert b"recorded" in stderr  # finalized on the way out, not just left valid by the header updates
    assert len(read_wav(out)) >= 48_000


def test_serve_binds_loopback_by_default():
    proc = subprocess.Popen([sys.executable, "-m", "livemusic.cli", "serve", "--port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    try:
        line = proc.stderr.readline()
        assert "listening on ws://127.0.0.1:" in line
    finally:
        proc.terminate()
        proc.wait(10)


def test_engine_start_up_does_not_import_scipy_signal():
    """scipy.signal alone takes over a second to import: too slow for the first-sound budget."""
    code = "import sys, livemusic.server.websocket; print('scipy.signal' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_importing_the_engine_imports_no_network_code():
    """engine/ is pure DSP: the server lives in livemusic.server."""
    code = "import sys, livemusic.engine; print(sorted(m for m in sys.modules if m.split('.')[0] == 'websockets'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
