"""Imported fact-checks on a PostgreSQL store: ``store.claimreviews`` of a
:class:`~factdesk.store.postgres.PostgresStore`, for claim matching (``factdesk reviews``).

The same methods and answers as :class:`factdesk.store.claimreviews.ClaimReviewRecords`; the
table is :data:`SQL` (PostgreSQL migration 5: SQLite's migrations 2 and 5 in one).

* ``tsv`` is a stored generated column, English-stemmed claim (weight A) and title (weight B),
  indexed with GIN.  :meth:`PostgresClaimReviewRecords.lexical` takes the FTS5 expression the
  matcher builds (quoted tokens OR-ed), ORs its tokens through ``websearch_to_tsquery`` (which
  never raises on user text) and ranks with ``ts_rank_cd``, the title at 0.3 of the claim as in
  SQLite's ``bm25(reviews_fts, 1.0, 0.3)``.  The matcher uses the lexical *rank* only, never its
  score, so the calibrated same-claim score carries over; the order within the list can differ
  from FTS5's BM25 (no inverse document frequency).
* ``vector`` / ``title_vector`` are little-endian float32 ``bytea``, as SQLite's blobs: the
  matcher's in-memory vector matrix reads both backends alike.
* ``review_changes.n`` is bumped by a statement trigger on every write from any process, so the
  matcher's caches (vector matrix, term counts) reload when another process imports.

Example::

    with PostgresStore.open("postgresql://me@db/factdesk") as store, store.transaction():
        store.claimreviews.add([{"id": "fc-1", "claim": "The moon is made of cheese.",
                                 "url": "https://fc.example/moon"}])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from factdesk.store.claimreviews import RECORD_COLUMNS
from factdesk.store.clock import now_iso

__all__ = ["SQL", "PostgresClaimReviewRecords"]

SQL = """
CREATE TABLE reviews (
    rowid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    claim TEXT NOT NULL,
    url TEXT NOT NULL,
    title TEXT,
    rating TEXT,
    publisher TEXT,
    publisher_site TEXT,
    claimant TEXT,
    claim_date TEXT,
    date TEXT,
    language TEXT,
    source TEXT,
    raw TEXT,
    vector BYTEA,
    title_vector BYTEA,
    added_at TEXT NOT NULL,
    tsv TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('english', claim), 'A')
        || setweight(to_tsvector('english', coalesce(title, '')), 'B')) STORED
);
CREATE INDEX reviews_url ON reviews(url);
CREATE INDEX reviews_tsv ON reviews USING GIN (tsv);

CREATE TABLE review_changes (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);
INSERT INTO review_changes VALUES (1, 0);
CREATE FUNCTION review_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE review_changes SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER reviews_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON reviews
    FOR EACH STATEMENT EXECUTE FUNCTION review_changed();
"""

_WRITE_COLUMNS = RECORD_COLUMNS + ("raw", "vector", "title_vector")
_SELECT = "rowid, " + ", ".join(RECORD_COLUMNS)
# ts_rank_cd's weights {D, C, B, A}: claim A 1.0, title B 0.3 (SQLite: bm25(reviews_fts, 1.0, 0.3))
_RANK_WEIGHTS = "{0.1, 0.2, 0.3, 1.0}"
_TOKEN = re.compile(r'"((?:[^"]|"")*)"')


def match_words(match: str) -> list[str]:
    """The words of an FTS5 expression of quoted tokens (``"a" OR "b"``), as plain words."""
    words = []
    for tok in _TOKEN.findall(match):
        words.extend(w for w in re.findall(r"\w+", tok.replace('""', '"')) if w)
    return words


class PostgresClaimReviewRecords:
    """Reads and writes of the ``reviews`` table of one open PostgreSQL store (``store.claimreviews``)."""

    def __init__(self, conn: Any, key: object) -> None:
        self._conn = conn
        self._key = key

    # -- writing -------------------------------------------------------------------
    def add(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Insert records (dicts by column name; an id already stored is ignored). Does not commit."""
        now = now_iso()
        rows = [tuple(r.get(c) for c in _WRITE_COLUMNS) + (now,) for r in records]
        if not rows:
            return
        with self._conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO reviews({', '.join(_WRITE_COLUMNS)}, added_at) "
                f"VALUES ({','.join(['%s'] * (len(_WRITE_COLUMNS) + 1))}) ON CONFLICT (id) DO NOTHING", rows)

    # -- reading -------------------------------------------------------------------
    def version(self) -> tuple[int, int, int]:
        """Changes whenever the table does: (max rowid, writes counted by trigger, 0)."""
        row = self._conn.execute(
            "SELECT (SELECT coalesce(max(rowid), 0) FROM reviews), (SELECT n FROM review_changes WHERE id = 1)"
        ).fetchone()
        return int(row[0]), int(row[1] or 0), 0

    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM reviews").fetchone()[0])

    def max_rowid(self) -> int:
        return int(self._conn.execute("SELECT coalesce(max(rowid), 0) FROM reviews").fetchone()[0])

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        if not ids:
            return set()
        return {r[0] for r in self._conn.execute("SELECT id FROM reviews WHERE id = ANY(%s)", (ids,))}

    def page(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Records, newest review date first (undated last)."""
        rows = self._conn.execute(
            f"SELECT {_SELECT} FROM reviews ORDER BY (date IS NULL), date DESC, rowid DESC LIMIT %s OFFSET %s",
            (int(limit), int(offset)))
        return [dict(zip(RECORD_COLUMNS, row[1:])) for row in rows]

    def by_rowids(self, rowids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """rowid -> record with its ``vector`` and ``title_vector`` bytes, for the rowids still present."""
        ids = [int(r) for r in rowids]
        if not ids:
            return {}
        columns = RECORD_COLUMNS + ("vector", "title_vector")
        with self._conn.cursor(binary=True) as cur:
            cur.execute(f"SELECT {_SELECT}, vector, title_vector FROM reviews WHERE rowid = ANY(%s)", (ids,))
            out = {}
            for row in cur.fetchall():
                rec = dict(zip(columns, row[1:]))
                for c in ("vector", "title_vector"):
                    if rec[c] is not None:
                        rec[c] = bytes(rec[c])
                out[int(row[0])] = rec
            return out

    def vector_batches(self, size: int = 20000) -> Iterator[list[Sequence]]:
        """(rowid, claim vector bytes) of every record with a vector, by rowid, ``size`` rows at a time."""
        last = 0
        while True:
            with self._conn.cursor(binary=True) as cur:
                cur.execute("SELECT rowid, vector FROM reviews WHERE vector IS NOT NULL AND rowid > %s "
                            "ORDER BY rowid LIMIT %s", (last, int(size)))
                rows = [(int(r[0]), bytes(r[1])) for r in cur.fetchall()]
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def lexical(self, match: str, k: int) -> list[tuple[int, float]]:
        """Top-k ``(rowid, ts_rank_cd)`` for the matcher's FTS5 expression (its quoted tokens, OR-ed)."""
        words = match_words(match)
        if not words or k <= 0:
            return []
        rows = self._conn.execute(
            f"SELECT r.rowid, ts_rank_cd('{_RANK_WEIGHTS}', r.tsv, q, 1) AS s "
            f"FROM reviews r, websearch_to_tsquery('english', %s) AS q WHERE r.tsv @@ q "
            f"ORDER BY s DESC, r.rowid LIMIT %s", (" or ".join(words), int(k)))
        return [(int(r[0]), float(r[1])) for r in rows]

    def document_frequency(self, stem: str) -> int:
        """How many records hold a term (stemmed again by PostgreSQL's English stemmer)."""
        words = re.findall(r"\w+", stem)
        if not words:
            return 0
        return int(self._conn.execute(
            "SELECT count(*) FROM reviews WHERE tsv @@ plainto_tsquery('english', %s)",
            (" ".join(words),)).fetchone()[0])
