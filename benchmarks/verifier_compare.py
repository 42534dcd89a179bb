"""Verifiers side by side on the same evaluation samples: accuracy, macro-F1, pairs/s, load time.

Runs every registered verifier among ``baseline``, ``trained`` (frozen
embeddings + head) and ``cross-encoder`` through the evaluation harness
(:func:`factdesk.evaluate.run_eval`) on the same deterministic, label-stratified
samples, and prints one table.  Each verifier judges with its shipped calibrated aggregation,
exactly as ``factdesk check`` would (a verifier without one, like ``trained``, with the
uncalibrated defaults); ``--aggregation raw`` scores every pair by its top stance instead.  Data comes from ``FACTDESK_DATA`` (or
``../shared/data``); nothing is copied into the repository.

Sets (``--sets`` picks some; limits are pairs or claims sampled per set):

* ``fever-sr``    FEVER dev SUPPORTS/REFUTES with gold evidence (2,000)
* ``fever-nei``   FEVER dev NOT_ENOUGH_INFO with retrieved evidence (500)
* ``fever-3way``  a 3-label mix: 700 S + 700 R from dev.jsonl and 700 NEI from
                  dev_nei_retrieved.jsonl (written to a temporary file)
* ``fm2``         FM2 dev (500)
* ``scifact``     SciFact-RTE dev (all 209)
* ``wice``        WiCE dev oracle chunks, claim level (500 claims)
* ``healthver``   HealthVer dev (500) — evaluation only
* ``averitec``    AVeriTeC dev, claim level (500 claims) — evaluation only
* ``averitec-pair`` AVeriTeC dev, all QA evidence joined into one passage (500)
* ``sf-fever-reduced``, ``sf-fever-full``, ``sf-hover-reduced``, ``sf-vitaminc-reduced``
                  SufficientFacts: gold evidence with a part removed, relabelled by people
                  (mostly NOT_ENOUGH_INFO), and the full evidence (all 1,200 / 1,196 / 1,200 / 600)

    python benchmarks/verifier_compare.py --json benchmarks/out/verifier_compare.json
    python benchmarks/verifier_compare.py --sets fever-sr,fm2 --verifiers baseline,cross-encoder
    python benchmarks/verifier_compare.py --verifiers cross-encoder,cross-encoder:head

``cross-encoder:head`` is the cross-encoder reading only each passage's head, as it did
before long passages were read where they are most about the claim.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import machine, print_table, write_json

SETS: dict[str, tuple[str, int | None, str]] = {
    "fever-sr": ("fever/dev.jsonl", 2000, "pair"),
    "fever-nei": ("fever/dev_nei_retrieved.jsonl", 500, "pair"),
    "fever-3way": ("<mix>", None, "pair"),
    "fm2": ("fm2/dev.jsonl", 500, "pair"),
    "scifact": ("scifact-rte/dev.jsonl", None, "pair"),
    "wice": ("wice/oracle_chunks_dev.jsonl", 500, "claim"),
    "healthver": ("healthver/dev.jsonl", 500, "pair"),
    "averitec": ("averitec/dev.json", 500, "claim"),
    "averitec-pair": ("averitec/dev.json", 500, "pair"),
    "sf-fever-reduced": ("sufficient-facts/fever_reduced_evidence.jsonl", None, "pair"),
    "sf-fever-full": ("sufficient-facts/fever_full_evidence.jsonl", None, "pair"),
    "sf-hover-reduced": ("sufficient-facts/hover_reduced_evidence.jsonl", None, "pair"),
    "sf-vitaminc-reduced": ("sufficient-facts/vitaminc_reduced_evidence.jsonl", None, "pair"),
}
VERIFIERS = ["baseline", "trained", "cross-encoder"]


def fever_mix(tmp: Path, per_label: int = 700, seed: int = 0) -> Path:
    """A balanced 3-label FEVER dev file in ``tmp`` (S and R from dev.jsonl, NEI from dev_nei_retrieved.jsonl)."""
    from factdesk.evaluate.readers import resolve_data

    rng = random.Random(seed)
    sr = [json.loads(x) for x in resolve_data("fever/dev.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    nei = [json.loads(x) for x in resolve_data("fever/dev_nei_retrieved.jsonl").read_text(encoding="utf-8").splitlines()
           if x.strip()]
    rows = []
    for lab in ("SUPPORTS", "REFUTES"):
        rows += rng.sample([r for r in sr if r["label"] == lab], per_label)
    rows += rng.sample(nei, per_label)
    path = tmp / "fever_dev_3way.jsonl"
    path.write_text("".join(json.dumps({"claim": r["claim"], "evidence": r["evidence"], "label": r["label"]}) + "\n"
                            for r in rows), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default=",".join(s for s in SETS if not s.startswith("sf-")),
                    help="comma-separated (default: all but the SufficientFacts sets)")
    ap.add_argument("--verifiers", default=",".join(VERIFIERS), help="comma-separated registry names")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every sample size (e.g. 0.25 for a quick look)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--aggregation", choices=["shipped", "raw"], default="shipped",
                    help="judge with each verifier's shipped calibration, as factdesk check does (default), "
                         "or with uncalibrated defaults and each pair's top stance")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    args = ap.parse_args(argv)

    import importlib

    from factdesk import registry
    from factdesk.evaluate import run_eval

    # registers "cross-encoder" when its files exist, even before registry.py lists the module as a built-in
    importlib.import_module("factdesk.verify.cross_encoder")

    available = set(registry.names("verifier"))
    wanted = [v for v in args.verifiers.split(",") if v]
    skipped = [v for v in wanted if v.split(":")[0] not in available]
    verifiers = [v for v in wanted if v.split(":")[0] in available]
    for v in skipped:
        print(f"skipping verifier {v!r}: not registered (its model files are missing?)")

    rows: list[list[Any]] = []
    results: dict[str, Any] = {"machine": machine(), "seed": args.seed, "aggregation": args.aggregation,
                               "sets": {}, "load_s": {}, "skipped": skipped, "decision": {}}
    objs: dict[str, Any] = {}
    for name in verifiers:
        t0 = time.perf_counter()
        base, _, variant = name.partition(":")
        obj = registry.create("verifier", base, **({"windows": False} if variant == "head" else {}))
        obj.warm_up()
        results["load_s"][name] = round(time.perf_counter() - t0, 3)
        objs[name] = obj
    with tempfile.TemporaryDirectory() as tmp:
        for set_name in [s for s in args.sets.split(",") if s]:
            path, limit, level = SETS[set_name]
            if path == "<mix>":
                path = str(fever_mix(Path(tmp), per_label=max(10, int(700 * args.scale)), seed=args.seed))
            if limit is not None:
                limit = max(10, int(limit * args.scale))
            for name in verifiers:
                r = run_eval("verify", path, limit=limit, verifier_obj=objs[name], level=level, seed=args.seed,
                             aggregation=args.aggregation)
                results["decision"][name] = r["aggregation"]
                results["sets"].setdefault(set_name, {})[name] = {
                    k: r.get(k) for k in ("n", "pairs", "label_accuracy", "macro_f1", "macro_f1_labels",
                                          "pairs_per_second", "ece", "confusion", "level")}
                rows.append([set_name, name, r["n"], r["pairs"], f"{r['label_accuracy']:.3f}", f"{r['macro_f1']:.3f}",
                             r["pairs_per_second"], results["load_s"][name]])
                print(f"  {set_name:14s} {name:14s} acc {r['label_accuracy']:.3f} macro-F1 {r['macro_f1']:.3f}",
                      flush=True)
    print()
    print_table(["set", "verifier", "n", "pairs", "accuracy", "macro-F1", "pairs/s", "load s"], rows)
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
