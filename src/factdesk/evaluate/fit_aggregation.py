"""Calibrate verdict aggregation for one verifier on dev data, and say what it changed.

Fitted, each on one half of its data and reported on the other half, in the setting
``factdesk check`` works in: several retrieved passages per claim, most of them beside the point.

* FEVER dev **open**: SUPPORTS/REFUTES claims of ``dev.jsonl`` and NOT_ENOUGH_INFO claims of
  ``dev_nei_retrieved.jsonl``, each judged against the top 5 passages hybrid search finds in the
  pool of all FEVER evidence sentences (the pool ``factdesk eval open`` builds and caches);
* AVeriTeC dev: real claims, several question-answer evidence texts each, and a conflicting label.
  AVeriTeC is evaluation-only data: it is reported on both halves; its dev half may choose
  thresholds (as its licence allows) only when asked to with ``--tune-weight``, and trains nothing.

What is fitted:

* the **stance threshold** (the probability at which a passage counts as bearing on a claim) and
  the **dominance** ratio (how far one side must outweigh the other before a mix of supporting
  and refuting documents stops being "conflicting"), chosen together for the best macro-F1 on
  the FEVER fit half.
  ``--tune-weight W`` mixes in the AVeriTeC fit half (objective ``(1 - W) * FEVER + W *
  AVeriTeC``, near-ties within ``TIE`` going to the better FEVER score); the shipped
  calibration uses W = 0, because the two pull apart: AVeriTeC's
  question-answer evidence wants a low threshold, while retrieved passages, the demo and WiCE
  want a higher one (docs/benchmarks.md);
* a **confidence scaling** ``sigmoid(a * logit(c) + b)`` of the verdict's confidence, fitted by
  logistic regression of "the verdict was right" on the FEVER half only, so that a verdict said
  to be 80 % sure is right about 80 % of the time.

The result is written to ``<user data dir>/aggregation/<verifier>.json`` (``Settings.user_dir``,
default ``~/.local/share/factdesk``), where the pipeline and ``factdesk eval`` read it before the
calibration shipped in the package (:mod:`factdesk.verify.calibration`); ``--out DIR`` writes
elsewhere, e.g. ``src/factdesk/models/aggregation`` when refreshing the shipped file in a checkout::

    python -m factdesk.evaluate.fit_aggregation --verifier cross-encoder
    factdesk train calibration --verifier cross-encoder          # the same
"""

from __future__ import annotations

import argparse
import json
import math
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from factdesk import registry
from factdesk.evaluate import metrics as M
from factdesk.evaluate.readers import read_verify, resolve_data, stratified_sample
from factdesk.evaluate.runner import open_hits, unit_evidence
from factdesk.settings import load_settings
from factdesk.types import Evidence, Passage
from factdesk.verify.aggregate import AggregationSettings, verdict_for
from factdesk.verify.calibration import USER_SUBDIR

THRESHOLDS = [round(0.20 + 0.05 * i, 2) for i in range(15)]  # 0.20 … 0.90
DOMINANCE = [1.5, 2.0, 3.0, 4.0]
# candidates whose objective is within this of the best are ties, settled by the FEVER score
# (the far larger of the two fit halves, so the less noisy one), then by nearness to the default
TIE = 0.005


def default_output_dir() -> Path:
    """Where a fitted calibration goes unless ``--out`` says otherwise: the user's data dir."""
    return load_settings().writable_dir() / USER_SUBDIR


def _split(items: list[Any], seed: int) -> tuple[list[Any], list[Any]]:
    """A label-stratified half/half split."""
    by_label: dict[str, list[Any]] = {}
    for it in items:
        by_label.setdefault(it.label.value, []).append(it)
    fit, held = [], []
    rng = random.Random(seed)
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        half = len(group) // 2
        fit += group[:half]
        held += group[half:]
    return fit, held


def _judged(examples: list[Any], verifier: Any, passages: list[list[tuple[Passage, float]]]
            ) -> list[tuple[str, list[Evidence]]]:
    """``(gold label, judged evidence)`` per example, each judged against its ``(passage, score)`` list."""
    pairs = [(e.claim, p.text) for e, ps in zip(examples, passages) for p, _ in ps]
    results = iter(verifier.stances(pairs)) if pairs else iter(())
    return [(e.label.value, [unit_evidence(p.document_id, p.text, next(results), score, p) for p, score in ps])
            for e, ps in zip(examples, passages)]


def _gold(examples: list[Any]) -> list[list[tuple[Passage, float]]]:
    """Each example's own evidence units as passages."""
    return [[(Passage(document_id=f"{i}#{j}", text=u, start=0, end=len(u)), 1.0) for j, u in enumerate(e.evidence)]
            for i, e in enumerate(examples)]


def _retrieved(examples: list[Any], pool: Any, k: int) -> list[list[tuple[Passage, float]]]:
    """The top ``k`` passages retrieved for each claim from the FEVER evidence pool."""
    return [[(h.passage, h.score) for h in hs] for hs in open_hits(pool, [e.claim for e in examples], k=k)]


def _scores(judged: list[tuple[str, list[Evidence]]], settings: AggregationSettings) -> dict[str, Any]:
    gold, pred, conf = [], [], []
    for label, evidence in judged:
        v = verdict_for(evidence, settings)
        gold.append(label)
        pred.append(v.label.value)
        conf.append(v.confidence)
    return {"macro_f1": round(M.macro_f1(gold, pred), 4), "accuracy": round(M.accuracy(gold, pred), 4),
            "ece": round(M.expected_calibration_error(conf, [g == p for g, p in zip(gold, pred)]), 4),
            "n": len(gold), "_conf": conf, "_correct": [g == p for g, p in zip(gold, pred)]}


def fit_confidence_scale(conf: list[float], correct: list[bool], steps: int = 2000) -> tuple[float, float]:
    """Logistic regression of correctness on logit(confidence): returns (a, b)."""
    xs = [math.log(min(max(c, 1e-4), 1 - 1e-4) / (1 - min(max(c, 1e-4), 1 - 1e-4))) for c in conf]
    ys = [1.0 if ok else 0.0 for ok in correct]
    a, b, lr = 1.0, 0.0, 0.1
    n = max(1, len(xs))
    for _ in range(steps):
        ga = gb = 0.0
        for x, y in zip(xs, ys):
            p = 1 / (1 + math.exp(-(a * x + b)))
            ga += (p - y) * x
            gb += p - y
        a -= lr * ga / n
        b -= lr * gb / n
    return round(a, 4), round(b, 4)


def calibrate(verifier_name: str, *, tune_data: str = "averitec/dev.json",
              fit_data: tuple[str, ...] = ("fever/dev.jsonl", "fever/dev_nei_retrieved.jsonl"),
              limit: int = 1500, seed: int = 0, k: int = 5, tune_weight: float = 0.0,
              write: bool = True, out_dir: Path | None = None) -> dict[str, Any]:
    """Fit the aggregation for ``verifier_name``; with ``write``, save it in ``out_dir``
    (default :func:`default_output_dir`) as ``<verifier>.json``."""
    verifier = registry.create("verifier", verifier_name)
    verifier.warm_up()
    base = AggregationSettings()

    examples = []
    for name in fit_data:
        examples += read_verify(resolve_data(name)).examples
    examples = stratified_sample(examples, lambda e: e.label.value, limit, seed)
    fit, held = _split(examples, seed)
    pool = read_verify(resolve_data(fit_data[0]))  # its folder holds the FEVER evidence pool
    j_fit = _judged(fit, verifier, _retrieved(fit, pool, k))
    j_held = _judged(held, verifier, _retrieved(held, pool, k))
    tune_fit, tune_held = _split(read_verify(resolve_data(tune_data)).examples, seed)
    jt_fit, jt_held = _judged(tune_fit, verifier, _gold(tune_fit)), _judged(tune_held, verifier, _gold(tune_held))

    # 1. threshold and dominance: the best (weighted) macro-F1 over the fit halves
    sweep: dict[str, dict[str, float]] = {}
    for t in THRESHOLDS:
        for d in DOMINANCE:
            cand = replace(base, threshold=t, dominance=d)
            a, b = _scores(j_fit, cand)["macro_f1"], _scores(jt_fit, cand)["macro_f1"]
            sweep[f"{t}/{d}"] = {"fever": a, "tune": b, "objective": round((1 - tune_weight) * a + tune_weight * b, 4)}
    top = max(v["objective"] for v in sweep.values())
    best = max((k for k in sweep if sweep[k]["objective"] >= top - TIE),
               key=lambda k: (sweep[k]["fever"], sweep[k]["objective"],
                              -abs(float(k.split("/")[0]) - base.threshold)))
    best_t, best_d = (float(x) for x in best.split("/"))
    tuned = replace(base, threshold=best_t, dominance=best_d)
    # 2. the confidence scaling, fitted on the FEVER half under those settings
    fit_scores = _scores(j_fit, tuned)
    a, b = fit_confidence_scale(fit_scores["_conf"], fit_scores["_correct"])
    calibrated = replace(tuned, confidence_scale=(a, b))

    def public(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if not k.startswith("_")}

    result = {
        "verifier": verifier_name,
        "threshold": best_t,
        "dominance": best_d,
        "confidence_scale": [a, b],
        "fit_data": list(fit_data),
        "fit_setting": f"open: each claim judged against the top {k} passages of the FEVER evidence pool (hybrid)",
        "tune_data": tune_data,
        "tune_weight": tune_weight,
        "sweep_fit_halves": sweep,
        "held_out": {
            "+".join(fit_data) + f" open top-{k} (other half)": {"before": public(_scores(j_held, base)),
                                                  "after": public(_scores(j_held, calibrated))},
            tune_data + " (other half)": {"before": public(_scores(jt_held, base)),
                                          "after": public(_scores(jt_held, calibrated))},
        },
        "command": f"python -m factdesk.evaluate.fit_aggregation --verifier {verifier_name}",
        "seed": seed,
        "limit": limit,
    }
    if write:
        folder = out_dir or default_output_dir()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{verifier_name}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verifier", required=True, help="registered verifier name")
    ap.add_argument("--tune-data", default="averitec/dev.json",
                    help="second data set, split in halves and reported; with --tune-weight > 0 its fit half "
                         "also helps choose threshold and dominance (evaluation-only data may: nothing is trained "
                         "on it)")
    ap.add_argument("--tune-weight", type=float, default=0.0,
                    help="weight of the tune data's macro-F1 in the objective (default 0: FEVER open only)")
    ap.add_argument("--limit", type=int, default=1500, help="FEVER dev pairs (label-stratified) to fit and check on")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None,
                    help="folder to write <verifier>.json into (default: aggregation/ in the user data dir, "
                         "read before the shipped calibration; src/factdesk/models/aggregation refreshes the "
                         "shipped file in a checkout)")
    ap.add_argument("--no-write", action="store_true", help="print only; write no calibration file")
    args = ap.parse_args(argv)
    result = calibrate(args.verifier, tune_data=args.tune_data, limit=args.limit, seed=args.seed,
                       tune_weight=args.tune_weight, write=not args.no_write, out_dir=args.out)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
