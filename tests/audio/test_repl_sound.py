"""``livemusic repl`` through the sound card (a PulseAudio null sink in CI)."""

import os
import sys
import time
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.sound
def test_repl_plays_through_the_sound_card(tmp_path, sound_output):
    env = dict(os.environ, LIVEMUSIC_HISTORY=str(tmp_path / "history"), TERM="dumb")
    child = pexpect.spawn(sys.executable, ["-m", "livemusic.cli", "repl", "presets/minimal-techno.yaml"],
                          cwd=str(ROOT), env=env, encoding="utf-8", timeout=30, dimensions=(24, 200))
    child.expect(">>> ")
    time.sleep(3)
    child.sendline("status()")
    child.expect(r"bar \d+\.\d .*\n")
    status = child.after
    child.expect(">>> ")
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "no audio" not in status
    buffered = int(status.split("buf ")[1].split(" ms")[0])
    assert 0 < buffered <= 200  # held near the 100 ms target, not piling up
