"""The setup of a BidiGenerateContent session: generation, voice, tools, activity detection, resumption.

:class:`LiveConnectConfig` is what a caller passes (flat, with the field
names of ``google.genai.types.LiveConnectConfig``, so SDK configs, dicts and
these models all work); :meth:`LiveConnectConfig.setup` turns it into the
:class:`LiveClientSetup` frame, moving the generation fields into
``generationConfig`` as Google's SDK does. Plain Python functions are
accepted as tools and declared from their signature and docstring.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable
from typing import Annotated, Any, get_type_hints

from pydantic import PlainSerializer, TypeAdapter, create_model, field_validator

from livemusic.live.content_parts import Content, ContentModel, camel_keys
from livemusic.wire_model import in_range

#: Free-form JSON objects on the wire whose keys are camelCased at the codec boundary.
CamelDict = Annotated[dict[str, Any], PlainSerializer(camel_keys, when_used="always")]
#: An OpenAPI schema: keys camelCased, property names left as the user wrote them.
SchemaDict = Annotated[dict[str, Any], PlainSerializer(
    lambda value: camel_keys(value, keep=frozenset({"properties"})), when_used="always")]


class Modality(str, enum.Enum):
    TEXT = "TEXT"
    AUDIO = "AUDIO"
    IMAGE = "IMAGE"


class MediaResolution(str, enum.Enum):
    MEDIA_RESOLUTION_UNSPECIFIED = "MEDIA_RESOLUTION_UNSPECIFIED"
    MEDIA_RESOLUTION_LOW = "MEDIA_RESOLUTION_LOW"
    MEDIA_RESOLUTION_MEDIUM = "MEDIA_RESOLUTION_MEDIUM"
    MEDIA_RESOLUTION_HIGH = "MEDIA_RESOLUTION_HIGH"


class StartSensitivity(str, enum.Enum):
    START_SENSITIVITY_UNSPECIFIED = "START_SENSITIVITY_UNSPECIFIED"
    START_SENSITIVITY_HIGH = "START_SENSITIVITY_HIGH"
    START_SENSITIVITY_LOW = "START_SENSITIVITY_LOW"


class EndSensitivity(str, enum.Enum):
    END_SENSITIVITY_UNSPECIFIED = "END_SENSITIVITY_UNSPECIFIED"
    END_SENSITIVITY_HIGH = "END_SENSITIVITY_HIGH"
    END_SENSITIVITY_LOW = "END_SENSITIVITY_LOW"


class ActivityHandling(str, enum.Enum):
    """Whether the user's speech interrupts the model (barge-in, the default)."""

    ACTIVITY_HANDLING_UNSPECIFIED = "ACTIVITY_HANDLING_UNSPECIFIED"
    START_OF_ACTIVITY_INTERRUPTS = "START_OF_ACTIVITY_INTERRUPTS"
    NO_INTERRUPTION = "NO_INTERRUPTION"


class TurnCoverage(str, enum.Enum):
    TURN_COVERAGE_UNSPECIFIED = "TURN_COVERAGE_UNSPECIFIED"
    TURN_INCLUDES_ONLY_ACTIVITY = "TURN_INCLUDES_ONLY_ACTIVITY"
    TURN_INCLUDES_ALL_INPUT = "TURN_INCLUDES_ALL_INPUT"
    TURN_INCLUDES_AUDIO_ACTIVITY_AND_ALL_VIDEO = "TURN_INCLUDES_AUDIO_ACTIVITY_AND_ALL_VIDEO"


# --------------------------------------------------------------------------- voice


class PrebuiltVoiceConfig(ContentModel):
    voice_name: str | None = None


class VoiceConfig(ContentModel):
    prebuilt_voice_config: PrebuiltVoiceConfig | None = None


class SpeechConfig(ContentModel):
    """The voice the model speaks with; a plain string is a prebuilt voice name (``"Kore"``)."""

    voice_config: VoiceConfig | None = None
    language_code: str | None = None

    @classmethod
    def from_any(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"voice_config": {"prebuilt_voice_config": {"voice_name": value}}}
        return value


class ThinkingConfig(ContentModel):
    include_thoughts: bool | None = None
    thinking_budget: int | None = None
    thinking_level: str | None = None


class GenerationConfig(ContentModel):
    """The generation fields of setup (Google's service rejects the ones the Live API does not support)."""

    response_modalities: list[Modality] | None = None
    speech_config: SpeechConfig | None = None
    temperature: Annotated[float | None, in_range(0.0, 2.0)] = None
    top_p: Annotated[float | None, in_range(0.0, 1.0)] = None
    top_k: Annotated[float | None, in_range(1, 1000)] = None
    max_output_tokens: Annotated[int | None, in_range(1, 2**31 - 1)] = None
    seed: int | None = None
    media_resolution: MediaResolution | None = None
    thinking_config: ThinkingConfig | None = None
    enable_affective_dialog: bool | None = None
    candidate_count: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None

    @field_validator("speech_config", mode="before")
    @classmethod
    def _voice_name(cls, value: Any) -> Any:
        return SpeechConfig.from_any(value)

    @field_validator("response_modalities")
    @classmethod
    def _one_modality(cls, value: list[Modality] | None) -> list[Modality] | None:
        if value is not None and len(value) > 1:
            raise ValueError("the Live API takes one response modality per session (TEXT or AUDIO)")
        return value


# --------------------------------------------------------------------------- tools


class FunctionDeclaration(ContentModel):
    """A function the model may call: name, description and its parameters' schema."""

    name: str
    description: str | None = None
    parameters: SchemaDict | None = None
    parameters_json_schema: dict[str, Any] | None = None
    response: SchemaDict | None = None
    response_json_schema: dict[str, Any] | None = None
    behavior: str | None = None

    @classmethod
    def from_callable(cls, function: Callable[..., Any]) -> FunctionDeclaration:
        """Declare ``function`` from its signature (JSON schema of its annotations) and docstring."""
        signature = inspect.signature(function)
        hints = get_type_hints(function)  # resolves string annotations (``from __future__ import annotations``)
        fields: dict[str, Any] = {}
        for name, parameter in signature.parameters.items():
            default = ... if parameter.default is inspect.Parameter.empty else parameter.default
            fields[name] = (hints.get(name, Any), default)
        schema = _without_titles(create_model(function.__name__, **fields).model_json_schema())
        response = _without_titles(TypeAdapter(hints["return"]).json_schema()) if "return" in hints else None
        return cls(name=function.__name__, description=inspect.getdoc(function),
                   parameters_json_schema=schema, response_json_schema=response)


def _without_titles(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {key: _without_titles(value) for key, value in schema.items() if key != "title"}
    if isinstance(schema, list):
        return [_without_titles(item) for item in schema]
    return schema


class Tool(ContentModel):
    """Functions the model may call, or one of Google's built-in tools (search, code execution, ...)."""

    function_declarations: list[FunctionDeclaration] | None = None
    google_search: CamelDict | None = None
    google_search_retrieval: CamelDict | None = None
    code_execution: CamelDict | None = None
    url_context: CamelDict | None = None
    retrieval: CamelDict | None = None
    google_maps: CamelDict | None = None
    file_search: CamelDict | None = None
    computer_use: CamelDict | None = None
    enterprise_web_search: CamelDict | None = None
    mcp_servers: list[CamelDict] | None = None

    @field_validator("function_declarations", mode="before")
    @classmethod
    def _declare_callables(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [FunctionDeclaration.from_callable(item) if callable(item) else item for item in value]
        return value


# --------------------------------------------------------------------------- realtime input, session


class AutomaticActivityDetection(ContentModel):
    """The server's voice activity detection: on unless ``disabled``; sensitivities and timings."""

    disabled: bool | None = None
    start_of_speech_sensitivity: StartSensitivity | None = None
    end_of_speech_sensitivity: EndSensitivity | None = None
    prefix_padding_ms: Annotated[int | None, in_range(0, 2**31 - 1)] = None
    silence_duration_ms: Annotated[int | None, in_range(0, 2**31 - 1)] = None


class RealtimeInputConfig(ContentModel):
    automatic_activity_detection: AutomaticActivityDetection | None = None
    activity_handling: ActivityHandling | None = None
    turn_coverage: TurnCoverage | None = None


class SessionResumptionConfig(ContentModel):
    """Ask for resumption handles; ``handle`` resumes the session it came from."""

    handle: str | None = None


class SlidingWindow(ContentModel):
    target_tokens: Annotated[int | None, in_range(0, 2**63 - 1)] = None


class ContextWindowCompressionConfig(ContentModel):
    """Compress the context when it reaches ``trigger_tokens``, so a session is not limited to 15 minutes."""

    trigger_tokens: Annotated[int | None, in_range(0, 2**63 - 1)] = None
    sliding_window: SlidingWindow | None = None


class AudioTranscriptionConfig(ContentModel):
    """Ask for transcriptions of the user's (input) or the model's (output) audio."""

    language_codes: list[str] | None = None


class ProactivityConfig(ContentModel):
    """Let the model decide not to answer input that is not meant for it (v1alpha)."""

    proactive_audio: bool | None = None


class HistoryConfig(ContentModel):
    initial_history_in_client_content: bool | None = None


class LiveClientSetup(ContentModel):
    """The first frame of a session."""

    model: str
    generation_config: GenerationConfig | None = None
    system_instruction: Content | None = None
    tools: list[Tool] | None = None
    realtime_input_config: RealtimeInputConfig | None = None
    session_resumption: SessionResumptionConfig | None = None
    context_window_compression: ContextWindowCompressionConfig | None = None
    input_audio_transcription: AudioTranscriptionConfig | None = None
    output_audio_transcription: AudioTranscriptionConfig | None = None
    proactivity: ProactivityConfig | None = None
    history_config: HistoryConfig | None = None
    safety_settings: list[CamelDict] | None = None


#: The fields of :class:`LiveConnectConfig` that go into ``generationConfig``.
GENERATION_FIELDS = ("response_modalities", "speech_config", "temperature", "top_p", "top_k", "max_output_tokens",
                     "seed", "media_resolution", "thinking_config", "enable_affective_dialog")


class LiveConnectConfig(ContentModel):
    """Everything a session is set up with, flat as in ``google.genai.types.LiveConnectConfig``.

    ``tools`` may hold Python functions (declared from their signature);
    ``system_instruction`` may be a string; ``speech_config`` may be a voice name.
    """

    generation_config: GenerationConfig | None = None
    response_modalities: list[Modality] | None = None
    speech_config: SpeechConfig | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: float | None = None
    max_output_tokens: int | None = None
    seed: int | None = None
    media_resolution: MediaResolution | None = None
    thinking_config: ThinkingConfig | None = None
    enable_affective_dialog: bool | None = None
    system_instruction: Content | None = None
    tools: list[Tool] | None = None
    realtime_input_config: RealtimeInputConfig | None = None
    session_resumption: SessionResumptionConfig | None = None
    context_window_compression: ContextWindowCompressionConfig | None = None
    input_audio_transcription: AudioTranscriptionConfig | None = None
    output_audio_transcription: AudioTranscriptionConfig | None = None
    proactivity: ProactivityConfig | None = None
    history_config: HistoryConfig | None = None
    safety_settings: list[CamelDict] | None = None

    @field_validator("speech_config", mode="before")
    @classmethod
    def _voice_name(cls, value: Any) -> Any:
        return SpeechConfig.from_any(value)

    @field_validator("tools", mode="before")
    @classmethod
    def _function_tools(cls, value: Any) -> Any:
        """Bare Python functions in ``tools`` become one function-declarations tool, last (as in Google's SDK)."""
        if isinstance(value, (list, tuple)):
            functions = [item for item in value if callable(item) and not isinstance(item, type)]
            others = [item for item in value if not (callable(item) and not isinstance(item, type))]
            return others + ([{"function_declarations": functions}] if functions else [])
        return value

    def setup(self, model: str) -> LiveClientSetup:
        """The setup frame for ``model`` (``models/`` is prefixed to a bare name)."""
        generation = self.generation_config.model_dump(exclude_none=True) if self.generation_config else {}
        for name in GENERATION_FIELDS:
            value = getattr(self, name)
            if value is not None:
                generation[name] = value
        rest = {name: getattr(self, name) for name in LiveClientSetup.model_fields
                if name not in ("model", "generation_config") and getattr(self, name) is not None}
        return LiveClientSetup(model=model if model.startswith(("models/", "tunedModels/")) else f"models/{model}",
                               generation_config=GenerationConfig.parse(generation) if generation else None,
                               **rest)
