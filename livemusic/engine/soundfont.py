"""The optional sample tier: acoustic parts played from a General MIDI SoundFont.

When a SoundFont is found and the ``soundfont`` extra (tinysoundfont, a small MIT
SoundFont player) is installed, the instrument sounds that name a General MIDI
program (piano, guitars, strings, brass, upright bass, winds: ``Timbre.gm``) are
rendered from the SoundFont's samples instead of being synthesized; everything
else (synths, drums, effects) is unchanged. Without one the synthesized voices
serve. A note is rendered whole, note-on at its first sample, like a synthesized
one, so it is cached and placed sample-exactly in the same way.

Where the SoundFont comes from, first found wins: ``LIVEMUSIC_SOUNDFONT`` (a path,
or ``none`` to switch the tier off; the CLI's ``--soundfont`` sets it), then the
usual system places (Debian's fluid-soundfont-gm and timgm6mb-soundfont packages).
"""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from livemusic.engine.dsp import F32, finish

log = logging.getLogger(__name__)

SOUNDFONT_ENV = "LIVEMUSIC_SOUNDFONT"
#: Values of :data:`SOUNDFONT_ENV` that switch the sample tier off.
OFF = ("", "0", "none", "off")
#: Where systems keep a General MIDI SoundFont (Debian, Fedora, Arch, Homebrew), best first.
SYSTEM_SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf3/default-GM.sf3",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/opt/homebrew/share/soundfonts/default.sf2",
)
#: The longest a note rings on after its note-off (seconds), and the level it is cut below (after its
#: note-off; before its first sound, relative to its peak).
_MAX_TAIL = 4.0
_SILENT = 1e-4


def find_soundfont() -> Path | None:
    """The SoundFont the engine would play from, or ``None`` (see the module's docstring)."""
    value = os.environ.get(SOUNDFONT_ENV)
    if value is not None:
        return None if value.strip().lower() in OFF else Path(value).expanduser()
    return next((path for path in map(Path, SYSTEM_SOUNDFONTS) if path.is_file()), None)


class SampleBank:
    """A loaded SoundFont that renders single notes of its programs (one note at a time, thread-safe)."""

    def __init__(self, path: Path, sample_rate: int) -> None:
        import tinysoundfont  # the optional extra: imported only when a SoundFont is used

        self.path = path
        self.sample_rate = sample_rate
        self._synth = tinysoundfont.Synth(samplerate=sample_rate)
        self._sfid = self._synth.sfload(str(path))
        self._lock = threading.Lock()
        self._chunk = sample_rate // 4

    def __repr__(self) -> str:
        return f"SampleBank({self.path.name!r})"

    def has(self, program: int) -> bool:
        """Whether the SoundFont has General MIDI ``program`` (0-127) in its first bank."""
        return self._synth.sfpreset_name(self._sfid, 0, program) is not None

    def note(self, program: int, midi: float, seconds: float, vel: float) -> np.ndarray:
        """One note held ``seconds`` then released, mono float32 scaled to peak ``vel``, as long as it rings."""
        key = min(max(int(round(midi)), 0), 127)
        held = max(int(seconds * self._synth.samplerate), 1)
        with self._lock:
            synth = self._synth
            synth.program_select(0, self._sfid, 0, program)
            synth.noteon(0, key, max(1, min(127, int(round(vel * 127)))))
            parts = [_mono(synth.generate(held))]
            synth.noteoff(0, key)
            for _ in range(int(_MAX_TAIL * 4)):
                parts.append(_mono(synth.generate(self._chunk)))
                if np.abs(parts[-1]).max() < _SILENT:
                    break
            synth.sounds_off()
        wave = np.concatenate(parts)
        # tinysoundfont moves a voice's envelope on in blocks of 64 frames: a preset with an attack (cello,
        # strings, brass) rendered its first block silent, so the note sounded 1.3 ms after its note-on.
        sounding = np.flatnonzero(np.abs(wave) > _SILENT * np.abs(wave).max())
        return finish(wave[sounding[0]:] if len(sounding) else wave, vel)


def _mono(buffer: memoryview) -> np.ndarray:
    frames = np.frombuffer(buffer, F32).reshape(-1, 2)
    return frames.sum(axis=1, dtype=F32) * F32(0.5)


def sample_bank(sample_rate: int) -> SampleBank | None:
    """The bank the engine plays acoustic parts from, or ``None`` for the synthesized voices.

    A SoundFont named explicitly that cannot be used (missing file, extra not installed)
    is logged once; one merely found on the system is used only if the extra is installed.
    """
    path = find_soundfont()
    if path is None:
        return None
    return _load(str(path), sample_rate, SOUNDFONT_ENV in os.environ)


@lru_cache(maxsize=4)
def _load(path: str, sample_rate: int, explicit: bool) -> SampleBank | None:
    try:
        return SampleBank(Path(path), sample_rate)
    except ImportError:
        if explicit:
            log.warning("SoundFont %s not used: install the extra (pip install 'livemusic[soundfont]')", path)
        return None
    except Exception as exc:  # tinysoundfont raises plain exceptions for unreadable files
        log.warning("SoundFont %s not used: %s", path, exc)
        return None
