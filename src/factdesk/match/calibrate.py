"""Fit the re-ranker's weights and the match threshold on a dev split (logistic regression, numpy only).

    python -m factdesk.match.calibrate --queries data/claim-matching/dev.jsonl \\
        --records data/claim-matching/reviews.jsonld [--store benchmarks/out/cm.db]

1. Every dev query is run through retrieval; each retrieved candidate is one
   training pair, labelled 1 when its URL is in the query's ``relevant`` list.
2. An L2-regularised logistic regression (Newton's method, lambda = 1.0, bias
   unregularised) gives the weights of the similarity features; the four
   mismatch features (negation, antonym, num_clash, ent_clash) have hand-set
   weights of -6 (:data:`FIXED`), entering the fit as a fixed offset.
3. The threshold is the grid value (0.05 … 0.95, step 0.01) maximising
   ``MAP@5 - 3 * false_match_rate`` on the same dev queries (ties: the lower).

It prints the ``WEIGHTS`` dict and ``THRESHOLD`` to paste into matcher.py.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.match.evaluate import read_queries, score_runs
from factdesk.match.matcher import FEATURES, ClaimMatcher, default_embedder, feature_matrix, score


# Mismatch features are vetoes: their weights are hand-set, not learned (on dev, the rare paraphrase that
# trips a mismatch rule, e.g. "can no longer be sold" read as a negation, pulls a learned weight towards 0).
FIXED = {"negation": -6.0, "antonym": -6.0, "num_clash": -6.0, "ent_clash": -6.0}


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50,
                 offset: np.ndarray | None = None) -> np.ndarray:
    """Weights ``[bias, w1..wn]`` of an L2-regularised logistic regression (Newton's method).

    ``offset`` is a fixed per-row addition to the logit (the hand-set part of the model).
    """
    off = np.zeros(len(x)) if offset is None else offset
    xb = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(xb.shape[1])
    reg = np.full(xb.shape[1], l2)
    reg[0] = 0.0
    for _ in range(iters):
        z = np.clip(xb @ w + off, -30, 30)
        p = 1.0 / (1.0 + np.exp(-z))
        grad = xb.T @ (p - y) + reg * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def choose_threshold(queries: list[dict[str, Any]], scored: list[list[tuple[str, float]]], k: int = 5,
                     penalty: float = 3.0) -> tuple[float, dict[str, Any]]:
    best: tuple[float, float, dict[str, Any]] | None = None
    for t in np.arange(0.05, 0.955, 0.01):
        t = round(float(t), 2)
        returned = [[u for u, s in lst if s >= t][:k] for lst in scored]
        m = score_runs(queries, returned, None, k)
        obj = (m["map_at_5"] or 0.0) - penalty * (m["false_match_rate"] or 0.0)
        if best is None or obj > best[0] + 1e-12:
            best = (obj, t, m)
    assert best is not None
    return best[1], best[2]


def calibrate(queries_path: str | Path, records_path: str | Path, *, store_path: str | Path | None = None,
              l2: float = 1.0, k: int = 5) -> dict[str, Any]:
    from factdesk.match.importer import import_reviews
    from factdesk.store import Store

    queries = read_queries(queries_path)
    emb = default_embedder()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(store_path) if store_path else Path(tmp) / "cal.db"
        with Store.open(db) as store:
            import_reviews(store, [records_path], embedder=emb)
            matcher = ClaimMatcher(store, emb)
            pairs = []
            for b in range(0, len(queries), 64):
                pairs.extend(matcher.pair_features([q["query"] for q in queries[b:b + 64]]))
    rows, labels = [], []
    for q, cands in zip(queries, pairs):
        rel = set(q["relevant"])
        for url, f in cands:
            rows.append(f)
            labels.append(1.0 if url in rel else 0.0)
    learned = [f for f in FEATURES if f not in FIXED]
    x_all = feature_matrix(rows)
    x = x_all[:, [FEATURES.index(f) for f in learned]]
    offset = sum(x_all[:, FEATURES.index(f)] * v for f, v in FIXED.items())
    w = fit_logistic(x, np.array(labels), l2=l2, offset=offset)
    weights = {"bias": round(float(w[0]), 3)} | {f: round(float(v), 3) for f, v in zip(learned, w[1:])} | FIXED
    scored = []
    for cands in pairs:
        lst = sorted(((url, score(f, weights)) for url, f in cands), key=lambda x: -x[1])
        scored.append(lst)
    threshold, metrics = choose_threshold(queries, scored, k)
    return {"weights": weights, "threshold": threshold, "dev_metrics": metrics, "pairs": len(rows),
            "positives": int(sum(labels))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", required=True)
    ap.add_argument("--records", required=True)
    ap.add_argument("--store")
    ap.add_argument("--l2", type=float, default=1.0)
    args = ap.parse_args()
    out = calibrate(args.queries, args.records, store_path=args.store, l2=args.l2)
    print(json.dumps(out, indent=2))
    print("WEIGHTS = " + json.dumps(out["weights"]))
    print(f"THRESHOLD = {out['threshold']}")


if __name__ == "__main__":
    main()
