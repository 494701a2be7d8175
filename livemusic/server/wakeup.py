"""A flag that a producer waits on until a clock time, cheaply: sessions due at one instant share one timer.

``asyncio.wait_for(event.wait(), timeout)`` makes a task, a future and a timer and
cancels the task on timeout; a paced listener waits once per 40 ms chunk, so that
was a fixed cost per chunk of every session. The pacer puts wake-ups on a grid
(:attr:`~livemusic.server.pacing.Pacing.tick_s`), so sessions due within one tick
wait for the same instant: one timer and one wake-up of the event loop serve them all.
"""

from __future__ import annotations

import asyncio
import weakref


class Wakeup:
    """Set by one side, awaited by the other (one waiter at a time), until an optional clock time."""

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

    async def wait(self, until: float | None = None) -> bool:
        """Wait until set, or until the event loop's clock reads ``until``; returns whether it is set."""
        if self._set:
            return True
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        if until is not None:
            _Beat.of(loop).wake(waiter, until)
        try:
            await waiter
        finally:
            self._waiter = None
        return self._set


class _Beat:
    """One event loop's timers, one per instant, each releasing every waiter due then."""

    _of_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Beat] = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> _Beat:
        beat = cls._of_loop.get(loop)
        if beat is None:
            beat = cls._of_loop[loop] = cls(loop)
        return beat

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._due: dict[float, list[asyncio.Future[None]]] = {}

    def wake(self, waiter: asyncio.Future[None], when: float) -> None:
        """Release ``waiter`` at clock time ``when`` (unless it is done by then)."""
        waiters = self._due.get(when)
        if waiters is None:
            waiters = self._due[when] = []
            self._loop.call_at(when, self._release, when)
        waiters.append(waiter)

    def _release(self, when: float) -> None:
        for waiter in self._due.pop(when):
            if not waiter.done():
                waiter.set_result(None)
