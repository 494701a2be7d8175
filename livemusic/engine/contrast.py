"""How distinct the engine's styles sound: name a render's prompt from its audio alone.

Contrasting prompts from six families are rendered with several seeds; a
1-nearest-neighbour classifier on simple audio features (:mod:`features`)
learns them from some seeds and names the prompt of renders with other seeds.
Used by ``benchmarks/engine_contrast.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from livemusic.engine.features import NearestNeighbour, features
from livemusic.engine.generator import Generator
from livemusic.types import LiveMusicGenerationConfig, WeightedPrompt

SR = 48_000
#: Contrasting prompts per family.
FAMILIES: dict[str, tuple[str, ...]] = {
    "electronic": ("minimal techno", "drum and bass", "dubstep", "trance", "chiptune"),
    "acoustic": ("bossa nova", "jazz piano trio", "bluegrass", "piano ballad"),
    "orchestral": ("orchestral score", "baroque"),
    "rock/metal": ("heavy metal", "classic rock"),
    "world": ("flamenco guitar", "reggae", "afrobeat"),
    "ambient": ("ambient", "lo-fi hip hop"),
}
PROMPTS: tuple[str, ...] = tuple(p for family in FAMILIES.values() for p in family)
#: Pairs of far-apart prompts whose 50/50 mix should sound between them.
PAIRS = (("ambient", "drum and bass"), ("bossa nova", "heavy metal"), ("lo-fi hip hop", "trance"))


def excerpt(prompts: dict[str, float], seed: int, seconds: float, skip: float = 0.5) -> np.ndarray:
    """``seconds`` of the music ``prompts`` make with ``seed``, after ``skip`` seconds (int16 stereo)."""
    g = Generator(sample_rate=SR)
    g.set_prompts([WeightedPrompt(text=t, weight=w) for t, w in prompts.items()])
    g.set_config(LiveMusicGenerationConfig(seed=seed))
    g.render(int(skip * SR))
    return g.render(int(seconds * SR)).mix


@dataclass(frozen=True)
class Contrast:
    """How often the classifier named the test renders' prompt, and what it confused."""

    accuracy: float
    confusions: tuple[tuple[str, int, str], ...]  # (prompt, seed, guess)
    classifier: NearestNeighbour

    def distance(self, a: np.ndarray, b: np.ndarray) -> float:
        """Distance between two feature vectors in the classifier's scale."""
        return float(np.sqrt((((a - b) / self.classifier.scale) ** 2).sum()))


def measure(prompts: Iterable[str] = PROMPTS, train: Iterable[int] = range(1, 6), test: Iterable[int] = range(6, 11),
            seconds: float = 3.0, skip: float = 0.5) -> Contrast:
    """Train on renders with the ``train`` seeds, name the prompt of renders with the ``test`` seeds."""
    prompts = list(prompts)
    vectors, labels = [], []
    for p in prompts:
        for s in train:
            vectors.append(features(excerpt({p: 1.0}, s, seconds, skip)))
            labels.append(p)
    knn = NearestNeighbour(np.array(vectors), labels)
    confusions, total = [], 0
    for p in prompts:
        for s in test:
            guess = knn.predict(features(excerpt({p: 1.0}, s, seconds, skip)))
            total += 1
            if guess != p:
                confusions.append((p, s, guess))
    return Contrast(1.0 - len(confusions) / max(total, 1), tuple(confusions), knn)


def mix_distances(contrast: Contrast, a: str, b: str, seed: int, seconds: float = 3.0,
                  skip: float = 0.5) -> tuple[float, float, float]:
    """Distances of the 50/50 mix of prompts ``a`` and ``b`` to ``a`` and to ``b``, and of ``a`` to ``b``."""
    fa, fb, fm = (features(excerpt(p, seed, seconds, skip)) for p in ({a: 1.0}, {b: 1.0}, {a: 1.0, b: 1.0}))
    return contrast.distance(fm, fa), contrast.distance(fm, fb), contrast.distance(fa, fb)
