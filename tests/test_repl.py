"""``livemusic repl`` end to end, typed into a pseudo-terminal, with real recordings read back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pexpect = pytest.importorskip("pexpect")

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "presets" / "minimal-techno.yaml"
PROMPT = ">>> "


def start(tmp_path: Path, *args: str) -> pexpect.spawn:
    env = dict(os.environ, LIVEMUSIC_HISTORY=str(tmp_path / "history"), TERM="dumb", COLUMNS="200")
    child = pexpect.spawn(sys.executable, ["-m", "livemusic.cli", "repl", *args], cwd=str(ROOT), env=env,
                          encoding="utf-8", timeout=30, dimensions=(24, 200))
    child.expect(PROMPT)
    return child


def type_line(child: pexpect.spawn, line: str) -> str:
    """Type ``line`` and return what it printed before the next prompt."""
    child.sendline(line)
    child.expect(PROMPT)
    return child.before.split("\n", 1)[1] if "\n" in child.before else ""


def leave(child: pexpect.spawn, how: str = "ctrl-d") -> str:
    if how == "ctrl-d":
        child.sendcontrol("d")
    else:
        child.sendline("exit()")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return child.before


def windows_rms(audio: np.ndarray, seconds: float = 0.25) -> np.ndarray:
    n = int(48_000 * seconds)
    frames = audio[: len(audio) // n * n].astype(np.float64)
    return np.sqrt((frames.reshape(-1, n, 2) ** 2).mean(axis=(1, 2)))


def test_errors_print_one_line_or_a_traceback_and_the_music_plays_on(tmp_path):
    out = tmp_path / "take.wav"
    child = start(tmp_path, str(PRESET), "--no-audio", "--record", str(out))
    assert type_line(child, "bpm(300)").strip() == "error: bpm: must be between 60 and 200, got 300"
    printed = type_line(child, "1/0")
    assert 'File "<livemusic>", line 1' in printed and "ZeroDivisionError" in printed
    assert "repl.py" not in printed and "concurrent" not in printed  # only the user's own frames
    assert type_line(child, "bmp(120)").strip() == "error: name 'bmp' is not defined; did you mean bpm?"
    type_line(child, "await asyncio.sleep(2)")
    tail = leave(child)
    assert "recorded" in tail
    audio, rate = sf.read(out, dtype="int16")
    assert len(audio) > 2.2 * rate
    assert windows_rms(audio[rate // 2:]).min() > 100  # no gap anywhere: the errors never stopped it


def test_mute_is_heard_in_the_recording(tmp_path):
    out = tmp_path / "mute.wav"
    child = start(tmp_path, str(PRESET), "--no-audio", "--record", str(out))
    type_line(child, "solo('bass', 'drums'); mute('drums', 'bass')")  # everything silenced
    type_line(child, "await asyncio.sleep(1.5)")
    leave(child, "exit")
    audio, _ = sf.read(out, dtype="int16")
    levels = windows_rms(audio)
    assert levels[:2].max() > 1000  # it played before the mute
    assert levels[-2:].max() < levels[:2].max() / 20  # and was silent (-26 dB) after it


def test_save_preset_writes_a_preset_that_play_accepts(tmp_path):
    saved = tmp_path / "saved.yaml"
    child = start(tmp_path, "--no-audio")
    type_line(child, "prompts({'bossa nova': 1.0, 'flute': 0.5}); bpm(96); key('D minor'); density(0.4)")
    assert type_line(child, f"save_preset({str(saved)!r})").strip() == f"saved {saved}"
    leave(child)
    text = saved.read_text()
    assert "bossa nova: 1.0" in text and "bpm: 96" in text and "F_MAJOR_D_MINOR" in text
    out = tmp_path / "again.wav"
    result = subprocess.run([sys.executable, "-m", "livemusic.cli", "play", str(saved), "--no-audio",
                             "--duration", "2", "--record", str(out)], capture_output=True, text=True,
                            cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert len(sf.read(out, dtype="int16")[0]) == 2 * 48_000


def test_history_is_kept_across_runs_and_tab_completes_helpers(tmp_path):
    child = start(tmp_path, "--no-audio")
    type_line(child, "answer = 41 + 1")
    leave(child)
    assert "answer = 41 + 1" in (tmp_path / "history").read_text()
    child = start(tmp_path, "--no-audio")
    child.send("\x1b[A")  # up arrow: the line from the last run
    child.sendline("")
    child.expect(PROMPT)
    assert type_line(child, "answer").strip() == "42"
    child.send("brightn\t")
    child.expect(r"brightness\(")  # completed, call parenthesis included
    child.sendline("0.3)")
    child.expect(PROMPT)
    assert "Error" not in child.before
    leave(child)


def test_help_lists_every_helper_in_one_line_each(tmp_path):
    from livemusic.controls import HELPERS

    child = start(tmp_path, "--no-audio")
    printed = type_line(child, "help()")
    leave(child)
    lines = printed.splitlines()
    for name in HELPERS:
        entry = [line for line in lines if line.strip().startswith(name + " ")]
        assert entry and len(entry[0].split(None, 1)[1]) > 5, name


def test_ctrl_c_interrupts_the_running_line_and_the_music_plays_on(tmp_path):
    out = tmp_path / "take.wav"
    child = start(tmp_path, str(PRESET), "--no-audio", "--record", str(out))
    child.sendline('print("the line " + "runs"); await asyncio.sleep(30)')
    child.expect("the line runs")  # its output, not the echo: a Ctrl-C sent before the line starts meets the prompt
    child.sendintr()
    child.expect(PROMPT, timeout=5)
    assert "KeyboardInterrupt (the music plays on)" in child.before
    type_line(child, "await asyncio.sleep(1)")
    leave(child)
    audio, rate = sf.read(out, dtype="int16")
    assert windows_rms(audio[rate // 2:]).min() > 100  # no gap: the interrupt never reached the music
