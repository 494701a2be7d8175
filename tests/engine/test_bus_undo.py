"""Each effect of the mix bus undoes a block from its own snapshot (a rewindable generator's bus)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from livemusic.engine.effects import Delay, LeadRider, Widener
from livemusic.engine.master import Master
from livemusic.engine.reverb import Reverb

SR, BLOCK = 48_000, 960
#: An effect and one block's step of it: input blocks ``(4, 4, BLOCK)`` of noise to whatever it outputs.
Effect = tuple[object, Callable[[np.ndarray], np.ndarray]]


def _delay() -> Effect:
    delay = Delay(SR, BLOCK, lines=2, seconds=0.1)  # five blocks: the undone blocks go round the line

    def step(x: np.ndarray) -> np.ndarray:
        out = np.zeros((2, 2, BLOCK), np.float32)
        delay.process(x[0, :2], 2 * BLOCK + 123, 0.6, out=out)
        return out
    return delay, step


def _widener() -> Effect:
    widener = Widener(SR, (0.009, 0.013), (True, False))

    def step(x: np.ndarray) -> np.ndarray:
        stems = [x[0, :2].copy(), x[1, :2].copy()]
        widener.process(stems, (1.2, 0.5))
        return np.array(stems)
    return widener, step


def _reverb(rows: int) -> Callable[[], Effect]:
    """A reverb of the mix's send alone (1 row) or of each stem's too (4)."""
    def make() -> Effect:
        reverb = Reverb(SR, BLOCK, stems=3)
        return reverb, lambda x: reverb.process(x[0, :rows])
    return make


def _master() -> Effect:
    master = Master(SR, BLOCK, stems=4)

    def step(x: np.ndarray) -> np.ndarray:
        mix16, stems16 = master.process(x[0, :2] * 3.0, x[:, :2], True, level_db=-2.0)  # loud: the limiter works
        return np.concatenate([mix16[None], stems16])
    return master, step


def _rider() -> Effect:
    rider = LeadRider(SR, BLOCK)

    def step(x: np.ndarray) -> np.ndarray:
        rider.listen(x[0, :2] * 0.2, x[1, :2], 1.0)
        return np.array([rider.gain])
    return rider, step


EFFECTS = {"delay": _delay, "widener": _widener, "reverb": _reverb(1), "reverb with stems": _reverb(4),
           "master": _master, "lead rider": _rider}


@pytest.mark.parametrize("effect", sorted(EFFECTS))
def test_a_block_undone_and_done_again_leaves_no_trace_of_the_undone_ones(effect):
    """Each block is done, undone, done with other input, undone again, then done for good: the output
    is what an effect given only the blocks done for good makes."""
    rng = np.random.default_rng(3)
    undone, (twin, twin_step) = EFFECTS[effect](), EFFECTS[effect]()
    fx, step = undone
    for _ in range(12):
        kept = fx.snapshot()
        for _ in range(2):
            step(rng.standard_normal((4, 4, BLOCK)).astype(np.float32))
            fx.restore(kept)
        x = rng.standard_normal((4, 4, BLOCK)).astype(np.float32)
        assert np.array_equal(step(x), twin_step(x))


def test_a_reverb_block_that_turned_stems_on_leaves_no_trace_once_undone():
    """The mix's send alone, then a block with every stem's send (stems turned on) undone: the reverb
    goes on as one that never had stems."""
    rng = np.random.default_rng(4)
    undone, twin = Reverb(SR, BLOCK, stems=3), Reverb(SR, BLOCK, stems=3)
    for block in range(12):
        if block == 4:
            kept = undone.snapshot()
            undone.process(rng.standard_normal((4, BLOCK)).astype(np.float32))
            undone.restore(kept)
        x = rng.standard_normal((1, BLOCK)).astype(np.float32)
        assert np.array_equal(undone.process(x), twin.process(x))
