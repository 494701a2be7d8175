"""The conversation layer: Google's Live API (BidiGenerateContent) sessions, their tools and their audio.

``from livemusic import AsyncLive`` then
``async with AsyncLive().connect(model=..., config=...) as session:``.
"""

from livemusic._lazy import lazy_exports

_EXPORTS = {
    **{name: "livemusic.conversation.session" for name in ("AsyncLive", "AsyncLiveSession")},
    "ToolRunner": "livemusic.conversation.tools",
    **{name: "livemusic.conversation.voice" for name in ("Microphone", "VoiceOutput", "stream_microphone")},
    **{name: "livemusic.conversation.inputs" for name in ("audio_blob", "encode_png", "video_blob")},
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
