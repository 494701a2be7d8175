"""The mix bus of a generator: each block's stem colour, sidechain pump, width, echoes, reverb and master.

It works on the generator's fixed internal blocks of dry stems, so its output never
depends on how a caller splits its render calls.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from livemusic.engine.composer import STEM_BASS, STEM_DRUMS, STEM_HARM, STEM_LEAD, Composer, Controls
from livemusic.engine.effects import Delay, LeadRider, Widener
from livemusic.engine.master import Master
from livemusic.engine.reverb import Reverb
from livemusic.engine.dsp import F32, noise
from livemusic.engine.voicing import StyleSettings

#: The stems widened (drums, harmony, lead: the bass stays in the centre) and their side
#: levels, relative to their mid, at the style's width 1.
_WIDENED = [STEM_DRUMS, STEM_HARM, STEM_LEAD]
_WIDTH_DRUMS, _WIDTH_HARM, _WIDTH_LEAD = 1.2, 1.0, 0.5
#: The stems with a reverb send (the bass stays dry).
_REVERBERATED = [STEM_DRUMS, STEM_HARM, STEM_LEAD]


class Bus:
    """One generator's effects and master, with their state carried from block to block."""

    def __init__(self, sample_rate: int, block: int, stems: int) -> None:
        self.sample_rate = sample_rate
        self.block = block
        self._reverb = Reverb(sample_rate, block, stems=3, level=0.7)  # drums, harmony, lead
        self._delays = Delay(sample_rate, block, lines=2)  # harmony, lead
        #: Rides the lead's level (a fader on the lead stem).
        self.rider = LeadRider(sample_rate, block)
        self._pump = 0.0  # sidechain ducking depth at the end of the last block
        self._steps = np.arange(block, dtype=np.float64)  # for the ducking depth's ramp
        self._widener = Widener(sample_rate, (0.009, 0.013, 0.019), (True, False, False))  # drums, harmony, lead
        #: Loudness and limiter; its look-ahead is the bus's latency.
        self.master = Master(sample_rate, block, stems=stems)

    def process(self, dry: np.ndarray, fx: StyleSettings, ctl: Controls, start: int, composer: Composer,
                with_stems: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """The finished int16 block of the dry stems ``dry`` (stem, channel, frame) at stream frame ``start``:
        the mix and, ``with_stems``, the stems. ``dry`` is worked on in place."""
        sr, n = self.sample_rate, self.block
        bpm = composer.bpm or ctl.bpm
        beat = 60.0 / bpm * sr
        self.rider.listen(dry[STEM_LEAD], dry[STEM_HARM], fx.lead_driven)
        self.rider.ride(dry[STEM_LEAD])
        # Sidechain pumping follows the kick: none without drums or in a section without kick.
        pump = 0.7 * fx.pump * composer.section.backbone if ctl.drums and fx.pump > 0.1 else 0.0
        if pump > 0.0 or self._pump > 0.0:
            self._duck(dry, bpm, start, pump)
        if fx.wobble > 0.1 or fx.phaser > 0.1:
            # LFOs locked to the beat: the phase at the block's start in double precision
            # (it grows without bound), the steps within the block in single.
            step = bpm / 60.0 / sr  # beats per sample
            beats = start * step
            ramp = np.arange(n, dtype=F32)
            if fx.wobble > 0.1:  # tempo-synced tremolo on the bass, two cycles a beat
                depth = 0.8 * (fx.wobble - 0.1) / 0.9  # starts from 0 at the threshold: no click
                gain = np.cos(ramp * F32(4 * math.pi * step) + F32(4 * math.pi * (beats % 1.0)))
                gain *= F32(-0.5 * depth)
                gain += F32(1.0 - 0.5 * depth)  # 1 - depth * (0.5 + 0.5 * cos)
                dry[STEM_BASS] *= gain
            if fx.phaser > 0.1:  # slow swirl across the stereo field on the harmony, every 8 beats
                depth = 0.7 * (fx.phaser - 0.1) / 0.9
                swirl = np.sin(ramp * F32(math.pi / 4 * step) + F32(2 * math.pi * (beats / 8 % 1.0)))
                dry[STEM_HARM] *= 1.0 + np.array([[-depth], [depth]], F32) * swirl
        w = fx.width
        # The stems' sides, when only the mix is made (they cancel in the sends of echoes and reverb, L + R).
        side = self._widener.process([dry[i] for i in _WIDENED], (_WIDTH_DRUMS * w, _WIDTH_HARM * w, _WIDTH_LEAD * w),
                                     sum_sides=not with_stems)
        if fx.vinyl > 0.1:
            dry[STEM_HARM] += noise(n, start // n) * F32(0.004 * fx.vinyl)
        if fx.delay > 0.03:  # echoes of harmony and lead, part of each stem
            echoed = slice(STEM_HARM, STEM_LEAD + 1)  # neighbours in the stem order
            level = 0.6 * fx.delay  # of the echoes
            sends = dry[echoed, 0] + dry[echoed, 1]
            sends *= np.array([[0.18 * level], [0.35 * level]], F32)
            self._delays.process(sends, int(0.75 * beat), 0.25 + 0.35 * fx.delay, out=dry[echoed])
        wet = self._reverb.process(_reverb_sends(fx.reverb, with_stems) @ dry.reshape(8, n))
        mix = dry.sum(axis=0)
        mix += wet[-1]
        if side is not None:
            mix[0] += side
            mix[1] -= side
        if with_stems:
            dry[_REVERBERATED] += wet[:-1]
        return self.master.process(mix, dry, with_stems, composer.level_db(), composer.section.anchor)

    def snapshot(self) -> tuple:
        """The bus's state before a block: only what a block changes (a few blocks of samples, not its
        delay lines and reverb history), so that a block can be undone (:meth:`restore`) and done again."""
        return (self._pump, self.rider.snapshot(), self._widener.snapshot(), self._delays.snapshot(),
                self._reverb.snapshot(), self.master.snapshot())

    def restore(self, state: tuple) -> None:
        """Back to a :meth:`snapshot` (which stays valid: a block may be done again more than once)."""
        self._pump, rider, widener, delays, reverb, master = state
        self.rider.restore(rider)
        self._widener.restore(widener)
        self._delays.restore(delays)
        self._reverb.restore(reverb)
        self.master.restore(master)

    def _duck(self, dry: np.ndarray, bpm: float, start: int, depth: float) -> None:
        """Duck bass, harmony and (half as deep) lead on every beat, as a kick on a sidechain does.

        The gain dips within 4 ms of the beat and recovers over a quarter of it; its depth
        moves from the last block's to ``depth`` across the block, so it never steps.
        """
        sr, n = self.sample_rate, self.block
        beat_s = 60.0 / bpm
        step = 1.0 / (beat_s * sr)  # beats per sample
        phase = self._steps * step  # float64: the phase wraps exactly
        phase += (start * step) % 1.0
        phase -= np.floor(phase)  # the same as % 1.0 here (positive), at a tenth of its cost
        since = (phase * beat_s).astype(F32)  # seconds since the beat
        env = np.minimum(since * F32(250.0), F32(1.0)) * np.exp(since * F32(-4.0 / beat_s))
        env *= _ramp(self._steps, self._pump, depth)
        self._pump = depth
        gain = F32(1.0) - env
        dry[STEM_BASS] *= gain
        dry[STEM_HARM] *= gain
        gain += F32(1.0)
        gain *= F32(0.5)
        dry[STEM_LEAD] *= gain


@lru_cache(maxsize=64)  # a style's reverb is constant but while it morphs: a few values a session
def _reverb_sends(reverb: float, with_stems: bool) -> np.ndarray:
    """The reverb's send weights over the dry stems' rows (stem, channel): the mix's send, each
    stem at its send gain, and ``with_stems``, before it, each reverberated stem's own."""
    send_gain = [0.03 + 0.1 * reverb, 0.0, 0.08 + 0.38 * reverb, 0.05 + 0.3 * reverb]
    gains = [send_gain]
    if with_stems:
        gains = [[g if s == stem else 0.0 for s, g in enumerate(send_gain)] for stem in _REVERBERATED] + gains
    weights = np.repeat(np.array(gains, F32), 2, axis=1)  # the same for both channels
    weights.setflags(write=False)
    return weights


def _ramp(steps: np.ndarray, start: float, stop: float) -> np.ndarray:
    """``np.linspace(start, stop, len(steps), dtype=F32)`` from ``steps`` (0, 1, 2, ...), computed as numpy
    does it (the same values) without its overhead, which was most of the ducking's cost."""
    y = steps * ((stop - start) / (len(steps) - 1))
    y += start
    y[-1] = stop
    return y.astype(F32)
