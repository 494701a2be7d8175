"""Keeping a session alive through a dropped connection: backoff, resume or replay, and the events.

On a retryable close (1001 server going away, 1006 lost connection, 1011,
1013 ...) the session dials its endpoint again at once, then with a
gentle exponential :class:`Backoff`.
A livemusic server that advertised ``resume`` gets the last resumption
handle and the client's stream position, and continues the same music at
the same bar; any other server (Google's) gets the last prompts, config
and playback state replayed on a fresh session. Meanwhile a player keeps
playing what its ring buffer holds. Each step is a :class:`SessionEvent`.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from livemusic.errors import ConnectionClosedError

if TYPE_CHECKING:
    from livemusic.music.session import AsyncMusicSession

log = logging.getLogger("livemusic.reconnect")


class EventKind(str, enum.Enum):
    DISCONNECTED = "disconnected"
    RECONNECTING = "reconnecting"  # an attempt failed; the next one is due after a backoff delay
    RESUMED = "resumed"
    ROTATED = "rotated"


@dataclass(frozen=True)
class SessionEvent:
    """Something that happened to a session's connection; ``detail`` is a short phrase for a status line."""

    kind: EventKind
    detail: str
    code: int | None = None
    #: ``time.monotonic()`` when it happened.
    at: float = field(default_factory=time.monotonic)

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.detail}"


@dataclass(frozen=True)
class Backoff:
    """Delays between reconnection attempts, suited to a live listener (its buffer runs out meanwhile).

    The first attempt is made at once; after it fails, ``at_once`` retries
    follow without a wait (a proxy may send the next one to another server),
    then ``first`` seconds, growing by ``factor`` up to ``cap``: once the
    server is back, the listener waits at most ``cap`` for the next attempt.
    Each wait is shortened by a random share up to ``jitter``, so that the
    listeners of a restarted server do not all dial it in the same instant.
    """

    at_once: int = 1
    first: float = 0.2
    factor: float = 1.5
    cap: float = 2.0
    jitter: float = 0.3

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        uniform = (rng or random.Random()).uniform
        yield from itertools.repeat(0.0, self.at_once)
        delay = min(self.first, self.cap)
        while True:
            yield delay * uniform(1 - self.jitter, 1)
            delay = min(delay * self.factor, self.cap)


async def reconnect(session: AsyncMusicSession, error: ConnectionClosedError) -> None:
    """Open a new connection for ``session`` after ``error``, resuming or replaying; raise ``error`` on timeout."""
    started = time.monotonic()
    session._emit(EventKind.DISCONNECTED, f"{error.code} {error.reason}".strip(), error.code)
    handle = session._resume_handle
    delays = session.backoff.delays()
    for attempt in itertools.count(1):
        try:
            resumed = await session._reopen(handle)
            break
        except ConnectionClosedError as failed:
            if handle is not None and not failed.retryable:
                handle = None  # refused (another secret, too old): start afresh and replay instead
                continue
            if not failed.retryable:
                raise
            log.info("reconnection attempt %d failed: %s", attempt, failed)
            code = failed.code
        delay = next(delays)
        if time.monotonic() + delay - started > session.reconnect_timeout:
            raise error
        session._emit(EventKind.RECONNECTING, f"attempt {attempt} failed ({code}), next in {delay:.1f} s", code)
        await asyncio.sleep(delay)
    outage = time.monotonic() - started
    how = "same music, same bar" if resumed else "prompts, config and playback replayed"
    session._emit(EventKind.RESUMED, f"after {outage:.1f} s ({how})")
