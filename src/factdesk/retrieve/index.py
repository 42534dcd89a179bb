"""Hybrid passage retrieval over the SQLite store: FTS5 bm25 + dense cosine, fused.

Passages live in the store's ``passages`` table; the ``passages_fts`` FTS5
table follows it through triggers, and each row's ``vector`` column holds its
embedding as little-endian float32 bytes (L2-normalised).

Searching
---------
* **lexical**: FTS5 ``bm25`` over passage text (weight 1.0) and title (0.5).
  The user's text is never passed to FTS5 as syntax: it is cut into word
  tokens, stopwords are dropped, each token is double-quoted and the tokens
  are OR-ed.  Quotes, ``AND``/``NEAR(``/``*`` and other punctuation cannot
  raise; a query with no words returns nothing.  From 50,000 passages on
  (``lexical_engine="auto"``, the default) the same words go to a tantivy
  BM25 index kept beside the file instead (:mod:`factdesk.retrieve.lexical_tantivy`).
* **dense**: brute-force cosine (a matrix-vector product with numpy) against
  every stored vector.  The matrix is read from SQLite on first use and cached
  per process and per database file; each query checks cheaply (the store's
  passage version: count, max rowid, SQLite's ``data_version`` and this
  process's own write counter) whether it must be reloaded.
  ``search_by_vector`` takes a query vector made elsewhere.
* **hybrid** (default): reciprocal-rank fusion, ``score = sum 1 / (60 + rank)``
  over the lexical and dense top-N lists (N = max(50, 5k), ranks from 1).

Scores: ``Hit.score`` is the fused RRF score in hybrid mode, ``-bm25``
(higher is better) in lexical mode and the cosine in dense mode.  Every hit
records its ``lexical_rank``/``dense_rank`` (None when it was not in that
list) and ``dense_similarity`` (filled for every hit whenever the vectors
are loaded, i.e. in dense and hybrid modes).

Respecting the claim's date
---------------------------
``before`` is the date of the claim or article being checked (ISO
``YYYY-MM-DD``; ``YYYY`` or ``YYYY-MM`` mean the end of that year/month).
A passage whose document was published *after* it could not have been known
when the claim was made: it is flagged ``after_claim_date=True`` and ranked
**after every passage not published after the date** — never mixed in as if
it were available.  The two groups are retrieved and fused separately (so
later passages cannot crowd out earlier ones) and the later group only fills
the remaining slots of the top k.  Passages with an unknown publication date
are treated as available.  Ranks in such a search are ranks within the
passage's group.

Evidence from more than one document
------------------------------------
A document that says the same thing in several passages can otherwise fill
most of the top k.  ``max_per_document`` (0: off, the default here; the
pipeline passes the ``max_per_document`` setting, 2 unless changed) caps how
many passages of one document the top k may hold: the fused ranking (already
the top N of each list, so deep enough) is walked best first and a passage is
skipped once its document has the cap.  Should the cap leave slots empty (the
corpus has too few matching documents), the best skipped passages fill them,
so k passages come back whenever k would have.  ``mmr_lambda`` < 1 (1: off)
picks by maximal marginal relevance over the passage vectors instead of rank
order (hybrid and dense modes); it may be combined with the cap.  The best
passage always stays first, and the date rule above holds: the later group is
diversified on its own and still only fills the slots the earlier one leaves.

Reading and writing are separate parts
--------------------------------------
:class:`SqliteRetriever` searches; :class:`SqliteIndexer` writes; :class:`SqliteIndex`
is both over one store and embedder.  Neither holds SQL: passages are read and written
through ``store.passages`` (:mod:`factdesk.store.passages`).

A passage's vector embeds its document title followed by its text (see
:func:`embedding_text`); queries are embedded as they are.
``add_document`` replaces the passages of one already-saved document (delete
then insert, so the FTS triggers keep ``passages_fts`` in sync) and never
commits.  ``add_documents`` embeds across many documents at once and commits
each chunk of documents in its own transaction.

Example::

    with Store.open("fd.db") as store:
        indexer, retriever = SqliteIndexer(store), SqliteRetriever(store)
        with store.transaction():
            store.save_document(doc)
            indexer.add_document(doc)
        for hit in retriever.search("when did the dam open?", k=5, before="2024-03-01"):
            print(hit.score, hit.passage.text)
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from factdesk.errors import ConfigError
from factdesk.retrieve.embed import Embedder, OnnxMiniLMEmbedder
from factdesk.retrieve.fusion import (MAX_QUERY_TOKENS, RRF_K, STOPWORDS, latest_date, query_terms, rare_terms,
                                      rrf_fuse, select_diverse)
from factdesk.retrieve.fusion import befores as _befores
from factdesk.retrieve.ann import AnnIndex
from factdesk.retrieve.passages import make_passages
from factdesk.store import Store
from factdesk.store.passages import PassageRecords, fts_terms
from factdesk.types import Document, Hit, Passage

Mode = Literal["hybrid", "lexical", "dense"]
_log = logging.getLogger("factdesk")

# Large stores (issue 15; docs/benchmarks.md "Issue 15 item 1"): the retriever's defaults
LEXICAL_MAX_DF = 0.01  # a query term in more than this share of the passages is left out of the FTS5 query ...
LEXICAL_MIN_TERMS = 5  # ... keeping at least this many of the rarest terms ...
LEXICAL_PRUNE_MIN = 50_000  # ... in stores of this many passages or more
LEXICAL_BUDGET = 0.0  # and (when > 0) while the kept terms' document frequencies add up to at most this share
ANN_THRESHOLD = 50_000  # from this many passages on, dense search uses the persisted vector index
LEXICAL_ENGINE = "auto"  # the default lexical engine: tantivy in SQLite files of TANTIVY_THRESHOLD passages or more
TANTIVY_THRESHOLD = 50_000  # ... FTS5 below (where FTS5 is as fast: docs/benchmarks.md "Choosing the lexical engine")

def build_fts_query(text: str) -> str | None:
    """A safe FTS5 MATCH expression for free text: quoted tokens OR-ed; None when no words."""
    unique = query_terms(text)
    if not unique:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in unique)


def embedding_text(passage: Passage) -> str:
    """What gets embedded for a passage: its document's title, then its text.

    The title gives a passage the context its sentences often lack (who,
    which project); on the demo gold it lifted hybrid recall@1 from 0.67 to 0.83.
    """
    title = (passage.title or "").strip()
    return f"{title}. {passage.text}" if title and not passage.text.startswith(title) else passage.text


# -- the dense matrix cache, shared per process and per database ----------------------
@dataclass
class _DenseCache:
    key: tuple
    rowids: np.ndarray  # int64, sorted
    matrix: np.ndarray  # float32 (n, dim)
    doc_codes: np.ndarray  # int32 index into doc_ids
    doc_index: dict[str, int]
    published: np.ndarray  # '<U10', '' when unknown
    doc_names: list[str] | None = None  # doc_index inverted (code -> document id), built on first use
    masks: dict = field(default_factory=dict)  # (excluded documents, date) -> (available, later) masks

    def document_names(self) -> list[str]:
        if self.doc_names is None:
            self.doc_names = list(self.doc_index)  # insertion order = code order
        return self.doc_names


_CACHES: dict[str, _DenseCache] = {}  # by Store.key
_CACHE_LOCK = threading.RLock()


class _PassageIndexPart:
    """What the read and write sides share: the store, a lazily made embedder, the batch size."""

    def __init__(self, store: Store, embedder: Embedder | None = None, *, batch_size: int = 64) -> None:
        self.store = store
        self._embedder = embedder
        self.batch_size = batch_size

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = OnnxMiniLMEmbedder()
        return self._embedder


INDEX_CHUNK = 512  # documents embedded in one call and written in one transaction (see SqliteIndexer)


class SqliteIndexer(_PassageIndexPart):
    """The write side: cuts documents into passages, embeds them and stores both.

    ``embedder`` defaults to the packaged ``minilm-int8`` model, created lazily.
    ``chunk_size`` is how many documents :meth:`add_documents` embeds in one call and writes per
    transaction.  One call over a few hundred documents sorts their passages by length into full
    batches: with 64 documents a call, a leftover batch and shorter length runs left about 23 % more
    tokens for the model to run than one call over everything, and indexing ran at 0.77 of the raw
    embedding rate; with 512, at 0.93–0.95 (``benchmarks/index_stream.py --embedder real``).

    Example::

        indexer = SqliteIndexer(store, embedder)
        with store.transaction():
            store.save_document(doc)
            indexer.add_document(doc)
    """

    def __init__(self, store: Store, embedder: Embedder | None = None, *, batch_size: int = 64,
                 chunk_size: int = INDEX_CHUNK, ann_threshold: int = ANN_THRESHOLD,
                 lexical_engine: str = LEXICAL_ENGINE, tantivy_threshold: int = TANTIVY_THRESHOLD) -> None:
        super().__init__(store, embedder, batch_size=batch_size)
        self.chunk_size = chunk_size
        self.ann_threshold = int(ann_threshold)
        self.lexical_engine = _lexical_engine(lexical_engine, store)
        self.tantivy_threshold = int(tantivy_threshold)

    def finish(self) -> None:
        """After a run of writes: bring the persisted vector index (:mod:`factdesk.retrieve.ann`) up to date.

        Done for stores of ``ann_threshold`` passages or more (or that already have the index) when
        usearch is installed; only the vectors of new passages are read.  ``factdesk index`` calls it.
        It also syncs the tantivy index (:mod:`factdesk.retrieve.lexical_tantivy`) with
        ``lexical_engine="tantivy"``, and with ``"auto"`` (the default) in a store of ``tantivy_threshold``
        passages or more, or one that already has the index (so it stays in step should the store shrink).
        """
        path = getattr(self.store, "path", None)
        if path is not None and self._keeps_tantivy(Path(path)):
            from factdesk.retrieve import lexical_tantivy

            try:
                lexical_tantivy.sync(self.store, progress=True, read_back=False)
            except (RuntimeError, OSError, ValueError) as exc:
                _log.warning("the tantivy index beside %s could not be updated (%s): lexical searches use FTS5",
                             path, exc)
        if path is None or not self._keeps_ann(Path(path)):
            return
        from factdesk.retrieve import ann

        try:
            ann.sync(self.store, progress=True, read_back=False)
        except (RuntimeError, OSError, ValueError) as exc:
            _log.warning("the vector index beside %s could not be updated (%s): searches scan every vector", path, exc)

    def needs_finish(self) -> bool:
        """Whether an index :meth:`finish` keeps beside the store is missing though the store is large enough
        for it (a store grown under an older factdesk, or a run killed before ``finish``): cheap, so that a
        ``factdesk index`` run that changed nothing can still build it."""
        path = getattr(self.store, "path", None)
        if path is None:
            return False
        path = Path(path)
        from factdesk.retrieve import lexical_tantivy

        if self._keeps_tantivy(path) and lexical_tantivy.available() and not lexical_tantivy.index_dir(path).exists():
            return True
        return self._keeps_ann(path) and not _ann_exists(path)

    def _keeps_ann(self, path: Path) -> bool:
        """Whether :meth:`finish` syncs the vector index beside the store file at ``path``: usearch installed, and
        ``ann_threshold`` passages or more, or an index already there."""
        from factdesk.retrieve import ann

        if self.ann_threshold <= 0 or ann.usearch_index_class() is None:
            return False
        return _ann_exists(path) or self.store.passages.count() >= self.ann_threshold

    def _keeps_tantivy(self, path: Path) -> bool:
        """Whether :meth:`finish` syncs the tantivy index beside the store file at ``path``."""
        if self.lexical_engine != "auto":
            return self.lexical_engine == "tantivy"
        from factdesk.retrieve import lexical_tantivy

        return (lexical_tantivy.index_dir(path).exists()
                or self.store.passages.count() >= max(1, self.tantivy_threshold))

    def _write_passages(self, doc: Document, passages: list[Passage], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype="<f4")
        self.store.passages.replace(doc.id, passages, [vectors[i].tobytes() for i in range(len(passages))])

    def add_document(self, doc: Document) -> int:
        """(Re)place the passages of an already-saved document; returns how many. Does not commit."""
        passages = make_passages(doc)
        vectors = self.embedder.embed([embedding_text(p) for p in passages], batch_size=self.batch_size)
        self._write_passages(doc, passages, vectors)
        return len(passages)

    def add_documents(self, docs: Iterable[Document], progress: bool = False, *, chunk_size: int | None = None,
                      save_role: str | None = None,
                      on_document: Callable[[Document], None] | None = None) -> int:
        """Index many documents, embedding across documents; returns the number of passages.

        Each chunk of ``chunk_size`` documents is written in its own transaction,
        so an interrupted run keeps every completed chunk (when the caller already
        holds an open transaction, the chunks join it instead).  ``save_role``
        also saves each document (``store.save_document(doc, role=save_role)``)
        in the same transaction, and ``on_document(doc)`` is called there too
        (e.g. to record the file it came from).
        """
        docs = list(docs)
        chunk_size = max(1, self.chunk_size if chunk_size is None else chunk_size)
        bar = None
        if progress:
            from tqdm import tqdm  # only for an interactive run

            bar = tqdm(total=len(docs), unit="doc", desc="indexing")
        total = 0
        try:
            for c in range(0, len(docs), chunk_size):
                chunk = docs[c:c + chunk_size]
                per_doc = [make_passages(d) for d in chunk]
                texts = [embedding_text(p) for ps in per_doc for p in ps]
                vectors = self.embedder.embed(texts, batch_size=self.batch_size)
                if self.store.in_transaction:
                    self._write_chunk(chunk, per_doc, vectors, save_role, on_document)
                else:
                    with self.store.transaction():
                        self._write_chunk(chunk, per_doc, vectors, save_role, on_document)
                total += len(texts)
                if bar is not None:
                    bar.update(len(chunk))
                    bar.set_postfix(passages=total)
        finally:
            if bar is not None:
                bar.close()
        return total

    def _write_chunk(self, chunk, per_doc, vectors, save_role, on_document) -> None:
        offset = 0
        for doc, passages in zip(chunk, per_doc):
            if save_role is not None:
                self.store.save_document(doc, role=save_role)
            self._write_passages(doc, passages, vectors[offset:offset + len(passages)])
            offset += len(passages)
            if on_document is not None:
                on_document(doc)

    def remove_document(self, document_id: str) -> None:
        """Drop one document's passages and vectors from the index (the document stays). Does not commit."""
        self.store.passages.remove_document(document_id)


class _ExactDense:
    """Dense candidates of one query from the exact scan (a score for every stored vector)."""

    def __init__(self, retriever: "SqliteRetriever", cache: _DenseCache, scores: np.ndarray,
                 exclude_documents: set[str] | None, before: str | None) -> None:
        self.cache, self.scores = cache, scores
        self.avail, self.later = retriever._masks(cache, exclude_documents, before)

    def top(self, flagged: bool, want: int) -> list[tuple[int, float]]:
        idx = SqliteRetriever._top(self.scores, self.later if flagged else self.avail, want)
        return [(int(self.cache.rowids[i]), float(self.scores[i])) for i in idx]

    def similarity(self, rowid: int) -> float | None:
        rowids = self.cache.rowids
        j = int(np.searchsorted(rowids, rowid))
        return float(self.scores[j]) if j < len(rowids) and rowids[j] == rowid else None

    def documents(self) -> dict[int, str]:
        return {}


class _AnnDense:
    """Dense candidates of one query from the persisted vector index, rescored exactly.

    The index is searched ``depth`` deep (at least four times what is wanted); the candidates'
    stored vectors, documents and dates are read from SQLite, so the date and document filters
    and every similarity are exact.  When the filters leave too few, it searches deeper (up to
    ``_ANN_MAX_DEPTH``).
    """

    def __init__(self, retriever: "SqliteRetriever", ann: AnnIndex, qvec: np.ndarray,
                 exclude_documents: set[str] | None, before: str | None) -> None:
        self.retriever, self.ann, self.qvec = retriever, ann, np.asarray(qvec, dtype=np.float32)
        self.exclude = exclude_documents or set()
        self.cutoff = latest_date(before) if before else None
        self.depth = 0
        self.rows: dict[int, tuple[float, str, str]] = {}  # rowid -> (cosine, document id, published)

    def _fetch(self, rowids: Iterable[int]) -> None:
        self._take(self.retriever.store.passages.vectors_by_rowids(rowids))

    def _take(self, rows: Iterable[tuple[int, str, str | None, str, bytes | None]]) -> None:
        for rid, _pid, published, doc_id, blob in rows:
            if blob is None or len(blob) != 4 * len(self.qvec):
                continue
            sim = float(np.frombuffer(blob, dtype="<f4") @ self.qvec)
            self.rows[int(rid)] = (sim, doc_id, (published or "")[:10])

    def _deepen(self, depth: int) -> None:
        keys, _ = self.ann.search(self.qvec, depth)[0]
        self._fetch([int(k) for k in keys if int(k) not in self.rows])
        self.depth = depth

    @staticmethod
    def prime(dense: list["_AnnDense"], depth: int) -> None:
        """Search the index for every query at once and read every candidate's row once.

        A check searches 60-100 queries; one batched search over each shard and one SQLite read of
        the union of candidates replace a search and a read per query.  Each query then holds what
        ``top`` would have fetched at ``depth``; deeper searches still go one by one.
        """
        if not dense:
            return
        ann = dense[0].ann
        depth = int(min(depth, len(ann)))
        found = ann.search(np.stack([d.qvec for d in dense]), depth)
        wanted = sorted({int(k) for keys, _ in found for k in keys})
        by_rowid = {int(r[0]): r for r in dense[0].retriever.store.passages.vectors_by_rowids(wanted)}
        for d, (keys, _) in zip(dense, found):
            d._take(by_rowid[int(k)] for k in keys if int(k) in by_rowid)
            d.depth = depth

    def top(self, flagged: bool, want: int) -> list[tuple[int, float]]:
        if want <= 0:
            return []
        depth = max(self.depth, 4 * want, _ANN_MIN_DEPTH)
        while True:
            if depth > self.depth:
                self._deepen(min(depth, len(self.ann)))
            picked = [(rid, sim) for rid, (sim, doc, pub) in self.rows.items()
                      if doc not in self.exclude and self._later(pub) == flagged]
            if len(picked) >= want or self.depth >= min(len(self.ann), _ANN_MAX_DEPTH):
                break
            depth = self.depth * 4
        picked.sort(key=lambda r: (-r[1], r[0]))
        return picked[:want]

    def _later(self, published: str) -> bool:
        return bool(self.cutoff) and published != "" and published > self.cutoff  # type: ignore[operator]

    def similarity(self, rowid: int) -> float | None:
        if rowid not in self.rows:
            self._fetch([rowid])
        row = self.rows.get(rowid)
        return row[0] if row else None

    def documents(self) -> dict[int, str]:
        return {rid: row[1] for rid, row in self.rows.items()}


def _ann_exists(path: Path) -> bool:
    """Whether a vector index (the folder, or the old single file) lies beside the store file at ``path``."""
    from factdesk.retrieve import ann

    return ann.index_dir(path).exists() or ann.legacy_paths(path)[0].exists()


_ANN_MIN_DEPTH = 200
_ANN_MAX_DEPTH = 5000
_TANTIVY_MAX_DEPTH = 12_800  # filtered tantivy searches rank at most this deep before FTS5's joined query
LEXICAL_ENGINES = ("auto", "fts5", "tantivy")


def _lexical_engine(name: str, store: Store) -> str:
    """A checked ``lexical_engine`` option: tantivy needs tantivy and a SQLite file store.

    ``auto`` stays ``auto`` for a SQLite file store (tantivy from ``tantivy_threshold`` passages on) and
    is ``fts5`` where tantivy cannot serve: a store in memory or on a server, or tantivy not installed.
    """
    name = str(name).lower()
    if name not in LEXICAL_ENGINES:
        raise ConfigError(f"unknown lexical engine {name!r}", hint="use auto, fts5 or tantivy")
    if name == "auto":
        from factdesk.retrieve import lexical_tantivy

        if (getattr(store, "backend", "sqlite") != "sqlite" or getattr(store, "path", None) is None
                or not lexical_tantivy.available()):
            return "fts5"
    if name == "tantivy":
        from factdesk.retrieve import lexical_tantivy

        if not lexical_tantivy.available():
            raise ConfigError("lexical_engine 'tantivy' needs tantivy",
                              hint="pip install tantivy (a factdesk dependency: is this environment complete?)")
        if getattr(store, "backend", "sqlite") != "sqlite":
            raise ConfigError("lexical_engine 'tantivy' is for SQLite stores",
                              hint="leave it at fts5 (PostgreSQL ranks with its own full-text index)")
    return name


LEXICAL_DEPTH = 128  # lexical lists are fetched at least this deep, so searches with other k share them
LEXICAL_THREADS = 4  # a block of queries runs its lexical searches on this many read connections at once
LEXICAL_PARALLEL_MIN = 20_000  # ... in stores of at least this many passages (below, a search takes ~1 ms)
_MEMO_QUERIES = 4096  # query vectors and search results kept per retriever


@dataclass
class _Snapshot:
    """What one search call knows about the store: its passage version, and the vector index to use."""

    version: tuple
    ann: AnnIndex | None = None


class SqliteRetriever(_PassageIndexPart):
    """The read side: lexical, dense and hybrid search over the store's passages.

    ``embedder`` defaults to the packaged ``minilm-int8`` model, created lazily
    (lexical search never loads it).  ``mode``, ``max_per_document`` and
    ``mmr_lambda`` are the defaults for searches that do not pass their own.

    Large stores (issue 15):

    * ``lexical_max_df`` (fraction of passages, 0: off) with ``lexical_min_terms`` and
      ``lexical_prune_min``: in a store of at least ``lexical_prune_min`` passages, a query term
      found in more than ``lexical_max_df`` of them is left out of the FTS5 query (it adds little
      to BM25 but makes FTS5 score every passage holding it), keeping at least the
      ``lexical_min_terms`` rarest terms.
    * ``ann_threshold`` (passages, 0: never): from this many passages on, dense search uses the
      persisted vector index (:mod:`factdesk.retrieve.ann`, needs usearch) instead of scanning
      every vector; below it, or without usearch, the exact scan.
    * ``lexical_engine``: ``"auto"`` (the default), ``"fts5"`` or ``"tantivy"``: with tantivy the
      lexical lists come from the tantivy index beside the store
      (:mod:`factdesk.retrieve.lexical_tantivy`), which ``factdesk index`` keeps up to date; while it
      is missing or behind the store, FTS5 answers (one warning).  ``auto``: tantivy in a SQLite
      file of ``tantivy_threshold`` (50,000) passages or more, FTS5 below it (as fast there, and
      nothing to keep beside the store), in memory and on PostgreSQL.
    * ``memo``: query vectors and results are kept while the store's passages do not change, so
      the claims, quote provenance and omitted context of one check share the searches they have
      in common; :meth:`prepare_queries` embeds a check's queries in one call beforehand.

    Example::

        retriever = SqliteRetriever(store, embedder, max_per_document=2)
        for hit in retriever.search("when did the dam open?", k=5, before="2024-03-01"):
            print(hit.score, hit.passage.text)
    """

    def __init__(self, store: Store, embedder: Embedder | None = None, *, batch_size: int = 64,
                 mode: Mode = "hybrid", max_per_document: int = 0, mmr_lambda: float = 1.0,
                 lexical_max_df: float = LEXICAL_MAX_DF, lexical_min_terms: int = LEXICAL_MIN_TERMS,
                 lexical_prune_min: int = LEXICAL_PRUNE_MIN, lexical_budget: float = LEXICAL_BUDGET,
                 ann_threshold: int = ANN_THRESHOLD, memo: bool = True, lexical_rank_first: bool = True,
                 lexical_threads: int = LEXICAL_THREADS, lexical_parallel_min: int = LEXICAL_PARALLEL_MIN,
                 lexical_engine: str = LEXICAL_ENGINE, tantivy_threshold: int = TANTIVY_THRESHOLD) -> None:
        super().__init__(store, embedder, batch_size=batch_size)
        self.lexical_engine = _lexical_engine(lexical_engine, store)
        self.tantivy_threshold = int(tantivy_threshold)
        self._tantivy_warned = False
        self._tantivy_unusable: tuple | None = None  # (store version, manifest stamp) when found missing or stale
        self.mode: Mode = mode
        self.max_per_document = max_per_document
        self.mmr_lambda = mmr_lambda
        self.lexical_max_df = float(lexical_max_df)
        self.lexical_min_terms = int(lexical_min_terms)
        self.lexical_prune_min = int(lexical_prune_min)
        self.lexical_budget = float(lexical_budget)
        self.lexical_rank_first = bool(lexical_rank_first)
        self.ann_threshold = int(ann_threshold)
        self.memo = bool(memo)
        self.lexical_threads = int(lexical_threads)
        self.lexical_parallel_min = int(lexical_parallel_min)
        self._memo_lock = threading.RLock()
        self._memo_version: tuple | None = None
        self._qvecs: OrderedDict[str, np.ndarray] = OrderedDict()
        self._results: OrderedDict[tuple, list[Hit]] = OrderedDict()
        self._lexical: OrderedDict[tuple, tuple[int, list[tuple[int, float]]]] = OrderedDict()
        self._ann_failed: tuple | None = None  # the version at which building the vector index failed

    # -- reading -----------------------------------------------------------------
    def get_passage(self, passage_id: str) -> Passage:
        return self.store.passages.get(passage_id)

    # -- shared state of one call ---------------------------------------------------
    def _snapshot(self) -> _Snapshot:
        version = self.store.passages.version()
        with self._memo_lock:
            if version != self._memo_version:
                self._memo_version = version
                self._results.clear()
                self._lexical.clear()
        return _Snapshot(version)

    def _remember(self, table: OrderedDict, key: Any, value: Any) -> None:
        if not self.memo:
            return
        with self._memo_lock:
            table[key] = value
            table.move_to_end(key)
            while len(table) > _MEMO_QUERIES:
                table.popitem(last=False)

    def _recalled_lexical(self, key: tuple, k: int) -> list[tuple[int, float]] | None:
        """The top k of a remembered lexical list (``(depth, rows)`` in ``self._lexical``), or None when none
        is remembered or it is too shallow for k (a list shorter than its depth holds every match)."""
        if not self.memo:
            return None
        with self._memo_lock:
            got = self._lexical.get(key)
        if got is not None and (got[0] >= k or len(got[1]) < got[0]):
            return got[1][:k]
        return None

    # -- lexical -------------------------------------------------------------------
    def fts_query(self, query: str, *, version: tuple | None = None,
                  _records: PassageRecords | None = None) -> str | None:
        """The FTS5 MATCH expression a lexical search runs for ``query`` (None: no words).

        In a store of ``lexical_prune_min`` passages or more, terms found in more than
        ``lexical_max_df`` of the passages are dropped, keeping the ``lexical_min_terms`` rarest.
        """
        terms = query_terms(query)
        if not terms:
            return None
        if self.lexical_max_df > 0 and len(terms) > self.lexical_min_terms:
            version = version or self.store.passages.version()
            count = int(version[0])
            if count >= max(1, self.lexical_prune_min):
                dfs = _document_frequencies(self.store, version, fts_terms(terms), _records)
                keep = rare_terms(dfs, count, max_df=self.lexical_max_df, min_terms=self.lexical_min_terms,
                                  budget=self.lexical_budget)
                if not keep:
                    return None  # no term occurs at all: nothing can match
                terms = [t for i, t in enumerate(terms) if i in keep]
        return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)

    def lexical_search(self, query: str, k: int = 10, *, exclude_documents: set[str] | None = None,
                       before: str | None = None, after_date: bool = False,
                       _snapshot: _Snapshot | None = None,
                       _records: PassageRecords | None = None) -> list[tuple[int, float]]:
        """Top-k ``(passage_rowid, score)`` by bm25 (score = -bm25, higher is better).

        With ``before``, only passages not published after it are searched, or
        only those published after it when ``after_date`` is true.
        """
        if k <= 0:
            return []
        snap = _snapshot or self._snapshot()
        if self._wants_tantivy(snap.version):
            tindex = self._tantivy_for(snap.version)
            if tindex is not None:
                return self._lexical_tantivy(tindex, query, k, exclude_documents, before, after_date)
        match = self.fts_query(query, version=snap.version, _records=_records)
        if match is None:
            return []
        published_after = latest_date(before) if before else None
        key = (match, tuple(sorted(exclude_documents or ())), published_after, bool(after_date))
        if (got := self._recalled_lexical(key, k)) is not None:
            return got
        depth = max(k, LEXICAL_DEPTH) if self.memo else k
        rows = (_records or self.store.passages).lexical(match, depth, exclude_documents=exclude_documents,
                                           published_after=published_after, after=after_date,
                                           rank_first=self.lexical_rank_first)
        self._remember(self._lexical, key, (depth, rows))
        return rows[:k]

    def _wants_tantivy(self, version: tuple) -> bool:
        """Whether lexical lists should come from tantivy for a store at this passage version."""
        return self.lexical_engine == "tantivy" or (
            self.lexical_engine == "auto" and int(version[0]) >= max(1, self.tantivy_threshold))

    def _tantivy_for(self, version: tuple) -> Any:
        """The tantivy index when it is in step with the store, else None (FTS5 answers; said once)."""
        from factdesk.retrieve import lexical_tantivy

        path = getattr(self.store, "path", None)
        if path is None:  # in memory: no index beside it
            return None
        stamp = (version, lexical_tantivy.manifest_stamp(Path(path)))
        if self._tantivy_unusable == stamp:  # found missing or stale, and neither store nor index changed since
            return None
        db = self.store.key
        with _CACHE_LOCK:
            tindex = _TANTIVY.get(db)
            if tindex is None or not tindex.in_step(self.store, version):
                tindex = lexical_tantivy.open_index(Path(self.store.path))  # type: ignore[attr-defined]
                if tindex is None or not tindex.in_step(self.store, version):
                    if not self._tantivy_warned:
                        self._tantivy_warned = True
                        _log.warning("the tantivy index beside %s is %s: lexical searches use FTS5 until "
                                     "`factdesk index` writes passages and updates it, or `python -m "
                                     "factdesk.retrieve.lexical_tantivy %s` does", self.store.path,  # type: ignore[attr-defined]
                                     "missing, unreadable or of an older format" if tindex is None
                                     else "behind the store", self.store.path)  # type: ignore[attr-defined]
                    self._tantivy_unusable = stamp
                    return None
                _TANTIVY[db] = tindex
            return tindex

    def _lexical_tantivy(self, tindex: Any, query: str, k: int, exclude_documents: set[str] | None,
                         before: str | None, after_date: bool) -> list[tuple[int, float]]:
        """Top-k ``(rowid, BM25 score)`` from the tantivy index, filtered as FTS5's rank-first path.

        The best rows are ranked without filters and those that pass are kept; too few pass: ranked
        deeper (4x at a time, up to ``_TANTIVY_MAX_DEPTH``), then FTS5's joined query answers.
        """
        terms = query_terms(query)
        if not terms:
            return []
        published_after = latest_date(before) if before else None
        key = ("tantivy", tuple(terms), tuple(sorted(exclude_documents or ())), published_after, bool(after_date))
        if (got := self._recalled_lexical(key, k)) is not None:
            return got
        want = max(k, LEXICAL_DEPTH) if self.memo else k
        filtered = bool(exclude_documents or published_after)
        depth = max(2 * want, 200) if filtered else want
        while True:
            ranked = tindex.search(terms, depth)
            rows = ranked
            if filtered:  # the filter columns are read a slice at a time, until enough rows pass
                rows = []
                for c in range(0, len(ranked), want):
                    rows += self.store.passages.passing(ranked[c:c + want], exclude_documents=exclude_documents,
                                                        published_after=published_after, after=after_date)
                    if len(rows) >= want:
                        break
            if len(rows) >= want or len(ranked) < depth:
                break
            if depth >= _TANTIVY_MAX_DEPTH:
                match = self.fts_query(query)
                rows = [] if match is None else self.store.passages.lexical(
                    match, want, exclude_documents=exclude_documents, published_after=published_after,
                    after=after_date, rank_first=False)
                break
            depth = min(4 * depth, _TANTIVY_MAX_DEPTH)
        rows = rows[:want]
        self._remember(self._lexical, key, (want, rows))
        return rows[:k]

    def _prefetch_lexical(self, queries: list[str], befores: list[str | None], depth: int,
                          exclude_documents: set[str] | None, snap: _Snapshot) -> Future | None:
        """Start a block's lexical searches on ``lexical_threads`` read connections; their lists go to the memo.

        At a million passages a check's 69 lexical searches cost seconds, most of it waiting on reads
        from disk when the store is not in the page cache: on separate connections they wait together
        (``sqlite3`` releases the GIL inside SQLite).  The per-query loop then finds each list in the
        memo and searches again only for one a reader could not run.  None: nothing worth starting
        (memo off, one query, a small or in-memory store).
        """
        # only the first group of a dated search: the group published after the date is searched only when the
        # first leaves slots empty, and its joined query can read every matching row (see _search_one)
        jobs = [(q, b, False) for q, b in zip(queries, befores)]
        if self._wants_tantivy(snap.version) and self._tantivy_for(snap.version) is not None:
            return None  # a tantivy search takes milliseconds: nothing to overlap
        if (not self.memo or self.lexical_threads < 2 or len(jobs) < 2
                or getattr(self.store, "path", None) is None or int(snap.version[0]) < self.lexical_parallel_min
                or getattr(self.store, "in_transaction", False)):  # other connections would not see its writes
            return None
        readers: list[PassageRecords] = []
        local = threading.local()

        def run(job: tuple[str, str | None, bool]) -> None:
            records = getattr(local, "records", None)
            if records is None:
                records = local.records = self.store.passage_reader()
                readers.append(records)
            self.lexical_search(job[0], depth, exclude_documents=exclude_documents, before=job[1],
                                after_date=job[2], _snapshot=snap, _records=records)

        def run_all() -> None:
            pool = ThreadPoolExecutor(min(self.lexical_threads, len(jobs)), thread_name_prefix="factdesk-lexical")
            try:
                for future in [pool.submit(run, job) for job in jobs]:
                    try:
                        future.result()
                    except Exception as exc:  # noqa: BLE001 - the loop searches again on the store's connection
                        _log.debug("parallel lexical search failed (searched again): %s", exc)
            finally:
                pool.shutdown(wait=True)
                for records in readers:
                    records.close()

        starter = ThreadPoolExecutor(1, thread_name_prefix="factdesk-lexical-block")
        future = starter.submit(run_all)
        starter.shutdown(wait=False)
        return future

    # -- dense -----------------------------------------------------------------------
    def _dense(self, version: tuple | None = None) -> _DenseCache:
        db = self.store.key
        with _CACHE_LOCK:
            key = version or self.store.passages.version()
            cache = _CACHES.get(db)
            if cache is not None and cache.key == key:
                return cache
            cache = self._load_dense(key)
            _CACHES[db] = cache
            return cache

    def _load_dense(self, key: tuple) -> _DenseCache:
        rows = self.store.passages.vector_rows()
        dim = len(rows[0][3]) // 4 if rows else 0
        doc_index: dict[str, int] = {}
        rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        codes = np.fromiter((doc_index.setdefault(r[1], len(doc_index)) for r in rows), dtype=np.int32,
                            count=len(rows))
        published = np.array([(r[2] or "")[:10] for r in rows], dtype="<U10")
        blob = b"".join(r[3] for r in rows)
        if len(blob) != len(rows) * dim * 4:
            raise ConfigError("stored passage vectors have mixed dimensions",
                              hint="re-index the corpus with one embedder")
        matrix = np.frombuffer(blob, dtype="<f4").reshape(len(rows), dim).astype(np.float32, copy=False)
        return _DenseCache(key, rowids, matrix, codes, doc_index, published)

    def vector_index(self, *, sync: bool = True) -> AnnIndex | None:
        """The persisted vector index this retriever searches (None: it scans exactly).

        Used from ``ann_threshold`` passages on when usearch is installed and the store is a file.
        A missing or out-of-date index is built or updated now (``sync``), with a message on the
        ``factdesk`` logger; should that fail, the exact scan is used.
        """
        return self._ann_for(self.store.passages.version(), sync=sync)

    def _ann_for(self, version: tuple, *, sync: bool = True) -> AnnIndex | None:
        count = int(version[0])
        if self.ann_threshold <= 0 or count < self.ann_threshold or getattr(self.store, "path", None) is None:
            return None
        db = self.store.key
        with _CACHE_LOCK:
            ann = _ANNS.get(db)
            if ann is not None and ann.in_step(self.store, version):
                return ann
            from factdesk.retrieve import ann as ann_module

            if ann_module.usearch_index_class() is None:
                return None
            ann = ann_module.open_index(Path(self.store.path))  # type: ignore[attr-defined]
            if ann is None or not ann.in_step(self.store, version):
                if not sync or self._ann_failed == version:
                    return None
                _log.warning("the vector index beside %s is %s: updating it now (factdesk index keeps it "
                             "up to date)", self.store.path, "missing or unreadable" if ann is None else "behind the store")
                try:
                    ann = ann_module.sync(self.store)
                except (RuntimeError, OSError, ValueError) as exc:
                    _log.warning("vector index not usable (%s): searching every vector exactly", exc)
                    self._ann_failed = version
                    return None
            _ANNS[db] = ann
            return ann

    def _query_vectors(self, queries: list[str], dim: int) -> np.ndarray:
        """The queries' unit vectors, embedding only those not seen before, all in one call."""
        with self._memo_lock:
            missing = list(dict.fromkeys(q for q in queries if q not in self._qvecs)) if self.memo else queries
        fresh = self.embedder.embed(missing, batch_size=self.batch_size) if missing else None
        if fresh is not None and fresh.shape[1] != dim:
            self._dimension_error(dim, fresh.shape[1])
        if not self.memo:
            return fresh if fresh is not None else np.zeros((0, dim), np.float32)
        with self._memo_lock:
            for q, v in zip(missing, fresh if fresh is not None else []):
                self._remember(self._qvecs, q, v)
            vecs = [self._qvecs.get(q) for q in queries]
        if any(v is None for v in vecs):  # pushed out meanwhile by a concurrent caller
            return self.embedder.embed(queries, batch_size=self.batch_size)
        return np.stack(vecs).astype(np.float32) if vecs else np.zeros((0, dim), np.float32)

    def prepare_queries(self, queries: Sequence[str]) -> None:
        """Embed, in one call, the queries a check is about to search (kept for the searches that follow)."""
        queries = [q for q in dict.fromkeys(queries) if q and q.strip()]
        if not queries or not self.memo or self.mode == "lexical":
            return
        with self._memo_lock:
            missing = [q for q in queries if q not in self._qvecs]
        if missing:
            vecs = self.embedder.embed(missing, batch_size=self.batch_size)
            for q, v in zip(missing, vecs):
                self._remember(self._qvecs, q, v)

    def _embed_queries(self, cache: _DenseCache, queries: list[str]) -> np.ndarray:
        return self._check_dimensions(cache, self._query_vectors(queries, cache.matrix.shape[1]))

    def _dimension_error(self, stored: int, made: int) -> None:
        raise ConfigError(
            f"stored passage vectors have {stored} dimensions but the embedder "
            f"{getattr(self.embedder, 'name', '?')} makes {made}",
            hint="re-index the corpus with the current embedder, or pick the embedder it was built with",
        )

    def _check_dimensions(self, cache: _DenseCache, qvecs: np.ndarray) -> np.ndarray:
        if qvecs.shape[1] != cache.matrix.shape[1]:
            self._dimension_error(cache.matrix.shape[1], qvecs.shape[1])
        return qvecs

    def _dense_scores(self, cache: _DenseCache, qvecs: np.ndarray) -> np.ndarray:
        return qvecs @ cache.matrix.T if len(cache.rowids) else np.zeros((len(qvecs), 0), np.float32)

    @staticmethod
    def _top(scores: np.ndarray, mask: np.ndarray | None, k: int) -> np.ndarray:
        """Indices of the top-k scores where mask is true, best first."""
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
            avail = int(mask.sum())
        else:
            avail = len(scores)
        k = min(k, avail)
        if k <= 0:
            return np.zeros(0, dtype=np.int64)
        if k < len(scores):
            idx = np.argpartition(-scores, k - 1)[:k]
        else:
            idx = np.arange(len(scores))
        return idx[np.argsort(-scores[idx], kind="stable")]

    def _masks(self, cache: _DenseCache, exclude_documents: set[str] | None, before: str | None):
        key = (tuple(sorted(exclude_documents or ())), latest_date(before) if before else None)
        got = cache.masks.get(key)
        if got is not None:
            return got
        base = None
        if exclude_documents:
            codes = [cache.doc_index[d] for d in exclude_documents if d in cache.doc_index]
            if codes:
                base = ~np.isin(cache.doc_codes, np.array(codes, dtype=np.int32))
        if not before:
            out = (base, None)
        else:
            after = (cache.published != "") & (cache.published > latest_date(before))
            avail = ~after if base is None else base & ~after
            later = after if base is None else base & after
            out = (avail, later)
        if len(cache.masks) >= 16:
            cache.masks.clear()
        cache.masks[key] = out
        return out

    def dense_search(self, query: str, k: int = 10, *, exclude_documents: set[str] | None = None
                     ) -> list[tuple[int, float]]:
        """Top-k ``(passage_rowid, cosine)`` over all stored vectors (query embedding included)."""
        if k <= 0:
            return []
        snap = self._snapshot()
        snap.ann = self._ann_for(snap.version)
        if snap.ann is not None:
            qvec = self._query_vectors([query], snap.ann.dim)[0]
            return _AnnDense(self, snap.ann, qvec, exclude_documents, None).top(False, k)
        cache = self._dense(snap.version)
        if not len(cache.rowids):
            return []
        q = self._embed_queries(cache, [query])
        scores = self._dense_scores(cache, q)[0]
        mask, _ = self._masks(cache, exclude_documents, None)
        idx = self._top(scores, mask, k)
        return [(int(cache.rowids[i]), float(scores[i])) for i in idx]

    # -- search ----------------------------------------------------------------------
    def search(self, query: str, k: int = 10, *, mode: Mode | None = None, before: str | None = None,
               exclude_documents: set[str] | None = None, max_per_document: int | None = None,
               mmr_lambda: float | None = None) -> list[Hit]:
        """The k best passages for ``query``; see the module docstring for modes, dates and diversity.

        ``mode``, ``max_per_document`` and ``mmr_lambda`` left at None take this retriever's defaults.
        """
        return self.search_many([query], k, mode=mode, before=before, exclude_documents=exclude_documents,
                                max_per_document=max_per_document, mmr_lambda=mmr_lambda)[0]

    def search_many(self, queries: Sequence[str], k: int = 10, *, mode: Mode | None = None,
                    before: str | None | Sequence[str | None] = None,
                    exclude_documents: set[str] | None = None, max_per_document: int | None = None,
                    mmr_lambda: float | None = None) -> list[list[Hit]]:
        """:meth:`search` for many queries with one embedding call; ``before`` may be one per query."""
        mode, diversity = self._options(mode, max_per_document, mmr_lambda)
        queries = list(queries)
        befores = _befores(before, len(queries))
        if not queries:
            return []
        snap = self._snapshot()
        excl = tuple(sorted(exclude_documents or ()))
        keys = [(q, int(k), mode, b, excl, diversity) for q, b in zip(queries, befores)]
        results: list[list[Hit] | None] = [None] * len(queries)
        if self.memo:
            with self._memo_lock:
                for i, key in enumerate(keys):
                    got = self._results.get(key)
                    if got is not None:
                        results[i] = [replace(h) for h in got]
        todo = [i for i, r in enumerate(results) if r is None]
        if todo:
            block_queries = [queries[i] for i in todo]
            block_befores = [befores[i] for i in todo]
            pending = None
            if mode != "dense":  # lexical searches on other connections while the dense side runs here
                pending = self._prefetch_lexical(block_queries, block_befores, max(50, 5 * k), exclude_documents,
                                                 snap)
            cache = qvecs = None
            if mode != "lexical":
                snap.ann = self._ann_for(snap.version)
                if snap.ann is not None:
                    qvecs = self._query_vectors(block_queries, snap.ann.dim) if len(snap.ann) else None
                else:
                    cache = self._dense(snap.version)
                    if len(cache.rowids):
                        qvecs = self._embed_queries(cache, block_queries)
            found = self._search_block(block_queries, qvecs, cache, k, mode, block_befores, exclude_documents,
                                       diversity, snap, pending)
            for i, hits in zip(todo, found):
                results[i] = hits
                self._remember(self._results, keys[i], [replace(h) for h in hits])
        return results  # type: ignore[return-value]

    def search_by_vector(self, vector: Sequence[float] | np.ndarray, k: int = 10, *, before: str | None = None,
                         exclude_documents: set[str] | None = None, max_per_document: int | None = None,
                         mmr_lambda: float | None = None) -> list[Hit]:
        """Dense search with a query vector already made (unit length, in the embedder's space)."""
        _, diversity = self._options("dense", max_per_document, mmr_lambda)
        befores = _befores(before, 1)
        snap = self._snapshot()
        snap.ann = self._ann_for(snap.version)
        vec = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        if snap.ann is not None:
            if vec.shape[1] != snap.ann.dim:
                self._dimension_error(snap.ann.dim, vec.shape[1])
            return self._search_block([""], vec if len(snap.ann) else None, None, k, "dense", befores,
                                      exclude_documents, diversity, snap)[0]
        cache = self._dense(snap.version)
        qvecs = self._check_dimensions(cache, vec) if len(cache.rowids) else None
        return self._search_block([""], qvecs, cache, k, "dense", befores, exclude_documents, diversity, snap)[0]

    def _options(self, mode: Mode | None, max_per_document: int | None, mmr_lambda: float | None
                 ) -> tuple[Mode, tuple[int, float]]:
        mode = self.mode if mode is None else mode
        cap = self.max_per_document if max_per_document is None else max_per_document
        lam = self.mmr_lambda if mmr_lambda is None else mmr_lambda
        if mode not in ("hybrid", "lexical", "dense"):
            raise ValueError(f"unknown search mode {mode!r}: use hybrid, lexical or dense")
        if int(cap) < 0:
            raise ValueError("max_per_document must be 0 (no cap) or more")
        if not 0.0 <= float(lam) <= 1.0:
            raise ValueError("mmr_lambda must lie between 0 and 1 (1: no MMR)")
        return mode, (int(cap), float(lam))

    def _search_block(self, queries: list[str], qvecs: np.ndarray | None, cache: _DenseCache | None, k: int,
                      mode: Mode, befores: list[str | None], exclude_documents: set[str] | None,
                      diversity: tuple[int, float], snap: _Snapshot | None = None,
                      pending: Future | None = None) -> list[list[Hit]]:
        n = max(50, 5 * k)
        snap = snap or self._snapshot()
        results = []
        primed: list[_AnnDense | None] = [None] * len(queries)
        if qvecs is not None and cache is None and snap.ann is not None and mode != "lexical" and len(queries) > 1:
            primed = [_AnnDense(self, snap.ann, qvecs[qi], exclude_documents, befores[qi]) for qi in range(len(queries))]
            _AnnDense.prime(primed, max(4 * n, _ANN_MIN_DEPTH))  # type: ignore[arg-type]
        if pending is not None:
            pending.result()  # the lexical lists are in the memo now (or, should a reader have failed, not)
        for c in range(0, len(queries), 32):  # one matrix product per 32 queries
            block = None
            if qvecs is not None and cache is not None:
                block = qvecs[c:c + 32] @ cache.matrix.T
            for qi in range(c, min(c + 32, len(queries))):
                dense: _ExactDense | _AnnDense | None = primed[qi]
                if block is not None:
                    dense = _ExactDense(self, cache, block[qi - c], exclude_documents, befores[qi])  # type: ignore[arg-type]
                elif dense is None and qvecs is not None and snap.ann is not None:
                    dense = _AnnDense(self, snap.ann, qvecs[qi], exclude_documents, befores[qi])
                results.append(self._search_one(queries[qi], k, n, mode, befores[qi], exclude_documents, cache,
                                                dense, diversity, snap))
        return results

    def _documents_of(self, rowids: Sequence[int], cache: _DenseCache | None,
                      known: dict[int, str] | None = None) -> dict[int, str]:
        """rowid -> document id, from the vector cache where it holds the rowid, else from the store."""
        out: dict[int, str] = {}
        missing = [int(r) for r in rowids]
        if known:
            out = {r: known[r] for r in missing if r in known}
            missing = [r for r in missing if r not in out]
        if cache is not None and len(cache.rowids) and missing:
            names = cache.document_names()
            ids = np.asarray(missing, dtype=np.int64)
            j = np.minimum(np.searchsorted(cache.rowids, ids), len(cache.rowids) - 1)
            present = cache.rowids[j] == ids
            out.update({int(r): names[int(c)] for r, c in zip(ids[present], cache.doc_codes[j[present]])})
            missing = [int(r) for r in ids[~present]]
        if missing:
            out.update(self.store.passages.document_ids(missing))
        return out

    @staticmethod
    def _vectors_of(rowids: Sequence[int], cache: _DenseCache | None) -> np.ndarray | None:
        """The stored unit vectors of these passages (rows in the same order), or None if any is missing."""
        if cache is None or not len(cache.rowids):
            return None
        ids = np.asarray(list(rowids), dtype=np.int64)
        j = np.searchsorted(cache.rowids, ids)
        j = np.minimum(j, len(cache.rowids) - 1)
        if not np.array_equal(cache.rowids[j], ids):
            return None
        return cache.matrix[j]

    def _search_one(self, query, k, n, mode, before, exclude_documents, cache, dense,
                    diversity: tuple[int, float] = (0, 1.0), snap: _Snapshot | None = None) -> list[Hit]:
        cap, mmr_lambda = diversity
        diversify = cap > 0 or mmr_lambda < 1.0
        groups = [(False, None)] if not before else [(False, False), (True, True)]
        ranked: list[tuple[int, float, int | None, int | None, bool]] = []
        per_document: dict[str, int] = {}  # passages chosen so far per document (diversified search)
        for flagged, after_date in groups:
            # the later group only fills leftover slots; a diversified search needs it as deep as the first
            want = n if not flagged or diversify else k
            lex: list[tuple[int, float]] = []
            if mode != "dense":
                lex = self.lexical_search(query, want, exclude_documents=exclude_documents, before=before,
                                          after_date=bool(after_date), _snapshot=snap)
            dense_list: list[tuple[int, float]] = []
            if dense is not None and mode != "lexical":
                dense_list = dense.top(flagged, want)
            fused = [(rid, s, lr, dr, flagged) for rid, s, lr, dr in rrf_fuse(lex, dense_list, mode)]
            if diversify and fused:
                slots = k - len(ranked)
                docs = self._documents_of([r[0] for r in fused], cache, dense.documents() if dense else None)
                vectors = (self._vectors_of([r[0] for r in fused], cache)
                           if mmr_lambda < 1.0 and isinstance(dense, _ExactDense) else None)
                order = select_diverse([r[1] for r in fused], [docs.get(r[0], "") for r in fused], slots,
                                       max_per_document=cap, mmr_lambda=mmr_lambda, vectors=vectors,
                                       counts=per_document)
                fused = [fused[i] for i in order]
            ranked.extend(fused)
            if not flagged and len(ranked) >= k:
                break
        ranked = ranked[:k]
        passages = self.store.passages.by_rowids([r[0] for r in ranked])
        hits = []
        for rid, score, lr, dr, flagged in ranked:
            p = passages.get(rid)
            if p is None:  # deleted between the two reads
                continue
            sim = dense.similarity(rid) if dense is not None else None
            hits.append(Hit(passage=p, score=score, lexical_rank=lr, dense_rank=dr, dense_similarity=sim,
                            after_claim_date=flagged))
        return hits


def _document_frequencies(store: Store, version: tuple, terms: list[str],
                          records: PassageRecords | None = None) -> list[int]:
    """FTS5 document frequencies of (stemmed) terms, kept per process and store until its passages change.

    ``records``: read them through this reader instead of the store's own connection."""
    with _DF_LOCK:
        cached = _DF_CACHE.get(store.key)
        if cached is None or cached[0] != version or len(cached[1]) > 200_000:
            cached = (version, {})
            _DF_CACHE[store.key] = cached
        counts = cached[1]
        missing = [t for t in dict.fromkeys(terms) if t not in counts]
    fresh = dict(zip(missing, (records or store.passages).document_frequencies(missing))) if missing else {}
    with _DF_LOCK:
        counts.update(fresh)
    return [counts[t] if t in counts else fresh.get(t, 0) for t in terms]


_DF_CACHE: dict[str, tuple[tuple, dict[str, int]]] = {}
_DF_LOCK = threading.Lock()
_ANNS: dict[str, AnnIndex] = {}  # by Store.key
_TANTIVY: dict[str, Any] = {}  # opened tantivy indexes, by Store.key


class SqliteIndex(SqliteIndexer, SqliteRetriever):
    """Both sides over one store and one embedder: what the pipeline, the web desk and ``eval`` use today.

    Example::

        index = SqliteIndex(store, embedder)
        index.add_documents(docs, save_role="corpus")
        hits = index.search_many(["when did the dam open?"], k=5)
    """

    def __init__(self, store: Store, embedder: Embedder | None = None, *, batch_size: int = 64,
                 chunk_size: int = INDEX_CHUNK, mode: Mode = "hybrid", max_per_document: int = 0,
                 mmr_lambda: float = 1.0, **options: Any) -> None:
        SqliteRetriever.__init__(self, store, embedder, batch_size=batch_size, mode=mode,
                                 max_per_document=max_per_document, mmr_lambda=mmr_lambda, **options)
        self.chunk_size = chunk_size


# RRF_K, STOPWORDS, MAX_QUERY_TOKENS, latest_date and select_diverse now live in retrieve.fusion
# (shared with the PostgreSQL retriever); they stay importable from here for existing callers.
__all__ = ["MAX_QUERY_TOKENS", "RRF_K", "STOPWORDS", "Mode", "SqliteIndex", "SqliteIndexer", "SqliteRetriever",
           "build_fts_query", "embedding_text", "latest_date", "select_diverse"]
