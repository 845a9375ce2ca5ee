"""The kind of answer a question asks for, and whether a text holds one.

Classic answer types of question answering, for the two kinds a county's documents answer most
often: a quantity („Wie viele Schulen …?“ is answered by „14 Schulen“, not by the sentence that
names the schools) and a date („Bis wann …?“). Other questions ask for no particular kind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_ASKS_QUANTITY = re.compile(
    r"^(?:\w+\s+)?(?:wie\s+(?:viele?|hoch|groß|lang|oft|weit|stark|teuer|schnell)|um\s+wie\s+viel"
    r"|ab\s+welche[mr]?\s+(?:betrag|summe|höhe|alter|größe)"
    r"|welche[rn]?\s+(?:anteil|betrag|summe|höhe|fördersumme|fördersatz|förderquote|zahl|anzahl|richtwert))\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(r"^(?:\w+\s+)?(?:wann|bis\s+wann|seit\s+wann|ab\s+wann|in\s+welchem\s+jahr)\b", re.IGNORECASE)
_QUANTITY = re.compile(
    r"\d|\b(?:zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|hundert|tausend"
    r"|hälfte|drittel|viertel|doppelt)\b",
    re.IGNORECASE,
)
_MONTHS = "januar|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember"
_DATE = re.compile(rf"\b(?:1[89]\d\d|20\d\d)\b|\b(?:{_MONTHS})\b|\d{{1,2}}\.\d{{1,2}}\.", re.IGNORECASE)


def answer_type_matches(question: str, texts: Sequence[str]) -> list[bool]:
    """Per text, whether it holds the kind of answer the question asks for (always False when
    the question asks for no particular kind)."""
    question = question.strip().lstrip("„\"'(")
    wanted = _DATE if _ASKS_DATE.search(question) else _QUANTITY if _ASKS_QUANTITY.search(question) else None
    return [bool(wanted and wanted.search(text)) for text in texts]
