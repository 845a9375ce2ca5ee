"""Search parameters from a query string, shared by the HTML pages and the API."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from kb.core.documents import SearchFilters
from kb.core.errors import InvalidQuery

MAX_INTEGER = 2**31 - 1  # ids and years beyond this are typos or probes, and overflow SQLite


@dataclass(frozen=True)
class SearchRequest:
    query: str
    mode: str
    limit: int
    offset: int
    filters: SearchFilters


def integer(args: MultiDict, name: str, default: int | None = None) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidQuery(f"Parameter {name} muss eine ganze Zahl sein, nicht {raw!r}.") from None
    if abs(value) > MAX_INTEGER:
        raise InvalidQuery(f"Parameter {name} ist zu groß: {raw}.")
    return value


def _values(args: MultiDict, name: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in args.getlist(name) if v.strip())


def search_filters(args: MultiDict) -> SearchFilters:
    documents = []
    for raw in _values(args, "document"):
        if not raw.isdigit() or int(raw) > MAX_INTEGER:
            raise InvalidQuery(f"Parameter document muss eine Dokumentnummer sein, nicht {raw!r}.")
        documents.append(int(raw))
    return SearchFilters(
        counties=_values(args, "county"),
        doc_types=_values(args, "type"),
        topics=_values(args, "topic"),
        year_from=integer(args, "year_from"),
        year_to=integer(args, "year_to"),
        document_ids=tuple(documents),
    )


def search_request(args: MultiDict, *, default_limit: int = 10) -> SearchRequest:
    return SearchRequest(
        query=args.get("q", ""),
        mode=args.get("mode", "hybrid") or "hybrid",
        limit=integer(args, "limit", default_limit),
        offset=integer(args, "offset", 0),
        filters=search_filters(args),
    )


class IdConverter(IntegerConverter):
    """``<id:name>``: a positive database id that SQLite can hold (larger ones are 404)."""

    def __init__(self, map, *args: object, **kwargs: object) -> None:
        super().__init__(map, min=1, max=MAX_INTEGER)
