"""The music layer: sessions (Google's API on any backend) and prompt timelines."""

from livemusic.music.session import MUSIC, AsyncLiveMusic, AsyncMusicSession, EmbeddedEngine

__all__ = ["MUSIC", "AsyncLiveMusic", "AsyncMusicSession", "EmbeddedEngine"]
