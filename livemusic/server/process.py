"""Running livemusic's server as a process: TLS context, the serve loop, SIGTERM, the embedded engine's child mode."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import ssl
import sys
import threading

from livemusic.server.websocket import MusicServer


def ssl_context(certfile: str, keyfile: str | None) -> ssl.SSLContext:
    """A server TLS context from a certificate chain and key file."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    return context


async def run(server: MusicServer, *, child: bool = False) -> None:
    """Serve until SIGTERM (then close every session with 1001 and return) or cancellation.

    As the embedded engine's ``child``, print ``LISTENING <port>`` once ready
    and also return when the parent goes away (its end of our stdin closes).
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        async with server:
            if child:
                try:
                    print(f"LISTENING {server.port}", flush=True)
                except BrokenPipeError:  # the parent left before we were ready (it found bad input): quietly
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                    return
                _stop_when_stdin_closes(stop)
            else:
                print(f"livemusic serve: listening on {server.url} (BidiGenerateMusic, v1alpha and v1beta)",
                      file=sys.stderr, flush=True)
            await stop.wait()
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)


def _stop_when_stdin_closes(stop: asyncio.Event) -> None:
    """Set ``stop`` when the parent process goes away (its end of our stdin closes)."""
    loop = asyncio.get_running_loop()

    def wait() -> None:
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait, daemon=True).start()
