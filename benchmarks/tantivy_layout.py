"""Issue 15 follow-up: which tantivy index layout ranks closer to SQLite FTS5's ``bm25(passages_fts, 1.0, 0.5)``.

FTS5 scores a passage as one BM25 over its row: each query term's frequency is the column-weighted
sum (text 1.0, title 0.5) and the row's total length is the document length.  Two tantivy layouts:

* **tantivy-fields** (format 1, the first shipped one): fields ``text`` and ``title``, a BM25 each
  (each field with its own length and average), the title's boosted 0.5, summed;
* **tantivy-body** (format 2, ``factdesk.retrieve.lexical_tantivy`` as it is now): title and text
  in one ``body`` field, one BM25 over the passage (a title word weighs 1.0, not 0.5).

One run over a cached ``benchmarks/out/scale_check_<N>.db`` (opened read-only; the indexes are
built in a temporary folder): the demo claims (as ``factdesk check`` extracts them) and the first
``--queries`` FEVER dev claims are sent to FTS5 (unpruned, and pruned as shipped) and to both
layouts with the same query words; per engine: the mean top-10 overlap with FTS5 unpruned and with
FTS5 pruned, how often the first passage is the same, demo evidence recall@top_k and FEVER
recall@10 (the measures and query sets of ``lexical_engines.py``, whose helpers this reuses).

Usage::

    .venv/bin/python benchmarks/tantivy_layout.py --sizes 10000 --json benchmarks/out/tantivy_layout.json
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import OUT, ROOT, print_table, write_json

import lexical_engines as le

ENGINES = ["fts5-unpruned", "fts5-pruned", "tantivy-fields", "tantivy-body"]


def build_body(store: Path, work: Path) -> Any:
    """The shipped layout, built with lexical_tantivy's own schema and documents; searched by its own code."""
    import tantivy

    from factdesk.retrieve import lexical_tantivy as lt

    out = work / "tantivy-body"
    out.mkdir()
    index = tantivy.Index(lt._schema(), path=str(out))
    writer = index.writer(heap_size=512_000_000, num_threads=1)
    for rows in le.passage_batches(store):
        for rid, text, title in rows:
            writer.add_document(lt._document(tantivy, rid, text, title))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return lt.TantivyIndex(index, None, None, out)


def searchers(store: Path, work: Path) -> dict[str, Any]:
    from factdesk.retrieve.fusion import query_terms

    out: dict[str, Any] = {"fts5-unpruned": le.open_searcher("fts5-unpruned", store, work),
                           "fts5-pruned": le.open_searcher("fts5-pruned", store, work)}
    t0 = time.perf_counter()
    le.build_tantivy(store, work, 1, 512)  # the two-field layout (format 1), lexical_engines' own build
    out["tantivy-fields"] = le.open_searcher("tantivy", store, work)
    print(f"  tantivy-fields built in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    body = build_body(store, work)
    print(f"  tantivy-body built in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    out["tantivy-body"] = lambda q: [r for r, _ in body.search(query_terms(q), le.DEPTH)]
    return out


def measure(size: int, n_fever: int) -> dict[str, Any]:
    from factdesk.settings import Settings

    store = OUT / f"scale_check_{size}.db"
    if not store.exists():
        raise SystemExit(f"{store} is missing: build it with benchmarks/scale_check.py --sizes {size} --build-only")
    top_k = Settings().top_k
    fever = le.fever_queries(store, n_fever)
    demo = le.demo_queries(store)
    queries = [f["query"] for f in fever] + [d["query"] for d in demo]
    work = Path(tempfile.mkdtemp(prefix=f"tantivy_layout_{size}_"))
    try:
        search = searchers(store, work)
        results = {e: [search[e](q) for q in queries] for e in ENGINES}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    doc_of, files = le.documents_of(store, {r for rs in results.values() for q in rs for r in q})
    nf = len(fever)
    entry: dict[str, Any] = {"passages": size, "fever_claims": nf, "demo_claims": len(demo), "top_k": top_k,
                             "failed_queries": len(set(le.FAILED_QUERIES)), "engines": {}}

    def overlap(rs: list[list[int]], base: list[list[int]], part: slice) -> float:
        vals = [len(set(a[:10]) & set(b[:10])) / max(1, min(10, len(b[:10]))) for a, b in zip(rs[part], base[part])]
        return round(float(np.mean(vals)), 3) if vals else float("nan")

    def same_first(rs: list[list[int]], base: list[list[int]], part: slice) -> float:
        vals = [float(bool(a) and bool(b) and a[0] == b[0]) for a, b in zip(rs[part], base[part])]
        return round(float(np.mean(vals)), 3) if vals else float("nan")

    for e, rs in results.items():
        row: dict[str, Any] = {}
        for label, part in (("demo", slice(nf, None)), ("fever", slice(0, nf))):
            for b in ("fts5-unpruned", "fts5-pruned"):
                row[f"{label}_top10_overlap_vs_{b}"] = overlap(rs, results[b], part)
            row[f"{label}_same_first_vs_fts5-unpruned"] = same_first(rs, results["fts5-unpruned"], part)
        row["fever_recall@10"] = round(float(np.mean(
            [float(f["gold_document"] is not None and f["gold_document"] in {doc_of.get(r) for r in rs[i][:10]})
             for i, f in enumerate(fever)])), 3)
        row[f"demo_evidence_recall@{top_k}"] = round(float(np.mean(
            [float(bool(set(d["gold_files"]) & {files.get(doc_of.get(r, ""), "") for r in rs[nf + i][:top_k]}))
             for i, d in enumerate(demo)])), 3)
        entry["engines"][e] = row
    return entry


def print_entry(entry: dict[str, Any]) -> None:
    k = entry["top_k"]
    print(f"\n{entry['passages']:,} passages: {entry['demo_claims']} demo claims, {entry['fever_claims']} FEVER "
          f"claims (queries failed: {entry['failed_queries']})")
    cols = ["demo_top10_overlap_vs_fts5-unpruned", "demo_top10_overlap_vs_fts5-pruned",
            "demo_same_first_vs_fts5-unpruned", "fever_top10_overlap_vs_fts5-unpruned",
            "fever_top10_overlap_vs_fts5-pruned", "fever_same_first_vs_fts5-unpruned",
            f"demo_evidence_recall@{k}", "fever_recall@10"]
    print_table(["engine", "demo top-10 overlap (unpruned)", "demo (pruned)", "demo same 1st", "FEVER top-10 "
                 "overlap (unpruned)", "FEVER (pruned)", "FEVER same 1st", f"demo recall@{k}", "FEVER R@10"],
                [[e] + [r[c] for c in cols] for e, r in entry["engines"].items()])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000])
    ap.add_argument("--queries", type=int, default=400, help="FEVER dev claims (the first N)")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    uptime = lambda: subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()  # noqa: E731
    results: dict[str, Any] = {"command": " ".join(sys.argv), "uptime_before": uptime(), "sizes": [],
                               "cpus": os.cpu_count(), "root": str(ROOT)}
    for size in args.sizes:
        entry = measure(size, args.queries)
        results["sizes"].append(entry)
        print_entry(entry)
        write_json(args.json, results)
    results["uptime_after"] = uptime()
    print(f"\nuptime before: {results['uptime_before']}\nuptime after:  {results['uptime_after']}")
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
