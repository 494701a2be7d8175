"""The thin websockets layer of livemusic's server: moves frames between sockets and sessions.

Any client of BidiGenerateMusic can connect, Google's own SDK included: the
server serves Google's documented path for v1alpha and v1beta (with one or
two leading slashes) and ``/``. What a frame may hold and in which order is
decided by :class:`~livemusic.live.server_protocol.ServerProtocol`; an invalid
frame closes that one connection with the close code and reason it names,
and other sessions play on. livemusic's extensions are advertised in the
handshake header ``x-livemusic-extensions`` and used only by clients that
ask for them in setup.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import http
import logging
import re
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import websockets
from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.http11 import Request, Response
from websockets.protocol import State

from livemusic.errors import ProtocolError
from livemusic.live.endpoints import API_VERSIONS, EXTENSIONS_HEADER, service_path
from livemusic.live.music import EXTENSIONS, MODELS, MUSIC, SERVICE
from livemusic.live.redact import redacting_logger, register_secret
from livemusic.live.server_protocol import CloseCode, ServerProtocol
from livemusic.server.allocator import map_large_buffers
from livemusic.server.limits import (
    Admission,
    Limits,
    RateLimit,
    TrustedProxies,
    authorized,
    check_message,
    require_token_beyond_loopback,
)
from livemusic.server.pacing import Pacer, Pacing
from livemusic.server.resume import secret_from_env, sign, verify
from livemusic.server.session import MusicSession, size_sound_cache
from livemusic.types import (
    SAMPLE_RATE,
    LiveMusicClientMessage,
    LiveMusicGoAway,
    LiveMusicResumptionUpdate,
    LiveMusicServerMessage,
)

log = logging.getLogger("livemusic.server")

PATHS = frozenset({"/"} | {service_path(SERVICE, v) for v in API_VERSIONS})
SHUTDOWN_REASON = "server shutting down: resume on another server"
#: Chunks rendered per trip to a render thread with ``asap`` pacing: each trip costs
#: about as much CPU as rendering 40 ms of audio (wake-up, caches on another core).
ASAP_BATCH = 5

MusicProtocol = ServerProtocol[LiveMusicClientMessage, LiveMusicServerMessage]


def _normalize_path(path: str) -> str:
    path = path.split("?", 1)[0]
    return re.sub(r"^/+", "/", path)


def _process_request(connection: ServerConnection, request: Request) -> Response | None:
    if _normalize_path(request.path) not in PATHS:
        return connection.respond(http.HTTPStatus.NOT_FOUND, f"no BidiGenerateMusic service at {request.path}\n")
    return None


def _process_response(connection: ServerConnection, request: Request, response: Response) -> None:
    response.headers[EXTENSIONS_HEADER] = ",".join(EXTENSIONS)


@dataclass(eq=False)
class _Client:
    """One connection's state in the websockets layer."""

    ws: ServerConnection
    protocol: MusicProtocol
    rate: RateLimit
    #: Clock time of the last message received or chunk sent (for the idle timeout).
    active_at: float = field(default_factory=time.monotonic)
    #: The session's version and position when the last resumption handle went out.
    handle_sent_for: tuple[int, int] = (-1, 0)


async def _close(ws: ServerConnection, code: int, reason: str) -> None:
    """Close with ``code`` and ``reason``, discarding what the client still sends meanwhile.

    Unread frames would fill the receive queue, stop websockets from reading
    the socket, and so hide the client's answering close frame until the
    close timeout.
    """
    async def discard() -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for _ in ws:
                pass

    discarding = asyncio.create_task(discard())
    try:
        await ws.close(code, reason)
    finally:
        discarding.cancel()


def _writable(ws: ServerConnection) -> bool:
    """Whether a frame can be written to ``ws`` at once: it is open and nothing waits in its write buffer.

    ``send`` waits only once that buffer is full (a slow client: its flow control is kept for
    that case), but its asynchronous context costs about 25 us of the ~250 us a paced 40 ms
    chunk cost the server; websockets' ``broadcast`` to this one connection writes the same frame
    without it.
    """
    return ws.state is State.OPEN and not ws.transport.get_write_buffer_size()


async def _send(ws: ServerConnection, frame: str) -> None:
    if _writable(ws):
        broadcast((ws,), frame, raise_exceptions=True)
    else:
        await ws.send(frame)


class MusicServer:
    """Serves BidiGenerateMusic sessions from the embedded engine.

    Use as an async context manager or call :meth:`start` / :meth:`stop`.
    ``port=0`` picks a free port; read it back from :attr:`port`. With a
    ``token``, clients must send it (``Authorization: Bearer`` or
    ``x-goog-api-key``); binding beyond loopback without one raises
    :class:`~livemusic.errors.InvalidInputError`. :meth:`stop` closes every
    session with 1001 so that clients resume elsewhere: on any server given
    the same ``resume_secret`` (else a random one: this server only). Behind
    a reverse proxy, ``trusted_proxies`` are the proxies whose
    ``X-Forwarded-For`` gives the client's address (for the per-address limit
    and the log).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 8765, *, ssl_context: ssl.SSLContext | None = None,
                 pacing: Pacing = Pacing(), limits: Limits = Limits(), token: str | None = None,
                 resume_secret: str | None = None, trusted_proxies: TrustedProxies = TrustedProxies()) -> None:
        require_token_beyond_loopback(host, token)
        self.host = host
        self.requested_port = port
        self.ssl_context = ssl_context
        self.pacing = pacing
        self.limits = limits
        self._token = token
        self.trusted_proxies = trusted_proxies
        if token:
            register_secret(token)
        self._resume_secret = secret_from_env(resume_secret)
        self._admission = Admission(limits)
        self._server: Server | None = None
        self.sessions: set[ServerConnection] = set()
        self._set_up = 0  # sessions past setup, for the sound cache's size
        self._renderers: dict[bool, ThreadPoolExecutor] = {}  # by pacing.realtime, while started

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        scheme = "wss" if self.ssl_context else "ws"
        return f"{scheme}://{self.host}:{self.port}"

    async def start(self) -> MusicServer:
        map_large_buffers()  # a server runs for hours: its large buffers must not pin heap pages
        # One render thread for the paced sessions and one for asap renders, so that a render
        # client's batches never hold up a listener. More threads would only take turns on
        # the GIL (measured with 16 asap sessions on 2 cores: 54x real time per core with two
        # threads for them, 62x with one).
        self._renderers = {realtime: ThreadPoolExecutor(1, thread_name_prefix=f"livemusic-render-{name}")
                           for realtime, name in ((True, "paced"), (False, "asap"))}
        self._server = await serve(
            self._handle,
            self.host,
            self.requested_port,
            ssl=self.ssl_context,
            process_request=_process_request,
            process_response=_process_response,
            max_size=self.limits.max_message_bytes,
            compression=None,
            logger=redacting_logger("livemusic.websocket.server"),
        )
        return self

    async def stop(self) -> None:
        """Stop listening, close every session with 1001 and wait for them to end."""
        if self._server is not None:
            self._server.close(close_connections=False)
            await asyncio.gather(*(ws.close(CloseCode.GOING_AWAY, SHUTDOWN_REASON) for ws in list(self.sessions)))
            await self._server.wait_closed()
        for renderer in self._renderers.values():
            renderer.shutdown(wait=False, cancel_futures=True)

    async def __aenter__(self) -> MusicServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def serve_forever(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    async def _handle(self, ws: ServerConnection) -> None:
        client = _Client(ws, ServerProtocol(MUSIC, MODELS),
                         RateLimit(self.limits.messages_per_second, self.limits.message_burst))
        peer = str(ws.remote_address[0]) if ws.remote_address else "unknown"
        address = self.trusted_proxies.client(peer, ws.request.headers.get_all("X-Forwarded-For") if ws.request else [])
        admitted = False
        self.sessions.add(ws)
        try:
            if not authorized(ws.request.headers if ws.request else {}, self._token):
                raise ProtocolError("unauthenticated: missing or invalid token", code=CloseCode.POLICY_VIOLATION)
            self._admission.admit(address)
            admitted = True
            session = await self._setup(client)
            self._set_up += 1
            size_sound_cache(self._set_up)
            tasks = {asyncio.create_task(self._read(client, session)),
                     asyncio.create_task(self._produce(client, session)),
                     asyncio.create_task(self._watch_idle(client))}
            if self.limits.max_session_s is not None:
                tasks.add(asyncio.create_task(self._limit_time(client)))
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                self._set_up -= 1
                size_sound_cache(self._set_up)
            for task in done:
                task.result()  # a ProtocolError from the reader, or a crash of either side
        except ProtocolError as exc:
            log.info("closing %s: %s %s", address, exc.code, exc.reason)
            await _close(ws, *client.protocol.close(exc.code, exc.reason))
        except websockets.ConnectionClosed:
            pass
        except TimeoutError:
            await _close(ws, *client.protocol.close(
                CloseCode.POLICY_VIOLATION, f"setup expected within {self.limits.setup_timeout_s:g} s"))
        except Exception:  # a bug: this session ends with 1011 and no details, the others play on
            log.exception("session %s failed", address)
            await _close(ws, *client.protocol.close(CloseCode.INTERNAL_ERROR, "Internal error encountered."))
        finally:
            if admitted:
                self._admission.release(address)
            self.sessions.discard(ws)

    async def _setup(self, client: _Client) -> MusicSession:
        frame = await asyncio.wait_for(client.ws.recv(), self.limits.setup_timeout_s)
        client.rate.take(time.monotonic())
        setup = client.protocol.receive(frame).setup
        pacing = dataclasses.replace(
            self.pacing,
            chunk_ms=setup.livemusic_chunk_ms or self.pacing.chunk_ms,
            realtime=setup.livemusic_pacing != "asap" and self.pacing.realtime,
        )
        session = MusicSession(pacing, stems=bool(setup.livemusic_stems), extended=client.protocol.extended,
                               notes=bool(setup.livemusic_notes), end=setup.livemusic_end)
        if setup.livemusic_resume is not None:
            resume = setup.livemusic_resume
            session.resume(verify(resume.handle, resume.position, self._resume_secret), resume.position,
                           (resume.buffer_ms or 0) / 1000)
        await client.ws.send(client.protocol.setup_complete())
        return session

    async def _read(self, client: _Client, session: MusicSession) -> None:
        async for frame in client.ws:
            client.active_at = now = time.monotonic()
            message = client.protocol.receive(frame)
            if message.livemusic_at is None:
                client.rate.take(now)
            elif session.scheduled >= self.limits.max_scheduled:
                raise ProtocolError(f"too many timed messages: at most {self.limits.max_scheduled} waiting",
                                    code=CloseCode.POLICY_VIOLATION)
            check_message(message, self.limits)
            session.submit(message)

    def _handle_due(self, client: _Client, session: MusicSession) -> bool:
        """Whether a new resumption handle is due: after each change and each second of stream (to extended
        clients only). Not while a change waits to be synthesized (in the next render, off the event loop):
        the handle carries the bar grid and seed as they are once it is."""
        version, position = client.handle_sent_for
        return client.protocol.extended and session.generator.settled and (
            session.version != version or session.position - position >= SAMPLE_RATE)

    async def _send_handle(self, client: _Client, session: MusicSession) -> None:
        handle = sign(session.resume_state(), self._resume_secret)
        update = LiveMusicServerMessage(livemusic_resumption_update=LiveMusicResumptionUpdate(new_handle=handle))
        await client.ws.send(client.protocol.send(update))
        client.handle_sent_for = (session.version, session.position)

    async def _limit_time(self, client: _Client) -> None:
        """End the session (1001) after ``max_session_s``, with a go-away notice ahead to extended clients."""
        limit, notice = self.limits.max_session_s, self.limits.go_away_notice_s
        assert limit is not None
        await asyncio.sleep(limit - notice)
        if client.protocol.extended:
            await client.ws.send(client.protocol.send(
                LiveMusicServerMessage(livemusic_go_away=LiveMusicGoAway(time_left_s=notice))))
        await asyncio.sleep(notice)
        raise ProtocolError(f"session time limit reached ({limit:g} s): open a new session",
                            code=CloseCode.GOING_AWAY)

    async def _watch_idle(self, client: _Client) -> None:
        """End the session (1001) after ``idle_timeout_s`` with no message received and no audio sent."""
        timeout = self.limits.idle_timeout_s
        while (idle := time.monotonic() - client.active_at) < timeout:
            await asyncio.sleep(timeout - idle)
        raise ProtocolError(f"idle for {timeout:g} s: no message and no audio", code=CloseCode.GOING_AWAY)

    def _chunk_on_time(self, client: _Client, session: MusicSession, pacer: Pacer) -> float | None:
        """A turn of :meth:`_produce` that awaits nothing, run by the shared timer when a chunk is due:
        sends that chunk and returns when the next one is due, with no task switch.

        ``None`` (nothing sent): the producer wakes and sends this chunk itself, because something
        must be awaited first (a message or a resumption handle to send, a block to render, a full
        write buffer) or because the chunk ends its block (the next block renders while it plays).
        """
        ws = client.ws
        session.apply_due()
        if (session.outbox or session.urgent or not session.streaming or self._handle_due(client, session)
                or not _writable(ws)):
            return None
        sizes = session.next_chunk_sizes()
        if not sizes or sum(sizes) >= session.generator.ahead:
            return None
        for block in session.render(sizes):
            broadcast((ws,), session.chunk_frame(block), raise_exceptions=True)
        client.active_at = time.monotonic()
        return pacer.wake_at(asyncio.get_running_loop().time(), session.position)

    async def _produce(self, client: _Client, session: MusicSession) -> None:
        """Render and send chunks while playing, paced against the wall clock."""
        ws, protocol = client.ws, client.protocol
        loop = asyncio.get_running_loop()
        pacer = Pacer(session.pacing, burst_s=session.refill_s)
        on_time = functools.partial(self._chunk_on_time, client, session, pacer)
        while True:
            session.changed.clear()  # before looking: a message arriving after this wakes the waits below
            session.apply_due()
            while session.outbox:
                await ws.send(protocol.send(session.outbox.pop(0)))
            if self._handle_due(client, session):
                await self._send_handle(client, session)
            if not session.streaming:
                pacer.halt()
                await session.changed.wait()
                continue
            wake_at = pacer.wake_at(loop.time(), session.position, urgent=session.urgent)
            step = on_time if session.generator.rewindable else None  # chunks shorter than blocks
            if wake_at is not None and await session.changed.wait(wake_at, step):
                continue  # a message came before the chunk was due: look at it first
            session.urgent = False
            sizes = session.next_chunk_sizes(1 if session.pacing.realtime else ASAP_BATCH)
            if not session.streaming:
                continue
            renderer = self._renderers[session.pacing.realtime]
            if session.rendered(sizes):  # a live listener's 40 ms chunks come from 200 ms blocks
                blocks = session.render(sizes)
            else:
                blocks = await loop.run_in_executor(renderer, session.render, sizes)
            for block in blocks:
                await _send(ws, session.chunk_frame(block))
            client.active_at = time.monotonic()
            if session.renders_ahead():  # the next block renders while this chunk plays
                await loop.run_in_executor(renderer, session.generator.synthesize_ahead)
