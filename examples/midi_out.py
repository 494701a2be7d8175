"""Live MIDI out to a DAW: the engine plays, and its notes go to a MIDI port as you hear them.

    python examples/midi_out.py [PORT] [seconds]

Arm a MIDI track on the port in your DAW (a virtual port named PORT is made
when none has that name; Linux needs the ALSA sequencer, macOS CoreMIDI;
needs ``pip install 'livemusic[daw]'``). Drums come on channel 10, bass on 1,
harmony on 2, lead on 3. The same as ``livemusic play PRESET --midi-out PORT``.
"""

import asyncio
import sys

from livemusic import AsyncLiveMusic
from livemusic.music.midi_out import MidiOut, SteppedClock, open_port
from livemusic.stage import Stage


async def main(port, seconds: float) -> None:
    async with AsyncLiveMusic().connect(notes=True, chunk_ms=40) as session:
        stage = await Stage.open(session, buffer_ms=100)    # the sound card, if there is one
        midi = MidiOut(port, SteppedClock(lambda: session.audible_position))
        session.on_notes(midi.add)
        async with midi:
            await session.set_weighted_prompts({"funk": 1.0, "slap bass": 0.7})
            await session.set_music_generation_config({"bpm": 104})
            await session.play()
            await asyncio.sleep(seconds)
        await stage.close()


if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else "livemusic"
    asyncio.run(main(open_port(name), float(sys.argv[2]) if len(sys.argv) > 2 else 60.0))
