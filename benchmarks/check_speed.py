"""End-to-end speed of checking the demo article.

Measures (1) a warm process: models loaded, the demo corpus indexed, then N
checks of the demo article timed one by one; (2) cold CLI starts:
`factdesk check <demo article>` in a fresh process against the same store.

    python benchmarks/check_speed.py --runs 5 --cold-runs 3 [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="warm checks to time")
    ap.add_argument("--cold-runs", type=int, default=3, help="cold CLI starts to time")
    ap.add_argument("--verifier", default="auto")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()

    from factdesk import demodata
    from factdesk.pipeline import Pipeline
    from factdesk.settings import Settings
    from factdesk.store import Store

    tmp = Path(tempfile.mkdtemp())
    db = tmp / "bench.db"
    with Store.open(db) as store:
        pipe = Pipeline(store, Settings(verifier=args.verifier))
        t0 = time.perf_counter()
        pipe.warm_up()
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        stats = pipe.index_path(demodata.corpus_dir())
        index_s = time.perf_counter() - t0
        warm = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            report = pipe.check(demodata.article_path(), save=False)
            warm.append(time.perf_counter() - t0)
        score = demodata.score_report(report, store=store)

    cold = []
    env = dict(os.environ, FACTDESK_DB=str(db))
    exe = Path(sys.executable).with_name("factdesk")
    for _ in range(args.cold_runs):
        t0 = time.perf_counter()
        subprocess.run([str(exe), "check", str(demodata.article_path()), "--no-save", "--format", "json",
                        "-o", os.devnull], check=True, env=env, capture_output=True)
        cold.append(time.perf_counter() - t0)

    result = {
        "verifier": report["verifier"],
        "claims": len(report["claims"]),
        "documents": stats.added,
        "passages": stats.passages,
        "model_load_s": round(load_s, 3),
        "index_demo_s": round(index_s, 3),
        "warm_check_s_median": round(statistics.median(warm), 3),
        "warm_check_s_max": round(max(warm), 3),
        "cold_cli_check_s_median": round(statistics.median(cold), 3) if cold else None,
        "cold_cli_check_s_max": round(max(cold), 3) if cold else None,
        "demo_label_accuracy": score["label_accuracy"],
        "demo_claims_found": f"{score['claims_found']}/{score['gold_claims']}",
        "demo_evidence_recall": score["evidence_recall"],
    }
    width = max(map(len, result))
    for k, v in result.items():
        print(f"{k:<{width}}  {v}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
