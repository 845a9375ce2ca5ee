"""The index folder's manifest: which model and format built the derived indexes."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from kb.core.files import atomic_path

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Manifest:
    model_id: str
    dim: int
    format_version: int = FORMAT_VERSION
    passages: int = 0
    updated_at: str = ""
    saved: str = ""  # new with every save: readers compare it (two saves may share an mtime)

    @classmethod
    def read(cls, path: Path) -> Manifest | None:
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text("utf-8")))

    def write(self, path: Path, passages: int) -> None:
        data = asdict(self) | {
            "passages": passages,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "saved": secrets.token_hex(8),
        }
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(data, indent=2), "utf-8")

    def mismatch(self, model_id: str, dim: int) -> str | None:
        """Why this index cannot serve the configured model, or None if it can."""
        if self.format_version != FORMAT_VERSION:
            return f"has index format {self.format_version}, this version uses {FORMAT_VERSION}"
        if self.model_id != model_id or self.dim != dim:
            return f"was built with model {self.model_id} ({self.dim} dims); configured is {model_id} ({dim} dims)"
        return None
