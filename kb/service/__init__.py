"""The service: the one door through which the CLI and the web reach documents and search.

It composes ``ingest`` (files to passages) and ``index`` (vectors and keywords) over the SQLite
catalogue; callers above it never import those two packages.
"""

from kb.service.knowledge import KnowledgeBase

__all__ = ["KnowledgeBase"]
