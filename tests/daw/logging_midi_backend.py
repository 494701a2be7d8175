"""A mido backend whose ports write what they are sent to a file (``MIDO_BACKEND=logging_midi_backend``).

This machine has no system MIDI service (no ALSA sequencer, ``/dev/snd/seq``), so
``livemusic play --midi-out`` is run end to end through mido with this backend in
place of RtMidi: the port is opened, virtual or not, by mido's own calls, and each
message the command sends is written to ``$LIVEMUSIC_MIDI_LOG``, one a line.
"""

from __future__ import annotations

import os
from typing import Any

import mido.ports

#: The environment variable naming the file the ports write to.
LOG_ENV = "LIVEMUSIC_MIDI_LOG"


def get_devices(**_: Any) -> list[dict[str, Any]]:
    return [{"name": "Existing Synth", "is_input": False, "is_output": True}]


class Output(mido.ports.BaseOutput):
    def _open(self, virtual: bool = False, **_: Any) -> None:
        self._log = open(os.environ[LOG_ENV], "a", encoding="utf-8")  # noqa: SIM115 - closed in _close
        self._log.write(f"open {self.name} virtual={virtual}\n")

    def _send(self, message: mido.Message) -> None:
        self._log.write(f"{message}\n")
        self._log.flush()

    def _close(self) -> None:
        self._log.write("close\n")
        self._log.close()
