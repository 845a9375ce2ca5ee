"""Staff accounts (password sign-in) and API keys, stored in the catalogue's SQLite file."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from kb.core.errors import KbError

SCOPES = ("read", "write")
_KEY_PREFIX = "kw"
_USER_NAME = re.compile(r"^[\w.@-]{2,64}$")
_MIN_PASSWORD = 10
# a hash to compare against when the user does not exist, so timing does not reveal names
_DUMMY_HASH = generate_password_hash("kreiswissen-dummy-password")


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    scope: str
    label: str
    created_at: str
    revoked_at: str | None

    def allows(self, scope: str) -> bool:
        return self.revoked_at is None and (self.scope == "write" or scope == "read")


class Accounts:
    """Users and API keys. Opens its own connection; the catalogue owns the schema."""

    def __init__(self, catalogue_path: Path) -> None:
        from kb.service.catalogue import Catalogue

        Catalogue(catalogue_path).close()  # runs the migrations
        self._db = sqlite3.connect(catalogue_path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row

    def close(self) -> None:
        self._db.close()

    # users

    def add_user(self, name: str, password: str) -> None:
        """Create or reset a staff account; the password is stored as a scrypt hash."""
        if not _USER_NAME.match(name):
            raise KbError(f"Ungültiger Benutzername {name!r}: 2–64 Buchstaben, Ziffern, . _ @ -")
        if len(password) < _MIN_PASSWORD:
            raise KbError(f"Das Passwort muss mindestens {_MIN_PASSWORD} Zeichen lang sein.")
        self._db.execute(
            "INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash",
            (name, generate_password_hash(password), _now()),
        )

    def verify_user(self, name: str, password: str) -> bool:
        row = self._db.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
        valid = check_password_hash(row["password_hash"] if row else _DUMMY_HASH, password)
        return bool(row) and valid

    def users(self) -> list[str]:
        return [row["name"] for row in self._db.execute("SELECT name FROM users ORDER BY name")]

    # API keys

    def create_key(self, scope: str, label: str = "") -> str:
        """A new key ``kw_<id>_<secret>``; only its hash is stored, so it is shown once."""
        if scope not in SCOPES:
            raise KbError(f"Unbekannter Geltungsbereich {scope!r}; erlaubt: {', '.join(SCOPES)}")
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        self._db.execute(
            "INSERT INTO api_keys (key_id, secret_hash, scope, label, created_at) VALUES (?, ?, ?, ?, ?)",
            (key_id, _sha256(secret), scope, label, _now()),
        )
        return f"{_KEY_PREFIX}_{key_id}_{secret}"

    def verify_key(self, key: str) -> ApiKey | None:
        """The stored key for ``key`` if it is genuine and not revoked, else None."""
        prefix, _, rest = key.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != _KEY_PREFIX or not key_id or not secret:
            return None
        row = self._db.execute("SELECT * FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        if row is None or not hmac.compare_digest(row["secret_hash"], _sha256(secret)):
            return None
        stored = _api_key(row)
        return stored if stored.revoked_at is None else None

    def keys(self) -> list[ApiKey]:
        return [_api_key(row) for row in self._db.execute("SELECT * FROM api_keys ORDER BY created_at")]

    def revoke_key(self, key_id: str) -> None:
        cursor = self._db.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", (_now(), key_id)
        )
        if cursor.rowcount == 0:
            raise KbError(f"Keinen aktiven API-Schlüssel {key_id!r} gefunden.")


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _api_key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(row["key_id"], row["scope"], row["label"], row["created_at"], row["revoked_at"])
