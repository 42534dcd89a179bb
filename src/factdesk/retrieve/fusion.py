"""Backend-neutral retrieval helpers: query terms, claim dates, rank fusion and per-document diversity.

Every passage index (SQLite's FTS5 + int8 scan in :mod:`factdesk.retrieve.index`, PostgreSQL's
tsvector + vector scan in :mod:`factdesk.retrieve.postgres`) ranks the same way with these, so
a search gives the same kind of answer whichever store holds the passages.

* :func:`query_terms`: the words of free text a lexical search ORs together (stop words and
  single letters dropped, unless nothing else is left), at most :data:`MAX_QUERY_TOKENS`.
* :func:`latest_date` / :func:`befores`: a claim date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``)
  as the last day it can mean; one date per query.
* :func:`rare_terms`: which query terms a large store's lexical search keeps (the rarest,
  frequent ones left out: ``lexical_max_df``, issue 15).
* :func:`rrf_fuse`: reciprocal-rank fusion of a lexical and a dense top-N list,
  ``score = sum 1 / (RRF_K + rank)``.
* :func:`select_diverse`: the per-document cap and maximal marginal relevance.

Example::

    from factdesk.retrieve.fusion import query_terms, rrf_fuse

    query_terms("When did the Ridgeway dam open?")       # ['ridgeway', 'dam', 'open']
    rrf_fuse([(7, 3.2), (9, 1.0)], [(9, 0.8)], "hybrid")  # row 9 first: in both lists
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

RRF_K = 60
MAX_QUERY_TOKENS = 48

STOPWORDS = frozenset("""
a about above after again against all am an and any are aren't as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just let me more most my myself
no nor not of off on once only or other our ours ourselves out over own same she should so some such than
that the their theirs them themselves then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your yours yourself yourselves
also said says say near
""".split())

_TOKEN = re.compile(r"\w+", re.UNICODE)
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def query_terms(text: str) -> list[str]:
    """The distinct lower-cased words of ``text`` a lexical search ORs together (may be empty).

    ``_`` splits a word (``\\w`` matches it, the full-text tokenizers do not); stop words and
    single letters are dropped unless the text has nothing else.
    """
    tokens = [t.lower() for t in _TOKEN.findall(text or "")]
    tokens = [t.replace("_", " ").strip() for t in tokens]
    tokens = [t for t in tokens if t]
    content = [t for t in tokens if t not in STOPWORDS and not (len(t) == 1 and not t.isdigit())]
    seen: dict[str, None] = {}
    for t in content or tokens:
        seen.setdefault(t, None)
    return list(seen)[:MAX_QUERY_TOKENS]


def latest_date(value: str) -> str:
    """The last day an ISO date, ``YYYY-MM`` or ``YYYY`` can mean (``YYYY-MM-DD``)."""
    m = _DATE.match(value.strip()[:10])
    if not m:
        raise ValueError(f"not an ISO date: {value!r} (expected YYYY-MM-DD, YYYY-MM or YYYY)")
    year, month, day = m.groups()
    if day:
        return f"{year}-{month}-{day}"
    if month:
        return f"{year}-{month}-31"  # string comparison only: 31 is after every real day
    return f"{year}-12-31"


def befores(before: str | None | Sequence[str | None], n: int) -> list[str | None]:
    """One claim date per query, each checked to be a date."""
    if isinstance(before, (str, type(None))):
        out: list[str | None] = [before] * n
    else:
        out = list(before)
        if len(out) != n:
            raise ValueError("before must be one date or one per query")
    for b in out:
        if b:
            latest_date(b)  # validate early
    return out


def rrf_fuse(lex: list[tuple[int, float]], dense: list[tuple[int, float]], mode: str
             ) -> list[tuple[int, float, int | None, int | None]]:
    """(rowid, score, lexical_rank, dense_rank), best first; ties broken by the better single rank."""
    lrank = {rid: i + 1 for i, (rid, _) in enumerate(lex)}
    drank = {rid: i + 1 for i, (rid, _) in enumerate(dense)}
    if mode == "lexical":
        return [(rid, s, lrank[rid], None) for rid, s in lex]
    if mode == "dense":
        return [(rid, s, None, drank[rid]) for rid, s in dense]
    fused: dict[int, float] = {}
    for ranks in (lrank, drank):
        for rid, r in ranks.items():
            fused[rid] = fused.get(rid, 0.0) + 1.0 / (RRF_K + r)
    order = sorted(fused, key=lambda rid: (-fused[rid], min(lrank.get(rid, 10**9), drank.get(rid, 10**9))))
    return [(rid, fused[rid], lrank.get(rid), drank.get(rid)) for rid in order]


def select_diverse(scores: Sequence[float], documents: Sequence[str], k: int, *, max_per_document: int = 0,
                   mmr_lambda: float = 1.0, vectors: np.ndarray | None = None, mmr_depth: int | None = None,
                   counts: dict[str, int] | None = None) -> list[int]:
    """Indices of ``k`` candidates (given best first) chosen for variety.

    ``max_per_document`` caps the passages taken from one document (0: no cap);
    ``mmr_lambda`` < 1 picks greedily by maximal marginal relevance,
    ``lambda * relevance - (1 - lambda) * max cosine to a passage already chosen``, with the scores
    min-max scaled to [0, 1], among the first ``mmr_depth`` candidates (default ``max(4k, 20)``)
    and only where ``vectors`` (unit rows, one per candidate) are given.  Slots the cap leaves
    empty are filled with the best capped-out candidates in their original order, so a short
    corpus still fills k.  ``counts`` (document -> passages already chosen) is read and updated.
    The first candidate is always chosen first (unless ``counts`` already holds its document at the cap).
    """
    n = len(scores)
    k = min(k, n)
    if k <= 0:
        return []
    counts = {} if counts is None else counts
    taken = [False] * n
    chosen: list[int] = []

    def allowed(i: int) -> bool:
        return not taken[i] and (max_per_document <= 0 or counts.get(documents[i], 0) < max_per_document)

    def take(i: int) -> None:
        taken[i] = True
        chosen.append(i)
        counts[documents[i]] = counts.get(documents[i], 0) + 1

    use_mmr = mmr_lambda < 1.0 and vectors is not None and len(vectors) == n
    if use_mmr:
        depth = min(n, mmr_depth if mmr_depth is not None else max(4 * k, 20))
        rel = np.asarray(scores[:depth], dtype=np.float64)
        spread = float(rel.max() - rel.min())
        rel = (rel - rel.min()) / spread if spread > 0 else np.ones(depth)
        vecs = np.asarray(vectors[:depth], dtype=np.float32)
        max_sim = np.full(depth, -np.inf)
        while len(chosen) < k:
            best, best_value = -1, -np.inf
            for i in range(depth):
                if not allowed(i):
                    continue
                penalty = max_sim[i] if chosen else 0.0
                value = mmr_lambda * rel[i] - (1.0 - mmr_lambda) * penalty
                if value > best_value:
                    best, best_value = i, value
            if best < 0:
                break
            take(best)
            max_sim = np.maximum(max_sim, vecs @ vecs[best])
    for i in range(n):  # in rank order: the cap alone, or MMR's leftover slots
        if len(chosen) >= k:
            break
        if allowed(i):
            take(i)
    for i in range(n):  # the cap left slots empty: the best capped-out candidates fill them
        if len(chosen) >= k:
            break
        if not taken[i]:
            take(i)
    return chosen


def rare_terms(frequencies: Sequence[int], passages: int, *, max_df: float, min_terms: int,
               budget: float = 0.0) -> set[int]:
    """Indices of the query terms a pruned lexical search keeps, given each term's document frequency.

    Rarest first, a term is kept while it is in at most ``max_df`` of the ``passages`` and (``budget``
    > 0) the kept terms' frequencies add up to at most ``budget`` of them; the ``min_terms`` rarest
    are kept whatever their frequency.  Terms in no passage are never kept (they match nothing), so
    an empty set means nothing can match.  Both retrievers prune with it (SQLite's over FTS5 terms,
    PostgreSQL's over lexemes); a term in more than 1 % of a million passages adds little to BM25
    but makes the engine score every passage holding it (docs/benchmarks.md, issue 15 item 1).

    Example::

        rare_terms([900, 3, 40, 0], 1000, max_df=0.01, min_terms=2)  # {1, 2}: 'the 900' is left out
    """
    limit = max_df * passages
    cap = budget * passages if budget > 0 else float("inf")
    ranked = sorted((df, i) for i, df in enumerate(frequencies) if df > 0)
    keep: set[int] = set()
    total = 0
    for df, i in ranked:  # rarest first, while each term and the sum stay within bounds
        if df > limit or total + df > cap:
            break
        keep.add(i)
        total += df
    keep.update(i for _df, i in ranked[:min_terms])
    return keep


__all__ = ["MAX_QUERY_TOKENS", "RRF_K", "STOPWORDS", "befores", "latest_date", "query_terms", "rare_terms",
           "rrf_fuse", "select_diverse"]
