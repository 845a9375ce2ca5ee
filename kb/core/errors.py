"""Errors that carry a message meant for the user (CLI, web, API)."""

from __future__ import annotations


class KbError(Exception):
    """Base class: ``str(error)`` is a complete, user-facing sentence."""


class IngestError(KbError):
    """A file could not be turned into passages; the message names the file and the problem."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


class UnsupportedFormat(IngestError):
    pass


class DocumentNotFound(KbError):
    pass


class PassageNotFound(KbError):
    pass


class InvalidQuery(KbError):
    pass


class IndexMismatch(KbError):
    pass


class UploadRefused(KbError):
    """An upload refused on arrival; ``code`` says why: too_large, unsupported_media_type or unprocessable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
