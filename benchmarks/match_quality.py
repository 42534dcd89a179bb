"""Claim-matching quality on every claim-matching set available, in one table.

* data/claim-matching dev and test (factdesk's own generated set; dev was used to fit the re-ranker
  weights and the threshold, test was not);
* CheckThat! 2021 Task 2A English, dev queries (tweets) against the 13,825 Snopes verified claims,
  when /work/shared/data/claim-retrieval-ct2021-2a-en (or --ct2021 DIR) exists.  Its TSV files are
  converted on the fly, in a temporary folder, into the formats evaluate_matching reads (records as CSV
  with a made-up URL per vclaim_id: https://ct2021.example/vclaim/<id>, the article title in the title
  column; queries as JSONL with the qrels as "relevant"); nothing from it is copied into the repository.

Stores are cached under benchmarks/out/ (the import is idempotent; only new records are embedded).

    python benchmarks/match_quality.py [--json benchmarks/out/match_quality.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path

from _common import OUT, ROOT, machine, print_table, write_json

CT2021 = Path("/work/shared/data/claim-retrieval-ct2021-2a-en")


def convert_ct2021(src: Path, dest: Path, split: str = "dev") -> tuple[Path, Path]:
    """(records.csv, queries.jsonl) in ``dest`` from the CT2021 2A files (read with csv, tab-separated)."""
    records = dest / "ct2021_records.csv"
    with (src / "CT2021-Task2A-EN-Verified_Claims.txt").open(encoding="utf-8", newline="") as fh, \
            records.open("w", encoding="utf-8", newline="") as out:
        w = csv.writer(out)
        w.writerow(["claim", "rating", "url", "publisher", "date", "language", "title"])
        for row in csv.DictReader(fh, delimiter="\t"):
            w.writerow([row["vclaim"], "", f"https://ct2021.example/vclaim/{row['vclaim_id']}", "Snopes", "", "en",
                        row.get("title") or ""])
    qrels: dict[str, list[str]] = {}
    qrel_file = next(p for p in src.iterdir() if "QREL" in p.name.upper())
    for line in qrel_file.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 4 and parts[3].strip() != "0":
            qrels.setdefault(parts[0], []).append(f"https://ct2021.example/vclaim/{parts[2]}")
    queries = dest / f"ct2021_{split}.jsonl"
    with (src / f"EN_{split}_queries.tsv").open(encoding="utf-8", newline="") as fh, \
            queries.open("w", encoding="utf-8") as out:
        for row in csv.DictReader(fh, delimiter="\t"):
            out.write(json.dumps({"query": row["tweet_text"], "relevant": qrels.get(row["tweet_id"], []),
                                  "not_relevant": []}, ensure_ascii=False) + "\n")
    return records, queries


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ct2021", default=str(CT2021))
    ap.add_argument("--json")
    args = ap.parse_args()
    from factdesk.match.evaluate import evaluate_matching

    OUT.mkdir(parents=True, exist_ok=True)
    data = ROOT / "data" / "claim-matching"
    sets = [("claim-matching dev", data / "dev.jsonl", data / "reviews.jsonld", OUT / "match_quality_cm.db"),
            ("claim-matching test", data / "test.jsonl", data / "reviews.jsonld", OUT / "match_quality_cm.db")]
    tmp = tempfile.TemporaryDirectory(prefix="factdesk-ct2021-")
    ct = Path(args.ct2021)
    if ct.is_dir():
        rec, q = convert_ct2021(ct, Path(tmp.name), "dev")
        sets.append(("CT2021-2A-en dev (tweets)", q, rec, OUT / "match_quality_ct2021.db"))
    else:
        print(f"skipping CT2021 2A: {ct} not found")
    rows, results = [], []
    for name, queries, records, db in sets:
        t = time.perf_counter()
        m = evaluate_matching(queries, records, store_path=db)
        secs = time.perf_counter() - t
        rows.append([name, m["n"], m["records"], m["map_at_5"], m["recall_at_5"], m["false_match_rate"],
                     m["map_at_5_ranking"], m["recall_at_5_ranking"], f"{secs:.0f}"])
        results.append({"set": name, **m, "seconds": round(secs, 1)})
    tmp.cleanup()
    print_table(["set", "queries", "records", "MAP@5", "R@5", "false match", "MAP@5 (no thr.)",
                 "R@5 (no thr.)", "s"], rows)
    write_json(args.json, {"machine": machine(), "results": results})


if __name__ == "__main__":
    main()
