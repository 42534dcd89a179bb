"""Evidence recall@k of lexical, dense and hybrid retrieval on a gold file (default: the demo).

The gold file has the form::

    {"article": "article.html",
     "claims": [{"text": "<claim sentence from the article>", "label": "supported",
                 "evidence_documents": ["<corpus file name>", ...]}, ...]}

Every file of the corpus folder (default: ``corpus/`` next to the gold file)
is read with ``factdesk.ingest.load_file`` and indexed into a temporary store
with the default embedder.  Each claim that lists evidence documents is used
as a query; it counts as found at k when any of the top-k passages comes from
one of its evidence documents (compared by file name).  Recall@1/3/k and MRR
(over the top 50) are reported per mode.

    python benchmarks/retrieval_quality.py --json benchmarks/out/retrieval_quality.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine, print_table, write_json

DEFAULT_GOLD = ROOT / "src" / "factdesk" / "demo" / "gold.json"


def load_corpus(folder: Path):
    from factdesk.errors import FactdeskError
    from factdesk.ingest import find_files, load_file

    docs = []
    for path in find_files(folder):
        try:
            doc = load_file(path)
        except FactdeskError as exc:
            print(f"warning: skipped {path.name}: {exc}")
            continue
        doc.path = doc.path or str(path)
        docs.append(doc)
    return docs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=DEFAULT_GOLD, help=f"gold file (default {DEFAULT_GOLD})")
    ap.add_argument("--corpus", type=Path, help="corpus folder (default: corpus/ next to the gold file)")
    ap.add_argument("-k", type=int, default=5, help="cut-off for recall (default 5)")
    ap.add_argument("--respect-dates", action="store_true",
                    help="search with before=<the article's date> (gold 'article_date', else read from "
                         "the article), as the pipeline does")
    ap.add_argument("--show-misses", action="store_true", help="print the claims hybrid search misses")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    args = ap.parse_args(argv)

    from factdesk.retrieve import OnnxMiniLMEmbedder, SqliteIndex
    from factdesk.store import Store

    if not args.gold.is_file():
        ap.error(f"gold file {args.gold} not found")
    gold = json.loads(args.gold.read_text(encoding="utf-8"))
    corpus_dir = args.corpus or args.gold.parent / "corpus"
    claims = [c for c in gold.get("claims", []) if c.get("evidence_documents")]
    if not claims:
        ap.error("the gold file has no claims with evidence_documents")

    before = None
    if args.respect_dates and gold.get("article_date"):
        before = gold["article_date"]
    elif args.respect_dates and gold.get("article"):
        from factdesk.errors import FactdeskError
        from factdesk.ingest import load_file

        try:
            before = load_file(args.gold.parent / gold["article"]).published
        except FactdeskError as exc:
            print(f"warning: cannot read the article ({exc}); searching without a date")

    embedder = OnnxMiniLMEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "quality.db")
        index = SqliteIndex(store, embedder)
        t = time.perf_counter()
        docs = load_corpus(corpus_dir)
        n_passages = index.add_documents(docs, save_role="corpus")
        index_s = time.perf_counter() - t
        doc_file = {d.id: Path(d.path or "").name for d in docs}
        # the checked article never counts as its own evidence, should it sit in the corpus folder
        exclude = {i for i, name in doc_file.items() if name == gold.get("article")} or None

        depth = max(50, args.k)
        modes = ("lexical", "dense", "hybrid")
        stats = {m: {"found_at_1": 0, "found_at_3": 0, "found_at_k": 0, "rr": 0.0} for m in modes}
        per_claim = []
        for mode in modes:
            results = index.search_many([c["text"] for c in claims], k=depth, mode=mode, before=before,
                                        exclude_documents=exclude)
            for ci, (claim, hits) in enumerate(zip(claims, results)):
                wanted = set(claim["evidence_documents"])
                rank = next((i + 1 for i, h in enumerate(hits) if doc_file.get(h.passage.document_id) in wanted),
                            None)
                s = stats[mode]
                s["found_at_1"] += bool(rank and rank <= 1)
                s["found_at_3"] += bool(rank and rank <= 3)
                s["found_at_k"] += bool(rank and rank <= args.k)
                s["rr"] += 1.0 / rank if rank else 0.0
                if mode == "lexical":
                    per_claim.append({"claim": claim["text"], "label": claim.get("label"),
                                      "evidence_documents": sorted(wanted), "first_rank": {}})
                per_claim[ci]["first_rank"][mode] = rank
                if mode == "hybrid":
                    per_claim[ci]["hybrid_top"] = [doc_file.get(h.passage.document_id) for h in hits[:args.k]]
        store.close()

    n = len(claims)
    rows, summary = [], {}
    for mode in modes:
        s = stats[mode]
        summary[mode] = {"recall@1": round(s["found_at_1"] / n, 3), "recall@3": round(s["found_at_3"] / n, 3),
                         f"recall@{args.k}": round(s["found_at_k"] / n, 3), "mrr@50": round(s["rr"] / n, 3)}
        rows.append([mode, *summary[mode].values(), f"{s['found_at_k']}/{n}"])
    print(f"corpus: {len(docs)} documents, {n_passages} passages (indexed in {index_s:.1f} s); "
          f"{n} claims with evidence; before={before}")
    print_table(["mode", "recall@1", "recall@3", f"recall@{args.k}", "MRR@50", "found"], rows)
    if args.show_misses:
        for c in per_claim:
            r = c["first_rank"]["hybrid"]
            if not r or r > args.k:
                print(f"- miss (hybrid rank {r}): {c['claim'][:100]!r} wants {c['evidence_documents']}, "
                      f"got {c['hybrid_top']}")
    write_json(args.json, {"benchmark": "retrieval_quality", "gold": str(args.gold), "k": args.k,
                           "documents": len(docs), "passages": n_passages, "claims": n, "before": before,
                           "results": summary, "per_claim": per_claim, "embedder": embedder.name,
                           "machine": machine()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
