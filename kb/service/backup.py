"""Snapshots of a data directory: `kb backup FILE` while the server runs, `kb restore FILE`.

A snapshot holds a consistent copy of the catalogue (SQLite's online backup), the originals
(content-addressed, never changed in place) and the indexes. Indexes are derived: after a restore
they are checked against the catalogue and rebuilt if a write happened during the snapshot.
"""

from __future__ import annotations

import shutil
import sqlite3
import tarfile
import tempfile
from pathlib import Path

from kb.core.config import Config
from kb.core.errors import KbError
from kb.core.files import atomic_path

_CATALOGUE = "catalogue.sqlite3"
_ATTEMPTS = 3


def backup(config: Config, target: Path) -> int:
    """Write a snapshot to ``target`` (tar.gz, written beside it and renamed); returns its size."""
    if config.database_url:
        raise KbError("Der Katalog liegt in PostgreSQL (KB_DATABASE_URL): dort sichert ihn pg_dump, nicht kb backup.")
    if not config.catalogue_path.exists():
        raise KbError(f"In {config.data_dir} gibt es keine Wissensbasis zum Sichern.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        snapshot = Path(tmp) / _CATALOGUE
        with sqlite3.connect(config.catalogue_path) as source, sqlite3.connect(snapshot) as copy:
            source.backup(copy)
        copy.close()
        with atomic_path(target) as partial:
            for attempt in range(_ATTEMPTS):
                try:
                    _archive(partial, snapshot, config)
                    break
                except FileNotFoundError:  # a writer merged index segments while they were read
                    if attempt == _ATTEMPTS - 1:
                        raise KbError(
                            "Die Indizes änderten sich während der Sicherung ständig; bitte erneut."
                        ) from None
    return target.stat().st_size


def _archive(partial: Path, snapshot: Path, config: Config) -> None:
    with tarfile.open(partial, "w:gz") as tar:
        tar.add(snapshot, arcname=_CATALOGUE)
        for folder in (config.originals_dir, config.index_dir):
            if folder.exists():  # the index symlink is stored as the folder it points to
                tar.add(folder.resolve(), arcname=folder.name)


def restore(config: Config, source: Path, *, replace: bool = False) -> Path | None:
    """Bring back a snapshot into the data directory; returns where the previous one was moved.

    Refuses to overwrite a knowledge base unless ``replace``; the previous data directory is kept
    beside it (``<data dir>.before-restore``) rather than deleted.
    """
    if config.database_url:
        raise KbError(
            "Der Katalog liegt in PostgreSQL (KB_DATABASE_URL): dort stellt ihn pg_restore wieder her, "
            "nicht kb restore; danach baut kb reindex die Indizes dieses Rechners neu."
        )
    if not source.is_file():
        raise KbError(f"{source}: Die Sicherung gibt es nicht.")
    data_dir = config.data_dir
    if config.catalogue_path.exists() and not replace:
        raise KbError(f"{data_dir} enthält schon eine Wissensbasis; zum Ersetzen --replace angeben.")
    incoming = data_dir.with_name(data_dir.name + ".restoring")
    shutil.rmtree(incoming, ignore_errors=True)
    try:
        with tarfile.open(source, "r:gz") as tar:
            names = set(tar.getnames())
            if _CATALOGUE not in names:
                raise KbError(f"{source}: keine Kreiswissen-Sicherung (es fehlt {_CATALOGUE}).")
            tar.extractall(incoming, filter="data")  # refuses absolute paths, '..' and links out
    except (tarfile.TarError, OSError, EOFError) as error:
        shutil.rmtree(incoming, ignore_errors=True)
        raise KbError(f"{source}: Die Sicherung ist beschädigt ({error}).") from None
    previous = None
    if data_dir.exists():
        previous = data_dir.with_name(data_dir.name + ".before-restore")
        shutil.rmtree(previous, ignore_errors=True)
        data_dir.rename(previous)
    incoming.rename(data_dir)
    return previous
