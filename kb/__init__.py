"""Kreiswissen: a knowledge base with hybrid search over counties' climate-protection material."""

__version__ = "0.1.0"
