"""What a group of tables reached from an open SQLite store shares: the connection and a write transaction.

``store.desk`` (:class:`~factdesk.store.desk.DeskTables`) and ``store.watch``
(:class:`~factdesk.store.watch.WatchTables`) build on it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the store module imports the table modules
    from factdesk.store.sqlite import Store


class StoreTables:
    """Data access over one open :class:`~factdesk.store.Store`: reads on its connection, writes in its transaction."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def _db(self) -> sqlite3.Connection:
        return self._store.conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._store.transaction():
            yield self._db

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> dict[str, Any] | None:
        row = self._db.execute(sql, args).fetchone()
        return dict(row) if row else None

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self._db.execute(sql, args).fetchall()]
