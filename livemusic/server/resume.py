"""Resumption handles: a session's own state, signed with HMAC, so any server sharing the secret resumes it.

A handle is ``base64url(state JSON) "." base64url(HMAC-SHA256(secret, state JSON))``.
It carries everything needed to continue the music at the same bar on a
fresh generator: prompts, config, seed, the stream position it was made at,
the bar grid and the playback state. A client cannot forge or alter one
without the secret; the only thing it chooses is how far it had received
the stream, within :data:`MAX_RESUME_AHEAD_S` of the handle.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets

from pydantic import BaseModel, ConfigDict, ValidationError

from livemusic.errors import ProtocolError
from livemusic.live.server_protocol import CloseCode
from livemusic.types import SAMPLE_RATE, LiveMusicGenerationConfig, PlaybackState, WeightedPrompt

SECRET_ENV = "LIVEMUSIC_RESUME_SECRET"
#: How far past the handle's position a client may ask to resume (handles are sent every second).
MAX_RESUME_AHEAD_S = 30.0


class ResumeState(BaseModel):
    """What a handle carries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompts: list[WeightedPrompt] | None
    config: LiveMusicGenerationConfig
    seed: int
    position: int
    bar_line: int
    bar_frames: int
    playback: PlaybackState


def secret_from_env(secret: str | None = None) -> bytes:
    """``secret``, else ``LIVEMUSIC_RESUME_SECRET``, else a random one (handles then resume on this process only)."""
    chosen = secret or os.environ.get(SECRET_ENV)
    return chosen.encode() if chosen else secrets.token_bytes(32)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(state: ResumeState, secret: bytes) -> str:
    """The handle of ``state``."""
    payload = state.model_dump_json().encode()
    return f"{_b64(payload)}.{_b64(hmac.new(secret, payload, hashlib.sha256).digest())}"


def verify(handle: str, position: int, secret: bytes) -> ResumeState:
    """The state in ``handle`` if its signature holds and ``position`` is within reach; else 1008."""
    try:
        encoded, signature = handle.split(".")
        payload, mac = _unb64(encoded), _unb64(signature)
    except (ValueError, binascii.Error):
        raise ProtocolError("setup.livemusicResume.handle: not a resumption handle",
                            code=CloseCode.POLICY_VIOLATION) from None
    if not hmac.compare_digest(mac, hmac.new(secret, payload, hashlib.sha256).digest()):
        raise ProtocolError("setup.livemusicResume.handle: invalid signature (made by a server with another secret?)",
                            code=CloseCode.POLICY_VIOLATION)
    try:
        state = ResumeState.model_validate_json(payload)
    except ValidationError:
        raise ProtocolError("setup.livemusicResume.handle: unreadable state", code=CloseCode.POLICY_VIOLATION) from None
    if not state.position <= position <= state.position + MAX_RESUME_AHEAD_S * SAMPLE_RATE:
        raise ProtocolError(f"setup.livemusicResume.position: must be within {MAX_RESUME_AHEAD_S:g} s after the "
                            f"handle's position {state.position}, got {position}", code=CloseCode.POLICY_VIOLATION)
    return state
