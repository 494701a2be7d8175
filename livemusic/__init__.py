"""livemusic: live, steerable music generation over Google's Lyria RealTime protocol.

``from livemusic import AsyncLiveMusic, WeightedPrompt, LiveMusicGenerationConfig, Scale``
is the whole story for most users::

    async with AsyncLiveMusic().connect() as session:
        await session.set_weighted_prompts([WeightedPrompt(text="minimal techno", weight=1.0)])
        await session.set_music_generation_config(LiveMusicGenerationConfig(bpm=124))
        await session.play()
        async for frames in session.audio():   # int16, shape (frames, 2), 48 kHz
            ...
"""

from livemusic._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "AsyncLiveMusic": "livemusic.music.session",
    "AsyncMusicSession": "livemusic.music.session",
    "LiveMusicError": "livemusic.errors",
    "Clip": "livemusic.music.clip",
    "render": "livemusic.music.render",
    "arender": "livemusic.music.render",
    **{name: "livemusic.music.reconnect" for name in ("EventKind", "SessionEvent")},
    **{name: "livemusic.types" for name in (
        "AudioChunk", "LiveMusicGenerationConfig", "LiveMusicServerMessage", "MusicGenerationMode",
        "PlaybackControl", "PlaybackState", "Scale", "WeightedPrompt")},
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
