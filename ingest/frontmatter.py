"""Front matter and template code of web-site Markdown (Hugo, Jekyll): read it, then cut it out.

A page opens with YAML between ``---`` lines (or TOML between ``+++``) that declares its title
and date; Hugo shortcodes (``{{< youdrawit … >}}``, ``{{% note %}}``) draw charts and boxes and
are no text.
"""

from __future__ import annotations

import datetime
import re

_YAML = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_TOML = re.compile(r"\A\+\+\+[ \t]*\n(.*?)\n\+\+\+[ \t]*(?:\n|\Z)", re.DOTALL)
_TOML_LINE = re.compile(r"^\s*(\w+)\s*=\s*(.+?)\s*$", re.MULTILINE)
_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.DOTALL)


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """The front matter as a dict (empty if none or unreadable) and the text after it."""
    import yaml

    match = _YAML.match(text)
    if match:
        try:
            data = yaml.safe_load(match.group(1))
        except yaml.YAMLError:
            data = None
        return (data if isinstance(data, dict) else {}), text[match.end() :]
    match = _TOML.match(text)
    if match:
        return {k: v.strip("\"'") for k, v in _TOML_LINE.findall(match.group(1))}, text[match.end() :]
    return {}, text


def strip_shortcodes(text: str) -> str:
    """Text without Hugo shortcodes."""
    return _SHORTCODE.sub("", text)


def front_title(data: dict[str, object]) -> str | None:
    title = data.get("title")
    return " ".join(str(title).split()) or None if isinstance(title, str | int) else None


def front_date(data: dict[str, object]) -> str | None:
    """The page's date as ISO text, from ``date`` (or ``lastmod``) of the front matter."""
    for name in ("date", "lastmod"):
        value = data.get(name)
        if isinstance(value, datetime.date):
            return value.isoformat()[:10]
        if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value):
            return value[:10]
    return None
