"""Indexing speed: passages/s for making, embedding and inserting generated news-like passages.

Generates synthetic news articles until they yield N passages (default 2,000),
saves them into a fresh SQLite store and times ``SqliteIndex.add_documents``
(passage cutting + embedding with the default embedder + inserts + commits).
The embedding alone is timed too.  Target: >= 150 passages/s on a 2-core box.

    python benchmarks/index_speed.py --passages 2000 --json benchmarks/out/index_speed.json
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from _common import article_text, machine, print_table, random_date, write_json

TARGET = 150.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, default=2000, help="how many passages to index (default 2000)")
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads (default 2)")
    ap.add_argument("--batch-size", type=int, default=64, help="embedding batch size (default 64)")
    ap.add_argument("--chunk-size", type=int, default=64, help="documents per transaction (default 64)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    args = ap.parse_args(argv)

    from factdesk.retrieve import OnnxMiniLMEmbedder, SqliteIndex, make_passages
    from factdesk.store import Store
    from factdesk.types import Document

    rng = random.Random(args.seed)
    docs, n = [], 0
    while n < args.passages:
        doc = Document(text=article_text(rng, paragraphs=rng.randint(2, 4)), title=f"Report {len(docs)}",
                       published=random_date(rng), source="Synthetic Times")
        docs.append(doc)
        n += len(make_passages(doc))

    embedder = OnnxMiniLMEmbedder(threads=args.threads)
    t = time.perf_counter()
    embedder.warm_up()
    load_s = time.perf_counter() - t

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.db")
        with store.transaction():
            for d in docs:
                store.save_document(d)
        index = SqliteIndex(store, embedder, batch_size=args.batch_size)
        t = time.perf_counter()
        n_passages = index.add_documents(docs, chunk_size=args.chunk_size)
        total_s = time.perf_counter() - t
        from factdesk.retrieve.index import embedding_text

        passages = [p for d in docs for p in make_passages(d)]
        mean_chars = sum(len(p.text) for p in passages) / max(1, len(passages))
        texts = [embedding_text(p) for p in passages]
        t = time.perf_counter()
        embedder.embed(texts, batch_size=args.batch_size)
        embed_s = time.perf_counter() - t
        store.close()

    rate = n_passages / total_s
    result = {
        "benchmark": "index_speed", "documents": len(docs), "passages": n_passages,
        "mean_passage_chars": round(mean_chars, 1), "model_load_s": round(load_s, 3),
        "index_s": round(total_s, 2), "passages_per_s": round(rate, 1),
        "embed_only_s": round(embed_s, 2), "embed_only_passages_per_s": round(n_passages / embed_s, 1),
        "target_passages_per_s": TARGET, "meets_target": rate >= TARGET,
        "embedder": embedder.name, "threads": args.threads, "batch_size": args.batch_size,
        "chunk_size": args.chunk_size, "machine": machine(),
    }
    print_table(["what", "value"], [
        ["documents", len(docs)], ["passages", n_passages], ["mean passage chars", result["mean_passage_chars"]],
        ["model load (s)", result["model_load_s"]], ["index total (s)", result["index_s"]],
        ["passages/s (cut+embed+insert)", result["passages_per_s"]],
        ["passages/s (embedding only)", result["embed_only_passages_per_s"]],
        [f"target >= {TARGET:.0f}/s", "met" if result["meets_target"] else "NOT met"],
    ])
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
