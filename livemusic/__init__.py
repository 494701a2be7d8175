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

from livemusic.errors import LiveMusicError
from livemusic.music.session import AsyncLiveMusic, AsyncMusicSession
from livemusic.types import (
    AudioChunk,
    LiveMusicGenerationConfig,
    LiveMusicServerMessage,
    MusicGenerationMode,
    PlaybackControl,
    Scale,
    WeightedPrompt,
)

__version__ = "0.1.0"

__all__ = [
    "AsyncLiveMusic",
    "AsyncMusicSession",
    "AudioChunk",
    "LiveMusicError",
    "LiveMusicGenerationConfig",
    "LiveMusicServerMessage",
    "MusicGenerationMode",
    "PlaybackControl",
    "Scale",
    "WeightedPrompt",
]
