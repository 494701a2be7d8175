"""A BidiGenerateMusic server on ``websockets`` that streams the embedded engine.

Any client of the protocol can connect, Google's own SDK included: the server
serves Google's documented path for v1alpha and v1beta (with one or two
leading slashes) and ``/``, accepts camelCase and snake_case keys, follows
the rule that ``musicGenerationConfig`` replaces the whole config, and
answers an invalid message by closing that one connection with 1007 (invalid
payload) or 1008 (protocol order, unknown model) and a reason naming the
field. Other sessions play on.

Generation is paced: a short burst at PLAY, then a bounded lead over real
time, so a change is heard quickly; a livemusic client may ask for
``asap`` pacing (rendering) and for stems, and may schedule a message at an
exact stream position. Those extensions are advertised in the handshake
header ``x-livemusic-extensions`` and never sent to clients that did not ask.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import enum
import http
import logging
import re
import ssl
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import websockets
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from livemusic.engine.generator import Block, Generator
from livemusic.engine.style import filtered_prompts
from livemusic.errors import ProtocolError
from livemusic.live import codec
from livemusic.live.endpoints import API_VERSIONS, EXTENSIONS_HEADER, service_path
from livemusic.live.redact import redacting_logger
from livemusic.types import (
    DEFAULT_MODEL,
    MIME_TYPE,
    SAMPLE_RATE,
    AudioChunk,
    LiveMusicClientContent,
    LiveMusicClientMessage,
    LiveMusicGenerationConfig,
    LiveMusicServerContent,
    LiveMusicServerMessage,
    LiveMusicServerSetupComplete,
    LiveMusicSourceMetadata,
    PlaybackControl,
)

log = logging.getLogger("livemusic.server")

SERVICE = "BidiGenerateMusic"
PATHS = frozenset({"/"} | {service_path(SERVICE, v) for v in API_VERSIONS})
EXTENSIONS = ("pacing", "chunk-ms", "stems", "at", "position")
#: Models this server answers for; others get 1008 as on Google's service.
MODELS = frozenset({DEFAULT_MODEL, "models/livemusic-embedded"})
SETUP_TIMEOUT = 30.0
MAX_MESSAGE_BYTES = 1 * 2**20
#: Chunks rendered per trip to a render thread with ``asap`` pacing: each trip costs
#: about as much CPU as rendering 40 ms of audio (wake-up, caches on another core).
ASAP_BATCH = 5


class Playback(enum.Enum):
    STOPPED = "stopped"
    PLAYING = "playing"
    PAUSED = "paused"


@dataclass(frozen=True)
class Pacing:
    """How far generation may run ahead of real time.

    A chunk is rendered once the stream is at most ``lead_s`` ahead of the
    wall clock (so 0.2-0.4 s ahead in steady state). After an untimed
    message the next chunk is rendered as soon as that keeps the stream
    within ``max_ahead_s``, so a change leaves the server as soon as it is
    rendered. A smaller lead saves latency but starves the client's buffer
    after a pause (measured: underruns at 0.1 s on a PulseAudio sink).
    """

    chunk_ms: int = 200
    lead_s: float = 0.2
    max_ahead_s: float = 0.6
    realtime: bool = True

    @property
    def chunk_frames(self) -> int:
        return SAMPLE_RATE * self.chunk_ms // 1000


@dataclass(order=True)
class _Pending:
    """A validated client message waiting for its stream position (untimed ones: -1)."""

    at: int
    seq: int
    message: LiveMusicClientMessage = field(compare=False)
    #: Whether the generator already has it (timed changes are handed over ahead, to land sample-exactly).
    scheduled: bool = field(default=False, compare=False)


class MusicSession:
    """One client's music state: generator, prompts, config, playback, position.

    Messages are queued by the reader and applied by the producer between
    renders (the generator is not thread-safe and renders in a worker thread).
    """

    def __init__(self, pacing: Pacing, *, stems: bool = False, extended: bool = False) -> None:
        self.generator = Generator(sample_rate=SAMPLE_RATE)
        self.pacing = pacing
        self.stems = stems
        self.extended = extended
        self.prompts: LiveMusicClientContent | None = None
        self.config = LiveMusicGenerationConfig()
        self.playback = Playback.STOPPED
        self.position = 0  # stream frames sent so far
        self._pending: list[_Pending] = []
        self._seq = 0
        self.changed = asyncio.Event()
        #: An untimed message arrived: render the next chunk at once (one chunk past the lead).
        self.urgent = False
        self.outbox: list[LiveMusicServerMessage] = []
        self._frame: codec.AudioFrame | None = None
        self._frame_made_for: tuple[object, ...] = ()  # prompts, config, seed and stem names of _frame

    def submit(self, message: LiveMusicClientMessage) -> None:
        """Queue a message; timed ones wait for their position, the rest apply before the next render."""
        self._seq += 1
        at = message.livemusic_at if message.livemusic_at is not None else -1
        bisect.insort(self._pending, _Pending(at, self._seq, message))
        self.urgent = self.urgent or message.livemusic_at is None
        self.changed.set()

    def next_due(self) -> int | None:
        """The stream position of the next timed message, if any is queued."""
        return self._pending[0].at if self._pending else None

    def apply_due(self) -> None:
        """Apply every queued message whose stream position has been reached, in arrival order.

        While nothing plays the stream does not advance, so a timed playback
        control applies at once (it could never become due otherwise).
        """
        while due := [p for p in self._pending if p.at <= self.position or (
                self.playback is not Playback.PLAYING and p.message.playback_control is not None)]:
            first = min(due, key=lambda p: p.seq)
            self._pending.remove(first)
            self._apply(first.message, scheduled=first.scheduled)

    def hand_over_timed(self) -> None:
        """Give the generator every timed change now, so it lands on its exact frame.

        The generator synthesizes ahead of what it returns; a change handed
        over only when the stream reaches it would land at the next internal
        block instead. The session still applies its own bookkeeping (prompts
        and config in sourceMetadata, filtered prompts) at the exact position.
        """
        for pending in self._pending:
            message = pending.message
            if pending.at < 0 or pending.scheduled:
                continue
            reset = message.playback_control is PlaybackControl.RESET_CONTEXT
            if message.client_content is None and message.music_generation_config is None and not reset:
                continue  # PLAY/PAUSE/STOP are the session's business
            prompts = list(message.client_content.weighted_prompts) if message.client_content else None
            self.generator.schedule(pending.at, prompts=prompts, config=message.music_generation_config,
                                    reset=reset)
            pending.scheduled = True

    def _apply(self, message: LiveMusicClientMessage, *, scheduled: bool = False) -> None:
        if message.client_content is not None:
            prompts = list(message.client_content.weighted_prompts)
            filtered = filtered_prompts(prompts) if scheduled else self.generator.set_prompts(prompts)
            rejected = {f.text for f in filtered}
            kept = [p for p in prompts if p.text not in rejected]
            if kept:
                self.prompts = LiveMusicClientContent(weighted_prompts=kept)
            self.outbox.extend(LiveMusicServerMessage(filtered_prompt=f) for f in filtered)
        elif message.music_generation_config is not None:
            self.config = message.music_generation_config
            if not scheduled:
                self.generator.set_config(self.config)
        elif message.playback_control is not None:
            if not (scheduled and message.playback_control is PlaybackControl.RESET_CONTEXT):
                self._control(message.playback_control)

    def _control(self, control: PlaybackControl) -> None:
        if control is PlaybackControl.PLAY:
            self.playback = Playback.PLAYING
        elif control is PlaybackControl.PAUSE:
            if self.playback is Playback.PLAYING:
                self.playback = Playback.PAUSED
        elif control is PlaybackControl.STOP:
            self.playback = Playback.STOPPED
            self.generator.reset()
        elif control is PlaybackControl.RESET_CONTEXT:
            self.generator.reset()

    def next_chunk_sizes(self, count: int = 1) -> list[int]:
        """Apply due messages and size the next chunks: ``count`` of them, fewer before a timed message.

        A chunk ends at the next timed message and never crosses the
        generator's internal block boundary, so with the default length
        (one block) each chunk is synthesized fresh and a change that arrived
        before it is in it. Longer chunk requests are capped at one block.
        """
        self.apply_due()
        self.hand_over_timed()
        block = self.generator.block
        due = self.next_due()
        sizes: list[int] = []
        position = self.position
        while len(sizes) < count and (due is None or position < due):
            end = min(position + self.pacing.chunk_frames, (position // block + 1) * block)
            if due is not None and due < end:
                end = due
            sizes.append(end - position)
            position = end
        return sizes

    def render(self, sizes: list[int]) -> list[Block]:
        """Render chunks of ``sizes`` frames (in a worker thread), stopping early when a message arrives.

        A message that arrives while a chunk renders shows in the next chunk,
        as it would with one chunk per call.
        """
        blocks: list[Block] = []
        for frames in sizes:
            if blocks and self.changed.is_set():
                break
            blocks.append(self.generator.render(frames, self.stems))
        return blocks

    def chunk_message(self, block: Block) -> LiveMusicServerMessage:
        """The serverContent message of ``block`` as the next chunk of the stream (which it does not advance)."""
        metadata = LiveMusicSourceMetadata(
            client_content=self.prompts,
            music_generation_config=self.config.merged(seed=self.generator.seed),
        )
        chunk = AudioChunk(
            data=block.mix.tobytes(),
            mime_type=MIME_TYPE,
            source_metadata=metadata,
            livemusic_position=self.position if self.extended else None,
            livemusic_stems={k: v.tobytes() for k, v in block.stems.items()} if block.stems else None,
        )
        return LiveMusicServerMessage(server_content=LiveMusicServerContent(audio_chunks=[chunk]))

    def chunk_frame(self, block: Block) -> str:
        """``codec.encode(self.chunk_message(block))``, made cheaply; advances the stream position.

        The frame is filled into a template that is made again only when the
        prompts, config, seed or stems change, not for every chunk.
        """
        stems = block.stems or {}
        made_for = (self.prompts, self.config, self.generator.seed, *stems)
        # The same objects, not equal ones: equal configs may encode differently (0.0 and -0.0).
        previous = self._frame_made_for
        if len(made_for) != len(previous) or any(a is not b for a, b in zip(made_for, previous)):
            self._frame, self._frame_made_for = codec.AudioFrame(self.chunk_message(block)), made_for
        frame = self._frame.encode(block.mix.tobytes(), self.position, {k: v.tobytes() for k, v in stems.items()})
        self.position += len(block.mix)
        return frame


def _normalize_path(path: str) -> str:
    path = path.split("?", 1)[0]
    return re.sub(r"^/+", "/", path)


def _process_request(connection: ServerConnection, request: Request) -> Response | None:
    if _normalize_path(request.path) not in PATHS:
        return connection.respond(http.HTTPStatus.NOT_FOUND, f"no BidiGenerateMusic service at {request.path}\n")
    return None


def _process_response(connection: ServerConnection, request: Request, response: Response) -> None:
    response.headers[EXTENSIONS_HEADER] = ",".join(EXTENSIONS)


class MusicServer:
    """Serves BidiGenerateMusic sessions from the embedded engine.

    Use as an async context manager or call :meth:`start` / :meth:`stop`.
    ``port=0`` picks a free port; read it back from :attr:`port`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 8765, *, ssl_context: ssl.SSLContext | None = None,
                 pacing: Pacing = Pacing()) -> None:
        self.host = host
        self.requested_port = port
        self.ssl_context = ssl_context
        self.pacing = pacing
        self._server: Server | None = None
        self.sessions: set[ServerConnection] = set()
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
            max_size=MAX_MESSAGE_BYTES,
            compression=None,
            logger=redacting_logger("livemusic.websocket.server"),
        )
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
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
        self.sessions.add(ws)
        try:
            session = await self._setup(ws)
            tasks = {asyncio.create_task(self._read(ws, session)), asyncio.create_task(self._produce(ws, session))}
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            for task in done:
                task.result()  # a ProtocolError from the reader, or a crash of either side
        except ProtocolError as exc:
            log.info("closing %s: %s %s", ws.remote_address, exc.code, exc.reason)
            await ws.close(exc.code, codec.truncate_reason(exc.reason))
        except websockets.ConnectionClosed:
            pass
        except TimeoutError:
            await ws.close(1008, "setup expected within 30 s")
        except Exception:  # a bug: this session ends with 1011, the others play on
            log.exception("session %s failed", ws.remote_address)
            await ws.close(1011, "Internal error encountered.")
        finally:
            self.sessions.discard(ws)

    async def _setup(self, ws: ServerConnection) -> MusicSession:
        frame = await asyncio.wait_for(ws.recv(), SETUP_TIMEOUT)
        message = codec.decode(frame, LiveMusicClientMessage)
        setup = message.setup
        if setup is None:
            raise ProtocolError("the first message must be setup", code=1008)
        model = setup.model if setup.model.startswith("models/") else f"models/{setup.model}"
        if model not in MODELS:
            raise ProtocolError(f"{setup.model} is not found, or is not supported for bidiGenerateMusic", code=1008)
        if setup.livemusic_pacing not in (None, "realtime", "asap"):
            raise ProtocolError("setup.livemusicPacing: must be 'realtime' or 'asap'")
        extended = any(v is not None for v in (setup.livemusic_pacing, setup.livemusic_chunk_ms, setup.livemusic_stems))
        pacing = Pacing(
            chunk_ms=setup.livemusic_chunk_ms or self.pacing.chunk_ms,
            lead_s=self.pacing.lead_s,
            realtime=setup.livemusic_pacing != "asap" and self.pacing.realtime,
        )
        session = MusicSession(pacing, stems=bool(setup.livemusic_stems), extended=extended)
        await ws.send(codec.encode(LiveMusicServerMessage(setup_complete=LiveMusicServerSetupComplete())))
        return session

    async def _read(self, ws: ServerConnection, session: MusicSession) -> None:
        async for frame in ws:
            message = codec.decode(frame, LiveMusicClientMessage)
            if message.setup is not None:
                raise ProtocolError("setup may only be sent once, as the first message", code=1008)
            if message.livemusic_at is not None and not session.extended:
                raise ProtocolError("livemusicAt: extension not negotiated in setup")
            session.submit(message)

    async def _produce(self, ws: ServerConnection, session: MusicSession) -> None:
        """Render and send chunks while playing, paced against the wall clock."""
        anchor_time = 0.0
        anchor_frames = 0
        was_playing = False
        while True:
            session.changed.clear()  # before looking: a message arriving after this wakes the waits below
            session.apply_due()
            await self._flush_outbox(ws, session)
            if session.playback is not Playback.PLAYING:
                was_playing = False
                await session.changed.wait()
                continue
            if not was_playing:  # PLAY or resume: start the burst now
                anchor_time, anchor_frames, was_playing = time.monotonic(), session.position, True
            if session.pacing.realtime:
                pacing = session.pacing
                lead = max(pacing.lead_s, pacing.max_ahead_s - pacing.chunk_ms / 1000) if session.urgent \
                    else pacing.lead_s
                ahead = (session.position - anchor_frames) / SAMPLE_RATE - (time.monotonic() - anchor_time)
                if ahead > lead:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(session.changed.wait(), ahead - lead)
                    continue
            session.urgent = False
            sizes = session.next_chunk_sizes(1 if session.pacing.realtime else ASAP_BATCH)
            if session.playback is not Playback.PLAYING:
                continue
            blocks = await asyncio.get_running_loop().run_in_executor(
                self._renderers[session.pacing.realtime], session.render, sizes)
            for block in blocks:
                await ws.send(session.chunk_frame(block))

    async def _flush_outbox(self, ws: ServerConnection, session: MusicSession) -> None:
        while session.outbox:
            await ws.send(codec.encode(session.outbox.pop(0)))


# --------------------------------------------------------------------------- running it


def ssl_context(certfile: str, keyfile: str | None) -> ssl.SSLContext:
    """A server TLS context from a certificate chain and key file."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    return context


async def run(host: str, port: int, *, context: ssl.SSLContext | None = None, announce: bool = False,
              watch_stdin: bool = False) -> None:
    """Serve until cancelled; ``announce`` prints ``LISTENING <port>`` once ready."""
    async with MusicServer(host, port, ssl_context=context) as server:
        if announce:
            print(f"LISTENING {server.port}", flush=True)
        else:
            print(f"livemusic serve: listening on {server.url} (BidiGenerateMusic, v1alpha and v1beta)",
                  file=sys.stderr, flush=True)
        if watch_stdin:
            await _until_stdin_closes()
        else:
            await server.serve_forever()


async def _until_stdin_closes() -> None:
    """Return when the parent process goes away (its end of our stdin closes)."""
    done = asyncio.get_running_loop().create_future()

    def wait() -> None:
        sys.stdin.buffer.read()
        done.get_loop().call_soon_threadsafe(done.set_result, None)

    threading.Thread(target=wait, daemon=True).start()
    await done


def main() -> None:
    """Entry point of the embedded-engine subprocess: ``python -m livemusic.engine.server``."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.host, args.port, announce=True, watch_stdin=True))


if __name__ == "__main__":
    main()
