"""The stores beside the catalogue — accounts with their sessions and API keys, saved searches, the
Merkliste, the network directory — do the same on both engines (an SQLite file, PostgreSQL)."""

from __future__ import annotations

import time

import psycopg
import pytest

from kb.core.access import Access
from kb.core.documents import Metadata, PassageDraft, SearchFilters
from kb.core.errors import KbError
from kb.service.accounts import Accounts
from kb.service.catalogue import Catalogue
from kb.service.merkliste import Merkliste, MerklisteFull
from kb.service.network import Network
from kb.service.rate_counts import RateCounts
from kb.service.saved_searches import SavedSearches

OWN = "Landkreis Hohenwalde"
PASSWORD = "sehr-geheimes-passwort"


def test_accounts_sign_in_change_and_end_sessions(database):
    accounts = Accounts(database)
    accounts.add_user("anna", PASSWORD, county=OWN, role_name="redaktion")
    accounts.add_user("bernd", PASSWORD, role_name="verwaltung")
    assert accounts.verify_user("anna", PASSWORD) and not accounts.verify_user("anna", "falsch-falsch-falsch")
    assert not accounts.verify_user("niemand", PASSWORD)
    assert [a.name for a in accounts.users()] == ["anna", "bernd"]
    token = accounts.start_session("anna")
    assert accounts.session_account("anna", token).county == OWN
    assert accounts.session_account("bernd", token) is None  # a token belongs to its account
    accounts.set_email("anna", "anna@example.org")
    accounts.set_records_searches("anna", False)
    anna = accounts.account("anna")
    assert (anna.email, anna.records_searches, anna.role) == ("anna@example.org", False, "redaktion")
    accounts.add_user("anna", "ein-neues-passwort", county=OWN, role_name="leser")  # a new password signs out
    assert accounts.session_account("anna", token) is None
    assert accounts.account("anna").role == "leser"
    second = accounts.start_session("bernd")
    accounts.end_session(second)
    assert accounts.session_account("bernd", second) is None
    with pytest.raises(KbError, match="Landkreis"):
        accounts.add_user("carla", PASSWORD, role_name="leser")
    accounts.close()


def test_api_keys_are_shown_once_verified_by_hash_and_revoked(database):
    accounts = Accounts(database)
    portal = accounts.create_key("read", "Portal")
    writer = accounts.create_key("write", "Redaktion", county=OWN, highest="county", limit="10 per minute")
    assert accounts.verify_key(portal).visibility == "public"
    found = accounts.verify_key(writer)
    assert (found.scope, found.county, found.visibility, found.rate_limit) == ("write", OWN, "county", "10 per minute")
    assert accounts.verify_key(portal[:-1] + "x") is None
    assert [k.label for k in accounts.keys()] == ["Portal", "Redaktion"]
    accounts.revoke_key(found.key_id)
    assert accounts.verify_key(writer) is None
    with pytest.raises(KbError, match="Keinen aktiven"):
        accounts.revoke_key(found.key_id)
    accounts.close()


def test_saved_searches_keep_query_filters_token_and_digest(database):
    accounts = Accounts(database)
    accounts.add_user("anna", PASSWORD, county=OWN)
    searches = SavedSearches(database)
    filters = SearchFilters(counties=(OWN,), topics=("Mobilität",), year_from=2020)
    first = searches.save("anna", "  Lastenrad   Förderung ", filters)
    second = searches.save("anna", "Wärmeplanung", SearchFilters())
    assert (first.query, first.filters.counties, first.filters.year_from) == ("Lastenrad Förderung", (OWN,), 2020)
    assert searches.by_token(first.token) == first and searches.by_token("unbekannt") is None
    searches.set_digest("anna", second.id, True)
    assert [s.id for s in searches.with_digest()] == [second.id]
    searches.digest_sent([second.id], "2026-12-01T06:00:00+00:00")
    assert searches.of("anna")[1].since == "2026-12-01T06:00:00+00:00"
    searches.remove("anna", first.id)
    assert [s.id for s in searches.of("anna")] == [second.id]
    accounts.add_user("anna", PASSWORD, county=OWN)  # a reset account keeps its searches
    assert len(searches.of("anna")) == 1
    searches.close()
    accounts.close()


def _passages(database, count: int) -> tuple[Catalogue, int, list[int]]:
    catalogue = Catalogue(database)
    with catalogue.transaction():
        document = catalogue.upsert_document(
            source_key="k",
            content_hash="h",
            file_name="k.md",
            format="md",
            metadata=Metadata(title="Konzept", county=OWN, visibility="county"),
            page_count=None,
            pages_without_text=[],
            status="ready",
        )
        drafts = [PassageDraft(i, f"Satz {i}", None, None, (), 0, 7, 2) for i in range(count)]
        ids = [p.id for p in catalogue.replace_passages(document, drafts)]
    return catalogue, document, ids


def test_the_merkliste_keeps_the_order_collected_and_loses_deleted_passages(database, monkeypatch):
    catalogue, document, ids = _passages(database, 4)
    merkliste = Merkliste(database)
    for passage_id in (ids[2], ids[0], ids[3], ids[0]):  # within one second; the second ids[0] changes nothing
        merkliste.add("user:anna", passage_id)
    merkliste.add("user:bernd", ids[1])
    assert merkliste.passage_ids("user:anna") == [ids[2], ids[0], ids[3]]
    assert merkliste.visible_ids("user:anna", Access(("public", "network"))) == []
    assert merkliste.visible_ids("user:anna", Access(("public", "network"), OWN)) == [ids[2], ids[0], ids[3]]
    merkliste.remove("user:anna", ids[0])
    assert merkliste.passage_ids("user:anna") == [ids[2], ids[3]]
    monkeypatch.setattr("kb.service.merkliste.MAX_ENTRIES", 2)
    with pytest.raises(MerklisteFull):
        merkliste.add("user:anna", ids[1])
    with catalogue.transaction():
        catalogue.delete_document(document)
    assert merkliste.passage_ids("user:anna") == [] and merkliste.passage_ids("user:bernd") == []
    merkliste.close()
    catalogue.close()


def test_the_network_keeps_roles_and_contacts(database):
    network = Network(database)
    assert network.set_role(f" {OWN} ", "Vorreiterkreis") == OWN
    network.set_role(OWN, "Klimakreis")
    assert network.roles() == {OWN: "Klimakreis"}
    anna = network.add_contact(OWN, "Gebäude und Wärme", "Anna", "Klimaschutz", "anna@example.org")
    network.add_contact(OWN, "Mobilität", "Bernd", "", "bernd@example.org")
    assert network.contact(anna.id) == anna
    assert [c.name for c in network.contacts(OWN)] == ["Anna", "Bernd"]
    with pytest.raises(KbError):
        network.add_contact(OWN, "Kochen", "Carla", "", "carla@example.org")
    network.remove_contact(anna.id)
    network.set_role(OWN, None)
    assert network.roles() == {} and [c.name for c in network.contacts()] == ["Bernd"]
    network.close()


@pytest.mark.postgres
def test_rate_counts_hold_a_limit_across_connections_until_the_window_ends(database):
    """Two processes' counters (two connections) count one limit; a new window starts afresh."""
    from limits import parse
    from limits.strategies import FixedWindowRateLimiter

    limit = parse("2 per 1 second")
    one, other = (FixedWindowRateLimiter(RateCounts(database=str(database))) for _ in range(2))
    assert [one.hit(limit, "1.2.3.4"), other.hit(limit, "1.2.3.4"), one.hit(limit, "1.2.3.4")] == [True, True, False]
    assert other.hit(limit, "5.6.7.8")  # another address, its own count
    assert one.get_window_stats(limit, "1.2.3.4").remaining == 0
    time.sleep(1.1)
    assert other.hit(limit, "1.2.3.4") and one.get_window_stats(limit, "1.2.3.4").remaining == 1


def test_a_store_works_again_after_postgresql_restarted(postgres_server):
    """Patching the database server cuts every open connection: the statement that meets the cut
    fails, and the next ones (and transactions) get a new connection instead of failing for ever."""
    accounts = Accounts(postgres_server.new_database())
    accounts.add_user("anna", PASSWORD, county=OWN)
    postgres_server.restart()
    failures = 0
    for _ in range(2):
        try:
            assert accounts.verify_user("anna", PASSWORD)
            break
        except psycopg.OperationalError:
            failures += 1
    assert failures <= 1
    accounts.add_user("bernd", PASSWORD, role_name="verwaltung")  # a transaction on the new connection
    assert [a.name for a in accounts.users()] == ["anna", "bernd"]
