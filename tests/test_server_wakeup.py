"""The producer's wake-up flag: set wakes a waiter, a timeout ends a wait unset."""

from __future__ import annotations

import asyncio

from livemusic.server.wakeup import Wakeup


def test_a_wait_ends_unset_when_its_timeout_passes():
    assert asyncio.run(Wakeup().wait(0.01)) is False


def test_a_wait_returns_at_once_when_already_set():
    wakeup = Wakeup()
    wakeup.set()
    assert asyncio.run(wakeup.wait(3600)) is True


def test_set_wakes_a_waiter_before_its_timeout():
    async def scenario() -> bool:
        wakeup = Wakeup()
        asyncio.get_running_loop().call_soon(wakeup.set)
        return await wakeup.wait(3600)

    assert asyncio.run(scenario()) is True


def test_clear_makes_the_next_wait_wait_again():
    wakeup = Wakeup()
    wakeup.set()
    wakeup.clear()
    assert asyncio.run(wakeup.wait(0.01)) is False
