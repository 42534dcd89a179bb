"""Outside evidence sources in the store (migration 8): configured sources, the query cache, snapshots.

Reached as ``store.sources`` (a :class:`SourceRecords`); :mod:`factdesk.sources` reads and writes
these tables only through it.  Every timestamp is UTC ISO 8601; cache ages are computed against the
``now`` the caller passes (a clock the tests can move) and never trusted when they lie in the future.

Example::

    with Store.open("fd.db") as store:
        store.sources.add_configured("searxng", kind="searxng", spec="http://127.0.0.1:8888")
        store.sources.cache_results("searxng", "dam opened 1998", "", [{"url": "https://…"}])
        store.sources.cached_results("searxng", "dam opened 1998", "", max_age=86400)
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from factdesk.errors import NotFoundError
from factdesk.store.clock import now_iso
from factdesk.types import Document, Passage

if TYPE_CHECKING:  # the Store imports this module (store.sources); no cycle at run time
    from factdesk.store.sqlite import Store

# page fetches run in worker threads but every write comes back to one connection: one lock per database
_LOCKS: dict[object, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(key: object) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def _age_seconds(fetched_at: str, now: datetime) -> float:
    try:
        then = datetime.fromisoformat(fetched_at)
    except ValueError:
        return float("inf")  # an unreadable timestamp is treated as expired
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    return (now - then).total_seconds()


@dataclass
class Snapshot:
    """One stored page: where it came from, when, its hash and date, the document and its passages."""

    id: str
    url: str
    final_url: str | None
    source: str
    query: str | None
    fetched_at: str
    content_hash: str
    published: str | None
    document: Document
    passages: list[Passage]
    vectors: list[bytes | None]


class SourceRecords:
    """Reads and writes of the sources tables of one open store (``store.sources``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One locked write: its own transaction, or the caller's when one is open."""
        with _lock_for(self._store.key):
            if self._store.in_transaction:
                yield
            else:
                with self._store.transaction():
                    yield

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._store.conn

    # -- configured sources ------------------------------------------------------------
    def add_configured(self, name: str, *, kind: str, spec: str = "", options: dict[str, Any] | None = None) -> None:
        """Add (or replace) the source ``name``; ``options`` must hold no secret, only ``{"$env": NAME}``."""
        with self._write():
            self._conn.execute(
                """INSERT INTO configured_sources(name, kind, spec, options, added_at) VALUES (?,?,?,?,?)
                   ON CONFLICT(name) DO UPDATE SET kind=excluded.kind, spec=excluded.spec,
                     options=excluded.options, added_at=excluded.added_at""",
                (name, kind, spec, json.dumps(options or {}, sort_keys=True), now_iso()))

    def remove_configured(self, name: str) -> None:
        with self._write():
            cur = self._conn.execute("DELETE FROM configured_sources WHERE name = ?", (name,))
        if cur.rowcount == 0:
            raise NotFoundError(f"no source named {name!r} is configured", hint="see `factdesk sources list`")

    def configured(self) -> list[dict[str, Any]]:
        """Every configured source: name, kind, spec, options, added_at; by name."""
        rows = self._conn.execute(
            "SELECT name, kind, spec, options, added_at FROM configured_sources ORDER BY name").fetchall()
        return [{"name": r[0], "kind": r[1], "spec": r[2], "options": json.loads(r[3] or "{}"), "added_at": r[4]}
                for r in rows]

    # -- query cache --------------------------------------------------------------------
    def cached_results(self, source: str, query: str, params: str, *, max_age: float,
                       now: datetime | None = None) -> tuple[list[dict[str, Any]], str] | None:
        """(results, fetched_at) when an answer no older than ``max_age`` seconds is cached, else None."""
        row = self._conn.execute(
            "SELECT results, fetched_at FROM source_queries WHERE source = ? AND query = ? AND params = ?",
            (source, query, params)).fetchone()
        if row is None:
            return None
        age = _age_seconds(row[1], now or datetime.now(timezone.utc))
        if age < 0 or age > max_age:
            return None
        try:
            results = json.loads(row[0])
        except json.JSONDecodeError:
            return None
        return (results, row[1]) if isinstance(results, list) else None

    def cache_results(self, source: str, query: str, params: str, results: list[dict[str, Any]], *,
                      fetched_at: str | None = None) -> None:
        with self._write():
            self._conn.execute(
                """INSERT INTO source_queries(source, query, params, results, fetched_at) VALUES (?,?,?,?,?)
                   ON CONFLICT(source, query, params) DO UPDATE SET results=excluded.results,
                     fetched_at=excluded.fetched_at""",
                (source, query, params, json.dumps(results, ensure_ascii=False), fetched_at or now_iso()))

    def clear_cache(self, source: str | None = None) -> int:
        """Forget cached answers (of one source); returns how many."""
        with self._write():
            if source is None:
                cur = self._conn.execute("DELETE FROM source_queries")
            else:
                cur = self._conn.execute("DELETE FROM source_queries WHERE source = ?", (source,))
        return int(cur.rowcount)

    def cached_queries(self, source: str | None = None) -> int:
        sql, args = "SELECT count(*) FROM source_queries", ()
        if source is not None:
            sql, args = sql + " WHERE source = ?", (source,)
        return int(self._conn.execute(sql, args).fetchone()[0])

    # -- snapshots ----------------------------------------------------------------------
    def save_snapshot(self, snap: Snapshot) -> None:
        """Store a snapshot: its document (role ``snapshot``), the row, and its passages, in one transaction."""
        doc = snap.document
        with self._write():
            self._store.save_document(doc, role="snapshot")
            self._conn.execute(
                """INSERT OR REPLACE INTO snapshots(id, url, final_url, source, query, fetched_at, content_hash,
                     published, document_id) VALUES (?,?,?,?,?,?,?,?,?)""",
                (snap.id, snap.url, snap.final_url, snap.source, snap.query, snap.fetched_at, snap.content_hash,
                 snap.published, doc.id))
            self._conn.execute("DELETE FROM snapshot_passages WHERE snapshot_id = ?", (snap.id,))
            self._conn.executemany(
                """INSERT INTO snapshot_passages(snapshot_id, id, position, start, "end", text, vector)
                   VALUES (?,?,?,?,?,?,?)""",
                [(snap.id, p.id, i, p.start, p.end, p.text, vec)
                 for i, (p, vec) in enumerate(zip(snap.passages, snap.vectors))])

    def set_vector(self, snapshot_id: str, position: int, vector: bytes) -> None:
        """Keep one snapshot passage's embedding (computed when it was first ranked)."""
        with self._write():
            self._conn.execute("UPDATE snapshot_passages SET vector = ? WHERE snapshot_id = ? AND position = ?",
                               (vector, snapshot_id, position))

    def latest_snapshot(self, url: str) -> Snapshot | None:
        """The newest snapshot of ``url`` (as a search result named it), or None."""
        row = self._conn.execute("SELECT id FROM snapshots WHERE url = ? ORDER BY fetched_at DESC, rowid DESC LIMIT 1",
                                 (url,)).fetchone()
        return self.snapshot(row[0]) if row else None

    def snapshot(self, snapshot_id: str) -> Snapshot:
        row = self._conn.execute(
            """SELECT id, url, final_url, source, query, fetched_at, content_hash, published, document_id
               FROM snapshots WHERE id = ?""", (snapshot_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no snapshot {snapshot_id!r} in the store")
        doc = self._store.get_document(row[8])
        rows = self._conn.execute(
            'SELECT id, position, start, "end", text, vector FROM snapshot_passages WHERE snapshot_id = ? '
            "ORDER BY position", (snapshot_id,)).fetchall()
        passages = [Passage(document_id=doc.id, text=r[4], start=r[2], end=r[3], position=r[1], title=doc.title,
                            published=doc.published, url=row[1], source=doc.source, id=r[0]) for r in rows]
        return Snapshot(id=row[0], url=row[1], final_url=row[2], source=row[3], query=row[4], fetched_at=row[5],
                        content_hash=row[6], published=row[7], document=doc, passages=passages,
                        vectors=[r[5] for r in rows])

    def snapshot_count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM snapshots").fetchone()[0])


__all__ = ["SourceRecords", "Snapshot"]
