"""Calibrate verdict aggregation for one verifier on dev data, and say what it changed.

Two things are fitted, each on one half of its data and reported on the other half:

* the **stance threshold** — the probability at which a passage counts as bearing on a claim —
  chosen to maximise claim-level macro-F1 (default data: AVeriTeC dev, 4 labels including
  conflicting; evaluation-only data may choose a threshold, which is all that is taken from it);
* a **confidence scaling** ``sigmoid(a * logit(c) + b)`` of the verdict's confidence, fitted
  by logistic regression of "the verdict was right" on FEVER dev (data that may train), so
  that a verdict said to be 80 % sure is right about 80 % of the time.

Expected calibration error (ECE) and macro-F1 are reported before and after on the held-out
halves.  The result is written to ``models/aggregation/<verifier>.json`` and the pipeline
loads it for that verifier::

    python -m factdesk.verify.calibrate --verifier cross-encoder
"""

from __future__ import annotations

import argparse
import json
import math
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from factdesk.types import Evidence, Passage, Stance
from factdesk.verify.aggregate import AggregationSettings, verdict_for

CALIBRATION_DIR = Path(__file__).resolve().parent.parent / "models" / "aggregation"
THRESHOLDS = [round(0.30 + 0.05 * i, 2) for i in range(13)]  # 0.30 … 0.90


def calibration_path(verifier: str) -> Path:
    return CALIBRATION_DIR / f"{verifier}.json"


def load_calibration(verifier: str) -> AggregationSettings | None:
    """The calibrated aggregation settings shipped for ``verifier``, if any."""
    path = calibration_path(verifier)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    scale = data.get("confidence_scale")
    return AggregationSettings(threshold=float(data["threshold"]),
                               confidence_scale=(float(scale[0]), float(scale[1])) if scale else None)


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


def _judged(examples: list[Any], verifier: Any) -> list[tuple[str, list[Evidence]]]:
    pairs = [(e.claim, u) for e in examples for u in e.evidence]
    results = iter(verifier.stances(pairs)) if pairs else iter(())
    out = []
    for i, e in enumerate(examples):
        evidence = []
        for j, unit in enumerate(e.evidence):
            r = next(results)
            p = Passage(document_id=f"{i}#{j}", text=unit, start=0, end=len(unit))
            evidence.append(Evidence(passage=p, score=1.0, stance=Stance(r.stance),
                                     stance_probability=r.probability, probabilities=dict(r.probabilities)))
        out.append((e.label.value, evidence))
    return out


def _scores(judged: list[tuple[str, list[Evidence]]], settings: AggregationSettings) -> dict[str, Any]:
    from factdesk.evaluate import metrics as M

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


def calibrate(verifier_name: str, *, threshold_data: str = "averitec/dev.json",
              scale_data: tuple[str, ...] = ("fever/dev.jsonl", "fever/dev_nei_retrieved.jsonl"),
              scale_limit: int = 1000, seed: int = 0, write: bool = True) -> dict[str, Any]:
    from factdesk import registry
    from factdesk.evaluate.readers import read_verify, resolve_data, stratified_sample

    verifier = registry.create("verifier", verifier_name)
    verifier.warm_up()
    base = AggregationSettings()

    # 1. stance threshold on claim-level data
    examples = read_verify(resolve_data(threshold_data)).examples
    fit, held = _split(examples, seed)
    judged_fit, judged_held = _judged(fit, verifier), _judged(held, verifier)
    sweep = {t: _scores(judged_fit, replace(base, threshold=t))["macro_f1"] for t in THRESHOLDS}
    best_t = max(sweep, key=lambda t: (sweep[t], -abs(t - base.threshold)))

    # 2. confidence scaling on FEVER dev
    scale_examples = []
    for name in scale_data:
        scale_examples += read_verify(resolve_data(name)).examples
    scale_examples = stratified_sample(scale_examples, lambda e: e.label.value, scale_limit, seed)
    s_fit, s_held = _split(scale_examples, seed)
    j_s_fit, j_s_held = _judged(s_fit, verifier), _judged(s_held, verifier)
    tuned = replace(base, threshold=best_t)
    fit_scores = _scores(j_s_fit, tuned)
    a, b = fit_confidence_scale(fit_scores["_conf"], fit_scores["_correct"])
    calibrated = replace(tuned, confidence_scale=(a, b))

    def public(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if not k.startswith("_")}

    result = {
        "verifier": verifier_name,
        "threshold": best_t,
        "confidence_scale": [a, b],
        "threshold_data": threshold_data,
        "threshold_sweep_fit_half": sweep,
        "scale_data": list(scale_data),
        "held_out": {
            threshold_data: {"before": public(_scores(judged_held, base)),
                             "after": public(_scores(judged_held, calibrated))},
            "+".join(scale_data): {"before": public(_scores(j_s_held, base)),
                                   "after": public(_scores(j_s_held, calibrated))},
        },
        "command": f"python -m factdesk.verify.calibrate --verifier {verifier_name}",
        "seed": seed,
    }
    if write:
        CALIBRATION_DIR.mkdir(parents=True, exist_ok=True)
        calibration_path(verifier_name).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verifier", required=True, help="registered verifier name")
    ap.add_argument("--threshold-data", default="averitec/dev.json")
    ap.add_argument("--scale-limit", type=int, default=1000, help="FEVER dev pairs for the confidence scaling")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-write", action="store_true", help="print only; do not write models/aggregation/")
    args = ap.parse_args(argv)
    result = calibrate(args.verifier, threshold_data=args.threshold_data, scale_limit=args.scale_limit,
                       seed=args.seed, write=not args.no_write)
    print(json.dumps({k: v for k, v in result.items() if k != "threshold_sweep_fit_half"}, indent=2))


if __name__ == "__main__":
    main()
