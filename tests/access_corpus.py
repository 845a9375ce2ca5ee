"""A corpus for access tests: one document per visibility level of one county, plus a Kreis-intern
document of a third county, each with marker words found nowhere else; and the identities that
ask (accounts and API keys), with the documents each of them may see, written out by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kb.core.config import Config
from kb.core.embedding import Embedder
from kb.service import KnowledgeBase
from kb.service.accounts import Accounts

OWN, OTHER, THIRD = "Landkreis Hohenwalde", "Landkreis Moorbach", "Landkreis Talheim-Ost"
PASSWORD = "sehr-geheimes-passwort"
QUERY = "Klimaschutz Gemeinden Wärmeplanung"  # every document matches it; no marker in it


@dataclass(frozen=True)
class Doc:
    key: str  # P, N, K, T
    level: str
    county: str
    markers: tuple[str, ...]  # in title, file name and text: must never show where the doc is hidden

    @property
    def file_name(self) -> str:
        return f"{self.markers[0].lower()}.md"


DOCS = (
    Doc("P", "öffentlich", OWN, ("Zebrafinkbericht", "Zebrafinkzahl")),
    Doc("N", "Netzwerk", OWN, ("Quokkanetzplan", "Quokkanetzzahl")),
    Doc("K", "Kreis-intern", OWN, ("Axolotlentwurf", "Axolotlhaushalt")),
    Doc("T", "Kreis-intern", THIRD, ("Pangolinprotokoll", "Pangolinname", "Talheim")),  # its county too
)


@dataclass(frozen=True)
class Identity:
    name: str
    sees: frozenset[str]  # keys of DOCS
    changes: frozenset[str] = frozenset()
    account: tuple[str | None, str] | None = None  # (county, role) of a signed-in account
    key: tuple[str, str | None, str] | None = None  # (scope, county, highest level) of an API key

    @property
    def on_pages(self) -> bool:
        return self.key is None

    @property
    def on_api(self) -> bool:
        return self.account is None


def _keys(scope: str) -> list[Identity]:
    writes = scope == "write"
    return [
        Identity(f"{scope}-key-öffentlich", frozenset("P"), frozenset("P" * writes), key=(scope, None, "public")),
        Identity(f"{scope}-key-netzwerk", frozenset("PN"), frozenset("PN" * writes), key=(scope, None, "network")),
        Identity(
            f"{scope}-key-eigener-kreis",
            frozenset("PNK"),
            frozenset("PNK" * writes),
            key=(scope, OWN, "county"),
        ),
        Identity(f"{scope}-key-anderer-kreis", frozenset("PN"), frozenset(), key=(scope, OTHER, "county")),
    ]


IDENTITIES = (
    Identity("anonym", frozenset("P")),
    Identity("leser-anderer-kreis", frozenset("PN"), account=(OTHER, "leser")),
    Identity("redaktion-anderer-kreis", frozenset("PN"), account=(OTHER, "redaktion")),
    Identity("leser-eigener-kreis", frozenset("PNK"), account=(OWN, "leser")),
    Identity("redaktion-eigener-kreis", frozenset("PNK"), frozenset("PNK"), account=(OWN, "redaktion")),
    Identity("verwaltung", frozenset("PNKT"), frozenset("PNKT"), account=(None, "verwaltung")),
    *_keys("read"),
    *_keys("write"),
)


def build(data: Path, embedder: Embedder, config: Config) -> dict[str, int]:
    """Ingest the four documents into ``data``; returns their ids by key."""
    folder = data.parent / "access-docs"
    folder.mkdir()
    for doc in DOCS:
        first, second = doc.markers[:2]
        path = folder / doc.file_name
        path.write_text(
            f"# {first}\n\nDer {doc.county} berichtet über Klimaschutz in den Gemeinden und die Wärmeplanung. "
            f"Im Haushalt steht {second} als eigene Position; die Gemeinden beraten darüber im Herbst.\n",
            "utf-8",
        )
        sidecar = {"title": f"{first} {doc.county}", "county": doc.county, "visibility": doc.level}
        Path(f"{path}.meta.json").write_text(json.dumps(sidecar, ensure_ascii=False), "utf-8")
    kb = KnowledgeBase(config, embedder=embedder)
    report = kb.ingest([folder])
    assert not report.failed, report.failed
    ids = {doc.key: kb.find_document(doc.file_name).id for doc in DOCS}
    kb.close()
    return ids


def credentials(config: Config) -> dict[str, str]:
    """Accounts (name = identity name) and keys for every identity; returns the keys by identity name."""
    accounts = Accounts(config.database)
    keys = {}
    for identity in IDENTITIES:
        if identity.account:
            county, role = identity.account
            accounts.add_user(identity.name, PASSWORD, county=county, role_name=role)
        if identity.key:
            scope, county, level = identity.key
            keys[identity.name] = accounts.create_key(scope, identity.name, county=county, highest=level)
    accounts.close()
    return keys
