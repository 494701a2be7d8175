"""The timeline scheduler, against a recording target on a simulated clock."""

from __future__ import annotations

import asyncio
import textwrap
from dataclasses import dataclass
from typing import Any

import pytest

from livemusic.errors import InvalidInputError
from livemusic.music.schedule import ControlTarget, Scheduler, plan
from livemusic.music.timeline import Cue, Timeline
from livemusic.presets import parse_preset
from livemusic.types import LiveMusicGenerationConfig, PlaybackControl, Scale, WeightedPrompt

RESET = PlaybackControl.RESET_CONTEXT


class SimClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class Sent:
    now: float
    kind: str
    value: Any
    at: float | None
    generated: float


class RecordingTarget:
    """A ControlTarget whose stream plays in real time on ``clock`` with ``buffer`` seconds generated ahead."""

    def __init__(self, clock: SimClock, *, supports_scheduling: bool = False, buffer: float = 0.5) -> None:
        self.clock = clock
        self.supports_scheduling = supports_scheduling
        self.buffer = buffer
        self.sent: list[Sent] = []
        self._offset = 0.0
        self._held_at: float | None = 0.0  # nothing streams before the first PLAY

    @property
    def audible_position(self) -> float:
        return self._held_at if self._held_at is not None else self.clock.now - self._offset

    @property
    def generated_position(self) -> float:
        return self._held_at if self._held_at is not None else self.audible_position + self.buffer

    def _record(self, kind: str, value: Any, at: float | None) -> None:
        self.sent.append(Sent(self.clock.now, kind, value, at, self.generated_position))

    async def set_weighted_prompts(self, prompts, *, at=None):
        self._record("prompts", {p.text: p.weight for p in prompts}, at)

    async def set_music_generation_config(self, config, *, at=None):
        self._record("config", config, at)

    async def play(self, *, at=None):
        self._record("control", PlaybackControl.PLAY, at)
        if self._held_at is not None:
            self._offset = self.clock.now - self._held_at
            self._held_at = None

    async def pause(self, *, at=None):
        self._record("control", PlaybackControl.PAUSE, at)
        self._held_at = self.audible_position  # simplification: the buffer drains at once

    async def stop(self, *, at=None):
        self._record("control", PlaybackControl.STOP, at)
        self._held_at = self.audible_position

    async def reset_context(self, *, at=None):
        self._record("control", RESET, at)

    def of(self, kind: str) -> list[Sent]:
        return [s for s in self.sent if s.kind == kind]


def timeline(prompts: dict[str, float], config: dict | None = None, *changes: dict,
             duration: float | None = None) -> Timeline:
    """A Timeline from ``{at, prompts?, config?, control?, fade?}`` changes, accumulating the state."""
    state_prompts = [WeightedPrompt(text=t, weight=w) for t, w in prompts.items()]
    state_config = LiveMusicGenerationConfig.parse(config or {})
    initial = (tuple(state_prompts), state_config)
    cues = []
    for change in changes:
        if "prompts" in change:
            state_prompts = [WeightedPrompt(text=t, weight=w) for t, w in change["prompts"].items()]
        if "config" in change:
            state_config = state_config.merged(**change["config"])
        cues.append(Cue(change["at"], tuple(state_prompts), state_config, sets_prompts="prompts" in change,
                        sets_config="config" in change, control=change.get("control"),
                        fade=change.get("fade", 0.0)))
    return Timeline(initial[0], initial[1], cues, duration=duration)


async def run(
    tl: Timeline, *, scheduling: bool = False, buffer: float = 0.5, **options
) -> tuple[RecordingTarget, SimClock, Scheduler]:
    clock = SimClock()
    target = RecordingTarget(clock, supports_scheduling=scheduling, buffer=buffer)
    scheduler = Scheduler(target, tl, clock=clock, sleep=clock.sleep, **options)
    await scheduler.run()
    return target, clock, scheduler


def fade_timeline() -> Timeline:
    return timeline({"Funk": 1.0}, None, {"at": 2.0, "prompts": {"Disco": 1.0}, "fade": 4.0}, duration=8.0)


def test_recording_target_satisfies_the_control_target_protocol():
    assert isinstance(RecordingTarget(SimClock()), ControlTarget)


async def test_start_sends_prompts_then_config_then_play():
    target, _, _ = await run(timeline({"Funk": 1.0}, {"bpm": 100}, duration=1.0))
    assert [s.kind for s in target.sent] == ["prompts", "config", "control"]
    assert target.sent[2].value is PlaybackControl.PLAY


async def test_fade_sends_at_least_four_updates_per_second():
    target, _, _ = await run(fade_timeline(), control_rate=4)
    fade = target.of("prompts")[1:]
    assert len(fade) >= 4 * 4
    gaps = [b.now - a.now for a, b in zip(fade, fade[1:])]
    assert max(gaps) <= 0.25 + 1e-6


async def test_control_rate_sets_the_update_interval():
    target, _, _ = await run(fade_timeline(), control_rate=10)
    assert len(target.of("prompts")[1:]) == 40


async def test_fade_weights_move_monotonically():
    target, _, _ = await run(fade_timeline())
    fade = [s.value for s in target.of("prompts")]
    funk = [v.get("Funk", 0.0) for v in fade]
    disco = [v.get("Disco", 0.0) for v in fade]
    assert funk == sorted(funk, reverse=True) and disco == sorted(disco)
    assert funk[0] == 1.0 and disco[-1] == 1.0


async def test_prompt_fading_to_zero_is_dropped_never_sent_with_weight_zero():
    target, _, scheduler = await run(fade_timeline())
    assert all(weight != 0 for s in target.of("prompts") for weight in s.value.values())
    assert target.of("prompts")[-1].value == {"Disco": 1.0}
    assert [p.text for p in scheduler.current_prompts] == ["Disco"]


async def test_config_change_is_sent_as_the_full_merged_config():
    tl = timeline({"Funk": 1.0}, {"bpm": 100, "density": 0.5, "scale": "G_MAJOR_E_MINOR"},
                  {"at": 1.0, "config": {"mute_drums": True}}, duration=2.0)
    target, _, scheduler = await run(tl)
    expected = LiveMusicGenerationConfig(bpm=100, density=0.5, scale=Scale.G_MAJOR_E_MINOR, mute_drums=True)
    assert target.of("config")[-1].value == expected
    assert scheduler.current_config == expected


async def test_config_fields_interpolate_during_a_fade():
    tl = timeline({"Funk": 1.0}, {"density": 0.2}, {"at": 1.0, "config": {"density": 0.8}, "fade": 2.0},
                  duration=4.0)
    target, _, _ = await run(tl)
    densities = [s.value.density for s in target.of("config")]
    assert len(densities) >= 8
    assert densities == sorted(densities) and densities[-1] == 0.8


async def test_bpm_change_is_followed_by_reset_when_enabled():
    tl = timeline({"Funk": 1.0}, {"bpm": 100}, {"at": 1.0, "config": {"bpm": 120}}, duration=2.0)
    target, _, _ = await run(tl, reset_on_tempo_change=True)
    kinds = [(s.kind, s.value if s.kind == "control" else None) for s in target.sent[3:]]
    assert kinds == [("config", None), ("control", RESET)]


async def test_bpm_change_sends_no_reset_when_disabled():
    tl = timeline({"Funk": 1.0}, {"bpm": 100}, {"at": 1.0, "config": {"bpm": 120}}, duration=2.0)
    target, _, _ = await run(tl, reset_on_tempo_change=False)
    assert RESET not in [s.value for s in target.of("control")]


async def test_scale_change_resets_on_gemini_by_default_but_not_on_embedded():
    tl = timeline({"Funk": 1.0}, {"scale": "C_MAJOR_A_MINOR"}, {"at": 1.0, "config": {"scale": "F_MAJOR_D_MINOR"}},
                  duration=2.0)
    gemini, _, _ = await run(tl, backend="gemini")
    embedded, _, _ = await run(tl, backend="embedded")
    assert RESET in [s.value for s in gemini.of("control")]
    assert RESET not in [s.value for s in embedded.of("control")]


async def test_other_config_changes_send_no_reset():
    tl = timeline({"Funk": 1.0}, {"bpm": 100}, {"at": 1.0, "config": {"density": 0.2}}, duration=2.0)
    target, _, _ = await run(tl, backend="gemini")
    assert RESET not in [s.value for s in target.of("control")]


async def test_scheduling_target_gets_messages_ahead_with_at_the_nominal_stream_time():
    tl = timeline({"Funk": 1.0}, None, {"at": 10.0, "config": {"density": 0.3}}, duration=12.0)
    target, _, _ = await run(tl, scheduling=True, buffer=0.5, lead_time=1.0)
    change = target.of("config")[-1]
    assert change.at == pytest.approx(10.0)
    assert 10.0 - 1.0 - 0.5 - 0.2 <= change.now < 10.0


async def test_unscheduled_target_gets_no_at_and_latency_is_compensated():
    tl = timeline({"Funk": 1.0}, None, {"at": 10.0, "config": {"density": 0.3}}, duration=12.0)
    target, _, _ = await run(tl, buffer=0.5, backend="gemini")
    change = target.of("config")[-1]
    assert change.at is None
    # generated (now + 0.5) + model latency (2 s) reaches 10 s at 7.5 s
    assert change.now == pytest.approx(7.5, abs=0.13)


async def test_embedded_change_is_heard_within_50_ms_of_its_time():
    tl = timeline({"Funk": 1.0}, None, *({"at": t, "config": {"density": d}} for t, d in
                                          [(3.0, 0.1), (5.55, 0.2), (7.01, 0.3)]), duration=8.0)
    target, _, _ = await run(tl, buffer=0.3, backend="embedded")
    # audio generated after a message is heard from the stream position reached when it left
    heard = [s.generated for s in target.of("config")[1:]]
    assert [h - t for h, t in zip(heard, [3.0, 5.55, 7.01])] == pytest.approx([0, 0, 0], abs=0.05)


async def test_quantize_bar_sends_the_change_on_the_next_bar():
    preset = parse_preset(textwrap.dedent("""
        config: {bpm: 100}
        prompts: {Funk: 1}
        duration: 10
        timeline:
          - {at: 5, config: {mute_drums: true}, quantize: bar}
        """))
    target, _, _ = await run(preset.resolved_timeline(), scheduling=True)
    assert target.of("config")[-1].at == pytest.approx(7.2)  # bar 4 starts at 3 x 2.4 s


async def test_run_returns_once_the_duration_is_heard():
    target, clock, scheduler = await run(fade_timeline())
    assert clock.now == pytest.approx(8.0, abs=0.01)
    assert scheduler.position == pytest.approx(8.0, abs=0.01)


async def test_run_without_duration_returns_after_the_last_change():
    _, clock, _ = await run(timeline({"Funk": 1.0}, None, {"at": 3.0, "control": RESET}))
    assert clock.now == pytest.approx(3.0, abs=0.01)


async def test_waits_in_steps_no_longer_than_the_control_period_and_never_spins():
    _, clock, _ = await run(timeline({"Funk": 1.0}, None, {"at": 5.0, "control": RESET}, duration=10.0),
                            control_rate=8)
    assert max(clock.sleeps) <= 1 / 8
    assert min(clock.sleeps) >= 0.005
    assert len(clock.sleeps) <= 10 * 8 + 10


async def test_run_is_cancellable_and_sends_nothing_afterwards():
    clock = SimClock()
    target = RecordingTarget(clock)
    scheduler = Scheduler(target, fade_timeline(), clock=clock, sleep=clock.sleep)
    task = asyncio.create_task(scheduler.run())
    while clock.now < 3.0:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    sent = len(target.sent)
    await asyncio.sleep(0)
    assert task.cancelled() and len(target.sent) == sent
    assert target.sent[-1].value != {"Disco": 1.0}


async def test_pause_holds_the_timeline_on_the_wall_clock_until_play():
    tl = timeline({"Funk": 1.0}, None, {"at": 5.0, "control": PlaybackControl.PAUSE},
                  {"at": 8.0, "control": PlaybackControl.PLAY}, {"at": 10.0, "prompts": {"Disco": 1.0}},
                  duration=11.0)
    target, clock, _ = await run(tl, buffer=0.5)
    play = [s for s in target.of("control") if s.value is PlaybackControl.PLAY][-1]
    assert play.now == pytest.approx(8.0, abs=0.13)
    assert target.of("prompts")[-1].now == pytest.approx(10.0 - 0.5, abs=0.13)
    assert clock.now == pytest.approx(11.0, abs=0.13)


async def test_current_bar_follows_the_bpm_history():
    tl = timeline({"Funk": 1.0}, {"bpm": 120}, {"at": 16.0, "config": {"bpm": 60}}, duration=24.0)
    _, _, scheduler = await run(tl)
    assert tl.bar_at(15.9) == (8, 4)
    assert tl.bar_at(20.0) == (10, 1)
    assert scheduler.current_bar == (11, 1)
    assert scheduler.current_bpm == 60


def test_plan_orders_prompts_config_reset_then_control():
    tl = timeline({"Funk": 1.0}, {"bpm": 100},
                  {"at": 1.0, "prompts": {"Disco": 1.0}, "config": {"bpm": 90}, "control": PlaybackControl.PLAY})
    actions = plan(tl, reset_on_tempo_change=True)
    assert [(a.prompts is not None, a.config is not None, a.control) for a in actions] == [
        (True, False, None), (False, True, None), (False, False, RESET), (False, False, PlaybackControl.PLAY)]


def test_plan_sends_one_reset_when_the_cue_resets_itself():
    tl = timeline({"Funk": 1.0}, {"bpm": 100}, {"at": 1.0, "config": {"bpm": 90}, "control": RESET})
    assert [a.control for a in plan(tl, reset_on_tempo_change=True)].count(RESET) == 1


@pytest.mark.parametrize("rate", [2, 0, 1000])
def test_control_rate_outside_4_to_100_is_rejected(rate):
    with pytest.raises(InvalidInputError, match="control_rate"):
        Scheduler(RecordingTarget(SimClock()), fade_timeline(), control_rate=rate)


def test_timeline_rejects_cues_out_of_order():
    with pytest.raises(InvalidInputError, match="before the previous cue"):
        timeline({"Funk": 1.0}, None, {"at": 5.0, "control": RESET}, {"at": 4.0, "control": RESET})


async def test_sending_ahead_sends_every_change_with_its_time_before_play():
    tl = timeline({"Funk": 1.0}, None, {"at": 5.0, "config": {"density": 0.3}}, duration=8.0)
    clock = SimClock()
    target = RecordingTarget(clock, supports_scheduling=True)
    await Scheduler(target, tl, clock=clock, sleep=clock.sleep).run(ahead=True)
    kinds = [s.kind for s in target.sent]
    assert kinds.index("control") > kinds.index("config", 2)  # PLAY goes out after the timed change
    assert target.of("config")[-1].at == pytest.approx(5.0)


async def test_sending_ahead_refuses_a_timeline_with_a_pause():
    tl = timeline({"Funk": 1.0}, None, {"at": 2.0, "control": "PAUSE"}, {"at": 3.0, "control": "PLAY"},
                  duration=6.0)
    clock = SimClock()
    target = RecordingTarget(clock, supports_scheduling=True)
    with pytest.raises(InvalidInputError, match="PAUSE or STOP"):
        await Scheduler(target, tl, clock=clock, sleep=clock.sleep).run(ahead=True)
    assert target.sent == []
