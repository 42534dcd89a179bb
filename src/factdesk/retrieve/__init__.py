"""Retrieval: passages, embeddings, and hybrid (FTS5 bm25 + dense) search over the store.

Reading and writing an index are separate parts: a retriever searches, an indexer
writes.  :func:`sqlite_retriever` and :func:`sqlite_indexer` build the SQLite ones
from a store and an embedder (the registry's entry points point at them);
``SqliteIndex`` is both at once.

Example::

    indexer = sqlite_indexer(store, embedder)
    indexer.add_documents(docs, save_role="corpus")
    hits = sqlite_retriever(store, embedder, max_per_document=2).search("when did the dam open?", k=5)
"""

from __future__ import annotations

from typing import Any

from factdesk.retrieve.embed import Embedder, OnnxMiniLMEmbedder
from factdesk.retrieve.index import SqliteIndex, SqliteIndexer, SqliteRetriever
from factdesk.retrieve.passages import make_passages
from factdesk.store import Store


def sqlite_retriever(store: Store, embedder: Embedder | None = None, **options: Any) -> SqliteRetriever:
    """Search over ``store``'s passages; options: ``batch_size``, ``mode``, ``max_per_document``, ``mmr_lambda``.

    Given a PostgreSQL store (``--db postgresql://…``), the default retriever is that store's own
    (:class:`~factdesk.retrieve.postgres.PostgresRetriever`), so no ``--retriever`` is needed.
    """
    if getattr(store, "backend", "sqlite") == "postgres":
        from factdesk.retrieve.postgres import PostgresRetriever

        return PostgresRetriever(store, embedder, **options)  # type: ignore[arg-type]
    return SqliteRetriever(store, embedder, **options)


def sqlite_indexer(store: Store, embedder: Embedder | None = None, **options: Any) -> SqliteIndexer:
    """Write documents' passages and vectors into ``store``; options: ``batch_size``, ``chunk_size``.

    Given a PostgreSQL store, the default indexer is that store's own (``PostgresIndexer``).
    """
    if getattr(store, "backend", "sqlite") == "postgres":
        from factdesk.retrieve.postgres import PostgresIndexer

        return PostgresIndexer(store, embedder, **options)  # type: ignore[arg-type]
    return SqliteIndexer(store, embedder, **options)


__all__ = ["Embedder", "OnnxMiniLMEmbedder", "SqliteIndex", "SqliteIndexer", "SqliteRetriever", "make_passages",
           "sqlite_indexer", "sqlite_retriever"]
