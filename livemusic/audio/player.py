"""Sound card output through PyAudio (PortAudio) in callback mode.

Two layers, as elsewhere in livemusic: :class:`~livemusic.audio.feed.PlaybackFeed`
is what the real-time callback does (ring buffer -> gain ramp -> output buffer)
with no PortAudio in it, so it is tested directly; :class:`Player` only opens
the device and hands the feed's buffer to PortAudio.

The callback copies from the ring buffer into one preallocated int16 array
and applies the gain ramp in place with preallocated work arrays. PyAudio's
callback interface accepts only a ``bytes`` object as output (it rejects
memoryviews and arrays), so handing the buffer over costs one small
``bytes`` copy per callback; nothing else is allocated there. A Python
callback needs the GIL: keep long GIL-holding work out of this process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from livemusic.audio.feed import PlaybackFeed
from livemusic.audio.quiet import quiet_alsa_messages, quiet_native_stderr
from livemusic.audio.ring import RingBuffer
from livemusic.errors import AudioDeviceError
from livemusic.playback import PlaybackState

__all__ = ["DeviceInfo", "PlaybackFeed", "Player", "list_output_devices", "select_device"]

_INSTALL_HINT = ("pip install 'livemusic[audio]' (PyAudio needs PortAudio: "
                 "apt install portaudio19-dev, or brew install portaudio)")
_LIST_HINT = "`livemusic devices` lists the output devices"


@dataclass(frozen=True)
class DeviceInfo:
    """An output device as PortAudio sees it."""

    index: int
    name: str
    channels: int
    default_sample_rate: float
    is_default: bool
    host_api: str = ""

    def __str__(self) -> str:
        mark = "*" if self.is_default else " "
        api = f", {self.host_api}" if self.host_api else ""
        return (f"{self.index:>3} {mark} {self.name} "
                f"({self.channels} ch, {self.default_sample_rate:.0f} Hz{api})")


def _import_pyaudio() -> Any:
    try:
        import pyaudio
    except (ImportError, OSError) as exc:
        raise AudioDeviceError(f"PyAudio is not available ({exc}): {_INSTALL_HINT}") from None
    return pyaudio


def _output_devices(pa: Any) -> list[DeviceInfo]:
    try:
        default_index = pa.get_default_output_device_info()["index"]
    except (OSError, IOError):
        default_index = None
    devices = []
    for index in range(pa.get_device_count()):
        info = pa.get_device_info_by_index(index)
        channels = int(info.get("maxOutputChannels", 0))
        if channels <= 0:
            continue
        try:
            host_api = pa.get_host_api_info_by_index(info["hostApi"])["name"]
        except (OSError, IOError, KeyError):
            host_api = ""
        devices.append(DeviceInfo(index=index, name=str(info["name"]), channels=channels,
                                  default_sample_rate=float(info.get("defaultSampleRate", 0.0)),
                                  is_default=index == default_index, host_api=host_api))
    return devices


def list_output_devices() -> list[DeviceInfo]:
    """Every output device PortAudio sees, the default one marked.

    Raises :class:`AudioDeviceError` when PyAudio/PortAudio is not installed.
    """
    pyaudio = _import_pyaudio()
    with quiet_native_stderr():
        pa = pyaudio.PyAudio()
    try:
        return _output_devices(pa)
    finally:
        pa.terminate()


def _choices(devices: list[DeviceInfo]) -> str:
    return "; ".join(f"{d.index} {d.name!r}" for d in devices)


def select_device(devices: list[DeviceInfo], device: int | str | None, *,
                  channels: int = 2) -> DeviceInfo:
    """Pick an output device by index, by case-insensitive name (substring), or the default.

    An exact name wins over substrings. Raises :class:`AudioDeviceError` with
    the choices when nothing or more than one device matches.
    """
    if not devices:
        raise AudioDeviceError(
            "no audio output device found: connect one or start a sound server "
            f"(PulseAudio/PipeWire); {_LIST_HINT}")
    if device is None or (isinstance(device, str) and not device.strip()):
        chosen = next((d for d in devices if d.is_default), devices[0])
    elif isinstance(device, int) or (isinstance(device, str) and device.strip().isdigit()):
        index = int(device)
        chosen = next((d for d in devices if d.index == index), None)
        if chosen is None:
            raise AudioDeviceError(
                f"no output device has index {index}; choose one of: {_choices(devices)}")
    else:
        wanted = device.strip().lower()
        exact = [d for d in devices if d.name.lower() == wanted]
        matches = exact or [d for d in devices if wanted in d.name.lower()]
        if not matches:
            raise AudioDeviceError(
                f"no output device matches {device!r}; choose one of: {_choices(devices)}")
        if len(matches) > 1:
            raise AudioDeviceError(
                f"output device {device!r} is ambiguous, it matches: {_choices(matches)}; "
                "give more of the name or the index")
        chosen = matches[0]
    if chosen.channels < channels:
        raise AudioDeviceError(
            f"output device {chosen.index} {chosen.name!r} has {chosen.channels} channel(s), "
            f"livemusic plays {channels}; choose another: {_choices(devices)}")
    return chosen


# --------------------------------------------------------------------------- the player


class Player:
    """Plays a :class:`RingBuffer` on an output device until closed.

    ``device`` is an index, a case-insensitive name substring, or ``None``
    for the default output. Playback starts when the ring holds
    ``target_latency_ms`` of audio (the headroom against network and
    scheduling jitter); gain changes ramp over ``ramp_ms``. Raises
    :class:`AudioDeviceError` (one line, with the fix) when PyAudio is
    missing, the device does not exist, or it cannot be opened. With
    ``start=False`` the device stream waits for :meth:`start`.
    ``trim_backlog=False`` plays everything queued (speech) instead of
    holding the buffer at its target (live music).

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, ring: RingBuffer, *, device: int | str | None = None,
                 frames_per_buffer: int = 1024, target_latency_ms: float = 150.0,
                 ramp_ms: float = 100.0, start: bool = True, trim_backlog: bool = True) -> None:
        pyaudio = _import_pyaudio()
        self._ring = ring
        rate = ring.sample_rate
        self._frames_per_buffer = frames_per_buffer
        self._ramp_seconds = ramp_ms / 1000.0
        self._feed = PlaybackFeed(ring, frames_per_buffer,
                                  preroll_frames=round(target_latency_ms / 1000.0 * rate),
                                  ramp_frames=round(ramp_ms / 1000.0 * rate), trim_backlog=trim_backlog)
        self._continue = pyaudio.paContinue
        self._underflow_flag = pyaudio.paOutputUnderflow
        self._device_underflows = 0
        self._last_callback = 0.0
        self._longest_gap = 0.0
        self._callback_errors = 0
        self._lock = threading.Lock()
        self.device: DeviceInfo | None = None
        quiet_alsa_messages()
        try:
            with quiet_native_stderr():
                self._pa = pyaudio.PyAudio()
        except OSError as exc:
            raise AudioDeviceError(f"PortAudio could not start: {exc}; {_INSTALL_HINT}") from None
        try:
            self.device = select_device(_output_devices(self._pa), device, channels=ring.channels)
            with quiet_native_stderr():
                self._stream = self._pa.open(
                    format=pyaudio.paInt16, channels=ring.channels, rate=rate, output=True,
                    output_device_index=self.device.index, frames_per_buffer=frames_per_buffer,
                    stream_callback=self._callback, start=False)
                if start:
                    self._stream.start_stream()
        except AudioDeviceError:
            self._pa.terminate()
            raise
        except (OSError, ValueError) as exc:
            self._pa.terminate()
            what = f"{self.device.index} {self.device.name!r}" if self.device else "(listing failed)"
            raise AudioDeviceError(
                f"cannot open output device {what} at {rate} Hz, {ring.channels} ch: {exc}; "
                f"choose another with --device ({_LIST_HINT})") from None
        self._state = PlaybackState.PLAYING

    # ------------------------------------------------------------------ real-time callback

    def _callback(self, in_data: Any, frame_count: int, time_info: Any, status: int) -> tuple[bytes, int]:
        try:
            now = time.monotonic()
            if self._feed.played_frames:  # playing: the start-up stall before the first audio is not a gap
                self._longest_gap = max(self._longest_gap, now - self._last_callback)
            self._last_callback = now
            if status & self._underflow_flag:
                self._device_underflows += 1
            return self._feed.fill(frame_count).tobytes(), self._continue
        except Exception:  # never raise into PortAudio; counted and visible outside
            self._callback_errors += 1
            return bytes(frame_count * 2 * self._ring.channels), self._continue

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        """Start the device stream (when the constructor was told ``start=False``).

        Starting once the ring holds audio, rather than at open, keeps the
        device from queueing a buffer of silence ahead of the first sound.
        """
        with self._lock:
            if self._state is not PlaybackState.STOPPED and self._stream.is_stopped():
                with quiet_native_stderr():
                    self._stream.start_stream()

    @property
    def state(self) -> PlaybackState:
        """Playing, paused, or stopped once closed."""
        return self._state

    def pause(self) -> None:
        """Fade out over the ramp time, then hold the ring where it is (output silence)."""
        with self._lock:
            if self._state is PlaybackState.PLAYING:
                self._feed.fade_to(0.0)
                self._state = PlaybackState.PAUSED

    def resume(self) -> None:
        """Fade back in, keeping only the buffer target of what the ring holds."""
        with self._lock:
            if self._state is PlaybackState.PAUSED:
                self._feed.resync()
                self._feed.fade_to(1.0)
                self._state = PlaybackState.PLAYING

    def resume_on_audio(self) -> None:
        """After a cut in the stream: play the audio that comes back at once (see :meth:`PlaybackFeed.resume_on_audio`)."""
        self._feed.resume_on_audio()

    def drain(self, timeout: float | None = None) -> bool:
        """Play what the ring holds to the end; return whether it ran empty within ``timeout``.

        The empty ring at the end is not counted as an underrun.
        """
        self._feed.drain()
        if self._state is PlaybackState.STOPPED:
            return self._ring.fill_frames == 0
        return self._feed.drained.wait(timeout)

    def close(self) -> None:
        """Fade out, let the device play what it holds, and release it. Idempotent."""
        with self._lock:
            if self._state is PlaybackState.STOPPED:
                return
            self._state = PlaybackState.STOPPED
            self._feed.fade_to(0.0)
        try:
            if self._stream.is_active():
                buffer_seconds = self._frames_per_buffer / self._ring.sample_rate
                self._feed.silent.wait(self._ramp_seconds + 4 * buffer_seconds + 0.25)
                self._stream.stop_stream()
            self._stream.close()
        except OSError:
            pass  # the device went away; nothing left to release on it
        finally:
            self._pa.terminate()

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ measurements

    @property
    def played_frames(self) -> int:
        """Frames of the stream handed to the device so far (silence fill excluded)."""
        return self._feed.played_frames

    @property
    def latency_seconds(self) -> float:
        """Output latency PortAudio reports: time from handing frames over to hearing them."""
        if self._state is PlaybackState.STOPPED:
            return 0.0
        return float(self._stream.get_output_latency())

    @property
    def audible_frames(self) -> int:
        """Estimate of the stream position being heard now: frames played or dropped, less the latency.

        Frames dropped to hold the buffer at its target passed unheard, but they are stream time.
        """
        stream = self.played_frames + self.dropped_frames
        return max(0, stream - round(self.latency_seconds * self._ring.sample_rate))

    @property
    def underrun_frames(self) -> int:
        """Frames the device needed while playing that the ring did not have (played as silence)."""
        return self._feed.underrun_frames

    @property
    def dropped_frames(self) -> int:
        """Frames dropped unplayed to hold the buffered audio at its target (see :class:`PlaybackFeed`)."""
        return self._feed.dropped_frames

    @property
    def device_underflows(self) -> int:
        """Callbacks in which PortAudio reported an output underflow of its own."""
        return self._device_underflows

    @property
    def longest_callback_gap_s(self) -> float:
        """The longest time between two device callbacks once audio played: more than a few buffers is a
        device stall (PulseAudio restarts a stream after an ALSA underrun, silent for up to 2 s meanwhile)."""
        return self._longest_gap

    @property
    def lowest_fill_frames(self) -> int | None:
        """How close the buffer came to empty while playing (see :class:`PlaybackFeed`)."""
        return self._feed.lowest_fill_frames

    @property
    def callback_errors(self) -> int:
        """Exceptions caught in the callback (a bug if ever non-zero; silence was played)."""
        return self._callback_errors

    def __repr__(self) -> str:
        return (f"Player({self.device.name!r}, {self._state.value}, played={self.played_frames}, "
                f"underruns={self.underrun_frames})")
