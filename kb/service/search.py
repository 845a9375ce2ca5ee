"""Hybrid search, extractive answers and "more like this" over the catalogue's passages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from index.fusion import evidence_fusion
from index.indexes import IndexSet
from index.relevance import FLOOR, relevance
from kb.core.documents import NO_FILTERS, DocumentRecord, Passage, SearchFilters
from kb.core.embedding import Embedder
from kb.core.errors import InvalidQuery, KbError, PassageNotFound
from kb.core.vocabulary import DOC_TYPES, TOPICS
from kb.service.answering import NOTHING_FOUND, choose, embed_with_units, unit_scores
from kb.service.catalogue import Catalogue
from kb.service.duplicates import Copy, copies_of

MODES = ("hybrid", "keyword", "dense")
MAX_LIMIT = 100
_CANDIDATES = 100  # per retriever, before fusion
_WIDEN = 4  # a filtered dense search first looks at this many times the candidates it needs
SAME_COUNTY_PENALTY = 0.05  # cosine; about the gap between a close and a loose paraphrase


@dataclass(slots=True)
class Hit:
    passage: Passage
    document: DocumentRecord
    score: float
    dense_rank: int | None
    keyword_rank: int | None
    highlights: list[tuple[int, int]]  # (start, end) offsets of matching terms in passage.text
    near_duplicates: list[Copy] = field(default_factory=list)  # the same text elsewhere, as far as visible
    relevance: float | None = None  # calibrated P(relevant), comparable across queries (index/relevance.py)

    @property
    def matches(self) -> bool:
        return self.relevance is not None and self.relevance >= FLOOR


@dataclass(slots=True)
class SearchResult:
    query: str
    mode: str
    filters: SearchFilters
    hits: list[Hit]
    candidates: int  # how many passages either retriever returned before the limit, copies counted once
    matching: int = 0  # how many of them clear the relevance floor


@dataclass(slots=True)
class AnswerSentence:
    text: str
    score: float
    passage_id: int
    document_id: int
    page: int | None


@dataclass(slots=True)
class Answer:
    query: str
    sentences: list[AnswerSentence]
    hits: list[Hit]
    filters: SearchFilters = field(default_factory=SearchFilters)
    answered: bool = True
    reason: str | None = None  # why nothing is quoted, when not answered


class Rankings(NamedTuple):
    """``(passage_id, score)`` lists, best first."""

    fused: list[tuple[int, float]]  # the mode's ranking; in hybrid mode the evidence fusion's
    dense: list[tuple[int, float]]
    keyword: list[tuple[int, float]]


class Searcher:
    """Runs queries against one catalogue and index set with one embedding model.

    ``lagging``: the indexes may trail the catalogue (a node following a shared one), so every
    candidate is checked against the catalogue, as when some document is not ready.
    """

    def __init__(self, catalogue: Catalogue, indexes: IndexSet, embedder: Embedder, *, lagging: bool = False) -> None:
        self.catalogue = catalogue
        self.indexes = indexes
        self.embedder = embedder
        self.lagging = lagging

    def validate(self, query: str, mode: str, limit: int, offset: int, filters: SearchFilters) -> str:
        query = " ".join(query.split())
        if not query:
            raise InvalidQuery("Die Suchanfrage ist leer. Bitte Stichwörter oder eine Frage eingeben.")
        if mode not in MODES:
            raise InvalidQuery(f"Unbekannter Suchmodus {mode!r}; möglich: {', '.join(MODES)}.")
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidQuery(f"limit muss zwischen 1 und {MAX_LIMIT} liegen, nicht {limit}.")
        if offset < 0:
            raise InvalidQuery(f"offset darf nicht negativ sein, nicht {offset}.")
        tokens = self.embedder.count_query_tokens(query)
        if tokens > self.embedder.max_seq_length:
            raise InvalidQuery(
                f"Die Suchanfrage ist mit {tokens} Tokens zu lang (höchstens "
                f"{self.embedder.max_seq_length}). Bitte kürzer fassen."
            )
        self._check_filter_values(filters)
        if not self.catalogue.has_passages(filters.access):  # hidden documents leave it looking empty
            raise KbError("Die Wissensbasis ist leer. Bitte zuerst Dokumente aufnehmen (`kb ingest PFAD`).")
        return query

    def _check_filter_values(self, filters: SearchFilters) -> None:
        visible = SearchFilters(access=filters.access)  # naming hidden documents' counties would reveal them
        known_counties = {c.lower(): c for c, _ in self.catalogue.facets(visible)["county"]} if filters.counties else {}
        for county in filters.counties:
            if county.lower() not in known_counties:
                raise InvalidQuery(
                    f"Unbekannter Landkreis {county!r}. Vorhanden: "
                    + (", ".join(sorted(known_counties.values())) or "keiner")
                    + "."
                )
        for value, allowed, label in (
            (filters.doc_types, DOC_TYPES, "Dokumenttyp"),
            (filters.topics, TOPICS, "Handlungsfeld"),
        ):
            lowered = {a.lower() for a in allowed}
            for item in value:
                if item.lower() not in lowered:
                    raise InvalidQuery(f"Unbekannter {label} {item!r}; möglich: {', '.join(allowed)}.")
        if filters.year_from and filters.year_to and filters.year_from > filters.year_to:
            raise InvalidQuery(f"Jahr von ({filters.year_from}) liegt nach Jahr bis ({filters.year_to}).")

    def search(
        self, query: str, *, filters: SearchFilters = NO_FILTERS, mode: str = "hybrid", limit: int = 10, offset: int = 0
    ) -> SearchResult:
        query = self.validate(query, mode, limit, offset, filters)
        # Relevance needs both retrievers' evidence, whatever the mode orders by. A hit's relevance
        # depends on its own cosine and BM25 only, so keyword mode needs no dense candidates: its
        # hits get their cosines from the stored vectors (and no dense rank).
        fused, dense, keyword = self.rank(
            query,
            mode="hybrid",
            filters=filters,
            depth=max(_CANDIDATES, 2 * (limit + offset)),
            dense_candidates=mode != "keyword",
        )
        ranked = self.collapse({"hybrid": fused, "dense": dense, "keyword": keyword}[mode])
        scores = relevance([score for _, score in fused]).tolist()
        relevant = dict(zip([item for item, _ in fused], scores, strict=True))
        hits = self._hits(query, ranked[offset : offset + limit], dense, keyword, relevant)
        copies = copies_of(self.catalogue, [hit.passage.id for hit in hits], filters.access)
        for hit in hits:
            hit.near_duplicates = copies.get(hit.passage.id, [])
        matching = sum(1 for item, _ in ranked if relevant.get(item, 0.0) >= FLOOR)
        return SearchResult(query, mode, filters, hits, len(ranked), matching)

    def collapse(self, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """One passage per near-duplicate group: its best ranked.

        The ranking holds only passages the filters (and so the viewer) allow, so the one kept is
        always one the viewer may see; a hidden copy can neither stand in for it nor push it out.
        """
        groups = self.catalogue.duplicate_groups([item for item, _ in ranked])
        shown: set[int] = set()
        kept = []
        for item, score in ranked:
            group = groups.get(item)
            if group is not None:
                if group in shown:
                    continue
                shown.add(group)
            kept.append((item, score))
        return kept

    def rank(
        self,
        query: str,
        *,
        mode: str,
        filters: SearchFilters = NO_FILTERS,
        depth: int = _CANDIDATES,
        query_vector: np.ndarray | None = None,
        dense_candidates: bool = True,
    ) -> Rankings:
        """The mode's ranking plus each retriever's own (in hybrid mode without ``dense_candidates``,
        the fusion of the keyword candidates alone: no dense search, only their cosines)."""
        restricted = self.lagging or not filters.is_empty() or self.catalogue.has_unready()
        dense: list[tuple[int, float]] = []
        keyword: list[tuple[int, float]] = []
        if mode in ("hybrid", "dense"):
            vector = self.embedder.embed_query(query) if query_vector is None else query_vector
            if dense_candidates or mode == "dense":
                vectors = self.indexes.vectors
                dense = self._dense(vector, depth, filters) if restricted else vectors.search(vector, depth)
        if mode in ("hybrid", "keyword"):
            keyword = self.indexes.keywords.search(query, filters=filters, limit=depth)
            if restricted:  # pending documents are invisible; filters were applied inside
                permitted = self.catalogue.passing([i for i, _ in keyword], filters)
                keyword = [(i, s) for i, s in keyword if i in permitted]
        if mode == "hybrid":
            cosines = dict(dense)
            missing = [i for i, _ in keyword if i not in cosines]
            if missing:  # keyword-only candidates get their exact cosine from the stored vectors
                cosines.update(self._cosines(missing, vector))
            idf_mass = self.indexes.keywords.idf_mass(query)
            return Rankings(evidence_fusion(keyword, cosines, idf_mass), dense, keyword)
        return Rankings(list(dense or keyword), dense, keyword)

    def _cosines(self, passage_ids: list[int], vector: np.ndarray) -> dict[int, float]:
        """The cosines of these passages' stored vectors with ``vector``. A passage whose vector
        this reader does not hold yet is left out: a node applying a change commits the keyword
        index before it saves the vectors, and a reader opened in between sees the one, not the other."""
        try:
            return dict(zip(passage_ids, (self.indexes.vectors.vectors(passage_ids) @ vector).tolist(), strict=True))
        except RuntimeError:
            found = {}
            for item in passage_ids:
                try:
                    found[item] = float(self.indexes.vectors.vectors([item])[0] @ vector)
                except RuntimeError:
                    continue
            return found

    def _dense(self, vector: np.ndarray, depth: int, filters: SearchFilters) -> list[tuple[int, float]]:
        """The best ``depth`` passages that pass the filters.

        First the best ``_WIDEN`` × ``depth`` of all, kept where they pass, the catalogue asked a
        slice at a time until ``depth`` passed (a viewer who may see most passages: no list of all
        allowed ids, which costs ~100 ms per search at 100k); when fewer than ``depth`` pass, FAISS
        searches only the allowed ids. Either way the result is the filtered ranking's top, never
        a top-k cut before filtering.
        """
        wide = self.indexes.vectors.search(vector, depth * _WIDEN)
        kept: list[tuple[int, float]] = []
        step = depth + depth // 4  # asked in slices: where most pass, the first slice is enough
        for start in range(0, len(wide), step):
            chunk = wide[start : start + step]
            permitted = self.catalogue.passing([i for i, _ in chunk], filters)
            kept += [(i, s) for i, s in chunk if i in permitted]
            if len(kept) >= depth:
                return kept[:depth]
        allowed = np.asarray(self.catalogue.matching_passage_ids(filters), dtype=np.int64)
        return self.indexes.vectors.search(vector, depth, allowed)

    def _hits(
        self,
        query: str,
        page: list[tuple[int, float]],
        dense: list,
        keyword: list,
        relevant: dict[int, float] | None = None,
    ) -> list[Hit]:
        dense_rank = {item: rank for rank, (item, _) in enumerate(dense, 1)}
        keyword_rank = {item: rank for rank, (item, _) in enumerate(keyword, 1)}
        passages = self.catalogue.passages_by_id([item for item, _ in page])
        documents = self.catalogue.documents_by_id({p.document_id for p in passages.values()})
        hits = []
        for item, score in page:
            passage = passages.get(item)
            if passage is None or passage.document_id not in documents:  # removed since the index was read
                continue
            hits.append(
                Hit(
                    passage,
                    documents[passage.document_id],
                    score,
                    dense_rank.get(item),
                    keyword_rank.get(item),
                    self.highlights(query, passage.text),
                    relevance=(relevant or {}).get(item),
                )
            )
        return hits

    def highlights(self, query: str, text: str) -> list[tuple[int, int]]:
        """Where the query's terms match in ``text``, as sorted, non-overlapping offsets."""
        spans: list[tuple[int, int]] = []
        for start, end in sorted(self.indexes.keywords.match_terms(query, text)):
            if not spans or start >= spans[-1][1]:
                spans.append((start, end))
        return spans

    def answer(
        self, query: str, *, filters: SearchFilters = NO_FILTERS, limit: int = 5, max_sentences: int = 3
    ) -> Answer:
        """The best passages and, marked among them, the 1–3 sentences that answer best.

        Extractive only: units are quoted verbatim from the passages that clear the relevance
        floor (none clears it: ``answered`` is False and nothing is quoted). Every unit of those
        passages is scored by its stored vector against the question, its share of the question's
        keywords and the kind of answer it holds (``kb/service/answering.py``).
        """
        result = self.search(query, filters=filters, limit=limit)
        matching = [hit for hit in result.hits if hit.matches]
        if not matching:
            return Answer(result.query, [], result.hits, filters, answered=False, reason=NOTHING_FOUND)
        stored = {hit.passage.id: self.indexes.units.units(hit.passage.id) for hit in matching}
        missing = [hit.passage for hit in matching if stored[hit.passage.id] is None]
        if missing:  # an index from before stored units: embed these passages now
            embedded = embed_with_units(self.embedder, [(p.heading_path, p.text) for p in missing])
            for passage, spans, vectors in zip(missing, embedded.unit_spans, embedded.unit_vectors, strict=True):
                stored[passage.id] = (spans, vectors)
        candidates = [(hit, span) for hit in matching for span in stored[hit.passage.id][0]]
        if not candidates:
            return Answer(result.query, [], result.hits, filters, answered=False, reason=NOTHING_FOUND)
        vectors = np.vstack([stored[hit.passage.id][1] for hit in matching if len(stored[hit.passage.id][0])])
        texts = [hit.passage.text[a:b] for hit, (a, b) in candidates]
        places = [
            (hit.document.id, hit.passage.char_start + a, hit.passage.char_start + b) for hit, (a, b) in candidates
        ]
        question = self.embedder.embed_query(result.query)
        scores = unit_scores(result.query, vectors @ question, texts, self.indexes.keywords.coverage)
        sentences = [
            AnswerSentence(
                texts[i],
                float(scores[i]),
                candidates[i][0].passage.id,
                candidates[i][0].document.id,
                candidates[i][0].passage.page_at(candidates[i][1][0]),
            )
            for i in choose(scores.tolist(), texts, places, limit=max_sentences)
        ]
        return Answer(result.query, sentences, result.hits, filters)

    def similar(self, passage_id: int, *, limit: int = 5, filters: SearchFilters = NO_FILTERS) -> list[Hit]:
        """Passages like this one from other documents, those of other counties first.

        Copies of the passage itself are left out (they are not "similar", they are the same),
        and copies among the rest are shown once.
        """
        source = self.catalogue.passages_by_id([passage_id]).get(passage_id)
        if source is None:
            raise PassageNotFound(f"Passage {passage_id} gibt es nicht.")
        own = self.catalogue.get(source.document_id)
        left_out = set(self.catalogue.passage_ids(source.document_id))
        for members in self.catalogue.group_members(self.catalogue.duplicate_groups([passage_id]).values()).values():
            left_out.update(members)
        allowed = np.asarray(
            [i for i in self.catalogue.matching_passage_ids(filters) if i not in left_out], dtype=np.int64
        )
        try:
            vector = self.indexes.vectors.vectors([passage_id])[0]
        except RuntimeError:  # a lagging node has not applied the passage's change yet
            return []
        found = self.collapse(self.indexes.vectors.search(vector, max(limit * 4, 20), allowed))
        hits = self._hits("", found, found, [])
        copies = copies_of(self.catalogue, [hit.passage.id for hit in hits], filters.access)
        for hit in hits:
            hit.near_duplicates = copies.get(hit.passage.id, [])
        # Other counties' experience is what the network exchanges: the own county's passages
        # must be clearly more similar to outrank them.
        county = own.metadata.county
        for hit in hits:
            if county and hit.document.metadata.county == county:
                hit.score -= SAME_COUNTY_PENALTY
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]
