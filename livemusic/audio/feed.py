"""What the real-time audio callback does, without PortAudio: ring buffer -> gain ramp -> device buffer.

:class:`PlaybackFeed` holds the buffered audio at its target (trimming what piled
up, rebuffering after an underrun), ramps the gain so start, pause and stop never
click, and counts what a listener would notice: underruns, frames dropped to hold
the target, and how close the buffer came to empty. It allocates nothing per call.
"""

from __future__ import annotations

import threading

import numpy as np

from livemusic.audio.ring import RingBuffer

#: Frames over which a cut of the backlog crossfades (5 ms).
_CROSSFADE_FRAMES = 240


class PlaybackFeed:
    """The real-time part of playback, without PortAudio.

    :meth:`fill` is called from the audio thread for each device buffer. It
    waits until the ring holds ``preroll_frames`` (the target latency), drops
    the oldest frames beyond that (audio that piled up while the device
    started would otherwise delay every change for the whole session), then
    copies frames out, counting missing ones as underruns, and ramps the gain
    linearly over ``ramp_frames`` whenever the target gain changes, so start,
    pause and stop never click. After an underrun it waits for the preroll
    again (that silence counts as underrun too), trims, and fades back in, so
    the buffered audio returns to its target instead of creeping up by each
    gap; and whenever more than ``ceiling_frames`` piled up while playing (the
    device stalled: PulseAudio often does for most of a second just after it
    starts) it cuts back to the target with a 5 ms crossfade. :meth:`resync` does the same without counting (a resume). At gain 0
    with target 0 (paused) it outputs silence and leaves the ring untouched.
    With ``trim_backlog=False`` nothing is dropped, neither at the start nor
    at the ceiling: for speech, which arrives
    in bursts far ahead of real time and must be played in full.
    """

    def __init__(self, ring: RingBuffer, frames_per_buffer: int, *, preroll_frames: int = 0,
                 ramp_frames: int = 4800, ceiling_frames: int | None = None, trim_backlog: bool = True) -> None:
        if frames_per_buffer <= 0:
            raise ValueError(f"frames_per_buffer must be positive, got {frames_per_buffer}")
        self._ring = ring
        channels = ring.channels
        self._out = np.zeros((frames_per_buffer, channels), dtype=np.int16)
        self._work = np.empty((frames_per_buffer, channels), dtype=np.float32)
        self._ramp = np.empty(frames_per_buffer, dtype=np.float32)
        self._steps = np.arange(1, frames_per_buffer + 1, dtype=np.float32)
        self._step = 1.0 / max(1, ramp_frames)
        self._gain = 0.0
        self._target = 1.0
        self._preroll = preroll_frames
        #: More than this buffered while playing (the device stalled, e.g. while it started) is cut
        #: back to the preroll, with a short crossfade; twice the preroll unless told.
        self._ceiling = ceiling_frames if ceiling_frames is not None else (
            2 * preroll_frames if preroll_frames > 0 and trim_backlog else None)
        self._old = np.zeros((_CROSSFADE_FRAMES, channels), dtype=np.int16)
        self._crossfade = np.linspace(0.0, 1.0, _CROSSFADE_FRAMES, dtype=np.float32)[:, None]
        self._trim_backlog = trim_backlog
        self._primed = preroll_frames <= 0
        self._rebuffering = False
        #: Set by :meth:`resume_on_audio`: the ring's write count then, the next priming's threshold is
        #: one device buffer until audio written after it is played (None: the preroll as usual).
        self._quick_from: int | None = None
        self._draining = False
        #: Frames taken from the ring and handed to the device.
        self.played_frames = 0
        #: Frames the device asked for while playing that the ring did not have.
        self.underrun_frames = 0
        #: Frames dropped unplayed to bring the buffered audio back to the preroll target.
        self.dropped_frames = 0
        #: The fewest frames left in the ring after a device buffer was taken while playing (0 at an
        #: underrun): how close the buffer came to running dry. ``None`` until playing.
        self.lowest_fill_frames: int | None = None
        #: Set while the output is silent because the gain reached 0 (paused or closing).
        self.silent = threading.Event()
        #: Set once :meth:`drain` was asked for and the ring ran empty.
        self.drained = threading.Event()

    @property
    def gain(self) -> float:
        return self._gain

    def fade_to(self, target: float) -> None:
        """Ramp the gain towards ``target`` (0.0 or 1.0) from the next buffer on."""
        self._target = float(target)
        if self._target > 0.0:
            self.silent.clear()

    def drain(self) -> None:
        """Play out what the ring holds without counting the end as an underrun."""
        self._draining = True

    def resync(self) -> None:
        """Wait for the preroll again and drop what is beyond it (e.g. on resume)."""
        self._primed = self._preroll <= 0

    def resume_on_audio(self) -> None:
        """When the next audio comes to a dry ring, play it at once instead of waiting for the preroll.

        For a stream that was cut (a dropped connection, now resumed), not slow: waiting to rebuffer
        would only add to the gap, and a resumed server sends the buffer's worth at once. Forgotten
        if the ring still holds audio when the next arrives (nothing ran dry).
        """
        self._quick_from = self._ring.frames_written_total

    def fill(self, frame_count: int) -> np.ndarray:
        """Return the next ``frame_count`` frames to play (a view of a reused array)."""
        out = self._out if frame_count == self._out.shape[0] else self._resize(frame_count)
        if self._target == 0.0 and self._gain == 0.0:
            out.fill(0)
            self.silent.set()
            return out
        ring = self._ring
        quick = self._quick_from
        if quick is not None and self._primed and ring.frames_written_total > quick:
            self._quick_from = quick = None  # audio came before the ring ran dry
        if not self._primed:
            preroll = self._preroll if quick is None else min(self._preroll, frame_count)
            if ring.fill_frames < preroll and not self._draining:
                out.fill(0)
                if self._rebuffering:
                    self.underrun_frames += frame_count
                return out
            self._primed, self._rebuffering, self._quick_from = True, False, None
            if self._trim_backlog and not self._draining:
                self.dropped_frames += ring.discard(ring.fill_frames - self._preroll)
        if self._draining:
            available = ring.fill_frames
            if available < frame_count:
                got = ring.read_into(out[:available]) if available else 0
                out[got:] = 0
                self.drained.set()
            else:
                got = ring.read_into(out)
        else:
            if self._ceiling is not None and ring.fill_frames > self._ceiling:
                got = self._cut_backlog(out)
            else:
                got = ring.read_into(out)
            left = ring.fill_frames
            if self._target > 0.0 and (self.lowest_fill_frames is None or left < self.lowest_fill_frames):
                self.lowest_fill_frames = left
            if got < frame_count and self._target > 0.0:  # running dry while fading out is no underrun
                self.underrun_frames += frame_count - got
                if self._preroll > 0:  # rebuffer to the target, then fade back in
                    self._primed = False
                    self._rebuffering = True
        self.played_frames += got
        if self._gain != self._target:
            self._apply_ramp(out)
        if self._rebuffering:
            self._gain = 0.0
        return out

    def _cut_backlog(self, out: np.ndarray) -> int:
        """Read ``out`` from the preroll target's distance to the newest audio, crossfading from
        the audio that would have played, so the jump does not click; return the frames read."""
        ring = self._ring
        n = _CROSSFADE_FRAMES if out.shape[0] >= _CROSSFADE_FRAMES else 0
        old = self._old[:n]
        self.played_frames += ring.read_into(old)  # played too, fading out
        self.dropped_frames += ring.discard(ring.fill_frames - self._preroll)
        got = ring.read_into(out)
        if n:
            work = self._work[:n]
            np.subtract(out[:n], old, out=work, dtype=np.float32)
            work *= self._crossfade
            work += old
            np.copyto(out[:n], work, casting="unsafe")
        return got

    def _apply_ramp(self, out: np.ndarray) -> None:
        n = out.shape[0]
        start, target = self._gain, self._target
        ramp = self._ramp[:n]
        np.multiply(self._steps[:n], self._step if target > start else -self._step, out=ramp)
        ramp += start
        np.clip(ramp, min(start, target), max(start, target), out=ramp)
        work = self._work[:n]
        np.multiply(out, ramp[:, None], out=work)
        np.copyto(out, work, casting="unsafe")
        self._gain = float(ramp[-1])
        if self._gain == 0.0 and target == 0.0:
            self.silent.set()

    def _resize(self, frame_count: int) -> np.ndarray:
        # PortAudio gives the requested buffer size; this only runs if a host API does not.
        channels = self._ring.channels
        self._out = np.zeros((frame_count, channels), dtype=np.int16)
        self._work = np.empty((frame_count, channels), dtype=np.float32)
        self._ramp = np.empty(frame_count, dtype=np.float32)
        self._steps = np.arange(1, frame_count + 1, dtype=np.float32)
        return self._out


# --------------------------------------------------------------------------- devices
