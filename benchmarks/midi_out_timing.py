"""Live MIDI out against the ear: when each drum note-on is sent vs when its hit is heard, on a null sink.

Plays drums only (minimal techno, bass muted, only bass and drums) on the embedded engine
through the same path as ``livemusic play --midi-out`` (session -> ring buffer ->
PyAudio; notes -> :class:`livemusic.music.midi_out.MidiOut` timed by the audible
clock) while ``parec`` records the sink's monitor. By default the MIDI port is a
stand-in that stamps each kick's note-on with the wall clock as it is sent; with
``--jack`` the notes go through a real port of a JACK server (``eval "$(.ci/midi-server)"``)
to JACK's ``jack_midi_dump``, and each is stamped as it arrives there (JACK moves MIDI once a
period: up to 5.3 ms later at 256 frames). Each is paired with the nearest hit found in the
recording (the 3 ms level 15 dB over the quiet before it); printed: how many pair within 50 ms,
and the median, 5th and 95th percentile of (sent - heard) in ms (negative: the note leaves
before its hit is heard).

    eval "$(.ci/sound-server)"; python benchmarks/midi_out_timing.py [--seconds 10] [--jack]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import threading
import time

import numpy as np
from ear_latency import RATE, MonitorRecorder  # a sibling script: run from benchmarks/ or as a path

from livemusic import AsyncLiveMusic
from livemusic.music.midi_out import MidiOut, SteppedClock
from livemusic.stage import BUFFER_MS, Stage, chunk_ms_for

MS = RATE // 1000


class StampingPort:
    """A MIDI output stand-in: the wall-clock time of every kick's note-on (channel 10, note 36)."""

    def __init__(self) -> None:
        self.note_ons: list[float] = []

    def send(self, message) -> None:
        if message.type == "note_on" and message.velocity > 0 and (message.channel, message.note) == (9, 36):
            self.note_ons.append(time.perf_counter())


class JackStampingPort:
    """A real JACK port read by ``jack_midi_dump``: the wall-clock time each kick's note-on reached it."""

    CLIENT = "midi-out-timing"

    def __init__(self) -> None:
        import mido

        if os.environ.get("LIVEMUSIC_JACK_SERVER"):
            os.environ["JACK_DEFAULT_SERVER"] = os.environ["LIVEMUSIC_JACK_SERVER"]
        self.note_ons: list[float] = []
        self._dump = subprocess.Popen(["stdbuf", "-oL", "jack_midi_dump", self.CLIENT], text=True,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        jack = mido.Backend("mido.backends.rtmidi/UNIX_JACK")
        while f"{self.CLIENT}:input" not in jack.get_output_names():
            time.sleep(0.02)  # the dump registers its port on its own
        self._port = jack.open_output(f"{self.CLIENT}:input")

    def _read(self) -> None:
        for line in self._dump.stdout:  # "    128: 99 24 5a note on  (channel  9): ..."
            words = line.partition(":")[2].split()
            if words[:2] == ["99", "24"] and int(words[2], 16) > 0:
                self.note_ons.append(time.perf_counter())

    def send(self, message) -> None:
        self._port.send(message)

    def close(self) -> None:
        self._port.close()
        self._dump.terminate()
        self._dump.wait()
        self._reader.join()


def kicks(audio: np.ndarray, rise_db: float = 15.0) -> np.ndarray:
    """Sample positions where the 3 ms level first stands ``rise_db`` above its minimum over the 20 ms
    before (a hit out of the quiet between kicks), at most one per 100 ms."""
    x = audio.astype(np.float64).mean(axis=1)
    window = 3 * MS
    level = 20 * np.log10(np.sqrt(np.convolve(x * x, np.ones(window) / window, "full")[: len(x)]) + 1.0)
    quiet = np.full_like(level, np.inf)
    span = 20 * MS
    lows = np.lib.stride_tricks.sliding_window_view(level, span).min(axis=1)
    quiet[span + window:] = lows[: len(level) - span - window]
    found: list[int] = []
    for i in np.flatnonzero(level - quiet >= rise_db):
        if not found or i - found[-1] >= 100 * MS:
            found.append(int(i))
    return np.array(found, dtype=np.int64)


async def run(seconds: float, jack: bool) -> None:
    port = JackStampingPort() if jack else StampingPort()
    recorder = MonitorRecorder("null.monitor")
    stage = await Stage.open(AsyncLiveMusic(backend="embedded").connect(chunk_ms=chunk_ms_for("embedded"),
                                                                       notes=True),
                             buffer_ms=BUFFER_MS["embedded"])
    session = stage.session
    try:
        midi = MidiOut(port, SteppedClock(lambda: session.audible_position))
        session.on_notes(midi.add)
        async with midi:
            await session.set_weighted_prompts({"minimal techno": 1.0})
            await session.set_music_generation_config({"bpm": 124, "seed": 7, "mute_bass": True,
                                                       "only_bass_and_drums": True, "density": 0.2})
            await session.play()
            await asyncio.sleep(seconds)
        latency = stage.player.latency_seconds if stage.player else float("nan")
    finally:
        await stage.close()
        await session.close()
        if isinstance(port, JackStampingPort):
            await asyncio.sleep(0.1)  # the last period's notes
            port.close()
    audio = recorder.stop()
    heard = recorder.t0 + kicks(audio) / RATE
    offsets = []
    for sent in port.note_ons:
        nearest = heard[np.argmin(np.abs(heard - sent))] if len(heard) else np.inf
        if abs(sent - nearest) <= 0.05:
            offsets.append((sent - nearest) * 1000)
    where = "reached a JACK port" if jack else "sent"
    print(f"MIDI note-on {where} vs hit heard, {seconds:g} s of drums, device latency {latency * 1000:.0f} ms: "
          f"{len(offsets)} of {len(port.note_ons)} note-ons paired within 50 ms ({len(heard)} kicks found in the recording)")
    if offsets:
        print(f"  sent - heard: median {np.median(offsets):+.1f} ms, 5th pct {np.percentile(offsets, 5):+.1f} ms, "
              f"95th pct {np.percentile(offsets, 95):+.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--jack", action="store_true", help="through a real port of a JACK server")
    args = parser.parse_args()
    asyncio.run(run(args.seconds, args.jack))


if __name__ == "__main__":
    main()
