"""Musical keys by name: ``"A minor"``, ``"F# major"``, ``"Bb minor"`` -> the protocol's :class:`Scale`."""

from __future__ import annotations

import re

from livemusic.errors import InvalidInputError
from livemusic.types import Scale

_NOTES = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


def parse_key(name: str | Scale) -> Scale:
    """``"A minor"``, ``"F# major"``, ``"Bb minor"``, ``"g flat major"`` or a Scale name -> :class:`Scale`."""
    if isinstance(name, Scale):
        return name
    text = str(name).strip()
    if text.upper() in Scale.__members__:
        return Scale[text.upper()]
    found = re.fullmatch(r"([a-g])\s*(#|b|sharp|flat)?\s*(major|minor|maj|min|m)?", text.lower().replace("-", " "))
    if not found:
        raise InvalidInputError(f"key: expected a key such as 'A minor' or 'F# major', got {name!r}")
    note, accidental, mode = found.groups()
    pitch = (_NOTES[note] + {"#": 1, "sharp": 1, "b": -1, "flat": -1}.get(accidental or "", 0)) % 12
    minor = mode in ("minor", "min", "m")
    for scale in Scale:
        if scale is Scale.SCALE_UNSPECIFIED:
            continue
        if ((scale.tonic + 9) % 12 if minor else scale.tonic) == pitch:
            return scale
    raise InvalidInputError(f"key: no scale for {name!r}")  # pragma: no cover - every pitch has one
