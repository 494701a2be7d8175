"""A flag that a producer waits on until a clock time, cheaply: sessions due at one instant share one timer.

``asyncio.wait_for(event.wait(), timeout)`` makes a task, a future and a timer and
cancels the task on timeout; a paced listener waits once per 40 ms chunk, so that
was a fixed cost per chunk of every session. The pacer puts wake-ups on a grid
(:attr:`~livemusic.server.pacing.Pacing.tick_s`), so sessions due within one tick
wait for the same instant: one timer and one wake-up of the event loop serve them all.
A waiter may leave a ``step`` to run at its instant instead of waking: what a producer
does then without awaiting anything (a chunk already rendered), with no task switch.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable

#: Run at a waiter's instant: the next instant to run again at, or ``None`` to wake the waiter.
Step = Callable[[], float | None]


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

    async def wait(self, until: float | None = None, step: Step | None = None) -> bool:
        """Wait until set, or until the event loop's clock reads ``until``; returns whether it is set.

        With ``step``, it runs at ``until`` instead, and again at each instant it returns, until it
        returns ``None`` (then the wait ends) or the flag is set; what it raises, the wait raises.
        """
        if self._set:
            return True
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        if until is not None:
            _Beat.of(loop).wake(waiter, until, step)
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
            beat = cls._of_loop[loop] = cls()  # holds no reference to its loop, which may then go
        return beat

    def __init__(self) -> None:
        self._due: dict[float, list[tuple[asyncio.Future[None], Step | None]]] = {}

    def wake(self, waiter: asyncio.Future[None], when: float, step: Step | None = None) -> None:
        """Release ``waiter`` at clock time ``when`` (unless it is done by then), or run its ``step``."""
        waiters = self._due.get(when)
        if waiters is None:
            waiters = self._due[when] = []
            asyncio.get_running_loop().call_at(when, self._release, when)
        waiters.append((waiter, step))

    def _release(self, when: float) -> None:
        for waiter, step in self._due.pop(when):
            if waiter.done():
                continue
            if step is not None:
                try:
                    again = step()
                except Exception as exc:
                    waiter.set_exception(exc)
                    continue
                if again is not None:
                    self.wake(waiter, again, step)
                    continue
            waiter.set_result(None)
