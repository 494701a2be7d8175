"""Music and conversation together: tools a Live model calls to steer a running music session.

:class:`MusicDJ` wraps an :class:`~livemusic.music.session.AsyncMusicSession`
and offers its controls as plain async methods with typed parameters and
docstrings, so ``tools=dj.tools()`` declares them to the model and the Live
session calls them when asked ("make it jazzier and slower" becomes
``set_prompts`` and ``set_bpm``). Each answers with the music's new state,
so the model can say what it did. On Google's hosted Lyria, bpm and scale
changes need a context reset, which the DJ sends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal

from livemusic.music.timeline import mix_weights
from livemusic.types import Scale, prompts_from

#: Seconds between two steps of a prompt crossfade (Google suggests about 0.5 s).
FADE_STEP_SECONDS = 0.5


class MusicDJ:
    """The controls of a music session, as tools for a Live model."""

    def __init__(self, music: Any) -> None:
        self.music = music
        self._fade: asyncio.Task[None] | None = None

    def tools(self) -> list[Callable[..., Any]]:
        """The methods to pass as ``tools`` in a Live session's config."""
        return [self.set_prompts, self.set_bpm, self.set_mood, self.set_scale, self.mute, self.fade,
                self.pause, self.play, self.now_playing]

    def state(self) -> dict[str, Any]:
        """What is playing: prompts, the config fields set, and the playback state."""
        return {"prompts": {p.text: p.weight for p in self.music.prompts},
                "config": self.music.config.model_dump(mode="json", exclude_none=True),
                "playback": str(getattr(self.music.playback_state, "value", self.music.playback_state))}

    async def _reset_if_hosted(self) -> None:
        if self.music.backend == "gemini":
            await self.music.reset_context()

    async def now_playing(self) -> dict[str, Any]:
        """Tell what the music is now: its prompts with weights, tempo, key and other settings."""
        return self.state()

    async def set_prompts(self, prompts: dict[str, float]) -> dict[str, Any]:
        """Replace the music's style: text prompts (genres, instruments, moods) with weights, e.g.
        {"acid jazz": 1.0, "rhodes piano": 0.5}. The change is heard within a bar or two."""
        self._stop_fade()
        await self.music.set_weighted_prompts(prompts_from(prompts))
        return self.state()

    async def set_bpm(self, bpm: int) -> dict[str, Any]:
        """Set the tempo in beats per minute (60 to 200)."""
        await self.music.update_config(bpm=bpm)
        await self._reset_if_hosted()
        return self.state()

    async def set_mood(self, density: float | None = None, brightness: float | None = None) -> dict[str, Any]:
        """Set how busy (density, 0 sparse to 1 busy) and how bright (brightness, 0 dark to 1 bright)
        the music is. Leave out what should not change."""
        changes = {name: value for name, value in (("density", density), ("brightness", brightness))
                   if value is not None}
        await self.music.update_config(**changes)
        return self.state()

    async def set_scale(self, scale: Scale) -> dict[str, Any]:
        """Set the key: one of the 12 scales (relative major and minor share one value)."""
        await self.music.update_config(scale=scale)
        await self._reset_if_hosted()
        return self.state()

    async def mute(self, part: Literal["bass", "drums"], muted: bool = True) -> dict[str, Any]:
        """Mute (or with muted=false, unmute) the bass or the drums."""
        await self.music.update_config(**{f"mute_{part}": muted})
        return self.state()

    async def fade(self, prompts: dict[str, float], seconds: float = 8.0) -> dict[str, Any]:
        """Crossfade smoothly to new prompts over some seconds (1 to 60) instead of switching at once."""
        seconds = min(60.0, max(1.0, seconds))
        self._stop_fade()
        target = {p.text: p.weight for p in prompts_from(prompts)}
        self._fade = asyncio.create_task(self._crossfade(target, seconds), name="dj fade")
        return {**self.state(), "fading_to": target, "seconds": seconds}

    async def _crossfade(self, target: dict[str, float], seconds: float) -> None:
        source = {p.text: p.weight for p in self.music.prompts}
        steps = max(1, round(seconds / FADE_STEP_SECONDS))
        for step in range(1, steps + 1):
            weights = mix_weights(source, target, step / steps)
            await self.music.set_weighted_prompts({text: w for text, w in weights.items() if w != 0})
            if step < steps:
                await asyncio.sleep(seconds / steps)

    def _stop_fade(self) -> None:
        if self._fade is not None and not self._fade.done():
            self._fade.cancel()
        self._fade = None

    async def pause(self) -> dict[str, Any]:
        """Pause the music (play resumes it where it was)."""
        await self.music.pause()
        return self.state()

    async def play(self) -> dict[str, Any]:
        """Start or resume the music."""
        await self.music.play()
        return self.state()

    async def close(self) -> None:
        """Stop a crossfade in progress."""
        if self._fade is not None:
            self._fade.cancel()
            await asyncio.gather(self._fade, return_exceptions=True)
