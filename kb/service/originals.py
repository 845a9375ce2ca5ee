"""The kept originals of ingested files, served later (downloads, the PDF viewer, highlights).

Embedded SQLite catalogue (one machine): content-addressed files in the data directory,
``originals/ab/abcdef….pdf``. Shared catalogue (PostgreSQL): the bytes in its ``originals`` table
(revision 0016), so every node serves them; a node writes a copy into its data directory at the
first request, a cache that never goes stale (the name is the content's hash), so callers always
get a path.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from kb.core.config import Config
from kb.core.documents import DocumentRecord
from kb.core.files import atomic_path
from kb.service.catalogue import Catalogue


def original_path(originals: Path, digest: str, file_name: str) -> Path:
    """Where the original of a file with content hash ``digest`` is kept (or cached) in a data directory."""
    return originals / digest[:2] / f"{digest}{Path(file_name).suffix.lower()}"


def keep_original(path: Path, digest: str, config: Config, catalogue: Catalogue) -> None:
    """Keep the file so it can be served later: in the shared catalogue, else in the data directory."""
    if config.shared:
        catalogue.keep_original(digest, path)
        return
    target = original_path(config.originals_dir, digest, path.name)
    if not target.exists():
        with atomic_path(target) as tmp:
            shutil.copyfile(path, tmp)


def kept_original(digest: str, file_name: str, config: Config, catalogue: Catalogue) -> Path | None:
    """The kept original as a file of this data directory (with a shared catalogue written from
    the database first, if this node has not cached it yet); None if it is not kept."""
    path = original_path(config.originals_dir, digest, file_name)
    if path.is_file():
        return path
    content = catalogue.original(digest) if config.shared else None
    if content is None:
        return None
    with atomic_path(path) as tmp:
        tmp.write_bytes(content)
    return path


def carry_originals(documents: Iterable[DocumentRecord], config: Config, source: Catalogue, target: Catalogue) -> int:
    """For `kb migrate`: the originals of ``documents`` where the catalogue moving to ``target``
    will look for them — into its table when it is shared, else into the data directory (which
    then keeps them). Returns how many are kept there."""
    carried = 0
    for document in documents:
        path = kept_original(document.content_hash, document.file_name, config, source)
        if path is None:
            continue
        if target.shared:
            target.keep_original(document.content_hash, path)
        carried += 1
    return carried
