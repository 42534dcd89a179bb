"""Retrieval: passages, embeddings, and hybrid (FTS5 bm25 + dense) search over the store."""

from factdesk.retrieve.embed import Embedder, OnnxMiniLMEmbedder
from factdesk.retrieve.index import SqliteIndex
from factdesk.retrieve.passages import make_passages

__all__ = ["Embedder", "OnnxMiniLMEmbedder", "SqliteIndex", "make_passages"]
