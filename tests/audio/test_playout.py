"""The virtual player that counts what a real player with a buffer would have missed."""

from livemusic.audio.playout import Playout


def test_playback_starts_once_the_buffer_is_in_and_steady_chunks_are_no_underrun():
    playout = Playout(0.2, sample_rate=1000)
    for i in range(10):
        playout.arrive(0.15 + i * 0.1, 100)
    assert playout.underruns == 0
    assert abs(playout.lead_s(1.05) - 0.2) < 1e-9  # started at 0.25 with 0.2 s in


def test_a_chunk_later_than_the_buffer_is_one_underrun_of_its_lateness():
    playout = Playout(0.2, sample_rate=1000)
    playout.arrive(0.0, 200)  # plays 0.0-0.2
    playout.arrive(0.5, 100)  # due at 0.2
    assert playout.underruns == 1 and abs(playout.underrun_s - 0.3) < 1e-9


def test_after_an_underrun_playback_carries_on_from_the_late_chunk():
    playout = Playout(0.2, sample_rate=1000)
    playout.arrive(0.0, 200)
    playout.arrive(0.5, 100)  # plays 0.5-0.6
    playout.arrive(0.6, 100)  # due at 0.6: in time
    assert playout.underruns == 1
    assert abs(playout.lead_s(0.6) - 0.1) < 1e-9
