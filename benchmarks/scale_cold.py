"""A cold `factdesk check` at scale: a new process, with the store's files out of the OS page cache.

Issue 15 asks for a 1,000-word article checked in ≤ 15 s by a fresh CLI process against a million
passages.  With the store in the page cache a fresh process took 7–9 s; with the store read from disk,
26 s.  This script measures that case on purpose: before each run it drops the store's files (the
SQLite file, its -wal/-shm and the vector index folder) from this machine's page cache with
``posix_fadvise(DONTNEED)``, then times ``factdesk check`` in a new process (wall time, peak RSS, and
the bytes that process read from storage, from ``/proc/<pid>/io``).

Variants, run interleaved so that other load on the box hits them alike:

* ``before``: the code as it was — lexical searches one after another on the store's connection, and
  no ``documents_names`` index (quote provenance scans the documents table, text and all);
* ``names-index``: ``before`` with the covering index (which of the two changes does what);
* ``after``: the defaults — a block's lexical searches on four read connections at once, and the
  covering ``documents_names`` index (store migration 10);
* ``after-warm``: the defaults with the files left in the page cache (the 7–9 s case);
* ``fts5`` / ``fts5-warm``: ``after`` / ``after-warm`` with ``lexical_engine="fts5"``, the lexical engine
  of a 1 M store before ``"auto"`` chose tantivy from 50,000 passages (``after`` reads the tantivy index
  ``<db>.tantivy.d``, which is evicted with the store's other files).

Usage::

    .venv/bin/python benchmarks/scale_cold.py --runs 3 --json benchmarks/out/scale_cold_1m.json

The store is ``benchmarks/out/scale_check_1000000.db`` (built by ``scale_check.py --sizes 1000000``; its
vector index by ``factdesk.retrieve.ann.sync``).  The ``before`` variant drops the covering index and the
``after`` variants create it again (a few seconds each, outside the timed run).

What "cold" means here: this guest's page cache is emptied for those files; the disk beneath (a virtual
disk) may still hold them in its host's cache, so a read costs a round trip to the host (~0.1 ms per
4 KB page) rather than a seek.  That is the case the 26 s came from: a run after other work had pushed
the store out of this machine's memory.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import OUT, ROOT

CHILD = r"""
import atexit, sys
variant, io_path = sys.argv[1], sys.argv[2]
from factdesk.retrieve.index import SqliteRetriever
if variant in ("before", "names-index"):
    SqliteRetriever.__init__.__kwdefaults__["lexical_threads"] = 0
if variant in ("before", "names-index", "fts5", "fts5-warm"):
    SqliteRetriever.__init__.__kwdefaults__["lexical_engine"] = "fts5"  # the lexical engine before "auto"

def _io():
    with open(io_path, "w") as f:
        f.write(open("/proc/self/io").read())

atexit.register(_io)
sys.argv = ["factdesk"] + sys.argv[3:]
from factdesk.cli import main
main()
"""


def evict(paths: list[Path]) -> int:
    """Drop these files (folders: their files) from the page cache; returns the bytes they hold."""
    total = 0
    for p in paths:
        files = [f for f in p.iterdir() if f.is_file()] if p.is_dir() else [p] if p.exists() else []
        for f in files:
            fd = os.open(f, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                total += os.fstat(fd).st_size
            finally:
                os.close(fd)
    return total


def _tantivy_files(db: Path) -> list[Path]:
    """The tantivy index folder beside the store and its sub-folders (segments live one level down)."""
    folder = Path(f"{db}.tantivy.d")
    return [folder, *(p for p in folder.rglob("*") if p.is_dir())] if folder.exists() else []


def set_names_index(db: Path, present: bool) -> None:
    conn = sqlite3.connect(db, timeout=60)
    try:
        if present:
            conn.execute("CREATE INDEX IF NOT EXISTS documents_names ON documents(role, published, title, author, id)")
        else:
            conn.execute("DROP INDEX IF EXISTS documents_names")
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def run_once(variant: str, db: Path, article: Path) -> dict:
    set_names_index(db, present=variant != "before")
    files = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}.usearch.d"), *_tantivy_files(db)]
    if not variant.endswith("-warm"):
        evict(files)
    with tempfile.TemporaryDirectory() as tmp:
        io_path, out = Path(tmp) / "io", Path(tmp) / "report.json"
        load = os.getloadavg()[0]
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", CHILD, variant, str(io_path), "check", str(article),
                                 "--db", str(db), "--format", "json", "-o", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if status != 0:
            raise SystemExit(f"{variant}: factdesk check failed:\n{err[-2000:]}")
        io = dict(line.split(": ") for line in io_path.read_text().splitlines())
        report = json.loads(out.read_text())
    return {"variant": variant, "seconds": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "read_mb": round(int(io["read_bytes"]) / 2**20, 1), "load_before": round(load, 2),
            "load_after": round(os.getloadavg()[0], 2), "claims": len(report.get("claims", [])),
            "tantivy_fell_back": "lexical searches use FTS5" in err}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=OUT / "scale_check_1000000.db", help="the store (default: the 1 M one)")
    ap.add_argument("--article", type=Path, default=ROOT / "src" / "factdesk" / "demo" / "article.html")
    ap.add_argument("--runs", type=int, default=3, help="runs of each variant, interleaved")
    ap.add_argument("--variants", nargs="+", default=["before", "after", "after-warm"],
                    choices=["before", "names-index", "after", "after-warm", "fts5", "fts5-warm"])
    ap.add_argument("--json", type=Path, help="write every run and the medians here")
    args = ap.parse_args(argv)
    if not args.db.exists():
        ap.error(f"{args.db} does not exist: build it with benchmarks/scale_check.py --sizes 1000000")
    runs = []
    for i in range(args.runs):
        for variant in args.variants:
            r = run_once(variant, args.db, args.article)
            runs.append(r)
            print(f"run {i + 1} {variant:10s} {r['seconds']:6.2f} s  read {r['read_mb']:7.1f} MB  "
                  f"peak {r['peak_rss_mb']} MB  load {r['load_before']}->{r['load_after']}  claims {r['claims']}"
                  + ("  (tantivy index stale: FTS5)" if r["tantivy_fell_back"] else ""),
                  flush=True)
    summary = {}
    for variant in args.variants:
        mine = [r for r in runs if r["variant"] == variant]
        summary[variant] = {"median_s": statistics.median(r["seconds"] for r in mine),
                            "median_read_mb": statistics.median(r["read_mb"] for r in mine),
                            "runs": [r["seconds"] for r in mine]}
    print("\n| variant | cold CLI check, median | runs | read from storage, median |\n|---|---|---|---|")
    for variant, s in summary.items():
        print(f"| {variant} | {s['median_s']:.2f} s | {', '.join(f'{x:.1f}' for x in s['runs'])} | "
              f"{s['median_read_mb']:.0f} MB |")
    if args.json:
        args.json.write_text(json.dumps({"db": str(args.db), "runs": runs, "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
