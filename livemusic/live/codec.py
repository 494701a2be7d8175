"""Sans-I/O codec: JSON text frames <-> wire models.

One codec serves every message type of both Gemini bidi protocols and both
directions; it never touches a socket. Decoding failures raise
:class:`~livemusic.errors.ProtocolError` carrying the close code a server
should answer with (1007: invalid payload) and a reason that names the field.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from livemusic.errors import ProtocolError
from livemusic.types import WireModel, invalid_config

M = TypeVar("M", bound=BaseModel)

#: Largest close reason a WebSocket close frame can carry (RFC 6455: 125 bytes minus the code).
MAX_REASON_BYTES = 123


def encode(message: WireModel) -> str:
    """Encode ``message`` as one compact JSON text frame with camelCase keys."""
    return json.dumps(message.to_wire(), separators=(",", ":"))


def decode(frame: str | bytes, model: type[M]) -> M:
    """Decode one frame into ``model``; raise :class:`ProtocolError` (1007) when invalid."""
    try:
        data: Any = json.loads(frame)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"invalid JSON: {exc.msg if hasattr(exc, 'msg') else exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"a message must be a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(str(invalid_config(exc))) from None


def truncate_reason(reason: str) -> str:
    """Cut ``reason`` so that it fits in a close frame (at most 123 UTF-8 bytes)."""
    raw = reason.encode("utf-8")
    if len(raw) <= MAX_REASON_BYTES:
        return reason
    return raw[: MAX_REASON_BYTES - 3].decode("utf-8", "ignore") + "..."
