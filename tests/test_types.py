"""The wire models: casing, ranges, foreign objects, tolerance of unknown server keys."""

import pytest
from google.genai import types as genai_types

from livemusic.errors import InvalidConfigError
from livemusic.types import (
    LiveMusicClientMessage,
    LiveMusicGenerationConfig,
    LiveMusicServerMessage,
    MusicGenerationMode,
    Scale,
    WeightedPrompt,
    prompts_from,
)

RANGES = {
    "temperature": (0.0, 3.0),
    "top_k": (1, 1000),
    "guidance": (0.0, 6.0),
    "bpm": (60, 200),
    "density": (0.0, 1.0),
    "brightness": (0.0, 1.0),
}


def test_config_serializes_camel_case_without_unset_fields():
    config = LiveMusicGenerationConfig(top_k=40, bpm=120, mute_bass=True, scale=Scale.C_MAJOR_A_MINOR)
    assert config.to_wire() == {"topK": 40, "bpm": 120, "muteBass": True, "scale": "C_MAJOR_A_MINOR"}


def test_config_accepts_camel_and_snake_case_keys():
    assert LiveMusicGenerationConfig.parse({"topK": 3, "only_bass_and_drums": True}) == \
        LiveMusicGenerationConfig(top_k=3, only_bass_and_drums=True)


@pytest.mark.parametrize("field", sorted(RANGES))
def test_out_of_range_value_names_the_field_and_range(field):
    lo, hi = RANGES[field]
    with pytest.raises(InvalidConfigError) as info:
        LiveMusicGenerationConfig.parse({field: hi + 1})
    message = str(info.value)
    assert message.startswith(f"{LiveMusicGenerationConfig.model_fields[field].alias}: must be between")
    assert f"{lo} and {hi}" in message
    assert info.value.field == LiveMusicGenerationConfig.model_fields[field].alias


@pytest.mark.parametrize("field", sorted(RANGES))
def test_range_bounds_are_inclusive(field):
    lo, hi = RANGES[field]
    assert getattr(LiveMusicGenerationConfig.parse({field: lo}), field) == lo
    assert getattr(LiveMusicGenerationConfig.parse({field: hi}), field) == hi


def test_unknown_config_field_is_rejected_by_name():
    with pytest.raises(InvalidConfigError, match="bpmm: unknown field"):
        LiveMusicGenerationConfig.parse({"bpmm": 100})


def test_unknown_scale_lists_the_allowed_values():
    with pytest.raises(InvalidConfigError, match="scale: must be one of .*C_MAJOR_A_MINOR"):
        LiveMusicGenerationConfig.parse({"scale": "H_MAJOR"})


def test_zero_weight_is_rejected():
    with pytest.raises(InvalidConfigError, match=r"weightedPrompts\.0\.weight: must not be 0"):
        prompts_from([{"text": "jazz", "weight": 0}])


def test_prompts_accept_a_text_to_weight_mapping():
    assert prompts_from({"jazz": 1.0, "piano": 0.5}) == [WeightedPrompt(text="jazz", weight=1.0),
                                                        WeightedPrompt(text="piano", weight=0.5)]


def test_google_sdk_objects_are_accepted_where_models_are_expected():
    sdk_config = genai_types.LiveMusicGenerationConfig(
        bpm=90, scale=genai_types.Scale.D_MAJOR_B_MINOR, music_generation_mode="DIVERSITY", top_k=7)
    config = LiveMusicGenerationConfig.parse(sdk_config)
    assert (config.bpm, config.scale, config.music_generation_mode, config.top_k) == \
        (90, Scale.D_MAJOR_B_MINOR, MusicGenerationMode.DIVERSITY, 7)
    assert prompts_from([genai_types.WeightedPrompt(text="x", weight=0.5)]) == [WeightedPrompt(text="x", weight=0.5)]


def test_merged_changes_one_field_and_keeps_the_rest():
    config = LiveMusicGenerationConfig(bpm=100, density=0.3)
    assert config.merged(density=0.8) == LiveMusicGenerationConfig(bpm=100, density=0.8)


def test_merged_validates_the_change():
    with pytest.raises(InvalidConfigError, match="bpm"):
        LiveMusicGenerationConfig(bpm=100).merged(bpm=20)


def test_client_message_must_hold_exactly_one_payload():
    with pytest.raises(InvalidConfigError, match="exactly one"):
        LiveMusicClientMessage.parse({"playbackControl": "PLAY", "setup": {"model": "m"}})


def test_server_message_ignores_unknown_keys_and_decodes_base64():
    message = LiveMusicServerMessage.model_validate({
        "serverContent": {"audioChunks": [{"data": "Z2VsYmFuYW5h", "mimeType": "audio/l16", "newField": 1}]},
        "usageMetadata": {"x": 1},
    })
    assert message.audio_chunks[0].data == b"gelbanana"


def test_server_warning_is_kept():
    assert LiveMusicServerMessage.model_validate({"warning": "slow down"}).warning == "slow down"


def test_scale_pitch_classes_are_the_major_scale_on_its_tonic():
    assert Scale.C_MAJOR_A_MINOR.pitch_classes == (0, 2, 4, 5, 7, 9, 11)
    assert Scale.G_MAJOR_E_MINOR.pitch_classes == (0, 2, 4, 6, 7, 9, 11)
    assert Scale.SCALE_UNSPECIFIED.pitch_classes is None

