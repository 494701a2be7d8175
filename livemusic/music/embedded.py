"""The embedded engine's server in a child process, on an ephemeral loopback port.

It runs in its own process so that synthesis never holds the GIL of the
process that plays audio. The child exits when its stdin closes, so it never
outlives its parent. This module imports nothing heavy: the command line
spawns the engine first thing, so that the engine's start-up overlaps the
client's own imports.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

from livemusic.errors import ServerError

START_TIMEOUT = 30.0


class EmbeddedEngine:
    """A ``livemusic serve --child`` process; :meth:`spawn` early, :meth:`start` when needed."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None

    @classmethod
    def spawn(cls) -> EmbeddedEngine:
        """Launch the child now, without waiting for it to listen."""
        engine = cls()
        engine.process = subprocess.Popen(
            [sys.executable, "-m", "livemusic.cli", "serve", "--port", "0", "--child"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            # Out of the terminal's process group: Ctrl-C is the parent's to handle (the REPL interrupts a
            # line and plays on); the child still ends when the parent does (its stdin closes).
            start_new_session=True,
        )
        return engine

    async def start(self) -> int:
        """Launch the child if needed and return the port it listens on."""
        if self.port is not None:
            return self.port
        if self.process is None:
            self.process = type(self).spawn().process
        assert self.process is not None and self.process.stdout is not None
        try:
            line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), START_TIMEOUT)
        except TimeoutError:
            await self.stop()
            raise ServerError(1006, "the embedded engine did not start within 30 s") from None
        if not line.startswith(b"LISTENING "):
            await self.stop()
            raise ServerError(1006, "the embedded engine failed to start (see the error above)")
        self.port = int(line.split()[1])
        return self.port

    async def stop(self) -> None:
        """Ask the child to exit (close its stdin) and wait; kill it after 5 s."""
        process, self.process, self.port = self.process, None, None
        if process is None or process.poll() is not None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            await asyncio.to_thread(process.wait, 5)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
