"""Fuzzing check, index and reviews import with generated hostile inputs (issue 17).

    python benchmarks/fuzz.py [--articles 600] [--index 100] [--reviews 400] [--json benchmarks/out/fuzz.json]

Inputs come from :mod:`factdesk.testing.hostile` (deterministic, seed 0): HTML with tens of thousands of
attributes or nesting levels, a multi-MB sentence, tens of thousands of sentences, invalid bytes, lying
charsets, UTF-16, binary data under text names, fake PDFs, empty files, script soup, unclosed markup;
and for ``reviews import`` deeply nested JSON, wrong JSON-LD shapes, huge CSV cells, odd line endings,
unterminated quotes, binary and UTF-16 exports, broken JSON-LD blocks in HTML.

* **check**: each article through ``Pipeline.check`` (baseline verifier and heuristic scorer, so the
  run measures the reading and claim stages, not model speed) over one store;
* **index**: folders of ten hostile files each through ``Pipeline.index_path`` (embeddings included; the
  multi-MB valid texts are left out here, since embedding them is ordinary work linear in their size);
* **reviews import**: each export through ``import_reviews`` (no vectors).

For every input it records the outcome (a report / a clear refusal: a ``FactdeskError`` / a *traceback*:
any other exception), the wall time, and the process's peak resident memory after it (one process, so the
peak is a running maximum). After every input the store passes ``PRAGMA integrity_check`` and a report
saved before the run is byte-for-byte unchanged. The targets: 0 tracebacks, every input within the
stated bounds.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from _common import machine, print_table, write_json

TIME_BOUND_S = 60.0  # per input (one article, one folder of ten files, one export)
MEMORY_BOUND_MB = 4096


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=600)
    ap.add_argument("--index", type=int, default=100, help="hostile files to index, in folders of ten")
    ap.add_argument("--reviews", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json")
    args = ap.parse_args()

    from factdesk.errors import FactdeskError
    from factdesk.match.importer import import_reviews
    from factdesk.pipeline import Pipeline
    from factdesk.settings import Settings
    from factdesk.store import Store
    from factdesk.testing.hostile import article_inputs, review_inputs

    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="factdesk-fuzz-"))
    with Store.open(work / "fd.db") as store:
        pipe = Pipeline(store, Settings(verifier="baseline", checkworthiness="heuristic"))
        first = work / "first.txt"
        first.write_text("The Harbour dam opened in 1998 and cost $40 million, the council said.")
        earlier = pipe.check(first)
        saved = json.dumps(store.get_report(earlier["id"]), sort_keys=True)

        def intact() -> bool:
            return (store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                    and json.dumps(store.get_report(earlier["id"]), sort_keys=True) == saved)

        def run(task: str, name: str, size: int, fn: Any) -> None:
            t = time.perf_counter()
            try:
                fn()
                outcome = "done"
            except FactdeskError:
                outcome = "refused"
            except Exception as exc:  # noqa: BLE001 - a traceback is exactly what this counts
                outcome = "traceback"
                print(f"TRACEBACK {task} {name}: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)
            rows.append({"task": task, "input": name, "kind": name.split("-", 1)[1].rsplit(".", 1)[0],
                         "bytes": size, "outcome": outcome, "seconds": round(time.perf_counter() - t, 3),
                         "peak_mb": round(peak_mb(), 1), "store_intact": intact()})

        for name, data in article_inputs(args.articles, seed=args.seed):
            path = work / name
            path.write_bytes(data)
            run("check", name, len(data), lambda p=path: pipe.check(p))
            path.unlink()
            print(f"\rcheck {len(rows)}/{args.articles}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        batch: list[tuple[str, bytes]] = []
        # the multi-MB valid texts are left out of indexing: embedding them is real work, linear in their size
        # (reported by benchmarks/index_speed.py), not a hostile-input problem
        light = [(name, data) for name, data in article_inputs(args.index * 2, seed=args.seed + 1)
                 if len(data) < 150_000][:args.index]
        for n, (name, data) in enumerate(light, 1):
            batch.append((name, data))
            if len(batch) == 10 or n == len(light):
                folder = work / f"corpus-{n:05d}"
                folder.mkdir()
                for fname, fdata in batch:
                    (folder / fname).write_bytes(fdata)
                run("index", f"{n:05d}-folder-of-{len(batch)}.dir", sum(len(d) for _, d in batch),
                    lambda f=folder: pipe.index_path(f))
                batch = []
        for name, data in review_inputs(args.reviews, seed=args.seed):
            path = work / name
            path.write_bytes(data)
            run("reviews import", name, len(data), lambda p=path: import_reviews(store, p, embedder=None))
            path.unlink()

    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_task[r["task"]].append(r)
    table = []
    for task, rs in by_task.items():
        c = Counter(r["outcome"] for r in rs)
        secs = sorted(r["seconds"] for r in rs)
        table.append([task, len(rs), c["done"], c["refused"], c["traceback"],
                      secs[len(secs) // 2], secs[int(len(secs) * 0.95) - 1 if len(secs) > 1 else 0], secs[-1],
                      sum(not r["store_intact"] for r in rs)])
    kinds = defaultdict(list)
    for r in rows:
        kinds[(r["task"], r["kind"])].append(r["seconds"])
    slowest = sorted(((max(v), k) for k, v in kinds.items()), reverse=True)[:5]
    total = {"inputs": len(rows), "tracebacks": sum(r["outcome"] == "traceback" for r in rows),
             "max_seconds": max(r["seconds"] for r in rows), "peak_mb": round(peak_mb(), 1),
             "store_damaged": sum(not r["store_intact"] for r in rows),
             "within_time_bound": all(r["seconds"] <= TIME_BOUND_S for r in rows),
             "within_memory_bound": peak_mb() <= MEMORY_BOUND_MB}
    print(f"{total['inputs']} hostile inputs, seed {args.seed}; bounds: {TIME_BOUND_S:.0f} s per input, "
          f"{MEMORY_BOUND_MB} MB peak")
    print_table(["task", "inputs", "done", "refused", "tracebacks", "p50 s", "p95 s", "max s", "store damaged"], table)
    print("slowest kinds: " + "; ".join(f"{task}/{kind} {s:.1f} s" for s, (task, kind) in slowest))
    print(f"tracebacks {total['tracebacks']}; max {total['max_seconds']:.1f} s per input (bound {TIME_BOUND_S:.0f}); "
          f"peak memory {total['peak_mb']:.0f} MB (bound {MEMORY_BOUND_MB}); store damaged after "
          f"{total['store_damaged']} inputs; {time.perf_counter() - started:.0f} s")
    if args.json:
        write_json(args.json, {"machine": machine(), "seed": args.seed, "bounds": {"seconds": TIME_BOUND_S,
                   "peak_mb": MEMORY_BOUND_MB}, "total": total, "rows": rows})
    return None if total["tracebacks"] == 0 and total["store_damaged"] == 0 else sys.exit(1)


if __name__ == "__main__":
    main()
