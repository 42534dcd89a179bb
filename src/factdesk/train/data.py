"""Reading the shared data sets as (claim, passage, label) pairs, and a minimal scorer.

Labels are the verifier's stances: ``supports`` / ``refutes`` / ``neutral``.
The data folder is ``$FACTDESK_DATA`` or ``../shared/data`` beside the repository.
Which sets may train shipped weights is fixed in :data:`TRAIN_ALLOWED`;
AVeriTeC and HealthVer are evaluation-only and never enter a training mix.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from factdesk.paths import shared_data_dir

LABELS = ("supports", "refutes", "neutral")
_MAP = {"SUPPORTS": "supports", "REFUTES": "refutes", "NOT_ENOUGH_INFO": "neutral",
        "entailment": "supports", "contradiction": "refutes", "neutral": "neutral",
        "Supported": "supports", "Refuted": "refutes", "Not Enough Evidence": "neutral"}
TRAIN_ALLOWED = {"fever/train.jsonl", "fever/train_nei_retrieved.jsonl", "fm2/dev.jsonl", "scifact-rte/train.jsonl"}
EVAL_ONLY = {"averitec", "healthver", "checkthat2022-1ab-en", "checkthat2020-t5-debates-en", "checkthat2024-en"}

Pair = tuple[str, str, str]  # claim, passage, label


def data_dir() -> Path:
    return shared_data_dir() or Path(__file__).resolve().parents[3].parent / "shared" / "data"


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def pairs_from(rows: Iterable[dict]) -> list[Pair]:
    out = []
    for r in rows:
        lab = _MAP.get(r["label"])
        if lab and r.get("claim") and r.get("evidence"):
            out.append((r["claim"].strip(), r["evidence"].strip(), lab))
    return out


def stratified(pairs: list[Pair], n: int | None, seed: int = 0) -> list[Pair]:
    """A label-stratified random sample of about ``n`` pairs (equal shares where possible)."""
    if n is None or n >= len(pairs):
        return list(pairs)
    rng = random.Random(seed)
    by: dict[str, list[Pair]] = {}
    for p in pairs:
        by.setdefault(p[2], []).append(p)
    share = n // len(by)
    out: list[Pair] = []
    for lab in sorted(by):
        items = by[lab][:]
        rng.shuffle(items)
        out += items[:share]
    rng.shuffle(out)
    return out


def guard_train_path(path: Path, root: Path) -> None:
    rel = path.resolve().relative_to(root.resolve()).as_posix()
    if rel.split("/")[0] in EVAL_ONLY or rel not in TRAIN_ALLOWED:
        raise ValueError(f"{rel} may not train shipped weights")


def averitec_pairs(path: Path) -> list[Pair]:
    """AVeriTeC claims with their question–answer evidence joined into one passage (pair level).

    ``Conflicting Evidence/Cherrypicking`` claims are left out (no stance label fits)."""
    out = []
    for r in json.loads(path.read_text(encoding="utf-8")):
        lab = _MAP.get(r["label"])
        if lab is None:
            continue
        parts = []
        for q in r.get("questions", []):
            answers = " ".join(a.get("answer", "") for a in q.get("answers", []) if a.get("answer"))
            if answers:
                parts.append(f"{q['question']} {answers}")
        if parts:
            out.append((r["claim"].strip(), " ".join(parts), lab))
    return out


def eval_sets(root: Path, fever_n: int = 2000, seed: int = 0) -> dict[str, list[Pair]]:
    """The evaluation sets (none of them trains the shipped head)."""
    sets: dict[str, list[Pair]] = {}
    fever = pairs_from(read_jsonl(root / "fever/dev.jsonl")) + pairs_from(read_jsonl(root / "fever/dev_nei_retrieved.jsonl"))
    sets["fever-dev"] = stratified(fever, fever_n, seed)
    for name, rel in [("fm2-test", "fm2/test.jsonl"), ("scifact-dev", "scifact-rte/dev.jsonl"),
                      ("wice-test", "wice/oracle_chunks_test.jsonl"), ("healthver-dev", "healthver/dev.jsonl")]:
        if (root / rel).is_file():
            sets[name] = pairs_from(read_jsonl(root / rel))
    if (root / "averitec/dev.json").is_file():
        sets["averitec-dev"] = averitec_pairs(root / "averitec/dev.json")
    return sets


def score(gold: list[str], pred: list[str]) -> dict[str, float | int | dict]:
    """Accuracy and macro-F1 over the gold labels present (a prediction outside them counts as wrong)."""
    labels = sorted(set(gold))
    f1s = {}
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred) if g == lab and p != lab)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s[lab] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    acc = sum(1 for g, p in zip(gold, pred) if g == p) / max(1, len(gold))
    return {"n": len(gold), "accuracy": round(acc, 4), "macro_f1": round(float(np.mean(list(f1s.values()))), 4),
            "f1": {k: round(v, 4) for k, v in f1s.items()}, "gold": dict(Counter(gold)),
            "pred": dict(Counter(pred))}
