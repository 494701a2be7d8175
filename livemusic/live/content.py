"""BidiGenerateContent (Google's Live API): every client and server message, and the dialect.

Client frames hold exactly one of ``setup``, ``clientContent``,
``realtimeInput`` and ``toolResponse``; server frames one of
``setupComplete``, ``serverContent``, ``toolCall``, ``toolCallCancellation``,
``goAway`` and ``sessionResumptionUpdate``, with ``usageMetadata`` allowed
alongside any of them. Server messages are decoded leniently: fields this
version does not know are dropped, new message types are ignored.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import Field, model_validator

from livemusic.live.content_parts import Blob, Content, ContentModel, FunctionCall, FunctionResponse
from livemusic.live.content_setup import LiveClientSetup
from livemusic.live.state import Dialect

SERVICE = "BidiGenerateContent"
DEFAULT_MODEL = "models/gemini-live-2.5-flash-preview"
#: The model's audio: 16-bit mono PCM at 24 kHz.
OUTPUT_RATE = 24_000
#: The rate the service takes audio at natively (other rates are resampled by the service).
INPUT_RATE = 16_000


# --------------------------------------------------------------------------- client -> server


class ActivityStart(ContentModel):
    """Marks the start of user activity (only with automatic activity detection disabled)."""


class ActivityEnd(ContentModel):
    """Marks the end of user activity (only with automatic activity detection disabled)."""


class LiveClientContent(ContentModel):
    """Turns appended to the conversation; ``turn_complete`` makes the model answer."""

    turns: list[Content] | None = None
    turn_complete: bool | None = None


class LiveClientRealtimeInput(ContentModel):
    """Streamed input; one field per message, as Google's SDK sends it."""

    media_chunks: list[Blob] | None = None
    audio: Blob | None = None
    video: Blob | None = None
    text: str | None = None
    activity_start: ActivityStart | None = None
    activity_end: ActivityEnd | None = None
    audio_stream_end: bool | None = None


class LiveClientToolResponse(ContentModel):
    function_responses: list[FunctionResponse]


class LiveClientMessage(ContentModel):
    """One client frame: exactly one field is set."""

    setup: LiveClientSetup | None = None
    client_content: LiveClientContent | None = None
    realtime_input: LiveClientRealtimeInput | None = None
    tool_response: LiveClientToolResponse | None = None

    BINARY_PATHS: ClassVar[tuple[str, ...]] = (
        "realtimeInput.audio.data", "realtimeInput.video.data", "realtimeInput.mediaChunks.*.data",
        "clientContent.turns.*.parts.*.inlineData.data")

    @model_validator(mode="after")
    def _exactly_one(self) -> LiveClientMessage:
        present = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(present) != 1:
            raise ValueError("a message must hold exactly one of setup, clientContent, realtimeInput, "
                             f"toolResponse (got {len(present)})")
        return self


# --------------------------------------------------------------------------- server -> client


class LiveServerSetupComplete(ContentModel):
    session_id: str | None = None


class Transcription(ContentModel):
    """A piece of transcribed speech (of the user: input; of the model: output)."""

    text: str | None = None
    finished: bool | None = None


class LiveServerContent(ContentModel):
    """The model's turn as it is generated, and where the turn stands."""

    model_turn: Content | None = None
    turn_complete: bool | None = None
    interrupted: bool | None = None
    generation_complete: bool | None = None
    input_transcription: Transcription | None = None
    output_transcription: Transcription | None = None
    grounding_metadata: dict[str, Any] | None = None
    url_context_metadata: dict[str, Any] | None = None
    turn_complete_reason: str | None = None
    waiting_for_input: bool | None = None


class LiveServerToolCall(ContentModel):
    function_calls: list[FunctionCall] = []


class LiveServerToolCallCancellation(ContentModel):
    """Calls the client should not answer any more (the user interrupted)."""

    ids: list[str] = []


_DURATION = re.compile(r"^(-?\d+(?:\.\d+)?)s$")


class LiveServerGoAway(ContentModel):
    """The server will close this connection soon: resume on a new one."""

    time_left: str | None = None

    @property
    def seconds_left(self) -> float | None:
        """``time_left`` (a protobuf Duration such as ``"50s"``) in seconds."""
        match = _DURATION.match(self.time_left or "")
        return float(match.group(1)) if match else None


class LiveServerSessionResumptionUpdate(ContentModel):
    """A new handle to resume the session with; empty while the session is not resumable."""

    new_handle: str | None = None
    resumable: bool | None = None
    last_consumed_client_message_index: int | None = None


class ModalityTokenCount(ContentModel):
    modality: str | None = None
    token_count: int | None = None


class UsageMetadata(ContentModel):
    prompt_token_count: int | None = None
    cached_content_token_count: int | None = None
    response_token_count: int | None = None
    tool_use_prompt_token_count: int | None = None
    thoughts_token_count: int | None = None
    total_token_count: int | None = None
    prompt_tokens_details: list[ModalityTokenCount] | None = None
    cache_tokens_details: list[ModalityTokenCount] | None = None
    response_tokens_details: list[ModalityTokenCount] | None = None
    tool_use_prompt_tokens_details: list[ModalityTokenCount] | None = None


class SessionResumed(ContentModel):
    """livemusic's event (never on the wire): the session went on on a new connection."""

    handle: str
    #: ``"goAway"``, or the close that ended the old connection.
    reason: str


class LiveServerMessage(ContentModel):
    """One server frame; see the properties for the model's text and audio.

    ``resumed`` is livemusic's own: set (on a message of its own) when the
    session resumed on a new connection.
    """

    setup_complete: LiveServerSetupComplete | None = None
    server_content: LiveServerContent | None = None
    tool_call: LiveServerToolCall | None = None
    tool_call_cancellation: LiveServerToolCallCancellation | None = None
    go_away: LiveServerGoAway | None = None
    session_resumption_update: LiveServerSessionResumptionUpdate | None = None
    usage_metadata: UsageMetadata | None = None
    voice_activity_detection_signal: dict[str, Any] | None = None
    voice_activity: dict[str, Any] | None = None
    resumed: SessionResumed | None = Field(default=None, exclude=True)

    BINARY_PATHS: ClassVar[tuple[str, ...]] = ("serverContent.modelTurn.parts.*.inlineData.data",)
    #: Server messages are decoded with this context: unknown fields are dropped, not refused.
    DECODE_CONTEXT: ClassVar[dict[str, Any]] = {"lenient": True}

    @property
    def text(self) -> str | None:
        """The text of the model's turn in this message, if any."""
        turn = self.server_content.model_turn if self.server_content else None
        return turn.text if turn else None

    @property
    def data(self) -> bytes | None:
        """The inline bytes (audio: 24 kHz mono PCM) of the model's turn in this message, if any."""
        turn = self.server_content.model_turn if self.server_content else None
        return turn.data if turn else None


CONTENT = Dialect(service=SERVICE, client_message=LiveClientMessage, server_message=LiveServerMessage)
