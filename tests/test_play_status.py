"""``livemusic play`` in a log (stdout not a terminal): a line of its own at each connection event."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from serving import serve_process

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "presets" / "minimal-techno.yaml"
#: An event's line: the stream time, then the event (status lines have "bar ..." there instead).
EVENT = re.compile(r"\d\d:\d\d\.\d (disconnected|reconnecting|resumed|rotated): ")


@contextlib.contextmanager
def playing(url: str) -> Iterator[list[str]]:
    """``livemusic play`` of a preset from ``url`` with stdout piped; the lines it printed so far."""
    proc = subprocess.Popen([sys.executable, "-m", "livemusic.cli", "play", str(PRESET), "--url", url, "--no-audio",
                             "--duration", "120"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    try:
        yield lines
    finally:
        proc.kill()
        proc.wait()


def wait_for(lines: list[str], text: str, count: int = 1) -> None:
    deadline = time.monotonic() + 60
    while sum(text in line for line in list(lines)) < count:
        assert time.monotonic() < deadline, f"no {text!r} in {lines}"
        time.sleep(0.05)


def events(lines: list[str]) -> str:
    return " ".join(m.group(1) for line in list(lines) if (m := EVENT.match(line)))


def test_a_dropped_server_prints_disconnected_each_attempt_and_resumed():
    env = {**os.environ, "LIVEMUSIC_RESUME_SECRET": "shared by the servers"}
    with serve_process(env=env) as first:
        with playing(first.url) as lines:
            wait_for(lines, " bar ")  # a status line: the stream plays
            first.process.kill()
            first.process.wait()
            wait_for(lines, "disconnected: ")
            with serve_process(port=urlsplit(first.url).port, env=env):
                wait_for(lines, "resumed: ")
                seen = events(lines)  # before this server stops too
    assert re.fullmatch(r"disconnected( reconnecting)* resumed", seen), lines


def test_a_rotation_prints_rotated():
    with serve_process("--max-session-seconds", "2") as served:
        with playing(served.url) as lines:
            wait_for(lines, "rotated: ")
            seen = events(lines)
    assert seen.startswith("rotated"), lines


def test_without_a_device_the_lines_give_the_stream_position_received():
    with serve_process() as served:
        with playing(served.url) as lines:
            wait_for(lines, " bar ", count=2)  # the second status line, 5 s in
            played = [line for line in list(lines) if " bar " in line][-1][:7]
            served.process.kill()
            wait_for(lines, "disconnected: ")
            disconnected = next(line for line in list(lines) if "disconnected: " in line)
    assert disconnected[:7] >= played > "00:00.0", lines
