"""Running livemusic's server as a process: TLS context, the serve loop, the embedded engine's child mode."""

from __future__ import annotations

import asyncio
import ssl
import sys
import threading

from livemusic.server.websocket import MusicServer


def ssl_context(certfile: str, keyfile: str | None) -> ssl.SSLContext:
    """A server TLS context from a certificate chain and key file."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    return context


async def run(host: str, port: int, *, context: ssl.SSLContext | None = None, child: bool = False) -> None:
    """Serve until cancelled.

    As the embedded engine's ``child``, print ``LISTENING <port>`` once ready
    and exit when the parent goes away (its end of our stdin closes).
    """
    async with MusicServer(host, port, ssl_context=context) as server:
        if child:
            print(f"LISTENING {server.port}", flush=True)
            await _until_stdin_closes()
        else:
            print(f"livemusic serve: listening on {server.url} (BidiGenerateMusic, v1alpha and v1beta)",
                  file=sys.stderr, flush=True)
            await server.serve_forever()


async def _until_stdin_closes() -> None:
    """Return when the parent process goes away (its end of our stdin closes)."""
    done = asyncio.get_running_loop().create_future()

    def wait() -> None:
        sys.stdin.buffer.read()
        done.get_loop().call_soon_threadsafe(done.set_result, None)

    threading.Thread(target=wait, daemon=True).start()
    await done
