"""The stage: the status line never wraps; the chunk asked of the engine follows the buffer."""

from livemusic.stage import fit


def test_a_long_status_line_is_cut_to_the_terminal_width_with_a_mark():
    line = "00:12.5 bar 7.2 | 126 bpm | buf  98 ms | underruns 0 | " + ", ".join(f"prompt {i} 0.50" for i in range(9))
    cut = fit(line, 80)
    assert len(cut) == 79 and cut.endswith("…") and line.startswith(cut[:-1])


def test_a_short_status_line_is_left_alone():
    assert fit("00:01.0 bar 1.1 | 120 bpm", 80) == "00:01.0 bar 1.1 | 120 bpm"


def test_the_chunk_asked_of_the_engine_follows_the_buffer_target():
    from livemusic.stage import chunk_ms_for

    assert chunk_ms_for("embedded") == 40  # the 100 ms default: changes heard soon
    assert chunk_ms_for("embedded", 400) == 200  # a roomy buffer: cheaper large chunks
    assert chunk_ms_for("gemini", 2000) is None  # the hosted model chunks as it likes
