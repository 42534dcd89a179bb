"""Hybrid passage retrieval over a PostgreSQL store: tsvector full-text + dense cosine, fused.

The same search as :mod:`factdesk.retrieve.index` (read its docstring for modes, claim dates,
the per-document cap and MMR), over :class:`~factdesk.store.postgres.PostgresStore`:

* **lexical**: the query's words (:func:`factdesk.retrieve.fusion.query_terms`, the FTS5 query's
  words) OR-ed in ``websearch_to_tsquery('english', …)`` against a GIN-indexed ``tsvector``
  (text weight 1.0, title 0.5), ranked by ``ts_rank_cd``.  PostgreSQL has no BM25: ranks differ
  from FTS5's, so evidence recall was measured on the demo gold (docs/benchmarks.md, PostgreSQL).
  Large stores are pruned as on SQLite: from ``lexical_prune_min`` passages (50,000) on, a query
  word whose lexeme is in more than ``lexical_max_df`` of the passages (1 %) is left out, the
  ``lexical_min_terms`` rarest (5) always kept (document frequencies: the ones BM25's idf counts,
  cached per table version).  Top lists are remembered ``LEXICAL_DEPTH`` deep per retriever while
  the passages do not change (``memo``), so a check's k = 5 and k = 25 searches of one text share
  one query.  ``lexical_rank_first`` (an FTS5 query plan) has no meaning here and says so.
* **dense**: with pgvector on the server (the store's ``embedding vector(384)`` column, migration
  3) and from ``ann_threshold`` passages on (50,000; ``dense="pgvector"``: always), its HNSW index
  (inner product on unit vectors) gives the candidates, searched with
  ``hnsw.ef_search`` at least ``ef_search`` (default 200) and at least as deep as asked; they are
  rescored exactly from the stored float32 vectors and filtered by date and document as on SQLite
  (the usearch path's :class:`~factdesk.retrieve.index._AnnDense`).  Without pgvector (or with
  ``dense="scan"``): the same in-memory scan of every stored vector as SQLite (vectors are the same
  little-endian float32 bytes), reloaded when the ``passage_changes`` counter moves — a write
  from any process, not only this one.  ``factdesk info`` says which one a store uses.
* **hybrid**: reciprocal-rank fusion, the date groups and the cap all come from the shared code
  (:mod:`factdesk.retrieve.fusion` and the search loop of
  :class:`~factdesk.retrieve.index.SqliteRetriever`, which holds no SQL: it reads through
  ``store.passages``).

Example::

    with PostgresStore.open("postgresql://factdesk@127.0.0.1/factdesk") as store:
        PostgresIndexer(store, embedder).add_documents(docs, save_role="corpus")
        hits = PostgresRetriever(store, embedder, max_per_document=2).search("when did the dam open?", k=5)
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from factdesk.errors import ConfigError
from factdesk.retrieve.embed import Embedder
from factdesk.retrieve.fusion import latest_date, query_terms, rare_terms
from factdesk.retrieve.index import LEXICAL_DEPTH, SqliteIndexer, SqliteRetriever
from factdesk.store.postgres import PostgresStore

_log = logging.getLogger("factdesk")

__all__ = ["PostgresIndexer", "PostgresRetriever", "pgvector_available", "postgres_indexer", "postgres_retriever"]


def _require_postgres(store: Any) -> None:
    if getattr(store, "backend", "sqlite") != "postgres":
        raise ConfigError("the postgres retriever and indexer need a PostgreSQL store",
                          hint="open the store with --db postgresql://user@host/dbname")


class PostgresIndexer(SqliteIndexer):
    """The write side over a PostgreSQL store: passages and vectors go in with COPY, per chunk.

    The SQLite indexer's logic (passages, one embedding call per chunk of documents, a transaction
    per chunk) holds no SQL, so it is reused as is; ``store.passages`` does the writing.

    Example::

        indexer = PostgresIndexer(store, embedder)
        indexer.add_documents(docs, save_role="corpus")  # one transaction per 64 documents
    """

    def __init__(self, store: PostgresStore, embedder: Embedder | None = None, *, bulk_min: int = 10_000,
                 build_memory: str = "512MB", **options: Any) -> None:
        _require_postgres(store)
        if "ann_threshold" in options:
            _log.warning("ann_threshold has no effect on a PostgreSQL indexer: pgvector's HNSW index is kept at any "
                         "size (the retriever's ann_threshold decides when it is searched)")
        super().__init__(store, embedder, **options)  # type: ignore[arg-type]
        self.bulk_min = int(bulk_min)
        self.build_memory = build_memory
        self._written = 0  # passages written by this indexer (one `factdesk index` run)

    def finish(self) -> None:
        """After a run of writes: rebuild pgvector's HNSW index if a bulk load dropped it (or it is missing).

        With pgvector, keeping the HNSW graph up to date costs most of the time of an index run
        (442 vs 4,413 passages/s at 10k; docs/benchmarks.md).  So once a run has written
        ``bulk_min`` passages (0: never) the index is dropped and the rest goes in without it; this
        builds it again in one pass.  Meanwhile (or after a killed run, until the next ``factdesk
        index`` finishes) dense search still gets the exact order, by a scan of the column.
        """
        super().finish()
        if self.store.pgvector and not self.store.passages.hnsw_index_exists():
            import time

            t = time.perf_counter()
            _log.info("building pgvector's HNSW index over %d passages", self.store.passages.embedding_count())
            self.store.passages.build_hnsw_index(self.build_memory)
            _log.info("HNSW index built in %.1f s", time.perf_counter() - t)

    def _write_chunk(self, chunk, per_doc, vectors, save_role, on_document) -> None:
        if (self.bulk_min > 0 and self._written >= self.bulk_min and self.store.pgvector
                and self.store.passages.hnsw_index_exists()):
            _log.info("bulk load: pgvector's HNSW index is dropped now and rebuilt when the run finishes")
            self.store.passages.drop_hnsw_index()
        self._written += sum(len(p) for p in per_doc)
        # the whole chunk in one batch of document rows and one COPY of passages, not per document
        if save_role is not None:
            self.store.save_documents(chunk, role=save_role)
        vectors = np.ascontiguousarray(vectors, dtype="<f4")
        items, offset = [], 0
        for doc, passages in zip(chunk, per_doc):
            items.append((doc.id, passages, [vectors[offset + i].tobytes() for i in range(len(passages))]))
            offset += len(passages)
        self.store.passages.replace_many(items)
        if on_document is not None:
            for doc in chunk:
                on_document(doc)


class PostgresRetriever(SqliteRetriever):
    """The read side over a PostgreSQL store: tsvector lexical, dense scan, hybrid by RRF.

    Example::

        retriever = PostgresRetriever(store, embedder, max_per_document=2)
        for hit in retriever.search("when did the dam open?", k=5, before="2024-03-01"):
            print(hit.score, hit.after_claim_date, hit.passage.text)
    """

    def __init__(self, store: PostgresStore, embedder: Embedder | None = None, *, ranking: str = "bm25",
                 dense: str = "auto", ef_search: int = 200, **options: Any) -> None:
        _require_postgres(store)
        if "lexical_rank_first" in options:
            # SQLite's choice of FTS5 query plan (rank without the passage join, filter after): here the date and
            # document filters are columns of the ranked row, so the one query is already that, with the same answer
            _log.warning("lexical_rank_first has no effect on PostgreSQL: dates and documents are filtered in the "
                         "ranking query itself")
        super().__init__(store, embedder, **options)  # type: ignore[arg-type]
        if ranking not in ("bm25", "ts_rank_cd"):
            raise ConfigError(f"unknown lexical ranking {ranking!r}", hint="use bm25 or ts_rank_cd")
        if dense not in ("auto", "pgvector", "scan"):
            raise ConfigError(f"unknown dense search {dense!r}", hint="use auto, pgvector or scan")
        if dense == "pgvector" and not store.pgvector:
            raise ConfigError("dense='pgvector' but this store has no pgvector column",
                              hint="install pgvector on the server (CREATE EXTENSION vector) or use dense='auto'")
        if not 1 <= int(ef_search) <= 1000:
            raise ConfigError(f"ef_search must lie between 1 and 1000 (pgvector's range), not {ef_search}")
        self.ranking = ranking
        self.dense = dense
        self.ef_search = int(ef_search)
        self._pgvector: tuple[tuple, _PgvectorIndex] | None = None

    def _ann_for(self, version: tuple, *, sync: bool = True) -> Any:
        """pgvector's HNSW index, or None: the exact in-memory scan.

        ``dense="pgvector"``: always the index.  ``"auto"`` (the default): the index from
        ``ann_threshold`` passages with an embedding on (50,000, as SQLite's usearch index; 0:
        never), the scan below it, where it is exact and faster (docs/benchmarks.md, PostgreSQL).
        A store whose vectors are not of the column's dimension (another embedder) has no
        embeddings in the column: it is scanned.
        """
        if self.dense == "scan" or not self.store.pgvector:
            return None
        got = self._pgvector
        if got is None or got[0] != version:
            got = (version, _PgvectorIndex(self.store, self.ef_search))
            self._pgvector = got
        if self.dense == "auto" and (self.ann_threshold <= 0 or len(got[1]) < max(1, self.ann_threshold)):
            return None
        return got[1]

    def lexical_terms(self, query: str, *, version: tuple | None = None) -> list[str]:
        """The words a lexical search for ``query`` ORs together: :func:`query_terms`, pruned in a large store.

        As SQLite's :meth:`fts_query`: in a store of ``lexical_prune_min`` passages or more (and with
        more than ``lexical_min_terms`` words), words whose lexeme is in more than ``lexical_max_df``
        of the passages are left out, keeping the ``lexical_min_terms`` rarest; with ``lexical_budget``
        > 0 also while the kept words' frequencies add up to at most that share.  Words in no passage
        are left out then too; [] means nothing can match.
        """
        terms = query_terms(query)
        if not terms or self.lexical_max_df <= 0 or len(terms) <= self.lexical_min_terms:
            return terms
        records = self.store.passages
        count = records.indexed_count(version)
        if count < max(1, self.lexical_prune_min):
            return terms
        keep = rare_terms(records.document_frequencies(terms, version=version), count, max_df=self.lexical_max_df,
                          min_terms=self.lexical_min_terms, budget=self.lexical_budget)
        return [t for i, t in enumerate(terms) if i in keep]

    def fts_query(self, query: str, *, version: tuple | None = None) -> str | None:
        """The text a lexical search hands to ``websearch_to_tsquery`` for ``query`` (None: no words).

        The words of :meth:`lexical_terms` OR-ed (``version``: the passages' version, read when not given).
        """
        terms = self.lexical_terms(query, version=version)
        return " or ".join(terms) if terms else None

    def lexical_search(self, query: str, k: int = 10, *, exclude_documents: set[str] | None = None,
                       before: str | None = None, after_date: bool = False,
                       _snapshot: Any = None) -> list[tuple[int, float]]:
        """Top-k ``(passage_rowid, score)``; ``before``/``after_date`` as in the SQLite retriever.

        With ``memo`` (the default) the list is fetched at least ``LEXICAL_DEPTH`` deep and kept,
        keyed as on SQLite (the words searched, excluded documents, date, side of the date), until
        the passages change: a later search of the same words with any k up to that depth runs no SQL.
        """
        if k <= 0:
            return []
        snap = _snapshot or self._snapshot()  # a new version of the passages clears the memo
        terms = self.lexical_terms(query, version=snap.version)
        if not terms:
            return []
        published_after = latest_date(before) if before else None
        key = (" or ".join(terms), tuple(sorted(exclude_documents or ())), published_after, bool(after_date))
        if (got := self._recalled_lexical(key, k)) is not None:
            return got
        depth = max(k, LEXICAL_DEPTH) if self.memo else k
        rows = self.store.passages.lexical(terms, depth, exclude_documents=exclude_documents,
                                           published_after=published_after, after=after_date, ranking=self.ranking)
        self._remember(self._lexical, key, (depth, rows))
        return rows[:k]


class _PgvectorIndex:
    """pgvector's HNSW index seen as the retriever's approximate vector index (``search``, ``dim``, ``len``).

    The count is read once per passages version (the retriever makes one per version).
    """

    def __init__(self, store: PostgresStore, ef_search: int) -> None:
        self.store = store
        self.ef_search = ef_search
        self.dim = int(store.passages.embedding_dim or 0)
        self._count = store.passages.embedding_count()

    def __len__(self) -> int:
        return self._count

    def search(self, vectors: np.ndarray, depth: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each query row, (rowids, inner products), best first, at most ``depth`` (and 1000)."""
        out = []
        for vec in np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim):
            rows = self.store.passages.nearest(vec, depth, ef_search=self.ef_search)
            out.append((np.array([r[0] for r in rows], dtype=np.int64),
                        np.array([r[1] for r in rows], dtype=np.float32)))
        return out


def pgvector_available(store: PostgresStore) -> bool:
    """Whether the server offers the ``vector`` extension (pgvector); the store uses it when it could create it."""
    return store.pgvector_available()


def postgres_retriever(store: PostgresStore, embedder: Embedder | None = None, **options: Any) -> PostgresRetriever:
    """Search a PostgreSQL store's passages (entry point ``retriever.postgres``); options as the SQLite one."""
    return PostgresRetriever(store, embedder, **options)


def postgres_indexer(store: PostgresStore, embedder: Embedder | None = None, **options: Any) -> PostgresIndexer:
    """Write passages and vectors into a PostgreSQL store (entry point ``indexer.postgres``)."""
    return PostgresIndexer(store, embedder, **options)


def _psycopg_check() -> bool:
    from factdesk.store.postgres import psycopg_available

    return psycopg_available()


# listed by the registry only where the postgres extra is installed
postgres_retriever.factdesk_available = _psycopg_check  # type: ignore[attr-defined]
postgres_indexer.factdesk_available = _psycopg_check  # type: ignore[attr-defined]
