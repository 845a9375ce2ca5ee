"""German sentence boundaries that survive abbreviations, ordinals and dates."""

from __future__ import annotations

import re

# Abbreviations that never end a sentence in running text (compared case-insensitively,
# without the final period). Single letters ("z. B.", "S. 12", "d. h.") are covered by rule.
ABBREVIATIONS = frozenset(
    """
    abb abs abschn allg anm art bd bsp bspw bzgl bzw ca dgl dipl dr ebd ehem einschl entspr evtl
    exkl ff fr gem ggf ggü hr hrsg inkl insb ing jh kap lfd lt max min mind mio mrd nr o.ä od
    prof rd s sog st std str tab tel tsd u.a u.ä u.u usf v.a vgl vs z.b z.t zzgl zz zzt ziff
    jan feb febr mär apr jun jul aug sep sept okt nov dez
    """.split()
)
# End punctuation, closing quotes/brackets, whitespace; then what may start a sentence.
_CANDIDATE = re.compile(r"[.!?…]+[\"'»«“”)\]]*(?=\s+[\"'„»«“(\[]?[A-ZÄÖÜ0-9•–-])")
_WORD_BEFORE = re.compile(r"([\w.äöüÄÖÜß-]+)$")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the sentences in ``text``.

    Line breaks end a sentence too (loaders keep them only between list items and table rows).

    >>> t = "Die Gemeinden, z. B. Talheim, tagen am 3. Mai. Danach folgt Nr. 2 (S. 12)."
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['Die Gemeinden, z. B. Talheim, tagen am 3. Mai.', 'Danach folgt Nr. 2 (S. 12).']
    """
    spans: list[tuple[int, int]] = []
    line_start = 0
    for line in text.split("\n"):
        start = line_start
        for match in _CANDIDATE.finditer(line):
            if match.group(0)[0] == "." and _is_abbreviation_or_number(line[: match.start()]):
                continue
            spans.append((start, line_start + match.end()))
            start = line_start + match.end()
        spans.append((start, line_start + len(line)))
        line_start += len(line) + 1
    return [_trim(text, a, b) for a, b in spans if text[a:b].strip()]


def _is_abbreviation_or_number(before: str) -> bool:
    match = _WORD_BEFORE.search(before)
    if not match:
        return False
    word = match.group(1).lower().lstrip("(„\"'")
    if word.isdigit():
        return len(word) <= 3  # "3. Sitzung", "14. März"; a year like "2024." ends a sentence
    if re.fullmatch(r"\d{1,2}\.\d{1,2}(\.\d{2,4})?", word):
        return True  # "am 14.03. tagte …"
    if len(word) == 1 and word.isalpha():
        return True  # "z. B.", "S. 12", "d. h."
    return word.rstrip(".") in ABBREVIATIONS


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
