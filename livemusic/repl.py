"""``livemusic repl``: a Python prompt with top-level ``await`` while the music plays.

Built on the standard library, as ``python -m asyncio`` is: a
:class:`code.InteractiveConsole` compiling with ``PyCF_ALLOW_TOP_LEVEL_AWAIT``
reads lines on its own thread, and each line runs on the event loop in the
main thread, where the session, the audio stage and every task live; so the
music keeps streaming while you type. ``readline`` gives line editing, tab
completion and a history kept across runs. Chosen over ptpython /
prompt_toolkit: no dependency to install, it behaves like the ``python``
prompt people know, and a full-screen prompt_toolkit app redrawing the
terminal would compete with the audio for the GIL in this process.

Helpers (see :mod:`livemusic.controls`) are called without ``await``: each
call starts a task that the prompt waits for before the next line, so a bad
value prints one line (``error: bpm: ...``) and errors in your own code print
their traceback; the music never stops. Code that blocks (``time.sleep``)
holds the loop and starves the audio: use ``await asyncio.sleep``. Ctrl-C
interrupts the running line; Ctrl-D or ``exit()`` fades out, finalizes the
recording and leaves.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import code
import concurrent.futures
import contextlib
import difflib
import functools
import os
import signal
import sys
import threading
import traceback
import types
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from livemusic.controls import HELPERS, Controls, LiveOptions
from livemusic.device import DeviceOpening
from livemusic.errors import LiveMusicError
from livemusic.music.embedded import EmbeddedEngine
from livemusic.presets import Preset

__all__ = ["run_repl"]

PROMPT_FILENAME = "<livemusic>"


class Line(str):
    """A helper's answer: shown as plain text at the prompt, not as a quoted string."""

    def __repr__(self) -> str:
        return str(self)


class Pending:
    """What a helper returns at the prompt: its task, awaitable, never echoed."""

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task

    def __await__(self):
        return self.task.__await__()


def history_path() -> Path:
    """``$LIVEMUSIC_HISTORY``, else ``$XDG_STATE_HOME/livemusic/history`` (``~/.local/state``)."""
    if os.environ.get("LIVEMUSIC_HISTORY"):
        return Path(os.environ["LIVEMUSIC_HISTORY"])
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "livemusic" / "history"


class LiveConsole(code.InteractiveConsole):
    """An interactive console whose code runs on ``loop`` (in another thread), top-level await allowed."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__({}, filename=PROMPT_FILENAME)
        self.compile.compiler.flags |= ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        self.loop = loop
        #: Helper calls made by the line that runs; the line waits for them.
        self.pending: list[asyncio.Task[Any]] = []
        #: The line that runs, as a task on the loop.
        self.line: asyncio.Task[None] | None = None
        #: Set by ``exit()`` (or SystemExit in user code): leave after this line.
        self.leaving = False

    def runcode(self, code_object: types.CodeType) -> None:
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.loop.call_soon_threadsafe(self._start, code_object, future)
        try:
            future.result()
        except (concurrent.futures.CancelledError, asyncio.CancelledError, KeyboardInterrupt):
            self.write("KeyboardInterrupt (the music plays on)\n")
        except LiveMusicError as exc:  # a bad value given to a helper: one line
            self.write(f"error: {exc}\n")
        except BaseException as exc:  # the user's own code: its traceback, from the line typed on
            tb = _from_prompt(exc.__traceback__)
            if isinstance(exc, NameError) and tb is not None and tb.tb_next is None:  # a typo at the prompt
                self.write(f"error: {_typo(exc, self.locals)}\n")
            else:
                self.write("".join(traceback.format_exception(type(exc), exc, tb)))
        if self.leaving:
            raise SystemExit

    def _start(self, code_object: types.CodeType, future: concurrent.futures.Future[None]) -> None:
        """On the loop: run the line, then wait for the helper calls it made."""

        async def run_line() -> None:
            try:
                result = types.FunctionType(code_object, self.locals)()
                if asyncio.iscoroutine(result):
                    await result
                while self.pending:
                    await self.pending.pop(0)
            except SystemExit:  # never let it out into the loop: the music must fade out first
                self.leaving = True
            finally:
                for task in self.pending:
                    task.cancel()
                self.pending = []

        self.line = task = self.loop.create_task(run_line())

        def done(finished: asyncio.Task[None]) -> None:
            self.line = None
            if finished.cancelled():
                future.set_exception(concurrent.futures.CancelledError())
            elif finished.exception() is not None:
                future.set_exception(finished.exception())
            else:
                future.set_result(None)

        task.add_done_callback(done)

    def interrupt(self) -> bool:
        """Ctrl-C: cancel the line that runs; whether there was one."""
        if self.line is None:
            return False
        self.line.cancel()
        return True


def _typo(exc: NameError, names: dict[str, Any]) -> str:
    """``exc`` in one line, suggesting the closest name."""
    close = difflib.get_close_matches(exc.name or "", names, n=1) or difflib.get_close_matches(
        exc.name or "", dir(builtins), n=1)  # the prompt's own names first: bmp -> bpm, not map
    return f"{exc}; did you mean {close[0]}?" if close else str(exc)


def _from_prompt(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` from the first frame of code typed at the prompt (the console's own frames left out)."""
    while tb is not None and tb.tb_frame.f_code.co_filename != PROMPT_FILENAME:
        tb = tb.tb_next
    return tb


class _Exit:
    """``exit()`` / ``quit()`` at the prompt: fade out and leave after this line."""

    def __init__(self, console: LiveConsole) -> None:
        self._console = console

    def __call__(self, code: object = None) -> None:
        self._console.leaving = True

    def __repr__(self) -> str:
        return "Use exit() or Ctrl-D to fade out and leave"


def _helper(console: LiveConsole, method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` as called at the prompt: coroutines become tasks the prompt waits for."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        if isinstance(result, Awaitable):
            task = asyncio.ensure_future(result)
            console.pending.append(task)
            return Pending(task)
        return Line(result) if isinstance(result, str) else result

    return call


def _displayhook(value: Any) -> None:
    """Echo results as the ``python`` prompt does, but not the tasks helpers return."""
    if not isinstance(value, Pending):
        sys.__displayhook__(value)


def _one_line(obj: Any) -> str:
    return ((getattr(obj, "__doc__", "") or "").strip().splitlines() or [""])[0]


def _help_function(helpers: dict[str, Any]) -> Callable[..., None]:
    def help(obj: Any = None) -> None:  # noqa: A001 - the REPL's help()
        """help(): the helpers, one line each; help(x): Python's help on x."""
        if obj is None:
            print("livemusic helpers (every change also takes at=\"now\"|\"beat\"|\"bar\"|\"4 bars\"):")
            for name, function in helpers.items():
                print(f"  {name:15s} {_one_line(function)}")
            print("  session         the AsyncMusicSession, for anything else (await session.play())")
            print("  help(name)      one helper in full; Ctrl-D or exit() fades out and leaves")
        elif any(obj is f for f in helpers.values()):
            print(f"{obj.__name__}: {_one_line(obj)}")
        else:
            builtins.help(obj)

    return help


def namespace(controls: Controls, console: LiveConsole) -> dict[str, Any]:
    """The prompt's globals: the helpers, ``session``, ``asyncio``, ``help``, ``exit``."""
    helpers = {name: _helper(console, getattr(controls, name)) for name in HELPERS}
    leave = _Exit(console)
    return {"__name__": "__livemusic__", "asyncio": asyncio, "session": controls.session, **helpers,
            "help": _help_function(helpers), "exit": leave, "quit": leave}


def _setup_readline(ns: dict[str, Any]) -> Callable[[], None]:
    """Completion over the prompt's names and a history file; returns the saver (a no-op without readline)."""
    try:
        import readline
        import rlcompleter
    except ImportError:
        return lambda: None
    readline.set_completer(rlcompleter.Completer(ns).complete)
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    path = history_path()
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)

    def save() -> None:
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)

    return save


def run_repl(preset: Preset | None, options: LiveOptions, *, engine: EmbeddedEngine | None = None,
             opening: DeviceOpening | None = None) -> int:
    """Run the REPL until Ctrl-D / ``exit()`` (0) or SIGTERM (143). Startup errors raise.

    ``engine`` and ``opening`` were started early by the command line (see :meth:`Controls.open`)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        controls = loop.run_until_complete(Controls.open(preset, options, engine=engine, opening=opening))
    except BaseException:
        loop.close()
        raise
    console = LiveConsole(loop)
    console.locals.update(namespace(controls, console))
    save_history = _setup_readline(console.locals)
    exit_code = 0

    def read_lines() -> None:
        banner = (f"livemusic repl: {controls.status()}\n"
                  "help() lists the helpers; Ctrl-D or exit() fades out and leaves.")
        try:
            console.interact(banner=banner, exitmsg="")
        except SystemExit:
            pass
        finally:
            loop.call_soon_threadsafe(loop.stop)

    def interrupted() -> None:  # Ctrl-C comes to the main thread; the music must not see it
        if not console.interrupt():
            sys.stdout.write("\n(Ctrl-C: Ctrl-D or exit() leaves; the music plays on)\n")
            sys.stdout.flush()

    def terminated() -> None:
        nonlocal exit_code
        exit_code = 143
        loop.stop()

    saved_hook, sys.displayhook = sys.displayhook, _displayhook
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, interrupted)
        loop.add_signal_handler(signal.SIGTERM, terminated)
    threading.Thread(target=read_lines, name="livemusic-repl", daemon=True).start()
    try:
        loop.run_forever()
    finally:
        sys.displayhook = saved_hook
        save_history()
        if console.line is not None:
            console.line.cancel()
        message = loop.run_until_complete(controls.finish())
        if message:
            print(message, file=sys.stderr)
        loop.close()
    return exit_code
