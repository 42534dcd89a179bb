"""ClaimReview import on real-shaped fixtures: how many records come in, and that none is lost to an optional field.

Imports every fixture in tests/fixtures/claimreview/ (or --dir) into its own temporary store (no
embedder: this measures parsing, not embedding) and compares with the hand-counted manifest
expected.json beside them:

* records: ClaimReview records the file holds (manifest);
* rejected: records reported invalid; the only legitimate reasons are no claim text, neither a
  rating nor a URL, and a JSON-LD block too broken to read;
* warnings: fields dropped (or repaired) while the record was kept;
* lost to optional field: records - imported - duplicates - legitimate rejections (must be 0);
  for a folder without a manifest, the rejections for any other reason.

    python benchmarks/import_fixtures.py [--dir FOLDER] [--json benchmarks/out/import_fixtures.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine, print_table, write_json

FIXTURES = ROOT / "tests" / "fixtures" / "claimreview"
LEGIT = ("missing claimReviewed", "no rating and no usable URL", "broken JSON-LD block", "invalid JSON")
FORMATS = {".html": "HTML + JSON-LD", ".htm": "HTML + JSON-LD", ".csv": "CSV", ".json": "JSON", ".jsonld": "JSON-LD"}


def run_one(path: Path, expected: dict | None) -> dict:
    from factdesk.match.importer import import_reviews
    from factdesk.store import Store

    with tempfile.TemporaryDirectory(prefix="factdesk-import-bench-") as tmp, Store.open(Path(tmp) / "x.db") as store:
        t = time.perf_counter()
        stats = import_reviews(store, path, embedder=None)
        secs = time.perf_counter() - t
    legit = sum(1 for _, reason in stats.invalid if reason.startswith(LEGIT))
    if expected is not None:
        records = expected["records"]
        lost = records - stats.imported - stats.duplicates - legit
        ok = (stats.imported == expected["imported"]
              and len(stats.invalid) == expected["rejected"] + expected["unreadable"]
              and len(stats.warnings) == len(expected["warnings"]))
    else:
        records, lost, ok = None, len(stats.invalid) - legit, None
    return {"fixture": path.name, "format": (expected or {}).get("format") or FORMATS.get(path.suffix.lower(), "?"),
            "records": records, "imported": stats.imported, "duplicates": stats.duplicates,
            "rejected": len(stats.invalid), "warnings": len(stats.warnings), "lost_to_optional_field": lost,
            "matches_manifest": ok, "ms": round(secs * 1000, 1),
            "invalid": [{"position": p.split(": ", 1)[-1], "reason": r} for p, r in stats.invalid],
            "warning_list": [{"position": p.split(": ", 1)[-1], "field": f, "reason": r}
                             for p, f, r in stats.warnings]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=str(FIXTURES), help="folder of ClaimReview files (default: the test fixtures)")
    ap.add_argument("--json")
    args = ap.parse_args()
    folder = Path(args.dir)
    manifest_file = folder / "expected.json"
    manifest = {}
    if manifest_file.is_file():
        manifest = {k: v for k, v in json.loads(manifest_file.read_text(encoding="utf-8")).items()
                    if not k.startswith("_")}
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "expected.json"
                   and p.suffix.lower() in FORMATS)
    results = [run_one(p, manifest.get(p.name)) for p in files]
    rows = [[r["fixture"], r["format"], "?" if r["records"] is None else r["records"], r["imported"], r["rejected"],
             r["warnings"], r["lost_to_optional_field"], {True: "yes", False: "NO", None: "-"}[r["matches_manifest"]],
             r["ms"]] for r in results]
    total = {k: sum(r[k] or 0 for r in results)
             for k in ("records", "imported", "duplicates", "rejected", "warnings", "lost_to_optional_field")}
    rows.append(["total", "", total["records"] if manifest else "?", total["imported"], total["rejected"],
                 total["warnings"], total["lost_to_optional_field"],
                 "yes" if all(r["matches_manifest"] for r in results) else "-", ""])
    print_table(["fixture", "format", "records", "imported", "rejected", "warnings", "lost to optional field",
                 "= manifest", "ms"], rows)
    write_json(args.json, {"machine": machine(), "folder": str(folder), "results": results, "total": total})


if __name__ == "__main__":
    main()
