"""HTML ingestion on real web pages: dates, main text, title and author, against htmldate and trafilatura.

    python benchmarks/ingest_real.py [--data DIR] [--limit N] [--json benchmarks/out/ingest_real.json]

Data: ``real-pages`` (400 saved pages with gold fields) under ``--data``, ``$FACTDESK_DATA`` or
/work/shared/data; the benchmark says so and stops when it is absent.  Pages are read in place, never copied.

1. **Dates** (``kind: date`` pages): exact match of the ISO day for factdesk
   (``document_from_html(bytes, url=...)``, the whole ingestion), htmldate's fast search, htmldate's
   extensive search (its default, and with ``original_date=True``) and trafilatura's ``extract_metadata``
   date, each given the page bytes and its URL, in the same run.  "none" counts pages where the system
   gave no date (a miss, but not a wrong date).
2. **Text** (``kind: text`` pages): snippet recall (share of the gold ``with`` snippets found in the
   extracted text after NFC and whitespace normalisation), boilerplate leakage (share of the ``without``
   snippets found), title and author exact match (case and whitespace folded; over the pages whose gold
   has the field) and date exact match, for factdesk and for trafilatura ``extract`` called directly with
   its default settings (``output_format="json", with_metadata=True``).
3. Crashes (any exception other than factdesk's InputError refusal) and per-page time: median and p95.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import machine, percentile, print_table, shared_data, write_json

from factdesk.errors import InputError
from factdesk.ingest.html import document_from_html



def data_dir(arg: str | None) -> Path | None:
    return shared_data("real-pages", arg)


def squash(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def folded(text: str | None) -> str:
    return squash(text).casefold()


class System:
    """One extractor's answers, failures and times over a set of pages."""

    def __init__(self, name: str, fn: Callable[[bytes, str], dict[str, Any]]) -> None:
        self.name, self.fn = name, fn
        self.seconds: list[float] = []
        self.crashes: list[str] = []
        self.refused = 0

    def run(self, data: bytes, url: str) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            out = self.fn(data, url)
        except InputError:
            self.refused += 1
            out = {}
        except Exception as exc:  # noqa: BLE001 - counted, not raised
            self.crashes.append(f"{url}: {type(exc).__name__}: {exc}"[:300])
            out = {}
        self.seconds.append(time.perf_counter() - started)
        return out

    def timing(self) -> dict[str, Any]:
        ms = [s * 1000 for s in self.seconds]
        return {"p50_ms": round(percentile(ms, 0.5), 1), "p95_ms": round(percentile(ms, 0.95), 1),
                "max_ms": round(max(ms), 1) if ms else None, "total_s": round(sum(self.seconds), 1)}


# ------------------------------------------------------------------ systems

def factdesk(data: bytes, url: str) -> dict[str, Any]:
    doc = document_from_html(data, url=url)
    return {"date": doc.published, "text": doc.text, "title": doc.title, "author": doc.author}


def htmldate_fast(data: bytes, url: str) -> dict[str, Any]:
    from htmldate import find_date

    return {"date": find_date(data, extensive_search=False, url=url)}


def htmldate_extensive(data: bytes, url: str) -> dict[str, Any]:
    from htmldate import find_date

    return {"date": find_date(data, extensive_search=True, url=url)}


def htmldate_extensive_original(data: bytes, url: str) -> dict[str, Any]:
    from htmldate import find_date

    return {"date": find_date(data, extensive_search=True, original_date=True, url=url)}


def trafilatura_metadata(data: bytes, url: str) -> dict[str, Any]:
    from trafilatura.metadata import extract_metadata

    meta = extract_metadata(data, default_url=url)  # type: ignore[arg-type]  # bytes are accepted
    return {"date": meta.date}


def trafilatura_extract(data: bytes, url: str) -> dict[str, Any]:
    import trafilatura

    out = trafilatura.extract(data, url=url, output_format="json", with_metadata=True)
    if not out:
        return {}
    d = json.loads(out)
    return {"date": d.get("date"), "text": d.get("text"), "title": d.get("title"), "author": d.get("author")}


# ------------------------------------------------------------------ sections

def read_gold(folder: Path, kind: str, limit: int | None) -> list[dict[str, Any]]:
    rows = []
    with (folder / "gold.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                if row.get("kind") == kind:
                    rows.append(row)
    return rows[:limit] if limit else rows


def date_section(folder: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    systems = [System("factdesk", factdesk), System("htmldate fast", htmldate_fast),
               System("htmldate extensive", htmldate_extensive),
               System("htmldate extensive, original_date", htmldate_extensive_original),
               System("trafilatura extract_metadata", trafilatura_metadata)]
    pages = []
    for row in rows:
        data = (folder / row["file"]).read_bytes()
        answers = {s.name: (s.run(data, row["url"]).get("date") or None) for s in systems}
        pages.append({"file": row["file"], "gold": row["date"], **answers})
    result: dict[str, Any] = {"pages": len(rows), "systems": []}
    for s in systems:
        got = [p[s.name] for p in pages]
        right = sum(1 for p, g in zip(pages, got) if g == p["gold"])
        result["systems"].append({
            "system": s.name, "exact": round(right / len(pages), 4), "right": right,
            "wrong": sum(1 for p, g in zip(pages, got) if g and g != p["gold"]),
            "none": sum(1 for g in got if not g), "crashes": len(s.crashes), "refused": s.refused,
            **s.timing(), "crash_examples": s.crashes[:3]})
    result["detail"] = pages
    return result


def text_section(folder: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    systems = [System("factdesk", factdesk), System("trafilatura extract", trafilatura_extract)]
    fields = ("with", "without", "title", "author", "author_given", "date")
    per: dict[str, dict[str, list[int]]] = {s.name: {k: [0, 0] for k in fields} for s in systems}
    detail = []
    for row in rows:
        data = (folder / row["file"]).read_bytes()
        page: dict[str, Any] = {"file": row["file"]}
        for s in systems:
            out = s.run(data, row["url"])
            text = squash(out.get("text"))
            c = per[s.name]
            found_with = sum(1 for snip in row.get("with", []) if squash(snip) in text)
            found_without = sum(1 for snip in row.get("without", []) if squash(snip) in text)
            c["with"][0] += found_with
            c["with"][1] += len(row.get("with", []))
            c["without"][0] += found_without
            c["without"][1] += len(row.get("without", []))
            for field in ("title", "author"):
                if row.get(field):
                    c[field][0] += folded(out.get(field)) == folded(row[field])
                    c[field][1] += 1
            if row.get("author"):
                c["author_given"][0] += folded(out.get("author")) == folded(row["author"])
                c["author_given"][1] += bool(out.get("author"))
            if row.get("date"):
                c["date"][0] += (out.get("date") or "")[:10] == row["date"]
                c["date"][1] += 1
            page[s.name] = {"with": found_with, "without": found_without, "title": out.get("title"),
                            "author": out.get("author"), "date": out.get("date")}
        page["gold"] = {k: row.get(k) for k in ("title", "author", "date")}
        detail.append(page)

    def share(pair: list[int]) -> float | None:
        return round(pair[0] / pair[1], 4) if pair[1] else None

    result: dict[str, Any] = {"pages": len(rows), "systems": []}
    for s in systems:
        c = per[s.name]
        result["systems"].append({
            "system": s.name, "recall": share(c["with"]), "leakage": share(c["without"]),
            "title_exact": share(c["title"]), "author_exact": share(c["author"]),
            "author_precision": share(c["author_given"]), "date_exact": share(c["date"]),
            "counts": {k: f"{v[0]}/{v[1]}" for k, v in c.items()},
            "crashes": len(s.crashes), "refused": s.refused, **s.timing(), "crash_examples": s.crashes[:3]})
    result["detail"] = detail
    return result


def report(r: dict[str, Any]) -> None:
    d = r["dates"]
    print(f"\nDates, {d['pages']} pages (kind: date): exact day")
    print_table(["system", "exact", "right", "wrong", "none", "crashes", "p50 ms", "p95 ms", "max ms"],
                [[s["system"], s["exact"], s["right"], s["wrong"], s["none"], s["crashes"], s["p50_ms"],
                  s["p95_ms"], s["max_ms"]] for s in d["systems"]])
    t = r["text"]
    print(f"\nMain text and metadata, {t['pages']} pages (kind: text)")
    print_table(["system", "recall", "leakage", "title", "author", "author P", "date", "crashes", "refused",
                 "p50 ms", "p95 ms", "max ms"],
                [[s["system"], s["recall"], s["leakage"], s["title_exact"], s["author_exact"],
                  s["author_precision"], s["date_exact"],
                  s["crashes"], s["refused"], s["p50_ms"], s["p95_ms"], s["max_ms"]] for s in t["systems"]])
    f = next(s for s in t["systems"] if s["system"] == "factdesk")
    print("  counts (factdesk): " + ", ".join(f"{k} {v}" for k, v in f["counts"].items()))
    times = [s for s in d["systems"] + t["systems"] if s["system"] == "factdesk"]
    print(f"\nfactdesk ingestion per page: p50 {times[0]['p50_ms']} / {times[1]['p50_ms']} ms, "
          f"p95 {times[0]['p95_ms']} / {times[1]['p95_ms']} ms (date pages / text pages)")
    print(f"factdesk's first page in a process (imports, date-parser data): {r['factdesk_first_call_s']} s")
    print(f"{r['seconds']} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="the real-pages folder (default $FACTDESK_DATA/real-pages or /work/shared/data)")
    ap.add_argument("--limit", type=int, help="only the first N pages of each kind (a quick look)")
    ap.add_argument("--json")
    args = ap.parse_args()
    folder = data_dir(args.data)
    if folder is None:
        print("real-pages not found (--data DIR, $FACTDESK_DATA/real-pages or /work/shared/data/real-pages): "
              "nothing measured")
        return 0
    import logging

    logging.disable(logging.CRITICAL)  # the libraries log every odd page
    # A page whose only date is free text: the first one costs imports and, for an extensive search,
    # dateparser's locale data; paid here once, outside the timed runs, and reported.
    warm = ("<html><head><title>Warm</title></head><body><article><h1>Warm</h1><div><p>Opublikowano 24 kwietnia "
            "2020</p></div><p>" + "The dam opened after two years of repairs, the board said. " * 8 +
            "</p></article></body></html>").encode()
    first = time.perf_counter()
    factdesk(warm, "https://example.org/warm")
    result: dict[str, Any] = {"machine": machine(), "data": str(folder),
                              "factdesk_first_call_s": round(time.perf_counter() - first, 2)}
    for fn in (htmldate_fast, htmldate_extensive, trafilatura_metadata, trafilatura_extract):
        fn(warm, "https://example.org/warm")
    started = time.perf_counter()
    result["dates"] = date_section(folder, read_gold(folder, "date", args.limit))
    result["text"] = text_section(folder, read_gold(folder, "text", args.limit))
    result["seconds"] = round(time.perf_counter() - started, 1)
    report(result)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
