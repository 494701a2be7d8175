"""The shared bidi live core: a sans-I/O codec and state machine under a thin asyncio layer.

Used by :mod:`livemusic.music` (BidiGenerateMusic) and by livemusic's own
server; the Live content API (BidiGenerateContent) can sit on the same core
by supplying its own :class:`Dialect`.
"""

from livemusic.live.connection import LiveConnection
from livemusic.live.endpoints import Endpoint, api_key_from_env, embedded_endpoint, google_endpoint, url_endpoint
from livemusic.live.state import ClientProtocol, Dialect, State

__all__ = [
    "ClientProtocol",
    "Dialect",
    "Endpoint",
    "LiveConnection",
    "State",
    "api_key_from_env",
    "embedded_endpoint",
    "google_endpoint",
    "url_endpoint",
]
