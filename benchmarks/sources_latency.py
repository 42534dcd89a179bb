"""Latency and query cost a web evidence source adds to a check (issue 16).

A loopback SearxNG-format server (factdesk.testing.search_server) answers every API call after a fixed
delay (``--delay``, 200 ms by default: a nearby SearxNG instance or a search API over the internet) and
serves the demo corpus's 38 documents as article pages, so every claim of the demo article finds
results and fetches pages.  The store holds the indexed demo corpus; the check uses the baseline
verifier (the verifier's time is the same with or without a source; only the difference is reported).

Three timings of ``Pipeline.check`` of the demo article, each the median of ``--repeats`` runs:

* **local only**: no source configured (nothing leaves the machine);
* **web, cold**: ``refresh_sources`` on, so every claim asks the API and fetches its result pages
  (``pages`` per query, 3 by default) as a first check of a new article would;
* **web, cached**: the same check again: the query cache and the stored snapshots answer, no API call.

Per-claim added latency = (web - local) / claims, and — steadier on a busy machine, since it leaves
out the other stages' noise — the time the check spent inside the source (the report's
``sources.used[].seconds``: API calls, page fetches, reading, ranking) / claims.  Per-article cost = API calls the cold check made
(one per claim; with the LLM's questions stage, one more per question).

    python benchmarks/sources_latency.py --delay 0.2 --repeats 3 --json benchmarks/out/sources_latency.json
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _common import machine, print_table, write_json


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--delay", type=float, default=0.2, help="seconds the server waits before each API answer")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pages", type=int, default=3, help="result pages fetched per query")
    ap.add_argument("--json")
    args = ap.parse_args()

    from factdesk import demodata
    from factdesk.ingest import load_file
    from factdesk.pipeline import Pipeline
    from factdesk.settings import Settings
    from factdesk.store import Store
    from factdesk.testing.search_server import SearchServer, html_page

    article = demodata.article_path()
    docs = [load_file(p) for p in sorted(demodata.corpus_dir().rglob("*")) if p.is_file() and p.suffix in
            {".txt", ".md", ".html"}]
    with tempfile.TemporaryDirectory() as tmp, SearchServer() as server, Store.open(Path(tmp) / "bench.db") as store:
        for i, d in enumerate(docs):
            server.page(f"d{i}", html_page(d.title or f"Document {i}", d.text, d.published), title=d.title or "",
                        snippet=d.text[:200], published=d.published)
        server.delay = args.delay
        base = Settings(verifier="baseline", allow_private=True)
        local_pipe = Pipeline.from_settings(base, store=store)
        local_pipe.index_path(demodata.corpus_dir())
        source = {"name": "searxng", "url": server.base_url, "pages": args.pages, "rate": 0, "budget": 1000}

        def timed(settings: Settings) -> tuple[float, dict]:
            pipe = Pipeline(store, settings, verifier=local_pipe.verifier, embedder=local_pipe.embedder,
                            scorer=local_pipe.scorer, retriever=local_pipe.retriever,
                            omitted_verifier=local_pipe.omitted_verifier)
            t = time.perf_counter()
            report = pipe.check(article, save=False)
            return time.perf_counter() - t, report

        timed(base)  # warm every model once
        local = [timed(base)[0] for _ in range(args.repeats)]
        cold, cold_reports = [], []
        for _ in range(args.repeats):
            s, rep = timed(base.with_overrides(sources=(source,), refresh_sources=True))
            cold.append(s)
            cold_reports.append(rep)
        api_before = len(server.api_requests())
        warm, warm_reports = [], []
        for _ in range(args.repeats):
            s, rep = timed(base.with_overrides(sources=(source,)))
            warm.append(s)
            warm_reports.append(rep)
        warm_api = len(server.api_requests()) - api_before

    claims = len(cold_reports[0]["claims"])
    used_cold = cold_reports[0]["sources"]["used"][0]
    used_warm = warm_reports[0]["sources"]["used"][0]
    web_evidence = sum(1 for c in cold_reports[0]["claims"] for ev in c["evidence"] if ev.get("provenance"))
    med = {k: statistics.median(v) for k, v in (("local", local), ("cold", cold), ("warm", warm))}
    inside = {k: statistics.median(r["sources"]["used"][0]["seconds"] for r in reps)
              for k, reps in (("cold", cold_reports), ("warm", warm_reports))}
    rows = [
        ["local only", f"{med['local']:.2f}", "-", "-", 0, 0],
        ["web, cold (API + pages)", f"{med['cold']:.2f}", f"{(med['cold'] - med['local']) / claims * 1000:.0f}",
         f"{inside['cold'] / claims * 1000:.0f}", used_cold["api_calls"], used_cold["pages_fetched"]],
        ["web, cached (2nd check)", f"{med['warm']:.2f}", f"{(med['warm'] - med['local']) / claims * 1000:.0f}",
         f"{inside['warm'] / claims * 1000:.0f}", used_warm["api_calls"], used_warm["pages_fetched"]],
    ]
    print(f"demo article: {claims} claims; API delay {args.delay * 1000:.0f} ms; {args.pages} pages per query; "
          f"{web_evidence} of the cold check's evidence passages came from the web")
    print_table(["check", "seconds (median)", "added ms per claim", "in source, ms per claim", "API calls",
                 "pages fetched"], rows)
    write_json(args.json, {
        "machine": machine(), "delay_s": args.delay, "pages_per_query": args.pages, "repeats": args.repeats,
        "claims": claims, "web_evidence_passages": web_evidence,
        "seconds": {"local": local, "web_cold": cold, "web_cached": warm},
        "median_s": {k: round(v, 3) for k, v in med.items()},
        "added_ms_per_claim": {"cold": round((med["cold"] - med["local"]) / claims * 1000, 1),
                               "cached": round((med["warm"] - med["local"]) / claims * 1000, 1)},
        "in_source_ms_per_claim": {"cold": round(inside["cold"] / claims * 1000, 1),
                                   "cached": round(inside["warm"] / claims * 1000, 1)},
        "queries_per_article": {"cold_api_calls": used_cold["api_calls"], "cached_api_calls": used_warm["api_calls"],
                                "server_api_requests_while_cached": warm_api,
                                "pages_fetched_cold": used_cold["pages_fetched"],
                                "pages_reused_cold": used_cold["pages_reused"]},
    })


if __name__ == "__main__":
    main()
