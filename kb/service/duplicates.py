"""Groups of near-duplicate passages across documents, kept in the catalogue.

At ingest each passage gets a MinHash signature (index/neardup.py); a passage whose signature
matches passages of other documents joins their group (connected components: a copy of a copy
belongs too). Removing or replacing a document regroups what is left of its groups. Groups and
signatures derive from the passages' text alone, so :meth:`NearDuplicates.rebuild` restores them
from the catalogue. Who may see which member is decided when they are read, never here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from index.neardup import DuplicateFinder, from_bytes, signature, to_bytes
from kb.core.access import Access
from kb.core.documents import DocumentRecord, Passage
from kb.service.catalogue import Catalogue


@dataclass(frozen=True, slots=True)
class Copy:
    """A near-duplicate of a passage, in a document the viewer may see."""

    passage: Passage
    document: DocumentRecord


def copies_of(catalogue: Catalogue, passage_ids: Sequence[int], access: Access | None) -> dict[int, list[Copy]]:
    """Passage id -> its near-duplicates in ready documents that ``access`` lets see (others are
    neither listed nor counted), ordered by county, title and page."""
    found = catalogue.visible_copies(passage_ids, access)
    if not found:
        return {}
    passages = catalogue.passages_by_id([item for pairs in found.values() for item, _ in pairs])
    documents = catalogue.documents_by_id({document for pairs in found.values() for _, document in pairs})
    return {
        item: [Copy(passages[other], documents[document]) for other, document in pairs if other in passages]
        for item, pairs in found.items()
    }


class NearDuplicates:
    """Finds and records a catalogue's near-duplicate groups. Writers only, inside a transaction.

    The LSH index of all stored signatures is built on first use and kept while no other
    connection (another process's ingest) has changed the catalogue.
    """

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._finder: DuplicateFinder | None = None
        self._version: int | None = None

    @contextmanager
    def kept_in_step(self) -> Iterator[None]:
        """Around a change that may fail: then the LSH index is forgotten, as it would no longer
        match the catalogue once the transaction rolls back."""
        try:
            yield
        except BaseException:
            self._finder = None
            raise

    def _index(self) -> DuplicateFinder:
        version = self.catalogue.data_version()
        if self._finder is None or version != self._version:
            stored = self.catalogue.signatures()
            self._finder = DuplicateFinder((item, from_bytes(data)) for item, data in stored.items())
            self._version = version
        return self._finder

    def add(self, passages: Sequence[Passage]) -> None:
        """Sign one document's new passages and join each to the group of its copies elsewhere."""
        if not passages:
            return
        finder = self._index()
        signed = [(p.id, signature(p.text)) for p in passages]
        self.catalogue.store_signatures((item, None if sig is None else to_bytes(sig)) for item, sig in signed)
        links: dict[int, list[int]] = {}
        for item, sig in signed:
            if sig is not None:
                matches = self._elsewhere(passages[0].document_id, finder.matches(sig))
                if matches:
                    links[item] = matches
        for item, sig in signed:
            if sig is not None:
                finder.add(item, sig)
        if not links:
            return
        linked = sorted({m for matches in links.values() for m in matches})
        components = _Components()
        for members in self.catalogue.group_members(set(self.catalogue.duplicate_groups(linked).values())).values():
            components.join(members)  # the groups the copies are in stay whole and merge
        for item, matches in links.items():
            components.join([item, *matches])
        self._save(components)

    def forget(self, passage_ids: Sequence[int]) -> set[int]:
        """Take passages about to be deleted out of the index; returns the other members of their
        groups, to be regrouped with :meth:`regroup` once the passages are gone."""
        if self._finder is not None and self.catalogue.data_version() == self._version:
            for item in passage_ids:
                self._finder.remove(item)
        groups = self.catalogue.group_members(set(self.catalogue.duplicate_groups(passage_ids).values()))
        return {m for members in groups.values() for m in members} - set(passage_ids)

    def regroup(self, members: Iterable[int]) -> None:
        """Recompute the groups among ``members`` from their stored signatures (after a deletion)."""
        members = sorted(members)
        if not members:
            return
        self.catalogue.set_duplicate_groups(members, {})
        self._save(self._components(self.catalogue.signatures(members)))

    def expected_groups(self) -> dict[int, int]:
        """Passage id -> group id as the stored signatures say (what :meth:`rebuild` would store)."""
        components = self._components(self.catalogue.signatures())
        return {m: min(members) for members in components.groups() for m in members}

    def _components(self, stored: dict[int, bytes]) -> _Components:
        """The groups among the passages of ``stored`` signatures, found as at ingest (LSH, then
        the estimate), so that regrouping and checking agree with what ingest stored."""
        signatures = {item: from_bytes(data) for item, data in stored.items()}
        finder = DuplicateFinder(signatures.items())
        documents = self.catalogue.passage_documents(sorted(signatures))
        components = _Components()
        for item, sig in signatures.items():
            matches = [m for m in finder.matches(sig) if documents.get(m) != documents.get(item)]
            components.join([item, *matches])
        return components

    def _elsewhere(self, document_id: int, matches: list[int]) -> list[int]:
        """The matches that are passages of other documents."""
        if not matches:
            return []
        documents = self.catalogue.passage_documents(matches)
        return [m for m in matches if documents.get(m, document_id) != document_id]

    def rebuild(self, documents: Iterable[Sequence[Passage]]) -> None:
        """Sign every passage again and form all groups anew, document by document."""
        self.catalogue.clear_duplicates()
        self._finder, self._version = DuplicateFinder(), self.catalogue.data_version()
        for passages in documents:
            self.add(passages)

    def _save(self, components: _Components) -> None:
        groups = components.groups()
        self.catalogue.set_duplicate_groups(
            [m for members in groups for m in members], {m: min(members) for members in groups for m in members}
        )


class _Components:
    """Union-find over passage ids."""

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}

    def _root(self, item: int) -> int:
        parent = self._parent.setdefault(item, item)
        if parent != item:
            parent = self._parent[item] = self._root(parent)
        return parent

    def join(self, items: Sequence[int]) -> None:
        if not items:
            return
        first = self._root(items[0])
        for item in items[1:]:
            self._parent[self._root(item)] = first

    def groups(self) -> list[list[int]]:
        """Components of two or more ids."""
        by_root: dict[int, list[int]] = {}
        for item in list(self._parent):
            by_root.setdefault(self._root(item), []).append(item)
        return [sorted(members) for members in by_root.values() if len(members) > 1]
