"""Automatic tool execution: the session answers ``toolCall`` by calling registered Python functions.

Each call runs as its own task (a sync function in a worker thread, an async
one on the loop), so the conversation keeps flowing while a tool works. The
result is sent as ``{"result": value}``; an exception as ``{"error": "..."}``
so the model can tell the user. A ``toolCallCancellation`` cancels the calls
it names: an async function is cancelled, a sync one runs on but its answer
is never sent.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from pydantic import ValidationError, validate_call

from livemusic.errors import LiveMusicError
from livemusic.live.content_parts import FunctionCall, FunctionResponse

log = logging.getLogger("livemusic.conversation")

Send = Callable[[list[FunctionResponse]], Awaitable[None]]


def callables_in(tools: Any) -> dict[str, Callable[..., Any]]:
    """The Python functions among ``tools`` (bare, or inside a tool's ``function_declarations``), by name."""
    found: dict[str, Callable[..., Any]] = {}
    for tool in tools or ():
        if isinstance(tool, dict):
            declarations = tool.get("function_declarations") or tool.get("functionDeclarations") or ()
        else:
            declarations = getattr(tool, "function_declarations", None) or ()
        for item in [tool] if callable(tool) and not isinstance(tool, type) else declarations:
            if callable(item) and not isinstance(item, type):
                found[item.__name__] = item
    return found


class ToolRunner:
    """Runs the calls of ``toolCall`` messages whose names it knows and sends their responses."""

    def __init__(self, functions: dict[str, Callable[..., Any]], send: Send) -> None:
        self.functions = dict(functions)
        self._send = send
        self._running: dict[str, asyncio.Task[None]] = {}
        #: Ids of calls answered, in order (for callers and tests that want to know).
        self.answered: list[str] = []
        #: Ids of calls cancelled before they were answered.
        self.cancelled: list[str] = []

    def handles(self, call: FunctionCall) -> bool:
        return call.name in self.functions

    def start(self, calls: Iterable[FunctionCall]) -> None:
        """Start a task per known call; the caller gets the rest."""
        for call in calls:
            if self.handles(call):
                key = call.id or call.name
                self._running[key] = asyncio.create_task(self._run(call, key), name=f"tool {call.name}")

    def cancel(self, ids: Iterable[str]) -> None:
        """Cancel the running calls among ``ids``; their answers are never sent."""
        for call_id in ids:
            task = self._running.pop(call_id, None)
            if task is not None:
                task.cancel()
                self.cancelled.append(call_id)

    async def close(self) -> None:
        """Cancel every call still running."""
        tasks = list(self._running.values())
        self._running.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, call: FunctionCall, key: str) -> None:
        function = validate_call(self.functions[call.name])  # the model's JSON arguments, checked and converted
        try:
            if inspect.iscoroutinefunction(function):
                value = await function(**call.args)
            else:
                value = await asyncio.to_thread(function, **call.args)
            response: dict[str, Any] = {"result": value}
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the model is told, the conversation goes on
            log.warning("tool %s failed: %s", call.name, exc)
            response = {"error": _error_text(exc)}
        if self._running.get(key) is not asyncio.current_task():
            return  # cancelled while a sync function ran in its thread
        del self._running[key]
        try:
            await self._send([FunctionResponse(id=call.id, name=call.name, response=_jsonable(response))])
        except LiveMusicError as exc:  # the session ended meanwhile; receive() reports why
            log.warning("the answer to tool call %s was not sent: %s", key, exc)
            return
        self.answered.append(key)


def _error_text(exc: Exception) -> str:
    """What the model is told about a failed call: the error's type and message, field by field."""
    if isinstance(exc, ValidationError):
        return "invalid arguments: " + "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False))
    return f"{type(exc).__name__}: {exc}"


def _jsonable(value: Any) -> Any:
    """``value`` made JSON-ready: pydantic models dumped, tuples and sets as lists, others as text."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
