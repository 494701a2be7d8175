"""``livemusic serve`` in a child process for tests: its URL, and its log read on a thread (never blocking it)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Served:
    process: subprocess.Popen
    url: str
    log: list[str] = field(default_factory=list)


@contextlib.contextmanager
def serve_process(*args: str, port: int = 0, env: dict[str, str] | None = None) -> Iterator[Served]:
    """Run ``livemusic serve --port port *args`` until the block ends (then kill it)."""
    process = subprocess.Popen([sys.executable, "-m", "livemusic.cli", "serve", "--port", str(port), *args],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                               text=True, env=env)
    try:
        line = process.stderr.readline()
        if "listening on " not in line:
            raise AssertionError(f"livemusic serve did not start: {line}{process.stderr.read()}")
        served = Served(process, line.split("listening on ")[1].split()[0])
        threading.Thread(target=lambda: served.log.extend(process.stderr), daemon=True).start()
        yield served
    finally:
        process.kill()
        process.wait()
