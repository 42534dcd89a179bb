"""Query latency of SqliteIndex.search in lexical, dense and hybrid modes at several corpus sizes.

For each size a store of generated news-like passages is built once and
cached under benchmarks/out/ (rebuilt with --rebuild).  To save time the
passages get precomputed **random unit vectors** instead of real embeddings:
brute-force dense search costs the same whatever the vectors hold, and every
query is still embedded with the real default embedder, so the timings
include the query embedding.  Each mode runs the same queries (default 200);
the first dense query of each size pays the one-off load of the vector
matrix, reported separately as ``cold_load_s`` and excluded from p50/p95.
Target: hybrid p95 <= 200 ms at 100,000 passages on a 2-core box.

    python benchmarks/query_latency.py --sizes 10000 100000 --json benchmarks/out/query_latency.json
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np
from _common import building_store, random_unit_vectors, OUT, machine, passage_text, print_table, query_text, random_date, summary_ms, write_json

TARGET_P95_MS = 200.0
PASSAGES_PER_DOC = 5


def build_store(path: Path, size: int, dim: int, seed: int) -> None:
    """A store with ``size`` generated passages (random unit vectors), written in one transaction."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    t = time.perf_counter()
    with building_store(path) as store:
        conn = store.conn  # synthetic rows written in bulk, below the store's API
        with store.transaction():
            for start in range(0, size, 5000):
                n = min(5000, size - start)
                vecs = random_unit_vectors(nrng, n, dim)
                docs, rows = [], []
                for i in range(n):
                    g = start + i
                    d = g // PASSAGES_PER_DOC
                    doc_id = f"dbench{d:08d}"
                    if g % PASSAGES_PER_DOC == 0:
                        docs.append((doc_id, f"Synthetic report {d}", random_date(rng)))
                    text = passage_text(rng)
                    rows.append((f"pbench{g:09d}", doc_id, g % PASSAGES_PER_DOC, 0, len(text), text,
                                 f"Synthetic report {d}", None, vecs[i].astype("<f4").tobytes()))
                conn.executemany(
                    "INSERT INTO documents(id, role, title, published, kind, text, added_at) "
                    "VALUES (?, 'corpus', ?, ?, 'text', '', '2024-01-01')", docs)
                conn.executemany(
                    'INSERT INTO passages(id, document_id, position, start, "end", text, title, published, vector) '
                    "VALUES (?,?,?,?,?,?,?,?,?)", rows)
            conn.execute(
                "UPDATE passages SET published = (SELECT published FROM documents WHERE documents.id = passages.document_id)"
            )
        store.conn.execute("INSERT INTO passages_fts(passages_fts) VALUES ('optimize')")
        store.conn.commit()
    print(f"built {path.name}: {size} passages in {time.perf_counter() - t:.1f} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000], help="corpus sizes in passages")
    ap.add_argument("--queries", type=int, default=200, help="queries per size and mode (default 200)")
    ap.add_argument("-k", type=int, default=10, help="hits per query (default 10)")
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads (default 2)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached stores")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    args = ap.parse_args(argv)

    from factdesk.retrieve import OnnxMiniLMEmbedder, SqliteIndex
    from factdesk.store import Store

    embedder = OnnxMiniLMEmbedder(threads=args.threads)
    embedder.warm_up()
    OUT.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    queries = [query_text(rng) for _ in range(args.queries)]
    results, rows = [], []
    for size in args.sizes:
        path = OUT / f"query_latency_{size}.db"
        if args.rebuild or not path.exists():
            path.unlink(missing_ok=True)
            build_store(path, size, embedder.dim, seed=size)
        store = Store.open(path)
        index = SqliteIndex(store, embedder)
        t = time.perf_counter()
        index.search("warm up the vector cache", k=args.k, mode="dense")
        cold = time.perf_counter() - t
        entry = {"size": store.count("passages"), "cold_load_s": round(cold, 3), "modes": {}}
        for mode in ("lexical", "dense", "hybrid"):
            times, got = [], 0
            for q in queries:
                t = time.perf_counter()
                hits = index.search(q, k=args.k, mode=mode)
                times.append(time.perf_counter() - t)
                got += len(hits)
            s = summary_ms(times)
            s["mean_hits"] = round(got / len(queries), 2)
            entry["modes"][mode] = s
            rows.append([size, mode, s["p50_ms"], s["p95_ms"], s["max_ms"], s["mean_hits"]])
        # a date-restricted hybrid query runs two fused searches
        times = []
        for q in queries:
            t = time.perf_counter()
            index.search(q, k=args.k, mode="hybrid", before="2019-06-30")
            times.append(time.perf_counter() - t)
        s = summary_ms(times)
        entry["modes"]["hybrid+before"] = s
        rows.append([size, "hybrid+before", s["p50_ms"], s["p95_ms"], s["max_ms"], ""])
        # batched: one embedding call for all queries
        t = time.perf_counter()
        index.search_many(queries, k=args.k)
        entry["search_many_ms_per_query"] = round((time.perf_counter() - t) * 1000 / len(queries), 2)
        rows.append([size, "search_many (per q)", entry["search_many_ms_per_query"], "", "", ""])
        results.append(entry)
        store.close()

    print("passages carry random unit vectors (not real embeddings); each query is embedded for real")
    print_table(["passages", "mode", "p50 ms", "p95 ms", "max ms", "hits"], rows)
    for e in results:
        print(f"cold vector load at {e['size']}: {e['cold_load_s']} s")
    big = max(results, key=lambda e: e["size"]) if results else None
    verdict = None
    if big:
        p95 = max(m["p95_ms"] for name, m in big["modes"].items() if name in ("lexical", "dense", "hybrid"))
        verdict = p95 <= TARGET_P95_MS
        print(f"target p95 <= {TARGET_P95_MS:.0f} ms at {big['size']} passages: {'met' if verdict else 'NOT met'}"
              f" (worst mode p95 {p95} ms)")
    write_json(args.json, {"benchmark": "query_latency", "k": args.k, "queries": len(queries),
                           "vectors": "random unit vectors (query embedding is real)", "results": results,
                           "target_p95_ms": TARGET_P95_MS, "meets_target": verdict,
                           "embedder": embedder.name, "threads": args.threads, "machine": machine()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
