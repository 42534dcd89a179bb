"""SQLite vs PostgreSQL in one run: indexing passages/s, query p50/p95 per mode, demo-gold evidence recall.

For each size N the demo corpus (38 documents) plus real-text passages (FEVER train evidence
sentences from ../shared/data/fever/train.jsonl, read in place, one document each) up to N
passages are indexed into a fresh SQLite file and a fresh PostgreSQL database, through each
backend's registered indexer, then searched through each backend's retriever.

* Embeddings are computed **once** per passage and query and handed to both backends by a
  lookup embedder, so the timings are the backends' own (passage cutting, writes, commits,
  searches), not the model's.  The raw embedding rate is printed alongside.  With
  ``--vectors random`` the FEVER passages get random unit vectors instead (the demo passages
  and all queries keep real ones): the dense scan costs the same, only the FEVER passages'
  dense ranks are meaningless.  Demo-gold recall is unaffected either way in kind, but random
  vectors are noise the real ones are not, so compare recall between backends, not sizes.
* Queries: the demo gold's claims and ``--queries`` FEVER dev claims, each searched with k=10
  and ``max_per_document=2`` (the pipeline's setting) in lexical, dense and hybrid modes, each
  query on SQLite then on PostgreSQL (so other load on the box hits both alike).  The first
  dense search pays the vector load (``cold_s``); the first lexical pass is reported apart
  (PostgreSQL then counts each new word's document frequency once; FTS5 keeps them).
* Evidence recall: a gold claim (with evidence documents) counts when one of its top-5 hybrid (or
  lexical/dense) hits, searched with the article's date, comes from a gold evidence document.
* Lexical agreement: mean overlap of the two backends' lexical top-10 (PostgreSQL ranks by
  BM25 over tsvector lexemes; SQLite by FTS5 bm25).

* pgvector: on a server with the extension (``bash .ci/pgvector.sh``: pgserver's PostgreSQL 16 +
  pgvector) the PostgreSQL store indexes into the HNSW column too and its retriever searches it;
  a ``postgres-scan`` row then searches the same database with the exact in-memory scan, and the
  dense top-10 overlap of the two is reported.

Needs a server: ``--pg URL`` or ``$FACTDESK_TEST_PG`` (a user that may CREATE DATABASE).

    bash .ci/postgres.sh .venv/bin/python benchmarks/scale_postgres.py --sizes 10000 \\
        --json benchmarks/out/scale_postgres.json
    bash .ci/pgvector.sh .venv/bin/python benchmarks/scale_postgres.py --sizes 10000 \\
        --json benchmarks/out/scale_pgvector.json
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from _common import ROOT, machine, percentile, print_table, random_unit_vectors, write_json

FEVER = ROOT.parent / "shared" / "data" / "fever"
MODES = ("lexical", "dense", "hybrid")


class LookupEmbedder:
    """Vectors computed beforehand, by text; anything else goes to the real model (and is kept)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.name = f"lookup({model.name})"
        self.dim = model.dim
        self.table: dict[str, np.ndarray] = {}

    def warm_up(self) -> None:
        pass

    def add(self, texts: list[str], vectors: np.ndarray) -> None:
        self.table.update(zip(texts, vectors))

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.table]
        if missing:
            self.add(missing, self.model.embed(missing, batch_size=batch_size))
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self.table[t] for t in texts]).astype(np.float32)


def fever_documents(limit_passages: int) -> list[Any]:
    from factdesk.retrieve import make_passages
    from factdesk.types import Document

    docs, seen, n = [], set(), 0
    with open(FEVER / "train.jsonl", encoding="utf-8") as f:
        for line in f:
            text = (json.loads(line).get("evidence") or "").strip()
            if len(text) < 40 or text in seen:
                continue
            seen.add(text)
            doc = Document(text=text, source="FEVER")
            docs.append(doc)
            n += len(make_passages(doc))
            if n >= limit_passages:
                break
    return docs


def fever_claims(n: int) -> list[str]:
    out = []
    with open(FEVER / "dev.jsonl", encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line)["claim"])
            if len(out) >= n:
                break
    return out


def open_backend(kind: str, target: str, embedder: Any) -> tuple[Any, Any, Any]:
    from factdesk import registry

    store = registry.create("store", kind, **({"url": target} if kind == "postgres" else {"path": target}))
    parts = {"store": lambda: store, "embedder": lambda: embedder}
    return store, registry.create("indexer", kind, parts=parts), registry.create("retriever", kind, parts=parts)


def evidence_recall(retriever: Any, gold: dict[str, Any], files: dict[str, str], mode: str) -> float:
    claims = [g for g in gold["claims"] if g.get("evidence_documents")]
    hit = 0
    for g in claims:
        hits = retriever.search(g["text"], k=5, mode=mode, max_per_document=2, before=gold.get("article_date"))
        if {files.get(h.passage.document_id, "") for h in hits} & set(g["evidence_documents"]):
            hit += 1
    return round(hit / len(claims), 4)


def run_size(size: int, args: argparse.Namespace, model: Any, pg_admin: Any) -> dict[str, Any]:
    from factdesk import demodata
    from factdesk.ingest import find_files, load_file
    from factdesk.retrieve import make_passages
    from factdesk.retrieve.index import embedding_text

    demo_docs = [load_file(p) for p in find_files(demodata.corpus_dir())]
    files = {d.id: Path(d.path).name for d in demo_docs}
    n_demo = sum(len(make_passages(d)) for d in demo_docs)
    fever = fever_documents(max(0, size - n_demo))
    docs = demo_docs + fever
    gold = demodata.load_gold()
    queries = [g["text"] for g in gold["claims"]] + fever_claims(args.queries)

    emb = LookupEmbedder(model)
    demo_texts = [embedding_text(p) for d in demo_docs for p in make_passages(d)]
    fever_texts = [embedding_text(p) for d in fever for p in make_passages(d)]
    t = time.perf_counter()
    emb.add(demo_texts + queries, model.embed(demo_texts + queries, batch_size=64))
    if args.vectors == "real":
        t_fever = time.perf_counter()
        emb.add(fever_texts, model.embed(fever_texts, batch_size=64))
        embed_rate = len(fever_texts) / (time.perf_counter() - t_fever)
    else:
        emb.add(fever_texts, random_unit_vectors(np.random.default_rng(7), len(fever_texts), model.dim))
        embed_rate = (len(demo_texts) + len(queries)) / (time.perf_counter() - t)
    n_passages = len(demo_texts) + len(fever_texts)
    print(f"\n== {n_passages} passages ({len(docs)} documents), {len(queries)} queries; "
          f"embedding {embed_rate:.0f} passages/s (raw model, measured here)", flush=True)

    result: dict[str, Any] = {"passages": n_passages, "documents": len(docs), "queries": len(queries),
                              "vectors": args.vectors, "embed_passages_per_s": round(embed_rate, 1),
                              "backends": {}}
    lexical_top: dict[str, list[list[str]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        pg_db = f"fdbench_{uuid.uuid4().hex[:10]}"
        pg_admin.execute(f'CREATE DATABASE "{pg_db}"')
        pg_url = args.pg.rpartition("/")[0] + "/" + pg_db
        backends: dict[str, tuple[Any, Any, Any]] = {}
        try:
            for kind, target in (("sqlite", str(Path(tmp) / "bench.db")), ("postgres", pg_url)):
                store, indexer, retriever = backends[kind] = open_backend(kind, target, emb)
                t = time.perf_counter()
                written = indexer.add_documents(docs, save_role="corpus")
                index_s = time.perf_counter() - t
                assert written == n_passages, (written, n_passages)
                # what `factdesk index` does after writing: SQLite's usearch index (from 50k passages),
                # pgvector's HNSW index rebuilt after a bulk load; timed apart
                t = time.perf_counter()
                indexer.finish()
                finish_s = time.perf_counter() - t
                row: dict[str, Any] = {"index_s": round(index_s, 2),
                                       "index_passages_per_s": round(written / index_s, 1),
                                       "finish_s": round(finish_s, 2),
                                       "index_with_finish_passages_per_s": round(written / (index_s + finish_s), 1)}
                t = time.perf_counter()
                retriever.search(queries[0], k=10, mode="dense")
                row["cold_s"] = round(time.perf_counter() - t, 3)
                if kind == "postgres":
                    row["dense_search"] = store.dense_search
                result["backends"][kind] = row
                if kind == "postgres" and store.pgvector:
                    # the same database searched by the exact in-memory scan, beside pgvector's HNSW
                    from factdesk.retrieve.postgres import PostgresRetriever

                    scan = PostgresRetriever(store, emb, dense="scan")
                    t = time.perf_counter()
                    scan.search(queries[0], k=10, mode="dense")
                    backends["postgres-scan"] = (store, None, scan)
                    result["backends"]["postgres-scan"] = {
                        **{k: row[k] for k in ("index_s", "index_passages_per_s", "finish_s",
                                               "index_with_finish_passages_per_s")},
                        "cold_s": round(time.perf_counter() - t, 3), "dense_search": "exact scan"}
                    for ef in args.ef_search:  # pgvector again, with a larger hnsw.ef_search
                        other = PostgresRetriever(store, emb, dense="pgvector", ef_search=ef)
                        backends[f"postgres-ef{ef}"] = (store, None, other)
                        result["backends"][f"postgres-ef{ef}"] = {
                            **{k: row[k] for k in ("index_s", "index_passages_per_s", "finish_s",
                                                   "index_with_finish_passages_per_s")},
                            "cold_s": 0.0, "dense_search": f"pgvector, ef_search {ef}"}
            # queries alternate between the backends, so load from other work on the box hits both alike;
            # the first lexical pass is timed apart (PostgreSQL then looks up each new word's frequency)
            for mode in ("first lexical pass",) + MODES:
                times: dict[str, list[float]] = {k: [] for k in backends}
                tops: dict[str, list[list[str]]] = {k: [] for k in backends}
                for q in queries:
                    for kind, (_, _, retriever) in backends.items():
                        t = time.perf_counter()
                        hits = retriever.search(q, k=10, mode=mode.split()[-2] if " " in mode else mode,
                                                max_per_document=2)
                        times[kind].append(time.perf_counter() - t)
                        tops[kind].append([h.passage.id for h in hits])
                for kind in backends:
                    ms = [x * 1000 for x in times[kind]]
                    result["backends"][kind][mode] = {"p50_ms": round(percentile(ms, 0.5), 2),
                                                      "p95_ms": round(percentile(ms, 0.95), 2)}
                if mode == "lexical":
                    lexical_top = tops
                if mode == "dense" and "postgres-scan" in tops:
                    n_gold = len(gold["claims"])  # the demo gold's claims come first (their neighbours are real)
                    for name in [k for k in tops if k == "postgres" or k.startswith("postgres-ef")]:
                        over = [len(set(a) & set(b)) / max(1, len(b)) for a, b in zip(tops[name], tops["postgres-scan"])]
                        suffix = "" if name == "postgres" else "_" + name.split("-", 1)[1]
                        result["dense_top10_overlap_pgvector_vs_scan" + suffix] = round(float(np.mean(over)), 4)
                        result["dense_top10_overlap_demo_queries" + suffix] = round(float(np.mean(over[:n_gold])), 4)
            for kind, (_, _, retriever) in backends.items():
                result["backends"][kind]["recall"] = {m: evidence_recall(retriever, gold, files, m) for m in MODES}
        finally:
            for store in {id(b[0]): b[0] for b in backends.values()}.values():
                store.close()
            pg_admin.execute(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')
    overlap = [len(set(a) & set(b)) / max(1, len(a)) for a, b in zip(lexical_top["sqlite"], lexical_top["postgres"])]
    result["lexical_top10_overlap"] = round(float(np.mean(overlap)), 3)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000], help="passages per store (default 10000)")
    ap.add_argument("--queries", type=int, default=100, help="FEVER dev claims added to the demo claims")
    ap.add_argument("--vectors", choices=("real", "random"), default="real",
                    help="FEVER passages' vectors: real embeddings (default) or random unit vectors")
    ap.add_argument("--pg", default=os.environ.get("FACTDESK_TEST_PG"), help="server URL ($FACTDESK_TEST_PG)")
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime threads for the embeddings")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    ap.add_argument("--ef-search", type=int, nargs="*", default=[],
                    help="with pgvector: also search with these hnsw.ef_search values (the default is 200)")
    args = ap.parse_args(argv)
    if not args.pg:
        ap.error("no server: pass --pg postgresql://… or run under bash .ci/postgres.sh")
    if not (FEVER / "train.jsonl").exists():
        ap.error(f"FEVER is not at {FEVER}")

    import psycopg

    from factdesk.retrieve import OnnxMiniLMEmbedder

    model = OnnxMiniLMEmbedder(threads=args.threads)
    model.warm_up()
    server = psycopg.connect(args.pg, autocommit=True)
    version = server.execute("SHOW server_version").fetchone()[0]
    results = []
    for size in args.sizes:
        results.append(run_size(size, args, model, server))
    server.close()

    rows = []
    for r in results:
        lite = r["backends"]["sqlite"]
        for kind, b in r["backends"].items():
            ratio = (lambda key, sub=None, b=b: "1.00" if b is lite else
                     f"{(b[key][sub] if sub else b[key]) / max(1e-9, lite[key][sub] if sub else lite[key]):.2f}")
            rows.append([r["passages"], kind, b["index_passages_per_s"],
                         f"{ratio('index_s')}x", b.get("finish_s", ""), b["cold_s"],
                         *[f"{b[m]['p50_ms']}/{b[m]['p95_ms']} ({ratio(m, 'p50_ms')}x)"
                           for m in ("first lexical pass",) + MODES],
                         " ".join(f"{b['recall'][m]:.2f}" for m in MODES)])
    print()
    print_table(["passages", "backend", "index p/s", "index time", "finish s", "cold s", "1st lexical p50/p95 ms",
                 "lexical p50/p95 ms",
                 "dense p50/p95 ms", "hybrid p50/p95 ms", "recall@5 lex/dense/hyb"], rows)
    for r in results:
        print(f"{r['passages']} passages: lexical top-10 overlap PostgreSQL vs SQLite {r['lexical_top10_overlap']:.2f}; "
              f"embedding alone {r['embed_passages_per_s']} passages/s; vectors {r['vectors']}; "
              f"PostgreSQL dense search: {r['backends']['postgres'].get('dense_search')}")
        for key in sorted(k for k in r if k.startswith("dense_top10_overlap_pgvector_vs_scan")):
            suffix = key[len("dense_top10_overlap_pgvector_vs_scan"):]
            print(f"  dense top-10 overlap, pgvector HNSW{suffix.replace('_', ' ')} vs the exact scan: {r[key]:.3f} "
                  f"(demo gold queries alone: {r['dense_top10_overlap_demo_queries' + suffix]:.3f})")
    print(f"(ratios: PostgreSQL / SQLite in this run; PostgreSQL {version}, same machine, k=10, max_per_document=2)")
    write_json(args.json, {"machine": machine(), "postgres_version": version, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
