"""Errors a stage raises: permanent ones are never retried, transient ones are, with backoff."""

from __future__ import annotations


class StageError(Exception):
    """A stage failed; ``code`` is stable and machine-readable, the message is for people."""

    code = "stage_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


class PermanentError(StageError):
    """Running again will not help (unreadable file, unsupported content): fail and say why."""

    code = "permanent"


class TransientError(StageError):
    """A service was unavailable or busy: retry later."""

    code = "transient"


class UnreadableDocument(PermanentError):
    """The file is corrupt, encrypted, empty, too large or not what it claims to be."""

    code = "unreadable"
