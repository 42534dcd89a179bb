"""Does a pair's stance depend on the other pairs judged in the same batch?  The cross-encoder by batch size.

    python benchmarks/verifier_batching.py [--pairs 600] [--sizes 1 4 8 32] [--rounds 3] [--json FILE]

The pairs are the first ``--pairs`` (claim, evidence) pairs of FEVER dev (``fever/dev.jsonl`` under the data
roots, evaluation only) or, without it, demo claims against demo corpus passages (our own text), shuffled
with seed 0.  For each batch size the shipped cross-encoder scores every pair through the verifier's own
batching (``CrossEncoderVerifier._run``: pairs sorted by length, consecutive batches); the logits are
compared with batch size 1, where each pair is alone: the largest absolute difference and how many pairs'
top stance differs.  Batch size 1 is also run on the pairs in reverse order, to show that it does not move.
Speed: the sizes alternate for ``--rounds`` rounds in one process (2 threads), the best round is kept.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from typing import Any

from _common import machine, print_table, write_json


def pairs(n: int) -> tuple[list[tuple[str, str]], str]:
    from factdesk.evaluate.readers import resolve_data

    try:
        path = resolve_data("fever/dev.jsonl")
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        out = [(r["claim"], r["evidence"]) for r in rows if r.get("claim") and r.get("evidence")]
        source = f"FEVER dev ({path})"
    except Exception:  # noqa: BLE001 - no data folder: the demo's own text
        from factdesk import demodata
        from factdesk.ingest import load_file
        from factdesk.retrieve import make_passages

        passages = [p.text for f in sorted(demodata.corpus_dir().iterdir()) for p in make_passages(load_file(f))]
        claims = [c["text"] for c in demodata.load_gold()["claims"]]
        out = [(c, p) for c in claims for p in passages]
        source = "the demo corpus"
    random.Random(0).shuffle(out)
    return out[:n], source


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=int, default=600)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 8, 32])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    import numpy as np

    from factdesk.verify.cross_encoder import CrossEncoderVerifier

    data, source = pairs(args.pairs)
    verifier = CrossEncoderVerifier()
    verifier.warm_up()
    assert verifier._encoder is not None
    encoded = verifier._encoder.encode(data)

    def run(size: int, items: list[Any]) -> Any:
        verifier.batch_size = size
        return verifier._run(items)

    alone = run(1, encoded)
    reversed_alone = run(1, encoded[::-1])[::-1]
    seconds: dict[int, list[float]] = {s: [] for s in args.sizes}
    logits: dict[int, Any] = {}
    for _ in range(args.rounds):
        for size in args.sizes:
            t = time.perf_counter()
            logits[size] = run(size, encoded)
            seconds[size].append(time.perf_counter() - t)
    rows, results = [], []
    for size in args.sizes:
        diff = float(np.abs(logits[size] - alone).max())
        flips = int((logits[size].argmax(axis=1) != alone.argmax(axis=1)).sum())
        rate = len(encoded) / min(seconds[size])
        results.append({"batch_size": size, "max_logit_difference": diff, "stance_changes": flips,
                        "pairs_per_s": rate, "seconds": seconds[size]})
        rows.append([size, f"{diff:.3f}", f"{flips} of {len(encoded)}", f"{rate:,.0f}"])
    print(f"{len(encoded)} pairs from {source}; batch size 1 on the reversed order: largest logit difference "
          f"{float(np.abs(reversed_alone - alone).max()):.3g}")
    print_table(["batch size", "largest logit difference from size 1", "top stance changed", "pairs/s"], rows)
    write_json(args.json, {"machine": machine(), "source": source, "pairs": len(encoded),
                           "size1_reversed_max_difference": float(np.abs(reversed_alone - alone).max()),
                           "results": results})


if __name__ == "__main__":
    main()
