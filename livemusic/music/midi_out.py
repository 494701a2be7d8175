"""Live MIDI out: the engine's notes sent to a MIDI port when their audio is heard.

``livemusic play --midi-out PORT`` (or :class:`MidiOut` in a script) lets a
DAW's own instruments play the engine's parts. Notes arrive with the audio
chunks, ahead of when they are heard (the chunks sit in the playback
buffer); each note-on and note-off is held until the session's audible clock
reaches its stream frame. :class:`NoteQueue` is that timing, without I/O;
:class:`MidiOut` the asyncio loop that feeds a port from it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import mido

from livemusic import midi_ports
from livemusic.music.midi import Voices, note_messages, program_messages
from livemusic.types import SAMPLE_RATE, LiveMusicNote

#: Longest wait between looks at the clock: messages go out at most this late (seconds).
POLL_SECONDS = 0.002


class Port(Protocol):
    """What a MIDI output needs to offer: mido's output ports do."""

    def send(self, message: mido.Message) -> None: ...


class NoteQueue:
    """Note messages ordered by the stream frame at which they are heard; released as the clock passes them."""

    def __init__(self, sample_rate: int = SAMPLE_RATE) -> None:
        self.sample_rate = sample_rate
        self._heap: list[tuple[int, bool, int, mido.Message]] = []
        self._order = itertools.count()
        self._voices = Voices()  # a note sounding again before it ends is not left hanging

    def add(self, notes: Iterable[LiveMusicNote]) -> None:
        for note in notes:
            for frame, message in note_messages(note, self.sample_rate):
                # at the same frame a note-off goes before a note-on (a repeated note restarts)
                heapq.heappush(self._heap, (frame, message.type == "note_on", next(self._order), message))

    def due(self, frame: int) -> list[mido.Message]:
        """The messages heard by stream ``frame`` (inclusive), in order; they leave the queue."""
        out = []
        while self._heap and self._heap[0][0] <= frame:
            out += self._voices.play(heapq.heappop(self._heap)[-1])
        return out

    def next_frame(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def release_all(self) -> list[mido.Message]:
        """Note-offs for everything sounding (on stop); the queue is emptied."""
        self._heap.clear()
        return self._voices.release_all()


class SteppedClock:
    """A clock that advances in steps (a sound card's buffers), made continuous.

    The player's audible position jumps by one device buffer at each callback,
    ahead of what is heard until the next one. Between jumps this estimate runs
    on from where the last jump started (the value before it) at the wall
    clock's pace, never ahead of the stepped clock.
    """

    MAX_STEP = 0.1  # seconds; a longer jump (a start, a resume) is taken as it is

    def __init__(self, stepped: Callable[[], float], wall: Callable[[], float] = time.perf_counter) -> None:
        self.stepped = stepped
        self.wall = wall
        self._value: float | None = None
        self._base = 0.0  # where the current step started from
        self._since = 0.0  # wall time of the last jump

    def __call__(self) -> float:
        value, now = self.stepped(), self.wall()
        if value != self._value:
            jump = value - self._value if self._value is not None else 0.0
            self._base = value - jump if 0.0 < jump <= self.MAX_STEP else value
            self._value, self._since = value, now
        return min(value, self._base + (now - self._since))


class MidiOut:
    """Sends notes to ``port`` when ``clock()`` (seconds of stream heard) reaches them.

    Use as ``async with MidiOut(port, SteppedClock(lambda: session.audible_position)):``
    (a player's clock moves in device buffers) and pass notes to :meth:`add` as they arrive. Each part has its channel and a General MIDI program
    (sent first); drums are on channel 10.
    """

    def __init__(self, port: Port, clock: Callable[[], float], *, sample_rate: int = SAMPLE_RATE) -> None:
        self.port = port
        self.clock = clock
        self.queue = NoteQueue(sample_rate)
        self.sample_rate = sample_rate
        self.sent = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add(self, notes: Iterable[LiveMusicNote]) -> None:
        self.queue.add(notes)
        self._wake.set()

    def start(self) -> None:
        """Send each part's program, then notes as they become due."""
        for message in program_messages():
            self.port.send(message)
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        """Stop sending; every note still sounding gets its note-off."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for message in self.queue.release_all():
            self.port.send(message)

    async def __aenter__(self) -> MidiOut:
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _run(self) -> None:
        while True:
            heard = self.clock() * self.sample_rate
            for message in self.queue.due(int(heard)):
                self.port.send(message)
                self.sent += 1
            self._wake.clear()
            upcoming = self.queue.next_frame()
            if upcoming is None:
                await self._wake.wait()  # nothing queued: until notes arrive
            else:
                await asyncio.sleep(min(max((upcoming - heard) / self.sample_rate, 0.0), POLL_SECONDS))


def open_port(name: str) -> Any:
    """An output port: the existing one whose name contains ``name``, else a new virtual port so named.

    Needs python-rtmidi (``pip install 'livemusic[daw]'``) and the system's MIDI service
    (the ALSA sequencer on Linux, CoreMIDI on macOS; Windows has no virtual ports).
    """
    return midi_ports.open_port("--midi-out", name, output=True, extra="daw")
