"""The factory for the embedded SQLite store, as the registry builds it (entry point ``store.sqlite``).

Its passage index has its own factories, ``factdesk.retrieve:sqlite_retriever`` and
``factdesk.retrieve:sqlite_indexer`` (entry points ``retriever.sqlite`` and ``indexer.sqlite``).

Example::

    from factdesk import registry
    store = registry.create("store", "sqlite", path=":memory:")
"""

from __future__ import annotations

from factdesk.store import Store


def sqlite_store(path: str | None = None) -> Store:
    """The embedded SQLite store at ``path`` (default: ``$FACTDESK_DB`` or the user data dir)."""
    return Store.open(path)
