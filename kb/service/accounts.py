"""Accounts (password sign-in, a county and a role) and API keys (scope, county, highest visibility,
own rate limit), stored in the catalogue's SQLite file."""

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

from kb.core.access import EDITOR, PUBLIC, READER, Viewer, key_holder, member, rate_limit, role, visibility
from kb.core.errors import KbError
from kb.core.vocabulary import canonical_county

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
    county: str | None = None
    visibility: str = PUBLIC  # the highest level it may see
    rate_limit: str | None = None  # None: KB_KEY_RATE_LIMIT

    def allows(self, scope: str) -> bool:
        return self.revoked_at is None and (self.scope == "write" or scope == "read")

    @property
    def viewer(self) -> Viewer:
        return key_holder(self.key_id, self.scope, self.county, self.visibility)


@dataclass(frozen=True)
class Account:
    name: str
    county: str | None
    role: str
    created_at: str

    @property
    def viewer(self) -> Viewer:
        return member(self.name, self.county, self.role)


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

    def add_user(self, name: str, password: str, *, county: str | None = None, role_name: str = READER) -> None:
        """Create an account or reset its password, county and role; the password is stored as a scrypt hash.

        Readers and editors belong to a county; administrators may have none.
        """
        if not _USER_NAME.match(name):
            raise KbError(f"Ungültiger Benutzername {name!r}: 2–64 Buchstaben, Ziffern, . _ @ -")
        if len(password) < _MIN_PASSWORD:
            raise KbError(f"Das Passwort muss mindestens {_MIN_PASSWORD} Zeichen lang sein.")
        role(role_name)
        county = _county(county)
        if county is None and role_name in (READER, EDITOR):
            raise KbError(f"Ein Konto mit der Rolle {role_name} braucht einen Landkreis (--county).")
        self._db.execute(
            "INSERT INTO users (name, password_hash, created_at, county, role) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash, "
            "county = excluded.county, role = excluded.role",
            (name, generate_password_hash(password), _now(), county, role_name),
        )

    def verify_user(self, name: str, password: str) -> bool:
        row = self._db.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
        valid = check_password_hash(row["password_hash"] if row else _DUMMY_HASH, password)
        return bool(row) and valid

    def account(self, name: str) -> Account | None:
        """The account signed in as ``name``, read afresh: a changed role applies at the next request."""
        row = self._db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return Account(row["name"], row["county"], row["role"], row["created_at"]) if row else None

    def users(self) -> list[Account]:
        rows = self._db.execute("SELECT * FROM users ORDER BY name")
        return [Account(row["name"], row["county"], row["role"], row["created_at"]) for row in rows]

    # API keys

    def create_key(
        self,
        scope: str,
        label: str = "",
        *,
        county: str | None = None,
        highest: str = PUBLIC,
        limit: str | None = None,
    ) -> str:
        """A new key ``kw_<id>_<secret>``; only its hash is stored, so it is shown once.

        ``highest`` is the most closed level it may see (Kreis-intern needs a county), ``limit``
        its own rate limit.
        """
        if scope not in SCOPES:
            raise KbError(f"Unbekannter Geltungsbereich {scope!r}; erlaubt: {', '.join(SCOPES)}")
        level, county = visibility(highest), _county(county)
        if level == "county" and county is None:
            raise KbError("Ein Schlüssel, der Kreis-interne Dokumente sieht, braucht einen Landkreis (--county).")
        limit = rate_limit(limit) if limit else None
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        self._db.execute(
            "INSERT INTO api_keys (key_id, secret_hash, scope, label, created_at, county, visibility, rate_limit) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (key_id, _sha256(secret), scope, label, _now(), county, level, limit),
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
    return ApiKey(
        row["key_id"],
        row["scope"],
        row["label"],
        row["created_at"],
        row["revoked_at"],
        row["county"],
        row["visibility"],
        row["rate_limit"],
    )


def _county(name: str | None) -> str | None:
    """A county's official name if it is one of the 294, else as given (as documents keep theirs)."""
    if not name or not name.strip():
        return None
    return canonical_county(name) or " ".join(name.split())
