"""Music in the background of a notebook or script: ``livemusic.play(...)`` and :class:`Player`.

::

    import livemusic
    p = livemusic.play("presets/funk.yaml")        # or play({"minimal techno": 1.0}); returns at first sound
    p.bpm(128); p.add("rhodes piano", 0.5); p.mute("drums", at="bar")
    p.status()
    p.stop()                                       # fades out and ends the session

The session, the sound card and the helpers of :class:`~livemusic.controls.Controls`
run on an event loop in a thread of their own, so the calls are plain
(blocking until the change is sent) and work the same in a script, a
notebook (which has its own loop running) or ``python -i``.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from livemusic.controls import HELPERS, Controls, LiveOptions

__all__ = ["Player", "play"]


class Player:
    """Plays ``source`` (a preset file, a :class:`~livemusic.presets.Preset`, ``{prompt: weight}``) until :meth:`stop`.

    Every helper of ``livemusic repl`` is a method: ``prompts``, ``add``,
    ``remove``, ``fade``, ``bpm``, ``key``, ``density``, ``brightness``,
    ``mute``, ``unmute``, ``solo``, ``config``, ``play``, ``pause``,
    ``reset``, ``record``, ``stop_recording``, ``status``, ``save_preset``
    (``at=`` included). :meth:`stop` here fades out and ends the session;
    ``pause()`` holds it. ``session`` is the underlying ``AsyncMusicSession``
    (its methods are coroutines of the player's own loop: use :meth:`call`).
    """

    def __init__(self, source: str | Path | Mapping[str, float] | Any = None, *, record: str | Path | None = None,
                 device: str | None = None, buffer_ms: int | None = None, backend: str | None = None,
                 url: str | None = None, api_key: str | None = None, audio: bool = True) -> None:
        if isinstance(source, (str, Path)):
            from livemusic.presets import load_preset

            source = load_preset(source)
        options = LiveOptions(record=Path(record) if record else None, device=device, buffer_ms=buffer_ms,
                              backend=backend, url=url, api_key=api_key, audio=audio)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="livemusic-player", daemon=True)
        self._thread.start()
        try:
            self._controls: Controls | None = self._run(Controls.open(source, options))
        except BaseException:
            self._end_loop()
            raise

    @property
    def session(self) -> Any:
        """The underlying ``AsyncMusicSession``."""
        return self._live().session

    def call(self, coroutine: Any) -> Any:
        """Run a coroutine (e.g. ``player.session.reset_context()``) on the player's loop; return its result."""
        return self._run(coroutine)

    def stop(self) -> str:
        """Fade out, finalize any recording and end the session. Idempotent."""
        controls, self._controls = self._controls, None
        if controls is None:
            return ""
        try:
            return self._run(controls.finish())
        finally:
            self._end_loop()

    close = stop

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Player({self.status()})" if self._controls is not None else "Player(stopped)"

    def _live(self) -> Controls:
        if self._controls is None:
            from livemusic.errors import SessionStateError

            raise SessionStateError("this player was stopped; start another with livemusic.play(...)")
        return self._controls

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def _end_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()


def _method(name: str) -> Callable[..., Any]:
    """The helper ``name`` of :class:`Controls` as a blocking method of :class:`Player`."""
    helper = getattr(Controls, name)

    @functools.wraps(helper)
    def method(self: Player, *args: Any, **kwargs: Any) -> Any:
        controls = self._live()

        async def run() -> Any:
            result = getattr(controls, name)(*args, **kwargs)
            return await result if asyncio.iscoroutine(result) else result

        return self._run(run())

    return method


for _name in HELPERS:
    if _name != "stop":  # Player.stop ends the session; pause() holds it
        setattr(Player, _name, _method(_name))


def play(source: str | Path | Mapping[str, float] | Any = None, **options: Any) -> Player:
    """Start music in one line: ``p = livemusic.play("presets/funk.yaml")``; see :class:`Player`."""
    return Player(source, **options)
