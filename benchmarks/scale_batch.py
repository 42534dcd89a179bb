"""Batch throughput: the same articles with `local` 1 worker, `local` 2 workers and Spark `local[2]`.

The articles are variants of the shipped demo article (real prose written for the demo, about
720 words): variant i keeps the headline, rotates the body's paragraphs by i and leaves one of
them out (a different one for each variant), so each has its own content and a slightly different set of claims.  They go
in a JSONL manifest (text inline, so Spark ships them in the DataFrame), and are checked against
the indexed demo corpus with the default verifier.  Each engine writes to a fresh folder; the
clock covers the whole run (pool or JVM start, model loading, every article), as a user sees it.

Per-core rate: with both cores busy (2 workers, local[2]) one worker's mean seconds per article
is one core's share, so 3600 / that mean is articles per hour per core; the projection for a
cluster divides the daily target by it.

    python benchmarks/scale_batch.py                      # 50 articles, all three engines
    python benchmarks/scale_batch.py --limit 20 --json benchmarks/out/scale_batch.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402,F401 - puts src/ on sys.path

RUNS = [("local", 1, "local 1 worker"), ("local", 2, "local 2 workers"), ("spark", 2, "spark local[2]")]


def demo_variants(n: int) -> list[dict[str, Any]]:
    """``n`` manifest rows: the demo article with its body rotated by i and one paragraph left out."""
    from factdesk import demodata, ingest

    doc = ingest.load(demodata.article_path())
    paras = [p for p in doc.text.split("\n\n") if p.strip()]
    head, body = paras[0], paras[1:]
    rows = []
    for i in range(n):
        k = i % len(body)
        rotated = body[k:] + body[:k]
        kept = [p for j, p in enumerate(rotated) if j != (i // len(body)) % len(rotated)]
        rows.append({"id": f"demo-{i:03d}", "title": doc.title, "published": doc.published,
                     "text": head + "\n\n" + "\n\n".join(kept) + "\n"})
    return rows


def measure(manifest: Path, out: Path, db: Path, engine: str, workers: int, verifier: str,
            start_method: str = "fork") -> dict[str, Any]:
    from factdesk.scale import run_batch
    from factdesk.settings import load_settings

    shutil.rmtree(out, ignore_errors=True)
    seconds: list[float] = []
    first: list[float] = []
    t0 = time.perf_counter()

    def on_outcome(o: Any) -> None:
        seconds.append(o.seconds)
        if not first:
            first.append(time.perf_counter() - t0)

    summary = run_batch(manifest, out=out, engine=engine, workers=workers, db=str(db),
                        settings=load_settings(verifier=verifier), master=f"local[{workers}]",
                        start_method=start_method, on_outcome=on_outcome)
    wall = time.perf_counter() - t0
    return {"engine": engine, "workers": workers, "articles": summary.articles, "done": summary.done,
            "failed": summary.failed, "seconds": round(wall, 1),
            "articles_per_hour": round(3600 * summary.done / wall, 1),
            "first_result_s": round(first[0], 2) if first else None,
            "mean_article_s": round(statistics.mean(seconds), 2) if seconds else None}


def verdicts(folder: Path) -> dict[str, list[str | None]]:
    found = {}
    for f in sorted(folder.glob("*.json")):
        data = json.loads(f.read_text(encoding="utf-8"))
        found[f.stem] = [c["verdict"]["label"] if c["verdict"] else None for c in data["claims"]]
    return found


def summarise(results: list[dict[str, Any]], same: bool | None, per_day: int,
              project_seconds: list[float]) -> dict[str, Any] | None:
    """Print the table, the per-core rate and the cluster projection; returns the projection."""
    base = results[0]["articles_per_hour"]
    for r in results:
        r["ratio_to_local_1"] = round(r["articles_per_hour"] / base, 2) if base else None
    print("\n| engine | seconds | articles/hour | ratio to local 1 | first report (s) | mean s/article |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['label']} | {r['seconds']} | {r['articles_per_hour']:.0f} | {r['ratio_to_local_1']:.2f} | "
              f"{r['first_result_s']} | {r['mean_article_s']} |")
    if same is not None:
        print(f"\nsame verdicts for every article on all three engines: {same}")
    # one core's rate: a worker's mean seconds per article while both cores were busy
    busy = [r for r in results if r["workers"] == 2 and r["mean_article_s"]]
    if not busy:
        return None
    core_seconds = statistics.mean(r["mean_article_s"] for r in busy)
    per_core = 3600 / core_seconds
    per_hour = per_day / 24
    projection: dict[str, Any] = {"per_core_articles_per_hour": round(per_core, 1), "articles_per_day": per_day,
                                  "core_seconds_per_article": round(core_seconds, 2),
                                  "cores_needed": round(per_hour / per_core, 1), "at_seconds": {}}
    print(f"\nper core: {per_core:.0f} articles/hour ({core_seconds:.2f} core-seconds an article, both cores busy, "
          f"this store); {per_day} articles a day = {per_hour:.0f}/hour needs {per_hour / per_core:.1f} cores, "
          f"{per_day * core_seconds / 3600:.0f} core-hours a day (cores = articles/day x core-seconds an article "
          "/ 86400)")
    for sec in project_seconds:
        cores = per_day * sec / 86400
        projection["at_seconds"][str(sec)] = round(cores, 1)
        print(f"  at {sec:g} core-seconds an article: {cores:.1f} cores, {per_day * sec / 3600:.0f} core-hours a day")
    return projection


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=50, help="articles (default 50)")
    ap.add_argument("--verifier", default="auto", help="verifier (default: auto, as `factdesk check`)")
    ap.add_argument("--skip-spark", action="store_true", help="only the local engine")
    ap.add_argument("--start-methods", default="fork,spawn",
                    help="also time the local pool's start methods (2 workers, first 4 articles); '' for none")
    ap.add_argument("--per-day", type=int, default=100_000, help="articles a day for the projection")
    ap.add_argument("--project-seconds", default="", type=lambda v: [float(x) for x in v.split(",") if x],
                    help="also project the cluster at these core-seconds per article (e.g. a larger store's)")
    ap.add_argument("--from-json", help="print the table and projection of an earlier run's --json file, no run")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        print(f"{saved['articles']} articles ({saved['words']} words on average), demo store of {saved['passages']} "
              f"passages, verifier {saved['verifier']} (from {args.from_json})")
        summarise(saved["runs"], saved["same_verdicts"], args.per_day, args.project_seconds)
        return

    from factdesk import demodata
    from factdesk.pipeline import Pipeline
    from factdesk.settings import load_settings
    from factdesk.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="scale-batch-"))
    db = tmp / "demo.db"
    with Store.open(db) as store:
        Pipeline.from_settings(load_settings(), store=store).index_path(demodata.corpus_dir())
        passages = store.count("passages")
    rows = demo_variants(args.limit)
    manifest = tmp / "articles.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    words = statistics.mean(len(r["text"].split()) for r in rows)
    print(f"{len(rows)} articles (demo article variants, {words:.0f} words on average), demo store of {passages} "
          f"passages, verifier {args.verifier}, {os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f} "
          "at the start (other work on the machine slows every engine)", flush=True)

    results = []
    for engine, workers, label in RUNS:
        if engine == "spark" and args.skip_spark:
            continue
        r = measure(manifest, tmp / f"out-{engine}-{workers}", db, engine, workers, args.verifier)
        r["label"] = label
        results.append(r)
        print(f"  {label:16s} {r['seconds']:7.1f} s  {r['articles_per_hour']:8.1f} articles/hour  "
              f"first report {r['first_result_s']} s  mean {r['mean_article_s']} s/article  "
              f"({r['done']} done, {r['failed']} failed)", flush=True)
    same = None
    if len(results) == 3:
        same = verdicts(tmp / "out-spark-2") == verdicts(tmp / "out-local-1") == verdicts(tmp / "out-local-2")
    projection = summarise(results, same, args.per_day, args.project_seconds)

    methods = []
    for method in [m for m in args.start_methods.split(",") if m]:
        small = tmp / "small.jsonl"
        small.write_text("".join(json.dumps(r) + "\n" for r in rows[:4]), encoding="utf-8")
        r = measure(small, tmp / f"out-{method}", db, "local", 2, args.verifier, start_method=method)
        r["start_method"] = method
        methods.append(r)
        print(f"start method {method:10s}: first report {r['first_result_s']} s, 4 articles in {r['seconds']} s")

    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"articles": len(rows), "words": round(words), "passages": passages,
                                               "verifier": args.verifier, "runs": results, "same_verdicts": same,
                                               "projection": projection, "start_methods": methods}, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":  # the spawn start method imports this module again in each worker
    main()
