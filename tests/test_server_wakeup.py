"""The producer's wake-up flag: set wakes a waiter, its time ends a wait unset, waits share an instant,
a step runs at its instants instead of waking."""

from __future__ import annotations

import asyncio

import pytest

from livemusic.server.wakeup import Wakeup


async def wait_for(wakeup: Wakeup, seconds: float) -> bool:
    return await wakeup.wait(asyncio.get_running_loop().time() + seconds)


def test_a_wait_ends_unset_when_its_time_comes():
    assert asyncio.run(wait_for(Wakeup(), 0.01)) is False


def test_waits_until_one_instant_all_end_then():
    async def scenario() -> list[bool]:
        at = asyncio.get_running_loop().time() + 0.01
        return await asyncio.gather(*(Wakeup().wait(at) for _ in range(3)))

    assert asyncio.run(scenario()) == [False, False, False]


def test_a_wait_returns_at_once_when_already_set():
    wakeup = Wakeup()
    wakeup.set()
    assert asyncio.run(wait_for(wakeup, 3600)) is True


def test_set_wakes_a_waiter_before_its_timeout():
    async def scenario() -> bool:
        wakeup = Wakeup()
        asyncio.get_running_loop().call_soon(wakeup.set)
        return await wait_for(wakeup, 3600)

    assert asyncio.run(scenario()) is True


def test_clear_makes_the_next_wait_wait_again():
    wakeup = Wakeup()
    wakeup.set()
    wakeup.clear()
    assert asyncio.run(wait_for(wakeup, 0.01)) is False


def test_a_step_runs_at_each_instant_it_returns_then_the_wait_ends():
    async def scenario() -> tuple[bool, int]:
        loop = asyncio.get_running_loop()
        runs = 0

        def step() -> float | None:
            nonlocal runs
            runs += 1
            return loop.time() + 0.001 if runs < 3 else None

        return await Wakeup().wait(loop.time() + 0.001, step), runs

    assert asyncio.run(scenario()) == (False, 3)


def test_a_wait_raises_what_its_step_raises():
    def step() -> float | None:
        raise RuntimeError("step failed")

    async def scenario() -> None:
        await Wakeup().wait(asyncio.get_running_loop().time() + 0.001, step)

    with pytest.raises(RuntimeError, match="step failed"):
        asyncio.run(scenario())
