"""Score claim matching on a set of queries against a set of fact-check records.

Queries are JSONL, one object per line::

    {"query": "claim text", "relevant": ["https://…"], "not_relevant": ["https://…"]}

(``relevant``/``not_relevant`` are review URLs; either may be empty or absent.)
Records are any format :mod:`factdesk.match.importer` reads (file, folder or
URL); they are imported into a temporary store (or into ``store_path``, which
is reused across runs: the import is idempotent and only new records are
embedded).

Metrics, with ``returned`` = what :meth:`ClaimMatcher.match` gives (top k
*above the threshold*), over the queries whose ``relevant`` is non-empty:

* ``map_at_5``: mean over those queries of
  ``AP@k = sum(precision@i for each rank i <= k holding a relevant URL) / min(|relevant|, k)``;
* ``recall_at_5``: mean share of the relevant URLs found in ``returned``;
* ``false_match_rate``: over the queries whose ``not_relevant`` is non-empty,
  the share where ``returned`` holds at least one of those URLs;
* ``map_at_5_ranking`` / ``recall_at_5_ranking``: the same two on the
  re-ranked top k *without* the threshold (how good the ranking is alone);
* ``n``: number of queries; ``n_relevant`` / ``n_not_relevant``: the two
  denominators; ``records``: records in the store; ``invalid_records``.

(The metric names say 5; they use ``k``.)

Example::

    evaluate_matching("data/claim-matching/test.jsonl", "data/claim-matching/reviews.jsonld")
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from factdesk.errors import InputError


def read_queries(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read queries {path}: {exc.strerror or exc}") from exc
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {n} is not JSON ({exc.msg})") from exc
        if not isinstance(obj, dict) or not isinstance(obj.get("query"), str):
            raise InputError(f"{path}: line {n} needs a \"query\" string")
        out.append({"query": obj["query"], "relevant": list(obj.get("relevant") or []),
                    "not_relevant": list(obj.get("not_relevant") or []), "id": obj.get("id")})
    if not out:
        raise InputError(f"{path}: no queries")
    return out


def average_precision(returned: Sequence[str], relevant: set[str], k: int) -> float:
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for i, url in enumerate(list(returned)[:k], 1):
        if url in relevant:
            hits += 1
            total += hits / i
    return total / min(len(relevant), k)


def score_runs(queries: list[dict[str, Any]], returned: list[list[str]], ranked: list[list[str]] | None,
               k: int) -> dict[str, Any]:
    """The metrics from per-query returned (thresholded) and ranked (unthresholded) URL lists."""
    ap, rec, ap_r, rec_r, false = [], [], [], [], []
    for i, q in enumerate(queries):
        rel, bad = set(q["relevant"]), set(q["not_relevant"])
        got = returned[i][:k]
        if rel:
            ap.append(average_precision(got, rel, k))
            rec.append(len(rel & set(got)) / len(rel))
            if ranked is not None:
                ap_r.append(average_precision(ranked[i][:k], rel, k))
                rec_r.append(len(rel & set(ranked[i][:k])) / len(rel))
        if bad:
            false.append(1.0 if bad & set(got) else 0.0)

    def mean(xs: list[float]) -> float | None:
        return round(sum(xs) / len(xs), 4) if xs else None

    out = {"map_at_5": mean(ap), "recall_at_5": mean(rec), "false_match_rate": mean(false), "n": len(queries),
           "n_relevant": len(ap), "n_not_relevant": len(false), "k": k}
    if ranked is not None:
        out["map_at_5_ranking"] = mean(ap_r)
        out["recall_at_5_ranking"] = mean(rec_r)
    return out


def evaluate_matching(queries_path: str | Path, records_path: str | Path | Sequence[str | Path], *, k: int = 5,
                      store_path: str | Path | None = None, embedder: Any = None,
                      threshold: float | None = None, center: float | None = None) -> dict[str, Any]:
    """Import the records, match every query, return the metrics (see the module docstring)."""
    from factdesk.match.importer import import_reviews
    from factdesk.match.matcher import ClaimMatcher, default_embedder
    from factdesk.match.store import count_reviews
    from factdesk.store import Store

    queries = read_queries(queries_path)
    emb = default_embedder() if embedder is None else embedder
    with tempfile.TemporaryDirectory(prefix="factdesk-match-eval-") as tmp:
        db = Path(store_path) if store_path is not None else Path(tmp) / "eval.db"
        with Store.open(db) as store:
            stats = import_reviews(store, records_path if not isinstance(records_path, (str, Path))
                                   else [records_path], embedder=emb or None)
            matcher = ClaimMatcher(store, emb, threshold=threshold, center=center)
            texts = [q["query"] for q in queries]
            ranked_m = []
            for b in range(0, len(texts), 64):
                ranked_m.extend(matcher.rank_many(texts[b:b + 64], k))
            ranked = [[m.url for m in ms] for ms in ranked_m]
            returned = [[m.url for m in ms if m.score >= matcher.threshold] for ms in ranked_m]
            result = score_runs(queries, returned, ranked, k)
            result["records"] = count_reviews(store)
            result["invalid_records"] = len(stats.invalid)
            result["threshold"] = matcher.threshold
    return result
