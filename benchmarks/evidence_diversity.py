"""How many documents a claim's evidence slots show, and whether evidence recall holds, per diversity setting.

The demo corpus is indexed once into a temporary store (default embedder) and
every gold claim that lists evidence documents is searched as ``factdesk
check`` searches it: the query is the pipeline's own ``to_check`` text for
the article claim that matches the gold claim (``--queries gold`` uses the
gold sentence instead), ``before`` is the article's date, the article itself
is excluded, k = 5.  For each setting it reports

* recall@k: claims with a passage from a gold evidence document in the top k;
* gold coverage: the mean share of a claim's gold evidence documents in the top k;
* distinct documents in the top k (mean), and how many claims show at least 3
  (overall, and among the claims whose gold lists 3 or more documents);

then, per claim, the distinct documents in the top k without diversity and
with ``--show`` (default: the shipped ``max_per_document`` setting) next to
the number of gold evidence documents.

``--fever N`` also measures FEVER-open retrieval recall@k (the share of N
label-stratified FEVER dev claims with a gold evidence sentence in the top k,
as ``factdesk eval open`` counts it) for every setting; the first run embeds
the ≈41k-sentence pool (~10 min on 2 cores) and caches it as
``factdesk eval open`` does.  Each pool sentence is its own document there,
so a per-document cap cannot change it; MMR can.

    python benchmarks/evidence_diversity.py
    python benchmarks/evidence_diversity.py --fever 1000 --json benchmarks/out/evidence_diversity.json
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import machine, print_table, write_json

# (label, max_per_document, mmr_lambda)
SETTINGS = [
    ("off", 0, 1.0),
    ("cap 1", 1, 1.0),
    ("cap 2", 2, 1.0),
    ("cap 3", 3, 1.0),
    ("MMR 0.7", 0, 0.7),
    ("MMR 0.5", 0, 0.5),
    ("cap 2 + MMR 0.7", 2, 0.7),
]


def _parse_show(value: str) -> tuple[int, float]:
    cap, _, lam = value.partition(",")
    return int(cap), float(lam or 1.0)


def demo_queries(gold: dict[str, Any], store: Any, embedder: Any, mode: str) -> tuple[list[dict], str | None]:
    """Gold claims with evidence documents, each with the query the pipeline would search."""
    from factdesk import demodata
    from factdesk.pipeline import Pipeline

    claims = [c for c in gold["claims"] if c.get("evidence_documents")]
    article = demodata.article_path()
    pipe = Pipeline(store, embedder=embedder)
    doc, claim_set = pipe.extract(article)
    before = gold.get("article_date") or doc.published
    if mode == "gold":
        return [dict(c, query=c["text"]) for c in claims], before
    report = {"claims": [{"text": c.text, "to_check": c.to_check} for c in claim_set.claims]}
    pairs = demodata.match_gold_claims(report, {"claims": claims})
    out = []
    for g, found in pairs:
        out.append(dict(g, query=found["to_check"] if found else g["text"], matched=found is not None))
    return out, before


def measure(index: Any, claims: list[dict], doc_file: dict[str, str], before: str | None, exclude: set[str] | None,
            k: int, cap: int, lam: float) -> dict[str, Any]:
    t = time.perf_counter()
    results = index.search_many([c["query"] for c in claims], k=k, before=before, exclude_documents=exclude,
                                max_per_document=cap, mmr_lambda=lam)
    seconds = time.perf_counter() - t
    rows = []
    for c, hits in zip(claims, results):
        files = [doc_file.get(h.passage.document_id, "?") for h in hits[:k]]
        wanted = set(c["evidence_documents"])
        rows.append({"claim": c["text"], "gold_documents": len(wanted), "top": files,
                     "distinct": len(set(files)), "gold_found": len(wanted & set(files)),
                     "hit": bool(wanted & set(files)), "first_is_gold": bool(files and files[0] in wanted)})
    n = len(rows)
    many = [r for r in rows if r["gold_documents"] >= 3]
    return {
        f"recall@{k}": round(sum(r["hit"] for r in rows) / n, 3),
        "recall@1": round(sum(r["first_is_gold"] for r in rows) / n, 3),
        "gold_coverage": round(sum(r["gold_found"] / r["gold_documents"] for r in rows) / n, 3),
        "mean_distinct": round(sum(r["distinct"] for r in rows) / n, 2),
        "claims_3plus_docs": sum(r["distinct"] >= 3 for r in rows),
        "gold3_claims_3plus_docs": sum(r["distinct"] >= 3 for r in many),
        "gold3_claims": len(many),
        "claims": n,
        "seconds": round(seconds, 3),
        "per_claim": rows,
    }


def fever_recall(n: int, k: int, data: Path, embedder: Any, seed: int) -> dict[str, Any]:
    from factdesk.evaluate.readers import read_verify_many, stratified_sample
    from factdesk.evaluate.runner import _open_index, evidence_found
    from factdesk.settings import Settings
    from factdesk.types import Label

    vd = read_verify_many([data])
    examples = [e for e in stratified_sample(vd.examples, lambda e: e.label.value, n, seed)
                if e.label != Label.NOT_ENOUGH_EVIDENCE and e.evidence]
    out: dict[str, Any] = {"claims": len(examples), "data": str(data), "seed": seed}
    with _open_index(vd, None, Settings(), embedder, True) as (index, doc_text, info):
        out["corpus"] = info.get("corpus")
        for label, cap, lam in SETTINGS:
            t = time.perf_counter()
            hits: list[list[Any]] = []
            queries = [e.claim for e in examples]
            for i in range(0, len(queries), 64):
                hits += index.search_many(queries[i:i + 64], k=k, max_per_document=cap, mmr_lambda=lam)
            found = sum(any(evidence_found(e.evidence, h.passage.text, doc_text(h.passage.document_id))
                            for h in hs[:k]) for e, hs in zip(examples, hits))
            out[label] = {f"recall@{k}": round(found / len(examples), 4), "found": found,
                          "seconds": round(time.perf_counter() - t, 1)}
    return out


def main(argv: list[str] | None = None) -> int:
    from factdesk.settings import Settings

    default_cap = Settings().max_per_document
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-k", type=int, default=5, help="evidence slots per claim (default 5, the top_k setting)")
    ap.add_argument("--queries", choices=["pipeline", "gold"], default="pipeline",
                    help="search the pipeline's to_check text (default) or the gold sentence")
    ap.add_argument("--show", type=_parse_show, default=(default_cap, 1.0), metavar="CAP[,LAMBDA]",
                    help=f"the setting compared with 'off' claim by claim (default {default_cap}, the shipped one)")
    ap.add_argument("--fever", type=int, metavar="N", help="also FEVER-open retrieval recall on N dev claims")
    ap.add_argument("--fever-data", type=Path, default=Path("/work/shared/data/fever/dev.jsonl"))
    ap.add_argument("--seed", type=int, default=0, help="FEVER sample seed (default 0, as factdesk eval)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    args = ap.parse_args(argv)

    from factdesk import demodata
    from factdesk.retrieve import OnnxMiniLMEmbedder, SqliteIndex
    from factdesk.store import Store
    from retrieval_quality import load_corpus

    embedder = OnnxMiniLMEmbedder()
    gold = demodata.load_gold()
    settings = list(SETTINGS)
    if args.show not in [(c, lam) for _, c, lam in settings]:
        settings.append((f"cap {args.show[0]} + MMR {args.show[1]}", *args.show))
    summary: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "diversity.db")
        index = SqliteIndex(store, embedder)
        docs = load_corpus(demodata.corpus_dir())
        n_passages = index.add_documents(docs, save_role="corpus")
        doc_file = {d.id: Path(d.path or "").name for d in docs}
        exclude = {i for i, name in doc_file.items() if name == gold.get("article")} or None
        claims, before = demo_queries(gold, store, embedder, args.queries)
        for label, cap, lam in settings:
            summary[label] = {"max_per_document": cap, "mmr_lambda": lam,
                              **measure(index, claims, doc_file, before, exclude, args.k, cap, lam)}
        store.close()

    k = args.k
    n = len(claims)
    print(f"demo: {len(docs)} documents, {n_passages} passages; {n} gold claims with evidence documents "
          f"({summary['off']['gold3_claims']} list 3 or more); queries: {args.queries}; before={before}; k={k}")
    print_table(["setting", f"recall@{k}", "recall@1", "gold coverage", f"docs in top {k}",
                 f"claims ≥3 docs", "gold ≥3: ≥3 docs"],
                [[label, s[f"recall@{k}"], s["recall@1"], s["gold_coverage"], s["mean_distinct"],
                  f"{s['claims_3plus_docs']}/{n}", f"{s['gold3_claims_3plus_docs']}/{s['gold3_claims']}"]
                 for label, s in summary.items()])
    shown = next(label for label, c, lam in settings if (c, lam) == args.show)
    print(f"\nper claim: distinct documents in the top {k}, off → {shown} (gold evidence documents; "
          f"gold documents found)")
    rows = []
    for before_row, after_row in zip(summary["off"]["per_claim"], summary[shown]["per_claim"]):
        rows.append([before_row["claim"][:60], before_row["gold_documents"],
                     f"{before_row['distinct']} → {after_row['distinct']}",
                     f"{before_row['gold_found']} → {after_row['gold_found']}"])
    print_table(["claim", "gold docs", "docs in top k", "gold docs found"], rows)

    fever = None
    if args.fever:
        fever = fever_recall(args.fever, k, args.fever_data, embedder, args.seed)
        print(f"\nFEVER open ({fever['claims']} supports/refutes claims of {args.fever_data.name}, seed "
              f"{args.seed}; {fever['corpus']}): retrieval recall@{k}")
        print_table(["setting", f"recall@{k}", "found", "seconds"],
                    [[label, fever[label][f"recall@{k}"], fever[label]["found"], fever[label]["seconds"]]
                     for label, _, _ in SETTINGS])
    write_json(args.json, {"benchmark": "evidence_diversity", "k": k, "queries": args.queries, "before": before,
                           "documents": len(docs), "passages": n_passages, "results": summary, "fever": fever,
                           "embedder": embedder.name, "machine": machine()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
