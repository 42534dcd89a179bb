"""``python -m factdesk.evaluate TASK DATA [options]``: the harness without the CLI wiring."""

from __future__ import annotations

import argparse
import json
import sys

from factdesk.errors import FactdeskError
from factdesk.evaluate import TASKS, format_table, run_eval


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m factdesk.evaluate", description=__doc__)
    ap.add_argument("task", choices=TASKS)
    ap.add_argument("data", help="a file/folder, or a name under $FACTDESK_DATA such as fever/dev.jsonl")
    ap.add_argument("--limit", type=int, help="evaluate a label-stratified sample of N items (seeded)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verifier", default="baseline")
    ap.add_argument("--scorer", default="heuristic")
    ap.add_argument("--corpus", help="open task: corpus folder or passages JSONL")
    ap.add_argument("--level", default="auto", choices=["auto", "pair", "claim"])
    ap.add_argument("--threshold", type=float, default=0.5, help="checkworthy cut-off")
    ap.add_argument("--mode", default="hybrid", choices=["hybrid", "lexical", "dense"])
    ap.add_argument("--aggregation", default="shipped", choices=["shipped", "raw"],
                    help="the verifier's calibrated aggregation (as factdesk check) or uncalibrated defaults")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--progress", action="store_true")
    args = ap.parse_args(argv)
    try:
        result = run_eval(args.task, args.data, limit=args.limit, verifier=args.verifier, scorer=args.scorer,
                          corpus=args.corpus, progress=args.progress, seed=args.seed, level=args.level,
                          threshold=args.threshold, mode=args.mode, aggregation=args.aggregation)
    except FactdeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(json.dumps(result, indent=2) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
