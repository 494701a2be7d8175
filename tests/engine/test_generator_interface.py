"""The Generator's contract with the server: shapes, seamless chunks, seeds, prompts, reset."""

from __future__ import annotations

import numpy as np
import pytest

from livemusic.engine import Generator
from livemusic.types import LiveMusicGenerationConfig, WeightedPrompt

from .analysis import rms_db, tempo
from .renders import SR, generator, render_in_chunks


def test_render_returns_c_contiguous_int16_stereo_of_the_requested_length():
    g = generator("deep house")
    for frames in (12_000, 1, 4_799, 0):
        block = g.render(frames)
        assert block.mix.dtype == np.int16
        assert block.mix.shape == (frames, 2)
        assert block.mix.flags.c_contiguous
        assert block.stems is None


def test_stems_hold_drums_bass_harmony_and_lead_shaped_like_the_mix():
    block = generator("deep house").render(24_000, stems=True)
    assert set(block.stems) == {"drums", "bass", "harmony", "lead"}
    for pcm in block.stems.values():
        assert pcm.dtype == np.int16 and pcm.shape == block.mix.shape and pcm.flags.c_contiguous


def test_stems_sum_to_the_mix():
    block = generator("bossa nova").render(SR * 6, stems=True)
    total = sum(s.astype(np.float64) for s in block.stems.values())
    residual = rms_db(total / 32768.0 - block.mix / 32768.0)
    assert residual < rms_db(block.mix) - 30.0


def test_notes_come_with_the_chunk_holding_their_onset_and_leave_the_audio_unchanged():
    with_notes, plain = generator("funk"), generator("funk")
    chunk = 7_001  # not a multiple of the internal block
    seen = []
    for i in range(12):
        block = with_notes.render(chunk, notes=True)
        assert np.array_equal(block.mix, plain.render(chunk).mix)
        assert all(i * chunk <= note.frame < (i + 1) * chunk for note in block.notes)
        seen += block.notes
    assert {note.part for note in seen} >= {"drums", "bass"}
    assert [note.frame for note in seen] == sorted(note.frame for note in seen)


def test_after_end_the_music_rings_out_to_silence_without_new_notes():
    g = generator("dub techno", bpm=120)
    g.end(4 * SR)
    block = g.render(12 * SR, notes=True)
    before, after = block.mix[:4 * SR], block.mix[4 * SR:]
    seconds = [rms_db(after[i * SR:(i + 1) * SR] / 32768.0) for i in range(8)]
    assert rms_db(after[:SR // 10] / 32768.0) > rms_db(before / 32768.0) - 20.0  # the tails are there...
    assert seconds == sorted(seconds, reverse=True)      # ...and only decay
    assert not after[6 * SR:].any()
    assert max(note.frame for note in block.notes) < 4 * SR + 0.01 * SR  # heard within the limiter's look-ahead


def test_splitting_a_render_into_different_call_sizes_gives_identical_bytes():
    total = SR * 4
    odd = [1, 4_799, 12_000, 7, 23_993, 2_400, 1]
    odd.append(total - sum(odd))
    a = generator("drum and bass", seed=5)
    b = generator("drum and bass", seed=5)
    mix_a, stems_a = render_in_chunks(a, [12_000] * (total // 12_000), stems=True)
    mix_b, stems_b = render_in_chunks(b, odd, stems=True)
    assert mix_a.tobytes() == mix_b.tobytes()
    for name in stems_a:
        assert stems_a[name].tobytes() == stems_b[name].tobytes()


def test_same_seed_and_same_messages_give_identical_pcm():
    def session() -> bytes:
        g = generator("lo-fi hip hop", seed=1234)
        out = [g.render(30_000).mix]
        g.set_prompts([WeightedPrompt(text="jazz", weight=1.0), WeightedPrompt(text="rhodes piano", weight=0.5)])
        out.append(g.render(20_001).mix)
        g.set_config(LiveMusicGenerationConfig(seed=1234, bpm=140, density=0.8))
        out.append(g.render(40_000).mix)
        g.reset()
        out.append(g.render(30_000).mix)
        return b"".join(x.tobytes() for x in out)

    assert session() == session()


def test_different_seeds_give_different_music():
    a = generator("synthpop", seed=1).render(SR * 4).mix
    b = generator("synthpop", seed=2).render(SR * 4).mix
    assert a.tobytes() != b.tobytes()


def test_the_random_seed_is_reported_and_reproduces_the_output():
    g = Generator(sample_rate=SR)
    g.set_prompts([WeightedPrompt(text="techno", weight=1.0)])
    first = g.render(SR * 3).mix
    again = generator("techno", seed=g.seed).render(SR * 3).mix
    assert first.tobytes() == again.tobytes()


@pytest.mark.parametrize(("text", "reason"), [("", "empty"), ("   ", "empty"), ("x" * 201, "longer"), ("1234 !!", "no words")])
def test_unusable_prompts_come_back_filtered_with_a_reason(text, reason):
    g = generator("ambient")
    filtered = g.set_prompts([WeightedPrompt(text=text, weight=1.0), WeightedPrompt(text="jazz", weight=1.0)])
    assert len(filtered) == 1
    assert filtered[0].text == text
    assert reason in filtered[0].filtered_reason


def test_when_every_prompt_is_filtered_the_previous_style_stays():
    kept = generator("reggae", seed=3)
    kept.render(SR)
    kept.set_prompts([WeightedPrompt(text="", weight=1.0)])
    plain = generator("reggae", seed=3)
    plain.render(SR)
    assert kept.render(SR * 3).mix.tobytes() == plain.render(SR * 3).mix.tobytes()


def test_unknown_words_resolve_to_music_without_error():
    g = generator("zorbly flarnish groovetronic")
    assert rms_db(g.render(SR * 4).mix) > -30.0


def test_bpm_change_takes_effect_at_the_next_bar_without_reset():
    g = generator("minimal techno", bpm=100)
    g.render(SR * 6)
    g.set_config(LiveMusicGenerationConfig(seed=11, bpm=150))
    g.render(int(SR * 4 * 60 / 100))  # at most one old bar
    assert tempo(g.render(SR * 12).mix, 150) == pytest.approx(150, rel=0.02)


def test_reset_applies_a_pending_tempo_at_once():
    g = generator("minimal techno", bpm=90)
    g.render(SR * 5)
    g.set_config(LiveMusicGenerationConfig(seed=11, bpm=170))
    g.reset()
    head = g.render(int(SR * 3)).mix  # less than two bars at the old tempo
    assert tempo(head, 170) == pytest.approx(170, rel=0.02)


def test_config_replaces_the_whole_config():
    g = generator("minimal techno", bpm=80)
    g.render(SR * 2)
    g.set_config(LiveMusicGenerationConfig(seed=11))  # bpm unset: back to the style's own tempo (126)
    g.render(SR * 3)
    assert tempo(g.render(SR * 12).mix, 126) == pytest.approx(126, rel=0.02)


def _drums_db_around(g: Generator, at: int) -> tuple[float, float]:
    """Drum stem level in the 0.5 s before ``at`` and in 10..500 ms after it."""
    drums = g.render(at + SR, stems=True).stems["drums"]
    return rms_db(drums[at - SR // 2: at]), rms_db(drums[at + SR // 100: at + SR // 2])


def test_scheduled_mute_lands_on_its_frame_inside_an_internal_block():
    g = generator("minimal techno", bpm=120)
    at = SR + 4_321  # not on any block or beat boundary
    g.schedule(at, config=LiveMusicGenerationConfig(seed=11, bpm=120, mute_drums=True))
    before, after = _drums_db_around(g, at)
    assert after <= before - 20.0


def test_immediate_mute_cuts_ringing_drums_at_the_next_block():
    g = generator("minimal techno", bpm=120)
    before = g.render(SR - 1_000, stems=True).stems["drums"][-SR // 2:]  # ends inside an internal block
    g.set_config(LiveMusicGenerationConfig(seed=11, bpm=120, mute_drums=True))
    after = g.render(SR, stems=True).stems["drums"][1_000 + SR // 100: 1_000 + SR // 2]  # from the next block
    assert rms_db(after) <= rms_db(before) - 20.0


def _live(prompts: str, seed: int = 11, **config) -> Generator:
    """A rewindable generator, as a live listener's session has."""
    g = Generator(sample_rate=SR, rewindable=True)
    g.set_prompts([WeightedPrompt(text=prompts, weight=1.0)])
    g.set_config(LiveMusicGenerationConfig(seed=seed, **config))
    return g


CHUNK = 1_920  # a live listener's 40 ms chunks; the internal block holds five
CHANGES = {
    "mute": lambda g: g.set_config(LiveMusicGenerationConfig(seed=11, bpm=124, mute_drums=True)),
    "prompts": lambda g: g.set_prompts([WeightedPrompt(text="ambient", weight=1.0)]),
    "reset": lambda g: g.reset(),
}


def test_a_rewindable_generator_without_changes_renders_the_same_bytes():
    live, plain = _live("drum and bass", bpm=124), generator("drum and bass", bpm=124)
    for _ in range(40):
        assert np.array_equal(live.render(CHUNK, notes=True).mix, plain.render(CHUNK, notes=True).mix)


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_an_untimed_change_on_a_rewindable_generator_lands_at_the_first_frame_not_returned(change):
    """Made mid-block, the change is heard from the next frame, as if it had been scheduled there ahead."""
    live = _live("drum and bass", bpm=124)
    ahead = _live("drum and bass", bpm=124)
    chunks = 33  # 6.6 blocks: the next frame is inside an internal block
    ahead.schedule(chunks * CHUNK, **{"mute": {"config": LiveMusicGenerationConfig(seed=11, bpm=124, mute_drums=True)},
                                      "prompts": {"prompts": [WeightedPrompt(text="ambient", weight=1.0)]},
                                      "reset": {"reset": True}}[change])
    ahead.render(chunks * CHUNK)
    live.render(chunks * CHUNK)
    CHANGES[change](live)
    for _ in range(30):
        a, b = live.render(CHUNK, stems=True, notes=True), ahead.render(CHUNK, stems=True, notes=True)
        assert np.array_equal(a.mix, b.mix)
        assert a.notes == b.notes
        assert all(np.array_equal(a.stems[name], b.stems[name]) for name in a.stems)


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_mid_block_is_synthesized_by_the_next_render_not_when_made(change):
    """The server makes changes on its event loop and renders in a worker thread: the block is synthesized
    again there, so a change never holds up the loop that paces every session."""
    live = _live("drum and bass", bpm=124)
    live.render(33 * CHUNK)  # inside an internal block
    CHANGES[change](live)
    assert (live.settled, live.ahead) == (False, 0)  # a render of the next chunk has work to do: a worker's
    live.render(CHUNK)
    assert live.settled


def test_a_mute_mid_block_is_heard_within_480_frames_of_the_first_frame_not_returned():
    live, unchanged = _live("minimal techno", bpm=120), _live("minimal techno", bpm=120)
    at = 3 * CHUNK + SR  # inside an internal block
    live.render(at), unchanged.render(at)
    CHANGES["mute"](live)
    heard = np.flatnonzero(np.any(live.render(SR).mix != unchanged.render(SR).mix, axis=1))
    assert len(heard) and heard[0] < 480


def test_a_rewindable_generator_returns_each_note_once_across_changes():
    live = _live("funk", bpm=110)
    notes = []
    for i in range(60):
        if i % 7 == 3:
            live.set_config(LiveMusicGenerationConfig(seed=11, bpm=110, mute_drums=i % 14 == 3))
        notes += live.render(CHUNK, notes=True).notes
    assert notes
    assert [n.frame for n in notes] == sorted(n.frame for n in notes)
    assert len(set(notes)) == len(notes)
