"""The server's per-session message queue (MusicSession), without sockets."""

import numpy as np
import pytest

from livemusic.engine.generator import STEM_NAMES, Block
from livemusic.live import codec
from livemusic.server import MusicSession, Pacing
from livemusic.types import (
    LiveMusicClientContent,
    LiveMusicClientMessage,
    LiveMusicGenerationConfig,
    PlaybackControl,
    PlaybackState,
    WeightedPrompt,
)


def config(bpm: int, at: int | None = None) -> LiveMusicClientMessage:
    return LiveMusicClientMessage(music_generation_config=LiveMusicGenerationConfig(bpm=bpm), livemusic_at=at)


def test_untimed_message_after_a_timed_one_wins_when_both_are_due():
    session = MusicSession(Pacing())
    session.submit(config(150, at=9_600))
    session.position = 19_200
    session.submit(config(100))
    session.apply_due()
    assert session.config.bpm == 100


def test_timed_message_waits_for_its_position():
    session = MusicSession(Pacing())
    session.playback = PlaybackState.PLAYING
    session.submit(config(150, at=9_600))
    session.apply_due()
    assert session.config.bpm is None
    session.position = 9_600
    session.apply_due()
    assert session.config.bpm == 150


def test_timed_play_applies_while_stopped_even_behind_a_timed_config():
    session = MusicSession(Pacing())
    session.submit(config(150, at=10_000))
    session.submit(LiveMusicClientMessage(playback_control=PlaybackControl.PLAY, livemusic_at=20_000))
    session.apply_due()
    assert session.playback is PlaybackState.PLAYING
    assert session.config.bpm is None  # the config still waits for its position


def test_chunks_never_cross_the_generators_internal_blocks():
    session = MusicSession(Pacing(chunk_ms=300))
    session.position = 1_000
    assert session.next_chunk_sizes() == [session.generator.block - 1_000]


def test_a_batch_of_chunks_stops_where_a_timed_message_falls_due():
    session = MusicSession(Pacing(chunk_ms=100))  # 4_800 frames
    session.playback = PlaybackState.PLAYING
    session.submit(config(150, at=12_000))
    assert session.next_chunk_sizes(5) == [4_800, 4_800, 2_400]


def test_a_batch_render_stops_after_the_chunk_during_which_a_message_arrived():
    session = MusicSession(Pacing())
    rendered = []

    def render(frames, stems=False, notes=False):
        rendered.append(frames)
        if len(rendered) == 2:
            session.submit(config(100))  # arrives while the second chunk renders
        return frames

    session.generator.render = render
    assert session.render([9_600] * 5) == [9_600, 9_600]


def prompts(*texts: str) -> LiveMusicClientMessage:
    return LiveMusicClientMessage(client_content=LiveMusicClientContent(
        weighted_prompts=[WeightedPrompt(text=text, weight=0.5 + i) for i, text in enumerate(texts)]))


def applied(message: LiveMusicClientMessage):
    def change(session: MusicSession) -> None:
        session.submit(message)
        session.apply_due()
    return change


def config_message(**fields) -> LiveMusicClientMessage:
    return LiveMusicClientMessage(music_generation_config=LiveMusicGenerationConfig(**fields))


def random_block(rng: np.random.Generator, stems: bool) -> Block:
    def pcm() -> np.ndarray:
        return rng.integers(-2**15, 2**15, (9_600, 2), dtype=np.int16)
    return Block(pcm(), {name: pcm() for name in STEM_NAMES} if stems else None)


CHANGES = {
    "nothing": lambda session: None,
    "prompts": applied(prompts("minimal techno", "rhodes piano")),
    "prompts with quotes and unicode": applied(prompts('say "hi" \\ ünïcode ♪ \x00livemusic-0-0\x00', "jazz")),
    "config": applied(config_message(bpm=150, density=0.25, scale="D_MAJOR_B_MINOR", mute_drums=True)),
    "seed": lambda session: session.generator.set_config(LiveMusicGenerationConfig(seed=9)),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
@pytest.mark.parametrize(("extended", "stems"), [(False, False), (True, False), (True, True)],
                         ids=["plain", "position", "stems"])
def test_chunk_frame_is_the_encoded_chunk_message_before_and_after_a_change(extended, stems, change):
    session = MusicSession(Pacing(), stems=stems, extended=extended)
    applied(prompts("funk"))(session)
    rng = np.random.default_rng(0)
    for chunk in range(6):
        if chunk == 3:
            change(session)
        block = random_block(rng, stems)
        expected = codec.encode(session.chunk_message(block))
        assert session.chunk_frame(block) == expected
    assert session.position == 6 * 9_600


def test_chunk_frame_follows_a_config_that_is_equal_but_encodes_differently():
    session = MusicSession(Pacing())
    rng = np.random.default_rng(0)
    for temperature in (0.0, -0.0):  # equal values, "0.0" and "-0.0" on the wire
        applied(config_message(temperature=temperature))(session)
        block = random_block(rng, stems=False)
        expected = codec.encode(session.chunk_message(block))
        assert session.chunk_frame(block) == expected


def playing(pacing: Pacing) -> MusicSession:
    session = MusicSession(pacing)
    session.submit(LiveMusicClientMessage(playback_control=PlaybackControl.PLAY))
    session.apply_due()
    return session


def test_a_live_listeners_40_ms_chunks_come_from_a_block_rendered_once():
    session = playing(Pacing(chunk_ms=40))
    first = session.next_chunk_sizes()
    assert not session.rendered(first)
    session.chunk_frame(session.render(first)[0])
    for _ in range(4):  # the rest of the 200 ms block is there already
        assert session.rendered(sizes := session.next_chunk_sizes())
        session.chunk_frame(session.render(sizes)[0])


def test_the_next_block_is_rendered_ahead_once_a_live_listeners_block_is_sent():
    session = playing(Pacing(chunk_ms=40))
    for _ in range(5):
        session.chunk_frame(session.render(session.next_chunk_sizes())[0])
        assert session.renders_ahead() == (session.position % session.generator.block == 0)
    session.generator.synthesize_ahead()
    assert session.rendered(session.next_chunk_sizes())


def test_sessions_sent_whole_blocks_render_nothing_ahead():
    session = playing(Pacing())  # 200 ms chunks: each block is sent as it is made
    session.chunk_frame(session.render(session.next_chunk_sizes())[0])
    assert not session.renders_ahead()
