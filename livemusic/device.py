"""The sound card, opened in the background so that it overlaps everything else starting.

Opening an output device takes a while (PortAudio probes the host APIs, then
PulseAudio sets up the stream), as do the engine's start-up, the client's own
imports, reading the preset and connecting. ``livemusic play`` and ``livemusic
repl`` therefore start a :class:`DeviceOpening` first thing, on a thread, and
collect the player when the music is ready to flow. This module and the audio
layer import no pydantic and none of the engine, so the thread is not held up
by the client's imports.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
from typing import TYPE_CHECKING

from livemusic.errors import AudioDeviceError, InvalidInputError

if TYPE_CHECKING:
    from livemusic.audio.player import Player
    from livemusic.audio.ring import RingBuffer

__all__ = ["BUFFER_MS", "DEVICE_FRAMES", "DeviceOpening", "open_device", "ring_for"]

#: Playback buffer targets (ms) by backend: livemusic's engine answers at once; the hosted
#: model takes ~2 s to respond anyway, and its chunks arrive in bursts.
BUFFER_MS = {"embedded": 100, "gemini": 2000, "url": 500}
#: Frames per device buffer: small enough to count little in the latency, large enough for the callback.
DEVICE_FRAMES = 1024


def ring_for(buffer_ms: int) -> RingBuffer:
    """The ring between the session and the device: room for a few buffer targets, 2 s at least."""
    from livemusic.audio.ring import RingBuffer

    return RingBuffer.for_seconds(max(4 * buffer_ms / 1000, 2.0))


def open_device(ring: RingBuffer, *, device: str | None, buffer_ms: int, audio: bool = True) -> Player | None:
    """The sound card player, started; ``None`` (after one line saying why) when there is none.

    An explicitly chosen ``device`` that cannot be opened is bad input.
    """
    if not audio:
        return None
    from livemusic.audio.player import Player

    try:
        # Started at once, playing silence until the ring holds the target: PulseAudio stalls for up
        # to a second just after a stream starts, and this way that happens while the engine starts.
        return Player(ring, device=device, target_latency_ms=buffer_ms, frames_per_buffer=DEVICE_FRAMES)
    except AudioDeviceError as exc:
        if device is not None:
            raise InvalidInputError(f"--device {device}: {exc}") from None
        print(f"livemusic: playing without sound: {exc}", file=sys.stderr, flush=True)
        return None


class DeviceOpening:
    """The ring and the sound card player for ``buffer_ms``, being made on a thread from construction on.

    :meth:`result` waits for them; :meth:`close` releases the player when the
    music will not play after all (bad input found meanwhile). Errors opening
    the device (an explicit ``device`` that cannot be opened) are raised by
    :meth:`result`.
    """

    def __init__(self, *, device: str | None, buffer_ms: int, audio: bool = True) -> None:
        self.device = device
        self.buffer_ms = buffer_ms
        self.audio = audio
        self._future: concurrent.futures.Future[tuple[RingBuffer, Player | None]] = concurrent.futures.Future()
        threading.Thread(target=self._open, name="livemusic-device", daemon=True).start()

    def _open(self) -> None:
        try:
            ring = ring_for(self.buffer_ms)
            self._future.set_result((ring, open_device(ring, device=self.device, buffer_ms=self.buffer_ms,
                                                       audio=self.audio)))
        except BaseException as exc:  # handed to whoever waits for the result
            self._future.set_exception(exc)

    async def result(self, buffer_ms: int | None = None) -> tuple[RingBuffer, Player | None]:
        """The ring and the player (``None``: no sound); opened again if the session needs another ``buffer_ms``.

        Only a preset choosing another backend than the flags suggested asks for another buffer target.
        """
        ring, player = await asyncio.wrap_future(self._future)
        if buffer_ms is None or buffer_ms == self.buffer_ms:
            return ring, player
        if player is not None:
            await asyncio.to_thread(player.close)
        ring = ring_for(buffer_ms)
        return ring, await asyncio.to_thread(open_device, ring, device=self.device, buffer_ms=buffer_ms,
                                             audio=self.audio)

    def close(self) -> None:
        """Release the player once it is open (blocks until then); errors opening it are dropped."""
        try:
            _, player = self._future.result()
        except Exception:
            return
        if player is not None:
            player.close()
