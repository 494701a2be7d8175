"""A voice conversation on the shared audio layer: microphone in, the model's voice out.

::

    Microphone (PyAudio input, 16 kHz mono) -> send_realtime_input(audio=...)
    receive(): 24 kHz mono PCM -> Resampler -> RingBuffer (48 kHz stereo) -> Player -> speakers
               serverContent.interrupted -> RingBuffer.clear() (the model stops at once)

The microphone's callback only hands PyAudio's bytes to the event loop; a
full queue drops the oldest block and counts it. The voice plays through the
same :class:`~livemusic.audio.ring.RingBuffer` and
:class:`~livemusic.audio.player.Player` as the music, so it mixes with a
music session in the sound server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from livemusic.audio.pcm import parse_mime
from livemusic.audio.player import Player, _import_pyaudio
from livemusic.audio.quiet import quiet_native_stderr
from livemusic.audio.resample import Resampler, pcm_to_frames
from livemusic.audio.ring import RingBuffer
from livemusic.errors import AudioDeviceError
from livemusic.live.content import INPUT_RATE, OUTPUT_RATE, LiveServerMessage
from livemusic.types import SAMPLE_RATE

#: Microphone block: 32 ms at 16 kHz (Google suggests 20-40 ms chunks).
MIC_BLOCK_FRAMES = 512
#: Blocks the microphone queue holds before it drops the oldest (about 2 s).
MIC_QUEUE_BLOCKS = 64


class Microphone:
    """PyAudio capture of 16-bit mono PCM at ``rate`` from ``device`` (index, or the default input).

    Iterate with ``async for block in mic`` (int16 arrays shaped ``(n,)``);
    close with :meth:`close` or use as a context manager. On PulseAudio the
    default input follows ``PULSE_SOURCE`` (e.g. ``null.monitor``).
    """

    def __init__(self, *, rate: int = INPUT_RATE, device: int | None = None,
                 block_frames: int = MIC_BLOCK_FRAMES) -> None:
        pyaudio = _import_pyaudio()
        self.rate = rate
        self.dropped_blocks = 0
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(MIC_QUEUE_BLOCKS)
        self._continue = pyaudio.paContinue
        with quiet_native_stderr():
            self._pa = pyaudio.PyAudio()
        try:
            with quiet_native_stderr():
                self._stream = self._pa.open(format=pyaudio.paInt16, channels=1, rate=rate, input=True,
                                             input_device_index=device, frames_per_buffer=block_frames,
                                             stream_callback=self._callback)
        except (OSError, ValueError) as exc:
            self._pa.terminate()
            raise AudioDeviceError(f"cannot open the microphone (device {device}) at {rate} Hz mono: {exc}; "
                                   "check the input device and its permissions") from None
        self._closed = False

    def _callback(self, in_data: bytes | None, frame_count: int, time_info: Any, status: int) -> tuple[None, int]:
        if in_data:
            self._loop.call_soon_threadsafe(self._put, in_data)
        return None, self._continue

    def _put(self, data: bytes | None) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped_blocks += 1
        self._queue.put_nowait(data)

    async def __aiter__(self) -> AsyncIterator[np.ndarray]:
        while (data := await self._queue.get()) is not None:
            yield np.frombuffer(data, dtype="<i2").astype(np.int16, copy=False)

    def close(self) -> None:
        """Stop capturing and release the device; iteration ends. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._stream.stop_stream()
            self._stream.close()
        except OSError:
            pass
        finally:
            self._pa.terminate()
            self._put(None)

    def __enter__(self) -> Microphone:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class VoiceOutput:
    """Plays the model's audio: resampled to 48 kHz stereo into a ring buffer that a :class:`Player` drains.

    ``player=False`` keeps the ring without a device (for recording or
    tests). :meth:`interrupt` empties what is buffered at once.
    """

    def __init__(self, *, device: int | str | None = None, buffer_seconds: float = 30.0,
                 target_latency_ms: float = 100.0, player: bool = True) -> None:
        self.ring = RingBuffer.for_seconds(buffer_seconds)
        self._resamplers: dict[int, Resampler] = {}
        self.player = (Player(self.ring, device=device, target_latency_ms=target_latency_ms, trim_backlog=False)
                       if player else None)
        #: Frames (48 kHz) dropped from the buffer by interruptions.
        self.interrupted_frames = 0

    def write(self, data: bytes, mime_type: str | None = None) -> int:
        """Queue 16-bit mono PCM (rate from ``mime_type``, default 24 kHz); returns frames queued."""
        rate = parse_mime(mime_type)[0] if mime_type and "rate=" in mime_type else OUTPUT_RATE
        samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
        resampler = self._resamplers.setdefault(rate, Resampler(rate, SAMPLE_RATE))
        return self.ring.write(pcm_to_frames(resampler.process(samples)))

    def interrupt(self) -> int:
        """Drop every buffered frame now (the user barged in); returns how many."""
        dropped = self.ring.clear()
        self.interrupted_frames += dropped
        return dropped

    def play(self, message: LiveServerMessage) -> None:
        """Queue the audio of ``message``; an ``interrupted`` message empties the buffer instead."""
        content = message.server_content
        if content is None:
            return
        if content.interrupted:
            self.interrupt()
        for part in content.model_turn.parts if content.model_turn else ():
            blob = part.inline_data
            if blob is not None and blob.mime_type.lower().startswith("audio/"):
                self.write(blob.data, blob.mime_type)

    def close(self) -> None:
        if self.player is not None:
            self.player.close()

    def __enter__(self) -> VoiceOutput:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


async def stream_microphone(session: Any, microphone: Microphone) -> None:
    """Send every microphone block to ``session`` as realtime audio until the microphone closes."""
    async for block in microphone:
        await session.send_realtime_input(audio=block, rate=microphone.rate)
