"""Keyword index (Tantivy, BM25) with German analysis. The only module that imports tantivy.

Analysis: words are lower-cased, stopwords dropped, umlauts and ß folded ("Wärme" = "Waerme" =
"Warme", "Straße" = "Strasse"), stemmed (Snowball German) and split into their compound parts
(CharSplit, Tuggener 2016), which are indexed beside the whole word, so "Konzept" finds
"Klimaschutzkonzept" and "Wärmeplanung" finds "Kommunale Wärmeplanung". The analysis runs here in
Python at index and query time; Tantivy receives the terms joined by spaces in fields it splits
on whitespace. Whoosh did the same analysis before; it was replaced because walking postings in
Python cannot meet the latency goals at 100k–1M passages (README, "Keyword engine").
"""

from __future__ import annotations

import math
import re
import shutil
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import tantivy

from kb.core.access import COUNTY, DEFAULT_VISIBILITY, LEVELS
from kb.core.documents import NO_FILTERS, SearchFilters
from kb.core.files import follow_umask

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_FOLD = [("ä", "a"), ("ö", "o"), ("ü", "u"), ("ß", "ss"), ("ae", "a"), ("oe", "o"), ("ue", "u")]
_MIN_COMPOUND = 8  # shorter words are rarely compounds worth splitting
_MIN_PART = 4  # "Gemein|den" is no split: both parts need four letters
_MIN_SPLIT_SCORE = -0.55  # CharSplit's score of a plausible split (own check on climate vocabulary)
_TEXT_FIELDS = {"text": 1.0, "heading": 1.5, "title": 1.2}  # field boosts
_WRITER_HEAP = 256 * 1024 * 1024  # bytes the writer buffers before it flushes a segment


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
    # the Snowball German list, as Whoosh shipped it (whoosh.lang.stopwords, BSD)
    return frozenset(Path(__file__).with_name("stopwords_de.txt").read_text("utf-8").split())


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("german")


def _fold(word: str) -> str:
    for a, b in _FOLD:
        word = word.replace(a, b)
    return word


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer().stemWord(_fold(word))


@lru_cache(maxsize=200_000)
def word_terms(word: str) -> tuple[str, ...]:
    """Index terms of one lower-cased word: its stem, then the stems of its compound parts."""
    stem = _stem(word)
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
        stems.append(_stem(part))
        stems.extend(_compound_parts(part, depth + 1))
    return tuple(dict.fromkeys(stems))


def tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """Words of ``text`` that carry meaning: ``(lower-cased word, start, end)``."""
    stop = _stopwords()
    for match in _WORD.finditer(text):
        word = match.group(0).lower()
        if word not in stop and (len(word) > 1 or word.isdigit()):
            yield word, match.start(), match.end()


_TERMS_OF_WORD: dict[str, tuple[str, ...]] = {}  # a word as written -> its index terms (none for a stopword)
_MAX_CACHED_WORDS = 500_000


def _terms_of_word(word: str) -> tuple[str, ...]:
    lowered = word.lower()
    if lowered in _stopwords() or not (len(lowered) > 1 or lowered.isdigit()):
        return ()
    return word_terms(lowered)


def analyze(text: str) -> list[str]:
    """The terms indexed for ``text`` (whole-word stems and compound parts), in order.

    The same terms as :func:`tokens` then :func:`word_terms`, looked up per word as written: the
    analysis of a million passages is the largest part of building their index.
    """
    cache = _TERMS_OF_WORD
    terms: list[str] = []
    for word in _WORD.findall(text):
        found = cache.get(word)
        terms += _cache_terms(word) if found is None else found  # () for a stopword: cached too
    return terms


def _cache_terms(word: str) -> tuple[str, ...]:
    if len(_TERMS_OF_WORD) >= _MAX_CACHED_WORDS:
        _TERMS_OF_WORD.clear()
    found = _TERMS_OF_WORD[word] = _terms_of_word(word)
    return found


def analyze_query(text: str) -> list[str]:
    """The terms searched for ``text``: whole-word stems only.

    A query word matches a compound in the index through the compound's parts ("Konzept" finds
    "Klimaschutzkonzept"); query words are not split themselves, so a wrong split of a query word
    (CharSplit reads "Kommunen" as "Komm|unen") cannot pull in unrelated passages. Nor is the
    split computed: it costs milliseconds for each word not seen before.
    """
    return list(_query_terms(text))


@lru_cache(maxsize=4096)  # a search analyses its query a dozen times (search, idf mass, each hit's highlights)
def _query_terms(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_stem(word) for word, _, _ in tokens(text)))


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("passage_id", indexed=True, fast=True)
    builder.add_integer_field("document_id", indexed=True)
    for field in _TEXT_FIELDS:  # pre-analysed terms; BM25 needs frequencies, not positions
        builder.add_text_field(field, tokenizer_name="whitespace", index_option="freq")
    for field in ("county", "doc_type", "topics", "visibility"):
        builder.add_text_field(field, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("year", indexed=True, fast=True)
    return builder.build()


def _is_whoosh(path: Path) -> bool:
    """An index an earlier version wrote with Whoosh (its table of contents is ``_MAIN_<n>.toc``)."""
    return not (path / "meta.json").exists() and any(path.glob("_MAIN_*.toc"))


class KeywordIndex:
    """A Tantivy index in ``path``. Writers are serialised; readers see the last commit.

    A commit is atomic (Tantivy publishes a new ``meta.json`` by rename): a crash leaves the
    previous commit readable. A folder holding a Whoosh index of an earlier version is not read:
    ``needs_visibility`` is then True, and the first :meth:`add_visibility_field` (under the
    caller's write lock) replaces it by an empty Tantivy index that the caller fills from the
    catalogue, as for an index from before visibility levels.
    """

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._schema = _schema()
        self._write_lock = threading.Lock()
        self.needs_visibility = _is_whoosh(path)
        self._index = None if self.needs_visibility else self._open()

    def _open(self) -> tantivy.Index:
        index = tantivy.Index(self._schema, str(self.path), reuse=True)
        index.config_reader("Manual")  # reloaded after own commits; others' via the manifest
        follow_umask(self.path)
        return index

    def add(self, entries: Sequence[KeywordEntry], *, replace: bool = False) -> None:
        """Index passages; ``replace`` overwrites entries whose passage ids are already indexed."""
        self.apply((), entries, replace=replace)

    def apply(
        self, deleted_documents: Sequence[int], entries: Sequence[KeywordEntry], *, replace: bool = False
    ) -> None:
        """Delete documents, then add entries, in one commit."""
        if not deleted_documents and not entries:
            return
        with self._write_lock:
            if self._index is None:
                raise RuntimeError(f"{self.path} holds a Whoosh index: call add_visibility_field() first")
            writer = self._index.writer(_WRITER_HEAP, 1)
            try:
                for document_id in deleted_documents:
                    writer.delete_documents_by_term("document_id", int(document_id))
                for e in entries:
                    if replace:
                        writer.delete_documents_by_term("passage_id", e.passage_id)
                    writer.add_document(_document(e))
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            writer.wait_merging_threads()
            follow_umask(self.path)
            self._index.reload()

    def delete_documents(self, document_ids: Sequence[int]) -> None:
        self.apply(document_ids, ())

    def add_visibility_field(self) -> None:
        """Make a folder of an earlier engine (Whoosh) an empty Tantivy index; callers then
        rewrite its entries. Another process may have done it already: its index is kept."""
        with self._write_lock:
            if _is_whoosh(self.path):
                for item in self.path.iterdir():
                    shutil.rmtree(item) if item.is_dir() else item.unlink()
            if self._index is None:
                self._index = self._open()
            self.needs_visibility = False

    def _searcher(self) -> tantivy.Searcher | None:
        return None if self._index is None else self._index.searcher()

    def count(self) -> int:
        searcher = self._searcher()
        return searcher.num_docs if searcher else 0

    def _ids(self, searcher: tantivy.Searcher, query: tantivy.Query) -> list[int]:
        hits = searcher.search(query, max(1, searcher.num_docs), count=False).hits
        return searcher.fast_field_values("passage_id", [address for _, address in hits])

    def passage_ids(self) -> set[int]:
        searcher = self._searcher()
        if not searcher or not searcher.num_docs:
            return set()
        return set(self._ids(searcher, tantivy.Query.all_query()))

    def passage_ids_of(self, document_ids: Sequence[int]) -> list[int]:
        """The indexed passages of these documents."""
        searcher = self._searcher()
        if not searcher or not searcher.num_docs:
            return []
        found: list[int] = []
        for document_id in document_ids:
            found += self._ids(searcher, tantivy.Query.term_query(self._schema, "document_id", int(document_id)))
        return found

    def visibilities(self) -> dict[int, str | None]:
        """Passage id -> the visibility its entry is filtered by (None: the entry has none)."""
        searcher = self._searcher()
        if not searcher or not searcher.num_docs:
            return {}
        found: dict[int, str | None] = dict.fromkeys(self._ids(searcher, tantivy.Query.all_query()))
        for level in LEVELS:
            for item in self._ids(searcher, tantivy.Query.term_query(self._schema, "visibility", level)):
                found[item] = level
        return found

    def search(self, query: str, *, filters: SearchFilters = NO_FILTERS, limit: int = 100) -> list[tuple[int, float]]:
        """``(passage_id, BM25 score)`` best first; filters are part of the Tantivy query."""
        terms = analyze_query(query)
        searcher = self._searcher()
        if not terms or limit <= 0 or searcher is None:
            return []
        wanted = _terms_query(self._schema, terms)
        restrict = _filter_query(self._schema, filters)
        if restrict is not None:
            wanted = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, wanted), (tantivy.Occur.Must, tantivy.Query.const_score_query(restrict, 0.0))]
            )
        hits = searcher.search(wanted, limit, count=False).hits
        ids = searcher.fast_field_values("passage_id", [address for _, address in hits])
        # Equal scores are ordered by passage id, as a rebuilt index and a grown one order them alike.
        return sorted(((int(i), float(score)) for i, (score, _) in zip(ids, hits, strict=True)), key=_best_first)

    def _idf(self, searcher: tantivy.Searcher, term: str) -> float:
        """Tantivy's BM25 idf of ``term`` in the text field (what its scores are built from)."""
        total = searcher.num_docs
        frequency = searcher.doc_freq("text", term)
        return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5)) if total else 0.0

    def idf_mass(self, query: str) -> float:
        """Sum of the query terms' idf in the text field: the scale of a BM25 score that matches
        every term once, so BM25 can be compared across queries (cf. Bruch, Gai & Ingber 2023)."""
        terms = analyze_query(query)
        searcher = self._searcher() if terms else None
        if searcher is None:
            return 0.0
        return float(sum(self._idf(searcher, term) for term in terms))

    def coverage(self, query: str, texts: Sequence[str]) -> list[float]:
        """Per text, the share of the query's idf mass whose terms it contains (0 to 1)."""
        terms = analyze_query(query)
        searcher = self._searcher() if terms else None
        weights = {term: self._idf(searcher, term) for term in terms} if searcher else {}
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
        wanted = set(_query_terms(query))
        if not wanted:
            return []
        spans = []
        for match in _WORD.finditer(text):  # as tokens() then word_terms(), looked up per word as written
            word = match.group(0)
            found = _TERMS_OF_WORD.get(word)
            if found is None:
                found = _cache_terms(word)
            if found and not wanted.isdisjoint(found):
                spans.append(match.span())
        return spans


def _best_first(hit: tuple[int, float]) -> tuple[float, int]:
    return -hit[1], hit[0]


def _document(e: KeywordEntry) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_integer("passage_id", e.passage_id)
    doc.add_integer("document_id", e.document_id)
    for field, value in (("text", e.text), ("title", e.title), ("heading", e.heading)):
        if value:
            doc.add_text(field, " ".join(analyze(value)))
    doc.add_text("county", (e.county or "").lower())
    doc.add_text("doc_type", (e.doc_type or "").lower())
    for topic in e.topics:
        doc.add_text("topics", topic.lower())
    doc.add_text("visibility", e.visibility)
    doc.add_integer("year", e.year if e.year is not None else 0)
    return doc


def _terms_query(schema: tantivy.Schema, terms: list[str]) -> tantivy.Query:
    """Any term in any text field; a field's boost weighs its BM25 score."""
    clauses = []
    for field, boost in _TEXT_FIELDS.items():
        for term in terms:
            clause = tantivy.Query.term_query(schema, field, term)
            clauses.append((tantivy.Occur.Should, clause if boost == 1.0 else tantivy.Query.boost_query(clause, boost)))
    return tantivy.Query.boolean_query(clauses)


def _filter_query(schema: tantivy.Schema, filters: SearchFilters) -> tantivy.Query | None:
    if filters.is_empty():
        return None
    clauses = []
    if filters.access is not None:
        visible = [tantivy.Query.term_set_query(schema, "visibility", list(filters.access.levels))]
        if filters.access.county:
            own = [
                (tantivy.Occur.Must, tantivy.Query.term_query(schema, "visibility", COUNTY)),
                (tantivy.Occur.Must, tantivy.Query.term_query(schema, "county", filters.access.county.lower())),
            ]
            visible.append(tantivy.Query.boolean_query(own))
        clauses.append(tantivy.Query.boolean_query([(tantivy.Occur.Should, v) for v in visible]))
    for field, values in (("county", filters.counties), ("doc_type", filters.doc_types), ("topics", filters.topics)):
        if values:
            clauses.append(tantivy.Query.term_set_query(schema, field, [str(v).lower() for v in values]))
    if filters.document_ids:
        clauses.append(tantivy.Query.term_set_query(schema, "document_id", [int(v) for v in filters.document_ids]))
    if filters.year_from is not None or filters.year_to is not None:
        clauses.append(
            tantivy.Query.range_query(schema, "year", tantivy.FieldType.Integer, filters.year_from, filters.year_to)
        )
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, c) for c in clauses])
