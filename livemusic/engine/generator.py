"""The generator: one session's music, rendered block by block into 48 kHz int16 PCM.

A :class:`Generator` owns a composer, voices still ringing, effect tails and the
master bus. It synthesizes in fixed internal blocks of 200 ms and hands out
exactly the frames asked for, so splitting a render into calls of any size
gives the same bytes. At most one block is generated ahead of what has been
returned: a prompt or config change shows within 200 ms of stream time. A
``rewindable`` generator (a live listener's) makes an untimed change at the first
frame not yet returned instead: it renders the block again from its start with the
change in it (the frames already returned come out the same, :mod:`~livemusic.engine.rewind`).

::

    g = Generator(sample_rate=48_000)
    g.set_prompts([WeightedPrompt(text="minimal techno", weight=1.0)])
    g.set_config(LiveMusicGenerationConfig(bpm=126, scale=Scale.A_MAJOR_G_FLAT_MINOR))
    block = g.render(12_000, stems=True)   # 250 ms: block.mix, block.stems["drums"], ...
"""

from __future__ import annotations

import bisect
import itertools
import math
import secrets
from typing import Any

import numpy as np

from livemusic.engine.ahead import Ahead, Block
from livemusic.engine.arrangement import style_kind
from livemusic.engine.bus import Bus
from livemusic.engine.composer import STEPS, Composer, Controls
from livemusic.engine.dry import DryRing
from livemusic.engine.played import STEM_NAMES, Player
from livemusic.engine.rewind import Begun, BlockRewind
from livemusic.engine.style import DEFAULT_STYLE, Style, mix_prompts
from livemusic.engine.voicing import warm_risers
from livemusic.types import (
    LiveMusicFilteredPrompt,
    LiveMusicGenerationConfig,
    WeightedPrompt,
)

#: Internal block: effects and the master bus work on blocks of this length, and at
#: most one block is generated ahead of what has been returned.
BLOCK_SECONDS = 0.2
#: Smallest internal block a generator accepts (live listeners ask for small ones).
MIN_BLOCK_SECONDS = 0.02

def _settle_beats(guidance: float) -> float:
    """Beats to settle on a new prompt mix: 32 (8 bars) at guidance 0 down to 1 at 6."""
    return 32.0 * (1.0 / 32.0) ** (min(max(guidance, 0.0), 6.0) / 6.0)


#: The master gain of a loop: constant, with headroom for the loudest styles (they learn -5 to -13 dB).
LOOP_GAIN_DB = -12.0
#: How much of a loop is rehearsed before it is played: the lead rider settles on it (about 1 s) and then holds.
LOOP_REHEARSAL_SECONDS = 2.0


class Generator:
    """One session's music. Not thread-safe: call it from one thread at a time."""

    def __init__(self, sample_rate: int = 48_000, *, seed: int | None = None,
                 block_seconds: float = BLOCK_SECONDS, rewindable: bool = False) -> None:
        """``block_seconds`` (0.02-0.2) is the internal block: an untimed change lands at the next
        block boundary, unless the generator is ``rewindable``; each block has a fixed cost, so a
        render wants it large. A rewindable generator lands untimed changes (and timed ones that come
        late) at the first frame not yet returned, for the price of a snapshot of its state per block."""
        if sample_rate % 20 or sample_rate < 8000:
            raise ValueError("sample_rate must be a multiple of 20 Hz, at least 8000")
        if not MIN_BLOCK_SECONDS <= block_seconds <= BLOCK_SECONDS:
            raise ValueError(f"block_seconds must be between {MIN_BLOCK_SECONDS} and {BLOCK_SECONDS}")
        self.sample_rate = sample_rate
        self.block = round(sample_rate * block_seconds)
        self._random_seed = seed if seed is not None else secrets.randbelow(2**31)
        self._config = LiveMusicGenerationConfig()
        self._seed = self._random_seed
        self._target: Style = DEFAULT_STYLE
        self._style: Style = DEFAULT_STYLE
        self._composer = Composer(sample_rate, self._seed)
        self._dry = DryRing(len(STEM_NAMES), sample_rate, self.block, undoable=rewindable)
        self._frame = 0
        self._bus = Bus(sample_rate, self.block, stems=len(STEM_NAMES))
        self.rewindable = rewindable
        self._rewind = BlockRewind(self._composer, self._bus, self._dry) if rewindable else None
        #: The last block's start and the state there, while it can be rendered again (rewindable only).
        self._begun: Begun | None = None
        #: A change landed in the last block since it was synthesized: the next render synthesizes it
        #: again (on the server, in a worker thread: never on the event loop that paces every session).
        self._again = False
        self._handed = 0  # notes before this stream frame have been handed out
        self._player = Player(sample_rate, self._composer, self._dry, self._bus)
        self._ahead = Ahead()
        self._stems_active = False
        self._reset_pending = False
        self._started = False
        #: Changes to apply at an exact stream frame: (frame, order, prompts, config, reset).
        self._scheduled: list[tuple[int, int, list[WeightedPrompt] | None, LiveMusicGenerationConfig | None, bool]] = []
        self._order = itertools.count()
        self._ctl: Controls | None = None  # the controls in effect at the end of the last block

    # ----------------------------------------------------------------- controls

    @property
    def seed(self) -> int:
        """The seed in effect: the config's, or one chosen at random at construction."""
        return self._seed

    @property
    def ahead(self) -> int:
        """Frames synthesized and not yet returned: a render of at most this many only copies them
        (none while a change waits to synthesize the last block again, see :attr:`settled`)."""
        return 0 if self._again else self._ahead.frames

    @property
    def settled(self) -> bool:
        """Whether every change made is synthesized: a change landing in the last block (rewindable only)
        synthesizes it again in the next :meth:`render` or :meth:`synthesize_ahead`, not at once."""
        return not self._again

    @property
    def style(self) -> Style:
        """The style the music is currently playing (moving toward the prompts' mix)."""
        return self._style

    def set_prompts(self, prompts: list[WeightedPrompt]) -> list[LiveMusicFilteredPrompt]:
        """Steer toward the weighted mix of ``prompts``; returns the ones that were filtered.

        If every prompt is filtered, the previous style stays in effect.
        """
        at = self._unreturned()
        if at is None:
            return self._set_prompts(prompts)
        style, filtered = mix_prompts(list(prompts))
        if style is not None:
            self.schedule(at, prompts=list(prompts))
        return filtered

    def _set_prompts(self, prompts: list[WeightedPrompt]) -> list[LiveMusicFilteredPrompt]:
        style, filtered = mix_prompts(list(prompts))
        if style is not None:
            self._target = style
            if not self._started:
                self._style = style
        return filtered

    def set_config(self, config: LiveMusicGenerationConfig | dict[str, Any]) -> None:
        """Replace the whole config (unset fields go back to their defaults).

        bpm and scale changes take effect at the next bar line; a new seed restarts
        the random choices from that seed.
        """
        config = LiveMusicGenerationConfig.parse(config)
        at = self._unreturned()
        if at is None:
            self._set_config(config)
        else:
            self.schedule(at, config=config)

    def _set_config(self, config: LiveMusicGenerationConfig) -> None:
        self._config = config
        seed = config.seed if config.seed is not None else self._random_seed
        if seed != self._seed:
            self._seed = seed
            self._composer.reseed(seed)

    def reset(self) -> None:
        """RESET_CONTEXT: a hard restart of the musical context at the next block.

        The phrase starts again from bar 1, pending tempo and key apply at once, the
        style jumps to the prompts' mix and ringing notes are cut short (with a fade).
        Prompts and config are kept.
        """
        at = self._unreturned()
        if at is None:
            self._reset_pending = True
        else:
            self.schedule(at, reset=True)

    def schedule(self, frame: int, *, prompts: list[WeightedPrompt] | None = None,
                 config: LiveMusicGenerationConfig | None = None, reset: bool = False) -> None:
        """Apply a change exactly at stream ``frame`` (frames counted from the first render).

        Sample-exact when it arrives before that frame is synthesized (the
        server hands timed messages over ahead); otherwise it applies at the
        next internal block, like the immediate setters, or on a rewindable
        generator at the first frame not yet returned. Config and reset
        land on the frame; new prompts set the target there, and the style
        moves toward it from the next block at the pace ``guidance`` sets.
        """
        at = self._unreturned() if frame < self._frame else None
        entry = (frame if at is None else max(frame, at), next(self._order), prompts, config, reset)
        bisect.insort(self._scheduled, entry, key=lambda e: e[:2])
        if at is not None:
            self._again = True

    def end(self, frame: int) -> None:
        """Start no note at or after stream ``frame``; what rings then plays out with its effects.

        The stream goes on (in tails, then silence): a render of N bars that ends here
        holds, after frame N, exactly the tails that a seamless loop folds into its start.
        The music before it is a loop's: the steady main section (no intro, fill or
        crash) at a constant master gain and lead level (a gain that moved would step at
        the seam; the client normalizes the finished loop as a whole). The lead's level
        is set in a rehearsal of the loop's first seconds before it is played.
        """
        self._settle()
        self._begun = None  # the snapshot lacks this: the block is not rendered again
        self._player.end = frame
        self._composer.hold(frame)
        self._bus.master.hold(LOOP_GAIN_DB)

    def finish(self, bars: int = 2) -> int:
        """End the music as a band does: ``bars`` bars of outro from the next bar line, moving to
        the mode's centre, then a closing chord struck on the downbeat and left to ring.

        Returns the stream frame of that downbeat (at the tempo now); no note starts after its
        bar, and the stream goes on in its tails, then silence.
        """
        self._settle()
        self._begun = None  # the snapshot lacks this: the block is not rendered again
        return self._composer.close(bars)

    # ----------------------------------------------------------------- resuming

    def bar_line(self) -> tuple[int, int]:
        """The stream frame of the last bar line composed, and the frames per bar from there (for resuming)."""
        composer = self._composer
        if composer.bar is not None:
            return round(composer.bar.start), int(round(composer.bar.step_len * STEPS))
        return round(composer.next_bar_start), int(round(240.0 / Controls.of(self._config, self._style).bpm * self.sample_rate))

    def resume_at(self, frame: int, bar_line: int, bar_frames: int) -> None:
        """Continue a stream made elsewhere at stream ``frame``, on its grid of bar lines (before any render).

        The phrase starts afresh on the last bar line ``bar_line + k * bar_frames``
        at or before ``frame``; notes that would start before ``frame`` are not played.
        """
        if self._started:
            raise RuntimeError("resume_at() must come before the first render")
        self._frame = frame
        self._player.skip_before = frame
        self._composer.reset(bar_line + (frame - bar_line) // max(bar_frames, 1) * bar_frames)

    # ----------------------------------------------------------------- rendering

    def render(self, frames: int, stems: bool = False, notes: bool = False) -> Block:
        """The next ``frames`` frames of the stream (any size, seamless across calls).

        With ``stems``, the drums, bass, harmony and lead parts come too, with the
        mix's gain staging (they sum to the mix before its limiter). Stems are made
        from the first call that asks for them on; audio generated before (at most one
        internal block ahead) has silent stems. With ``notes``, the notes played with
        onsets in these frames come too (likewise from the first call that asks).
        """
        if frames < 0:
            raise ValueError("frames must be >= 0")
        self._settle()
        if stems:
            self._stems_active = True
        player = self._player
        if notes and player.notes is None:
            player.notes = []
        if player.end is not None and not self._started and frames:
            self._rehearse()
        end = self._frame - self._ahead.frames + frames  # the stream frame after this call's audio
        while self._ahead.frames < frames:
            self._synthesize_block()
        out, stem_dict = self._ahead.take(frames, stems)
        handed = None
        if notes:
            handed = tuple(sorted((n for n in player.notes if n.frame < end), key=lambda n: n.frame))
            player.notes = [n for n in player.notes if n.frame >= end]
            self._handed = end
        return Block(out, stem_dict, handed)

    def synthesize_ahead(self) -> None:
        """Synthesize the next block now if every frame synthesized has been returned: a live listener's
        server does it while the block's last chunk plays, so the next chunk is not late by a block's render."""
        self._settle()
        if self._ahead.frames == 0 and self._started:
            self._synthesize_block()

    # ----------------------------------------------------------------- internals

    def _unreturned(self) -> int | None:
        """On a rewindable generator, the first frame not yet returned if the last block synthesized
        holds it and can be rendered again (a change made now lands there); else None."""
        if self._begun is None or self._ahead.frames == 0:
            return None
        return self._frame - self._ahead.frames

    def _settle(self) -> None:
        """Synthesize the last block again if a change landed in it since (see :meth:`schedule`)."""
        if self._again:
            self._again = False
            self._synthesize_again()

    def _synthesize_again(self) -> None:
        """Render the last block again from its start (a change landed in it); the frames of it
        already returned come out the same and are not returned again."""
        begun = self._begun
        returned = self._frame - self._ahead.frames - begun.frame
        self._rewind.restore()
        (self._frame, self._style, self._target, self._config, self._seed, self._started, self._ctl,
         self._reset_pending) = begun[:8]
        for entry in begun.applied:
            bisect.insort(self._scheduled, entry, key=lambda e: e[:2])
        player = self._player
        if player.notes is not None:
            latency = self._bus.master.latency
            player.notes = [n for n in player.notes if n.frame < begun.frame + latency]
        self._ahead.clear()
        self._synthesize_block()
        if player.notes is not None:
            player.notes = [n for n in player.notes if n.frame >= self._handed]
        self._ahead.drop(returned)

    def _rehearse(self) -> None:
        """Settle the lead rider on a loop before it plays, then hold it: the loop's lead sits at one level.

        A twin generator plays the loop's first seconds (same style, config, seed and
        timeline, so the same notes) and is dropped; only its rider is kept. Played
        from cold, the rider would still be moving during the first beat.
        """
        twin = Generator(self.sample_rate, seed=self._random_seed, block_seconds=self.block / self.sample_rate)
        twin._style = twin._target = self._style
        twin.set_config(self._config)
        twin._scheduled = list(self._scheduled)
        twin.end(self._player.end)
        for _ in range(math.ceil(LOOP_REHEARSAL_SECONDS * self.sample_rate / self.block)):
            twin._synthesize_block()  # block by block: no rehearsal of its own
        self._bus.rider = twin._bus.rider
        self._bus.rider.hold()

    def _synthesize_block(self) -> None:
        sr, n = self.sample_rate, self.block
        start = self._frame
        self._dry.begin_block()
        if self.rewindable:
            self._rewind.take()
            self._begun = Begun(start, self._style, self._target, self._config, self._seed, self._started,
                                 self._ctl, self._reset_pending, [])
        if self._reset_pending:
            self._reset_pending = False
            self._restart(start, 0)
        elif self._started:
            bpm = self._composer.bpm or self._style["bpm"]
            beats = n / sr * bpm / 60.0
            amount = 1.0 - 0.05 ** (beats / _settle_beats(float(self._config.effective("guidance"))))
            if self._style is not self._target:
                self._style = self._style.toward(self._target, amount)
                if self._style.distance(self._target) < 1e-4:
                    self._style = self._target
        self._started = True
        ctl = Controls.of(self._config, self._style)
        # A build's riser, rendered ahead in the last bar of a section that a build may follow.
        arranger = self._composer.arranger
        if (ctl.drums and self._composer.bar is not None and arranger.remaining == 1
                and arranger.may_follow("build", style_kind(self._style["drums"], self._style["energy"]))):
            warm_risers(self._composer.bar.step_len * STEPS, ctl.brightness, sr)
        if self._ctl is not None:
            self._silence_muted(self._ctl, ctl, 0)
        segment = start
        while self._scheduled and self._scheduled[0][0] < start + n:
            entry = self._scheduled.pop(0)
            if self._begun is not None:
                self._begun.applied.append(entry)
            frame, _, prompts, config, reset = entry
            frame = max(frame, segment)
            self._player.compose(segment, frame, self._style, ctl, start)
            if prompts is not None:
                self._set_prompts(prompts)
            if config is not None:
                self._set_config(config)
            if reset:
                self._restart(start, frame - start)
            new_ctl = Controls.of(self._config, self._style)
            self._silence_muted(ctl, new_ctl, frame - start)
            ctl, segment = new_ctl, frame
        self._player.compose(segment, start + n, self._style, ctl, start)
        self._ctl = ctl

        self._ahead.push(*self._bus.process(self._dry.current(), self._player.fx(self._style), ctl, start,
                                            self._composer, self._stems_active))
        self._dry.end_block()
        self._frame += n

    def _restart(self, block_start: int, offset: int) -> None:
        """RESET_CONTEXT at ``offset`` into the current block: new phrase, target style, notes cut."""
        self._style = self._target
        self._composer.reset(block_start + offset)
        self._dry.cut(range(len(STEM_NAMES)), offset)

    def _silence_muted(self, before: Controls, after: Controls, offset: int) -> None:
        """Cut the ringing notes of parts that a config change just muted."""
        turned_off = [i for i, (was, now) in enumerate(zip(
            (before.drums, before.bass, before.harmony, before.lead),
            (after.drums, after.bass, after.harmony, after.lead))) if was and not now]
        if turned_off:
            self._dry.cut(turned_off, offset)
