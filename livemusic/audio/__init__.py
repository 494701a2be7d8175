"""The client-side audio pipeline: 48 kHz stereo int16 frames, shaped ``(frames, 2)``.

::

    WebSocket -> decode_pcm -> RingBuffer -> Player (PyAudio callback) -> speakers
                                  \\-> Recorder (writer thread) -> WAV / RF64

:class:`Player` needs the optional PyAudio dependency (``pip install
'livemusic[audio]'``). Names are imported on first use, so that neither
PyAudio nor soundfile loads before it is needed.
"""

from livemusic._lazy import lazy_exports

_EXPORTS = {
    **{name: "livemusic.audio.pcm" for name in ("CHANNELS", "SAMPLE_RATE", "decode_pcm", "encode_pcm", "parse_mime")},
    **{name: "livemusic.audio.player" for name in (
        "DeviceInfo", "PlaybackFeed", "Player", "list_output_devices", "select_device")},
    **{name: "livemusic.audio.recorder" for name in ("WAV_MAX_DATA_BYTES", "Recorder")},
    "RingBuffer": "livemusic.audio.ring",
    "Resampler": "livemusic.audio.resample",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
