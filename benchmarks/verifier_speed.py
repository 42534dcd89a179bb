"""Speed of a learned verifier: model load time and (claim, passage) pairs/s.

Generates news-like claims and passages (distinct texts, so no cache ever helps), then times
the verifier's ``stances`` on batches the way the pipeline calls it (one claim against its k
passages at a time), and once more on one large batch.  The baseline is timed on the same pairs.
``--verifier`` picks the registered verifier: ``cross-encoder`` (the shipped default) or
``trained`` (the embedding + head verifier).  Target: >= 100 pairs/s on 2 threads.

    python benchmarks/verifier_speed.py --pairs 1000 --json benchmarks/out/verifier_speed.json
    python benchmarks/verifier_speed.py --verifier trained
"""

from __future__ import annotations

import argparse
import random
import time

from _common import machine, passage_text, print_table, query_text, write_json

TARGET = 100.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=1000, help="pairs to judge (default 1000)")
    ap.add_argument("--k", type=int, default=5, help="passages per claim (default 5, as in the pipeline)")
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads (default 2)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--verifier", default="cross-encoder", help="registered verifier (default cross-encoder)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    from factdesk import registry
    from factdesk.verify.baseline import BaselineVerifier

    settings: dict[str, object] = {"threads": args.threads}
    if args.verifier == "trained":
        settings["cache_size"] = 0  # distinct texts anyway; no cache hits flatter the figure
    v = registry.create("verifier", args.verifier, **settings)
    import_s = time.perf_counter() - t0

    rng = random.Random(args.seed)
    n_claims = max(1, args.pairs // args.k)
    claims = [f"{query_text(rng)} (#{i})" for i in range(n_claims)]
    pairs = [(c, f"{passage_text(rng)} [{i}-{j}]") for i, c in enumerate(claims) for j in range(args.k)]

    t0 = time.perf_counter()
    v.warm_up()
    load_s = time.perf_counter() - t0
    v.stances(pairs[:8])  # first-call overheads (onnxruntime allocations) out of the timings

    # pipeline-shaped calls: one claim at a time against its k passages
    per_claim = [pairs[i:i + args.k] for i in range(0, len(pairs), args.k)]
    half = per_claim[: max(1, len(per_claim) // 2)]
    t0 = time.perf_counter()
    for batch in half:
        v.stances(batch)
    small_s = time.perf_counter() - t0
    n_small = sum(len(b) for b in half)
    # one big call (e.g. a whole article's claims at once)
    rest = [p for b in per_claim[len(half):] for p in b]
    t0 = time.perf_counter()
    v.stances(rest)
    big_s = time.perf_counter() - t0
    base = BaselineVerifier()
    t0 = time.perf_counter()
    base.stances(pairs)
    base_s = time.perf_counter() - t0

    result = {
        "machine": machine(),
        "threads": args.threads,
        "verifier": args.verifier,
        "import_s": round(import_s, 3),
        "model_load_s": round(load_s, 3),
        "pairs_per_s_per_claim_calls": round(n_small / small_s, 1),
        "pairs_per_s_one_call": round(len(rest) / big_s, 1) if rest else None,
        "baseline_pairs_per_s": round(len(pairs) / base_s, 1),
        "pairs": len(pairs),
        "k": args.k,
        "target_pairs_per_s": TARGET,
    }
    print_table(["measure", "value"], [[k, v_] for k, v_ in result.items() if k != "machine"])
    ok = result["pairs_per_s_per_claim_calls"] >= TARGET
    print(f"target >= {TARGET:.0f} pairs/s (per-claim calls): {'met' if ok else 'NOT met'}")
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
