"""The embedded engine: a composer and synthesizer that honours every control of the protocol.

``Generator`` renders one session's music; :mod:`livemusic.server` exposes it over
BidiGenerateMusic. This package is pure DSP: it imports nothing of the network.
"""

from livemusic.engine.ahead import Block
from livemusic.engine.generator import Generator
from livemusic.engine.played import STEM_NAMES, Note
from livemusic.engine.style import Style, mix_prompts, prompt_style, vocabulary_size

__all__ = ["STEM_NAMES", "Block", "Generator", "Note", "Style", "mix_prompts", "prompt_style", "vocabulary_size"]
