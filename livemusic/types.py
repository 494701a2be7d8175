"""Pydantic models for every BidiGenerateMusic message, in both directions.

Python names are snake_case; the wire is camelCase (both spellings are
accepted on input, as Google's service does). Ranges are enforced with
errors that name the field and the allowed range. Wherever a model is
expected, a plain dict or the equivalent ``google.genai.types`` object is
accepted too, so code written for Google's SDK works unchanged (all of this
is the models' base, :mod:`livemusic.wire_model`).

Client models forbid unknown keys (Google's service rejects them); server
models ignore unknown keys (a client must tolerate new fields).
"""

from __future__ import annotations

import binascii
import math
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal

from pybase64 import b64decode, b64encode_as_string
from pydantic import StringConstraints, field_serializer, field_validator, model_validator

from livemusic.playback import CHANNELS, SAMPLE_RATE, PlaybackControl, PlaybackState  # noqa: F401 - re-exported
from livemusic.wire_model import ServerModel, WireModel, in_range

MIME_TYPE = f"audio/l16;rate={SAMPLE_RATE};channels={CHANNELS}"
DEFAULT_MODEL = "models/lyria-realtime-exp"


class Scale(str, Enum):
    """The 12 keys of the protocol (relative major/minor share one value)."""

    C_MAJOR_A_MINOR = "C_MAJOR_A_MINOR"
    D_FLAT_MAJOR_B_FLAT_MINOR = "D_FLAT_MAJOR_B_FLAT_MINOR"
    D_MAJOR_B_MINOR = "D_MAJOR_B_MINOR"
    E_FLAT_MAJOR_C_MINOR = "E_FLAT_MAJOR_C_MINOR"
    E_MAJOR_D_FLAT_MINOR = "E_MAJOR_D_FLAT_MINOR"
    F_MAJOR_D_MINOR = "F_MAJOR_D_MINOR"
    G_FLAT_MAJOR_E_FLAT_MINOR = "G_FLAT_MAJOR_E_FLAT_MINOR"
    G_MAJOR_E_MINOR = "G_MAJOR_E_MINOR"
    A_FLAT_MAJOR_F_MINOR = "A_FLAT_MAJOR_F_MINOR"
    A_MAJOR_G_FLAT_MINOR = "A_MAJOR_G_FLAT_MINOR"
    B_FLAT_MAJOR_G_MINOR = "B_FLAT_MAJOR_G_MINOR"
    B_MAJOR_A_FLAT_MINOR = "B_MAJOR_A_FLAT_MINOR"
    SCALE_UNSPECIFIED = "SCALE_UNSPECIFIED"

    @property
    def tonic(self) -> int | None:
        """Pitch class (0 = C) of the major tonic, or ``None`` when unspecified."""
        if self is Scale.SCALE_UNSPECIFIED:
            return None
        return list(Scale).index(self)

    @property
    def pitch_classes(self) -> tuple[int, ...] | None:
        """The 7 pitch classes of the major scale on :attr:`tonic`."""
        tonic = self.tonic
        if tonic is None:
            return None
        return tuple(sorted((tonic + step) % 12 for step in (0, 2, 4, 5, 7, 9, 11)))


class MusicGenerationMode(str, Enum):
    QUALITY = "QUALITY"
    DIVERSITY = "DIVERSITY"
    VOCALIZATION = "VOCALIZATION"
    MUSIC_GENERATION_MODE_UNSPECIFIED = "MUSIC_GENERATION_MODE_UNSPECIFIED"


# --------------------------------------------------------------------------- client -> server


class WeightedPrompt(WireModel):
    """A text prompt and its relative weight (any finite value except 0)."""

    text: str
    weight: float = 1.0

    @field_validator("weight")
    @classmethod
    def _nonzero(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number, got {value}")
        if value == 0:
            raise ValueError("must not be 0 (drop the prompt instead)")
        return value


class LiveMusicGenerationConfig(WireModel):
    """The generation config. Sending one replaces the whole config (unset = default)."""

    temperature: Annotated[float | None, in_range(0.0, 3.0)] = None
    top_k: Annotated[int | None, in_range(1, 1000)] = None
    seed: Annotated[int | None, in_range(-(2**31), 2**31 - 1)] = None
    guidance: Annotated[float | None, in_range(0.0, 6.0)] = None
    bpm: Annotated[int | None, in_range(60, 200)] = None
    density: Annotated[float | None, in_range(0.0, 1.0)] = None
    brightness: Annotated[float | None, in_range(0.0, 1.0)] = None
    scale: Scale | None = None
    mute_bass: bool | None = None
    mute_drums: bool | None = None
    only_bass_and_drums: bool | None = None
    music_generation_mode: MusicGenerationMode | None = None

    DEFAULTS: ClassVar[dict[str, Any]] = {
        "temperature": 1.1,
        "top_k": 40,
        "guidance": 4.0,
        "music_generation_mode": MusicGenerationMode.QUALITY,
    }

    def merged(self, **changes: Any) -> LiveMusicGenerationConfig:
        """A new config with ``changes`` applied over the fields set here (validated)."""
        data = self.model_dump(exclude_none=True)
        data.update(changes)
        return LiveMusicGenerationConfig.parse({k: v for k, v in data.items() if v is not None})

    def effective(self, name: str) -> Any:
        """The value of ``name``, or the protocol default when unset."""
        value = getattr(self, name)
        return self.DEFAULTS.get(name) if value is None else value


class LiveMusicResume(WireModel):
    """What a client sends to resume: the server's last handle and how far it has received the stream."""

    handle: Annotated[str, StringConstraints(max_length=48 * 2**10)]
    position: Annotated[int, in_range(0, 2**62)]
    #: The audio the client's player lacks to its buffer target (ms): the resumed stream sends that
    #: much at once, ahead of real time, so the player plays on with its buffer full again.
    buffer_ms: Annotated[int | None, in_range(0, 10_000)] = None


class LiveMusicClientSetup(WireModel):
    """The first message: which model to use, plus livemusic-only extensions."""

    model: str
    #: livemusic extension: ``"realtime"`` (default) or ``"asap"`` (render as fast as the CPU allows).
    #: Sent only to a server that advertised it.
    livemusic_pacing: Literal["realtime", "asap"] | None = None
    #: livemusic extension: chunk length in milliseconds.
    livemusic_chunk_ms: Annotated[int | None, in_range(10, 2000)] = None
    #: livemusic extension: also send stems (drums, bass, harmony, lead) in each chunk.
    livemusic_stems: bool | None = None
    #: livemusic extension: also send the notes the engine played with each chunk (for MIDI).
    livemusic_notes: bool | None = None
    #: livemusic extension: no note starts at or after this stream frame; the stream goes on
    #: with the tails ringing out (a loop render folds them into its start).
    livemusic_end: Annotated[int | None, in_range(0, 2**62)] = None
    #: livemusic extension: continue a session from a resumption handle the server sent
    #: (``livemusicResumptionUpdate``), at the client's stream position.
    livemusic_resume: LiveMusicResume | None = None


class LiveMusicClientContent(WireModel):
    """The weighted prompts; each message replaces the previous set."""

    weighted_prompts: list[WeightedPrompt]

    @field_validator("weighted_prompts")
    @classmethod
    def _not_empty(cls, value: list[WeightedPrompt]) -> list[WeightedPrompt]:
        if not value:
            raise ValueError("must hold at least one prompt")
        return value


class LiveMusicClientMessage(WireModel):
    """One client frame: exactly one of the four fields is set."""

    setup: LiveMusicClientSetup | None = None
    client_content: LiveMusicClientContent | None = None
    music_generation_config: LiveMusicGenerationConfig | None = None
    playback_control: PlaybackControl | None = None
    #: livemusic extension: apply this message when the stream reaches this frame position
    #: (sample-exact scheduling). Sent only to a server that advertised ``at``.
    livemusic_at: Annotated[int | None, in_range(0, 2**62)] = None

    PAYLOADS: ClassVar[tuple[str, ...]] = ("setup", "client_content", "music_generation_config", "playback_control")

    @model_validator(mode="after")
    def _exactly_one(self) -> LiveMusicClientMessage:
        present = [name for name in self.PAYLOADS if getattr(self, name) is not None]
        if len(present) != 1:
            raise ValueError(
                "a message must hold exactly one of setup, clientContent, "
                f"musicGenerationConfig, playbackControl (got {len(present)})"
            )
        return self


# --------------------------------------------------------------------------- server -> client


class LiveMusicSourceMetadata(ServerModel):
    """The prompts and config a chunk was generated with."""

    client_content: LiveMusicClientContent | None = None
    music_generation_config: LiveMusicGenerationConfig | None = None


class LiveMusicNote(ServerModel):
    """livemusic extension: one note (or drum hit) the engine played, as heard in the stream."""

    #: Stream frame where the onset is heard.
    frame: int
    #: ``drums``, ``bass``, ``harmony``, ``lead`` or ``vocal``.
    part: str
    #: The drum (``kick``, ``snare``, ...) or the note's role (``bass``, ``harm``, ``lead``, ...).
    instrument: str
    #: MIDI note number (0 for drums).
    pitch: int = 0
    #: The engine's gain for the note, about 0..1.
    velocity: float = 1.0
    #: Frames held before the release (0 for drums).
    length: int = 0


class AudioChunk(ServerModel):
    """One piece of audio: raw PCM bytes in Python, base64 on the wire."""

    data: bytes = b""
    mime_type: str | None = None
    source_metadata: LiveMusicSourceMetadata | None = None
    #: livemusic extension: absolute frame position of the chunk's first frame in the stream.
    livemusic_position: int | None = None
    #: livemusic extension: per-stem PCM (drums, bass, harmony, lead), same format as ``data``.
    livemusic_stems: dict[str, bytes] | None = None
    #: livemusic extension: the notes heard from this chunk on, up to the next chunk's.
    livemusic_notes: list[LiveMusicNote] | None = None

    @field_validator("data", mode="before")
    @classmethod
    def _decode_base64(cls, value: Any) -> Any:
        return _b64decode(value)

    @field_validator("livemusic_stems", mode="before")
    @classmethod
    def _decode_stems(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {name: _b64decode(pcm) for name, pcm in value.items()}
        return value

    @field_serializer("data", when_used="json")
    def _encode_base64(self, value: bytes) -> str:
        return b64encode_as_string(value)

    @field_serializer("livemusic_stems", when_used="json")
    def _encode_stems(self, value: dict[str, bytes] | None) -> dict[str, str] | None:
        if value is None:
            return None
        return {name: b64encode_as_string(pcm) for name, pcm in value.items()}


def _b64decode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return b64decode(value, validate=True)  # pybase64: 5 us for a 40 ms chunk, base64's 108 us
        except binascii.Error as exc:
            raise ValueError(f"is not valid base64: {exc}") from None
    return value


class LiveMusicServerContent(ServerModel):
    audio_chunks: list[AudioChunk] = []


class LiveMusicFilteredPrompt(ServerModel):
    """A prompt the server ignored, and why."""

    text: str | None = None
    filtered_reason: str | None = None


class LiveMusicServerSetupComplete(ServerModel):
    """The answer to setup (empty; livemusic's server advertises extensions in the handshake)."""


class LiveMusicResumptionUpdate(ServerModel):
    """livemusic extension: a signed handle carrying the session's state, to resume it on any server sharing the secret."""

    new_handle: str


class LiveMusicGoAway(ServerModel):
    """livemusic extension: the server will end this session in ``time_left_s`` seconds (a time limit)."""

    time_left_s: float


class LiveMusicServerMessage(ServerModel):
    """One server frame. Unknown top-level keys are ignored; ``warning`` is surfaced."""

    setup_complete: LiveMusicServerSetupComplete | None = None
    server_content: LiveMusicServerContent | None = None
    filtered_prompt: LiveMusicFilteredPrompt | None = None
    warning: str | None = None
    #: livemusic extension, sent only to clients that asked for extensions in setup.
    livemusic_resumption_update: LiveMusicResumptionUpdate | None = None
    #: livemusic extension: a notice that the session is about to end; open the next one now.
    livemusic_go_away: LiveMusicGoAway | None = None

    BINARY_PATHS: ClassVar[tuple[str, ...]] = (
        "serverContent.audioChunks.*.data", "serverContent.audioChunks.*.livemusicStems.*")

    @property
    def audio_chunks(self) -> list[AudioChunk]:
        """The audio chunks of this message (empty when it carries none)."""
        return self.server_content.audio_chunks if self.server_content else []


def prompts_from(prompts: Any) -> list[WeightedPrompt]:
    """Validate a list (or dict ``{text: weight}``) of prompts given in any accepted form."""
    if isinstance(prompts, dict):
        prompts = [{"text": text, "weight": weight} for text, weight in prompts.items()]
    return list(LiveMusicClientContent.parse({"weighted_prompts": list(prompts)}).weighted_prompts)
