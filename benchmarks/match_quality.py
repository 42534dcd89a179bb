"""Claim-matching quality on real data: CheckThat! 2021 Task 2A (English) and real-claim hard negatives.

    python benchmarks/match_quality.py [--ct2021 DIR] [--json benchmarks/out/match_quality.json] [--grid]

1. **Ranking, CT2021 2A dev** (199 tweets -> 13,825 Snopes verified claims): BM25 alone, dense alone,
   their reciprocal-rank fusion on the raw tweets (the retrieval before this benchmark's changes) and on
   normalised tweets, and the shipped ranking (``ClaimMatcher.rank_many``), side by side from one store.
   MAP@1/3/5, MRR and P@1 come from :mod:`factdesk.match.quality`; when ``trectools`` is installed
   (``pip install trectools``; the CheckThat! 2021 Task 2 scorer is ``trectools.TrecEval``) the same TREC
   run files are scored by it too and the two must agree.
2. **Threshold, CT2021 2A dev**: of the tweets whose first-ranked record is right, the share kept as a
   match; matched precision/recall over all dev tweets; the curve over ``CENTER``.
3. **Hard negatives** (a negative *passes* when its source record is returned as a match):
   generated from the dev tweets' gold claims (never used for calibration), generated from the 258
   AVeriTeC dev claims (added to a copy of the pool), and the hand-written variants in
   ``data/claim-matching/ct2021-hand-variants.jsonl`` (84 hard negatives + 25 paraphrases, which must match).
4. ``data/claim-matching`` dev/test: factdesk's own generated set, a regression check only.

``--grid`` also prints the train-split grid that chose ``TITLE_SHARE``, ``LEX_BONUS`` and ``LEX_K``.
Nothing from the data sets is copied: stores and run files live under benchmarks/out/ (git-ignored).
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from _common import OUT, ROOT, machine, print_table, write_json

from factdesk.match import calibrate as cal
from factdesk.match import ct2021, matcher as M
from factdesk.match.quality import ranking_metrics, write_trec_qrels, write_trec_run
from factdesk.match.hardneg import Variant, load_variants, make_variants
from factdesk.match.posts import normalise_post
from factdesk.match.reviews import Review, add_reviews, search_reviews_many
from factdesk.store import Store

HAND = ROOT / "data" / "claim-matching" / "ct2021-hand-variants.jsonl"
AVERITEC = Path("/work/shared/data/averitec/dev.json")
DEPTH = 10  # ranks written to the run files


def _batched(items: list[Any], size: int = 64) -> Any:
    for b in range(0, len(items), size):
        yield items[b:b + size]


def retrieval_orders(store: Store, texts: list[str], emb: Any) -> dict[str, list[list[str]]]:
    """BM25-only, dense-only and fused URL orders of the shared candidate lists."""
    out: dict[str, list[list[str]]] = {"bm25": [], "dense": [], "fused": []}
    for part in _batched(texts):
        for cands in search_reviews_many(store, part, k=100, embedder=emb, depth=M.CANDIDATES):
            out["bm25"].append([c.review.url for c in sorted((c for c in cands if c.lexical_rank),
                                                             key=lambda c: c.lexical_rank)][:DEPTH])
            out["dense"].append([c.review.url for c in sorted((c for c in cands if c.dense_rank),
                                                              key=lambda c: c.dense_rank)][:DEPTH])
            out["fused"].append([c.review.url for c in cands][:DEPTH])
    return out


def official_scores(run: Path, qrels: Path) -> dict[str, float] | None:
    try:
        from trectools import TrecEval, TrecQrel, TrecRun
    except ImportError:
        return None
    ev = TrecEval(TrecRun(str(run)), TrecQrel(str(qrels)))
    return {"map_at_1": ev.get_map(depth=1), "map_at_3": ev.get_map(depth=3), "map_at_5": ev.get_map(depth=5),
            "mrr": ev.get_reciprocal_rank(), "precision_at_1": ev.get_precision(depth=1)}


def ranking_section(store: Store, emb: Any, matcher: M.ClaimMatcher, dev: list[dict[str, Any]]
                    ) -> list[dict[str, Any]]:
    raw = retrieval_orders(store, [q["query"] for q in dev], emb)
    norm = retrieval_orders(store, [normalise_post(q["query"]) for q in dev], emb)
    shipped = []
    for part in _batched([q["query"] for q in dev]):
        shipped.extend([[m.url for m in ms] for ms in matcher.rank_many(part, DEPTH)])
    systems = [("BM25 (raw tweets)", raw["bm25"]), ("dense (raw tweets)", raw["dense"]),
               ("fused (raw tweets; before)", raw["fused"]), ("BM25 (normalised)", norm["bm25"]),
               ("dense (normalised)", norm["dense"]), ("fused (normalised)", norm["fused"]),
               ("shipped ranking", shipped)]
    # the official scorer wants the data set's own ids
    ids = [{**q, "relevant": [ct2021.vclaim_id(u) for u in q["relevant"]]} for q in dev]
    qrels = OUT / "ct2021_dev.qrels"
    write_trec_qrels(qrels, ids)
    rows = []
    for name, ranked in systems:
        ours = ranking_metrics(dev, ranked, 5)
        run = OUT / f"ct2021_dev_{name.split()[0].lower()}_{'raw' if 'raw' in name else 'norm'}.run"
        write_trec_run(run, ids, [[ct2021.vclaim_id(u) for u in lst] for lst in ranked], tag=name.split()[0])
        off = official_scores(run, qrels)
        agree = None if off is None else all(abs(off[k] - (ours[k] or 0.0)) < 1e-3 for k in off)
        rows.append({"system": name, **{k: ours[k] for k in ("map_at_1", "map_at_3", "map_at_5", "mrr",
                                                              "precision_at_1")},
                     "official": {k: round(v, 4) for k, v in off.items()} if off else None,
                     "official_agrees": agree, "run_file": str(run.relative_to(ROOT))})
    return rows


def margin_sweep(matcher: M.ClaimMatcher, queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Matched precision / recall of the full returned lists (k = 5) for other MARGIN values."""
    from factdesk.match.quality import match_metrics

    shipped = M.MARGIN
    rows = []
    try:
        for margin in (0.0, 0.02, shipped, 0.1, 0.2, 10.0):
            M.MARGIN = margin
            returned = []
            for part in _batched([q["query"] for q in queries]):
                returned.extend([[m.url for m in ms] for ms in matcher.match_many(part, k=5)])
            mm = match_metrics(queries, returned)
            rows.append({"margin": margin, **{k: mm[k] for k in ("matched_precision", "matched_recall", "returned")}})
    finally:
        M.MARGIN = shipped
    return rows


def threshold_section(matcher: M.ClaimMatcher, dev: list[dict[str, Any]]) -> dict[str, Any]:
    top = cal.top_features(matcher, dev)
    pos = [f for ok, f in top if ok]
    gates, cos = M.VETO_MIN_RESTATED, M.VETO_MIN_COSINE
    kept = sum(cal.is_match(f, M.CENTER, gates, cos) for f in pos) / len(pos)
    curve = cal.curve(pos, [], gates, cos, [ok for ok, _ in top], [f for _, f in top])
    at = next(r for r in curve if abs(r["center"] - M.CENTER) < 1e-9)
    sweep = margin_sweep(matcher, dev)
    shipped = next(r for r in sweep if r["margin"] == M.MARGIN)
    return {"tweets": len(dev), "correct_top1": len(pos), "kept": round(kept, 4),
            "top1_matched_precision": at["matched_precision"], "top1_matched_recall": at["matched_recall"],
            "matched_precision": shipped["matched_precision"], "matched_recall": shipped["matched_recall"],
            "margins": sweep, "curve": [{k: v for k, v in r.items() if k != "passed"} for r in curve]}


def negatives_section(matcher: M.ClaimMatcher, variants: list[Variant], url_of: dict[str, str]) -> dict[str, Any]:
    feats = cal.source_features(matcher, variants, url_of)
    hits = []
    for part in _batched(variants):
        hits.extend(matcher.match_many([v.text for v in part], k=5))
    by_kind: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for v, found in zip(variants, hits):
        matched = any(m.url == url_of[v.source] for m in found)
        by_kind[v.kind][0] += matched
        by_kind[v.kind][1] += 1
    neg = [k for k in by_kind if k != "paraphrase"]
    passed = sum(by_kind[k][0] for k in neg)
    total = sum(by_kind[k][1] for k in neg)
    out: dict[str, Any] = {"negatives": total, "passed": passed, "passed_rate": round(passed / total, 4) if total else None,
                           "by_kind": {k: {"passed": a, "of": n} for k, (a, n) in sorted(by_kind.items())},
                           "retrieved": sum(f is not None for f in feats)}
    if "paraphrase" in by_kind:
        a, n = by_kind["paraphrase"]
        out["paraphrases_matched"] = {"matched": a, "of": n, "rate": round(a / n, 4)}
    return out


def averitec_reviews(path: Path) -> list[Review]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Review(claim=r["claim"], url=f"https://averitec.example/claim/{i}", publisher="AVeriTeC",
                   language="en", source=str(path)) for i, r in enumerate(data) if r.get("claim")]


def ranking_grid(store: Store, emb: Any, train: list[dict[str, Any]], dev: list[dict[str, Any]]
                 ) -> list[dict[str, Any]]:
    """MAP@5 on the train tweets for each (TITLE_SHARE, LEX_BONUS, LEX_K): how the shipped values were chosen
    (the dev column shows how much the choice matters; it chose nothing)."""
    def candidates(queries: list[dict[str, Any]]) -> list[Any]:
        out = []
        for part in _batched([normalise_post(q["query"]) for q in queries]):
            out.extend(search_reviews_many(store, part, k=100, embedder=emb, depth=M.CANDIDATES))
        return out

    def map5(queries: list[dict[str, Any]], cands: list[Any], a: float, w: float, k: int) -> float:
        def rel(c: Any) -> float:
            t = c.cosine if c.title_cosine is None else c.title_cosine
            return (1 - a) * c.cosine + a * t + (w * (k + 1) / (k + c.lexical_rank) if c.lexical_rank else 0.0)
        ranked = [[c.review.url for c in sorted(cs, key=rel, reverse=True)][:5] for cs in cands]
        return ranking_metrics(queries, ranked, 5)["map_at_5"]

    train_c, dev_c = candidates(train), candidates(dev)
    rows = []
    for a, w, k in itertools.product((0.2, 0.3, 0.4, 0.5), (0.05, 0.08, 0.11, 0.15, 0.2), (3, 5, 10, 20)):
        rows.append({"title_share": a, "lex_bonus": w, "lex_k": k, "train_map_at_5": map5(train, train_c, a, w, k),
                     "dev_map_at_5": map5(dev, dev_c, a, w, k)})
    # ties (equal to 4 decimals) go to the larger title share and bonus, then the smaller k
    rows.sort(key=lambda r: (-r["train_map_at_5"], -r["title_share"], -r["lex_bonus"], r["lex_k"]))
    return rows


def own_set() -> list[dict[str, Any]]:
    from factdesk.match.quality import evaluate_matching

    data = ROOT / "data" / "claim-matching"
    out = []
    for split in ("dev", "test"):
        m = evaluate_matching(data / f"{split}.jsonl", data / "reviews.jsonld", store_path=OUT / "match_quality_cm.db")
        out.append({"set": f"claim-matching {split} (ours, generated)", **{k: m[k] for k in (
            "n", "map_at_5", "mrr", "matched_precision", "matched_recall", "false_match_rate")}})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ct2021")
    ap.add_argument("--averitec", default=str(AVERITEC))
    ap.add_argument("--grid", action="store_true", help="also print the train grid behind the ranking settings")
    ap.add_argument("--json")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result: dict[str, Any] = {"machine": machine(), "own_set": own_set()}
    folder = ct2021.ct2021_dir(args.ct2021)
    if folder is None:
        print("CheckThat! 2021 2A not found (--ct2021 DIR or FACTDESK_DATA): only our own set was measured")
        print_table(["set", "n", "MAP@5", "MRR", "matched P", "matched R", "false match"],
                    [list(r.values()) for r in result["own_set"]])
        write_json(args.json, result)
        return
    emb = M.default_embedder()
    db = OUT / "match_quality_ct2021.db"
    with Store.open(db) as store:
        cal.ensure_pool(store, folder, emb)
        matcher = M.ClaimMatcher(store, emb)
        dev = ct2021.read_queries(folder, "dev")
        result["ranking"] = ranking_section(store, emb, matcher, dev)
        result["threshold"] = threshold_section(matcher, dev)
        pool = ct2021.pool_texts(folder)
        url_of = {v: ct2021.review_url(v) for v in pool}
        gold = sorted({ct2021.vclaim_id(u) for q in dev for u in q["relevant"]})
        generated = [x for g in gold for x in make_variants(g, pool[g], seed=29)]
        result["negatives_dev_generated"] = negatives_section(matcher, generated, url_of)
        result["negatives_hand"] = negatives_section(matcher, load_variants(HAND, pool), url_of)
        if args.grid:
            result["grid"] = ranking_grid(store, emb, ct2021.read_queries(folder, "train"), dev)
    av = Path(args.averitec)
    if av.is_file():
        db2 = OUT / "match_quality_ct2021_averitec.db"
        if not db2.exists():
            shutil.copy(db, db2)
        with Store.open(db2) as store:
            recs = averitec_reviews(av)
            add_reviews(store, recs, embedder=emb)
            matcher = M.ClaimMatcher(store, emb)
            variants = [x for i, r in enumerate(recs) for x in make_variants(str(i), r.claim, seed=29)]
            result["negatives_averitec_generated"] = negatives_section(
                matcher, variants, {str(i): r.url for i, r in enumerate(recs)})
    sets = [result[k] for k in ("negatives_dev_generated", "negatives_averitec_generated", "negatives_hand")
            if k in result]
    total, passed = sum(n["negatives"] for n in sets), sum(n["passed"] for n in sets)
    result["negatives_all"] = {"negatives": total, "passed": passed, "passed_rate": round(passed / total, 4)}
    result["seconds"] = round(time.perf_counter() - started, 1)
    report(result)
    write_json(args.json, result)


def report(r: dict[str, Any]) -> None:
    print("\nCheckThat! 2021 2A dev, ranking (factdesk's metrics; official = trectools TrecEval, the task's scorer)")
    print_table(["system", "MAP@1", "MAP@3", "MAP@5", "MRR", "P@1", "official MAP@5", "agrees"],
                [[x["system"], x["map_at_1"], x["map_at_3"], x["map_at_5"], x["mrr"], x["precision_at_1"],
                  (x["official"] or {}).get("map_at_5", "n/a"),
                  {True: "yes", False: "NO", None: "n/a"}[x["official_agrees"]]] for x in r["ranking"]])
    t = r["threshold"]
    print(f"\nThreshold on dev: {t['correct_top1']} of {t['tweets']} tweets have the right record first; "
          f"kept as a match: {t['kept']:.3f}; all returned matches (k=5): precision {t['matched_precision']}, "
          f"recall {t['matched_recall']}")
    print("Curve over CENTER (first-ranked record only; shipped CENTER = %s)" % M.CENTER)
    print_table(["CENTER", "kept", "matched P", "matched R"],
                [[c["center"], c["kept"], c["matched_precision"], c["matched_recall"]] for c in t["curve"][::5]])
    print("MARGIN (all returned matches, k=5; shipped MARGIN = %s)" % M.MARGIN)
    print_table(["MARGIN", "matched P", "matched R", "returned"], [list(m.values()) for m in t["margins"]])
    rows = []
    for key, name in (("negatives_dev_generated", "generated from CT2021 dev gold claims"),
                      ("negatives_averitec_generated", "generated from AVeriTeC dev claims"),
                      ("negatives_hand", "hand-written (CT2021 pool claims)")):
        if key in r:
            n = r[key]
            rows.append([name, n["negatives"], n["passed"], n["passed_rate"],
                         ", ".join(f"{k} {v['passed']}/{v['of']}" for k, v in n["by_kind"].items()
                                   if k != "paraphrase"),
                         (n.get("paraphrases_matched") or {}).get("rate", "")])
    n = r["negatives_all"]
    rows.append(["all of the above", n["negatives"], n["passed"], n["passed_rate"], "", ""])
    print("\nHard negatives (passes = the source record returned as a match)")
    print_table(["set", "negatives", "passed", "rate", "by kind", "paraphrases matched"], rows)
    print("\nOur own generated set (regression only)")
    print_table(["set", "n", "MAP@5", "MRR", "matched P", "matched R", "false match"],
                [list(x.values()) for x in r["own_set"]])
    if "grid" in r:
        devs = [g["dev_map_at_5"] for g in r["grid"]]
        print(f"\nRanking grid on CT2021 *train* (top 8 of {len(devs)}; over the whole grid dev MAP@5 runs "
              f"from {min(devs)} to {max(devs)})")
        print_table(["TITLE_SHARE", "LEX_BONUS", "LEX_K", "train MAP@5", "dev MAP@5"],
                    [list(g.values()) for g in r["grid"][:8]])
    print(f"\n{r['seconds']} s")


if __name__ == "__main__":
    sys.exit(main())
