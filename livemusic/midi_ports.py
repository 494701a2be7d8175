"""Opening MIDI ports through mido and python-rtmidi, with one clear error when that cannot be done.

Both ``--midi`` (control input) and ``--midi-out`` open ports here: an existing
port whose name contains the one given, else a virtual port so named (client
``livemusic``). RtMidi reaches one MIDI system per API: on Linux the ALSA
sequencer (``/dev/snd/seq``) and JACK (a running JACK server, e.g. ``jackd -d
dummy`` on a machine without a sound card); on macOS CoreMIDI and JACK. Each
compiled API is tried in RtMidi's order and the first that works makes the
virtual port; ``MIDO_BACKEND`` (mido's own convention, e.g.
``mido.backends.rtmidi/UNIX_JACK``) picks one instead.

RtMidi's C code, ALSA's and JACK's print their own complaints to the process's
standard error when their system is absent (``ALSA lib seq_hw.c...: open
/dev/snd/seq failed``, ``Cannot connect to server socket``); they are kept off
it while ports are opened, so a failure is the one line of
:class:`~livemusic.errors.InvalidInputError` and nothing else.
"""

from __future__ import annotations

import os
from typing import Any

from livemusic.audio.quiet import quiet_native_stderr
from livemusic.errors import InvalidInputError

#: The client name virtual ports are made under (``livemusic:NAME`` in JACK).
CLIENT_NAME = "livemusic"
#: Why RtMidi could not open a port, what the machine needs instead.
_NEEDS = "on Linux this needs the ALSA sequencer (/dev/snd/seq) or a running JACK server"
#: What RtMidi raises when a MIDI system is absent (e.g. no /dev/snd/seq, no JACK server).
_RTMIDI_ERRORS = (OSError, RuntimeError, SystemError)


def backends() -> list[Any]:
    """The mido backends to look in, in order: ``MIDO_BACKEND``'s alone when it is set, else RtMidi's
    compiled APIs (ALSA then JACK on Linux). Raises ImportError without python-rtmidi."""
    import mido

    if os.environ.get("MIDO_BACKEND"):
        return [mido.Backend()]
    rtmidi = mido.Backend("mido.backends.rtmidi", load=True).module
    return [mido.Backend("mido.backends.rtmidi", api=api) for api in rtmidi.get_api_names() if api != "RTMIDI_DUMMY"]


def working_backends() -> tuple[list[Any], list[str]]:
    """The backends of :func:`backends` whose MIDI system answers, and why each other one did not."""
    working, failures = [], []
    with quiet_native_stderr():
        for backend in backends():
            try:
                backend.get_input_names()
                working.append(backend)
            except _RTMIDI_ERRORS as exc:
                failures.append(str(exc))
    return working, failures


def open_port(flag: str, name: str, *, output: bool, extra: str, **options: Any) -> Any:
    """A mido port for ``flag`` (``--midi``, ``--midi-out``): the existing one whose name contains ``name``
    in any MIDI system that works, else a virtual one so named in the first; ``options`` go to mido (an
    input's ``callback``).

    Raises :class:`InvalidInputError` (one line) without python-rtmidi (``pip install
    'livemusic[EXTRA]'``) or when no MIDI system works (Windows has no virtual ports).
    """
    try:
        working, failures = working_backends()
    except ImportError:
        raise InvalidInputError(f"{flag} needs python-rtmidi: pip install 'livemusic[{extra}]'") from None
    with quiet_native_stderr():
        existing = [(backend, found) for backend in working
                    for found in (backend.get_output_names() if output else backend.get_input_names())
                    if name.lower() in found.lower()]
        for backend, port_name in existing[:1] or [(backend, name) for backend in working]:
            # else a virtual port, under livemusic's client name where RtMidi takes one
            client = {"client_name": CLIENT_NAME} if backend.name == "mido.backends.rtmidi" else {}
            virtual = {} if existing else {"virtual": True, **client}
            try:
                return (backend.open_output if output else backend.open_input)(port_name, **virtual, **options)
            except _RTMIDI_ERRORS as exc:
                failures.append(str(exc))
    raise InvalidInputError(f"{flag} {name}: cannot open a MIDI port ({'; '.join(failures)}); {_NEEDS}")
