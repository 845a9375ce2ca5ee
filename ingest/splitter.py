"""Split a document's blocks into passages that follow its headings and sentences.

Passages are sized in the embedding model's tokens. Sentences are packed up to a target size,
the next passage repeats the last sentences as overlap, and a new heading always starts a new
passage, as does every page read by OCR (a scanned sheet, a photographed board). A sentence
longer than the model's limit is cut between words into pieces: nothing is ever truncated by the
model later.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ingest.normalize import join_hyphenated
from ingest.sentences import split_sentences
from kb.core.documents import Block, PageMarks, PassageDraft, passage_context

_ENDS_SENTENCE = re.compile(r"[.!?:;…\"'»«“”)\]]\s*$")
_MAX_HEADING_WORDS = 40


@dataclass(slots=True)
class _Unit:
    """A sentence (or a piece of an over-long one) with where it came from."""

    text: str
    start: int
    end: int
    page_start: int | None
    page_end: int | None
    tokens: int
    block: int  # index of the block it came from
    ocr_confidence: float | None = None


@dataclass(frozen=True)
class Splitter:
    count_tokens: Callable[[str], int]
    max_tokens: int  # hard limit for passage_context(heading_path, text)
    target_tokens: int = 200
    overlap_tokens: int = 40

    def __post_init__(self) -> None:
        if not 0 <= self.overlap_tokens < self.target_tokens <= self.max_tokens:
            raise ValueError(
                "need 0 <= overlap_tokens < target_tokens <= max_tokens; got "
                f"{self.overlap_tokens}, {self.target_tokens}, {self.max_tokens}"
            )

    def split(self, blocks: Sequence[Block]) -> list[PassageDraft]:
        drafts: list[PassageDraft] = []
        for heading_path, units in self._sections(blocks):
            for group in self._pack(units, heading_path):
                drafts.extend(self._drafts(group, heading_path, len(drafts)))
        return drafts

    def _sections(self, blocks: Sequence[Block]) -> list[tuple[tuple[str, ...], list[_Unit]]]:
        """Group sentence units by the heading path they sit under and by OCR page."""
        sections: list[tuple[tuple[str, ...], list[_Unit]]] = []
        keys: list[tuple[tuple[str, ...], int | None]] = []
        stack: list[tuple[int, str]] = []
        offset = 0
        for index, block in enumerate(blocks):
            block_start, offset = offset, offset + len(block.text) + 2  # blocks joined by "\n\n"
            if block.kind == "heading" and len(block.text.split()) <= _MAX_HEADING_WORDS:
                level = max(block.level, 1)
                stack = [(lvl, text) for lvl, text in stack if lvl < level] + [(level, block.text)]
                continue
            path = tuple(text for _, text in stack)
            key = (path, block.page if block.ocr_confidence is not None else None)
            if not keys or keys[-1] != key:
                keys.append(key)
                sections.append((path, []))
            units = sections[-1][1]
            for a, b in split_sentences(block.text):
                sentence = block.text[a:b]
                if units and _continues(units[-1].text, sentence) and a == 0:
                    previous = units.pop()
                    sentence = join_hyphenated(previous.text + "\n" + sentence).replace("\n", " ")
                    units.append(
                        _Unit(
                            sentence,
                            previous.start,
                            block_start + b,
                            previous.page_start,
                            block.page,
                            self.count_tokens(sentence),
                            index,
                            _mean_confidence([previous, block]),
                        )
                    )
                else:
                    units.append(
                        _Unit(
                            sentence,
                            block_start + a,
                            block_start + b,
                            block.page,
                            block.page,
                            self.count_tokens(sentence),
                            index,
                            block.ocr_confidence,
                        )
                    )
        return sections

    def _pieces(self, unit: _Unit, limit: int) -> list[_Unit]:
        """An over-long sentence cut between words into pieces of at most ``limit`` tokens."""
        if unit.tokens <= limit:
            return [unit]
        pieces, words = [], unit.text.split(" ")
        while words:
            take = len(words)
            while take > 1 and self.count_tokens(" ".join(words[:take])) > limit:
                take = max(1, take * limit // max(self.count_tokens(" ".join(words[:take])), 1) - 1)
            text, words = " ".join(words[:take]), words[take:]
            pieces.append(dataclasses.replace(unit, text=text, tokens=self.count_tokens(text)))
        return pieces

    def _pack(self, units: list[_Unit], heading_path: tuple[str, ...]) -> list[list[_Unit]]:
        heading_tokens = self.count_tokens(heading_path[-1]) + 1 if heading_path else 0
        limit = min(self.target_tokens, self.max_tokens - heading_tokens - 2)
        pieces = [piece for unit in units for piece in self._pieces(unit, limit)]
        groups: list[list[_Unit]] = []
        current: list[_Unit] = []
        size = 0
        fresh = 0  # units in ``current`` that are not overlap
        for piece in pieces:
            if current and fresh and size + piece.tokens > limit:
                groups.append(current)
                current = self._overlap(current, limit - piece.tokens)
                size = sum(u.tokens for u in current)
                fresh = 0
            current.append(piece)
            size += piece.tokens
            fresh += 1
        if fresh:
            groups.append(current)
        return groups

    def _overlap(self, previous: list[_Unit], room: int) -> list[_Unit]:
        """The trailing sentences of a passage that fit into the overlap budget."""
        budget = min(self.overlap_tokens, room)
        carried: list[_Unit] = []
        for unit in reversed(previous[1:]):  # never carry the whole previous passage
            if sum(u.tokens for u in carried) + unit.tokens > budget:
                break
            carried.insert(0, unit)
        return carried

    def _drafts(self, group: list[_Unit], heading_path: tuple[str, ...], ordinal: int) -> list[PassageDraft]:
        text = _join(group)
        tokens = self.count_tokens(passage_context(heading_path, text))
        if tokens > self.max_tokens and len(group) > 1:
            # Token counts are not exactly additive across joins; halve until each part fits.
            half = len(group) // 2
            first = self._drafts(group[:half], heading_path, ordinal)
            return first + self._drafts(group[half:], heading_path, ordinal + len(first))
        if tokens > self.max_tokens:
            raise ValueError(f"a passage of {tokens} tokens exceeds the limit of {self.max_tokens}")
        pages = [p for unit in group for p in (unit.page_start, unit.page_end) if p is not None]
        marks = _page_marks(group, text)
        return [
            PassageDraft(
                ordinal=ordinal,
                text=text,
                page_start=min(pages) if pages else None,
                page_end=max(pages) if pages else None,
                heading_path=heading_path,
                char_start=group[0].start,
                char_end=group[-1].end,
                token_count=tokens,
                ocr_confidence=_mean_confidence(group),
                page_marks=marks if len(marks) > 1 else (),
            )
        ]


def _join(units: list[_Unit]) -> str:
    """Sentences joined by spaces; a line break where a unit ends without a sentence end.

    Keeps list items, slide bullets, table rows and the cards of a photographed pinboard on lines
    of their own (a unit without end punctuation was ended by a line break).
    """
    parts = [units[0].text]
    for previous, unit in itertools.pairwise(units):
        new_line = not _ENDS_SENTENCE.search(previous.text)
        parts.append(("\n" if new_line else " ") + unit.text)
    return "".join(parts)


def _page_marks(units: list[_Unit], text: str) -> PageMarks:
    """Where each page begins in the joined ``text``: a sentence is cited by the page it starts on."""
    marks: list[tuple[int, int]] = []
    offset = 0
    for unit in units:
        offset = text.index(unit.text, offset)
        if unit.page_start is not None and (not marks or marks[-1][1] != unit.page_start):
            marks.append((offset, unit.page_start))
        offset += len(unit.text)
    return tuple(marks)


def _mean_confidence(parts: Sequence[_Unit | Block]) -> float | None:
    """The mean OCR confidence of the parts that come from OCR, or None if none do."""
    scores = [part.ocr_confidence for part in parts if part.ocr_confidence is not None]
    return round(sum(scores) / len(scores), 1) if scores else None


def _continues(previous: str, sentence: str) -> bool:
    """A block that starts mid-sentence (after a page break) continues the last sentence."""
    return not _ENDS_SENTENCE.search(previous) and sentence[:1].islower()
