"""The one-line status of play and the REPL never wraps on the terminal."""

from livemusic.stage import fit


def test_a_long_status_line_is_cut_to_the_terminal_width_with_a_mark():
    line = "00:12.5 bar 7.2 | 126 bpm | buf  98 ms | underruns 0 | " + ", ".join(f"prompt {i} 0.50" for i in range(9))
    cut = fit(line, 80)
    assert len(cut) == 79 and cut.endswith("…") and line.startswith(cut[:-1])


def test_a_short_status_line_is_left_alone():
    assert fit("00:01.0 bar 1.1 | 120 bpm", 80) == "00:01.0 bar 1.1 | 120 bpm"
