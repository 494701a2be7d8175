"""Sending a prompt timeline: what to send and when, and the scheduler that sends it.

A :class:`~livemusic.music.timeline.Timeline` says what is in effect at any
time; :func:`plan` samples it into the list of messages to send
(:class:`Action`), still without a clock; :class:`Scheduler` sends a plan to
a :class:`ControlTarget` (an ``AsyncMusicSession``) so that each change is
*heard* at its nominal time.

Rules applied by the plan: during a fade, weights move linearly at
``control_rate`` updates per second (at least 4); a prompt whose weight
reaches 0 is dropped from the message, never sent with weight 0; a config
change is sent as the whole merged config (the protocol replaces the whole
config); a bpm or scale change is followed by ``RESET_CONTEXT`` when
``reset_on_tempo_change`` is true (the hosted model only applies them after
a reset; the embedded engine changes smoothly at the next bar).

Timing: a target with ``supports_scheduling`` (livemusic's own server)
gets each message up to ``lead_time`` seconds early with ``at=`` the nominal
stream time, which the server applies sample-exactly. Any other target gets
each message when ``generated_position + model_latency`` reaches the
nominal time, that is when audio generated from now on is the audio that
will be heard at that time (the buffered audio and the model's own delay
are compensated).

``PAUSE`` and ``STOP`` freeze the stream, so the timeline keeps running on
the wall clock until the next ``PLAY`` cue; from there it follows the stream
again.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from livemusic.errors import InvalidInputError
from livemusic.music.tempo import TIME_EPSILON
from livemusic.music.timeline import Backend, Timeline, bpm_of, prompt_list, weights_of
from livemusic.types import LiveMusicGenerationConfig, PlaybackControl, Scale, WeightedPrompt

__all__ = ["Action", "ControlTarget", "Scheduler", "plan"]

#: Seconds the hosted model takes to respond to a control change (DESIGN.md: about 2 s).
MODEL_LATENCY: dict[str, float] = {"embedded": 0.0, "gemini": 2.0}
#: Whether a bpm/scale change needs a context reset on each backend by default.
RESET_ON_TEMPO_CHANGE: dict[str, bool] = {"embedded": False, "gemini": True}

MIN_CONTROL_RATE = 4.0
MAX_CONTROL_RATE = 100.0
#: Shortest sleep while waiting, so that a position that advances in steps cannot cause a busy loop.
_MIN_SLEEP = 0.005


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class Action:
    """One message to send at ``time`` (timeline seconds): exactly one field is set."""

    time: float
    prompts: tuple[WeightedPrompt, ...] | None = None
    config: LiveMusicGenerationConfig | None = None
    control: PlaybackControl | None = None


def plan(
    timeline: Timeline,
    *,
    control_rate: float = 8.0,
    reset_on_tempo_change: bool = False,
    duration: float | None = None,
) -> list[Action]:
    """The messages that play ``timeline`` after its initial prompts and config were sent.

    Fades are sampled every ``1/control_rate`` seconds and at their end; a
    message is emitted only when what would be sent changes. At one instant
    the order is prompts, config, the automatic reset, then the cue's control.
    """
    _check_rate(control_rate)
    end = duration if duration is not None else timeline.duration
    times = set()
    period = 1.0 / control_rate
    for track in ("prompts", "config"):
        cues = [c for c in timeline.cues if (c.sets_prompts if track == "prompts" else c.sets_config)]
        for cue, following in zip(cues, cues[1:] + [None]):
            stop = following.time if following is not None else math.inf
            times.add(cue.time)
            ticks = int(math.ceil(cue.fade * control_rate - 1e-9))
            for i in range(1, ticks + 1):
                t = cue.time + min(i * period, cue.fade)
                if t < stop - TIME_EPSILON:
                    times.add(t)
    times.update(c.time for c in timeline.cues if c.control is not None)
    controls: dict[float, list[PlaybackControl]] = {}
    for cue in timeline.cues:
        if cue.control is not None:
            controls.setdefault(cue.time, []).append(cue.control)

    actions: list[Action] = []
    sent_prompts = tuple(prompt_list(weights_of(timeline.prompts)))
    sent_config = timeline.config
    for t in sorted(times):
        if end is not None and t > end + TIME_EPSILON:
            break
        prompts = tuple(timeline.prompts_at(t))
        if prompts and prompts != sent_prompts:
            actions.append(Action(t, prompts=prompts))
            sent_prompts = prompts
        config = timeline.config_at(t)
        tempo_changed = False
        if config != sent_config:
            actions.append(Action(t, config=config))
            tempo_changed = _tempo_key(config) != _tempo_key(sent_config)
            sent_config = config
        here = controls.get(t, [])
        resets = {PlaybackControl.RESET_CONTEXT, PlaybackControl.STOP}
        if tempo_changed and reset_on_tempo_change and not resets.intersection(here):
            actions.append(Action(t, control=PlaybackControl.RESET_CONTEXT))
        actions.extend(Action(t, control=control) for control in here)
    return actions


def _tempo_key(config: LiveMusicGenerationConfig) -> tuple[float, Scale | None]:
    scale = config.scale if config.scale is not Scale.SCALE_UNSPECIFIED else None
    return bpm_of(config), scale


def _check_rate(control_rate: float) -> None:
    if not MIN_CONTROL_RATE <= control_rate <= MAX_CONTROL_RATE:
        raise InvalidInputError(
            f"control_rate must be between {MIN_CONTROL_RATE:g} and {MAX_CONTROL_RATE:g} updates per second, "
            f"got {control_rate}"
        )


# --------------------------------------------------------------------------- scheduler


@runtime_checkable
class ControlTarget(Protocol):
    """What the scheduler drives: an ``AsyncMusicSession`` or anything alike.

    ``at`` is a stream time in seconds; only a target whose
    ``supports_scheduling`` is true receives it (its server applies the
    message exactly there; a time already past means as soon as possible).
    """

    supports_scheduling: bool
    #: Seconds of stream time being heard now (buffered audio and device latency compensated).
    audible_position: float
    #: Seconds of stream time received from the server so far.
    generated_position: float

    async def set_weighted_prompts(self, prompts: list[WeightedPrompt], *, at: float | None = None) -> None: ...

    async def set_music_generation_config(
        self, config: LiveMusicGenerationConfig, *, at: float | None = None
    ) -> None: ...

    async def play(self, *, at: float | None = None) -> None: ...

    async def pause(self, *, at: float | None = None) -> None: ...

    async def stop(self, *, at: float | None = None) -> None: ...

    async def reset_context(self, *, at: float | None = None) -> None: ...


_CONTROL_METHODS = {
    PlaybackControl.PLAY: "play",
    PlaybackControl.PAUSE: "pause",
    PlaybackControl.STOP: "stop",
    PlaybackControl.RESET_CONTEXT: "reset_context",
}


@dataclass
class _Anchor:
    """Maps timeline time to stream time while the stream plays, to the wall clock while it is held."""

    time: float = 0.0
    stream: float = 0.0
    #: Wall-clock time from which the hold is heard, or ``None`` while playing.
    held_since: float | None = None


class Scheduler:
    """Sends a :class:`Timeline` to a :class:`ControlTarget` so each change is heard on time.

    ``backend`` (default: the timeline's, else ``"embedded"``) picks the
    defaults of ``reset_on_tempo_change`` (gemini: true, embedded: false)
    and ``model_latency`` (gemini: 2 s, embedded: 0 s). ``duration``
    overrides the timeline's. ``clock`` and ``sleep`` default to the event
    loop's clock and :func:`asyncio.sleep` (tests pass simulated ones).

    The scheduler never busy-waits: it sleeps at most ``1/control_rate``
    seconds at a time and at least a few milliseconds.
    """

    def __init__(
        self,
        target: ControlTarget,
        timeline: Timeline,
        *,
        backend: Backend | None = None,
        control_rate: float = 8.0,
        reset_on_tempo_change: bool | None = None,
        model_latency: float | None = None,
        lead_time: float = 1.0,
        duration: float | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        _check_rate(control_rate)
        self.target = target
        self.timeline = timeline
        self.backend: Backend = backend or timeline.backend or "embedded"
        if self.backend not in MODEL_LATENCY:
            raise InvalidInputError(f"backend must be 'embedded' or 'gemini', got {self.backend!r}")
        self.control_rate = control_rate
        self.reset_on_tempo_change = (
            RESET_ON_TEMPO_CHANGE[self.backend] if reset_on_tempo_change is None else reset_on_tempo_change
        )
        self.model_latency = MODEL_LATENCY[self.backend] if model_latency is None else model_latency
        self.lead_time = lead_time
        self.duration = duration if duration is not None else timeline.duration
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self.actions: list[Action] = plan(
            timeline,
            control_rate=control_rate,
            reset_on_tempo_change=self.reset_on_tempo_change,
            duration=self.duration,
        )
        self.current_prompts: list[WeightedPrompt] = list(timeline.prompts)
        self.current_config: LiveMusicGenerationConfig = timeline.config
        self._anchor: _Anchor | None = None
        self._step = 1.0 / control_rate

    # ---- what the status line reads

    @property
    def position(self) -> float:
        """Timeline seconds being heard now (0 before :meth:`run` starts)."""
        anchor = self._anchor
        if anchor is None:
            return 0.0
        playing = anchor.time + (self.target.audible_position - anchor.stream)
        if anchor.held_since is None:
            return max(anchor.time, playing)
        now = self._now()
        if now < anchor.held_since:
            return min(playing, anchor.time)
        return anchor.time + (now - anchor.held_since)

    @property
    def current_bar(self) -> tuple[int, int]:
        """``(bar, beat)`` heard now, from 1, given the bpm history of the timeline."""
        return self.timeline.bar_at(self.position)

    @property
    def current_bpm(self) -> float:
        return self.timeline.bpm_at(max(0.0, self.position))

    # ---- running

    async def run(self, *, start: bool = True, origin: float | None = None, ahead: bool = False) -> None:
        """Play the timeline to its end and return.

        With ``start`` the initial prompts, config and ``PLAY`` are sent first.
        ``origin`` is the stream time of timeline 0 s (default: the stream
        position at PLAY when starting, else the audible position). With ``ahead`` (a target that supports
        scheduling, e.g. an offline render) every change is sent at once with
        its stream position, before ``PLAY``, so timing does not depend on how
        fast the stream runs. Returns when ``duration`` has been heard, or
        without a duration when the last change has been heard. Cancelling
        stops sending at once; nothing is left half-sent.
        """
        target = self.target
        if ahead and not target.supports_scheduling:
            raise InvalidInputError("ahead=True needs a target that supports scheduling")
        if ahead and any(a.control in (PlaybackControl.PAUSE, PlaybackControl.STOP) for a in self.actions):
            raise InvalidInputError("a timeline with PAUSE or STOP cannot be sent ahead (render it without them)")
        if origin is None:
            # Started here: timeline 0 s is the first frame after PLAY. Joined late: what is heard now.
            origin = target.generated_position if start else target.audible_position
        if start:
            await target.set_weighted_prompts(list(self.timeline.prompts))
            await target.set_music_generation_config(self.timeline.config)
            if not ahead:
                await target.play()
        self._anchor = _Anchor(time=0.0, stream=origin)
        for action in self.actions:
            if not ahead:
                await self._wait_to_send(action.time)
            await self._send(action)
        if ahead and start:
            await target.play()
        end = self.duration
        if end is None:
            end = self.actions[-1].time if self.actions else 0.0
        await self._wait_heard(end)

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def _stream_time(self, time: float) -> float:
        anchor = self._anchor
        assert anchor is not None
        return anchor.stream + (time - anchor.time)

    def _remaining(self, time: float) -> float:
        """Seconds to wait before the message for ``time`` must leave."""
        anchor = self._anchor
        assert anchor is not None
        if anchor.held_since is not None:
            return time - self.position
        generated = self.target.generated_position
        if self.target.supports_scheduling:
            return self._stream_time(time) - self.lead_time - generated
        return self._stream_time(time) - self.model_latency - generated

    async def _wait_to_send(self, time: float) -> None:
        while (remaining := self._remaining(time)) > 0:
            await self._sleep(min(self._step, max(remaining, _MIN_SLEEP)))

    async def _wait_heard(self, time: float) -> None:
        while (remaining := time - self.position) > 0:
            await self._sleep(min(self._step, max(remaining, _MIN_SLEEP)))

    async def _send(self, action: Action) -> None:
        anchor = self._anchor
        assert anchor is not None
        held = anchor.held_since is not None
        at = self._stream_time(action.time) if self.target.supports_scheduling and not held else None
        if action.prompts is not None:
            await self.target.set_weighted_prompts(list(action.prompts), at=at)
            self.current_prompts = list(action.prompts)
        elif action.config is not None:
            await self.target.set_music_generation_config(action.config, at=at)
            self.current_config = action.config
        elif action.control is not None:
            control = action.control
            if control is PlaybackControl.PLAY and held:
                # New audio starts where the stream stopped.
                resume = self.target.generated_position
                await self.target.play()
                self._anchor = _Anchor(time=action.time, stream=resume)
                return
            await getattr(self.target, _CONTROL_METHODS[control])(at=at)
            if control in (PlaybackControl.PAUSE, PlaybackControl.STOP) and not held:
                stream = self._stream_time(action.time)
                heard_in = max(0.0, stream - self.target.audible_position)
                self._anchor = _Anchor(time=action.time, stream=stream, held_since=self._now() + heard_in)
