"""Time values as written in presets: seconds, clock times, bars and beats.

Accepted forms (case-insensitive, surrounding spaces ignored)::

    90   90.5   90s   1.5s   1.5 sec   500ms      seconds
    01:30   1:30.25   1:02:03                     mm:ss[.fff] and h:mm:ss[.fff]
    32 bars   1 bar   6 beats   0.5 beat          musical time (4/4)

Seconds are absolute. Bars and beats are musical: how many seconds they
last depends on the tempo in effect, which only the timeline knows, so a
:class:`TimeValue` keeps its unit and is converted later (see
:class:`livemusic.music.tempo.TempoMap`). A bar is 4 beats; when no bpm
is set anywhere, :data:`DEFAULT_BPM` (120) applies.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

BEATS_PER_BAR = 4
#: The tempo used to convert bars and beats when neither a preset nor the user sets a bpm.
DEFAULT_BPM = 120

Unit = Literal["s", "beat", "bar"]

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?"
_SECONDS = re.compile(rf"^({_NUMBER})\s*(s|sec|secs|second|seconds)?$")
_MILLIS = re.compile(rf"^({_NUMBER})\s*ms$")
_MUSICAL = re.compile(rf"^({_NUMBER})\s*(bars?|beats?)$")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d*)?)$")

_FORMS = "seconds (90, 90s, 1.5s), mm:ss (01:30) or bars/beats (32 bars, 6 beats)"


@dataclass(frozen=True)
class TimeValue:
    """A parsed time: ``amount`` of ``unit`` (seconds, beats or bars)."""

    amount: float
    unit: Unit = "s"
    #: The text the value was parsed from, for messages.
    text: str = field(default="", compare=False)

    @property
    def is_musical(self) -> bool:
        """Whether the value is in bars or beats (its length depends on the tempo)."""
        return self.unit != "s"

    @property
    def beats(self) -> float:
        """The value in beats (only for musical values)."""
        if self.unit == "s":
            raise ValueError("a time in seconds has no length in beats without a tempo")
        return self.amount * (BEATS_PER_BAR if self.unit == "bar" else 1)

    def to_seconds(self, bpm: float = DEFAULT_BPM) -> float:
        """The length in seconds at a constant ``bpm``."""
        if self.unit == "s":
            return self.amount
        return self.beats * 60.0 / bpm

    def __str__(self) -> str:
        if self.text:
            return self.text
        if self.unit == "s":
            return format_time(self.amount)
        return f"{self.amount:g} {self.unit}{'' if self.amount == 1 else 's'}"


def parse_time(value: Any) -> TimeValue:
    """Parse a number of seconds or a time string; raise :class:`ValueError` naming the forms."""
    if isinstance(value, TimeValue):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"must be a time: {_FORMS}, got {value!r}")
    if isinstance(value, (int, float)):
        return TimeValue(_check_seconds(float(value), value), "s", str(value))
    text = value.strip().lower()
    if match := _SECONDS.match(text):
        return TimeValue(_check_seconds(float(match[1]), value), "s", value.strip())
    if match := _MILLIS.match(text):
        return TimeValue(float(match[1]) / 1000.0, "s", value.strip())
    if match := _MUSICAL.match(text):
        unit: Unit = "bar" if match[2].startswith("bar") else "beat"
        return TimeValue(float(match[1]), unit, value.strip())
    if match := _CLOCK.match(text):
        hours = int(match[1] or 0)
        minutes = int(match[2])
        seconds = float(match[3])
        if seconds >= 60 or (match[1] is not None and minutes >= 60):
            raise ValueError(f"is not a valid mm:ss or h:mm:ss time (minutes and seconds go up to 59), got {value!r}")
        return TimeValue(hours * 3600 + minutes * 60 + seconds, "s", value.strip())
    raise ValueError(f"must be a time: {_FORMS}, got {value!r}")


def _check_seconds(seconds: float, original: Any) -> float:
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"must be a time of 0 s or more, got {original!r}")
    return seconds


def format_time(seconds: float) -> str:
    """``seconds`` as ``m:ss`` (whole seconds) or ``m:ss.fff``; parses back with :func:`parse_time`."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"cannot format {seconds!r} as a time")
    millis = round(seconds * 1000)
    minutes, millis = divmod(millis, 60_000)
    whole, frac = divmod(millis, 1000)
    return f"{minutes}:{whole:02d}" + (f".{frac:03d}".rstrip("0") if frac else "")
