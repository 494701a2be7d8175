"""Keeping what native audio libraries print (ALSA, JACK) off the terminal.

PortAudio's probes and ALSA's recovery from an underrun write to file descriptor 2
from C; livemusic reports device failures and counts underruns itself. Set
``LIVEMUSIC_AUDIO_DEBUG=1`` to see their messages.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence what ALSA/JACK print on fd 2 while PortAudio probes devices.

    Set ``LIVEMUSIC_AUDIO_DEBUG=1`` to see it. Failures still surface as
    :class:`~livemusic.errors.AudioDeviceError`.
    """
    if os.environ.get("LIVEMUSIC_AUDIO_DEBUG"):
        yield
        return
    try:
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        yield
        return
    try:
        try:
            sys.stderr.flush()
        except (AttributeError, ValueError, OSError):
            pass
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


#: ALSA's error handler while livemusic has replaced it (kept alive: ALSA holds a pointer to it).
_alsa_handler: Any = None


def quiet_alsa_messages() -> None:
    """Keep ALSA's own messages off the terminal for the whole process, not only while probing.

    PortAudio's stream thread recovers from an underrun (PulseAudio stalls a
    new stream for up to 2 s while its sink wakes up) and ALSA prints
    "underrun occurred" there, between the status lines; livemusic counts
    underruns and reports them itself. ``LIVEMUSIC_AUDIO_DEBUG=1`` keeps them.
    """
    global _alsa_handler
    if _alsa_handler is not None or os.environ.get("LIVEMUSIC_AUDIO_DEBUG"):
        return
    import ctypes

    try:
        asound = ctypes.CDLL("libasound.so.2")
    except OSError:
        return  # no ALSA (macOS, Windows): nothing of it prints
    # (file, line, function, err, fmt, ...): the variadic rest is never read
    handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)
    _alsa_handler = handler_type(lambda *_: None)
    asound.snd_lib_error_set_handler(_alsa_handler)
