"""The music layer: sessions (Google's API on any backend) and prompt timelines."""

from livemusic._lazy import lazy_exports

_EXPORTS = {
    "MUSIC": "livemusic.music.session",
    "AsyncLiveMusic": "livemusic.music.client",
    "AsyncMusicSession": "livemusic.music.session",
    "EmbeddedEngine": "livemusic.music.embedded",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
