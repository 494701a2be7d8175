"""Opening MIDI ports through mido and python-rtmidi, with one clear error when that cannot be done.

Both ``--midi`` (control input) and ``--midi-out`` open ports here: an existing
port whose name contains the one given, else a virtual port so named. RtMidi's
C code (through ALSA) prints its own complaints to the process's standard error
when there is no MIDI service (``ALSA lib seq_hw.c...: open /dev/snd/seq
failed``); they are kept off it while ports are opened, so a failure is the one
line of :class:`~livemusic.errors.InvalidInputError` and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from livemusic.errors import InvalidInputError


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Send what native code writes to file descriptor 2 to /dev/null meanwhile (Python's own stderr is kept)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no file descriptor 2 (an embedding host): nothing to quieten
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def open_port(flag: str, name: str, *, output: bool, extra: str, **options: Any) -> Any:
    """A mido port for ``flag`` (``--midi``, ``--midi-out``): the existing one whose name contains ``name``,
    else a virtual one so named; ``options`` go to mido (an input's ``callback``).

    Raises :class:`InvalidInputError` (one line) without python-rtmidi (``pip install
    'livemusic[EXTRA]'``) or without the system's MIDI service (the ALSA sequencer,
    ``/dev/snd/seq``, on Linux; Windows has no virtual ports).
    """
    import mido

    names: Callable[[], list[str]] = mido.get_output_names if output else mido.get_input_names
    opener: Callable[..., Any] = mido.open_output if output else mido.open_input
    try:
        with _quiet_native_stderr():
            match = next((found for found in names() if name.lower() in found.lower()), None)
            return opener(match or name, virtual=match is None, **options)
    except ImportError:
        raise InvalidInputError(f"{flag} needs python-rtmidi: pip install 'livemusic[{extra}]'") from None
    except (OSError, RuntimeError, SystemError) as exc:  # rtmidi: no MIDI service (e.g. no /dev/snd/seq)
        raise InvalidInputError(f"{flag} {name}: cannot open a MIDI port ({exc}); on Linux this needs the ALSA "
                                "sequencer (/dev/snd/seq)") from None
