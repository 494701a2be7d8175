"""A listener whose server is killed and restarted is silent no longer than the outage less its buffered audio.

One run of ``benchmarks/outage_gap.py``: the real player on the sound server, the server SIGKILLed and
restarted. The player's own silence is asserted (from its ring running dry to its playing again, read from
its counters): on a loaded machine the device adds silence of its own (an ALSA underrun makes PulseAudio
restart the stream, silent for up to 2 s), which the benchmark's recording shows and reports as a stall.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from outage_gap import measure  # noqa: E402

#: The player plays the audio that comes back at the first device buffer that finds it (1024 frames,
#: 21 ms); the outage, the buffer and the player's counters are read every 2 ms at both ends. Two device
#: buffers cover these. A device stall meanwhile (no callback: ``run.stall``) delays both ends of the
#: player's silence, and is allowed for.
TOLERANCE_S = 0.045


async def test_the_player_is_silent_at_most_the_outage_less_the_buffered_audio(sound_output):
    run = await measure("kill", 1.0, warmup=3.0)
    assert run.outage > run.buffer  # the buffer ran dry: there was a gap
    assert run.silent <= run.outage - run.buffer + TOLERANCE_S + run.stall, run
