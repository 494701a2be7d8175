"""Sans-I/O client session state machine shared by the bidi live protocols.

``IDLE -> SETUP -> OPEN -> CLOSING -> CLOSED``: the setup frame moves IDLE to
SETUP, the server's ``setupComplete`` moves SETUP to OPEN, ``close()`` moves
to CLOSING and the close frame (or its absence) to CLOSED. Frames in and out
are plain strings; the I/O layer (:mod:`livemusic.live.connection`) only
moves them. The protocol is described by a :class:`Dialect`, so the music
protocol (BidiGenerateMusic) and the content protocol (BidiGenerateContent)
share this machine unchanged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from livemusic.errors import ConnectionClosedError, SessionStateError, error_for_close
from livemusic.live import codec
from livemusic.types import WireModel

C = TypeVar("C", bound=WireModel)
S = TypeVar("S", bound=WireModel)


class State(enum.Enum):
    IDLE = "idle"
    SETUP = "setup"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


@dataclass(frozen=True)
class Dialect(Generic[C, S]):
    """What distinguishes one bidi protocol: its service name and message models."""

    service: str
    client_message: type[C]
    server_message: type[S]
    #: Attribute of the client message that opens a session.
    setup_field: str = "setup"
    #: Attribute of the server message that answers setup.
    setup_complete_field: str = "setup_complete"
    #: Fields (of setup and of messages) named so are livemusic extensions: a server takes them only
    #: from a client whose setup asked for one; a client sends them only to a server that advertised them.
    extension_prefix: str = "livemusic_"

    def extension_fields(self, message: WireModel) -> list[str]:
        """The extension fields set in ``message`` (snake_case names)."""
        return [name for name in type(message).model_fields
                if name.startswith(self.extension_prefix) and getattr(message, name) is not None]


class ClientProtocol(Generic[C, S]):
    """The client side of one bidi session, without I/O."""

    def __init__(self, dialect: Dialect[C, S]) -> None:
        self.dialect = dialect
        self.state = State.IDLE
        self.close_code: int | None = None
        self.close_reason: str = ""

    def setup(self, setup: Any) -> str:
        """Return the setup frame; only valid once, as the first frame."""
        if self.state is not State.IDLE:
            raise SessionStateError(f"setup was already sent (state: {self.state.value})")
        frame = codec.encode(self.dialect.client_message.parse({self.dialect.setup_field: setup}))
        self.state = State.SETUP
        return frame

    def send(self, message: C) -> str:
        """Return the frame for ``message``; refused unless the session is open."""
        if self.state is not State.OPEN:
            if self.state in (State.IDLE, State.SETUP):
                raise SessionStateError("cannot send before the server answered setup (setupComplete)")
            raise SessionStateError(f"cannot send on a {self.state.value} session")
        return codec.encode(message)

    def receive(self, frame: str | bytes) -> S:
        """Decode one server frame, moving SETUP to OPEN on ``setupComplete``."""
        message = codec.decode(frame, self.dialect.server_message)
        if getattr(message, self.dialect.setup_complete_field) is not None:
            if self.state is State.SETUP:
                self.state = State.OPEN
        return message

    def start_closing(self) -> None:
        """Note that the client is closing; no more frames may be sent."""
        if self.state is not State.CLOSED:
            self.state = State.CLOSING

    def connection_closed(self, code: int | None, reason: str = "") -> ConnectionClosedError | None:
        """Record the close; return the typed error, or ``None`` for a normal close.

        A close the client asked for is never an error, whatever code ends it.
        """
        we_closed = self.state is State.CLOSING
        self.state = State.CLOSED
        self.close_code = 1006 if code is None else code
        self.close_reason = reason or ("" if code is not None else "connection lost without a close frame")
        if we_closed:
            return None
        return error_for_close(self.close_code, self.close_reason)
