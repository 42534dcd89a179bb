"""Factories for the SQLite store and its passage index, as the registry builds them.

Declared in pyproject.toml as ``store.sqlite``, ``retriever.sqlite`` and ``indexer.sqlite``.
The retriever and the indexer are both :class:`~factdesk.retrieve.SqliteIndex` over the same
store for now (it searches and writes); they move to ``factdesk.retrieve``'s own factories
when the index is split into a retriever and an indexer.

Example::

    from factdesk import registry
    store = registry.create("store", "sqlite", path=":memory:")
    retriever = registry.create("retriever", "sqlite", parts={"store": lambda: store,
                                                              "embedder": lambda: embedder})
"""

from __future__ import annotations

from typing import Any

from factdesk.retrieve import SqliteIndex
from factdesk.store import Store


def sqlite_store(path: str | None = None) -> Store:
    """The embedded SQLite store at ``path`` (default: ``$FACTDESK_DB`` or the user data dir)."""
    return Store.open(path)


def sqlite_retriever(store: Any, embedder: Any = None, **options: Any) -> SqliteIndex:
    """Hybrid lexical + dense search over ``store``'s passages; options: batch_size."""
    return SqliteIndex(store, embedder, **options)


def sqlite_indexer(store: Any, embedder: Any = None, **options: Any) -> SqliteIndex:
    """Writes passages (text, full-text index, vectors) into ``store``; options: batch_size."""
    return SqliteIndex(store, embedder, **options)
