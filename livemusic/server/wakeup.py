"""A flag that a producer waits on with a timeout, cheaply: one future and one timer per wait.

``asyncio.wait_for(event.wait(), timeout)`` makes a task, a future and a timer and
cancels the task on timeout; a paced listener waits once per 40 ms chunk, so that
was a fixed cost per chunk of every session.
"""

from __future__ import annotations

import asyncio


class Wakeup:
    """Set by one side, awaited by the other (one waiter at a time), with an optional timeout."""

    def __init__(self) -> None:
        self._set = False
        self._waiter: asyncio.Future[None] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait until set, or ``timeout`` seconds; returns whether it is set."""
        if self._set:
            return True
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        timer = loop.call_later(timeout, _release, waiter) if timeout is not None else None
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()
        return self._set


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
