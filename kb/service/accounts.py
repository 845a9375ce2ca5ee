"""Accounts (password sign-in, a county and a role) and API keys (scope, county, highest visibility,
own rate limit), stored in the catalogue's SQLite file."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from kb.core.access import EDITOR, PUBLIC, READER, Viewer, key_holder, member, rate_limit, role, visibility
from kb.core.errors import KbError
from kb.core.vocabulary import checked_email, county_name
from kb.service.catalogue import CatalogueStore
from kb.service.database import Row

SCOPES = ("read", "write")
_KEY_PREFIX = "kw"
_USER_NAME = re.compile(r"^[\w.@-]{2,64}$")
_MIN_PASSWORD = 10
# a hash to compare against when the user does not exist, so timing does not reveal names
_DUMMY_HASH = generate_password_hash("kreiswissen-dummy-password")
SESSION_IDLE = timedelta(hours=8)  # a session unused this long is over
SESSION_LONGEST = timedelta(days=7)  # and none lasts longer, however busy
_SEEN_EVERY = timedelta(minutes=5)  # how often a busy session's last use is written down


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
    records_searches: bool = True  # counted in „Was dem Netzwerk fehlt“ (no personal data either way)
    email: str | None = None  # where the daily digest of saved searches goes

    @property
    def viewer(self) -> Viewer:
        return member(self.name, self.county, self.role)


class Accounts(CatalogueStore):
    """Users and API keys."""

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
        county = county_name(county)
        if county is None and role_name in (READER, EDITOR):
            raise KbError(f"Ein Konto mit der Rolle {role_name} braucht einen Landkreis (--county).")
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO users (name, password_hash, created_at, county, role) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash, "
                "county = excluded.county, role = excluded.role",
                (name, generate_password_hash(password), _now(), county, role_name),
            )
            self._db.execute("DELETE FROM sessions WHERE account = ?", (name,))  # a new password signs out everywhere

    def verify_user(self, name: str, password: str) -> bool:
        row = self._db.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
        valid = check_password_hash(row.password_hash if row else _DUMMY_HASH, password)
        return bool(row) and valid

    def account(self, name: str) -> Account | None:
        """The account signed in as ``name``, read afresh: a changed role applies at the next request."""
        row = self._db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return _account(row) if row else None

    # sign-in sessions

    def start_session(self, name: str) -> str:
        """A new session for a verified user: its token goes into the (signed) cookie, its hash here."""
        token, now = secrets.token_urlsafe(32), _now()
        self._db.execute(
            "INSERT INTO sessions (token_hash, account, started_at, seen_at) VALUES (?, ?, ?, ?)",
            (_sha256(token), name, now, now),
        )
        return token

    def session_account(self, name: str, token: str) -> Account | None:
        """The account of a live session: not signed out, not idle or old beyond its limits, the
        password not changed since."""
        row = self._db.execute(
            "SELECT started_at, seen_at FROM sessions WHERE token_hash = ? AND account = ?", (_sha256(token), name)
        ).fetchone()
        if row is None:
            return None
        now = datetime.now(UTC)
        started, seen = datetime.fromisoformat(row.started_at), datetime.fromisoformat(row.seen_at)
        if now - seen > SESSION_IDLE or now - started > SESSION_LONGEST:
            self.end_session(token)
            return None
        if now - seen > _SEEN_EVERY:
            self._db.execute("UPDATE sessions SET seen_at = ? WHERE token_hash = ?", (_now(), _sha256(token)))
        return self.account(name)

    def end_session(self, token: str) -> None:
        self._db.execute("DELETE FROM sessions WHERE token_hash = ?", (_sha256(token),))

    def users(self) -> list[Account]:
        rows = self._db.execute("SELECT * FROM users ORDER BY name")
        return [_account(row) for row in rows]

    def set_email(self, name: str, email: str) -> None:
        """The member's address for the digest ("" removes it)."""
        self._db.execute("UPDATE users SET email = ? WHERE name = ?", (checked_email(email) if email else None, name))

    def set_records_searches(self, name: str, on: bool) -> None:
        """Whether this member's unanswered and unhelpful questions are counted (anonymously)."""
        self._db.execute("UPDATE users SET record_searches = ? WHERE name = ?", (int(on), name))

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
        level, county = visibility(highest), county_name(county)
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
        if row is None or not hmac.compare_digest(row.secret_hash, _sha256(secret)):
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


def _api_key(row: Row) -> ApiKey:
    return ApiKey(
        row.key_id,
        row.scope,
        row.label,
        row.created_at,
        row.revoked_at,
        row.county,
        row.visibility,
        row.rate_limit,
    )


def _account(row: Row) -> Account:
    return Account(row.name, row.county, row.role, row.created_at, bool(row.record_searches), row.email)
