"""Sans-I/O server side of a bidi live session: what a server accepts, in which order, and how it refuses.

``IDLE -> OPEN -> CLOSED``: the first frame must be a valid setup for a
served model (else 1008); :meth:`ServerProtocol.setup_complete` answers it
and opens the session; later frames must not repeat setup (1008) nor use
an extension field the setup did not ask for (1007); an invalid frame is
1007 with a reason naming the field. Every refusal is a
:class:`~livemusic.errors.ProtocolError` carrying its close code, so the I/O
layer (:mod:`livemusic.server.websocket`) only closes with it. Like the
client's machine (:mod:`livemusic.live.state`), it is described by a
:class:`~livemusic.live.state.Dialect`, so another bidi protocol can be
served on it.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from typing import Any, Generic

from pydantic.alias_generators import to_camel

from livemusic.errors import ProtocolError, SessionStateError
from livemusic.live import codec
from livemusic.live.state import C, Dialect, S, State


class CloseCode(enum.IntEnum):
    """The WebSocket close codes a livemusic server ends sessions with (RFC 6455, 7.4.1)."""

    NORMAL = 1000
    GOING_AWAY = 1001  # shutting down, or the session reached its time limit: resume elsewhere
    INVALID_PAYLOAD = 1007  # a frame that does not validate
    POLICY_VIOLATION = 1008  # wrong order, unknown model, no or bad token, too many messages
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011  # a bug; details stay in the server's log
    TRY_AGAIN_LATER = 1013  # the server or this address has too many sessions


class ServerProtocol(Generic[C, S]):
    """The server side of one bidi session, without I/O.

    ``models`` are the model names served (``models/`` is prefixed when a
    client leaves it out, as Google's service does).
    """

    def __init__(self, dialect: Dialect[C, S], models: Collection[str]) -> None:
        self.dialect = dialect
        self.models = frozenset(models)
        self.state = State.IDLE
        #: The setup the session was opened with (once received).
        self.setup: Any = None
        #: Whether the setup asked for any extension (then extension fields are allowed in messages).
        self.extended = False

    def receive(self, frame: str | bytes) -> C:
        """Decode and check one client frame; raise :class:`ProtocolError` with the close code to answer with."""
        if self.state is State.CLOSED:
            raise SessionStateError("the session is closed")
        message = codec.decode(frame, self.dialect.client_message)
        setup = getattr(message, self.dialect.setup_field)
        if self.state is State.IDLE:
            if setup is None:
                raise ProtocolError("the first message must be setup", code=CloseCode.POLICY_VIOLATION)
            self._check_model(setup.model)
            self.setup = setup
            self.extended = bool(self.dialect.extension_fields(setup))
            return message
        if setup is not None:
            raise ProtocolError("setup may only be sent once, as the first message", code=CloseCode.POLICY_VIOLATION)
        if not self.extended:
            for name in self.dialect.extension_fields(message):
                raise ProtocolError(f"{to_camel(name)}: extension not negotiated in setup")
        return message

    def _check_model(self, model: str) -> None:
        name = model if model.startswith("models/") else f"models/{model}"
        if name not in self.models:
            raise ProtocolError(f"{model} is not found, or is not supported for {self.dialect.service[0].lower()}"
                                f"{self.dialect.service[1:]}", code=CloseCode.POLICY_VIOLATION)

    def setup_complete(self) -> str:
        """The frame that answers setup; opens the session."""
        if self.state is not State.IDLE or self.setup is None:
            raise SessionStateError(f"no setup to answer (state: {self.state.value})")
        self.state = State.OPEN
        return codec.encode(self.dialect.server_message.parse({self.dialect.setup_complete_field: {}}))

    def send(self, message: S) -> str:
        """The frame for ``message``; only on an open session."""
        if self.state is not State.OPEN:
            raise SessionStateError(f"cannot send on a {self.state.value} session")
        return codec.encode(message)

    def close(self, code: int, reason: str) -> tuple[int, str]:
        """End the session: the close code and the reason cut to fit a close frame."""
        self.state = State.CLOSED
        return int(code), codec.truncate_reason(reason)
