"""Prompt timelines: a resolved list of cues and the prompts and config in effect at any time.

A :class:`Timeline` is a list of :class:`Cue` objects (absolute seconds,
sorted, with the prompts and config in effect after each one).
:meth:`Timeline.prompts_at` and :meth:`Timeline.config_at` are pure
functions of time, fades included: weights move linearly, faded config
fields (:data:`FADED_FIELDS`) in steps of 0.01, the others change at the
cue. Nothing here touches a clock (:mod:`livemusic.music.schedule` sends a
timeline on time).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from livemusic.errors import InvalidInputError
from livemusic.music.tempo import TIME_EPSILON, TempoMap
from livemusic.timeparse import DEFAULT_BPM
from livemusic.types import LiveMusicGenerationConfig, PlaybackControl, WeightedPrompt

__all__ = ["FADED_FIELDS", "Backend", "Cue", "Timeline", "bpm_of", "mix_weights", "prompt_list", "weights_of"]

Backend = Literal["embedded", "gemini"]

#: Config fields that move smoothly during a fade; the others change at the cue.
FADED_FIELDS = ("density", "brightness", "temperature", "guidance")

_WEIGHT_DIGITS = 4
#: Faded config fields move in steps of 0.01, so a slow fade sends a config only when it audibly changes.
_CONFIG_DIGITS = 2


@dataclass(frozen=True)
class Cue:
    """One resolved keyframe: what changes at ``time`` and the state in effect after it."""

    #: Seconds from the start of the timeline, after quantization.
    time: float
    #: The full prompt set in effect after this cue (the target of its fade).
    prompts: tuple[WeightedPrompt, ...]
    #: The full merged config in effect after this cue.
    config: LiveMusicGenerationConfig
    sets_prompts: bool = False
    sets_config: bool = False
    control: PlaybackControl | None = None
    #: Seconds over which weights (and faded config fields) move to the new values.
    fade: float = 0.0
    #: Where the cue comes from, for messages (e.g. ``timeline[2]``).
    label: str = ""


@dataclass(frozen=True)
class _Segment:
    start: float
    fade: float
    source: object
    target: object


class Timeline:
    """Initial prompts and config, then cues in time order; optionally a duration.

    Raises :class:`~livemusic.errors.InvalidInputError` when cues are out of
    order or beyond the duration, or when the initial prompt set is empty.
    """

    def __init__(
        self,
        prompts: Sequence[WeightedPrompt],
        config: LiveMusicGenerationConfig | None = None,
        cues: Sequence[Cue] = (),
        *,
        duration: float | None = None,
        backend: Backend | None = None,
    ) -> None:
        if not prompts:
            raise InvalidInputError("a timeline needs at least one initial prompt")
        self.prompts = tuple(prompts)
        self.config = config or LiveMusicGenerationConfig()
        self.cues = tuple(cues)
        self.duration = duration
        self.backend = backend
        previous = 0.0
        for cue in self.cues:
            name = cue.label or "cue"
            if cue.time < previous - TIME_EPSILON:
                raise InvalidInputError(f"{name}: at {cue.time:.3f} s is before the previous cue ({previous:.3f} s)")
            if duration is not None and cue.time > duration + TIME_EPSILON:
                raise InvalidInputError(f"{name}: at {cue.time:.3f} s is after the end ({duration:.3f} s)")
            if cue.fade < 0:
                raise InvalidInputError(f"{name}: fade must not be negative")
            previous = cue.time
        self.tempo = TempoMap(bpm_of(self.config))
        for cue in self.cues:
            if cue.sets_config:
                self.tempo.set_bpm(cue.time, bpm_of(cue.config))
        self._prompt_track = self._track(
            weights_of(self.prompts), [(c, weights_of(c.prompts)) for c in self.cues if c.sets_prompts], mix_weights
        )
        self._config_track = self._track(
            self.config, [(c, c.config) for c in self.cues if c.sets_config], _mix_config
        )

    @staticmethod
    def _track(initial: object, changes: list[tuple[Cue, object]], mix: Callable) -> list[_Segment]:
        segments = [_Segment(0.0, 0.0, initial, initial)]
        for cue, target in changes:
            source = _value_at(segments, cue.time, mix)
            segments.append(_Segment(cue.time, cue.fade, source, target))
        return segments

    def prompts_at(self, seconds: float) -> list[WeightedPrompt]:
        """The prompts in effect at ``seconds``, mid-fade weights included, zero weights dropped."""
        weights = _value_at(self._prompt_track, seconds, mix_weights)
        return prompt_list(weights)

    def config_at(self, seconds: float) -> LiveMusicGenerationConfig:
        """The full config in effect at ``seconds`` (faded fields interpolated)."""
        return _value_at(self._config_track, seconds, _mix_config)

    def bpm_at(self, seconds: float) -> float:
        return self.tempo.bpm_at(seconds)

    def bar_at(self, seconds: float) -> tuple[int, int]:
        """``(bar, beat)`` at ``seconds`` given the bpm history, both from 1."""
        return self.tempo.bar_at(seconds)

    @property
    def end(self) -> float:
        """The duration, or when the last cue (fade included) is over."""
        if self.duration is not None:
            return self.duration
        return max((c.time + c.fade for c in self.cues), default=0.0)


def bpm_of(config: LiveMusicGenerationConfig) -> float:
    """The tempo ``config`` sets (the default when it sets none)."""
    return float(config.bpm if config.bpm is not None else DEFAULT_BPM)


def _value_at(segments: list[_Segment], seconds: float, mix: Callable) -> object:
    i = max(0, bisect.bisect_right([s.start for s in segments], seconds + TIME_EPSILON) - 1)
    segment = segments[i]
    if segment.fade <= 0 or seconds >= segment.start + segment.fade:
        return segment.target
    alpha = max(0.0, (seconds - segment.start) / segment.fade)
    return mix(segment.source, segment.target, alpha)


def weights_of(prompts: Iterable[WeightedPrompt]) -> dict[str, float]:
    """``{text: weight}`` of ``prompts``."""
    return {p.text: p.weight for p in prompts}


def mix_weights(source: Mapping[str, float], target: Mapping[str, float], alpha: float) -> dict[str, float]:
    """Weights ``alpha`` (0-1) of the way from ``source`` to ``target`` (a prompt missing on a side weighs 0 there)."""
    texts = list(target) + [t for t in source if t not in target]
    mixed = {}
    for text in texts:
        a, b = source.get(text, 0.0), target.get(text, 0.0)
        mixed[text] = a + (b - a) * alpha
    return mixed


def _mix_config(
    source: LiveMusicGenerationConfig, target: LiveMusicGenerationConfig, alpha: float
) -> LiveMusicGenerationConfig:
    changes = {}
    for name in FADED_FIELDS:
        a, b = getattr(source, name), getattr(target, name)
        if a is not None and b is not None and a != b:
            changes[name] = round(a + (b - a) * alpha, _CONFIG_DIGITS)
    return target.merged(**changes) if changes else target


def prompt_list(weights: Mapping[str, float]) -> list[WeightedPrompt]:
    """The prompts to send for ``weights``: rounded, zero weights dropped (never sent with weight 0)."""
    prompts = []
    for text, weight in weights.items():
        weight = round(weight, _WEIGHT_DIGITS)
        if weight != 0:
            prompts.append(WeightedPrompt(text=text, weight=weight))
    return prompts
