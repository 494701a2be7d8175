"""Where a bidi session connects: URL, headers and backend, with the key kept secret.

The API key travels only in the ``x-goog-api-key`` header, never in the URL,
and :class:`Endpoint`'s repr and str never show it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from livemusic.errors import InvalidInputError

GOOGLE_HOST = "generativelanguage.googleapis.com"
API_VERSIONS = ("v1alpha", "v1beta")
#: Header livemusic's server uses to advertise its protocol extensions during the handshake.
EXTENSIONS_HEADER = "x-livemusic-extensions"


def service_path(service: str, version: str = "v1beta") -> str:
    """The path of a Gemini bidi service, e.g. ``/ws/google.ai...v1beta.GenerativeService.BidiGenerateMusic``."""
    if version not in API_VERSIONS:
        raise InvalidInputError(f"api version must be one of {', '.join(API_VERSIONS)}, got {version!r}")
    return f"/ws/google.ai.generativelanguage.{version}.GenerativeService.{service}"


class Secret(str):
    """A string that never shows itself in repr or str formatting of containers."""

    def __repr__(self) -> str:
        return "'***'"


@dataclass(frozen=True)
class Endpoint:
    """A dialable WebSocket endpoint; ``headers`` may hold the (hidden) API key."""

    url: str
    backend: str  # "gemini", "url" or "embedded"
    headers: dict[str, str] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        shown = {k: ("***" if k.lower() == "x-goog-api-key" else v) for k, v in self.headers.items()}
        return f"Endpoint(url={self.url!r}, backend={self.backend!r}, headers={shown!r})"

    __str__ = __repr__


def api_key_from_env() -> str | None:
    """The API key from the environment; ``GOOGLE_API_KEY`` wins over ``GEMINI_API_KEY`` as in Google's SDK."""
    return os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY") or None


def google_endpoint(service: str, api_key: str, *, version: str = "v1beta",
                    base_url: str = f"wss://{GOOGLE_HOST}") -> Endpoint:
    """Google's hosted service; the key goes in the ``x-goog-api-key`` header only."""
    if not api_key:
        raise InvalidInputError("an API key is required for Google's service (set GEMINI_API_KEY or pass api_key=)")
    parts = urlsplit(base_url)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    url = urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + service_path(service, version), "", ""))
    return Endpoint(url=url, backend="gemini", headers={"x-goog-api-key": Secret(api_key)})


def url_endpoint(url: str, service: str, *, version: str = "v1beta", api_key: str | None = None) -> Endpoint:
    """Any ``ws://``/``wss://`` server; a bare host URL gets the service path appended."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise InvalidInputError(f"url must start with ws:// or wss://, got {url!r}")
    if parts.query and "key=" in parts.query:
        raise InvalidInputError("do not put the API key in the URL; pass api_key= (it travels in a header)")
    path = parts.path if parts.path not in ("", "/") else service_path(service, version)
    headers = {"x-goog-api-key": Secret(api_key)} if api_key else {}
    return Endpoint(url=urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")), backend="url",
                    headers=headers)


def embedded_endpoint(port: int, service: str, *, version: str = "v1beta") -> Endpoint:
    """livemusic's embedded engine listening on ``port`` on loopback."""
    return Endpoint(url=f"ws://127.0.0.1:{port}{service_path(service, version)}", backend="embedded")
