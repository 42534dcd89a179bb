"""Result pages as evidence: fetched safely, read, cut into passages, kept as dated snapshots, ranked.

A result page goes through :func:`factdesk.ingest.fetch` — the same SSRF guard, size and time caps and
per-hop redirect checks as ``factdesk check URL`` (loopback and private addresses refused unless
``allow_private``) — then the HTML (or PDF, text) reader, then :func:`factdesk.text.passages.make_passages`.
The page is stored as a snapshot (``store.sources``): its document (role ``snapshot``), fetch time,
SHA-256 of the bytes, its own date, and its passages with their vectors.  A later run reuses the newest
snapshot of the URL unless asked to refresh, so a report can be re-read against what was seen.

Ranking a page's passages for a query is kept cheap: reciprocal-rank fusion of content-word overlap
and, when an embedder is at hand, cosine similarity to the query (passage vectors are stored with the
snapshot, so a reused page costs one query embedding).

Example::

    snap = snapshot_page(store, "https://example.org/a", source="searxng", query="dam opened",
                         allow_private=False, timeout=20, max_bytes=5_000_000, embedder=None)
    ranked = rank_passages("When did the dam open?", [snap], embedder=None)
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

from factdesk.errors import FactdeskError, InputError
from factdesk.ingest import fetch
from factdesk.ingest.url import document_from_fetched
from factdesk.protocols import Embedder
from factdesk.store.sources import Snapshot
from factdesk.text.passages import make_passages
from factdesk.text.words import content_words
from factdesk.types import Passage, content_id

RRF_K = 60  # as local retrieval fuses lexical and dense ranks (factdesk.retrieve.fusion.RRF_K)


def _now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def snapshot_page(store: Any, url: str, *, source: str, query: str, allow_private: bool, timeout: float,
                  max_bytes: int, embedder: Embedder | None, api_date: str | None = None) -> Snapshot:
    """Fetch ``url`` and store it as a new snapshot; :class:`~factdesk.errors.InputError` when it cannot be used."""
    page = fetch(url, allow_private=allow_private, timeout=timeout, max_bytes=max_bytes)
    return store_page(store, page, url=url, source=source, query=query, embedder=embedder, api_date=api_date)


def read_page(url: str, *, allow_private: bool, timeout: float, max_bytes: int) -> Any:
    """Only the network part of :func:`snapshot_page` (safe to run in a worker thread)."""
    return fetch(url, allow_private=allow_private, timeout=timeout, max_bytes=max_bytes)


def store_page(store: Any, page: Any, *, url: str, source: str, query: str, embedder: Embedder | None,
               api_date: str | None = None) -> Snapshot:
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
    vectors: list[bytes | None] = [None] * len(passages)
    if embedder is not None:
        matrix = np.asarray(embedder.embed([p.text for p in passages]), dtype=np.float32)
        vectors = [row.tobytes() for row in matrix]
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


def rank_passages(query: str, pages: Sequence[tuple[Snapshot, int]], *, embedder: Embedder | None) -> list[RankedPassage]:
    """Every passage of ``pages`` (snapshot, page rank) ranked for ``query``, best first.

    score = sum of 1 / (60 + rank) over the passage's lexical rank, its dense rank (with an embedder)
    and its page's rank in the search answer, so a strong passage on the third result can beat a weak
    one on the first.  Passages sharing no content word with the query and (without vectors) no
    similarity are dropped: a page about something else gives no evidence.
    """
    items = [(p, snap, i, rank) for snap, rank in pages for i, p in enumerate(snap.passages)]
    if not items:
        return []
    qwords = content_words(query)
    lexical = [_lexical(qwords, p.text) for p, _, _, _ in items]
    dense: list[float] | None = None
    if embedder is not None:
        qvec = np.asarray(embedder.embed([query]), dtype=np.float32)[0]
        dense = []
        missing = [(n, p) for n, (p, snap, i, _) in enumerate(items) if snap.vectors[i] is None]
        fresh = {}
        if missing:
            matrix = np.asarray(embedder.embed([p.text for _, p in missing]), dtype=np.float32)
            fresh = {n: row for (n, _), row in zip(missing, matrix)}
        for n, (_p, snap, i, _) in enumerate(items):
            vec = fresh.get(n)
            if vec is None:
                vec = np.frombuffer(snap.vectors[i], dtype=np.float32)  # type: ignore[arg-type]
            dense.append(float(vec @ qvec) if vec.shape == qvec.shape else 0.0)
    keep = [n for n in range(len(items)) if lexical[n] > 0 or (dense is not None and dense[n] > 0.3)]
    fused = {n: 1.0 / (RRF_K + items[n][3]) for n in keep}
    for scores in [lexical] + ([dense] if dense is not None else []):
        order = sorted(keep, key=lambda n: -scores[n])
        for r, n in enumerate(order, 1):
            fused[n] += 1.0 / (RRF_K + r)
    best = sorted(keep, key=lambda n: (-fused[n], items[n][3], items[n][2]))
    return [RankedPassage(items[n][0], items[n][1], fused[n], items[n][3]) for n in best]


def page_problem(exc: FactdeskError) -> str:
    """A short reason a page was not used, for the report's notes."""
    return f"{exc.code}: {exc.message}" if hasattr(exc, "message") else str(exc)


__all__ = ["RankedPassage", "rank_passages", "read_page", "snapshot_page", "store_page", "page_problem"]
