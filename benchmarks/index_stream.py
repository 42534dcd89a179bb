"""Streaming index builds (issue 15 item 4): peak memory and rate for JSON Lines records and big folders.

Each measurement runs in its own child process (``os.wait4`` gives that child's own peak RSS):

* ``records``: a JSON Lines file of N generated news-like passages (our own generated text) is
  indexed with ``Pipeline.index_records`` into a fresh SQLite store.
* ``folder``: a folder of N small text files is indexed with ``Pipeline.index_path`` (the walk is a
  stream; each file is looked up on its own).
* ``vector index`` (``--ann``): the persisted usearch index (factdesk.retrieve.ann) that ``index``
  builds after the stream for stores of 50,000 passages or more, built from scratch in its own child
  so its memory (one shard of int8 vectors and graph at a time, plus the bookkeeping) is reported
  apart from the stream's, with its peak RSS at each progress line (``peak_rss_trace``); then
  another child opens the whole index (``open_ms``, ``import usearch`` not counted) and times a
  dense query (``search_ms``).  ``--store-dir`` keeps the stores, so the index can be measured again
  without re-indexing; ``--shard-size`` overrides ``ann.SHARD_SIZE``.
* ``index bookkeeping`` (``--bookkeeping N``): the vector index's sync without vectors, on a fake
  store of N passage ids: the peak of its rowid / fingerprint arrays and comparison at sizes no
  build here reaches (10 M).
* ``resume``: the records run is killed with SIGKILL once half the records are checkpointed, then
  run again; the store must hold each record exactly once.

``--embedder fake`` swaps the ONNX model for the hashed bag-of-words embedder of factdesk.testing
(384 dims, the real vector size), so what is measured is factdesk's own work (reading, cutting
passages, FTS5 and vector writes, commits, checkpoints): this is how the memory bound is checked at
millions of records on 2 cores, where the real model embeds a few hundred passages a second.
``--embedder real`` uses the packaged model, and the run also times the raw embedding of the
same passages in the same process, for the ratio of indexing rate to embedding ceiling.

    python benchmarks/index_stream.py --records 100000 1000000 --files 100000 --embedder fake \\
        --json benchmarks/out/index_stream_fake.json
    python benchmarks/index_stream.py --records 5000 --files 0 --embedder real --json benchmarks/out/index_stream_real.json
    python benchmarks/index_stream.py --records 1000000 --files --no-resume --ann --store-dir /tmp/fd_stream
    python benchmarks/index_stream.py --records --files --no-resume --bookkeeping 1000000 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import machine, print_table, sentence, write_json

CHILD = r"""
import json, sys, time
from pathlib import Path
from factdesk.pipeline import Pipeline
from factdesk.settings import Settings
from factdesk.store import Store
kind, src, db, embedder_name = sys.argv[1:5]
embedder = None
if embedder_name == "fake":
    from factdesk.testing.fakes import FakeEmbedder
    embedder = FakeEmbedder(dim=384)
if kind == "ann":  # only the vector index beside an already built store
    import logging
    from factdesk.retrieve import SqliteIndexer, ann
    if len(sys.argv) > 5 and sys.argv[5]:
        ann.SHARD_SIZE = int(sys.argv[5])
    trace = []  # (passages added so far, this process's peak RSS in MB) at each progress line of the build

    class Trace(logging.Handler):
        def emit(self, record):
            added = getattr(record, "added", None)
            if added is not None:
                hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
                trace.append([int(added), round(hwm / 1024, 1)])

    logging.getLogger("factdesk").addHandler(Trace())
    logging.getLogger("factdesk").setLevel(logging.INFO)
    with Store.open(db) as store:
        t = time.perf_counter()
        SqliteIndexer(store, embedder, ann_threshold=1).finish()
        print(json.dumps({"added": store.passages.count(), "unchanged": 0, "passages": store.passages.count(),
                          "seconds": time.perf_counter() - t, "raw_embed_per_s": None, "trace": trace}))
    sys.exit(0)
if kind == "keys":  # the vector index's bookkeeping alone for N passages (no vectors): a fake store's ids
    import numpy as np
    from factdesk.retrieve import ann
    n = int(src)

    class Ids:
        def count(self):
            return n

        def id_batches(self, size):  # (rowid, passage id) in no order, as the id index gives them
            for start in range(0, n, size):
                rows = np.random.default_rng(start).permutation(np.arange(start + 1, min(n, start + size) + 1))
                yield [(int(r), "p%016x" % (int(r) * 0x9E3779B97F4A7C15 % 2**64)) for r in rows]

    class FakeStore:
        passages = Ids()

    def hwm():
        return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) / 1024

    t = time.perf_counter()
    base = hwm()
    rowids, prints = ann._store_keys(FakeStore())
    sync = ann._Sync(FakeStore(), Path(db), Path(db), False)
    removed, wanted = sync._compare(rowids, prints)
    print(json.dumps({"passages": n, "to_add": len(wanted), "held_mb": (rowids.nbytes + wanted.nbytes) / 2**20,
                      "peak_rss_mb": hwm(), "start_rss_mb": base, "seconds": time.perf_counter() - t}))
    sys.exit(0)
if kind == "open":  # a new process opens the whole (sharded) index and searches it
    import numpy as np
    from factdesk.retrieve import ann
    ann.usearch_module()  # the first import of usearch (~0.5 s) is not the index's opening
    t = time.perf_counter()
    opened = ann.open_index(Path(db))
    open_ms = (time.perf_counter() - t) * 1000
    queries = np.random.default_rng(0).standard_normal((20, opened.dim)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    opened.search(queries[:1], 200)  # first touch of the memory-mapped pages
    t = time.perf_counter()
    for q in queries:
        opened.search(q, 200)
    print(json.dumps({"open_ms": open_ms, "shards": len(opened.shards), "vectors": len(opened),
                      "search_ms": (time.perf_counter() - t) * 1000 / len(queries)}))
    sys.exit(0)
# the persisted vector index (factdesk.retrieve.ann) is built after the stream; measured apart (kind "ann")
settings = Settings(verifier="baseline", component_options={"indexer": {"ann_threshold": 0}})
with Store.open(db) as store:
    pipe = Pipeline.from_settings(settings, store=store, embedder=embedder)
    raw = None
    if embedder_name == "real" and kind == "records":
        from factdesk.ingest.records import iter_records
        from factdesk.retrieve import make_passages
        from factdesk.retrieve.index import embedding_text
        texts = [embedding_text(p) for _, _, d in iter_records(src) if not isinstance(d, str) for p in make_passages(d)]
        pipe.embedder.warm_up()
        t = time.perf_counter(); pipe.embedder.embed(texts, batch_size=64); raw = len(texts) / (time.perf_counter() - t)
    t = time.perf_counter()
    stats = pipe.index_records(src) if kind == "records" else pipe.index_path(src)
    seconds = time.perf_counter() - t
    print(json.dumps({"added": stats.added, "unchanged": stats.unchanged, "passages": stats.passages,
                      "seconds": seconds, "raw_embed_per_s": raw}))
"""


def run_child(args: list[str]) -> tuple[dict[str, Any], float]:
    """Run the child; its JSON line and its own peak RSS in MB."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child failed: {err.decode()[-2000:]}")
    return json.loads(out.decode().strip().splitlines()[-1]), usage.ru_maxrss / 1024


def write_records(path: Path, n: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = " ".join(sentence(rng) for _ in range(rng.randint(2, 4)))
            fh.write(json.dumps({"id": i, "title": f"Bulletin {i}", "published": f"20{10 + i % 14}-0{1 + i % 9}-11",
                                 "text": text}) + "\n")


def write_folder(root: Path, n: int, rng: random.Random) -> None:
    for i in range(n):
        sub = root / f"{i // 1000:04d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{i}.txt").write_text(" ".join(sentence(rng) for _ in range(rng.randint(2, 4))), encoding="utf-8")


def drop_vector_index(db: Path) -> None:
    """Remove a store's vector index (sharded folder or the single files of format 1)."""
    import shutil

    shutil.rmtree(str(db) + ".usearch.d", ignore_errors=True)
    for name in (".usearch", ".usearch.npz"):
        Path(str(db) + name).unlink(missing_ok=True)


def resume_trial(src: Path, db: Path, n: int, embedder: str) -> dict[str, Any]:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, "records", str(src), str(db), embedder],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        try:
            conn = sqlite3.connect(db, timeout=1)
            row = conn.execute("SELECT content_hash FROM files WHERE path LIKE 'records://%'").fetchone()
            conn.close()
        except sqlite3.Error:
            row = None
        if row and int(row[0].split(":")[1]) >= n // 2:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait()
    killed_at = len(sqlite3.connect(db).execute("SELECT id FROM documents").fetchall())
    second, _ = run_child(["records", str(src), str(db), embedder])
    total = sqlite3.connect(db).execute("SELECT count(*), count(DISTINCT title) FROM documents").fetchone()
    return {"records": n, "kept_at_kill": killed_at, "resumed_added": second["added"],
            "resumed_skipped": second["unchanged"], "documents": total[0], "distinct": total[1],
            "exactly_once": total[0] == total[1] == n}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, nargs="*", default=[10000, 100000])
    ap.add_argument("--files", type=int, nargs="*", default=[20000])
    ap.add_argument("--embedder", choices=["fake", "real"], default="fake")
    ap.add_argument("--ann", action="store_true",
                    help="also build the persisted vector index (usearch) over each records store, measured apart")
    ap.add_argument("--bookkeeping", type=int, nargs="*", default=[],
                    help="measure the vector index's bookkeeping alone (rowids, fingerprints, the compare) for "
                         "these passage counts, with a fake store of ids and no vectors")
    ap.add_argument("--shard-size", type=int, help="vectors per shard of the vector index (default: the module's)")
    ap.add_argument("--store-dir", help="keep the records stores in this folder (r<N>.db) and reuse those whose "
                                        "stream finished, e.g. to measure --ann again without re-indexing")
    ap.add_argument("--no-resume", action="store_true", help="skip the kill-and-resume trial")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    rows, results = [], {"machine": machine(), "embedder": args.embedder, "records": [], "folders": []}
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        keep = Path(args.store_dir) if args.store_dir else None
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
        for n in args.records:
            src = t / f"r{n}.jsonl"
            db = (keep or t) / f"r{n}.db"
            done = Path(str(db) + ".stream.json")  # the stream into a kept store finished: reuse it
            if keep is not None and done.is_file():
                out, rss, reused = json.loads(done.read_text()), None, True
            else:
                for stale in (db, Path(str(db) + "-wal"), Path(str(db) + "-shm")):
                    stale.unlink(missing_ok=True)
                write_records(src, n, random.Random(args.seed * 1_000_003 + n))  # one sequence per size
                out, rss = run_child(["records", str(src), str(db), args.embedder])
                out["peak_rss_mb"], reused = rss, False
                src.unlink()
                if keep is not None:
                    done.write_text(json.dumps(out))
            rss = out["peak_rss_mb"]
            rate = out["added"] / out["seconds"]
            entry = {"n": n, **out, "records_per_s": rate, "passages_per_s": out["passages"] / out["seconds"],
                     "store_reused": reused}
            if out.get("raw_embed_per_s"):
                entry["ratio_to_raw_embedding"] = entry["passages_per_s"] / out["raw_embed_per_s"]
            results["records"].append(entry)
            rows.append(["records" + (" (kept store)" if reused else ""), f"{n:,}", f"{rate:,.0f}/s",
                         f"{rss:,.0f} MB",
                         f"{entry.get('ratio_to_raw_embedding', 0):.2f}" if out.get("raw_embed_per_s") else "-"])
            if args.ann:
                drop_vector_index(db)  # a full build is measured, not an update of an earlier one
                a_out, a_rss = run_child(["ann", str(src), str(db), args.embedder, str(args.shard_size or "")])
                o_out, o_rss = run_child(["open", str(src), str(db), args.embedder])
                entry["ann_build"] = {"seconds": a_out["seconds"], "peak_rss_mb": a_rss, "passages": a_out["passages"],
                                      "passages_per_s": a_out["passages"] / a_out["seconds"],
                                      "peak_rss_trace": a_out["trace"], "open_ms": o_out["open_ms"],
                                      "shards": o_out["shards"], "search_ms": o_out["search_ms"],
                                      "open_peak_rss_mb": o_rss}
                rows.append(["vector index", f"{a_out['passages']:,}", f"{a_out['passages'] / a_out['seconds']:,.0f}/s",
                             f"{a_rss:,.0f} MB", "-"])
                rows.append([f"open it ({o_out['shards']} shards)", "", f"{o_out['open_ms']:,.0f} ms",
                             f"{o_rss:,.0f} MB", "-"])
            if keep is None:
                db.unlink()
        for n in args.bookkeeping:
            k_out, k_rss = run_child(["keys", str(n), str(t), args.embedder])
            results.setdefault("bookkeeping", []).append({**k_out, "peak_rss_mb": k_rss})
            rows.append(["index bookkeeping", f"{n:,}", f"{k_out['seconds']:,.1f} s", f"{k_rss:,.0f} MB", "-"])
        for n in args.files:
            root = t / f"f{n}"
            write_folder(root, n, rng)
            out, rss = run_child(["folder", str(root), str(t / f"f{n}.db"), args.embedder])
            rate = out["added"] / out["seconds"]
            results["folders"].append({"n": n, **out, "files_per_s": rate, "peak_rss_mb": rss})
            rows.append(["folder", f"{n:,}", f"{rate:,.0f}/s", f"{rss:,.0f} MB", "-"])
        if not args.no_resume and args.records:
            n = min(args.records)
            src = t / "resume.jsonl"
            write_records(src, n, rng)
            results["resume"] = resume_trial(src, t / "resume.db", n, args.embedder)
    print_table(["input", "n", "rate", "peak RSS", "÷ raw embed"], rows)
    if "resume" in results:
        print("kill and resume:", json.dumps(results["resume"]))
    write_json(args.json, results)


if __name__ == "__main__":
    main()
