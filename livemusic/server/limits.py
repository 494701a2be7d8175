"""What one server grants each client, without I/O: sizes, rates, session counts, timeouts, the token.

Every check answers with the close code and reason the websockets layer
ends the connection with (:class:`~livemusic.errors.ProtocolError`), so a
refused client always learns why, and never more than why.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from livemusic.errors import InvalidInputError, ProtocolError
from livemusic.live.server_protocol import CloseCode
from livemusic.types import LiveMusicClientMessage

TOKEN_ENV = "LIVEMUSIC_TOKEN"


@dataclass(frozen=True)
class Limits:
    """The bounds of one server; defaults suit a server on a LAN with dozens of listeners."""

    #: Largest client frame (a prompt message is well under 4 KiB); websockets closes with 1009 beyond it.
    max_message_bytes: int = 64 * 2**10
    max_prompts: int = 32
    max_prompt_chars: int = 1000
    #: Sustained messages per second per connection, and the burst allowed above it.
    messages_per_second: float = 50.0
    message_burst: int = 100
    #: Timed messages (``livemusicAt``) waiting for their stream position. They do not count
    #: against the rate: a render sends its whole timeline ahead (a preset's fades are 8 a second).
    max_scheduled: int = 20_000
    max_sessions: int = 256
    max_sessions_per_address: int = 32
    #: Seconds from the handshake to a valid setup.
    setup_timeout_s: float = 10.0
    #: Seconds with no client message and no audio sent before the session is closed (1001).
    idle_timeout_s: float = 600.0
    #: Seconds a session may last; extended clients get a notice (``livemusicGoAway``) ahead, then 1001.
    max_session_s: float | None = None

    @property
    def go_away_notice_s(self) -> float:
        """How long before the session limit the notice goes out."""
        return min(10.0, (self.max_session_s or 0.0) / 2)


def check_message(message: LiveMusicClientMessage, limits: Limits) -> None:
    """Refuse (1008) a message whose prompts exceed the limits; the reason names the field."""
    content = message.client_content
    if content is None:
        return
    prompts = content.weighted_prompts
    if len(prompts) > limits.max_prompts:
        raise ProtocolError(f"clientContent.weightedPrompts: at most {limits.max_prompts} prompts per message, "
                            f"got {len(prompts)}", code=CloseCode.POLICY_VIOLATION)
    for index, prompt in enumerate(prompts):
        if len(prompt.text) > limits.max_prompt_chars:
            raise ProtocolError(f"clientContent.weightedPrompts.{index}.text: at most {limits.max_prompt_chars} "
                                f"characters, got {len(prompt.text)}", code=CloseCode.POLICY_VIOLATION)


class RateLimit:
    """A token bucket: ``per_second`` messages sustained, ``burst`` at once; the caller supplies the clock."""

    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.burst = burst
        self._tokens = float(burst)
        self._last: float | None = None

    def take(self, now: float) -> None:
        """Count one message at ``now``; refuse (1008) once the bucket is empty."""
        if self._last is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.per_second)
        self._last = now
        if self._tokens < 1:
            raise ProtocolError(f"too many messages: at most {self.per_second:g} per second",
                                code=CloseCode.POLICY_VIOLATION)
        self._tokens -= 1


class Admission:
    """Counts open sessions per server and per client address; refuses (1013) beyond the limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._by_address: Counter[str] = Counter()

    @property
    def sessions(self) -> int:
        return sum(self._by_address.values())

    def admit(self, address: str) -> None:
        """Count a new session from ``address``, or refuse it with 1013 (try again later)."""
        if self.sessions >= self.limits.max_sessions:
            raise ProtocolError(f"server full: {self.limits.max_sessions} sessions", code=CloseCode.TRY_AGAIN_LATER)
        if self._by_address[address] >= self.limits.max_sessions_per_address:
            raise ProtocolError(f"too many sessions from your address (at most "
                                f"{self.limits.max_sessions_per_address})", code=CloseCode.TRY_AGAIN_LATER)
        self._by_address[address] += 1

    def release(self, address: str) -> None:
        """A session admitted from ``address`` ended."""
        self._by_address[address] -= 1
        if self._by_address[address] <= 0:
            del self._by_address[address]


class TrustedProxies:
    """Proxies whose ``X-Forwarded-For`` names the client: addresses, networks (``10.0.0.0/8``) or ``*``.

    Behind a reverse proxy every connection comes from the proxy's address, so the
    per-address session limit would count all clients as one. The header is believed
    only from these proxies (anyone else could write it), as uvicorn's and gunicorn's
    ``--forwarded-allow-ips`` do: the client is the last hop not itself a trusted proxy.
    """

    def __init__(self, entries: Iterable[str] = ()) -> None:
        entries = [entry.strip() for entry in entries if entry.strip()]
        self._any = "*" in entries
        try:
            self._networks = [ipaddress.ip_network(entry, strict=False) for entry in entries if entry != "*"]
        except ValueError as exc:
            raise InvalidInputError(f"forwarded-allow-ips: {exc} (give addresses, networks or *)") from None

    def __bool__(self) -> bool:
        return self._any or bool(self._networks)

    def trusts(self, address: str) -> bool:
        if self._any:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    def client(self, peer: str, forwarded_for: list[str]) -> str:
        """The client's address: ``peer``, or from a trusted proxy the nearest untrusted ``X-Forwarded-For`` hop."""
        if not forwarded_for or not self.trusts(peer):
            return peer
        hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
        return next((hop for hop in reversed(hops) if not self.trusts(hop)), hops[0] if hops else peer)


def token_from_env(token: str | None = None) -> str | None:
    """``token``, else ``LIVEMUSIC_TOKEN`` from the environment (empty means none)."""
    return token or os.environ.get(TOKEN_ENV) or None


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` only serves this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_token_beyond_loopback(host: str, token: str | None) -> None:
    """Refuse (InvalidInputError) to serve beyond loopback without a token."""
    if token is None and not is_loopback(host):
        raise InvalidInputError(f"binding {host} serves other machines: set a token with --token or "
                                f"{TOKEN_ENV} (clients send it as a bearer token or as their API key)")


def authorized(headers: dict[str, str] | object, token: str | None) -> bool:
    """Whether the handshake's ``Authorization: Bearer`` or ``x-goog-api-key`` header holds ``token``.

    The comparison takes the same time wherever the strings differ. The API
    key header is accepted so that clients written for Google's service
    (its SDK included) pass the token as their API key.
    """
    if token is None:
        return True
    get = headers.get  # type: ignore[attr-defined]
    bearer = get("authorization") or ""
    offered = [bearer[7:].strip() if bearer[:7].lower() == "bearer " else "", get("x-goog-api-key") or ""]
    expected = token.encode()
    return any(hmac.compare_digest(candidate.encode(), expected) for candidate in offered)
