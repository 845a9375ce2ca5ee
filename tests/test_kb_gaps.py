"""Gaps are grouped by meaning with the real model: paraphrases of one question count together,
other questions stay apart; counts over time; the retention limit forgets old records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from kb.service.gaps import UNANSWERED, UNHELPFUL, GapLog, gaps_csv

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_paraphrases_form_one_group_and_other_questions_their_own(tmp_path: Path, embedder):
    log = GapLog(tmp_path / "catalogue.sqlite3", retention_days=365)
    asked = [
        ("Wie fördern wir Lastenräder?", UNANSWERED, 40),
        ("Förderung von Lastenfahrrädern im Landkreis", UNHELPFUL, 10),
        ("Zuschuss für Lastenrad", UNANSWERED, 2),
        ("Wärmepumpen in Altbauten", UNANSWERED, 35),
        ("Lohnt sich eine Wärmepumpe im alten Haus?", UNHELPFUL, 3),
        ("Wie funktioniert ein Quantencomputer?", UNANSWERED, 1),
    ]
    for question, kind, days_ago in asked:
        log.record(kind, question, "", now=NOW - timedelta(days=days_ago))
    groups = log.groups(embedder.embed_query)
    assert [sorted(g.query for g in group.gaps) for group in groups] == [
        sorted(q for q, _, _ in asked[:3]),
        sorted(q for q, _, _ in asked[3:5]),
        [asked[5][0]],
    ]
    bikes = groups[0]
    assert (bikes.count_of(UNANSWERED), bikes.count_of(UNHELPFUL)) == (2, 1)
    assert bikes.by_month() == [("2026-10", 1), ("2026-11", 2)]
    assert bikes.label in {q for q, _, _ in asked[:3]}
    assert len(gaps_csv(groups).splitlines()) == 1 + len(asked)

    assert log.purge(now=NOW + timedelta(days=365 - 30)) == 2  # the two asked more than 335 days before
    assert sum(group.count for group in log.groups(embedder.embed_query)) == 4
    log.close()


def test_the_retention_limit_forgets_old_records(database):
    log = GapLog(database, retention_days=30)
    for days_ago in (40, 31, 29, 0):
        log.record(UNANSWERED, f"Frage vor {days_ago} Tagen", "", now=NOW - timedelta(days=days_ago))
    assert log.purge(now=NOW) == 2
    assert [gap.query for gap in log.entries()] == ["Frage vor 0 Tagen", "Frage vor 29 Tagen"]
    assert log.count(UNANSWERED) == 2
    log.close()


def test_showing_the_groups_again_embeds_only_the_questions_asked_since(database, fake_embedder):
    log = GapLog(database, retention_days=365)
    embedded: list[str] = []

    def embed(question: str):
        embedded.append(question)
        return fake_embedder.embed_query(question)

    for question in ("Wie fördern wir Lastenräder?", "Wärmepumpen in Altbauten", "wie fördern wir lastenräder?"):
        log.record(UNANSWERED, question, "")
    first = log.groups(embed)
    assert sorted(embedded) == ["wie fördern wir lastenräder?", "wärmepumpen in altbauten"]
    assert log.groups(embed) == first and len(embedded) == 2
    log.record(UNHELPFUL, "Zuschuss für Lastenrad", "")
    assert sum(group.count for group in log.groups(embed)) == 4
    assert embedded[2:] == ["zuschuss für lastenrad"]
    log.close()


def test_beyond_the_newest_questions_older_ones_stand_alone_and_still_count(database, fake_embedder, monkeypatch):
    """Grouping compares every pair of questions; a log of 50,000 must not exhaust the memory."""
    monkeypatch.setattr("kb.service.gaps.MAX_GROUPED", 3)
    log = GapLog(database, retention_days=365)
    asked = ["Lastenrad Förderung", "Moorschutz", "Wärmepumpe", "Bürgerenergie", "Lastenrad Förderung", "Starkregen"]
    for days_ago, question in enumerate(reversed(asked)):  # the last one asked most recently
        log.record(UNANSWERED, question, "", now=NOW - timedelta(days=days_ago))
    embedded: list[str] = []
    groups = log.groups(lambda question: embedded.append(question) or fake_embedder.embed_query(question))
    assert sorted(embedded) == ["bürgerenergie", "lastenrad förderung", "starkregen"]
    assert sum(group.count for group in groups) == len(asked)
    assert {group.label for group in groups} >= {"Moorschutz", "Wärmepumpe"}
    log.close()
