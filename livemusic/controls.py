"""The live-coding helpers: ``prompts``, ``fade``, ``bpm``, ``mute`` ... over a playing session.

:class:`Controls` is what ``livemusic repl`` puts in the namespace and what
:class:`livemusic.Player` offers in a notebook. Every change takes
``at="now" | "beat" | "bar" | "N bars" | "N beats"``: on livemusic's server
the change is sent at once with the stream position of the next such
boundary not yet generated, and lands there sample-exactly; on other servers
(the hosted model) it is sent when the audio generated from then on is the
audio heard at that boundary, compensating the model's latency (best effort).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from livemusic.device import DeviceOpening
from livemusic.errors import InvalidInputError
from livemusic.keys import parse_key
from livemusic.live_options import LiveOptions, client_for
from livemusic.midi_control import (
    MidiMapper,
    MidiMapping,
    current_value,
    describe,
    drive,
    is_control,
    mapped,
    open_input,
)
from livemusic.music.embedded import EmbeddedEngine
from livemusic.music.schedule import MODEL_LATENCY
from livemusic.music.tempo import TempoMap
from livemusic.music.timeline import mix_weights, prompt_list
from livemusic.music.session import AsyncMusicSession
from livemusic.stage import BUFFER_MS, Stage, chunk_ms_for
from livemusic.timeparse import BEATS_PER_BAR, DEFAULT_BPM
from livemusic.types import LiveMusicGenerationConfig, Scale

if TYPE_CHECKING:
    from livemusic.presets import Preset

__all__ = ["HELPERS", "Controls", "LiveOptions", "client_for", "parse_key"]

#: What plays when no preset or prompts are given.
DEFAULT_PROMPTS = {"minimal techno": 1.0}

#: The helpers, in the order ``help()`` lists them.
HELPERS = ("prompts", "add", "remove", "fade", "bpm", "key", "scale", "density", "brightness", "mute",
           "unmute", "solo", "config", "play", "pause", "stop", "reset", "record", "stop_recording",
           "status", "save_preset", "learn")
#: Fade steps per second (as the preset scheduler sends them).
FADE_RATE = 8.0
#: A change is placed at a boundary at least this far past the audio already generated.
_MARGIN_S = 0.03
_PARTS = ("drums", "bass")
_AT = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*)?(bars?|beats?)\s*$", re.IGNORECASE)


class Controls:
    """Steer a playing ``session`` (and its ``stage``: recording, status) with one-line helpers.

    :meth:`open` starts one: connect, open the sound card, send a preset's (or
    the given) prompts and config, play; :meth:`finish` fades out and closes.
    """

    def __init__(self, session: AsyncMusicSession, stage: Stage | None = None, *, name: str = "live") -> None:
        self.session = session
        self.stage = stage
        self.name = name
        bpm = session.config.bpm or DEFAULT_BPM
        self.tempo = TempoMap(bpm)
        self._fade: asyncio.Task[None] | None = None
        #: The knobs and pads in use (saved by :meth:`save_preset`); see :meth:`start_midi`.
        self.midi_mapping = MidiMapping()
        self._midi: tuple[Any, asyncio.Task[None], MidiMapper] | None = None
        self._learner: asyncio.Future[Any] | None = None

    @classmethod
    async def open(cls, source: Preset | Mapping[str, float] | None = None, options: LiveOptions = LiveOptions(),
                   *, engine: EmbeddedEngine | None = None, opening: DeviceOpening | None = None) -> Controls:
        """Start playing ``source`` (a preset, ``{prompt: weight}``, or ``None``: minimal techno).

        ``engine`` and ``opening`` (the sound card) were started early by the command line, or start here.
        """
        from livemusic.presets import Preset

        preset = source if isinstance(source, Preset) else None
        try:
            client = await client_for(options, preset, engine)
        except BaseException:
            if opening is not None:
                await asyncio.to_thread(opening.close)
            raise
        model = {"model": preset.model} if preset else {}
        buffer_ms = options.buffer_ms or BUFFER_MS[client.backend]
        stage = await Stage.open(client.connect(chunk_ms=chunk_ms_for(client.backend, buffer_ms), **model),
                                 buffer_ms=buffer_ms, device=options.device, audio=options.audio,
                                 record=options.record, opening=opening)
        session = stage.session
        try:
            config = preset.config if preset else session.config
            if config.bpm is None:
                config = config.merged(bpm=preset.bpm if preset else DEFAULT_BPM)
            await session.set_music_generation_config(config)
            prompts = preset.prompts if preset else (source if source is not None else DEFAULT_PROMPTS)
            await session.set_weighted_prompts(prompts)
            await session.play()
            controls = cls(session, stage, name=preset.name if preset and preset.name else "live")
            mapping = preset.midi if preset and preset.midi else MidiMapping()
            if options.midi or mapping.port:
                controls.start_midi(options.midi or mapping.port or "", mapping)
        except BaseException:
            await stage.close()
            await session.close()
            raise
        return controls

    async def finish(self) -> str:
        """Fade out, finalize the recording, close the session; says what was recorded (or "")."""
        recorder = self.stage.recorder if self.stage is not None else None
        try:
            await self.close()
            if self.stage is not None:
                await self.stage.close()
        finally:
            await self.session.close()
        return f"recorded {recorder.seconds_written:.1f} s to {recorder.path}" if recorder is not None else ""

    # ------------------------------------------------------------------ timing

    def _boundary(self, at: str | float) -> float | None:
        """The stream time of ``at`` (``None``: now)."""
        if at in ("now", None):
            return None
        if isinstance(at, (int, float)):
            return float(at)
        found = _AT.match(str(at))
        if not found:
            raise InvalidInputError(f"at: expected 'now', 'beat', 'bar', 'N bars' or 'N beats', got {at!r}")
        count = float(found.group(1) or 1)
        beats = count * (BEATS_PER_BAR if found.group(2).lower().startswith("bar") else 1)
        if beats <= 0:
            raise InvalidInputError(f"at: must be more than 0 beats, got {at!r}")
        earliest = self.session.generated_position + _MARGIN_S
        if not self.session.supports_scheduling:
            earliest = max(earliest, self.session.audible_position)
        return self.tempo.next_boundary(earliest, beats)

    async def _when(self, at: str | float) -> float | None:
        """``at=`` for the session call: the boundary on livemusic's server; elsewhere wait, then now."""
        time = self._boundary(at)
        if time is None or self.session.supports_scheduling:
            return time
        latency = MODEL_LATENCY["gemini" if self.session.backend == "gemini" else "embedded"]
        while self.session.generated_position + latency < time:
            await asyncio.sleep(0.01)
        return None

    # ------------------------------------------------------------------ prompts

    def _weights(self) -> dict[str, float]:
        return {p.text: p.weight for p in self.session.prompts}

    async def prompts(self, mix: Mapping[str, float], *, at: str | float = "now") -> None:
        """Replace the prompts: ``prompts({"minimal techno": 1.0, "303 acid bass": 0.5})``."""
        self._stop_fade()
        await self._set_prompts(dict(mix), await self._when(at))

    async def _set_prompts(self, mix: dict[str, float], at: float | None) -> None:
        listed = prompt_list(mix)
        if not listed:
            raise InvalidInputError("prompts: at least one prompt with a weight other than 0 is needed")
        try:
            await self.session.set_weighted_prompts(listed, at=at)
        except ValidationError as exc:
            raise InvalidInputError(f"prompts: {exc.errors()[0]['msg']}") from None

    async def add(self, text: str, weight: float = 1.0, *, at: str | float = "now") -> None:
        """Add a prompt (or change its weight): ``add("rhodes piano", 0.6)``."""
        await self.prompts({**self._weights(), text: weight}, at=at)

    async def remove(self, text: str, *, at: str | float = "now") -> None:
        """Drop a prompt: ``remove("rhodes piano")``."""
        weights = self._weights()
        if text not in weights:
            raise InvalidInputError(f"remove: {text!r} is not playing; playing: {', '.join(weights) or 'nothing'}")
        del weights[text]
        await self.prompts(weights, at=at)

    async def fade(self, mix: Mapping[str, float], bars: float = 8, *, at: str | float = "now") -> None:
        """Cross-fade from the current mix to ``mix`` over ``bars`` bars (in the background)."""
        if bars <= 0:
            raise InvalidInputError(f"fade: bars must be more than 0, got {bars}")
        target = dict(mix)
        if not prompt_list(target):
            raise InvalidInputError("fade: at least one prompt with a weight other than 0 is needed")
        self._stop_fade()
        start = await self._when(at)
        self._fade = asyncio.create_task(self._run_fade(self._weights(), target, start, bars))

    async def _run_fade(self, source: dict[str, float], target: dict[str, float], start: float | None,
                        bars: float) -> None:
        begin = start if start is not None else self.session.generated_position
        end = self.tempo.seconds_at(self.tempo.beats_at(begin) + bars * BEATS_PER_BAR)
        steps = max(1, math.ceil((end - begin) * FADE_RATE))
        for step in range(1, steps + 1):
            time = begin + (end - begin) * step / steps
            while self.session.generated_position + 1 / FADE_RATE < time:
                await asyncio.sleep(0.01)
            at = time if self.session.supports_scheduling else None
            await self._set_prompts(mix_weights(source, target, step / steps), at)

    def _stop_fade(self) -> None:
        if self._fade is not None and not self._fade.done():
            self._fade.cancel()
        self._fade = None

    async def close(self) -> None:
        """Stop a fade in progress and the MIDI input (the session and stage are closed by their owner)."""
        fade, self._fade = self._fade, None
        if fade is not None:
            fade.cancel()
            await asyncio.gather(fade, return_exceptions=True)
        midi, self._midi = self._midi, None
        if midi is not None:
            port, task, _ = midi
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            port.close()

    # ------------------------------------------------------------------ MIDI

    def start_midi(self, port_name: str, mapping: MidiMapping, messages: AsyncIterator[Any] | None = None,
                   port: Any = None) -> None:
        """Let the knobs and pads of MIDI input ``port_name`` steer the music through ``mapping``.

        ``messages`` (with a ``port`` to close) replaces the port, e.g. in tests.
        """
        if messages is None:
            port, messages = open_input(port_name)
        self.midi_mapping = mapping
        mapper = MidiMapper(mapping, lambda target: current_value(self, target))
        self._midi = (port, asyncio.create_task(drive(self, mapper, self._divert(messages))), mapper)

    async def _divert(self, messages: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """``messages``, less the one a :meth:`learn` call is waiting for."""
        async for message in messages:
            learner = self._learner
            if learner is not None and not learner.done() and is_control(message):
                learner.set_result(message)
                continue
            yield message

    async def learn(self, target: str, *, timeout: float = 30.0) -> str:
        """Map the next knob or pad you move to ``target``: ``learn("brightness")``, ``learn("Rhodes Piano")``."""
        if self._midi is None:
            raise InvalidInputError("learn: no MIDI input: start with --midi PORT")
        self._learner = asyncio.get_running_loop().create_future()
        try:
            message = await asyncio.wait_for(self._learner, timeout)
        except TimeoutError:
            raise InvalidInputError(f"learn: no knob or pad moved within {timeout:g} s") from None
        finally:
            self._learner = None
        self.midi_mapping = mapped(self.midi_mapping, message, target)
        self._midi[2].mapping = self.midi_mapping
        return f"{describe(message)} -> {target}"

    # ------------------------------------------------------------------ config

    async def config(self, *, at: str | float = "now", **changes: Any) -> LiveMusicGenerationConfig:
        """Change config fields: ``config(temperature=1.3, guidance=3.0)``; returns the whole config."""
        try:
            merged = self.session.config.merged(**changes)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(x) for x in first["loc"]) or "config"
            raise InvalidInputError(f"{field}: {first['msg']}") from None
        when = await self._when(at)
        await self.session.set_music_generation_config(merged, at=when)
        if "bpm" in changes and changes["bpm"] is not None:
            # The engine changes tempo at the next bar line.
            self.tempo.set_bpm(self.tempo.next_boundary(max(when or 0.0, self.session.generated_position),
                                                        BEATS_PER_BAR), float(changes["bpm"]))
        return merged

    async def bpm(self, value: float, *, at: str | float = "now") -> None:
        """Tempo, 60-200: ``bpm(128)`` (the engine moves at the next bar line)."""
        await self.config(bpm=value, at=at)

    async def key(self, name: str | Scale, *, at: str | float = "now") -> None:
        """Key: ``key("A minor")``, ``key("F# major")``."""
        await self.config(scale=parse_key(name), at=at)

    scale = key

    async def density(self, value: float, *, at: str | float = "now") -> None:
        """Notes and hits, 0-1: ``density(0.8)``."""
        await self.config(density=value, at=at)

    async def brightness(self, value: float, *, at: str | float = "now") -> None:
        """Tone, 0 dark - 1 bright: ``brightness(0.3)``."""
        await self.config(brightness=value, at=at)

    async def mute(self, *parts: str, at: str | float = "now") -> None:
        """Silence parts: ``mute("drums")``, ``mute("drums", "bass")``."""
        await self.config(**self._parts(parts, True, "mute"), at=at)

    async def unmute(self, *parts: str, at: str | float = "now") -> None:
        """Bring parts back: ``unmute("drums")``; no argument: everything, solo included."""
        changes = self._parts(parts or _PARTS, False, "unmute")
        if not parts:
            changes["only_bass_and_drums"] = False
        await self.config(**changes, at=at)

    async def solo(self, *parts: str, at: str | float = "now") -> None:
        """``solo("bass", "drums")``: only bass and drums (onlyBassAndDrums); ``solo()`` ends it."""
        if parts and set(parts) != set(_PARTS):
            raise InvalidInputError('solo: the engines can solo "bass" and "drums" together, or nothing: solo()')
        await self.config(only_bass_and_drums=bool(parts), at=at)

    @staticmethod
    def _parts(parts: tuple[str, ...] | tuple[()], value: bool, what: str) -> dict[str, bool]:
        if not parts:
            raise InvalidInputError(f'{what}: name a part: "drums" or "bass"')
        unknown = [p for p in parts if p not in _PARTS]
        if unknown:
            raise InvalidInputError(f'{what}: parts are "drums" and "bass", got {unknown[0]!r}')
        return {f"mute_{part}": value for part in parts}

    # ------------------------------------------------------------------ playback

    async def play(self, *, at: str | float = "now") -> None:
        """Start or resume."""
        await self.session.play(at=await self._when(at))

    async def pause(self, *, at: str | float = "now") -> None:
        """Hold (``play()`` resumes where it stopped)."""
        await self.session.pause(at=await self._when(at))

    async def stop(self, *, at: str | float = "now") -> None:
        """Stop and reset the context (prompts and config are kept)."""
        await self.session.stop(at=await self._when(at))

    async def reset(self, *, at: str | float = "now") -> None:
        """Restart the musical context without stopping (a hard transition)."""
        await self.session.reset_context(at=await self._when(at))

    # ------------------------------------------------------------------ recording, state

    def record(self, path: str | Path) -> str:
        """Record what plays from now on: ``record("take1.wav")``."""
        if self.stage is None:
            raise InvalidInputError("record: this session has no audio stage")
        return f"recording to {self.stage.record(path)}"

    def stop_recording(self) -> str:
        """Finalize the recording."""
        recorder = self.stage.stop_recording() if self.stage is not None else None
        if recorder is None:
            return "not recording"
        return f"recorded {recorder.seconds_written:.1f} s"

    def status(self) -> str:
        """One line: time, bar.beat, bpm, buffer, underruns, prompts."""
        position = self.session.audible_position
        bpm = self.tempo.bpm_at(position)
        if self.stage is None:
            prompts = ", ".join(f"{p.text} {p.weight:.2f}" for p in self.session.prompts) or "-"
            return f"{position:.1f} s | {bpm:.0f} bpm | {prompts}"
        return self.stage.status(position, self.tempo.bar_at(position), bpm)

    def save_preset(self, path: str | Path, *, duration: str = "32 bars") -> str:
        """Write the current prompts and config as a preset ``livemusic play`` accepts."""
        from livemusic.presets import Preset

        preset = Preset.model_validate({
            "name": self.name,
            "config": self.session.config,
            "prompts": {p.text: p.weight for p in self.session.prompts},
            "duration": duration,
            "midi": self.midi_mapping if self.midi_mapping != MidiMapping() else None,
        })
        Path(path).write_text(preset.to_yaml())
        return f"saved {path}"
