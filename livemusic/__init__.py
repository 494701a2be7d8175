"""livemusic: live, steerable music generation over Google's Lyria RealTime protocol.

``from livemusic import AsyncLiveMusic, WeightedPrompt, LiveMusicGenerationConfig, Scale``
is the whole story for most users::

    async with AsyncLiveMusic().connect() as session:
        await session.set_weighted_prompts([WeightedPrompt(text="minimal techno", weight=1.0)])
        await session.set_music_generation_config(LiveMusicGenerationConfig(bpm=124))
        await session.play()
        async for frames in session.audio():   # int16, shape (frames, 2), 48 kHz
            ...

Google's Live API (conversation, BidiGenerateContent) sits on the same core:
``async with AsyncLive().connect(model=..., config=...) as session:``.
"""

from livemusic._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    **{name: "livemusic.conversation.session" for name in ("AsyncLive", "AsyncLiveSession")},
    **{name: "livemusic.live.content_parts" for name in ("Blob", "Content", "FunctionResponse", "Part")},
    "LiveConnectConfig": "livemusic.live.content_setup",
    "LiveServerMessage": "livemusic.live.content",
    "AsyncLiveMusic": "livemusic.music.client",
    "AsyncMusicSession": "livemusic.music.session",
    "LiveMusicError": "livemusic.errors",
    "Clip": "livemusic.music.clip",
    "render": "livemusic.music.render",
    "arender": "livemusic.music.render",
    **{name: "livemusic.music.reconnect" for name in ("Backoff", "EventKind", "SessionEvent")},
    "Player": "livemusic.background",
    "play": "livemusic.background",
    **{name: "livemusic.types" for name in (
        "AudioChunk", "LiveMusicGenerationConfig", "LiveMusicServerMessage", "MusicGenerationMode",
        "PlaybackControl", "PlaybackState", "Scale", "WeightedPrompt")},
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
