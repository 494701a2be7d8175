"""The server's per-session message queue (MusicSession), without sockets."""

from livemusic.engine.server import MusicSession, Pacing, Playback
from livemusic.types import LiveMusicClientMessage, LiveMusicGenerationConfig, PlaybackControl


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
    session.playback = Playback.PLAYING
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
    assert session.playback is Playback.PLAYING
    assert session.config.bpm is None  # the config still waits for its position


def test_chunks_never_cross_the_generators_internal_blocks():
    session = MusicSession(Pacing(chunk_ms=300))
    session.position = 1_000
    assert session.next_chunk_sizes() == [session.generator.block - 1_000]


def test_a_batch_of_chunks_stops_where_a_timed_message_falls_due():
    session = MusicSession(Pacing(chunk_ms=100))  # 4_800 frames
    session.playback = Playback.PLAYING
    session.submit(config(150, at=12_000))
    assert session.next_chunk_sizes(5) == [4_800, 4_800, 2_400]


def test_a_batch_render_stops_after_the_chunk_during_which_a_message_arrived():
    session = MusicSession(Pacing())
    rendered = []

    def render(frames, stems=False):
        rendered.append(frames)
        if len(rendered) == 2:
            session.submit(config(100))  # arrives while the second chunk renders
        return frames

    session.generator.render = render
    assert session.render([9_600] * 5) == [9_600, 9_600]
