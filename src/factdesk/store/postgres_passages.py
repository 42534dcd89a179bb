"""Corpus passages in a PostgreSQL store: the ``passages`` table, its tsvector index and its vectors.

The PostgreSQL twin of :class:`factdesk.store.passages.PassageRecords`, with the same methods
except :meth:`PostgresPassageRecords.lexical`, which takes the query's words instead of an FTS5
expression.  The tables come from :data:`factdesk.store.postgres.MIGRATIONS`.

* ``tsv`` is a stored generated column: English-stemmed text (weight A) and title (weight B),
  indexed with GIN.  A lexical search ORs the words through ``websearch_to_tsquery`` (which
  never raises on user text) and ranks with ``ts_rank_cd``, the title counting half the text.
* ``vector`` is the embedding as little-endian float32 ``bytea``, the SQLite blob's format, so
  the retriever's in-memory scan reads both backends alike.
* ``passage_changes.n`` is bumped by a statement trigger on every write from any process, so
  caches built over the table (the dense matrix) know when to reload.

Example::

    with PostgresStore.open("postgresql://me@db/factdesk") as store, store.transaction():
        store.save_document(doc)
        store.passages.replace(doc.id, passages, [v.tobytes() for v in vectors])
    store.passages.lexical(["ridgeway", "dam"], k=5)  # [(rowid, score), ...]
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from factdesk.errors import NotFoundError
from factdesk.types import Passage

_COLUMNS = 'rowid, id, document_id, position, start, "end", text, title, published, url, source'
# ts_rank_cd's weights, in the order {D, C, B, A}: text is A, the title B at half its weight
# (as FTS5's bm25(passages_fts, 1.0, 0.5))
_RANK_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"
# BM25's parameters, FTS5's defaults
_K1 = 1.2
_B = 0.75


class PostgresPassageRecords:
    """Reads and writes of the ``passages`` table of one open PostgreSQL store (``store.passages``)."""

    def __init__(self, conn: Any, key: str) -> None:
        self._conn = conn
        self._key = key
        # pgvector's ``embedding vector(N)`` column: N when the store has it (set by PostgresStore.open)
        self.embedding_dim: int | None = None

    def _copy_rows(self, items: Iterable[tuple[Sequence[Passage], Sequence[bytes | None]]]) -> None:
        """COPY passages in (with pgvector's ``embedding`` too when the column exists)."""
        dim = self.embedding_dim
        columns = 'id, document_id, position, start, "end", text, title, published, url, source, vector'
        if dim:
            columns += ", embedding"
        with self._conn.cursor() as cur:
            # COPY: several times faster than INSERTs for the thousands of rows an index chunk writes
            with cur.copy(f"COPY passages({columns}) FROM STDIN") as copy:
                for passages, vectors in items:
                    for p, vec in zip(passages, vectors):
                        row = (p.id, p.document_id, p.position, p.start, p.end, p.text, p.title,
                               p.published, p.url, p.source, vec)
                        copy.write_row(row + (vector_text(vec, dim),) if dim else row)

    # -- writing -------------------------------------------------------------------
    def replace(self, document_id: str, passages: Sequence[Passage], vectors: Sequence[bytes | None]) -> None:
        """Replace the passages of a saved document (one vector blob per passage). Does not commit."""
        conn = self._conn
        if conn.execute("SELECT 1 FROM documents WHERE id = %s", (document_id,)).fetchone() is None:
            raise NotFoundError(f"document {document_id!r} is not in the store",
                                hint="save it first with store.save_document(doc)")
        conn.execute("DELETE FROM passages WHERE document_id = %s", (document_id,))
        if not passages:
            return
        self._copy_rows([(passages, vectors)])

    def replace_many(self, items: Sequence[tuple[str, Sequence[Passage], Sequence[bytes | None]]]) -> None:
        """:meth:`replace` for many saved documents at once: one DELETE and one COPY. Does not commit.

        An index chunk of one-passage documents otherwise pays three round trips per passage.
        """
        if not items:
            return
        conn = self._conn
        ids = [doc_id for doc_id, _, _ in items]
        found = {r[0] for r in conn.execute("SELECT id FROM documents WHERE id = ANY(%s)", (ids,))}
        missing = [d for d in ids if d not in found]
        if missing:
            raise NotFoundError(f"document {missing[0]!r} is not in the store",
                                hint="save it first with store.save_document(doc)")
        conn.execute("DELETE FROM passages WHERE document_id = ANY(%s)", (ids,))
        self._copy_rows((passages, vectors) for _, passages, vectors in items)

    def fill_embeddings(self, dim: int, batch: int = 2000) -> int:
        """Copy stored vectors of ``dim`` dimensions into an empty ``embedding`` column; how many were."""
        done = 0
        while True:
            with self._conn.transaction(), self._conn.cursor(binary=True) as cur:
                cur.execute("SELECT rowid, vector FROM passages WHERE embedding IS NULL AND vector IS NOT NULL "
                            "AND length(vector) = %s LIMIT %s", (4 * dim, batch))
                rows = cur.fetchall()
                if not rows:
                    return done
                with self._conn.cursor() as up:
                    up.executemany("UPDATE passages SET embedding = %s::vector WHERE rowid = %s",
                                   [(vector_text(bytes(r[1]), dim), r[0]) for r in rows])
                done += len(rows)

    def remove_document(self, document_id: str) -> None:
        """Delete one document's passages. Does not commit."""
        self._conn.execute("DELETE FROM passages WHERE document_id = %s", (document_id,))

    # -- reading -------------------------------------------------------------------
    def version(self) -> tuple[int, int]:
        """Changes whenever the table does: (writes counted by trigger, max rowid)."""
        row = self._conn.execute(
            "SELECT (SELECT n FROM passage_changes WHERE id = 1), (SELECT max(rowid) FROM passages)").fetchone()
        return int(row[0] or 0), int(row[1] or 0)

    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM passages").fetchone()[0])

    def get(self, passage_id: str) -> Passage:
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM passages WHERE id = %s", (passage_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no passage {passage_id!r} in the store")
        return _row_to_passage(row)

    def by_rowids(self, rowids: Iterable[int]) -> dict[int, Passage]:
        """rowid -> passage, for the rowids still present."""
        ids = [int(r) for r in rowids]
        if not ids:
            return {}
        rows = self._conn.execute(f"SELECT {_COLUMNS} FROM passages WHERE rowid = ANY(%s)", (ids,))
        return {int(row[0]): _row_to_passage(row) for row in rows}

    def document_ids(self, rowids: Iterable[int]) -> dict[int, str]:
        """rowid -> document id, for the rowids still present."""
        ids = [int(r) for r in rowids]
        if not ids:
            return {}
        rows = self._conn.execute("SELECT rowid, document_id FROM passages WHERE rowid = ANY(%s)", (ids,))
        return {int(r[0]): r[1] for r in rows}

    def vectors_by_rowids(self, rowids: Iterable[int]) -> list[tuple[int, str, str | None, str, bytes | None]]:
        """(rowid, passage id, published, document id, vector bytes) of these passages that are still present."""
        ids = [int(r) for r in rowids]
        if not ids:
            return []
        with self._conn.cursor(binary=True) as cur:
            cur.execute("SELECT rowid, id, published, document_id, vector FROM passages WHERE rowid = ANY(%s)",
                        (ids,))
            return [(int(r[0]), r[1], r[2], r[3], None if r[4] is None else bytes(r[4])) for r in cur.fetchall()]

    def hnsw_index_exists(self) -> bool:
        """Whether pgvector's HNSW index on ``embedding`` is there (a bulk index run drops it for a while)."""
        return bool(self._conn.execute("SELECT to_regclass('passages_embedding') IS NOT NULL").fetchone()[0])

    def drop_hnsw_index(self) -> None:
        """Drop the HNSW index (before a bulk load: rows then go in without graph updates). Does not commit."""
        self._conn.execute("DROP INDEX IF EXISTS passages_embedding")

    def build_hnsw_index(self, memory: str = "512MB") -> None:
        """(Re)build the HNSW index over every embedding in one pass, with ``memory`` of maintenance_work_mem."""
        with self._conn.transaction():
            self._conn.execute("SELECT set_config('maintenance_work_mem', %s, true)", (memory,))
            self._conn.execute("CREATE INDEX IF NOT EXISTS passages_embedding ON passages "
                               "USING hnsw (embedding vector_ip_ops)")

    def embedding_count(self) -> int:
        """Passages with a pgvector ``embedding`` (0 without the column)."""
        if not self.embedding_dim:
            return 0
        return int(self._conn.execute("SELECT count(*) FROM passages WHERE embedding IS NOT NULL").fetchone()[0])

    def nearest(self, vector: Any, depth: int, *, ef_search: int = 200) -> list[tuple[int, float]]:
        """``(rowid, inner product)`` of up to ``depth`` passages nearest to a unit ``vector``, best first.

        pgvector's HNSW index (``<#>``, negative inner product: cosine on unit vectors) searched with
        ``hnsw.ef_search = max(ef_search, depth)`` (pgvector caps it at 1000, and an HNSW scan returns
        at most ``ef_search`` rows).  Approximate: callers rescore from the stored vectors.
        """
        if not self.embedding_dim or depth <= 0:
            return []
        query = vector_text(vector, self.embedding_dim)
        if query is None:
            return []
        ef = max(1, min(1000, max(int(ef_search), int(depth))))
        with self._conn.transaction():
            self._conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef),))
            # the planner may price a full scan with a top-N sort below the HNSW scan on tables of some
            # ten thousand rows (exact, but tens of times slower): this query is meant for the index
            self._conn.execute("SELECT set_config('enable_seqscan', 'off', true)")
            rows = self._conn.execute(
                "SELECT rowid, -(embedding <#> %s::vector) FROM passages WHERE embedding IS NOT NULL "
                "ORDER BY embedding <#> %s::vector LIMIT %s", (query, query, int(min(depth, ef)))).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]

    def vector_rows(self) -> list[Sequence]:
        """(rowid, document id, published, vector bytes) of every passage with a vector, by rowid."""
        # a binary cursor hands bytea over as is, without hex-decoding a gigabyte of text at 1 M passages
        with self._conn.cursor(binary=True) as cur:
            cur.execute("SELECT rowid, document_id, published, vector FROM passages "
                        "WHERE vector IS NOT NULL ORDER BY rowid")
            return [(r[0], r[1], r[2], bytes(r[3])) for r in cur.fetchall()]

    def lexical(self, terms: Sequence[str], k: int, *, exclude_documents: Iterable[str] | None = None,
                published_after: str | None = None, after: bool = False,
                ranking: str = "bm25") -> list[tuple[int, float]]:
        """Top-k ``(rowid, score)`` of passages matching any of ``terms`` (words, OR-ed), best first.

        ``ranking`` is ``bm25`` (Okapi BM25 over the stemmed lexemes, the title's occurrences
        counting half: FTS5's ranking, which PostgreSQL lacks) or ``ts_rank_cd`` (PostgreSQL's
        cover density, which has no inverse document frequency).  ``published_after``
        (``YYYY-MM-DD``) and ``after`` filter by date as
        :meth:`factdesk.store.passages.PassageRecords.lexical` does.
        """
        words = [w for t in terms for w in str(t).split() if w]
        if not words or k <= 0:
            return []
        if ranking not in ("bm25", "ts_rank_cd"):
            raise ValueError(f"unknown ranking {ranking!r}: use bm25 or ts_rank_cd")
        # websearch syntax: "a or b or c"; the words are \w+ tokens, so no other operator can appear
        query = " or ".join(words)
        where, args = ["p.tsv @@ q"], []
        if exclude_documents:
            where.append("p.document_id <> ALL(%s)")
            args.append(sorted(exclude_documents))
        if published_after:
            cond = "(p.published IS NOT NULL AND p.published <> '' AND substr(p.published, 1, 10) > %s)"
            where.append(cond if after else f"NOT {cond}")
            args.append(published_after)
        if ranking == "ts_rank_cd":
            sql = (f"SELECT p.rowid, ts_rank_cd('{_RANK_WEIGHTS}', p.tsv, q, 1) AS s "
                   f"FROM passages p, websearch_to_tsquery('english', %s) AS q "
                   f"WHERE {' AND '.join(where)} ORDER BY s DESC, p.rowid LIMIT %s")
            return [(int(r[0]), float(r[1])) for r in self._conn.execute(sql, [query, *args, int(k)])]
        stats = self._term_stats(words)
        if not stats.idf:
            return []
        lexemes, idfs = list(stats.idf), [stats.idf[x] for x in stats.idf]
        # Two stages, measured at 10 k FEVER passages: BM25 with tf = 1 (one cheap @@ per lexeme)
        # keeps the best max(200, 4k) matches, then full BM25 (tf from the lexemes' positions, the
        # title's counting half; dl = distinct lexemes) ranks those: half the time of full BM25 over
        # every match, with the same top 10 (and 98 % of the top 50) on 60 FEVER claims.
        present = " + ".join("(CASE WHEN p.tsv @@ %s::tsquery THEN %s::float8 ELSE 0 END)" for _ in lexemes)
        present_args: list[Any] = []
        for x, idf in zip(lexemes, idfs):
            present_args += [_quote_lexeme(x), idf]
        norm = f"(1 - {_B} + {_B} * length(%s) / %s::float8)"
        sql = f"""
            WITH c AS (
                SELECT p.rowid, p.tsv FROM passages p CROSS JOIN websearch_to_tsquery('english', %s) AS q
                WHERE {' AND '.join(where)}
                ORDER BY ({present}) / (1 + {_K1} * {norm % ('p.tsv', '%s')}) DESC, p.rowid
                LIMIT %s)
            SELECT c.rowid, sum(w.idf * t.tf * {_K1 + 1} / (t.tf + {_K1} * {norm % ('c.tsv', '%s')})) AS s
            FROM c CROSS JOIN LATERAL (
                SELECT u.lexeme, cardinality(u.weights) - 0.5 * cardinality(array_positions(u.weights, 'B')) AS tf
                FROM unnest(c.tsv) AS u) AS t
            JOIN unnest(%s::text[], %s::float8[]) AS w(lexeme, idf) ON w.lexeme = t.lexeme
            GROUP BY c.rowid ORDER BY s DESC, c.rowid LIMIT %s"""
        rows = self._conn.execute(sql, [query, *args, *present_args, stats.avgdl, max(200, 4 * int(k)),
                                        stats.avgdl, lexemes, idfs, int(k)])
        return [(int(r[0]), float(r[1])) for r in rows]

    def indexed_count(self, version: tuple | None = None) -> int:
        """The passage count, read once per table version with the BM25 statistics (:meth:`count` counts anew).

        ``version``: :meth:`version` as the caller read it (read here when not given).
        """
        return self._stats(version or self.version()).n

    def document_frequencies(self, terms: Sequence[str], *, version: tuple | None = None) -> list[int]:
        """How many passages hold each query term (a word as :func:`~factdesk.retrieve.fusion.query_terms` gives it).

        A term counts as its English-stemmed lexeme (``to_tsvector('english', term)``; a term of several
        lexemes as its most frequent one, a PostgreSQL stop word as 0).  Counts are those BM25's idf
        uses, cached per process and table version: one GIN count per lexeme not seen before.
        """
        stats = self._stats(version or self.version())
        per_term = self._lexemes(stats, terms)
        self._count_lexemes(stats, [x for xs in per_term for x in xs])
        return [max((stats.df[x] for x in xs), default=0) for xs in per_term]

    def _stats(self, version: tuple) -> "_TermStats":
        """This table version's statistics: passages, mean length, lexeme counts (reset when the table changes)."""
        with _STATS_LOCK:
            cache = _STATS.get(self._key)
            if cache is not None and cache.version == version and len(cache.df) < 200_000:
                return cache
        n, avgdl = self._conn.execute("SELECT count(*), avg(length(tsv)) FROM passages").fetchone()
        cache = _TermStats(version, int(n), float(avgdl or 1.0), {})
        with _STATS_LOCK:
            _STATS[self._key] = cache
        return cache

    def _lexemes(self, stats: "_TermStats", terms: Sequence[str]) -> list[tuple[str, ...]]:
        """Each term's lexemes (one round trip for the terms not seen before in this table version)."""
        missing = [t for t in dict.fromkeys(terms) if t not in stats.lexemes]
        if missing:
            got: dict[str, list[str]] = {t: [] for t in missing}
            for term, lexeme in self._conn.execute(
                    "SELECT u.t, x.lexeme FROM unnest(%s::text[]) AS u(t) "
                    "CROSS JOIN LATERAL unnest(to_tsvector('english', u.t)) AS x", (missing,)):
                got[term].append(lexeme)
            stats.lexemes.update((t, tuple(xs)) for t, xs in got.items())
        return [stats.lexemes[t] for t in terms]

    def _count_lexemes(self, stats: "_TermStats", lexemes: Sequence[str]) -> None:
        """Fill in the document frequencies of lexemes not yet counted (one GIN count each, one round trip)."""
        missing = [x for x in dict.fromkeys(lexemes) if x not in stats.df]
        if not missing:
            return
        # frequent lexemes are the slow ones (a bitmap scan of their heap pages); cached per table version
        rows = self._conn.execute(
            "SELECT x, (SELECT count(*) FROM passages WHERE tsv @@ x::tsquery) "
            "FROM unnest(%s::text[]) AS x", ([_quote_lexeme(x) for x in missing],)).fetchall()
        stats.df.update(zip(missing, (int(r[1]) for r in rows)))

    def _term_stats(self, words: Sequence[str]) -> "_TermStats":
        """The query words' lexemes with their BM25 idf, and the mean passage length: cached per table version."""
        stats = self._stats(self.version())
        lexemes = list(dict.fromkeys(x for xs in self._lexemes(stats, words) for x in xs))
        self._count_lexemes(stats, lexemes)
        n = stats.n
        idf = {x: math.log(1 + (n - stats.df[x] + 0.5) / (stats.df[x] + 0.5)) for x in lexemes if stats.df[x]}
        return _TermStats(stats.version, n, stats.avgdl, {}, idf=idf)


@dataclass
class _TermStats:
    version: tuple
    n: int
    avgdl: float
    df: dict[str, int]  # lexeme -> passages holding it
    lexemes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # query word -> its lexemes
    idf: dict[str, float] = field(default_factory=dict)


# document frequencies per database (store.key), reset when the passages table changes
_STATS: dict[str, _TermStats] = {}
_STATS_LOCK = threading.Lock()


def vector_text(vector: Any, dim: int | None) -> str | None:
    """pgvector's text form (``[x,y,…]``) of float32 bytes or an array; None when it is not ``dim`` long."""
    if vector is None:
        return None
    arr = np.frombuffer(vector, dtype="<f4") if isinstance(vector, (bytes, bytearray, memoryview)) \
        else np.asarray(vector, dtype=np.float32).reshape(-1)
    if dim is not None and len(arr) != dim:
        return None
    return "[" + ",".join(["%.9g" % x for x in arr.tolist()]) + "]"


def _quote_lexeme(lexeme: str) -> str:
    """A tsquery literal matching exactly this (already stemmed) lexeme."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _row_to_passage(row: Sequence) -> Passage:
    return Passage(document_id=row[2], text=row[6], start=int(row[4]), end=int(row[5]), position=int(row[3]),
                   title=row[7], published=row[8], url=row[9], source=row[10], id=row[1])
