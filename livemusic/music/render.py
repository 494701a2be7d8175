"""``render()`` and ``arender()``: bar-exact clips, seamless loops, stems and MIDI for DAW scripts.

::

    import livemusic
    clip = livemusic.render("minimal techno", bpm=124, scale="A_FLAT_MAJOR_F_MINOR", bars=8,
                            loop=True, stems=True, midi=True)
    clip.write("loops/")    # loops/minimal-techno_124bpm_Fmin_8bars.wav, .drums.wav ..., .mid

A render is an ordinary session over the same WebSocket path as playing: on
livemusic's engine it asks for ``asap`` pacing (as fast as the CPU allows),
sends every timeline change ahead with its stream position (sample-exact),
and, as negotiated extensions, stems and the notes played. Lengths in bars
follow the tempo map of a preset's timeline.

A loop (``loop=True``) is rendered past its end with no note starting there
(the ``end`` extension), so what follows the end is exactly the reverb,
echoes and releases of the loop's own notes; those tails are added onto the
start, and its last beat is brought near its first in loudness
(:mod:`~livemusic.music.seam`). Played back to back, the loop then sounds
like the music repeating.
On Google's hosted model the same call works at the model's pace; stems,
MIDI and loops need livemusic's engine and raise a clear error there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from livemusic.audio.pcm import decode_pcm
from livemusic.errors import InvalidInputError
from livemusic.music.client import AsyncLiveMusic
from livemusic.music.clip import Clip, estimate_key
from livemusic.music.schedule import Scheduler
from livemusic.music.seam import join
from livemusic.music.timeline import Timeline
from livemusic.music.session import AsyncMusicSession
from livemusic.presets import Preset, load_preset
from livemusic.timeparse import BEATS_PER_BAR
from livemusic.types import DEFAULT_MODEL, SAMPLE_RATE, LiveMusicGenerationConfig, LiveMusicNote, prompts_from

#: How far past a loop's end its tails are rendered at most (they ring out within about 5 s).
LOOP_TAIL_SECONDS = 8.0
#: A loop's notes end this many frames before its exact end: the engine's bar lines are whole frames (the
#: nearest to the tempo's), so the next bar's downbeat can fall a frame early (5 ms; no note is that close).
LOOP_END_MARGIN = 240
STEMS = ("drums", "bass", "harmony", "lead")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class _Plan:
    """What to render: the timeline, its length in frames and bars, the backend, a name."""

    timeline: Timeline
    frames: int
    bars: float
    name: str
    model: str
    backend: str | None
    url: str | None


def render(prompts: Any = None, config: Any = None, **options: Any) -> Clip:
    """Render a clip and return it (blocking); see :func:`arender` for the arguments.

    In a notebook or an async function, where an event loop already runs, use
    ``await livemusic.arender(...)`` instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(arender(prompts, config, **options))
    raise InvalidInputError("render() cannot run inside a running event loop (a notebook, an async "
                            "function): use `await livemusic.arender(...)`")


async def arender(prompts: Any = None, config: Any = None, *, preset: str | Path | Preset | None = None,
                  bars: float | None = None, seconds: float | None = None, seed: int | None = None,
                  stems: bool = False, midi: bool = False, loop: bool = False, backend: str | None = None,
                  url: str | None = None, api_key: str | None = None, model: str | None = None,
                  name: str | None = None, on_audio: Callable[[np.ndarray], None] | None = None,
                  realtime: bool = False, progress: Progress | None = None, **config_fields: Any) -> Clip:
    """Render ``bars`` (or ``seconds``) of music as fast as the backend allows and return a :class:`Clip`.

    ``prompts``: a text, ``{text: weight}`` or a list of prompts; ``config``: a
    config model or dict, and/or its fields as keywords (``bpm=124``,
    ``scale="A_FLAT_MAJOR_F_MINOR"``, ``density=0.6``...); ``seed`` makes the render
    repeatable. Or ``preset``: a preset file (or :class:`Preset`) whose timeline is
    followed, its length by default. ``stems`` adds drums/bass/harmony/lead,
    ``midi`` the notes played, ``loop`` makes the end join the start.
    ``backend``/``url``/``api_key`` choose the backend as in :class:`AsyncLiveMusic`.
    ``on_audio(block)`` gets each float32 ``(frames, 2)`` block as it arrives
    (before a loop's tails are folded in), at the pace of playback with ``realtime``
    (to route it live); ``progress(done, total)`` the frames so far.
    """
    plan = _plan(prompts, config, preset=preset, bars=bars, seconds=seconds, seed=seed, name=name,
                 model=model, fields=config_fields)
    client = AsyncLiveMusic(api_key=api_key, url=url or plan.url, backend=backend or plan.backend)
    if client.backend == "gemini":
        _refuse_on_hosted(stems=stems, midi=midi, loop=loop)
    tail = round(LOOP_TAIL_SECONDS * SAMPLE_RATE) if loop else 0
    async with client.connect(model=plan.model, pacing="realtime" if realtime else "asap", stems=stems, notes=True,
                              end=plan.frames - LOOP_END_MARGIN if loop else None) as session:
        _check_session(session, stems=stems, midi=midi, loop=loop)
        received = await _receive(session, plan, plan.frames + tail, stems=stems, on_audio=on_audio,
                                  progress=progress)
    audio, stem_audio, notes = received
    if loop:
        audio, stem_audio = join(audio, stem_audio, plan.frames, plan.timeline.tempo)
        # A note begun just before the end is heard after it (the limiter's look-ahead): at the start.
        notes = sorted((n.model_copy(update={"frame": n.frame % plan.frames}) for n in notes), key=lambda n: n.frame)
    key = estimate_key(notes, plan.timeline.config.scale)
    return Clip(audio=audio, sample_rate=SAMPLE_RATE, bpm=plan.timeline.tempo.bpm_at(0.0), bars=plan.bars, key=key,
                tempo=plan.timeline.tempo, stems=stem_audio, notes=tuple(notes) if midi else None, name=plan.name,
                loop=loop)


def _plan(prompts: Any, config: Any, *, preset: str | Path | Preset | None, bars: float | None,
          seconds: float | None, seed: int | None, name: str | None, model: str | None,
          fields: dict[str, Any]) -> _Plan:
    if bars is not None and seconds is not None:
        raise InvalidInputError("give bars= or seconds=, not both")
    if preset is not None:
        if prompts is not None or config is not None:
            raise InvalidInputError("give prompts (and config) or a preset, not both")
        loaded = preset if isinstance(preset, Preset) else load_preset(preset)
        if fields or seed is not None:  # overrides of the preset's starting config
            extra = {**fields, **({"seed": seed} if seed is not None else {})}
            loaded = loaded.model_copy(update={"config": loaded.config.merged(**extra)})
        timeline = loaded.resolved_timeline()
        if bars is None and seconds is None and loaded.duration is not None and loaded.duration.is_musical:
            bars = loaded.duration.beats / BEATS_PER_BAR  # `duration: N bars`: exactly N, as bars= would be
        title = loaded.name or (Path(preset).stem if not isinstance(preset, Preset) else "livemusic")
        model, backend, url = model or loaded.model, loaded.backend, loaded.url
    else:
        if prompts is None:
            raise InvalidInputError("nothing to render: give prompts (e.g. \"minimal techno\") or a preset")
        weighted = prompts_from({prompts: 1.0} if isinstance(prompts, str) else prompts)
        merged = LiveMusicGenerationConfig.parse(config or {}).merged(
            **fields, **({"seed": seed} if seed is not None else {}))
        timeline = Timeline(weighted, merged)
        title = max(weighted, key=lambda p: p.weight).text
        backend = url = None
    tempo = timeline.tempo
    if bars is not None:
        if bars <= 0:
            raise InvalidInputError(f"bars: must be more than 0, got {bars}")
        length = tempo.seconds_at(bars * BEATS_PER_BAR)
    elif seconds is not None:
        if seconds <= 0:
            raise InvalidInputError(f"seconds: must be more than 0, got {seconds}")
        length = float(seconds)
    elif timeline.duration is not None:
        length = timeline.duration
    else:
        raise InvalidInputError("how long? give bars= or seconds= (or a preset with a duration)")
    frames = round(length * SAMPLE_RATE)
    # In bars, the length is what was asked (its frames the nearest to it); in seconds, what those frames hold.
    length_bars = float(bars) if bars is not None else tempo.beats_at(frames / SAMPLE_RATE) / BEATS_PER_BAR
    return _Plan(timeline, frames, length_bars, name or title, model or DEFAULT_MODEL, backend, url)


def _refuse_on_hosted(*, stems: bool, midi: bool, loop: bool, where: str = "Google's hosted model") -> None:
    wanted = [what for what, asked in (("stems", stems), ("MIDI", midi), ("loops", loop)) if asked]
    if wanted:
        raise InvalidInputError(f"{where} cannot give {' or '.join(wanted)}: they need livemusic's engine (leave "
                                "the API key unset, or pass backend='embedded')")


def _check_session(session: AsyncMusicSession, *, stems: bool, midi: bool, loop: bool) -> None:
    """Clear errors for what this server cannot give (Google's offers none of livemusic's extensions)."""
    where = "Google's hosted model" if session.backend == "gemini" else \
        "this server (it lacks livemusic's extensions for them, as Google's hosted model does)"
    _refuse_on_hosted(stems=stems and not session.supports_stems, midi=midi and not session.supports_notes,
                      loop=loop and not session.supports_end, where=where)


async def _receive(session: AsyncMusicSession, plan: _Plan, total: int, *, stems: bool,
                   on_audio: Callable[[np.ndarray], None] | None,
                   progress: Progress | None) -> tuple[np.ndarray, dict[str, np.ndarray], list[LiveMusicNote]]:
    """Play the timeline and gather ``total`` frames (fewer when a loop's tails fall silent first)."""
    # A server without livemusic's extensions is played as Google's model: its latency, a reset at tempo changes.
    backend = "embedded" if session.supports_scheduling else "gemini"
    scheduler = Scheduler(session, plan.timeline, backend=backend, duration=total / SAMPLE_RATE)
    timeline = asyncio.create_task(scheduler.run(ahead=session.supports_scheduling))
    mix: list[np.ndarray] = []
    parts: dict[str, list[np.ndarray]] = {name: [] for name in STEMS} if stems else {}
    notes: list[LiveMusicNote] = []
    done = 0
    try:
        async for message in session.receive():
            for chunk in message.audio_chunks:
                pcm = decode_pcm(chunk.data, chunk.mime_type)[: total - done]
                if not len(pcm):
                    continue
                mix.append(pcm)
                for name, data in (chunk.livemusic_stems or {}).items():
                    if name in parts:
                        parts[name].append(decode_pcm(data, chunk.mime_type)[: len(pcm)])
                notes += chunk.livemusic_notes or ()
                if on_audio is not None and done < plan.frames:
                    on_audio(pcm[: plan.frames - done].astype(np.float32) / 32768.0)
                done += len(pcm)
                if done > plan.frames and not pcm.any():
                    total = done  # a loop's tails have rung out
            if progress is not None:
                progress(min(done, total), total)
            if done >= total:
                break
    finally:
        timeline.cancel()
        await asyncio.gather(timeline, return_exceptions=True)
    if done < total:
        raise InvalidInputError(f"the server ended the stream after {done} of {total} frames")
    audio = _float(mix)
    return audio, {name: _float(blocks) for name, blocks in parts.items()}, notes


def _float(blocks: list[np.ndarray]) -> np.ndarray:
    if not blocks:
        return np.zeros((0, 2), np.float32)
    return np.concatenate(blocks).astype(np.float32) / np.float32(32768.0)
