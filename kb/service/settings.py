"""Settings every node must agree on, kept where every node finds them.

With a shared catalogue (PostgreSQL) that is its ``settings`` table (revision 0016); with the
embedded SQLite catalogue, one machine, the data directory.
"""

from __future__ import annotations

import os
import secrets

from kb.core.config import Config
from kb.service.catalogue import CatalogueStore


class Settings(CatalogueStore):
    """Name → value in the catalogue's database."""

    def setdefault(self, name: str, value: str) -> str:
        """The value of ``name``; the first node to ask stores ``value``. Race-free: of two nodes
        storing at once the second's insert does nothing, and both read back the first's value."""
        self._db.execute(
            "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", (name, value)
        )
        return self._db.scalar("SELECT value FROM settings WHERE name = ?", (name,))


def session_secret(config: Config) -> str:
    """The key that signs sessions: KB_SECRET_KEY, else a random key made once — in the shared
    catalogue (a sign-in on one node holds on every node), else kept (mode 0600) in the data
    directory, never in the repository."""
    if config.secret_key:
        return config.secret_key
    if config.shared:
        settings = Settings(config.database)
        try:
            return settings.setdefault("secret_key", secrets.token_hex(32))
        finally:
            settings.close()
    path = config.secret_key_path
    if not path.exists():  # written whole, then linked: of processes starting together one wins, all read it
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}-{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
