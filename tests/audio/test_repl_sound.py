"""``livemusic repl`` through the sound card (a PulseAudio null sink in CI)."""

import os
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

ROOT = Path(__file__).resolve().parents[2]


def status(child: pexpect.spawn) -> str:
    """The REPL's status line, a quarter of a second after the last."""
    child.sendline("await asyncio.sleep(0.25); status()")
    child.expect(r"bar \d+\.\d .*\n")
    line = child.after
    child.expect(">>> ")
    return line


def buffered_ms(line: str) -> int:
    return int(line.split("buf ")[1].split(" ms")[0])


@pytest.mark.sound
def test_repl_plays_through_the_sound_card(tmp_path, sound_output):
    env = dict(os.environ, LIVEMUSIC_HISTORY=str(tmp_path / "history"), TERM="dumb")
    child = pexpect.spawn(sys.executable, ["-m", "livemusic.cli", "repl", "presets/minimal-techno.yaml"],
                          cwd=str(ROOT), env=env, encoding="utf-8", timeout=30, dimensions=(24, 200))
    child.expect(">>> ")
    first = status(child)
    assert "no audio" not in first
    for _ in range(120):  # until the music reaches the device's buffer (30 s at most)
        if buffered_ms(status(child)) > 0:
            break
    else:
        pytest.fail("no audio was ever buffered for the device")
    buffered = sorted(buffered_ms(status(child)) for _ in range(8))
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    # Held near the 100 ms target, not piling up (a device stall on a busy machine may, for a moment)
    assert buffered[len(buffered) // 2] <= 200, buffered
