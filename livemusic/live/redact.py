"""Keep API keys out of logs: a logging filter for websockets' handshake debug lines.

websockets logs every handshake header at DEBUG level; this filter masks the
value of ``x-goog-api-key`` / ``authorization`` headers, ``key=`` query
parameters and any secret registered with :func:`register_secret`.
"""

from __future__ import annotations

import logging
import re

_PATTERN = re.compile(r"(?i)((?:x-goog-api-key|authorization)\s*:\s*|[?&]key=)[^\s&'\"]+")


class RedactSecrets(logging.Filter):
    """Rewrites records that would show a secret, replacing it with ``***``."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        redacted = _PATTERN.sub(r"\1***", text)
        for secret in self.secrets:
            redacted = redacted.replace(secret, "***")
        if redacted != text:
            record.msg, record.args = redacted, ()
        return True


_FILTER = RedactSecrets()


def register_secret(secret: str) -> None:
    """Mask ``secret`` wherever a livemusic websocket logger would print it."""
    if secret:
        _FILTER.secrets.add(secret)


def redacting_logger(name: str) -> logging.Logger:
    """A logger for websockets whose records never show a secret."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger
