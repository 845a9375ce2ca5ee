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
    @classmethod
    def numbered(cls, document_id: int) -> DocumentNotFound:
        """The one message for a document that does not exist or that the asker may not see."""
        return cls(f"Dokument {document_id} gibt es nicht.")


class PassageNotFound(KbError):
    @classmethod
    def numbered(cls, passage_id: int) -> PassageNotFound:
        """The one message for a passage that does not exist or that the asker may not see."""
        return cls(f"Passage {passage_id} gibt es nicht.")


class Forbidden(KbError):
    """The asker may see this document but not change it (or not place it in that county)."""


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
