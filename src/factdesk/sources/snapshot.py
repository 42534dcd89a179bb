"""Result pages as evidence: fetched safely, read, cut into passages, kept as dated snapshots, ranked.

A result page goes through :func:`factdesk.ingest.fetch` — the same SSRF guard, size and time caps and
per-hop redirect checks as ``factdesk check URL`` (loopback and private addresses refused unless
``allow_private``) — then the HTML (or PDF, text) reader, then :func:`factdesk.text.passages.make_passages`.
The page is stored as a snapshot (``store.sources``): its document (role ``snapshot``), fetch time,
SHA-256 of the bytes, its own date, and its passages with their vectors.  A later run reuses the newest
snapshot of the URL unless asked to refresh, so a report can be re-read against what was seen.

Ranking a page's passages for a query is kept cheap: passages sharing content words with the query
are the candidates; the best :data:`DENSE_CANDIDATES` of them by word overlap are embedded (when an
embedder is at hand; their vectors are stored with the snapshot, so a reused page costs one query
embedding) and ranked by reciprocal-rank fusion of word overlap, cosine similarity and the page's
rank in the search answer.  Embedding every passage of every page made a first check slower
(benchmarks/sources_latency.py) for passages that word overlap already ranks low.

Example::

    snap = snapshot_page(store, "https://example.org/a", source="searxng", query="dam opened",
                         allow_private=False, timeout=20, max_bytes=5_000_000)
    ranked = rank_passages("When did the dam open?", [(snap, 1)], embedder=None)
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

from factdesk.errors import InputError
from factdesk.ingest import fetch
from factdesk.ingest.url import document_from_fetched
from factdesk.protocols import Embedder
from factdesk.store.sources import Snapshot
from factdesk.text.passages import make_passages
from factdesk.text.words import content_words
from factdesk.types import Passage, content_id

RRF_K = 60  # as local retrieval fuses lexical and dense ranks (factdesk.retrieve.fusion.RRF_K)
DENSE_CANDIDATES = 8  # passages per search embedded and ranked by similarity too


def _now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def snapshot_page(store: Any, url: str, *, source: str, query: str, allow_private: bool, timeout: float,
                  max_bytes: int, api_date: str | None = None) -> Snapshot:
    """Fetch ``url`` and store it as a new snapshot; :class:`~factdesk.errors.InputError` when it cannot be used."""
    page = fetch(url, allow_private=allow_private, timeout=timeout, max_bytes=max_bytes)
    return store_page(store, page, url=url, source=source, query=query, api_date=api_date)


def read_page(url: str, *, allow_private: bool, timeout: float, max_bytes: int) -> Any:
    """Only the network part of :func:`snapshot_page` (safe to run in a worker thread)."""
    return fetch(url, allow_private=allow_private, timeout=timeout, max_bytes=max_bytes)


def store_page(store: Any, page: Any, *, url: str, source: str, query: str, api_date: str | None = None) -> Snapshot:
    """Read a fetched page into passages and store it as a snapshot (on the store's own thread)."""
    doc = document_from_fetched(page)
    # the live URL the search named stays the citation; the page's own date, else the API's, dates it
    if not doc.published and api_date:
        doc.published = api_date
    passages = make_passages(doc)
    if not passages:
        raise InputError(f"no readable text in {page.final_url}")
    for p in passages:
        p.url = url
    vectors: list[bytes | None] = [None] * len(passages)  # embedded when ranked (rank_passages)
    fetched_at = _now_iso()
    digest = hashlib.sha256(page.data).hexdigest()
    snap = Snapshot(id=content_id(url, digest, fetched_at, prefix="s"), url=url, final_url=page.final_url,
                    source=source, query=query, fetched_at=fetched_at, content_hash=digest,
                    published=doc.published, document=doc, passages=passages, vectors=vectors)
    store.sources.save_snapshot(snap)
    return snap


@dataclass
class RankedPassage:
    passage: Passage
    snapshot: Snapshot
    score: float
    page_rank: int  # the page's rank in the search answer, from 1


def _lexical(query_words: set[str], text: str) -> float:
    words = content_words(text)
    if not words or not query_words:
        return 0.0
    return len(query_words & words) / math.sqrt(len(words))


def rank_passages(query: str, pages: Sequence[tuple[Snapshot, int]], *, embedder: Embedder | None,
                  store: Any = None) -> list[RankedPassage]:
    """The passages of ``pages`` (snapshot, page rank) that share content words with ``query``, best first.

    score = sum of 1 / (60 + rank) over the passage's word-overlap rank, its page's rank in the search
    answer and, for the :data:`DENSE_CANDIDATES` best by overlap when an ``embedder`` is given, its rank
    by cosine similarity (vectors computed now are written back to the snapshot through ``store``).
    A passage sharing no content word with the query is dropped: a page about something else gives no
    evidence.
    """
    qwords = content_words(query)
    items = [(p, snap, i, rank, _lexical(qwords, p.text)) for snap, rank in pages for i, p in enumerate(snap.passages)]
    items = [it for it in items if it[4] > 0]
    if not items:
        return []
    by_words = sorted(range(len(items)), key=lambda n: (-items[n][4], items[n][3], items[n][2]))
    fused = {n: 1.0 / (RRF_K + items[n][3]) for n in range(len(items))}
    for r, n in enumerate(by_words, 1):
        fused[n] += 1.0 / (RRF_K + r)
    if embedder is not None:
        candidates = by_words[:DENSE_CANDIDATES]
        missing = [n for n in candidates if items[n][1].vectors[items[n][2]] is None]
        if missing:
            matrix = np.asarray(embedder.embed([items[n][0].text for n in missing]), dtype=np.float32)
            for n, row in zip(missing, matrix):
                _p, snap, i, _r, _l = items[n]
                snap.vectors[i] = row.tobytes()
                if store is not None:
                    store.sources.set_vector(snap.id, i, snap.vectors[i])
        qvec = np.asarray(embedder.embed([query]), dtype=np.float32)[0]

        def similarity(n: int) -> float:
            vec = np.frombuffer(items[n][1].vectors[items[n][2]], dtype=np.float32)  # type: ignore[arg-type]
            return float(vec @ qvec) if vec.shape == qvec.shape else -1.0

        sims = {n: similarity(n) for n in candidates}
        for r, n in enumerate(sorted(candidates, key=lambda n: -sims[n]), 1):
            fused[n] += 1.0 / (RRF_K + r)
    best = sorted(fused, key=lambda n: (-fused[n], items[n][3], items[n][2]))
    return [RankedPassage(items[n][0], items[n][1], fused[n], items[n][3]) for n in best]


__all__ = ["RankedPassage", "rank_passages", "read_page", "snapshot_page", "store_page"]
