"""Claim-matching latency: one claim against N stored fact-checks (ClaimMatcher.match, k=5).

For each size a store of generated fact-check claims (with titles) is built once
and cached under benchmarks/out/ (rebuilt with --rebuild).  To save time the
records get **random unit vectors** (claim and title) instead of real embeddings (the dense scan costs the
same whatever the vectors hold); every query is still embedded with the real
default embedder, so the timings include query embedding, FTS5 BM25,
the dense scan, fetching the candidates and re-ranking.  The first query of
each size pays the one-off load of the vector matrix into memory (int8, 384
bytes per record), reported as ``cold_load_s`` and excluded from p50/p95.

    python benchmarks/match_latency.py --sizes 10000 100000 1000000 --json benchmarks/out/match_latency.json

Each size is timed twice over the same queries: as a running process sees them
(term document counts cached, :func:`factdesk.match.reviews.document_frequency`)
and with that cache emptied before every query (every term new).

Target: p95 <= 100 ms at 1,000,000 records on a 2-core box.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from pathlib import Path

import numpy as np
from _common import building_store, random_unit_vectors, OUT, machine, print_table, query_text, random_date, sentence, summary_ms, write_json

TARGET_P95_MS = 100.0


def build_store(path: Path, size: int, dim: int, seed: int) -> None:
    from factdesk.types import content_id

    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    t = time.perf_counter()
    with building_store(path) as store, store.transaction():
        conn = store.conn  # synthetic rows written in bulk, below the store's API
        for start in range(0, size, 10000):
            n = min(10000, size - start)
            vecs = random_unit_vectors(nrng, n, dim)
            tvecs = random_unit_vectors(nrng, n, dim)
            rows = []
            for i in range(n):
                g = start + i
                claim = sentence(rng)
                url = f"https://fc.example/{g}"
                title = " ".join(sentence(rng).split()[:8])
                rows.append((content_id(url, claim, prefix="fc"), claim, url, title, "False", "Bench Checks",
                             random_date(rng), "en", vecs[i].astype("<f4").tobytes(),
                             tvecs[i].astype("<f4").tobytes(), "2024-01-01"))
            conn.executemany("INSERT INTO reviews(id, claim, url, title, rating, publisher, date, language, vector, "
                             "title_vector, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    print(f"built {path.name}: {size} records in {time.perf_counter() - t:.0f}s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000, 1000000])
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    from factdesk.match.matcher import ClaimMatcher, default_embedder
    from factdesk.match.reviews import _DF_CACHE, _usearch

    emb = default_embedder()
    emb.warm_up()
    dense = "usearch exact int8 scan" if _usearch() else "numpy float32 matrix product"
    print(f"records carry RANDOM unit vectors (not embeddings of their text); queries are embedded for real; "
          f"dense candidates: {dense}")
    rng = random.Random(args.seed + 1)
    queries = [query_text(rng) for _ in range(args.queries)]
    rows, results = [], []
    for size in args.sizes:
        path = OUT / f"match_latency_{size}.db"
        OUT.mkdir(parents=True, exist_ok=True)
        if args.rebuild or not path.exists():
            build_store(path, size, emb.dim, args.seed)
        from factdesk.store import Store

        with Store.open(path) as store:
            m = ClaimMatcher(store, emb)
            t = time.perf_counter()
            m.match(queries[0])
            cold = time.perf_counter() - t
            times = []
            for q in queries:
                t = time.perf_counter()
                m.match(q, k=5)
                times.append(time.perf_counter() - t)
            # the same queries with the per-process term-count cache emptied before each one (a term
            # never seen before costs a walk of its FTS5 posting list)
            uncached = []
            for q in queries:
                _DF_CACHE.clear()
                t = time.perf_counter()
                m.match(q, k=5)
                uncached.append(time.perf_counter() - t)
        s = summary_ms(times)
        u = summary_ms(uncached)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append([size, s["p50_ms"], s["p95_ms"], s["mean_ms"], u["p50_ms"], u["p95_ms"], round(cold, 2),
                     round(rss)])
        results.append({"size": size, **s, "no_term_cache": u, "cold_load_s": round(cold, 2),
                        "max_rss_mb": round(rss)})
    print_table(["records", "p50 ms", "p95 ms", "mean ms", "p50 ms, no term cache", "p95 ms, no term cache",
                 "cold_load_s", "max RSS MB"], rows)
    big = [r for r in results if r["size"] >= 1000000]
    if big:
        print(f"target p95 <= {TARGET_P95_MS:.0f} ms at 1M: {'met' if big[0]['p95_ms'] <= TARGET_P95_MS else 'NOT met'}")
    write_json(args.json, {"machine": machine(), "dense": dense, "random_vectors": True, "results": results})


if __name__ == "__main__":
    main()
