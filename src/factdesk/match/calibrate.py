"""Choose the matcher's same-claim settings on real pairs: ``CENTER`` and the two veto gates.

    python -m factdesk.match.calibrate [--ct2021 DIR] [--store PATH] [--json OUT]

What "a match" must mean, measured on real claims (CheckThat! 2021 Task 2A,
English, the *train* tweets only; the dev tweets are left for measuring):

* **kept**: of the train tweets whose first-ranked record is the right one,
  the share scoring at least the threshold (target >= 0.90);
* **passed**: of hard negatives made from pool claims by
  :func:`factdesk.match.hardneg.make_variants` (negation, changed number,
  year, month, place, person, antonym), the share for which the *source*
  record is returned as a match (target <= 0.05).

Each mismatch rule gets the lowest ``restated`` gate (0.4 … 0.9) at which it
vetoes at most ``rule_budget`` (1 %) of those correct train matches
(``VETO_MIN_RESTATED``).  Then a grid over ``VETO_MIN_COSINE`` x ``CENTER`` keeps the
settings with kept >= ``min_kept`` (0.92, a margin over 0.90) and passed <=
``max_passed`` (0.03, a margin under 0.05) and, among them, takes the one
with the best *matched precision* over all train tweets (the share of
returned first-ranked records that are right; ties: the higher CENTER).  The hard negatives for
calibration come from pool claims that are *not* relevant to any dev tweet,
so the dev-based negatives in ``benchmarks/match_quality.py`` are unseen.
It prints the chosen constants for ``factdesk/match/matcher.py`` and the
precision/recall curve over ``CENTER`` at the chosen gates.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.errors import InputError
from factdesk.match import ct2021
from factdesk.match.hardneg import Variant, make_variants
from factdesk.match.matcher import (MISMATCH_FEATURES, SLOPE, VETO, ClaimMatcher, applied_mismatches,
                                    default_embedder)
from factdesk.store import Store

GATE_GRID = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
COSINE_GRID = (0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.01)
CENTER_GRID = tuple(round(x, 3) for x in np.arange(0.30, 0.901, 0.01))


def ensure_pool(store: Store, folder: Path, embedder: Any, extra: Sequence[Any] = ()) -> None:
    """Import the CT2021 pool (and ``extra`` reviews) into ``store``; a no-op when already there."""
    from factdesk.match.reviews import add_reviews

    add_reviews(store, [*ct2021.read_pool(folder), *extra], embedder=embedder)


def source_features(matcher: ClaimMatcher, variants: Sequence[Variant], url_of: dict[str, str]
                    ) -> list[dict[str, float] | None]:
    """Per variant, the features of its source record among the variant's candidates (None: not retrieved)."""
    out: list[dict[str, float] | None] = []
    for b in range(0, len(variants), 64):
        part = variants[b:b + 64]
        for v, cands in zip(part, matcher.pair_features([v.text for v in part])):
            want = url_of[v.source]
            out.append(next((f for url, f in cands if url == want), None))
    return out


def top_features(matcher: ClaimMatcher, queries: Sequence[dict[str, Any]]) -> list[tuple[bool, dict[str, float]]]:
    """Per query with candidates: (is the first-ranked record relevant, its features), ranked by relevance."""
    out = []
    for b in range(0, len(queries), 64):
        part = queries[b:b + 64]
        for q, cands in zip(part, matcher.pair_features([q["query"] for q in part])):
            if cands:
                url, f = max(cands, key=lambda c: c[1]["relevance"])
                out.append((url in set(q["relevant"]), f))
    return out


def rule_gates(pos: Sequence[dict[str, float]], budget: float) -> dict[str, float]:
    """Per mismatch rule, the lowest ``restated`` gate at which it vetoes at most ``budget`` of correct matches."""
    gates = {}
    for rule in MISMATCH_FEATURES:
        gates[rule] = next((g for g in GATE_GRID
                            if sum(1 for f in pos if f[rule] and f["restated"] >= g) <= budget * len(pos)),
                           GATE_GRID[-1])
    return gates


def is_match(f: dict[str, float] | None, center: float, gates: dict[str, float], cosine_gate: float) -> bool:
    """The matcher's decision (score >= 0.5) for a pair's ungated features under these settings."""
    if f is None:
        return False
    vetoed = bool(applied_mismatches(f, f["cosine"], gates, cosine_gate))
    return SLOPE * (f["relevance"] - center) - VETO * float(vetoed) >= 0.0


def rates(pos: Sequence[dict[str, float]], neg: Sequence[dict[str, float] | None], center: float,
          gates: dict[str, float], cosine_gate: float) -> tuple[float, float]:
    kept = sum(is_match(f, center, gates, cosine_gate) for f in pos) / max(1, len(pos))
    passed = sum(is_match(f, center, gates, cosine_gate) for f in neg) / max(1, len(neg))
    return kept, passed


def choose(top: Sequence[tuple[bool, dict[str, float]]], neg: Sequence[dict[str, float] | None], *,
           min_kept: float, max_passed: float, rule_budget: float) -> dict[str, Any]:
    """The settings with kept >= min_kept and passed <= max_passed that give the best matched precision."""
    pos = [f for ok, f in top if ok]
    gates = rule_gates(pos, rule_budget)
    best: tuple[float, float, dict[str, Any]] | None = None
    for cos in COSINE_GRID:
        for center in CENTER_GRID:
            kept, passed = rates(pos, neg, center, gates, cos)
            if passed > max_passed or kept < min_kept:
                continue
            returned = [ok for ok, f in top if is_match(f, center, gates, cos)]
            precision = sum(returned) / len(returned) if returned else 0.0
            key = (round(precision, 6), center)
            if best is None or key > best[:2]:
                best = (key[0], center, {"center": center, "veto_min_restated": gates, "veto_min_cosine": cos,
                                         "kept": round(kept, 4), "passed": round(passed, 4),
                                         "matched_precision": round(precision, 4)})
    if best is None:
        raise InputError(f"no setting keeps {min_kept:.0%} of correct matches with at most {max_passed:.0%} "
                         "of hard negatives passing")
    return best[2]


def curve(pos: Sequence[dict[str, float]], neg: Sequence[dict[str, float] | None], gates: dict[str, float],
          cos: float,
          correct_top: Sequence[bool] | None = None, all_top: Sequence[dict[str, float]] | None = None
          ) -> list[dict[str, float]]:
    """kept / passed over CENTER at fixed gates (and, with ``all_top``, matched precision on all queries)."""
    rows = []
    for center in CENTER_GRID:
        kept, passed = rates(pos, neg, center, gates, cos)
        row = {"center": center, "kept": round(kept, 4), "passed": round(passed, 4)}
        if all_top is not None and correct_top is not None:
            returned = [ok for ok, f in zip(correct_top, all_top) if is_match(f, center, gates, cos)]
            row["matched_precision"] = round(sum(returned) / len(returned), 4) if returned else None
            row["matched_recall"] = round(sum(returned) / len(all_top), 4)
        rows.append(row)
    return rows


def calibration_negatives(folder: Path, avoid: set[str], n_sources: int = 600, seed: int = 11) -> list[Variant]:
    pool = ct2021.pool_texts(folder)
    ids = sorted(i for i in pool if ct2021.review_url(i) not in avoid)
    rng = random.Random(seed)
    out: list[Variant] = []
    for vid in rng.sample(ids, min(n_sources, len(ids))):
        out.extend(make_variants(vid, pool[vid], seed=seed))
    return out


def calibrate(folder: Path, *, store_path: Path | None = None, min_kept: float = 0.92, max_passed: float = 0.03,
              rule_budget: float = 0.01) -> dict[str, Any]:
    emb = default_embedder()
    train = ct2021.read_queries(folder, "train")
    dev_gold = {u for q in ct2021.read_queries(folder, "dev") for u in q["relevant"]}
    variants = calibration_negatives(folder, dev_gold)
    with tempfile.TemporaryDirectory(prefix="factdesk-calibrate-") as tmp:
        db = store_path or Path(tmp) / "ct2021.db"
        with Store.open(db) as store:
            ensure_pool(store, folder, emb)
            matcher = ClaimMatcher(store, emb)
            top = top_features(matcher, train)
            neg = source_features(matcher, variants, {v.source: ct2021.review_url(v.source) for v in variants})
    pos = [f for ok, f in top if ok]
    chosen = choose(top, neg, min_kept=min_kept, max_passed=max_passed, rule_budget=rule_budget)
    return {"chosen": chosen, "train_queries": len(train), "correct_top1": len(pos), "hard_negatives": len(neg),
            "negatives_by_kind": {k: sum(v.kind == k for v in variants) for k in sorted({v.kind for v in variants})},
            "curve": curve(pos, neg, chosen["veto_min_restated"], chosen["veto_min_cosine"],
                           [ok for ok, _ in top], [f for _, f in top])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ct2021", help="the CT2021 2A folder (default: under $FACTDESK_DATA or ../shared/data)")
    ap.add_argument("--store", type=Path, help="reuse this SQLite store for the pool (import is idempotent)")
    ap.add_argument("--min-kept", type=float, default=0.92, help="share of correct train matches to keep")
    ap.add_argument("--max-passed", type=float, default=0.03, help="share of hard negatives allowed through")
    ap.add_argument("--rule-budget", type=float, default=0.01,
                    help="share of correct train matches one mismatch rule may veto")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    folder = ct2021.ct2021_dir(args.ct2021)
    if folder is None:
        raise SystemExit("error: CheckThat! 2021 2A data not found; give --ct2021 DIR or set FACTDESK_DATA")
    out = calibrate(folder, store_path=args.store, min_kept=args.min_kept, max_passed=args.max_passed,
                    rule_budget=args.rule_budget)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    c = out["chosen"]
    print(json.dumps({k: v for k, v in out.items() if k != "curve"}, indent=2))
    print(f"CENTER = {c['center']}\nVETO_MIN_RESTATED = {c['veto_min_restated']}\n"
          f"VETO_MIN_COSINE = {c['veto_min_cosine']}")


if __name__ == "__main__":
    main()
