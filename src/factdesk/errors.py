"""One error family for everything factdesk refuses to do, each with a hint.

The CLI prints ``error: <message>`` (plus the hint) and exits non-zero; it
never shows a traceback for a FactdeskError.
"""

from __future__ import annotations


class FactdeskError(Exception):
    """Base class. ``hint`` tells the user what to do next."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class InputError(FactdeskError):
    """The input cannot be read: missing, empty, binary, unsupported, malformed."""

    exit_code = 2


class FetchError(InputError):
    """A URL could not be fetched: refused target, unreachable, too large, too slow."""


class UnsafeURLError(FetchError):
    """A URL points at a target factdesk refuses (loopback, private, metadata, non-http)."""


class ConfigError(FactdeskError):
    """A setting is wrong or a needed optional component is not installed."""

    exit_code = 3


class BackendError(FactdeskError):
    """A model or store backend failed."""

    exit_code = 4


class StoreError(BackendError):
    """The SQLite store cannot be opened or written."""


class NotFoundError(FactdeskError):
    """A report, document or other stored object does not exist."""

    exit_code = 5


class StageError(FactdeskError):
    """A pipeline stage failed; the message names the stage."""

    def __init__(self, stage: str, cause: BaseException) -> None:
        super().__init__(f"stage '{stage}' failed: {cause}")
        self.stage = stage
        self.cause = cause
