"""Imported fact-checks: writing them with their vectors, and finding candidates for claim matching.

The records live in the store's ``reviews`` table (migrations 2 and 5); every
function here takes an open :class:`~factdesk.store.Store` and reads or writes
it through ``store.claimreviews`` (:mod:`factdesk.store.claimreviews`, which
holds the SQL).

* :func:`add_reviews` inserts records (deduplicated by review URL + normalised
  claim text: the row id is a hash of both), embedding only the new ones.
* :func:`list_reviews`, :func:`count_reviews`, :func:`get_reviews` read them.
* :func:`search_reviews` is the *retrieval* step of claim matching: FTS5 BM25
  over claim + title and a dense scan over the claim vectors, fused by
  reciprocal rank.  :class:`factdesk.match.matcher.ClaimMatcher` re-ranks its
  candidates and applies the calibrated threshold.

Dense scan
----------
The vectors are read once per process and per database file into memory as
**int8** (``round(v * 400)``, clipped to +-127; MiniLM components stay within
+-0.25, so the clip almost never bites): 1 M records take 384 MB instead of
1.5 GB.  With the ``usearch`` package installed, the scan is usearch's exact
SIMD search over the int8 matrix (about 45 ms for 1 M vectors on 2 cores);
without it, a numpy float32 matrix product is used (fine up to a few hundred
thousand records).  Only candidate *generation* uses the quantised vectors:
the re-ranker reads the exact float32 vectors of the candidates from SQLite.
The cache is reloaded when the table changes (``store.claimreviews.version()``:
max rowid, SQLite's ``data_version`` and this process's own write counter).

Example::

    with Store.open("fd.db") as store:
        add_reviews(store, [Review(claim="The moon is made of cheese.", url="https://fc.example/moon")],
                    embedder=OnnxMiniLMEmbedder())
        for cand in search_reviews(store, "moon cheese", k=5, embedder=emb):
            print(cand.review.claim, cand.cosine)
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from factdesk.errors import ConfigError
from factdesk.retrieve.ann import usearch_module
from factdesk.retrieve.index import RRF_K, build_fts_query
from factdesk.store import Store
from factdesk.store.claimreviews import fts_stems
from factdesk.types import content_id

INT8_SCALE = 400.0


def normalise_claim(text: str) -> str:
    """Claim text for deduplication: NFKC, lower case, unified quotes, single spaces, no edge punctuation."""
    t = unicodedata.normalize("NFKC", text or "").lower()
    t = t.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    t = " ".join(t.split())
    return t.strip(" \"'.!?;:,")


@dataclass
class Review:
    """One fact-check of one claim (a ClaimReview record).

    ``date`` is the review's publication date and ``claim_date`` the date the
    claim was made (ISO ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``, or None).
    """

    claim: str
    url: str
    rating: str | None = None
    publisher: str | None = None
    publisher_site: str | None = None
    claimant: str | None = None
    claim_date: str | None = None
    date: str | None = None
    language: str | None = None
    title: str | None = None
    source: str | None = None  # file or URL it was imported from
    raw: dict[str, Any] | None = field(default=None, repr=False)
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = content_id(self.url.strip(), normalise_claim(self.claim), prefix="fc")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("raw", None)
        return d


@dataclass
class Candidate:
    """A review returned by :func:`search_reviews`, with how it ranked."""

    review: Review
    rowid: int
    fused: float  # reciprocal-rank fusion score
    lexical_rank: int | None
    dense_rank: int | None
    cosine: float  # exact float32 cosine with the query (0.0 when either side has no vector)
    title_cosine: float | None = None  # the same with the review title's vector (None: no title vector)


# per process, by Store.key: the vector matrices (vector_cache) and term counts (document_frequencies)
_CACHES: dict[str, "_VectorCache"] = {}
_LOCK = threading.Lock()


# -- writing ---------------------------------------------------------------------------------------
def add_reviews(store: Store, reviews: Iterable[Review], *, embedder: Any = None,
                batch_size: int = 256) -> tuple[int, int]:
    """Insert new reviews; returns ``(added, duplicates)``.

    A review whose id (URL + normalised claim) is already stored, or repeated
    within ``reviews``, counts as a duplicate and is not written again.  New
    claims are embedded with ``embedder`` (skipped when None: such rows are
    found by FTS only).  Each batch is committed in its own transaction.
    """
    seen: set[str] = set()
    fresh: list[Review] = []
    dup = 0
    for r in reviews:
        if r.id in seen:
            dup += 1
            continue
        seen.add(r.id)
        fresh.append(r)
    added = 0
    for b in range(0, len(fresh), batch_size):
        batch = fresh[b:b + batch_size]
        have = store.claimreviews.existing_ids([r.id for r in batch])
        dup += sum(1 for r in batch if r.id in have)
        batch = [r for r in batch if r.id not in have]
        if not batch:
            continue
        vectors = titles = None
        if embedder is not None:
            titled = [i for i, r in enumerate(batch) if (r.title or "").strip()]
            # one call for claims and titles together
            out = embedder.embed([r.claim for r in batch] + [batch[i].title for i in titled])
            vectors = out[:len(batch)]
            titles = dict(zip(titled, out[len(batch):]))
        records = []
        for i, r in enumerate(batch):
            records.append({
                "id": r.id, "claim": r.claim, "url": r.url, "title": r.title, "rating": r.rating,
                "publisher": r.publisher, "publisher_site": r.publisher_site, "claimant": r.claimant,
                "claim_date": r.claim_date, "date": r.date, "language": r.language, "source": r.source,
                "raw": json.dumps(r.raw, ensure_ascii=False) if r.raw is not None else None,
                "vector": vectors[i].astype("<f4").tobytes() if vectors is not None else None,
                "title_vector": titles[i].astype("<f4").tobytes() if titles is not None and i in titles else None,
            })
        if store.in_transaction:  # the caller's unit of work
            store.claimreviews.add(records)
        else:
            with store.transaction():
                store.claimreviews.add(records)
        added += len(records)
    return added, dup


# -- reading ---------------------------------------------------------------------------------------
def count_reviews(store: Store) -> int:
    return store.claimreviews.count()


def list_reviews(store: Store, limit: int = 50, offset: int = 0) -> list[Review]:
    """Stored reviews, newest review date first (undated last)."""
    return [Review(**fields) for fields in store.claimreviews.page(limit, offset)]


def _vector(blob: bytes | None) -> np.ndarray | None:
    return np.frombuffer(blob, dtype="<f4").astype(np.float32) if blob else None


def get_reviews(store: Store, rowids: Sequence[int]
                ) -> dict[int, tuple[Review, np.ndarray | None, np.ndarray | None]]:
    """rowid -> (review, claim vector or None, title vector or None), float32."""
    out: dict[int, tuple[Review, np.ndarray | None, np.ndarray | None]] = {}
    for rowid, fields in store.claimreviews.by_rowids(rowids).items():
        vec, tvec = _vector(fields.pop("vector")), _vector(fields.pop("title_vector"))
        out[rowid] = (Review(**fields), vec, tvec)
    return out


LEXICAL_PRUNE_MIN = 100_000  # from this many records on, common terms are left out of the BM25 query


_DF_CACHE: dict[str, tuple[tuple, dict[str, int]]] = {}
DF_CACHE_TERMS = 200_000  # per store; cleared when full


def document_frequencies(store: Store, stems: Sequence[str]) -> list[int]:
    """How many records hold each (FTS5-stemmed) term.

    FTS5 counts a term by walking its posting list (about 3 ms for a term in 60,000 of 1 M records),
    so counts are kept per process and store until the store changes (``store.claimreviews.version()``,
    read once per call).
    """
    key = store.key
    version = store.claimreviews.version()
    with _LOCK:
        cached = _DF_CACHE.get(key)
        if cached is None or cached[0] != version or len(cached[1]) >= DF_CACHE_TERMS:
            cached = (version, {})
            _DF_CACHE[key] = cached
        counts = cached[1]
        missing = [st for st in dict.fromkeys(stems) if st not in counts]
    fresh = {st: store.claimreviews.document_frequency(st) for st in missing}
    with _LOCK:
        counts.update(fresh)
    return [counts.get(st, fresh.get(st, 0)) for st in stems]


def document_frequency(store: Store, stem: str) -> int:
    """:func:`document_frequencies` of one term."""
    return document_frequencies(store, [stem])[0]


def prune_query(store: Store, match: str, n_records: int, max_terms: int = 8) -> str | None:
    """Keep only the rarer terms of an FTS query in a large store (None: no term rare enough).

    A term found in more than ``max(1000, 1%)`` of the records adds little to BM25 but costs a scan of
    its whole posting list; the dense list covers such queries.  At most ``max_terms`` rarest are kept.
    """
    tokens = [t.replace('""', '"') for t in re.findall(r'"((?:[^"]|"")*)"', match)]
    if not tokens:
        return None
    limit = max(1000, n_records // 100)
    scored = []
    stems = fts_stems(tokens)
    for tok, df in zip(tokens, document_frequencies(store, stems)):
        if 0 < df <= limit:
            scored.append((df, tok))
    scored.sort()
    kept = [t for _, t in scored[:max_terms]]
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in kept) if kept else None


def lexical_search(store: Store, text: str, k: int = 50, *, n_records: int | None = None) -> list[tuple[int, float]]:
    """Top-k ``(rowid, -bm25)`` over claim (weight 1.0) and title (0.3); the text is never FTS syntax.

    With ``n_records >= LEXICAL_PRUNE_MIN`` the query keeps only its rarer terms (:func:`prune_query`).
    """
    match = build_fts_query(text)
    if match is None or k <= 0:
        return []
    if n_records is not None and n_records >= LEXICAL_PRUNE_MIN:
        match = prune_query(store, match, n_records)
        if match is None:
            return []
    return store.claimreviews.lexical(match, k)


@dataclass
class _VectorCache:
    key: tuple
    rowids: np.ndarray  # int64, ascending
    matrix: np.ndarray  # int8 (with usearch) or float32 (numpy fallback)
    exact: Any  # usearch.index.search, or None


def _usearch() -> Any:
    module = usearch_module()  # imported safely beside onnxruntime
    return None if module is None else (module.search, module.MetricKind.IP)


def quantise(vectors: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(vectors * INT8_SCALE), -127, 127).astype(np.int8)


def vector_cache(store: Store) -> _VectorCache:
    """The in-memory vector matrix of this store's reviews (loaded on first use, reloaded on change)."""
    with _LOCK:
        key = store.claimreviews.version()
        cache = _CACHES.get(store.key)
        if cache is not None and cache.key == key:
            return cache
        cache = _load(store, key)
        _CACHES[store.key] = cache
        return cache


def _load(store: Store, key: tuple) -> _VectorCache:
    us = _usearch()
    n_max = store.claimreviews.count()
    rowids = np.empty(n_max, dtype=np.int64)
    matrix: np.ndarray | None = None
    n = 0
    dim = 0
    for rows in store.claimreviews.vector_batches(20000):
        if matrix is None:
            dim = len(rows[0][1]) // 4
            matrix = np.empty((n_max, dim), dtype=np.int8 if us else np.float32)
        blob = b"".join(r[1] for r in rows)
        if len(blob) != len(rows) * dim * 4:
            raise ConfigError("stored fact-check vectors have mixed dimensions",
                              hint="re-import the fact-checks with one embedder")
        block = np.frombuffer(blob, dtype="<f4").reshape(len(rows), dim)
        if n + len(rows) > len(rowids):  # rows added by another connection since the count
            grow = n + len(rows) - len(rowids) + 1024
            rowids = np.concatenate([rowids, np.empty(grow, dtype=np.int64)])
            matrix = np.concatenate([matrix, np.empty((grow, dim), dtype=matrix.dtype)])
        matrix[n:n + len(rows)] = quantise(block) if us else block
        rowids[n:n + len(rows)] = [r[0] for r in rows]
        n += len(rows)
    if matrix is None:
        matrix = np.zeros((0, 0), dtype=np.float32)
    return _VectorCache(key, rowids[:n].copy(), matrix[:n], us)


def dense_search(cache: _VectorCache, qvecs: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
    """Top-k ``(rowid, approximate cosine)`` per query vector."""
    n = len(cache.rowids)
    if n == 0 or k <= 0:
        return [[] for _ in range(len(qvecs))]
    if qvecs.shape[1] != cache.matrix.shape[1]:
        raise ConfigError(f"stored fact-check vectors have {cache.matrix.shape[1]} dimensions but the embedder "
                          f"makes {qvecs.shape[1]}", hint="re-import the fact-checks with the current embedder")
    k = min(k, n)
    out = []
    if cache.exact is not None:
        search, metric = cache.exact
        res = search(cache.matrix, quantise(qvecs), k, metric, exact=True, threads=0)
        keys = np.atleast_2d(res.keys)
        dists = np.atleast_2d(res.distances)
        counts = np.atleast_1d(res.counts) if hasattr(res, "counts") else np.array([keys.shape[1]])
        for qi in range(len(qvecs)):
            c = int(counts[qi])
            # usearch's IP "distance" is 1 - dot over the quantised vectors
            sims = (1.0 - dists[qi, :c].astype(np.float64)) / (INT8_SCALE * INT8_SCALE)
            out.append([(int(cache.rowids[int(key)]), float(s)) for key, s in zip(keys[qi, :c], sims)])
        return out
    scores = qvecs @ cache.matrix.T
    for qi in range(len(qvecs)):
        s = scores[qi]
        idx = np.argpartition(-s, k - 1)[:k] if k < n else np.arange(n)
        idx = idx[np.argsort(-s[idx], kind="stable")]
        out.append([(int(cache.rowids[i]), float(s[i])) for i in idx])
    return out


def search_reviews(store: Store, text: str, k: int = 50, *, embedder: Any = None) -> list[Candidate]:
    """Hybrid retrieval: the k best candidates by reciprocal-rank fusion of BM25 and dense lists."""
    return search_reviews_many(store, [text], k, embedder=embedder)[0]


def search_reviews_many(store: Store, texts: Sequence[str], k: int = 50, *, embedder: Any = None,
                        depth: int | None = None) -> list[list[Candidate]]:
    """:func:`search_reviews` for many texts with one embedding call.

    ``depth`` is how deep each of the two lists goes (default ``max(50, k)``).
    """
    texts = list(texts)
    if not texts:
        return []
    depth = depth or max(50, k)
    qvecs = None
    dense_lists: list[list[tuple[int, float]]] = [[] for _ in texts]
    if embedder is not None:
        cache = vector_cache(store)
        n_records = len(cache.rowids) if len(cache.rowids) else int(cache.key[0])
    else:  # lexical only: an upper bound on the count is enough (max rowid; no table scan)
        n_records = store.claimreviews.max_rowid()
    if embedder is not None:
        if len(cache.rowids):
            qvecs = embedder.embed(texts)
            dense_lists = dense_search(cache, qvecs, depth)
    results = []
    for qi, text in enumerate(texts):
        lex = lexical_search(store, text, depth, n_records=n_records)
        lrank = {rid: i + 1 for i, (rid, _) in enumerate(lex)}
        drank = {rid: i + 1 for i, (rid, _) in enumerate(dense_lists[qi])}
        fused: dict[int, float] = {}
        for ranks in (lrank, drank):
            for rid, r in ranks.items():
                fused[rid] = fused.get(rid, 0.0) + 1.0 / (RRF_K + r)
        order = sorted(fused, key=lambda rid: (-fused[rid], min(lrank.get(rid, 10**9), drank.get(rid, 10**9))))
        order = order[:k]
        rows = get_reviews(store, order)
        cands = []
        for rid in order:
            if rid not in rows:
                continue
            review, vec, tvec = rows[rid]
            cos = float(vec @ qvecs[qi]) if vec is not None and qvecs is not None else 0.0
            tcos = float(tvec @ qvecs[qi]) if tvec is not None and qvecs is not None else None
            cands.append(Candidate(review, rid, fused[rid], lrank.get(rid), drank.get(rid), cos, tcos))
        results.append(cands)
    return results
