"""A saved search as an Atom feed (RFC 4287), read by feed readers and Outlook."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from flask import url_for

from kb.service.presenters import citation, filters_text, xml_text
from kb.service.saved_searches import NewDocument, SavedSearch

ATOM = "http://www.w3.org/2005/Atom"


def atom_feed(saved: SavedSearch, news: list[NewDocument], *, self_url: str) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    filters = filters_text(saved.filters)
    _text(feed, "title", f"Kreiswissen: „{saved.query}“" + (f" ({filters})" if filters else ""))
    _text(feed, "id", f"{self_url}")
    _text(feed, "updated", news[0].document.added_at if news else saved.created_at)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "Kreiswissen")
    for item in news:
        document, passage = item.document, item.hit.passage
        link = url_for("ui.document", document_id=document.id, _external=True) + f"#passage-{passage.id}"
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "title", document.metadata.title or document.file_name)
        _text(entry, "id", link)
        _text(entry, "updated", document.added_at)
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=link)
        _text(entry, "summary", f"{citation(document, passage.page_start, passage.page_end)}: {passage.text}")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _text(parent: ET.Element, name: str, text: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{name}").text = xml_text(text)
