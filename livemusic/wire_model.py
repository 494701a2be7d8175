"""The base of livemusic's wire models: camelCase on the wire, snake_case in Python, immutable,
range checks that name the range, and one :class:`InvalidConfigError` for any invalid message.

Every message model in :mod:`livemusic.types` (and the content-API setup in
:mod:`livemusic.live.content_setup`) derives from :class:`WireModel`.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from livemusic.errors import InvalidConfigError


def in_range(lo: float, hi: float):
    """A validator that rejects values outside ``[lo, hi]`` naming the range."""

    def check(value: float) -> float:
        if value is None:
            return value
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"must be a finite number between {lo} and {hi}, got {value}")
        if not lo <= value <= hi:
            raise ValueError(f"must be between {lo} and {hi}, got {value}")
        return value

    return AfterValidator(check)


def _from_foreign(data: Any) -> Any:
    """Accept ``google.genai`` (or any pydantic) objects by dumping them to a dict."""
    if isinstance(data, BaseModel):
        return data.model_dump(exclude_none=True)
    return data


class WireModel(BaseModel):
    """Base of all wire models: camelCase aliases, snake_case accepted, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="forbid",
        use_enum_values=False,
    )

    #: Dotted wire paths (``*``: any item) of base64 payloads in this message, for the codec.
    BINARY_PATHS: ClassVar[tuple[str, ...]] = ()
    #: Validation context the codec decodes this message with (e.g. leniency towards unknown fields).
    DECODE_CONTEXT: ClassVar[dict[str, Any] | None] = None

    @model_validator(mode="before")
    @classmethod
    def _accept_foreign(cls, data: Any) -> Any:
        if isinstance(data, BaseModel) and not isinstance(data, cls):
            return _from_foreign(data)
        return data

    @classmethod
    def parse(cls, data: Any) -> Self:
        """Validate ``data`` (model, dict or SDK object), raising :class:`InvalidConfigError`."""
        if isinstance(data, cls):
            return data
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise invalid_config(exc) from None

    def to_wire(self) -> dict[str, Any]:
        """The camelCase JSON-ready dict of this model, without unset fields."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ServerModel(WireModel):
    """Server-to-client models ignore keys they do not know."""

    model_config = ConfigDict(extra="ignore")


def invalid_config(exc: ValidationError) -> InvalidConfigError:
    """Turn a pydantic error into one message naming each field and what it allows."""
    parts = []
    first_field = None
    for err in exc.errors(include_url=False):
        loc = ".".join(to_camel(str(p)) if isinstance(p, str) else str(p) for p in err["loc"])
        first_field = first_field or loc or None
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] == "enum":
            msg = f"must be one of {err.get('ctx', {}).get('expected', '')}, got {err.get('input')!r}"
        parts.append(f"{loc}: {msg}" if loc else msg)
    return InvalidConfigError("; ".join(parts), field=first_field)
