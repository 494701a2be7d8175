"""MIDI control: knobs to prompt weights and config fields, pads to mutes, resets and scenes.

The mapping lives in a preset's ``midi:`` section, validated like the rest
(errors name the file and line)::

    midi:
      port: nanoKONTROL          # default for --midi
      cc:
        16: {prompt: Minimal Techno}               # weight 0-2 (as Google's PromptDJ MIDI)
        17: {prompt: 303 Acid Bass, range: [0, 1]}
        18: {config: brightness}                   # the field's own range
        19: {config: bpm, range: [100, 140]}
      notes:
        36: {toggle: mute_drums}
        37: {action: reset}
        38: {scene: {prompts: {Ambient: 1.0}, config: {density: 0.2}}}

:class:`MidiMapper` turns messages into changes without I/O: a knob takes
over only once it passes the current value (soft takeover, so grabbing a knob
never jumps the music), and changes to one field leave at most ``rate`` times
a second, the latest value winning. :func:`drive` applies them to a playing
:class:`~livemusic.controls.Controls`; :func:`open_input` opens a port.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from livemusic.errors import InvalidInputError
from livemusic.midi_ports import open_port

if TYPE_CHECKING:
    from livemusic.controls import Controls

__all__ = ["Change", "CcTarget", "MidiMapper", "MidiMapping", "NoteAction", "drive", "learn", "open_input"]

#: Config fields a knob can turn, with their ranges.
FIELDS: dict[str, tuple[float, float]] = {
    "bpm": (60, 200), "density": (0.0, 1.0), "brightness": (0.0, 1.0), "guidance": (0.0, 6.0),
    "temperature": (0.0, 3.0), "top_k": (1, 1000)}
#: Prompt weights a knob spans by default (Google's PromptDJ MIDI uses 0-2).
WEIGHT_RANGE = (0.0, 2.0)
#: Most changes per second sent for one field.
RATE = 10.0
MidiNumber = Annotated[int, Field(ge=0, le=127)]
Toggle = Literal["mute_drums", "mute_bass", "only_bass_and_drums"]
Action = Literal["play", "pause", "stop", "reset"]
TOGGLES, ACTIONS = get_args(Toggle), get_args(Action)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CcTarget(_Strict):
    """What a knob (control change) turns: a prompt's weight or a config field, over ``range``."""

    prompt: str | None = None
    config: Literal["bpm", "density", "brightness", "guidance", "temperature", "top_k"] | None = None
    range: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> CcTarget:
        if (self.prompt is None) == (self.config is None):
            raise ValueError("give exactly one of prompt or config")
        if self.range is not None and self.config is not None:
            low, high = FIELDS[self.config]
            if not (low <= min(self.range) and max(self.range) <= high):
                raise ValueError(f"range for {self.config} must lie within {low:g}-{high:g}, got {list(self.range)}")
        return self

    @property
    def key(self) -> str:
        return f"prompt:{self.prompt}" if self.prompt is not None else f"config:{self.config}"

    @property
    def span(self) -> tuple[float, float]:
        if self.range is not None:
            return self.range
        return WEIGHT_RANGE if self.prompt is not None else FIELDS[self.config]  # type: ignore[index]

    def value(self, cc_value: int) -> float:
        """CC 0-127 mapped onto the range."""
        low, high = self.span
        value = low + (high - low) * cc_value / 127
        return round(value) if self.config in ("bpm", "top_k") else round(value, 3)


class Scene(_Strict):
    prompts: dict[str, float] | None = None
    config: dict[str, Any] | None = None


class NoteAction(_Strict):
    """What a pad (note on) does: toggle a part, a playback action, or a scene (prompts and config)."""

    toggle: Toggle | None = None
    action: Action | None = None
    scene: Scene | None = None

    @model_validator(mode="after")
    def _one_action(self) -> NoteAction:
        if sum(x is not None for x in (self.toggle, self.action, self.scene)) != 1:
            raise ValueError("give exactly one of toggle, action or scene")
        return self


class MidiMapping(_Strict):
    """A preset's ``midi:`` section."""

    port: str | None = None
    channel: Annotated[int, Field(ge=1, le=16)] | None = None  # 1-16; none: every channel
    cc: dict[MidiNumber, CcTarget] = {}
    notes: dict[MidiNumber, NoteAction] = {}


@dataclass(frozen=True)
class Change:
    """One change to make: ``kind`` is weight, config, toggle, action or scene."""

    kind: str
    name: str = ""
    value: Any = None


class MidiMapper:
    """Messages in, changes out (sans-I/O). ``current(target)`` reads the value the music has now."""

    def __init__(self, mapping: MidiMapping, current: Callable[[CcTarget], float], *, rate: float = RATE) -> None:
        self.mapping = mapping
        self._current = current
        self._interval = 1.0 / rate
        self._taken: set[int] = set()
        self._last: dict[int, float] = {}  # a knob's last value before it took over
        self._pending: dict[str, tuple[CcTarget, float]] = {}
        self._sent_at: dict[str, float] = {}

    def feed(self, message: Any, now: float) -> list[Change]:
        """Take one mido message; returns the changes due at once (pads), knobs wait for :meth:`due`."""
        channel = self.mapping.channel
        if channel is not None and getattr(message, "channel", None) != channel - 1:
            return []
        if message.type == "control_change" and message.control in self.mapping.cc:
            self._turn(message.control, self.mapping.cc[message.control], message.value)
            return self.due(now)
        if message.type == "note_on" and message.velocity > 0 and message.note in self.mapping.notes:
            return [_pad_change(self.mapping.notes[message.note])]
        return []

    def _turn(self, control: int, target: CcTarget, cc_value: int) -> None:
        value = target.value(cc_value)
        if control not in self._taken:
            current = self._current(target)
            low, high = target.span
            near = abs(value - current) <= (high - low) / 64
            last = self._last.get(control)
            crossed = last is not None and (last - current) * (value - current) <= 0
            if not (near or crossed):
                self._last[control] = value
                return
            self._taken.add(control)
        self._pending[target.key] = (target, value)

    def release(self) -> None:
        """Knobs must take over again (the values changed some other way, e.g. a scene)."""
        self._taken.clear()
        self._last.clear()

    def due(self, now: float) -> list[Change]:
        """Knob changes whose field has not changed within the last 1/rate s (the latest value wins)."""
        out = []
        for key, (target, value) in list(self._pending.items()):
            if now - self._sent_at.get(key, -1e9) >= self._interval:
                del self._pending[key]
                self._sent_at[key] = now
                out.append(Change("weight", target.prompt, value) if target.prompt is not None
                           else Change("config", target.config or "", value))
        return out


def _pad_change(action: NoteAction) -> Change:
    if action.toggle is not None:
        return Change("toggle", action.toggle)
    if action.action is not None:
        return Change("action", action.action)
    return Change("scene", value=action.scene)


def current_value(controls: Controls, target: CcTarget) -> float:
    """The value ``target`` has in the music now (a prompt not playing weighs 0)."""
    if target.prompt is not None:
        return next((p.weight for p in controls.session.prompts if p.text == target.prompt), 0.0)
    value = getattr(controls.session.config, target.config or "", None)
    if value is None:
        low, high = target.span
        return (low + high) / 2  # unset: the engine's own; take over from the middle
    return float(value)


async def apply(controls: Controls, changes: Iterable[Change], mapper: MidiMapper | None = None) -> None:
    """Send ``changes`` through the live helpers."""
    for change in changes:
        if change.kind == "weight":
            weights = {p.text: p.weight for p in controls.session.prompts}
            weights[change.name] = change.value
            if any(w > 0 for w in weights.values()):
                await controls.prompts({t: w for t, w in weights.items() if w > 0})
        elif change.kind == "config":
            await controls.config(**{change.name: change.value})
        elif change.kind == "toggle":
            await controls.config(**{change.name: not getattr(controls.session.config, change.name)})
        elif change.kind == "action":
            await getattr(controls, change.name)()
        elif change.kind == "scene":
            scene: Scene = change.value
            if scene.prompts:
                await controls.prompts(scene.prompts)
            if scene.config:
                await controls.config(**scene.config)
            if mapper is not None:
                mapper.release()


async def drive(controls: Controls, mapper: MidiMapper, messages: AsyncIterator[Any]) -> None:
    """Apply ``messages`` (mido) to the music until they end; knob changes are flushed as they fall due."""
    inbox: asyncio.Queue[Any] = asyncio.Queue()

    async def pump() -> None:
        async for message in messages:
            inbox.put_nowait(message)
        inbox.put_nowait(None)

    pumping = asyncio.create_task(pump())
    try:
        while True:
            try:
                message = await asyncio.wait_for(inbox.get(), mapper._interval / 2)
            except TimeoutError:
                message = False
            now = time.monotonic()
            if message is None:
                await apply(controls, mapper.due(now + mapper._interval), mapper)  # the last values
                return
            changes = mapper.feed(message, now) if message is not False else mapper.due(now)
            try:
                await apply(controls, changes, mapper)
            except InvalidInputError as exc:  # a mapping that asks too much: say so, play on
                print(f"livemusic: midi: {exc}", flush=True)
    finally:
        pumping.cancel()


def is_control(message: Any) -> bool:
    """Whether ``message`` is a knob moved or a pad hit (what learning listens for)."""
    return message.type == "control_change" or (message.type == "note_on" and message.velocity > 0)


def mapped(mapping: MidiMapping, message: Any, target: str) -> MidiMapping:
    """``mapping`` with ``message``'s control mapped to ``target``: a prompt, a config field, a part to
    toggle (mute_drums, mute_bass, only_bass_and_drums) or an action (play, pause, stop, reset)."""
    if message.type == "control_change":
        if target in TOGGLES or target in ACTIONS:
            raise InvalidInputError(f"learn: {target!r} needs a pad (a note), and a knob moved")
        cc = CcTarget(config=target) if target in FIELDS else CcTarget(prompt=target)
        return mapping.model_copy(update={"cc": {**mapping.cc, message.control: cc}})
    if target in TOGGLES:
        note = NoteAction(toggle=target)
    elif target in ACTIONS:
        note = NoteAction(action=target)
    else:
        raise InvalidInputError(f"learn: a pad toggles mute_drums, mute_bass or only_bass_and_drums, or does "
                                f"play, pause, stop or reset; got {target!r}")
    return mapping.model_copy(update={"notes": {**mapping.notes, message.note: note}})


async def learn(mapping: MidiMapping, targets: Iterable[str], messages: AsyncIterator[Any], *,
                ask: Callable[[str], None] = print, timeout: float = 30.0) -> MidiMapping:
    """Map each of ``targets`` to the next control moved (``livemusic midi-learn``); returns the mapping."""
    for target in targets:
        ask(f"move a knob or hit a pad for {target} ...")

        async def first() -> Any:
            async for message in messages:
                if is_control(message):
                    return message
            raise InvalidInputError("the MIDI port closed before a control moved")

        message = await asyncio.wait_for(first(), timeout)
        mapping = mapped(mapping, message, target)
        ask(f"  {describe(message)} -> {target}")
    return mapping


def describe(message: Any) -> str:
    return f"cc {message.control}" if message.type == "control_change" else f"note {message.note}"


def open_input(name: str) -> tuple[Any, AsyncIterator[Any]]:
    """An input port (the existing one whose name contains ``name``, else a virtual one) and its messages.

    Needs python-rtmidi (``pip install 'livemusic[midi]'``) and the system's MIDI service.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    port = open_port("--midi", name, output=False, extra="midi",
                     callback=lambda message: loop.call_soon_threadsafe(queue.put_nowait, message))

    async def messages() -> AsyncIterator[Any]:
        while True:
            yield await queue.get()

    return port, messages()
