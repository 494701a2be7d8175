"""Time values in presets: seconds, mm:ss, bars and beats."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livemusic.timeparse import DEFAULT_BPM, TimeValue, format_time, parse_time


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(90, 90.0), (1.5, 1.5), ("90", 90.0), ("90s", 90.0), ("1.5s", 1.5), ("1.5 sec", 1.5),
     ("500ms", 0.5), ("01:30", 90.0), ("1:30.25", 90.25), ("1:02:03", 3723.0), (" 2:00 ", 120.0)],
)
def test_seconds_and_clock_forms_parse_to_seconds(text, seconds):
    value = parse_time(text)
    assert value.unit == "s"
    assert value.amount == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "unit", "amount"),
    [("32 bars", "bar", 32), ("1 bar", "bar", 1), ("6 beats", "beat", 6), ("0.5 beat", "beat", 0.5),
     ("8BARS", "bar", 8)],
)
def test_bars_and_beats_stay_musical(text, unit, amount):
    value = parse_time(text)
    assert (value.unit, value.amount, value.is_musical) == (unit, amount, True)


@pytest.mark.parametrize(("bpm", "seconds"), [(60, 8.0), (120, 4.0), (90, 8 / 1.5), (174, 480 / 174)])
def test_two_bars_last_eight_beats_at_the_given_bpm(bpm, seconds):
    assert parse_time("2 bars").to_seconds(bpm) == pytest.approx(seconds)


def test_bars_default_to_120_bpm():
    assert DEFAULT_BPM == 120
    assert parse_time("1 bar").to_seconds() == pytest.approx(2.0)


@pytest.mark.parametrize("text", ["1 minute", "-5", "abc", "1:75", "1:2:3:4", "", "5 bars ago", "nan"])
def test_unparseable_times_are_rejected_with_the_accepted_forms(text):
    with pytest.raises(ValueError, match="mm:ss"):
        parse_time(text)


@pytest.mark.parametrize("value", [True, None, [1], -1.0, float("inf")])
def test_non_time_values_are_rejected(value):
    with pytest.raises(ValueError):
        parse_time(value)


@given(st.floats(min_value=0, max_value=100_000, allow_nan=False))
def test_format_then_parse_round_trips_to_the_millisecond(seconds):
    # Half a millisecond exactly (0.0625 -> 0.062) is within "to the millisecond": allow float error on top.
    assert parse_time(format_time(seconds)).amount == pytest.approx(seconds, abs=0.0005 + 1e-9)


@given(st.integers(min_value=0, max_value=600), st.integers(min_value=0, max_value=59))
def test_mm_ss_round_trips(minutes, seconds):
    text = f"{minutes:02d}:{seconds:02d}"
    assert parse_time(text).amount == minutes * 60 + seconds
    assert parse_time(format_time(minutes * 60 + seconds)).amount == minutes * 60 + seconds


@given(st.floats(min_value=0, max_value=10_000, allow_nan=False))
def test_seconds_with_suffix_round_trip(seconds):
    assert parse_time(f"{seconds!r}s").amount == seconds


@given(st.integers(min_value=1, max_value=512), st.integers(min_value=60, max_value=200))
def test_bars_are_four_beats_at_any_bpm(bars, bpm):
    assert parse_time(f"{bars} bars").to_seconds(bpm) == pytest.approx(parse_time(f"{bars * 4} beats").to_seconds(bpm))
    assert parse_time(f"{bars} bars").to_seconds(bpm) == pytest.approx(bars * 240 / bpm)


def test_time_value_keeps_its_text_for_messages():
    assert str(parse_time("32 bars")) == "32 bars"
    assert str(TimeValue(90.0)) == "1:30"
