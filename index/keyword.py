"""Keyword index (Whoosh, BM25F) with German analysis. The only module that imports whoosh.

Analysis: words are lower-cased, stopwords dropped, umlauts and ß folded ("Wärme" = "Waerme" =
"Warme", "Straße" = "Strasse"), stemmed (Snowball German) and split into their compound parts
(CharSplit, Tuggener 2016), which are indexed at the same position as the whole word, so
"Konzept" finds "Klimaschutzkonzept" and "Wärmeplanung" finds "Kommunale Wärmeplanung".
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from whoosh import index
from whoosh import query as q
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.lang import stopwords_for_language

from kb.core.access import DEFAULT_VISIBILITY
from kb.core.documents import NO_FILTERS, SearchFilters

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_FOLD = [("ä", "a"), ("ö", "o"), ("ü", "u"), ("ß", "ss"), ("ae", "a"), ("oe", "o"), ("ue", "u")]
_MIN_COMPOUND = 8  # shorter words are rarely compounds worth splitting
_MIN_PART = 4  # "Gemein|den" is no split: both parts need four letters
_MIN_SPLIT_SCORE = -0.55  # CharSplit's score of a plausible split (own check on climate vocabulary)
_TEXT_FIELDS = {"text": 1.0, "heading": 1.5, "title": 1.2}


@dataclass(frozen=True, slots=True)
class KeywordEntry:
    passage_id: int
    document_id: int
    text: str
    title: str
    heading: str
    county: str | None
    doc_type: str | None
    topics: tuple[str, ...]
    year: int | None
    visibility: str = DEFAULT_VISIBILITY  # public | network | county (kb.core.access)


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    return frozenset(stopwords_for_language("de"))


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("german")


def _fold(word: str) -> str:
    for a, b in _FOLD:
        word = word.replace(a, b)
    return word


@lru_cache(maxsize=200_000)
def word_terms(word: str) -> tuple[str, ...]:
    """Index terms of one lower-cased word: its stem, then the stems of its compound parts."""
    stem = _stemmer().stemWord(_fold(word))
    return (stem, *(p for p in _compound_parts(word) if p != stem))


def _compound_parts(word: str, depth: int = 0) -> tuple[str, ...]:
    if len(word) < _MIN_COMPOUND or depth > 2 or not word.isalpha():
        return ()
    from compound_split import char_split

    splits = char_split.split_compound(word)
    if not splits:
        return ()
    score, head, tail = splits[0]
    if score < _MIN_SPLIT_SCORE or len(head) < _MIN_PART or len(tail) < _MIN_PART:
        return ()
    head, tail = head.lower(), tail.lower()
    stems = []
    for part in (head, tail):
        stems.append(_stemmer().stemWord(_fold(part)))
        stems.extend(_compound_parts(part, depth + 1))
    return tuple(dict.fromkeys(stems))


def tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """Words of ``text`` that carry meaning: ``(lower-cased word, start, end)``."""
    stop = _stopwords()
    for match in _WORD.finditer(text):
        word = match.group(0).lower()
        if word not in stop and (len(word) > 1 or word.isdigit()):
            yield word, match.start(), match.end()


def analyze(text: str) -> list[str]:
    """The terms indexed for ``text`` (whole-word stems and compound parts), in order."""
    return [term for word, _, _ in tokens(text) for term in word_terms(word)]


def analyze_query(text: str) -> list[str]:
    """The terms searched for ``text``: whole-word stems only.

    A query word matches a compound in the index through the compound's parts ("Konzept" finds
    "Klimaschutzkonzept"); query words are not split themselves, so a wrong split of a query word
    (CharSplit reads "Kommunen" as "Komm|unen") cannot pull in unrelated passages.
    """
    return list(dict.fromkeys(word_terms(word)[0] for word, _, _ in tokens(text)))


class GermanTokenizer(Tokenizer):
    """Whoosh tokenizer emitting :func:`word_terms` of every word (parts at the word's position)."""

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for position, (word, start, end) in enumerate(tokens(value), start_pos):
            for term in word_terms(word):
                token.text = term
                token.boost = 1.0
                token.stopped = False
                if positions:
                    token.pos = position
                if chars:
                    token.startchar, token.endchar = start_char + start, start_char + end
                yield token


def _schema() -> Schema:
    analyzer = GermanTokenizer()
    return Schema(
        passage_id=ID(stored=True, unique=True),
        document_id=ID,
        text=TEXT(analyzer=analyzer),
        title=TEXT(analyzer=analyzer, field_boost=_TEXT_FIELDS["title"]),
        heading=TEXT(analyzer=analyzer, field_boost=_TEXT_FIELDS["heading"]),
        county=ID,
        doc_type=ID,
        topics=KEYWORD(commas=True, lowercase=True),
        year=NUMERIC(int, bits=16, signed=False),
        visibility=ID(stored=True),
    )


class KeywordIndex:
    """A Whoosh index in ``path``. Writers are serialised; readers see the last commit."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        if index.exists_in(str(path)):
            self._index = index.open_dir(str(path))
            # written before visibility (issue 12): its entries lack the field until rewritten
            self.needs_visibility = "visibility" not in self._index.schema
        else:
            self._index = index.create_in(str(path), _schema())
            self.needs_visibility = False
        self._write_lock = threading.Lock()
        self._searcher = None
        self._search_lock = threading.Lock()

    def add(self, entries: Sequence[KeywordEntry], *, replace: bool = False) -> None:
        """Index passages; ``replace`` overwrites entries whose passage ids are already indexed."""
        self.apply((), entries, replace=replace)

    def apply(
        self, deleted_documents: Sequence[int], entries: Sequence[KeywordEntry], *, replace: bool = False
    ) -> None:
        """Delete documents, then add entries, in one commit.

        New passages are plainly added: ``update_document`` would search every segment for an
        old version of each entry, which makes a large index slow to grow.
        """
        if not deleted_documents and not entries:
            return
        with self._write_lock:
            writer = self._index.writer(limitmb=256)
            for document_id in deleted_documents:
                writer.delete_by_term("document_id", str(document_id))
            put = writer.update_document if replace else writer.add_document
            for e in entries:
                put(
                    passage_id=str(e.passage_id),
                    document_id=str(e.document_id),
                    text=e.text,
                    title=e.title,
                    heading=e.heading,
                    county=(e.county or "").lower(),
                    doc_type=(e.doc_type or "").lower(),
                    topics=",".join(t.lower() for t in e.topics),
                    year=e.year if e.year is not None else 0,
                    visibility=e.visibility,
                )
            writer.commit()
        with self._search_lock:
            self._searcher = None  # reopened on the next search; a search under way keeps the old one

    def delete_documents(self, document_ids: Sequence[int]) -> None:
        self.apply(document_ids, ())

    def add_visibility_field(self) -> None:
        """Give an index of an older schema the visibility field (callers then rewrite its entries)."""
        with self._write_lock:
            self._index = index.open_dir(str(self.path))  # another process may have added it
            if "visibility" not in self._index.schema:
                self._index.add_field("visibility", ID(stored=True))
                self._index = index.open_dir(str(self.path))
            self.needs_visibility = False
        with self._search_lock:
            self._searcher = None

    def _current_searcher(self):
        """The searcher, reopened after this object's own commits.

        Another process's commits are not looked for here (listing the index folder on every
        search is costly): the knowledge base reloads its indexes when the manifest changes.
        """
        with self._search_lock:
            if self._searcher is None:
                self._searcher = self._index.searcher()
            return self._searcher

    def count(self) -> int:
        return self._current_searcher().doc_count()

    def passage_ids(self) -> set[int]:
        searcher = self._current_searcher()
        return {int(fields["passage_id"]) for fields in searcher.all_stored_fields()}

    def visibilities(self) -> dict[int, str | None]:
        """Passage id -> the visibility its entry is filtered by (None: the entry has none)."""
        searcher = self._current_searcher()
        return {int(f["passage_id"]): f.get("visibility") for f in searcher.all_stored_fields()}

    def search(self, query: str, *, filters: SearchFilters = NO_FILTERS, limit: int = 100) -> list[tuple[int, float]]:
        """``(passage_id, BM25F score)`` best first; filters are part of the Whoosh query."""
        terms = analyze_query(query)
        if not terms:
            return []
        searcher = self._current_searcher()
        clauses = [q.Term(field, term) for field in _TEXT_FIELDS for term in terms]
        results = searcher.search(q.Or(clauses), limit=limit, filter=_filter_query(filters), terms=False, optimize=True)
        # Equal scores are ordered by passage id: Whoosh orders them by its internal document
        # numbers, which segment merges reshuffle, so rankings would differ between an index
        # grown by many commits and the same passages rebuilt in one.
        return sorted(((int(hit["passage_id"]), float(hit.score)) for hit in results), key=lambda h: (-h[1], h[0]))

    def idf_mass(self, query: str) -> float:
        """Sum of the query terms' idf in the text field: the scale of a BM25 score that matches
        every term once, so BM25 can be compared across queries (cf. Bruch, Gai & Ingber 2023)."""
        terms = analyze_query(query)
        if not terms:
            return 0.0
        searcher = self._current_searcher()
        return float(sum(searcher.idf("text", term) for term in terms))

    def coverage(self, query: str, texts: Sequence[str]) -> list[float]:
        """Per text, the share of the query's idf mass whose terms it contains (0 to 1)."""
        terms = analyze_query(query)
        searcher = self._current_searcher() if terms else None
        weights = {term: searcher.idf("text", term) for term in terms} if searcher else {}
        mass = sum(weights.values())
        if mass <= 0:
            return [0.0] * len(texts)
        shares = []
        for text in texts:
            found = set(analyze(text))
            shares.append(sum(weight for term, weight in weights.items() if term in found) / mass)
        return shares

    def match_terms(self, query: str, text: str) -> list[tuple[int, int]]:
        """Character spans of the words in ``text`` that match a term of ``query``."""
        wanted = set(analyze_query(query))
        if not wanted:
            return []
        return [(start, end) for word, start, end in tokens(text) if wanted.intersection(word_terms(word))]


def _filter_query(filters: SearchFilters) -> q.Query | None:
    if filters.is_empty():
        return None
    clauses = []
    if filters.access is not None:
        visible: list[q.Query] = [q.Term("visibility", level) for level in filters.access.levels]
        if filters.access.county:
            own = q.Term("county", filters.access.county.lower())
            visible.append(q.And([q.Term("visibility", "county"), own]))
        clauses.append(q.Or(visible))
    for field, values in (
        ("county", filters.counties),
        ("doc_type", filters.doc_types),
        ("topics", filters.topics),
        ("document_id", filters.document_ids),
    ):
        if values:
            clauses.append(q.Or([q.Term(field, str(v).lower()) for v in values]))
    if filters.year_from is not None or filters.year_to is not None:
        clauses.append(q.NumericRange("year", filters.year_from, filters.year_to))
    return q.And(clauses)
