"""The shared bidi live core: a sans-I/O codec and state machine under a thin asyncio layer.

Used by :mod:`livemusic.music` (BidiGenerateMusic) and by livemusic's own
server; the Live content API (BidiGenerateContent) can sit on the same core
by supplying its own :class:`Dialect`.
"""

from livemusic._lazy import lazy_exports

_EXPORTS = {
    "LiveConnection": "livemusic.live.connection",
    **{name: "livemusic.live.endpoints" for name in (
        "Endpoint", "Secret", "api_key_from_env", "embedded_endpoint", "google_endpoint", "url_endpoint")},
    **{name: "livemusic.live.state" for name in ("ClientProtocol", "Dialect", "State")},
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
