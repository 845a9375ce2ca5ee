"""Derived, rebuildable search indexes: dense vectors (FAISS) and keywords (Tantivy)."""
