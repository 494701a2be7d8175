"""What ``connect()`` returns on every dialect: await it, or use it with ``async with``."""

from __future__ import annotations

from collections.abc import Awaitable, Generator
from typing import Any, Generic, Protocol, TypeVar


class _Closable(Protocol):
    async def close(self) -> None: ...


T = TypeVar("T", bound=_Closable)


class Connecting(Generic[T]):
    """A session being opened: ``session = await connecting`` keeps it open until ``await session.close()``
    (a REPL, a notebook); ``async with connecting as session`` closes it when the block ends."""

    def __init__(self, opening: Awaitable[T]) -> None:
        self._opening = opening
        self._session: T | None = None

    def __await__(self) -> Generator[Any, None, T]:
        return self._opening.__await__()

    async def __aenter__(self) -> T:
        self._session = await self._opening
        return self._session

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._session is not None
        await self._session.close()
