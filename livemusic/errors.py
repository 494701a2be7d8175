"""The one exception hierarchy of livemusic.

Every error livemusic raises on purpose derives from :class:`LiveMusicError`::

    LiveMusicError
    ├── InvalidInputError            bad input from the user; CLI exit code 2
    │   ├── InvalidConfigError       a config or message field out of range / of the wrong type
    │   └── PresetError              a preset file that does not validate (file, line, field)
    ├── ProtocolError                a peer broke the wire protocol (carries a close code)
    ├── SessionStateError            a call that the session's state does not allow
    ├── ConnectionClosedError        the peer closed the connection (code and reason)
    │   ├── AuthenticationError      1008 about keys / permissions
    │   ├── InvalidArgumentError     1007: the server rejected a message
    │   ├── PolicyViolationError     1008 otherwise (model not found, bad message)
    │   └── ServerError              1011 / 1013 / 1006: worth retrying
    └── AudioDeviceError             PortAudio / PyAudio missing or no usable device

A normal close (code 1000) is not an error: :meth:`receive` simply ends.
"""

from __future__ import annotations


class LiveMusicError(Exception):
    """Base class of every error livemusic raises on purpose."""


class InvalidInputError(LiveMusicError, ValueError):
    """Input from the user (arguments, files, messages) that cannot be used."""


class InvalidConfigError(InvalidInputError):
    """A message or config value that fails validation.

    ``field`` is the dotted name of the offending field (e.g. ``bpm`` or
    ``weightedPrompts.0.weight``) and ``message`` says what is allowed.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PresetError(InvalidInputError):
    """A preset file that cannot be loaded; the message names file, line and field."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.field = field


class ProtocolError(LiveMusicError):
    """A frame that breaks the wire protocol; ``code`` is the close code to answer with."""

    def __init__(self, reason: str, *, code: int = 1007) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class SessionStateError(LiveMusicError, RuntimeError):
    """A call the session cannot take in its current state (e.g. sending before setupComplete)."""


class ConnectionClosedError(LiveMusicError):
    """The peer closed the connection with an error code; carries ``code`` and ``reason``."""

    #: Whether retrying (a new session) may help.
    retryable: bool = False

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}".rstrip())
        self.code = code
        self.reason = reason


class AuthenticationError(ConnectionClosedError):
    """The server refused the credentials (e.g. a 1008 about the API key)."""


class InvalidArgumentError(ConnectionClosedError):
    """1007: the server found a message invalid."""


class PolicyViolationError(ConnectionClosedError):
    """1008: the server refused a message or the model (not found, not allowed)."""


class ServerError(ConnectionClosedError):
    """1011, 1013, 1006 and other server-side failures; a new session may succeed."""

    retryable = True


class AudioDeviceError(LiveMusicError):
    """PyAudio/PortAudio is missing or no usable output device exists; says how to fix it."""


_AUTH_WORDS = ("api key", "api_key", "permission", "unauthenticated", "credential", "leaked")


def error_for_close(code: int, reason: str) -> ConnectionClosedError | None:
    """Map a WebSocket close code and reason to the typed error, or ``None`` for a normal close."""
    if code == 1000:
        return None
    if code == 1007:
        return InvalidArgumentError(code, reason)
    if code == 1008:
        if any(word in reason.lower() for word in _AUTH_WORDS):
            return AuthenticationError(code, reason)
        return PolicyViolationError(code, reason)
    if code in (1001, 1006, 1011, 1012, 1013, 1014):
        return ServerError(code, reason)
    return ConnectionClosedError(code, reason)
