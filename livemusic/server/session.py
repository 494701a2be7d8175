"""One client's music session on livemusic's server, without sockets: queued messages, generator, position.

The reader hands every validated message to :meth:`MusicSession.submit`; the
producer (:mod:`livemusic.server.websocket`) applies them between renders,
sizes chunks, renders them on a worker thread and frames them. A message may
be scheduled at an exact stream position (the ``at`` extension).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from livemusic.engine.generator import BLOCK_SECONDS, Block, Generator
from livemusic.engine.voicing import limit_sound_cache
from livemusic.engine.style import filtered_prompts
from livemusic.live import codec
from livemusic.server.pacing import Pacing
from livemusic.server.resume import ResumeState
from livemusic.server.wakeup import Wakeup
from livemusic.types import (
    MIME_TYPE,
    SAMPLE_RATE,
    AudioChunk,
    LiveMusicClientContent,
    LiveMusicClientMessage,
    LiveMusicGenerationConfig,
    LiveMusicNote,
    LiveMusicServerContent,
    LiveMusicServerMessage,
    LiveMusicSourceMetadata,
    PlaybackControl,
    PlaybackState,
)


#: The engine's sound cache is sized to the sessions playing: an unchanging style's notes fill
#: about 16 M samples (64 MB) in its first minute and few new ones come after, so one session's
#: memory is steady after a minute; four or more share the engine's full bound (256 MB).
#: Measured (one deep house session, 12 minutes of audio): 0.7 s of CPU per minute of audio
#: at this bound, 0.55 s with no bound at all, 1.1 s at half of it.
SOUND_CACHE_SAMPLES_PER_SESSION = 16_000_000

#: On STOP the band plays this many bars of outro, strikes a closing chord and lets it ring.
OUTRO_BARS = 2
#: The stream ends once a chunk ends at least a bar after the closing chord and peaks below this
#: (int16; -60 dBFS), and at the latest this many seconds after the chord (a drone's reverb dies slowly).
RUNG_OUT_PEAK = 33
RING_OUT_MAX_S = 12.0


def size_sound_cache(sessions: int) -> None:
    """Bound the engine's sound cache for ``sessions`` playing sessions (room for one when there are none)."""
    limit_sound_cache(max(sessions, 1) * SOUND_CACHE_SAMPLES_PER_SESSION)


@dataclass(order=True)
class _Pending:
    """A validated client message waiting for its stream position (untimed ones: -1)."""

    at: int
    seq: int
    message: LiveMusicClientMessage = field(compare=False)
    #: Whether the generator already has it (timed changes are handed over ahead, to land sample-exactly).
    scheduled: bool = field(default=False, compare=False)


class MusicSession:
    """One client's music state: generator, prompts, config, playback, position.

    Messages are queued by the reader and applied by the producer between
    renders (the generator is not thread-safe and renders in a worker thread).
    """

    def __init__(self, pacing: Pacing, *, stems: bool = False, extended: bool = False, notes: bool = False,
                 end: int | None = None) -> None:
        self.pacing = pacing
        self.generator = self._generator()
        if end is not None:
            self.generator.end(end)
        self.stems = stems
        self.notes = notes
        self.extended = extended
        self.prompts: LiveMusicClientContent | None = None
        self.config = LiveMusicGenerationConfig()
        self.playback = PlaybackState.STOPPED
        self.position = 0  # stream frames sent so far
        #: After a STOP while playing: the stream frame of the closing chord, while the ending plays out.
        self.ending: int | None = None
        self._pending: list[_Pending] = []
        self._seq = 0
        self.changed = Wakeup()
        #: An untimed message arrived: render the next chunk at once (one chunk past the lead).
        self.urgent = False
        #: Seconds of stream to send at once, ahead of the lead, when streaming starts: the buffer a
        #: resumed client's player lacks (see :meth:`resume`).
        self.refill_s = 0.0
        self.outbox: list[LiveMusicServerMessage] = []
        #: Counts applied messages, so that a new resumption handle goes out after each change.
        self.version = 0
        self._frame: codec.AudioFrame | None = None
        self._frame_made_for: tuple[object, ...] = ()  # prompts, config, seed and stem names of _frame

    def submit(self, message: LiveMusicClientMessage) -> None:
        """Queue a message; timed ones wait for their position, the rest apply before the next render."""
        self._seq += 1
        at = message.livemusic_at if message.livemusic_at is not None else -1
        bisect.insort(self._pending, _Pending(at, self._seq, message))
        self.urgent = self.urgent or message.livemusic_at is None
        self.changed.set()

    @property
    def scheduled(self) -> int:
        """Messages waiting to be applied (timed ones wait for their stream position)."""
        return len(self._pending)

    def next_due(self) -> int | None:
        """The stream position of the next timed message, if any is queued."""
        return self._pending[0].at if self._pending else None

    def apply_due(self) -> None:
        """Apply every queued message whose stream position has been reached, in arrival order.

        While nothing streams the stream does not advance, so a timed playback
        control applies at once (it could never become due otherwise).
        """
        while due := [p for p in self._pending if p.at <= self.position or (
                not self.streaming and p.message.playback_control is not None)]:
            first = min(due, key=lambda p: p.seq)
            self._pending.remove(first)
            self._apply(first.message, scheduled=first.scheduled)

    def hand_over_timed(self) -> None:
        """Give the generator every timed change now, so it lands on its exact frame.

        The generator synthesizes ahead of what it returns; a change handed
        over only when the stream reaches it would land at the next internal
        block instead. The session still applies its own bookkeeping (prompts
        and config in sourceMetadata, filtered prompts) at the exact position.
        """
        for pending in self._pending:
            message = pending.message
            if pending.at < 0 or pending.scheduled:
                continue
            reset = message.playback_control is PlaybackControl.RESET_CONTEXT
            if message.client_content is None and message.music_generation_config is None and not reset:
                continue  # PLAY/PAUSE/STOP are the session's business
            prompts = list(message.client_content.weighted_prompts) if message.client_content else None
            self.generator.schedule(pending.at, prompts=prompts, config=message.music_generation_config,
                                    reset=reset)
            pending.scheduled = True

    def _apply(self, message: LiveMusicClientMessage, *, scheduled: bool = False) -> None:
        self.version += 1
        if message.client_content is not None:
            prompts = list(message.client_content.weighted_prompts)
            filtered = filtered_prompts(prompts) if scheduled else self.generator.set_prompts(prompts)
            rejected = {f.text for f in filtered}
            kept = [p for p in prompts if p.text not in rejected]
            if kept:
                self.prompts = LiveMusicClientContent(weighted_prompts=kept)
            self.outbox.extend(LiveMusicServerMessage(filtered_prompt=f) for f in filtered)
        elif message.music_generation_config is not None:
            self.config = message.music_generation_config
            if not scheduled:
                self.generator.set_config(self.config)
        elif message.playback_control is not None:
            if not (scheduled and message.playback_control is PlaybackControl.RESET_CONTEXT):
                self._control(message.playback_control)

    @property
    def streaming(self) -> bool:
        """Whether chunks go out: while playing, and while the ending after a STOP plays out."""
        return self.playback is PlaybackState.PLAYING or self.ending is not None

    def _control(self, control: PlaybackControl) -> None:
        """Apply a playback control. STOP while playing ends the music as a band does (an outro of
        ``OUTRO_BARS`` bars, then a closing chord left to ring; the stream ends when it has rung
        out); a second STOP, PLAY or RESET_CONTEXT meanwhile cuts the ending short."""
        ending_starts = control is PlaybackControl.STOP and self.playback is PlaybackState.PLAYING
        self.playback = self.playback.after(control)
        if ending_starts:
            self.ending = self.generator.finish(OUTRO_BARS)
        elif control in (PlaybackControl.STOP, PlaybackControl.RESET_CONTEXT) or (
                control is PlaybackControl.PLAY and self.ending is not None):
            self._end_ending()

    def _end_ending(self) -> None:
        """The ending is over (or cut short): the context restarts for the next PLAY."""
        self.ending = None
        self.generator.reset()

    def _rung_out(self, block: Block, end: int) -> bool:
        """Whether the ending's closing chord has rung out by stream frame ``end`` (``block`` ends there)."""
        closing = self.ending
        if closing is None:
            return False
        bar = self.generator.bar_line()[1]
        quiet = len(block.mix) == 0 or int(np.abs(block.mix).max()) < RUNG_OUT_PEAK
        return (end >= closing + bar and quiet) or end >= closing + RING_OUT_MAX_S * SAMPLE_RATE

    def _generator(self, seed: int | None = None) -> Generator:
        """A generator for this session: a paced one sent in chunks shorter than its 200 ms blocks is
        rewindable, so that an untimed change lands at the first frame not yet sent (in the next chunk),
        not at the next block. With chunks of a block, every block is sent whole as soon as it is made."""
        live = self.pacing.realtime and self.pacing.chunk_ms < BLOCK_SECONDS * 1000
        return Generator(sample_rate=SAMPLE_RATE, seed=seed, rewindable=live)

    def resume_state(self) -> ResumeState:
        """What a resumption handle made now carries."""
        bar_line, bar_frames = self.generator.bar_line()
        return ResumeState(prompts=list(self.prompts.weighted_prompts) if self.prompts else None, config=self.config,
                           seed=self.generator.seed, position=self.position, bar_line=bar_line,
                           bar_frames=bar_frames, playback=self.playback)

    def resume(self, state: ResumeState, position: int, refill_s: float = 0.0) -> None:
        """Continue a session from ``state`` at stream ``position``, on the same bar grid (before any render),
        sending the ``refill_s`` seconds its client's player lacks at once if it was playing."""
        self.refill_s = refill_s if state.playback is PlaybackState.PLAYING else 0.0
        self.generator = self._generator(seed=state.seed)
        self.generator.resume_at(position, state.bar_line, state.bar_frames)
        if state.prompts:
            self.generator.set_prompts(state.prompts)
            self.prompts = LiveMusicClientContent(weighted_prompts=state.prompts)
        self.config = state.config
        self.generator.set_config(state.config)
        self.playback = state.playback
        self.position = position

    def next_chunk_sizes(self, count: int = 1) -> list[int]:
        """Apply due messages and size the next chunks: ``count`` of them, fewer before a timed message.

        A chunk ends at the next timed message and never crosses the
        generator's internal block boundary, so with the default length
        (one block) each chunk is synthesized fresh and a change that arrived
        before it is in it. Longer chunk requests are capped at one block.
        """
        self.apply_due()
        self.hand_over_timed()
        block = self.generator.block
        due = self.next_due()
        sizes: list[int] = []
        position = self.position
        while len(sizes) < count and (due is None or position < due):
            end = min(position + self.pacing.chunk_frames, (position // block + 1) * block)
            if due is not None and due < end:
                end = due
            sizes.append(end - position)
            position = end
        return sizes

    def rendered(self, sizes: list[int]) -> bool:
        """Whether chunks of ``sizes`` frames are rendered already (so :meth:`render` only copies them)."""
        return sum(sizes) <= self.generator.ahead

    def renders_ahead(self) -> bool:
        """Whether to render the next block now (in a worker thread: ``generator.synthesize_ahead``): a
        rewindable generator's last block has been sent whole, and the next chunk is due within one."""
        return self.generator.rewindable and self.streaming and not self.generator.ahead

    def render(self, sizes: list[int]) -> list[Block]:
        """Render chunks of ``sizes`` frames (in a worker thread), stopping early when a message arrives.

        A message that arrives while a chunk renders shows in the next chunk,
        as it would with one chunk per call. During an ending, the chunk in
        which the closing chord has rung out is the last.
        """
        blocks: list[Block] = []
        end = self.position
        for frames in sizes:
            if blocks and self.changed.is_set():
                break
            blocks.append(block := self.generator.render(frames, self.stems, self.notes))
            end += frames
            if self._rung_out(block, end):
                self._end_ending()  # this is the stream's last chunk
                break
        return blocks

    def chunk_message(self, block: Block) -> LiveMusicServerMessage:
        """The serverContent message of ``block`` as the next chunk of the stream (which it does not advance)."""
        metadata = LiveMusicSourceMetadata(
            client_content=self.prompts,
            music_generation_config=self.config.merged(seed=self.generator.seed),
        )
        chunk = AudioChunk(
            data=block.mix.tobytes(),
            mime_type=MIME_TYPE,
            source_metadata=metadata,
            livemusic_position=self.position if self.extended else None,
            livemusic_stems={k: v.tobytes() for k, v in block.stems.items()} if block.stems else None,
            livemusic_notes=[LiveMusicNote(**note._asdict()) for note in block.notes] if block.notes else None,
        )
        return LiveMusicServerMessage(server_content=LiveMusicServerContent(audio_chunks=[chunk]))

    def chunk_frame(self, block: Block) -> str:
        """``codec.encode(self.chunk_message(block))``, made cheaply; advances the stream position.

        The frame is filled into a template that is made again only when the
        prompts, config, seed or stems change, not for every chunk.
        """
        if block.notes:  # notes differ in every chunk: no template (only sessions that asked for notes)
            frame = codec.encode(self.chunk_message(block))
            self.position += len(block.mix)
            return frame
        stems = block.stems or {}
        made_for = (self.prompts, self.config, self.generator.seed, *stems)
        # The same objects, not equal ones: equal configs may encode differently (0.0 and -0.0).
        previous = self._frame_made_for
        if len(made_for) != len(previous) or any(a is not b for a, b in zip(made_for, previous)):
            self._frame, self._frame_made_for = codec.AudioFrame(self.chunk_message(block)), made_for
        frame = self._frame.encode(block.mix.tobytes(), self.position, {k: v.tobytes() for k, v in stems.items()})
        self.position += len(block.mix)
        return frame
