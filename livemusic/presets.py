"""YAML presets: prompts, config and a timeline of changes, validated with pydantic.

A preset file looks like this (every field but ``prompts`` is optional)::

    name: minimal techno
    description: hypnotic 4/4 for late nights
    backend: embedded            # embedded | gemini | null (choose from the environment)
    config: {bpm: 126, density: 0.5, brightness: 0.45, scale: A_FLAT_MAJOR_F_MINOR}
    prompts: {Minimal Techno: 1.0, TR-909 Drum Machine: 0.6}
    duration: 64 bars
    record: techno.wav
    timeline:
      - at: 16 bars
        config: {mute_drums: true}          # merged into the config in effect
      - at: 24 bars
        config: {mute_drums: false}
        prompts: {Minimal Techno: 1.0, Swirling Phasers: 0.5}   # the whole set: others fade out
        fade: 4 bars
        quantize: bar

Times (``at``, ``fade``, ``duration``) are seconds (``90``, ``90s``,
``1.5s``), ``mm:ss`` (``01:30``) or musical (``32 bars``, ``6 beats``, 4/4).
Bars count from the start of the preset through the bpm history: the
preset's bpm, changed by the ``config.bpm`` of earlier keyframes; 120 bpm
when no bpm is set anywhere. A fade in bars uses the bpm in effect after its
own keyframe. ``quantize: bar`` (or ``beat``) moves a keyframe to the next
bar (beat) boundary.

Keyframe ``prompts`` give the complete set of weights at that point: a
prompt left out fades to 0 and is dropped. ``config`` holds only the fields
that change. ``control`` is ``PLAY``, ``PAUSE``, ``STOP`` or
``RESET_CONTEXT``. Config keys may be snake_case or camelCase.

:func:`load_preset` raises :class:`~livemusic.errors.PresetError` whose
message names the file, the line and the field (found by :mod:`livemusic.preset_source`), e.g.
``presets/x.yaml:12: timeline[2].config.bpm: must be between 60 and 200, got 300``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from livemusic.errors import InvalidInputError, PresetError
from livemusic.midi_control import MidiMapping
from livemusic.music.tempo import TempoMap
from livemusic.music.timeline import Cue, Timeline
from livemusic.preset_source import PresetSource, compose, preset_error
from livemusic.timeparse import BEATS_PER_BAR, DEFAULT_BPM, TimeValue, format_time, parse_time
from livemusic.types import DEFAULT_MODEL, LiveMusicGenerationConfig, PlaybackControl, WeightedPrompt

__all__ = ["Keyframe", "Preset", "load_preset", "parse_preset"]

_EPSILON = 1e-6


def _time_to_yaml(value: TimeValue) -> str | float:
    return value.text or (value.amount if value.unit == "s" else str(value))


Time = Annotated[TimeValue, PlainValidator(parse_time), PlainSerializer(_time_to_yaml)]


def _prompt_items(value: Any) -> Any:
    """Accept ``{text: weight}``, ``[{text, weight}]`` and bare strings (weight 1)."""
    if isinstance(value, dict):
        return [{"text": text, "weight": weight} for text, weight in value.items()]
    if isinstance(value, list):
        return [{"text": item} if isinstance(item, str) else item for item in value]
    return value


def _distinct_prompts(prompts: list[WeightedPrompt]) -> list[WeightedPrompt]:
    if not prompts:
        raise ValueError("must hold at least one prompt (to silence the music use control: PAUSE)")
    seen = set()
    for prompt in prompts:
        if prompt.text in seen:
            raise ValueError(f"prompt {prompt.text!r} appears twice")
        seen.add(prompt.text)
    return prompts


Prompts = Annotated[list[WeightedPrompt], BeforeValidator(_prompt_items), AfterValidator(_distinct_prompts)]


class Keyframe(BaseModel):
    """One change of the timeline, as written in the file (times not yet resolved)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: Time
    prompts: Prompts | None = None
    config: LiveMusicGenerationConfig | None = None
    control: PlaybackControl | None = None
    fade: Time | None = None
    quantize: Literal["bar", "beat", "none"] = "none"

    @field_validator("control", "quantize", mode="before")
    @classmethod
    def _case_insensitive(cls, value: Any, info) -> Any:
        if isinstance(value, str):
            return value.upper() if info.field_name == "control" else value.lower()
        return value

    @model_validator(mode="after")
    def _changes_something(self) -> Keyframe:
        if self.prompts is None and self.config is None and self.control is None:
            raise ValueError("a keyframe must set prompts, config or control")
        return self


class Preset(BaseModel):
    """A validated preset. :meth:`resolved_timeline` turns it into a :class:`Timeline`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    description: str = ""
    backend: Literal["embedded", "gemini"] | None = None
    model: str = DEFAULT_MODEL
    url: str | None = None
    config: LiveMusicGenerationConfig = Field(default_factory=LiveMusicGenerationConfig)
    prompts: Prompts
    timeline: list[Keyframe] = []
    duration: Time | None = None
    record: Path | None = None
    #: Knobs and pads (``livemusic play/repl --midi PORT``); see :mod:`livemusic.midi_control`.
    midi: MidiMapping | None = None

    _source: PresetSource | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        # Equal content is an equal preset, wherever it was loaded from.
        if not isinstance(other, Preset):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]

    @field_validator("url")
    @classmethod
    def _websocket_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("ws://", "wss://")):
            raise ValueError(f"must be a ws:// or wss:// URL, got {value!r}")
        return value

    @field_validator("model")
    @classmethod
    def _model_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @property
    def bpm(self) -> int:
        """The initial bpm (120 when the preset sets none)."""
        return self.config.bpm or DEFAULT_BPM

    def resolved_timeline(self) -> Timeline:
        """The timeline in absolute seconds, sorted, with the prompts and config in effect at each cue.

        Raises :class:`PresetError` (naming the file and line when loaded from
        one) when keyframes go back in time or lie beyond the duration.
        """
        try:
            return self._resolve()
        except _FieldError as exc:
            raise preset_error([(exc.loc, exc.message)], self._source) from None

    def duration_seconds(self) -> float | None:
        """The duration in seconds (bars converted through the bpm history), or ``None``."""
        return self.resolved_timeline().duration

    def to_yaml(self) -> str:
        """The preset as YAML that :func:`parse_preset` reads back to an equal preset."""
        data = self.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        data["prompts"] = {p.text: p.weight for p in self.prompts}
        for raw, keyframe in zip(data.get("timeline", []), self.timeline):
            if keyframe.prompts is not None:
                raw["prompts"] = {p.text: p.weight for p in keyframe.prompts}
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

    def _resolve(self) -> Timeline:
        tempo = TempoMap(self.bpm)
        config = self.config
        prompts = tuple(self.prompts)
        previous = 0.0
        cues = []
        for i, keyframe in enumerate(self.timeline):
            time = _absolute(keyframe.at, tempo)
            if keyframe.quantize != "none":
                time = tempo.next_boundary(time, BEATS_PER_BAR if keyframe.quantize == "bar" else 1)
            if time < previous - _EPSILON:
                raise _FieldError(
                    ("timeline", i, "at"),
                    f"{_describe(keyframe.at, time)} is before the previous keyframe ({format_time(previous)}); "
                    "keyframes must be in time order",
                )
            if keyframe.config is not None:
                config = config.merged(**keyframe.config.model_dump(exclude_none=True))
                tempo.set_bpm(time, config.bpm or DEFAULT_BPM)
            if keyframe.prompts is not None:
                prompts = tuple(keyframe.prompts)
            fade = 0.0
            if keyframe.fade is not None:
                fade = _length(keyframe.fade, time, tempo)
            cues.append(
                Cue(
                    time=time,
                    prompts=prompts,
                    config=config,
                    sets_prompts=keyframe.prompts is not None,
                    sets_config=keyframe.config is not None,
                    control=keyframe.control,
                    fade=fade,
                    label=f"timeline[{i}]",
                )
            )
            previous = time
        duration = None
        if self.duration is not None:
            duration = _absolute(self.duration, tempo)
            if duration <= 0:
                raise _FieldError(("duration",), f"must be longer than 0, got {self.duration}")
            for i, cue in enumerate(cues):
                if cue.time > duration + _EPSILON:
                    raise _FieldError(
                        ("timeline", i, "at"),
                        f"{_describe(self.timeline[i].at, cue.time)} is after the end of the preset "
                        f"(duration {_describe(self.duration, duration)})",
                    )
        try:
            return Timeline(self.prompts, self.config, cues, duration=duration, backend=self.backend)
        except InvalidInputError as exc:  # pragma: no cover - the checks above come first
            raise _FieldError(("timeline",), str(exc)) from None


def _absolute(value: TimeValue, tempo: TempoMap) -> float:
    """A time from the start: seconds as given, bars/beats through the bpm history."""
    return tempo.seconds_at(value.beats) if value.is_musical else value.amount


def _length(value: TimeValue, start: float, tempo: TempoMap) -> float:
    """A length starting at ``start``: bars/beats at the tempo in effect from there."""
    if not value.is_musical:
        return value.amount
    return tempo.seconds_at(tempo.beats_at(start) + value.beats) - start


def _describe(value: TimeValue, seconds: float) -> str:
    """``value`` as written, plus its position when that differs (bars, quantization)."""
    if not value.is_musical and abs(value.amount - seconds) < _EPSILON:
        return str(value)
    return f"{value} (= {format_time(seconds)})"


class _FieldError(Exception):
    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


# --------------------------------------------------------------------------- loading


def load_preset(path: str | os.PathLike[str]) -> Preset:
    """Read, validate and resolve a preset file; raise :class:`PresetError` naming file, line and field."""
    name = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PresetError(f"{name}: no such preset file", path=name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError(f"{name}: cannot read the preset: {exc}", path=name) from None
    return parse_preset(text, path=name, default_name=Path(name).stem)


def parse_preset(text: str, *, path: str = "<preset>", default_name: str = "") -> Preset:
    """Validate preset YAML ``text``; ``path`` is only used in error messages."""
    root, data = compose(text, path)
    source = PresetSource(path, root)
    if data is None:
        raise PresetError(f"{path}:1: the preset is empty (it needs at least prompts)", path=path, line=1)
    if not isinstance(data, dict):
        raise PresetError(
            f"{path}:{root.start_mark.line + 1}: a preset must be a mapping of fields "
            f"(name, config, prompts, timeline, ...), got {type(data).__name__}",
            path=path,
            line=root.start_mark.line + 1,
        )
    if default_name and "name" not in data:
        data = {"name": default_name, **data}
    try:
        preset = Preset.model_validate(data)
    except ValidationError as exc:
        errors = [(err["loc"], _message(err)) for err in exc.errors(include_url=False)]
        raise preset_error(errors, source) from None
    preset._source = source
    preset.resolved_timeline()  # raises PresetError on time-order and duration errors
    return preset


_FIELDS = {
    "preset": sorted(Preset.model_fields),
    "keyframe": sorted(Keyframe.model_fields),
    "config": sorted(LiveMusicGenerationConfig.model_fields),
    "prompt": ["text", "weight"],
}


def _expected_fields(loc: tuple[str | int, ...]) -> list[str]:
    kind = "preset"
    for part in loc[:-1]:
        if part == "config":
            kind = "config"
        elif part == "prompts":
            kind = "prompt"
        elif part == "timeline":
            kind = "keyframe"
    return _FIELDS[kind]


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown field (expected one of: {', '.join(_expected_fields(err['loc']))})"
    if kind == "missing":
        return "required field is missing"
    message = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if kind in ("float_parsing", "int_parsing", "bool_parsing", "float_type", "int_type", "enum", "literal_error"):
        message = f"{message[0].lower()}{message[1:]}, got {err.get('input')!r}"
    return message
