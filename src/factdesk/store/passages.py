"""Corpus passages in the store: the ``passages`` table, its FTS5 index and its vectors.

The tables come from store migration 1 (``factdesk/store/sqlite.py``).  Retrieval
(:mod:`factdesk.retrieve.index`) reads and writes passages only through
:class:`PassageRecords`, reached as ``store.passages``.

A passage row's ``vector`` is its embedding as little-endian float32 bytes;
``passages_fts`` follows the table through triggers, so deleting and
re-inserting a document's passages keeps it in sync.

Example::

    with Store.open("fd.db") as store, store.transaction():
        store.save_document(doc)
        store.passages.replace(doc.id, passages, [v.tobytes() for v in vectors])
    print(store.passages.get(passages[0].id).text)
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence

from factdesk.errors import NotFoundError
from factdesk.store.claimreviews import fts_stems
from factdesk.types import Passage

_COLUMNS = 'rowid, id, document_id, position, start, "end", text, title, published, url, source'
_CHUNK = 500  # rowids per IN (...) query, well below SQLite's variable limit

# Passage writes per database in this process: SQLite's data_version does not change for a
# connection's own commits, so caches built over the table also compare this counter.
_WRITES: dict[object, int] = {}
_WRITES_LOCK = threading.Lock()


def note_write(key: object) -> None:
    with _WRITES_LOCK:
        _WRITES[key] = _WRITES.get(key, 0) + 1


class PassageRecords:
    """Reads and writes of the ``passages`` table of one open store (``store.passages``)."""

    def __init__(self, conn: sqlite3.Connection, key: object) -> None:
        self._conn = conn
        self._key = key
        self._vocabulary = False  # temp.passages_vocab created on this connection
        self._known_version: tuple[tuple[int, int, int], tuple[int, int, int, int]] | None = None

    def close(self) -> None:
        """Close the connection of a reader made by ``Store.passage_reader`` (not the store's own)."""
        self._conn.close()

    # -- writing -------------------------------------------------------------------
    def replace(self, document_id: str, passages: Sequence[Passage], vectors: Sequence[bytes | None]) -> None:
        """Replace the passages of a saved document (one vector blob per passage). Does not commit."""
        conn = self._conn
        if conn.execute("SELECT 1 FROM documents WHERE id = ?", (document_id,)).fetchone() is None:
            raise NotFoundError(f"document {document_id!r} is not in the store",
                                hint="save it first with store.save_document(doc)")
        conn.execute("DELETE FROM passages WHERE document_id = ?", (document_id,))
        conn.executemany(
            """INSERT INTO passages(id, document_id, position, start, "end", text, title, published, url, source,
                                    vector) VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
            [(p.id, p.document_id, p.position, p.start, p.end, p.text, p.title, p.published, p.url, p.source,
              vec) for p, vec in zip(passages, vectors)],
        )
        note_write(self._key)

    def remove_document(self, document_id: str) -> None:
        """Delete one document's passages (their FTS rows follow by trigger). Does not commit."""
        self._conn.execute("DELETE FROM passages WHERE document_id = ?", (document_id,))
        note_write(self._key)

    # -- reading -------------------------------------------------------------------
    def version(self) -> tuple[int, int, int, int]:
        """Changes whenever the table does: (count, max rowid, SQLite data_version, this process's writes).

        Every search asks for it, and ``count(*)`` walks an index of every passage (24 ms at a million,
        ten times that at ten million), so the count read outside a transaction is kept until something
        may have changed it: another connection committed (``data_version``), this connection changed
        rows (``total_changes``), or this process wrote passages.  Inside a transaction it is counted
        every time and not kept (a rollback moves none of those three).
        """
        conn = self._conn
        data_version, = conn.execute("PRAGMA data_version").fetchone()
        writes = _WRITES.get(self._key, 0)
        stamp = (int(data_version), conn.total_changes, writes)
        known = self._known_version
        if known is not None and known[0] == stamp:
            return known[1]
        count, = conn.execute("SELECT count(*) FROM passages").fetchone()
        max_rowid, = conn.execute("SELECT max(rowid) FROM passages").fetchone()
        version = (int(count), int(max_rowid or 0), int(data_version), writes)
        self._known_version = None if conn.in_transaction else (stamp, version)
        return version

    def get(self, passage_id: str) -> Passage:
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM passages WHERE id = ?", (passage_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no passage {passage_id!r} in the store")
        return _row_to_passage(row)

    def by_rowids(self, rowids: Iterable[int]) -> dict[int, Passage]:
        """rowid -> passage, for the rowids still present."""
        out: dict[int, Passage] = {}
        ids = [int(r) for r in rowids]
        for i in range(0, len(ids), _CHUNK):
            part = ids[i:i + _CHUNK]
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM passages WHERE rowid IN ({','.join('?' * len(part))})", part)
            for row in rows:
                out[int(row[0])] = _row_to_passage(row)
        return out

    def document_ids(self, rowids: Iterable[int]) -> dict[int, str]:
        """rowid -> document id, for the rowids still present."""
        out: dict[int, str] = {}
        ids = [int(r) for r in rowids]
        for i in range(0, len(ids), _CHUNK):
            part = ids[i:i + _CHUNK]
            rows = self._conn.execute(
                f"SELECT rowid, document_id FROM passages WHERE rowid IN ({','.join('?' * len(part))})", part)
            out.update((int(r[0]), r[1]) for r in rows)
        return out

    def count(self) -> int:
        """How many passages the store holds."""
        return int(self._conn.execute("SELECT count(*) FROM passages").fetchone()[0])

    def document_frequencies(self, terms: Sequence[str]) -> list[int]:
        """How many passages hold each FTS5 term (already stemmed: :func:`fts_terms`).

        FTS5's ``fts5vocab`` table counts a term by walking its posting list, so callers cache the
        counts (:mod:`factdesk.retrieve.index` keeps them per store version).
        """
        if not self._vocabulary:
            self._conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.passages_vocab USING fts5vocab(main, 'passages_fts', 'row')")
            self._vocabulary = True
        out = []
        for term in terms:
            row = self._conn.execute("SELECT doc FROM temp.passages_vocab WHERE term = ?", (term,)).fetchone()
            out.append(int(row[0]) if row else 0)
        return out

    def ids(self) -> list[tuple[int, str]]:
        """(rowid, passage id) of every passage, by rowid (read from the id index, not the table)."""
        return self._conn.execute("SELECT rowid, id FROM passages INDEXED BY sqlite_autoindex_passages_1 "
                                  "ORDER BY rowid").fetchall()

    def id_batches(self, size: int = 100_000) -> Iterator[list[tuple[int, str]]]:
        """(rowid, passage id) of every passage in no set order, ``size`` rows at a time (one read of the id index).

        For callers that keep the list in compact arrays (the vector index's sync) instead of one Python
        list of every row, as :meth:`ids` returns.
        """
        cursor = self._conn.execute("SELECT rowid, id FROM passages INDEXED BY sqlite_autoindex_passages_1")
        while rows := cursor.fetchmany(int(size)):
            yield rows

    def vectors_by_rowids(self, rowids: Iterable[int]) -> list[tuple[int, str, str | None, str, bytes | None]]:
        """(rowid, passage id, published, document id, vector blob) of these passages that are still present."""
        out: list[tuple[int, str, str | None, str, bytes | None]] = []
        ids = [int(r) for r in rowids]
        for i in range(0, len(ids), _CHUNK):
            part = ids[i:i + _CHUNK]
            out.extend(self._conn.execute(
                f"SELECT rowid, id, published, document_id, vector FROM passages "
                f"WHERE rowid IN ({','.join('?' * len(part))})", part))
        return out

    def vector_batches(self, after_rowid: int = 0, size: int = 20000):
        """(rowid, passage id, vector blob) of passages with a vector and rowid > ``after_rowid``, by rowid,
        ``size`` rows at a time (an iterator of lists)."""
        last = int(after_rowid)
        while True:
            rows = self._conn.execute(
                "SELECT rowid, id, vector FROM passages WHERE rowid > ? AND vector IS NOT NULL ORDER BY rowid LIMIT ?",
                (last, int(size))).fetchall()
            if not rows:
                return
            yield rows
            last = int(rows[-1][0])

    def text_batches(self, after_rowid: int = 0, size: int = 20000) -> Iterator[list[tuple[int, str, str, str]]]:
        """(rowid, passage id, text, title) of every passage with rowid > ``after_rowid``, by rowid, ``size``
        rows at a time (for indexes kept beside the store: :mod:`factdesk.retrieve.lexical_tantivy`)."""
        last = int(after_rowid)
        while True:
            rows = self._conn.execute("SELECT rowid, id, text, coalesce(title, '') FROM passages WHERE rowid > ? "
                                      "ORDER BY rowid LIMIT ?", (last, int(size))).fetchall()
            if not rows:
                return
            yield rows
            last = int(rows[-1][0])

    def passing(self, ranked: list[tuple[int, float]], *, exclude_documents: Iterable[str] | None = None,
                published_after: str | None = None, after: bool = False) -> list[tuple[int, float]]:
        """The ranked ``(rowid, score)`` rows still present that pass :meth:`lexical`'s filters, in order
        (no filter given: ``ranked`` as it is, unread)."""
        excluded = set(exclude_documents or ())
        if not excluded and not published_after:
            return list(ranked)
        meta = self._filter_rows([r for r, _ in ranked])
        return [(r, s) for r, s in ranked if r in meta and _passes(meta[r], excluded, published_after, after)]

    def _filter_rows(self, rowids: list[int]) -> dict[int, tuple[str, str]]:
        """rowid -> (document id, published or '') for the rowids still present."""
        out: dict[int, tuple[str, str]] = {}
        for i in range(0, len(rowids), _CHUNK):
            part = rowids[i:i + _CHUNK]
            for row in self._conn.execute(f"SELECT rowid, document_id, published FROM passages "
                                          f"WHERE rowid IN ({','.join('?' * len(part))})", part):
                out[int(row[0])] = (row[1], row[2] or "")
        return out

    def vector_rows(self) -> list[Sequence]:
        """(rowid, document id, published, vector blob) of every passage with a vector, by rowid."""
        return self._conn.execute(
            "SELECT rowid, document_id, published, vector FROM passages WHERE vector IS NOT NULL ORDER BY rowid"
        ).fetchall()

    def lexical(self, match: str, k: int, *, exclude_documents: Iterable[str] | None = None,
                published_after: str | None = None, after: bool = False,
                rank_first: bool = True) -> list[tuple[int, float]]:
        """Top-k ``(rowid, -bm25)`` for an FTS5 MATCH expression over text (weight 1.0) and title (0.5).

        With ``published_after`` (``YYYY-MM-DD``), only passages not published after that day are
        searched, or only those published after it when ``after`` is true (an unknown date counts
        as not after).  With filters, the best ``max(4k, 200)`` are ranked without them and filtered
        here (``rank_first``); only when fewer than k pass does one joined query run.
        """
        if rank_first and (exclude_documents or published_after):
            # Filter after ranking where that gives the same answer: rank without the join (a join looks up
            # the passage row of every match, which dominates at a million passages), then keep the best
            # rows that pass; only when too few pass does the joined query run.
            excluded = set(exclude_documents or ())
            depth = max(4 * int(k), 200)
            ranked = self.lexical(match, depth)
            if not ranked:
                return []
            kept = self.passing(ranked, exclude_documents=excluded, published_after=published_after, after=after)
            if len(kept) >= k or len(ranked) < depth:
                return kept[:int(k)]
            exclude_documents = excluded
        where, args = ["passages_fts MATCH ?"], [match]
        join = ""
        if exclude_documents or published_after:
            join = "JOIN passages p ON p.rowid = passages_fts.rowid"
            if exclude_documents:
                where.append("p.document_id NOT IN (SELECT value FROM json_each(?))")
                args.append(json.dumps(sorted(exclude_documents)))
            if published_after:
                cond = "(p.published IS NOT NULL AND p.published != '' AND substr(p.published, 1, 10) > ?)"
                where.append(cond if after else f"NOT {cond}")
                args.append(published_after)
        sql = (f"SELECT passages_fts.rowid, bm25(passages_fts, 1.0, 0.5) AS s FROM passages_fts {join} "
               f"WHERE {' AND '.join(where)} ORDER BY s LIMIT ?")
        args.append(int(k))
        return [(int(r[0]), -float(r[1])) for r in self._conn.execute(sql, args)]


def _passes(row: tuple[str, str], exclude_documents: set[str], published_after: str | None,
            after: bool) -> bool:
    """Whether a passage (document id, published) passes :meth:`PassageRecords.lexical`'s filters."""
    document_id, published = row
    if exclude_documents and document_id in exclude_documents:
        return False
    if published_after:
        later = bool(published) and published[:10] > published_after
        return later if after else not later
    return True


def fts_terms(tokens: Sequence[str]) -> list[str]:
    """The terms ``passages_fts``'s tokenizer makes of single tokens (its tokenizer is the reviews' one)."""
    return fts_stems(tokens)


def _row_to_passage(row: Sequence) -> Passage:
    return Passage(document_id=row[2], text=row[6], start=int(row[4]), end=int(row[5]), position=int(row[3]),
                   title=row[7], published=row[8], url=row[9], source=row[10], id=row[1])
