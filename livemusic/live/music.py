"""BidiGenerateMusic as both sides speak it: the dialect and what livemusic's server adds to it.

The wire models themselves are in :mod:`livemusic.types`; client
(:mod:`livemusic.music`) and server (:mod:`livemusic.server`) both use
:data:`MUSIC` with the sans-I/O cores in :mod:`livemusic.live.state` and
:mod:`livemusic.live.server_protocol`.
"""

from __future__ import annotations

from livemusic.live.state import Dialect
from livemusic.types import DEFAULT_MODEL, LiveMusicClientMessage, LiveMusicServerMessage

SERVICE = "BidiGenerateMusic"
MUSIC = Dialect(service=SERVICE, client_message=LiveMusicClientMessage, server_message=LiveMusicServerMessage)
#: Models livemusic's server answers for; others get 1008 as on Google's service.
MODELS = frozenset({DEFAULT_MODEL, "models/livemusic-embedded"})
#: Extensions livemusic's server advertises in its handshake (``x-livemusic-extensions``).
EXTENSIONS = ("pacing", "chunk-ms", "stems", "at", "position", "notes", "end", "resume")
PACINGS = ("realtime", "asap")
