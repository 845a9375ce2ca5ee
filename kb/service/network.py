"""The network directory: each county's role and its contact people by topic.

Administrators set the roles; a county's editors keep its contacts. Contacts are shown to
signed-in members only (the pages decide that; this store holds no access rules of its own).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from kb.core.documents import DocumentRecord
from kb.core.errors import KbError
from kb.core.vocabulary import NETWORK_ROLES, canonical_topic, checked_email, county_name
from kb.service.catalogue import CatalogueStore

_MAX_FIELD = 200


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    county: str
    topic: str
    name: str
    function: str
    email: str


@dataclass(frozen=True, slots=True)
class CountyProfile:
    """What the network knows of one county, as one viewer may see it."""

    county: str
    role: str | None
    documents: list[DocumentRecord]  # ready documents the viewer may see
    contacts: list[Contact]  # empty unless the viewer is a signed-in member

    @property
    def topics(self) -> list[tuple[str, int]]:
        """Topics its documents cover, with how many documents each, most first."""
        counted = Counter(topic for d in self.documents for topic in d.metadata.topics)
        return sorted(counted.items(), key=lambda item: (-item[1], item[0]))


class Network(CatalogueStore):
    """County roles and contact people."""

    # roles

    def roles(self) -> dict[str, str]:
        return {row.county: row.role for row in self._db.execute("SELECT county, role FROM county_roles")}

    def role(self, county: str) -> str | None:
        return self.roles().get(county)

    def set_role(self, county: str, role: str | None) -> str:
        """Give ``county`` a network role (None or "" takes it away); returns the canonical county name."""
        name = county_named(county)
        if not role:
            self._db.execute("DELETE FROM county_roles WHERE county = ?", (name,))
            return name
        if role not in NETWORK_ROLES:
            raise KbError(f"Unbekannte Rolle im Netzwerk {role!r}; möglich: {', '.join(NETWORK_ROLES)}.")
        self._db.execute(
            "INSERT INTO county_roles (county, role) VALUES (?, ?) ON CONFLICT(county) DO UPDATE SET role = ?",
            (name, role, role),
        )
        return name

    # contacts

    def contacts(self, county: str | None = None) -> list[Contact]:
        """Contacts of ``county`` (all without), by county, topic and name."""
        where, args = ("WHERE county = ?", (county,)) if county else ("", ())
        rows = self._db.execute(
            f"SELECT id, county, topic, name, function, email FROM contacts {where} ORDER BY county, topic, name",
            args,
        )
        return [Contact(**row._asdict()) for row in rows]

    def add_contact(self, county: str, topic: str, name: str, function: str, email: str) -> Contact:
        """Add a contact person of ``county`` for ``topic``; every field is checked."""
        county = county_named(county)
        found_topic = canonical_topic(topic or "")
        if found_topic is None:
            raise KbError(f"Unbekanntes Handlungsfeld {topic!r}.")
        name, function, email = (value.strip() for value in (name, function, email))
        if not name or len(name) > _MAX_FIELD or len(function) > _MAX_FIELD:
            raise KbError(f"Bitte einen Namen angeben (Name und Funktion höchstens {_MAX_FIELD} Zeichen).")
        email = checked_email(email)
        cursor = self._db.execute(
            "INSERT INTO contacts (county, topic, name, function, email, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            (county, found_topic, name, function, email, datetime.now(UTC).isoformat(timespec="seconds")),
        )
        return Contact(int(cursor.fetchone()[0]), county, found_topic, name, function, email)

    def contact(self, contact_id: int) -> Contact | None:
        row = self._db.execute(
            "SELECT id, county, topic, name, function, email FROM contacts WHERE id = ?", (contact_id,)
        ).fetchone()
        return Contact(**row._asdict()) if row else None

    def remove_contact(self, contact_id: int) -> None:
        self._db.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))


def county_named(name: str | None) -> str:
    """A county's name as documents and accounts keep it, or a clear error."""
    found = county_name(name)
    if found is None or len(found) > _MAX_FIELD:
        raise KbError("Bitte einen Landkreis angeben.")
    return found
