"""Imported fact-checks in the store: the ``reviews`` table, its FTS5 index, term counts and vectors.

The tables come from store migrations 2 and 5 (:mod:`factdesk.store.schema_reviews`).
Claim matching (:mod:`factdesk.match.reviews`) reads and writes them only through
:class:`ClaimReviewRecords`, reached as ``store.claimreviews``.  Records go in
and come out as plain dicts keyed by column name (:data:`RECORD_COLUMNS`, plus
``raw``, ``vector`` and ``title_vector`` where they are written or asked for);
``vector``/``title_vector`` are little-endian float32 bytes or None.

Example::

    with Store.open("fd.db") as store, store.transaction():
        store.claimreviews.add([{"id": "fc-1", "claim": "The moon is made of cheese.",
                                 "url": "https://fc.example/moon"}])
    print(store.claimreviews.count())
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from factdesk.store.clock import now_iso

# The descriptive columns, in the order rows are read (after rowid).
RECORD_COLUMNS = ("id", "claim", "url", "title", "rating", "publisher", "publisher_site", "claimant",
                  "claim_date", "date", "language", "source")
_WRITE_COLUMNS = RECORD_COLUMNS + ("raw", "vector", "title_vector")
_SELECT = "rowid, " + ", ".join(RECORD_COLUMNS)
_CHUNK = 500  # ids per IN (...) query, well below SQLite's variable limit
_FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"  # as reviews_fts (schema_reviews.SQL)

# Writes per database in this process: SQLite's data_version does not change for a connection's
# own commits, so caches built over the table also compare this counter.
_WRITES: dict[object, int] = {}
_WRITES_LOCK = threading.Lock()


class ClaimReviewRecords:
    """Reads and writes of the ``reviews`` table of one open store (``store.claimreviews``)."""

    def __init__(self, conn: sqlite3.Connection, key: object) -> None:
        self._conn = conn
        self._key = key
        self._vocabulary = False  # temp.reviews_vocab created on this connection

    # -- writing -------------------------------------------------------------------
    def add(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Insert records (dicts by column name; an id already stored is ignored). Does not commit."""
        now = now_iso()
        rows = [tuple(r.get(c) for c in _WRITE_COLUMNS) + (now,) for r in records]
        self._conn.executemany(
            f"INSERT OR IGNORE INTO reviews({', '.join(_WRITE_COLUMNS)}, added_at) "
            f"VALUES ({','.join('?' * (len(_WRITE_COLUMNS) + 1))})", rows)
        with _WRITES_LOCK:
            _WRITES[self._key] = _WRITES.get(self._key, 0) + 1

    # -- reading -------------------------------------------------------------------
    def version(self) -> tuple[int, int, int]:
        """Changes whenever the table does: (max rowid, SQLite data_version, this process's writes).

        No count(*): it scans the table (ms at 1 M rows); deletes show up in data_version (other
        connections) or in the write counter (this process).
        """
        return self.max_rowid(), int(self._conn.execute("PRAGMA data_version").fetchone()[0]), \
            _WRITES.get(self._key, 0)

    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM reviews").fetchone()[0])

    def max_rowid(self) -> int:
        """An upper bound on the number of records that costs no table scan."""
        return int(self._conn.execute("SELECT coalesce(max(rowid), 0) FROM reviews").fetchone()[0])

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        out: set[str] = set()
        ids = list(ids)
        for i in range(0, len(ids), _CHUNK):
            part = ids[i:i + _CHUNK]
            rows = self._conn.execute(f"SELECT id FROM reviews WHERE id IN ({','.join('?' * len(part))})", part)
            out.update(r[0] for r in rows)
        return out

    def page(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Records, newest review date first (undated last)."""
        rows = self._conn.execute(
            f"SELECT {_SELECT} FROM reviews ORDER BY (date IS NULL), date DESC, rowid DESC LIMIT ? OFFSET ?",
            (int(limit), int(offset)))
        return [dict(zip(RECORD_COLUMNS, row[1:])) for row in rows]

    def by_rowids(self, rowids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """rowid -> record with its ``vector`` and ``title_vector`` blobs, for the rowids still present."""
        out: dict[int, dict[str, Any]] = {}
        ids = [int(r) for r in rowids]
        columns = RECORD_COLUMNS + ("vector", "title_vector")
        for i in range(0, len(ids), _CHUNK):
            part = ids[i:i + _CHUNK]
            rows = self._conn.execute(
                f"SELECT {_SELECT}, vector, title_vector FROM reviews WHERE rowid IN ({','.join('?' * len(part))})",
                part)
            for row in rows:
                out[int(row[0])] = dict(zip(columns, row[1:]))
        return out

    def vector_batches(self, size: int = 20000) -> Iterator[list[Sequence]]:
        """(rowid, claim vector blob) of every record with a vector, by rowid, ``size`` rows at a time."""
        cur = self._conn.execute("SELECT rowid, vector FROM reviews WHERE vector IS NOT NULL ORDER BY rowid")
        while True:
            rows = cur.fetchmany(size)
            if not rows:
                return
            yield rows

    def lexical(self, match: str, k: int) -> list[tuple[int, float]]:
        """Top-k ``(rowid, -bm25)`` for an FTS5 MATCH expression over claim (weight 1.0) and title (0.3)."""
        rows = self._conn.execute(
            "SELECT rowid, bm25(reviews_fts, 1.0, 0.3) AS s FROM reviews_fts WHERE reviews_fts MATCH ? "
            "ORDER BY s LIMIT ?", (match, int(k)))
        return [(int(r[0]), -float(r[1])) for r in rows]

    def document_frequency(self, stem: str) -> int:
        """How many records hold an (FTS5-stemmed) term; FTS5 walks the term's posting list."""
        if not self._vocabulary:
            self._conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.reviews_vocab USING fts5vocab(main, 'reviews_fts', 'row')")
            self._vocabulary = True
        row = self._conn.execute("SELECT doc FROM temp.reviews_vocab WHERE term = ?", (stem,)).fetchone()
        return int(row[0]) if row else 0


_STEM_LOCK = threading.Lock()
_STEMMER: sqlite3.Connection | None = None


def fts_stems(tokens: Sequence[str]) -> list[str]:
    """The terms FTS5's tokenizer makes of single tokens (a token it drops is kept as it is)."""
    global _STEMMER
    with _STEM_LOCK:
        if _STEMMER is None:  # a tiny in-memory FTS5 table with the reviews' tokenizer
            _STEMMER = sqlite3.connect(":memory:", check_same_thread=False)
            _STEMMER.execute(f"CREATE VIRTUAL TABLE q USING fts5(t, tokenize='{_FTS_TOKENIZER}')")
            _STEMMER.execute("CREATE VIRTUAL TABLE qi USING fts5vocab(q, 'instance')")
        _STEMMER.execute("DELETE FROM q")
        _STEMMER.executemany("INSERT INTO q(rowid, t) VALUES (?, ?)", list(enumerate(tokens, 1)))
        got = {int(d): t for t, d in _STEMMER.execute("SELECT term, doc FROM qi")}
        return [got.get(i, tok) for i, tok in enumerate(tokens, 1)]
