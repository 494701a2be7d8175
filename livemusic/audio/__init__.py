"""The client-side audio pipeline: 48 kHz stereo int16 frames, shaped ``(frames, 2)``.

::

    WebSocket -> decode_pcm -> RingBuffer -> Player (PyAudio callback) -> speakers
                                  \\-> Recorder (writer thread) -> WAV / RF64

:class:`Player` needs the optional PyAudio dependency (``pip install
'livemusic[audio]'``); it is imported only when a player is opened, so the
rest works without it.
"""

from livemusic.audio.pcm import CHANNELS, SAMPLE_RATE, decode_pcm, encode_pcm, parse_mime
from livemusic.audio.player import (
    DeviceInfo,
    PlaybackFeed,
    Player,
    PlayerState,
    list_output_devices,
    select_device,
)
from livemusic.audio.recorder import WAV_MAX_DATA_BYTES, Recorder
from livemusic.audio.ring import RingBuffer

__all__ = [
    "CHANNELS",
    "SAMPLE_RATE",
    "WAV_MAX_DATA_BYTES",
    "DeviceInfo",
    "PlaybackFeed",
    "Player",
    "PlayerState",
    "Recorder",
    "RingBuffer",
    "decode_pcm",
    "encode_pcm",
    "list_output_devices",
    "parse_mime",
    "select_device",
]
