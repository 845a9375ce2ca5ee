"""Who may see and change which document: visibility levels, roles and the viewer of a request.

Three levels, from open to closed: ``public`` (öffentlich: anyone, the portal), ``network``
(Netzwerk: signed-in members of any county) and ``county`` (Kreis-intern: members of the owning
county only). A viewer carries the highest level it may see and its county; :class:`Access` is
the restriction that follows from it, applied by the catalogue (SQL) and both indexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.core.errors import KbError

PUBLIC, NETWORK, COUNTY = "public", "network", "county"
LEVELS: tuple[str, ...] = (PUBLIC, NETWORK, COUNTY)  # open to closed
LABELS: dict[str, str] = {PUBLIC: "öffentlich", NETWORK: "Netzwerk", COUNTY: "Kreis-intern"}
# Nobody chose to publish a document without a level: it stays among signed-in members (README).
DEFAULT_VISIBILITY = NETWORK
_ALIASES: dict[str, str] = {
    **{code: code for code in LEVELS},
    **{label.lower(): code for code, label in LABELS.items()},
    "oeffentlich": PUBLIC,
    "kreisintern": COUNTY,
    "kreis_intern": COUNTY,
}

READER, EDITOR, ADMIN = "leser", "redaktion", "verwaltung"
ROLES: tuple[str, ...] = (READER, EDITOR, ADMIN)
_RATE_LIMIT = re.compile(r"^\d+\s*(per|/)\s*(\d+\s+)?(second|minute|hour|day)s?$")


def visibility(value: str) -> str:
    """The level code for a level as users write it ("Kreis-intern", "county", "netzwerk")."""
    code = _ALIASES.get(" ".join(str(value).split()).lower())
    if code is None:
        allowed = ", ".join(f"{LABELS[c]} ({c})" for c in LEVELS)
        raise KbError(f"Unbekannte Sichtbarkeit {value!r}; möglich: {allowed}.")
    return code


def role(value: str) -> str:
    if value not in ROLES:
        raise KbError(f"Unbekannte Rolle {value!r}; möglich: {', '.join(ROLES)}.")
    return value


def rate_limit(value: str) -> str:
    """A limit in Flask-Limiter's words ("600 per minute"), checked."""
    value = " ".join(value.split()).lower()
    if not _RATE_LIMIT.match(value):
        raise KbError(f"Ungültiges Ratenlimit {value!r}; Beispiel: '600 per minute'.")
    return value


def same_county(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.lower() == b.lower())


@dataclass(frozen=True, slots=True)
class Access:
    """What a viewer may see: documents at ``levels``, plus Kreis-intern ones of ``county``."""

    levels: tuple[str, ...]
    county: str | None = None

    def sees(self, level: str, county: str | None) -> bool:
        return level in self.levels or (level == COUNTY and same_county(self.county, county))


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: anonymous, a signed-in account or an API key.

    ``clearance`` is the highest level it may see; ``writes`` whether it may add and change
    documents at all; ``all_counties`` whether it may change documents of every county (the
    network's administrators) or only of its own (editors, county keys).
    """

    id: str  # "anonym", "user:NAME", "key:ID": whose jobs are whose
    county: str | None = None
    clearance: str = PUBLIC
    role: str | None = None  # an account's role; None for anonymous visitors and keys
    writes: bool = False
    all_counties: bool = False

    @property
    def sees_all(self) -> bool:
        return self.role == ADMIN

    @property
    def access(self) -> Access | None:
        """The restriction for search and lists; None for administrators, who see everything."""
        if self.sees_all:
            return None
        levels = LEVELS[: LEVELS.index(self.clearance) + 1]
        if COUNTY in levels:
            return Access(levels[:-1], self.county)
        return Access(levels)

    def sees(self, level: str, county: str | None) -> bool:
        access = self.access
        return access is None or access.sees(level, county)

    def may_place(self, county: str | None) -> bool:
        """May this viewer add a document of ``county`` (or move one there)?"""
        return self.writes and (self.all_counties or same_county(self.county, county))


ANONYMOUS = Viewer("anonym")
OPERATOR = Viewer("betrieb", role=ADMIN, clearance=COUNTY, writes=True, all_counties=True)  # CLI: the data dir's owner


def member(name: str, county: str | None, account_role: str) -> Viewer:
    """A signed-in account: members see network material and their county's internal documents."""
    return Viewer(
        f"user:{name}",
        county=county,
        clearance=COUNTY,
        role=account_role,
        writes=account_role in (EDITOR, ADMIN),
        all_counties=account_role == ADMIN,
    )


def key_holder(key_id: str, scope: str, county: str | None, clearance: str) -> Viewer:
    """An API key: sees up to its level; a write key changes its county's documents (all without county)."""
    return Viewer(
        f"key:{key_id}",
        county=county,
        clearance=clearance,
        writes=scope == "write",
        all_counties=county is None,
    )
