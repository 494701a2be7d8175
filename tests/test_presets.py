"""YAML presets: schema, time resolution, and errors that name file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from livemusic.errors import PresetError
from livemusic.presets import Preset, load_preset, parse_preset
from livemusic.types import LiveMusicGenerationConfig, PlaybackControl, Scale, WeightedPrompt

PRESETS = Path(__file__).resolve().parent.parent / "presets"
SHIPPED = sorted(PRESETS.glob("*.yaml"))


def write(tmp_path: Path, text: str, name: str = "x.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> tuple[Path, PresetError]:
    path = write(tmp_path, text)
    with pytest.raises(PresetError) as info:
        load_preset(path)
    return path, info.value


def load_text(text: str) -> Preset:
    return parse_preset(textwrap.dedent(text))


# --------------------------------------------------------------------------- shipped presets


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_preset_loads_with_a_timeline_of_one_to_ten_minutes(path):
    preset = load_preset(path)
    timeline = preset.resolved_timeline()
    assert preset.name and preset.description
    assert 60 <= timeline.duration <= 600
    assert timeline.cues


def test_at_least_eight_presets_in_distinct_styles_are_shipped():
    names = {p.name for p in SHIPPED}
    expected = {"lofi-hip-hop.yaml", "minimal-techno.yaml", "ambient-drone.yaml", "jazz-trio.yaml",
                "orchestral-score.yaml", "drum-and-bass.yaml", "funk.yaml", "long-form-journey.yaml"}
    assert expected <= names
    bpms = {load_preset(p).bpm for p in SHIPPED}
    assert len(bpms) >= 7


def test_long_form_preset_changes_bpm_fades_and_mutes():
    timeline = load_preset(PRESETS / "long-form-journey.yaml").resolved_timeline()
    assert len({bpm for _, bpm in timeline.tempo.changes}) >= 3
    assert any(c.fade > 0 for c in timeline.cues)
    assert any(c.config.mute_drums or c.config.only_bass_and_drums for c in timeline.cues)


# --------------------------------------------------------------------------- errors


def test_bad_bpm_names_file_line_and_field(tmp_path):
    path, error = load_error(tmp_path, """
        prompts: {Minimal Techno: 1.0}
        timeline:
          - at: 10
            prompts: {Minimal Techno: 1.0}
          - at: 20
            config: {density: 0.5}
          - at: 30
            config:
              bpm: 300
        """)
    assert str(error) == f"{path}:9: timeline[2].config.bpm: must be between 60 and 200, got 300"
    assert (error.path, error.line, error.field) == (str(path), 9, "timeline[2].config.bpm")


def test_zero_weight_names_file_line_and_prompt(tmp_path):
    path, error = load_error(tmp_path, """
        prompts:
          Minimal Techno: 1.0
          Rhodes Piano: 0
        """)
    assert str(error).startswith(f"{path}:3: prompts['Rhodes Piano']: must not be 0")


def test_zero_weight_in_list_form_names_its_line(tmp_path):
    path, error = load_error(tmp_path, """
        prompts:
          - {text: Funk, weight: 1}
          - text: Slap Bass
            weight: 0.0
        """)
    assert str(error).startswith(f"{path}:4: prompts[1].weight: must not be 0")


def test_unknown_field_names_file_line_and_lists_the_known_ones(tmp_path):
    path, error = load_error(tmp_path, """
        prompts: {Funk: 1}
        timeline:
          - at: 5
            contrl: PAUSE
        """)
    assert str(error).startswith(f"{path}:4: timeline[0].contrl: unknown field (expected one of: at, config, control")


def test_unknown_config_field_names_file_line_and_field(tmp_path):
    path, error = load_error(tmp_path, """
        prompts: {Funk: 1}
        config:
          bpm: 100
          mute_drum: true
        """)
    assert str(error).startswith(f"{path}:4: config.mute_drum: unknown field")


def test_bad_time_string_names_file_line_and_field(tmp_path):
    path, error = load_error(tmp_path, """
        prompts: {Funk: 1}
        timeline:
          - at: 1 minute
            control: PAUSE
        """)
    assert str(error).startswith(f"{path}:3: timeline[0].at: must be a time")
    assert "'1 minute'" in str(error)


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path, error = load_error(tmp_path, """
        name: broken
        prompts: {Funk: 1
        config: [
        """)
    assert str(error).startswith(f"{path}:3: YAML syntax error")
    assert error.line == 3


def test_keyframe_beyond_duration_names_file_line_and_field(tmp_path):
    path, error = load_error(tmp_path, """
        prompts: {Funk: 1}
        duration: "2:00"
        timeline:
          - at: 60
            control: PAUSE
          - at: 2:30
            control: PLAY
        """)
    assert str(error).startswith(f"{path}:6: timeline[1].at: ")
    assert "after the end of the preset" in str(error)


def test_keyframe_in_bars_beyond_duration_says_where_it_falls(tmp_path):
    path, error = load_error(tmp_path, """
        config: {bpm: 120}
        prompts: {Funk: 1}
        duration: 60
        timeline:
          - at: 32 bars
            control: PAUSE
        """)
    assert str(error) == (
        f"{path}:5: timeline[0].at: 32 bars (= 1:04) is after the end of the preset (duration 60)"
    )


def test_keyframe_before_the_previous_one_is_rejected(tmp_path):
    path, error = load_error(tmp_path, """
        prompts: {Funk: 1}
        timeline:
          - at: "1:00"
            control: PAUSE
          - at: 10 bars
            control: PLAY
        """)
    assert str(error).startswith(f"{path}:5: timeline[1].at: 10 bars (= 0:20) is before the previous keyframe")


def test_keyframe_that_changes_nothing_is_rejected(tmp_path):
    path, error = load_error(tmp_path, """
        prompts: {Funk: 1}
        timeline:
          - at: 10
            fade: 2
        """)
    assert str(error) == f"{path}:3: timeline[0]: a keyframe must set prompts, config or control"


def test_empty_prompt_set_is_rejected(tmp_path):
    path, error = load_error(tmp_path, "prompts: {}\n")
    assert str(error).startswith(f"{path}:1: prompts: must hold at least one prompt")


def test_missing_prompts_is_reported(tmp_path):
    path, error = load_error(tmp_path, "name: nothing\n")
    assert str(error) == f"{path}:1: prompts: required field is missing"


def test_duplicate_key_is_rejected(tmp_path):
    path, error = load_error(tmp_path, """
        prompts: {Funk: 1}
        config:
          bpm: 100
          bpm: 110
        """)
    assert str(error) == f"{path}:4: bpm: duplicate key"


def test_every_error_is_listed_one_per_line(tmp_path):
    path, error = load_error(tmp_path, """
        config: {bpm: 20, density: 2}
        prompts: {Funk: 1}
        """)
    lines = str(error).splitlines()
    assert [line.split(": ")[1] for line in lines] == ["config.bpm", "config.density"]


def test_missing_file_is_a_preset_error(tmp_path):
    with pytest.raises(PresetError, match="no such preset file"):
        load_preset(tmp_path / "absent.yaml")


def test_top_level_list_is_rejected(tmp_path):
    path, error = load_error(tmp_path, "- Funk\n")
    assert str(error).startswith(f"{path}:1: a preset must be a mapping")


# --------------------------------------------------------------------------- schema


def test_name_defaults_to_the_file_stem(tmp_path):
    assert load_preset(write(tmp_path, "prompts: {Funk: 1}\n", "my-set.yaml")).name == "my-set"


def test_defaults_model_backend_and_empty_timeline():
    preset = load_text("prompts: {Funk: 1}")
    assert preset.model == "models/lyria-realtime-exp"
    assert preset.backend is None and preset.timeline == [] and preset.duration is None


def test_camel_case_and_snake_case_config_keys_are_equivalent():
    camel = load_text("prompts: {Funk: 1}\nconfig: {topK: 50, muteDrums: true, onlyBassAndDrums: false}")
    snake = load_text("prompts: {Funk: 1}\nconfig: {top_k: 50, mute_drums: true, only_bass_and_drums: false}")
    assert camel.config == snake.config == LiveMusicGenerationConfig(top_k=50, mute_drums=True,
                                                                     only_bass_and_drums=False)


def test_prompts_accept_mapping_list_and_bare_strings():
    expected = [WeightedPrompt(text="Funk", weight=1.0), WeightedPrompt(text="Slap Bass", weight=0.5)]
    assert load_text("prompts: {Funk: 1, Slap Bass: 0.5}").prompts == expected
    assert load_text("prompts: [{text: Funk}, {text: Slap Bass, weight: 0.5}]").prompts == expected
    assert load_text("prompts: [Funk]").prompts == expected[:1]


def test_control_and_quantize_are_case_insensitive():
    preset = load_text("""
        prompts: {Funk: 1}
        timeline:
          - {at: 4, control: pause, quantize: BAR}
        """)
    assert preset.timeline[0].control is PlaybackControl.PAUSE
    assert preset.timeline[0].quantize == "bar"


def test_websocket_url_must_be_ws_or_wss(tmp_path):
    path, error = load_error(tmp_path, "prompts: {Funk: 1}\nurl: http://host:8000\n")
    assert str(error).startswith(f"{path}:2: url: must be a ws:// or wss:// URL")


def test_to_yaml_round_trips():
    preset = load_preset(PRESETS / "minimal-techno.yaml")
    assert parse_preset(preset.to_yaml()) == preset


# --------------------------------------------------------------------------- resolution


def test_bars_follow_the_bpm_history():
    timeline = load_text("""
        config: {bpm: 120}
        prompts: {Funk: 1}
        timeline:
          - at: 8 bars          # 16 s at 120 bpm
            config: {bpm: 60}
          - at: 10 bars         # then 2 bars at 60 bpm: 8 s more
            control: RESET_CONTEXT
        duration: 12 bars       # and 2 more: 8 s
        """).resolved_timeline()
    assert [c.time for c in timeline.cues] == pytest.approx([16.0, 24.0])
    assert timeline.duration == pytest.approx(32.0)


def test_bars_default_to_120_bpm_without_a_bpm():
    timeline = load_text("prompts: {Funk: 1}\ntimeline: [{at: 4 bars, control: PAUSE}]").resolved_timeline()
    assert timeline.cues[0].time == pytest.approx(8.0)


def test_quantize_bar_moves_a_keyframe_to_the_next_bar():
    timeline = load_text("""
        config: {bpm: 100}       # a bar lasts 2.4 s
        prompts: {Funk: 1}
        timeline:
          - {at: 5, control: RESET_CONTEXT, quantize: bar}
          - {at: 9.6, control: RESET_CONTEXT, quantize: bar}
          - {at: 10, control: RESET_CONTEXT, quantize: beat}
        """).resolved_timeline()
    assert [c.time for c in timeline.cues] == pytest.approx([7.2, 9.6, 10.2])


def test_fade_in_bars_uses_the_bpm_set_by_its_keyframe():
    timeline = load_text("""
        config: {bpm: 120}
        prompts: {Funk: 1}
        timeline:
          - at: 10
            config: {bpm: 60}
            prompts: {Disco: 1}
            fade: 2 bars
        """).resolved_timeline()
    assert timeline.cues[0].fade == pytest.approx(8.0)


def test_cues_hold_the_merged_config_and_prompts_in_effect():
    timeline = load_text("""
        config: {bpm: 100, density: 0.5, scale: G_MAJOR_E_MINOR}
        prompts: {Funk: 1}
        timeline:
          - {at: 10, config: {mute_drums: true}}
          - {at: 20, prompts: {Disco: 0.5}}
          - {at: 30, config: {density: 0.8}}
        """).resolved_timeline()
    last = timeline.cues[-1]
    assert last.config == LiveMusicGenerationConfig(bpm=100, density=0.8, scale=Scale.G_MAJOR_E_MINOR,
                                                    mute_drums=True)
    assert last.prompts == (WeightedPrompt(text="Disco", weight=0.5),)
    assert [(c.sets_prompts, c.sets_config) for c in timeline.cues] == [(False, True), (True, False), (False, True)]


def test_prompt_left_out_of_a_keyframe_fades_out_and_is_dropped():
    timeline = load_text("""
        prompts: {Funk: 1, Slap Bass: 1}
        timeline:
          - {at: 10, prompts: {Funk: 1}, fade: 4}
        """).resolved_timeline()
    assert {p.text: p.weight for p in timeline.prompts_at(12)} == {"Funk": 1.0, "Slap Bass": 0.5}
    assert [p.text for p in timeline.prompts_at(14)] == ["Funk"]


def test_resolved_timeline_errors_without_a_file_still_name_the_field():
    preset = Preset.model_validate({"prompts": {"Funk": 1}, "duration": 10,
                                    "timeline": [{"at": 20, "control": "PAUSE"}]})
    with pytest.raises(PresetError, match=r"^timeline\[0\]\.at: 20 is after the end"):
        preset.resolved_timeline()
