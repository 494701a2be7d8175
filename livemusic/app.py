"""What ``livemusic play`` and ``livemusic render`` do, as plain async functions.

``play_preset`` wires a session to the sound card and recorder (a
:class:`~livemusic.stage.Stage`) and lets the scheduler drive the preset's
timeline against the audible position. ``render_preset`` asks the server for audio as fast as the CPU
allows and writes it (and optionally stems) to WAV.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livemusic.audio.recorder import Recorder
from livemusic.controls import Controls, LiveOptions, client_for
from livemusic.midi_control import MidiMapping
from livemusic.errors import InvalidInputError
from livemusic.music.client import AsyncLiveMusic
from livemusic.music.embedded import EmbeddedEngine
from livemusic.music.reconnect import SessionEvent
from livemusic.music.schedule import Scheduler
from livemusic.music.session import AsyncMusicSession
from livemusic.presets import Preset
from livemusic.device import DeviceOpening
from livemusic.stage import BUFFER_MS, Stage, chunk_ms_for, recording_path
from livemusic.music.midi_out import MidiOut, SteppedClock, open_port
from livemusic.timeparse import BEATS_PER_BAR, TimeValue, parse_time
from livemusic.types import SAMPLE_RATE

log = logging.getLogger("livemusic.app")



@dataclass(frozen=True)
class PlayOptions(LiveOptions):
    duration: str | None = None
    midi_out: str | None = None


@dataclass(frozen=True)
class RenderOptions:
    """``livemusic render``: a preset, or prompts and a config; where to write and what."""

    out: Path = Path(".")
    prompts: dict[str, float] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    duration: str | None = None
    bars: int | None = None
    stems: bool = False
    midi: bool = False
    loop: bool = False
    float32: bool = False
    sample_rate: int | None = None
    backend: str | None = None
    url: str | None = None
    api_key: str | None = None


def _client(preset: Preset, backend: str | None, url: str | None, api_key: str | None = None) -> AsyncLiveMusic:
    return AsyncLiveMusic(api_key=api_key, url=url or preset.url, backend=backend or preset.backend)


def _seconds(preset: Preset, value: str | None) -> float:
    """A length from the command line (or the preset's); bars and beats through the preset's tempo map."""
    if value is not None:
        length = _duration(value)
        if length.is_musical:
            return preset.resolved_timeline().tempo.seconds_at(length.beats)
        return length.amount
    seconds = preset.duration_seconds()
    if seconds is None:
        raise InvalidInputError(f"preset {preset.name!r} has no duration: pass --duration")
    return seconds


def _duration(value: str) -> TimeValue:
    try:
        return parse_time(value)
    except ValueError as exc:
        raise InvalidInputError(f"--duration: {exc}") from None


def _scheduler(preset: Preset, session: AsyncMusicSession, duration: float) -> Scheduler:
    backend = "gemini" if session.backend == "gemini" else "embedded"
    return Scheduler(session, preset.resolved_timeline(), backend=backend, duration=duration)


class _Status:
    """One live status line on a terminal, fit to its width; plain log lines every few seconds otherwise,
    and one at each connection event (disconnected, reconnecting, resumed, rotated) as it happens."""

    def __init__(self, stream=sys.stdout) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last_plain = -10.0

    def show(self, stage: Stage, scheduler: Scheduler, elapsed: float) -> None:
        if self.tty:
            text = stage.status(scheduler.position, scheduler.current_bar, scheduler.current_bpm)
            self.stream.write("\r\x1b[2K" + text)
            self.stream.flush()
        elif elapsed - self._last_plain >= 5.0:
            self._last_plain = elapsed
            text = stage.status(scheduler.position, scheduler.current_bar, scheduler.current_bpm, width=200)
            print(text, file=self.stream, flush=True)

    def event(self, event: SessionEvent, position: float) -> None:
        """A connection event at stream ``position`` (seconds): a line of its own in a log (the
        terminal's status line shows the latest event at its next redraw)."""
        if not self.tty:
            minutes, seconds = divmod(max(0.0, position), 60)
            print(f"{int(minutes):02d}:{seconds:04.1f} {event}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


async def play_preset(preset: Preset, options: PlayOptions, *, engine: EmbeddedEngine | None = None,
                      opening: DeviceOpening | None = None) -> None:
    """Play ``preset`` through the sound card (and/or record it) following its timeline.

    ``engine`` is an embedded engine spawned early by the caller; it is used
    when the preset plays on the embedded engine and stopped otherwise.
    ``opening`` is the sound card being opened early by the caller (opened here otherwise).
    """
    try:
        duration = _seconds(preset, options.duration)
        record = options.record or preset.record
        recorder = Recorder(recording_path(record), max_seconds=duration) if record else None
        midi = MidiOut(open_port(options.midi_out), lambda: 0.0) if options.midi_out else None
        client = await client_for(options, preset, engine)
    except BaseException:
        if engine is not None:
            await engine.stop()
        if opening is not None:
            await asyncio.to_thread(opening.close)
        raise
    if client.backend != "embedded":
        engine = None
    buffer_ms = options.buffer_ms or BUFFER_MS[client.backend]
    if opening is None:
        opening = DeviceOpening(device=options.device, buffer_ms=buffer_ms, audio=options.audio)
    player = stage = None
    status = _Status()
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        # The sound device opens while the engine finishes starting (both take a while).
        (ring, player), _ = await asyncio.gather(
            opening.result(buffer_ms), engine.start() if engine is not None else asyncio.sleep(0))
        async with client.connect(model=preset.model, chunk_ms=chunk_ms_for(client.backend, buffer_ms),
                                  notes=midi is not None) as session:
            stage = Stage(session, ring, player, buffer_ms=buffer_ms, recorder=recorder, limit_seconds=duration)
            stage.start()
            knobs = _start_knobs(preset, options, session, stage)
            if midi is not None:
                _start_midi(midi, session)
            scheduler = _scheduler(preset, session, duration)
            session.on_event = lambda event: status.event(event, scheduler.position)
            timeline = asyncio.create_task(scheduler.run())
            receiver = stage.receiver
            started = time.monotonic()
            try:
                while not (timeline.done() or receiver.done()):
                    status.show(stage, scheduler, time.monotonic() - started)
                    await asyncio.wait({timeline, receiver}, timeout=0.25, return_when=asyncio.FIRST_COMPLETED)
                for done in (timeline, receiver):
                    if done.done():
                        done.result()
            finally:
                timeline.cancel()
                await asyncio.gather(timeline, return_exceptions=True)
                if knobs is not None:
                    await knobs.close()
                if midi is not None:
                    await midi.close()
                await stage.close()
                status.close()
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)
        if stage is None:
            if player is not None:
                player.close()
            else:  # the engine failed to start while the device opened
                await asyncio.to_thread(opening.close)
            if recorder is not None:
                recorder.close()
        if player is not None:
            print(f"played {player.played_frames / SAMPLE_RATE:.1f} s, underruns: {player.underrun_frames} frames, "
                  f"skipped to hold the latency: {player.dropped_frames / SAMPLE_RATE:.2f} s", file=sys.stderr)
        if recorder is not None:
            print(f"recorded {recorder.seconds_written:.1f} s to {record}", file=sys.stderr)


def _start_knobs(preset: Preset, options: PlayOptions, session: AsyncMusicSession, stage: Stage) -> Controls | None:
    """With ``--midi`` (or a ``midi.port`` in the preset), the MIDI input's knobs and pads steer the music."""
    mapping = preset.midi or MidiMapping()
    if not (options.midi or mapping.port):
        return None
    controls = Controls(session, stage, name=preset.name)
    controls.start_midi(options.midi or mapping.port or "", mapping)
    return controls


def _start_midi(midi: MidiOut, session: AsyncMusicSession) -> None:
    """Send the session's notes to ``midi`` as they are heard (livemusic's engine only)."""
    if not session.supports_notes:
        raise InvalidInputError("--midi-out needs livemusic's engine: the hosted model does not say which notes "
                                "it plays")
    midi.clock = SteppedClock(lambda: session.audible_position)
    session.on_notes(midi.add)
    midi.start()


async def render_preset(preset: Preset | None, options: RenderOptions) -> Path:
    """Render ``preset`` (or ``options.prompts``) with :func:`livemusic.arender` and write the files.

    ``options.out`` is a ``.wav`` path or a folder (the file is named for its tempo, key and
    length). On livemusic's engine every timeline change lands sample-exactly.
    """
    bars, seconds = options.bars, None
    if options.duration is not None:
        length = _duration(options.duration)
        bars, seconds = (length.beats / BEATS_PER_BAR, None) if length.is_musical else (None, length.amount)
    from livemusic.music.render import arender  # the engine's sound code (via seams): not for `play`

    source: dict[str, Any] = {"preset": preset} if preset is not None else {"prompts": options.prompts}
    progress = _Progress()
    try:
        clip = await arender(**source, **options.config, bars=bars, seconds=seconds, stems=options.stems,
                             midi=options.midi, loop=options.loop, backend=options.backend, url=options.url,
                             api_key=options.api_key, progress=progress)
    finally:
        progress.close()
    path = clip.write(options.out, float32=options.float32, sample_rate=options.sample_rate)
    extras = [what for what, asked in (("stems", options.stems), ("MIDI", options.midi)) if asked]
    print(f"wrote {path} ({clip.seconds:.2f} s, {round(clip.bars, 2):g} bars"
          f"{', with ' + ' and '.join(extras) if extras else ''})")
    return path


class _Progress:
    """Render progress on stderr: a bar with an ETA on a terminal (10 redraws a second at most);
    elsewhere (logs, CI) a plain line at each quarter."""

    def __init__(self, stream=sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._start = time.monotonic()
        self._next_draw = 0.0
        self._quarters = 0

    def __call__(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        if not self.tty:
            if int(fraction * 4) > self._quarters:
                self._quarters = int(fraction * 4)
                print(f"rendered {100 * fraction:.0f}%", file=self.stream, flush=True)
            return
        now = time.monotonic()
        if now < self._next_draw and done < total:
            return
        self._next_draw = now + 0.1
        eta = (now - self._start) * (1 - fraction) / fraction if fraction > 0 else 0.0
        filled = int(30 * fraction)
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {100 * fraction:5.1f}%  ETA {eta:3.0f} s")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
