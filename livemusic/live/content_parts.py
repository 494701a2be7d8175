"""Content of a BidiGenerateContent conversation: turns, parts, blobs, function calls and responses.

These models travel in both directions (a client's turns, the model's turn),
so they are strict when a client builds them (Google's service rejects
unknown fields) and lenient when a server message is decoded: the codec
validates server messages with the ``lenient`` context, which drops fields
this version does not know instead of failing on them.
"""

from __future__ import annotations

import base64
import binascii
import enum
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, ValidationInfo, field_serializer, model_validator
from pydantic.alias_generators import to_camel

from livemusic.types import WireModel


class ContentModel(WireModel):
    """Base of the content dialect's models: strict for clients, lenient inside server messages."""

    @model_validator(mode="before")
    @classmethod
    def _drop_unknown_when_lenient(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and info.context and info.context.get("lenient"):
            known = set(cls.model_fields) | {to_camel(name) for name in cls.model_fields}
            return {key: value for key, value in data.items() if key in known}
        return data


def b64decode_any(value: Any) -> Any:
    """Bytes from standard or URL-safe base64 text (Google's SDK sends the URL-safe alphabet)."""
    if not isinstance(value, str):
        return value
    try:
        return base64.b64decode(value.replace("-", "+").replace("_", "/"), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"is not valid base64: {exc}") from None


def camel_keys(value: Any, *, keep: frozenset[str] = frozenset()) -> Any:
    """``value`` with every dict key in camelCase, except the keys below a key in ``keep`` (user names)."""
    if isinstance(value, dict):
        return {to_camel(key): ({k: camel_keys(v, keep=keep) for k, v in item.items()}
                                if key in keep and isinstance(item, dict) else camel_keys(item, keep=keep))
                for key, item in value.items()}
    if isinstance(value, list):
        return [camel_keys(item, keep=keep) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


#: Bytes in Python, standard base64 text on the wire (either alphabet accepted on input).
Base64Bytes = Annotated[bytes, BeforeValidator(b64decode_any),
                        PlainSerializer(lambda value: base64.b64encode(value).decode("ascii"), when_used="json")]


class Blob(ContentModel):
    """Inline bytes with their media type: PCM audio (``audio/pcm;rate=16000``), a JPEG frame, an image."""

    data: Base64Bytes
    mime_type: str
    display_name: str | None = None


class FunctionCall(ContentModel):
    """A call the model asks the client to make; answer it with a :class:`FunctionResponse` of the same id."""

    id: str | None = None
    name: str
    args: dict[str, Any] = {}
    will_continue: bool | None = None
    partial_args: list[dict[str, Any]] | None = None


class FunctionResponseScheduling(str, enum.Enum):
    """When the model takes a non-blocking function's answer into account."""

    SCHEDULING_UNSPECIFIED = "SCHEDULING_UNSPECIFIED"
    SILENT = "SILENT"
    WHEN_IDLE = "WHEN_IDLE"
    INTERRUPT = "INTERRUPT"


class FunctionResponse(ContentModel):
    """The result of a :class:`FunctionCall`: ``response`` holds ``output`` or ``error`` (any JSON object)."""

    id: str | None = None
    name: str
    response: dict[str, Any] = {}
    will_continue: bool | None = None
    scheduling: FunctionResponseScheduling | None = None


class Part(ContentModel):
    """One part of a turn: text, inline bytes, a function call or response, code, or a thought."""

    text: str | None = None
    inline_data: Blob | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    file_data: dict[str, Any] | None = None
    executable_code: dict[str, Any] | None = None
    code_execution_result: dict[str, Any] | None = None
    video_metadata: dict[str, Any] | None = None
    thought: bool | None = None
    thought_signature: Base64Bytes | None = None

    @field_serializer("file_data", "executable_code", "code_execution_result", "video_metadata")
    def _camel(self, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return camel_keys(value)


class Content(ContentModel):
    """A turn: its ``role`` (``user`` or ``model``) and its parts."""

    parts: list[Part] = []
    role: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"parts": [{"text": data}], "role": "user"}
        return data

    @property
    def text(self) -> str | None:
        """The text parts joined (thoughts left out), or ``None`` when there is none."""
        texts = [part.text for part in self.parts if part.text is not None and not part.thought]
        return "".join(texts) if texts else None

    @property
    def data(self) -> bytes | None:
        """The inline bytes of the parts joined (for audio: PCM), or ``None`` when there are none."""
        blobs = [part.inline_data.data for part in self.parts if part.inline_data is not None]
        return b"".join(blobs) if blobs else None


def turns_from(turns: Any) -> list[Content]:
    """Turns given as a Content, a dict, a string, a Part, an SDK object or a list of these."""
    if turns is None:
        return []
    if isinstance(turns, (str, dict)) or not isinstance(turns, (list, tuple)):
        turns = [turns]
    return [Content.parse(turn) for turn in turns]
