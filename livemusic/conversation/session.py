"""``AsyncLive`` and ``AsyncLiveSession``: Google's Live API (BidiGenerateContent) on livemusic's core.

The calls are those of ``google.genai``'s ``client.aio.live`` (``connect``,
``send_client_content``, ``send_realtime_input``, ``send_tool_response``,
``receive``). Beyond it: ``receive()`` is one stream for the whole session
(it does not stop at each turn's end) that ends normally on a 1000 close and
raises typed errors otherwise; Python functions passed as tools are called
for the model automatically; and the session resumes itself on ``goAway`` or
a dropped connection with the latest resumable handle, telling the caller
only through a message whose :attr:`~LiveServerMessage.resumed` is set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from livemusic.conversation.inputs import audio_blob, video_blob
from livemusic.conversation.tools import ToolRunner, callables_in
from livemusic.errors import ConnectionClosedError, InvalidInputError
from livemusic.live import Endpoint, LiveConnection, Secret, api_key_from_env, google_endpoint, url_endpoint
from livemusic.live.content import (
    CONTENT,
    DEFAULT_MODEL,
    INPUT_RATE,
    SERVICE,
    ActivityEnd,
    ActivityStart,
    LiveClientContent,
    LiveClientMessage,
    LiveClientRealtimeInput,
    LiveClientToolResponse,
    LiveServerMessage,
    SessionResumed,
)
from livemusic.live.connecting import Connecting
from livemusic.live.content_parts import FunctionResponse, turns_from
from livemusic.live.content_setup import LiveConnectConfig, SessionResumptionConfig

log = logging.getLogger("livemusic.conversation")

#: How often a lost connection is re-dialled before the error reaches the caller.
RESUME_ATTEMPTS = 3


class AsyncLive:
    """Entry point: ``async with AsyncLive().connect(model=..., config=...) as session: ...``.

    ``url=`` dials any BidiGenerateContent server (a key is sent to it only
    when passed explicitly); otherwise Google's service with ``api_key=`` or
    ``GOOGLE_API_KEY``/``GEMINI_API_KEY``. The key travels only in the
    ``x-goog-api-key`` header and never shows in reprs or logs.
    """

    def __init__(self, *, api_key: str | None = None, url: str | None = None, api_version: str = "v1beta") -> None:
        key = api_key or (None if url else api_key_from_env())
        self._api_key = Secret(key) if key else None
        self.url = url
        self.api_version = api_version
        if url is None and not self._api_key:
            raise InvalidInputError("the Live API needs an API key: set GEMINI_API_KEY, pass api_key= or url=")

    def __repr__(self) -> str:
        return f"AsyncLive(url={self.url!r}, api_version={self.api_version!r})"

    def endpoint(self) -> Endpoint:
        if self.url is not None:
            return url_endpoint(self.url, SERVICE, version=self.api_version, api_key=self._api_key)
        assert self._api_key is not None
        return google_endpoint(SERVICE, self._api_key, version=self.api_version)

    def connect(self, *, model: str = DEFAULT_MODEL, config: Any = None, resume: bool = True,
                auto_tools: bool = True) -> Connecting[AsyncLiveSession]:
        """Open a session (setup done): use ``async with``, or ``await`` it and ``close()`` it yourself.

        ``config`` is a :class:`LiveConnectConfig`, a dict or a
        ``google.genai.types.LiveConnectConfig``. With ``resume`` (the
        default) the session asks for resumption handles and resumes by
        itself; with ``auto_tools`` Python functions among the tools are
        called when the model asks for them.
        """
        return Connecting(AsyncLiveSession.open(self.endpoint(), model=model, config=config, resume=resume,
                                                 auto_tools=auto_tools))


class AsyncLiveSession:
    """An open Live session: send input, and read the model with ``receive()`` (which also drives resumption)."""

    def __init__(self, endpoint: Endpoint, model: str, config: LiveConnectConfig, *, resume: bool,
                 functions: dict[str, Callable[..., Any]]) -> None:
        self._endpoint = endpoint
        self._model = model
        self._config = config
        self._resume = resume
        self._conn: LiveConnection[LiveClientMessage, LiveServerMessage] | None = None
        self._ready = asyncio.Event()
        self._closed = False
        self._going_away = False
        self._in_turn = False
        #: Whether the latest resumable handle came after the last turn started (resuming with it loses nothing).
        self._handle_fresh = False
        self.tools = ToolRunner(functions, lambda responses: self.send_tool_response(function_responses=responses))
        #: The latest handle the server marked resumable (``None`` until one arrives).
        self.resumption_handle: str | None = config.session_resumption.handle if config.session_resumption else None
        #: ``session_id`` from the server's setupComplete (Google's service may leave it out).
        self.session_id: str | None = None
        #: How many times the session was resumed on a new connection.
        self.resumptions = 0

    @classmethod
    async def open(cls, endpoint: Endpoint, *, model: str = DEFAULT_MODEL, config: Any = None, resume: bool = True,
                   auto_tools: bool = True) -> AsyncLiveSession:
        """Connect to ``endpoint`` and complete setup; a refused setup raises the typed close error."""
        functions = callables_in(_field(config, "tools")) if auto_tools else {}
        parsed = LiveConnectConfig.parse(config if config is not None else {})
        if resume and parsed.session_resumption is None:
            parsed = parsed.model_copy(update={"session_resumption": SessionResumptionConfig()})
        session = cls(endpoint, model, parsed, resume=resume, functions=functions)
        await session._dial()
        return session

    async def _dial(self) -> None:
        config = self._config
        if self.resumption_handle is not None:
            config = config.model_copy(update={"session_resumption": SessionResumptionConfig(
                handle=self.resumption_handle)})
        connection = await LiveConnection.connect(self._endpoint, CONTENT)
        try:
            answer = await connection.setup(config.setup(self._model))
        except BaseException:
            await connection.close()
            raise
        self._conn = connection
        self.session_id = answer.setup_complete.session_id if answer.setup_complete else None
        self._going_away = self._in_turn = self._handle_fresh = False
        self._ready.set()

    # ------------------------------------------------------------------ sending

    async def _send(self, message: LiveClientMessage) -> None:
        if self._closed:
            raise ConnectionClosedError(1000, "the session is closed")
        await self._ready.wait()
        assert self._conn is not None
        await self._conn.send(message)

    async def send_client_content(self, *, turns: Any = None, turn_complete: bool = True) -> None:
        """Append ``turns`` (Content, dicts, strings, SDK objects) to the conversation; ``turn_complete`` answers."""
        content = LiveClientContent(turns=turns_from(turns) if turns is not None else None,
                                    turn_complete=turn_complete)
        await self._send(LiveClientMessage(client_content=content))

    async def send_realtime_input(self, *, audio: Any = None, video: Any = None, text: str | None = None,
                                  activity_start: Any = None, activity_end: Any = None,
                                  audio_stream_end: bool | None = None, media: Any = None,
                                  rate: int = INPUT_RATE) -> None:
        """Stream one input: ``audio`` (PCM bytes or NumPy at ``rate``), a ``video`` frame (image bytes,
        an image file or a NumPy image), ``text``, ``activity_start``/``activity_end`` (True) or
        ``audio_stream_end``. One argument per call, as in Google's SDK."""
        given = {name: value for name, value in (
            ("audio", audio), ("video", video), ("text", text), ("activity_start", activity_start),
            ("activity_end", activity_end), ("audio_stream_end", audio_stream_end), ("media", media))
            if value is not None and value is not False}
        if len(given) != 1:
            raise InvalidInputError(f"send_realtime_input takes exactly one input per call, got {sorted(given) or 'none'}")
        [(name, value)] = given.items()
        if name == "audio":
            fields: dict[str, Any] = {"audio": audio_blob(value, rate)}
        elif name == "video":
            fields = {"video": video_blob(value)}
        elif name == "media":
            fields = {"media_chunks": [audio_blob(value, rate) if isinstance(value, bytes) else value]}
        elif name == "activity_start":
            fields = {"activity_start": ActivityStart()}
        elif name == "activity_end":
            fields = {"activity_end": ActivityEnd()}
        else:
            fields = {name: value}
        await self._send(LiveClientMessage(realtime_input=LiveClientRealtimeInput.parse(fields)))

    async def send_tool_response(self, *, function_responses: Any) -> None:
        """Answer tool calls: FunctionResponse objects, dicts or SDK objects, one or a list (each needs its id)."""
        if not isinstance(function_responses, (list, tuple)):
            function_responses = [function_responses]
        responses = [FunctionResponse.parse(item) for item in function_responses]
        if any(response.id is None for response in responses):
            raise InvalidInputError("every function response needs the id of the call it answers")
        await self._send(LiveClientMessage(tool_response=LiveClientToolResponse(function_responses=responses)))

    # ------------------------------------------------------------------ receiving

    async def receive(self) -> AsyncIterator[LiveServerMessage]:
        """Every server message of the session, across turns and resumptions, until a normal close.

        Tool calls for registered functions are answered automatically (the
        message is still yielded); a resumption yields one message with
        ``resumed`` set. Error closes raise typed errors.
        """
        while not self._closed:
            assert self._conn is not None
            try:
                message = await self._conn.recv()
            except ConnectionClosedError as error:
                if self._closed or not await self._try_resume(f"connection closed: {error}", error):
                    raise
                yield self._resumed_message(f"connection closed: {error}")
                continue
            if message is None:
                if self._closed or not self._going_away or not await self._try_resume("goAway", None):
                    return
                yield self._resumed_message("goAway")
                continue
            self._note(message)
            yield message
            if self._going_away and self._handle_fresh and not self._in_turn and self._resume:
                await self._rotate()
                yield self._resumed_message("goAway")

    def _note(self, message: LiveServerMessage) -> None:
        """Track the turn, the resumption handle, goAway and tool calls."""
        update = message.session_resumption_update
        if update is not None and update.resumable and update.new_handle:
            self.resumption_handle = update.new_handle
            self._handle_fresh = not self._in_turn
        content = message.server_content
        if content is not None:
            if content.model_turn is not None or content.generation_complete:
                self._in_turn, self._handle_fresh = True, False
            if content.turn_complete:
                self._in_turn = False
        if message.go_away is not None:
            log.info("server going away in %s; resuming when the turn ends", message.go_away.time_left)
            self._going_away = True
        if message.tool_call is not None:
            self._in_turn, self._handle_fresh = True, False
            self.tools.start(message.tool_call.function_calls)
        if message.tool_call_cancellation is not None:
            self.tools.cancel(message.tool_call_cancellation.ids)

    async def _rotate(self) -> None:
        """Leave a connection that is going away for a new one, resuming with the latest handle."""
        old, self._conn = self._conn, None
        self._ready.clear()
        assert old is not None
        await old.close()
        await self._redial()

    async def _try_resume(self, why: str, error: ConnectionClosedError | None) -> bool:
        """Resume after a lost or ended connection; ``False`` when resumption cannot help."""
        if not self._resume or self.resumption_handle is None:
            return False
        if error is not None and not error.retryable and not self._going_away:
            return False
        log.info("resuming session: %s", why)
        self._ready.clear()
        await self._redial()
        return True

    async def _redial(self) -> None:
        for attempt in range(RESUME_ATTEMPTS):
            try:
                await self._dial()
                self.resumptions += 1
                return
            except ConnectionClosedError as error:
                if not error.retryable or attempt == RESUME_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.2 * 2**attempt)

    def _resumed_message(self, why: str) -> LiveServerMessage:
        return LiveServerMessage(resumed=SessionResumed(handle=self.resumption_handle or "", reason=why))

    # ------------------------------------------------------------------ closing

    async def close(self) -> None:
        """Close the session cleanly (1000) and cancel running tool calls. Idempotent."""
        if self._closed:
            return
        self._closed = True
        await self.tools.close()
        if self._conn is not None:
            await self._conn.close()

    def __aiter__(self) -> AsyncIterator[LiveServerMessage]:
        return self.receive()

    def __repr__(self) -> str:
        return f"AsyncLiveSession(model={self._model!r}, endpoint={self._endpoint.url!r}, resumptions={self.resumptions})"


def _field(config: Any, name: str) -> Any:
    if config is None:
        return None
    if isinstance(config, dict):
        return config.get(name)
    return getattr(config, name, None)

