"""Rendering helpers for the engine tests: short excerpts, cached per process."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from livemusic.engine import Block, Generator
from livemusic.types import LiveMusicGenerationConfig, WeightedPrompt

SR = 48_000


def generator(prompts: str | dict[str, float], seed: int = 11, **config) -> Generator:
    """A generator with ``prompts`` (text or ``{text: weight}``) and a config."""
    g = Generator(sample_rate=SR)
    if isinstance(prompts, str):
        prompts = {prompts: 1.0}
    g.set_prompts([WeightedPrompt(text=t, weight=w) for t, w in prompts.items()])
    g.set_config(LiveMusicGenerationConfig(seed=seed, **config))
    return g


def render(prompts: str | dict[str, float], seconds: float, *, seed: int = 11, stems: bool = False,
           skip: float = 0.0, **config) -> Block:
    """``seconds`` of music after skipping ``skip`` seconds (cached)."""
    key = (tuple(sorted({prompts: 1.0}.items() if isinstance(prompts, str) else prompts.items())),
           seconds, seed, stems, skip, tuple(sorted(config.items())))
    return _render(key)


@lru_cache(maxsize=48)
def _render(key) -> Block:
    prompts, seconds, seed, stems, skip, config = key
    g = generator(dict(prompts), seed=seed, **dict(config))
    if skip:
        g.render(int(skip * SR), stems=stems)
    return g.render(int(seconds * SR), stems=stems)


def render_in_chunks(g: Generator, sizes: list[int], stems: bool = False) -> tuple[np.ndarray, dict | None]:
    blocks = [g.render(n, stems=stems) for n in sizes]
    mix = np.concatenate([b.mix for b in blocks])
    if not stems:
        return mix, None
    return mix, {k: np.concatenate([b.stems[k] for b in blocks]) for k in blocks[0].stems}
