"""How distinct the engine's styles sound: name a render's prompt from its audio alone.

Contrasting prompts from six families are rendered with several seeds; a
1-nearest-neighbour classifier on simple audio features (:mod:`features`)
learns them from some seeds and names the prompt of renders with other seeds.
A 50/50 mix of two far-apart prompts should lie between them in the same features
(:func:`mix_position`). Used by ``benchmarks/engine_contrast.py`` and its test.
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
#: Pairs of far-apart prompts, across families, whose 50/50 mix should sound between them.
PAIRS = (("ambient", "drum and bass"), ("bossa nova", "heavy metal"), ("lo-fi hip hop", "trance"),
         ("piano ballad", "minimal techno"), ("orchestral score", "reggae"), ("jazz piano trio", "chiptune"),
         ("baroque", "afrobeat"), ("classic rock", "bluegrass"))


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
    tested: dict[tuple[str, int], np.ndarray]  # the test renders' features, by (prompt, seed)


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
    tested = {(p, s): features(excerpt({p: 1.0}, s, seconds, skip)) for p in prompts for s in test}
    confusions = tuple((p, s, guess) for (p, s), v in tested.items() if (guess := knn.predict(v)) != p)
    return Contrast(1.0 - len(confusions) / max(len(tested), 1), confusions, knn, tested)


@dataclass(frozen=True)
class MixPosition:
    """Where a 50/50 mix of prompts ``a`` and ``b`` sounds, in the classifier's scale."""

    to_a: float
    to_b: float
    apart: float  # from a to b
    along: float  # its projection on the line from a (0) to b (1)

    @property
    def between(self) -> bool:
        """Closer to each parent than the parents are to each other."""
        return self.to_a < self.apart and self.to_b < self.apart


def mix_position(contrast: Contrast, a: str, b: str, seed: int, seconds: float = 3.0, skip: float = 0.5, *,
                 recorded: bool = False) -> MixPosition:
    """Where the 50/50 mix of prompts ``a`` and ``b`` lies relative to them (renders with ``seed``).

    The engine plays the mix of the two prompts; ``recorded``: instead, the two prompts' renders are
    mixed as audio at half level each (two records on a DJ's mixer), a reference for what "between"
    can mean in these features.
    """
    if recorded:
        pa, pb = (excerpt({p: 1.0}, seed, seconds, skip).astype(np.float64) for p in (a, b))
        mix = np.round((pa + pb) / 2).astype(np.int16)
    else:
        mix = excerpt({a: 1.0, b: 1.0}, seed, seconds, skip)
    fa, fb = (contrast.tested.get((p, seed)) for p in (a, b))
    fa, fb = (f if f is not None else features(excerpt({p: 1.0}, seed, seconds, skip)) for f, p in ((fa, a), (fb, b)))
    fa, fb, fm = (f / contrast.classifier.scale for f in (fa, fb, features(mix)))
    ab = fb - fa
    return MixPosition(float(np.linalg.norm(fm - fa)), float(np.linalg.norm(fm - fb)), float(np.linalg.norm(ab)),
                       float((fm - fa) @ ab / max(float(ab @ ab), 1e-12)))
