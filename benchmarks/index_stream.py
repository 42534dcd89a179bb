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
* ``--kill-at F``: the measured records stream itself is killed (SIGKILL) once a share F of its
  records is checkpointed and run again (its ``kill`` figures); the store must then hold each record
  exactly once.  The rate counts both runs (the killed one from its start to the kill), the peak RSS
  is the larger of the two children's.
* ``--model-memory``: a child loads the real ONNX model through the pipeline ``factdesk index`` builds
  and embeds one indexer chunk (``INDEX_CHUNK`` generated records, their passages): the model's own
  memory (``model_mb``, peak RSS less that before loading), to add to a ``--embedder fake`` build's.
* ``--one-process DB``: the real command, ``python -m factdesk index --db DB FILE``, in one process on a
  kept store (``--store-dir``'s ``r<N>.db``): FILE holds ``INDEX_CHUNK`` new generated records (ids
  ``one-process-<i>``), so the process loads the packaged model and embeds them, then ``finish()``
  builds the tantivy index (its folder is removed first, ``--keep-tantivy`` keeps it) and brings the
  vector index up to date, as ``factdesk index`` does after any run.  Its RSS is read from /proc every
  second with the time, its stderr lines are timed too (the tantivy and vector index steps announce
  themselves there), and ``os.wait4`` gives the whole process's peak (``one_process``): the one-process
  figure for issue 15's memory bound, the model, tantivy and the vector index in the same process.
  ``--long-records``: those records have 6-9 long sentences (three generated ones joined, about 280
  characters), so the model embeds passages of about 720 characters (about 140 word pieces, between the
  p50 95 and p90 185 of real pages' passages in benchmarks/embed_memory.py) and its memory while
  embedding is that of a real corpus.
* ``--check DB``: the demo article checked ``--check-runs`` times in one fresh process against a kept store
  (``Pipeline.check``, no report saved): the first check's time (it opens the indexes and reads from disk what
  the page cache does not hold), the warm checks' times, and the process's memory, its own (``RssAnon``) apart
  from the index files it maps (``RssFile``, page cache the kernel can take back).  The kept stores' vectors are
  the fake embedder's, so this is a figure of time and memory, not of evidence quality.
* the disk size of each kept store (database and WAL) and of its vector index folder (``disk``).
* ``resume``: the records run is killed with SIGKILL once half the records are checkpointed, then
  run again; the store must hold each record exactly once.
* ``--backend sqlite postgresql``: each records size is indexed into SQLite and into a fresh
  PostgreSQL database (``index_stream_<N>``, dropped after) on the server ``--dsn`` or
  ``$FACTDESK_TEST_PG`` names (a user that may CREATE DATABASE; ``bash .ci/postgres.sh`` or
  ``bash .ci/pgvector.sh`` starts a throwaway one), one after the other from the same file.  For
  PostgreSQL the child also reports the server backend serving its connection
  (``pg_backend_pid()``, read from /proc, so the server must run on this machine): its peak RSS
  (``VmHWM``, which counts the shared buffers it touched) and, sampled every 0.2 s, its peak
  private memory (``RssAnon``).  Folders, ``--ann`` and the resume trial stay SQLite's.  A backend
  may be named again (``--backend sqlite postgresql sqlite postgresql``): the runs alternate, so a
  shared box's changing load hits both alike.

``--embedder fake`` swaps the ONNX model for the hashed bag-of-words embedder of factdesk.testing
(384 dims, the real vector size), so what is measured is factdesk's own work (reading, cutting
passages, FTS5 and vector writes, commits, checkpoints): this is how the memory bound is checked at
millions of records on 2 cores, where the real model embeds a few hundred passages a second.
``--embedder real`` uses the packaged model, and the run also times the raw embedding of the
same passages in the same process, before the indexing and again after it, for the ratio of indexing
rate to embedding ceiling (the ceiling is the mean of the two raw passes, so load from other jobs that
rises or falls during the run hits both sides alike).  It also counts, without timing, the padded
tokens the model is given either way (``padded_tokens``): the raw pass sorts all texts by length at
once, the indexer each chunk of ``INDEX_CHUNK`` records (64 until 3 December 2026, 512 since), so its
batches of 64 are padded more.

    python benchmarks/index_stream.py --records 100000 1000000 --files 100000 --embedder fake \\
        --json benchmarks/out/index_stream_fake.json
    python benchmarks/index_stream.py --records 5000 --files 0 --embedder real --json benchmarks/out/index_stream_real.json
    python benchmarks/index_stream.py --records 1000000 --files --no-resume --ann --store-dir /tmp/fd_stream
    python benchmarks/index_stream.py --records --files --no-resume --bookkeeping 1000000 10000000
    taskset -c 1 python benchmarks/index_stream.py --records 7510000 --files --no-resume --kill-at 0.5 --ann \
        --model-memory --store-dir benchmarks/out/idx10m --json benchmarks/out/index_stream_10m.json
    python benchmarks/index_stream.py --records --files --no-resume \
        --one-process benchmarks/out/idx10m/r7510000.db --json benchmarks/out/index_one_process_10m.json
    python benchmarks/index_stream.py --records --files --no-resume \
        --check benchmarks/out/idx10m/r7510000.db --json benchmarks/out/check_10m.json
    bash .ci/postgres.sh .venv/bin/python benchmarks/index_stream.py --records 10000 100000 1000000 \\
        --files --no-resume --backend sqlite postgresql --json benchmarks/out/index_stream_backends.json
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
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
        # the vector index alone: finish() would also build the tantivy index (lexical_engine "auto")
        SqliteIndexer(store, embedder, ann_threshold=1, lexical_engine="fts5").finish()
        print(json.dumps({"added": store.passages.count(), "unchanged": 0, "passages": store.passages.count(),
                          "seconds": time.perf_counter() - t, "raw_embed_per_s": None, "trace": trace}))
    sys.exit(0)
if kind == "model":  # the real model's own memory: load it and embed one indexer chunk of these records
    from factdesk.ingest.records import iter_records
    from factdesk.retrieve import make_passages
    from factdesk.retrieve.index import INDEX_CHUNK, embedding_text

    def status(key):
        return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key)) / 1024

    docs = []
    for _, _, d in iter_records(src):
        if not isinstance(d, str):
            docs.append(d)
        if len(docs) >= INDEX_CHUNK:
            break
    texts = [embedding_text(p) for d in docs for p in make_passages(d)]
    with Store.open(db) as store:  # the pipeline `factdesk index` builds, its embedder not loaded yet
        pipe = Pipeline.from_settings(Settings(verifier="baseline"), store=store)
        before = status("VmHWM")
        t = time.perf_counter()
        pipe.embedder.warm_up()
        loaded = status("VmRSS")
        vectors = pipe.embedder.embed(texts, batch_size=pipe.indexer.batch_size)
        seconds = time.perf_counter() - t
        print(json.dumps({"model": pipe.embedder.name, "records": len(docs), "passages": len(texts),
                          "dim": int(vectors.shape[1]), "before_mb": before, "loaded_rss_mb": loaded,
                          "peak_rss_mb": status("VmHWM"), "model_mb": status("VmHWM") - before,
                          "seconds": seconds}))
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

    from factdesk.retrieve import sidecar
    t = time.perf_counter()
    base = hwm()
    rowids, prints = sidecar.store_keys(FakeStore())
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
postgres = db.startswith("postgresql://")
settings = Settings(verifier="baseline",
                    component_options={} if postgres else {"indexer": {"ann_threshold": 0}})
server = None


def proc_status(pid):
    fields = {}
    for line in open(f"/proc/{pid}/status"):
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"):
            fields[key] = int(value.split()[0]) / 1024  # MB
    return fields


with Store.open(db) as store:
    if postgres:  # the server backend serving this connection: its memory, sampled from /proc
        import threading
        backend = store.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        server = {"backend_pid": backend, "peak_anon_mb": 0.0, "peak_shmem_mb": 0.0, "samples": 0}
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                now = proc_status(backend)
                server["peak_anon_mb"] = max(server["peak_anon_mb"], now.get("RssAnon", 0.0))
                server["peak_shmem_mb"] = max(server["peak_shmem_mb"], now.get("RssShmem", 0.0))
                server["samples"] += 1
                stop.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    pipe = Pipeline.from_settings(settings, store=store, embedder=embedder)
    raw = padding = None
    if embedder_name == "real" and kind == "records":
        from factdesk.ingest.records import iter_records
        from factdesk.retrieve import make_passages
        from factdesk.retrieve.index import embedding_text
        docs = [d for _, _, d in iter_records(src) if not isinstance(d, str)]
        texts = [embedding_text(p) for d in docs for p in make_passages(d)]
        pipe.embedder.warm_up()
        # the model's work either way, without timing: padded tokens when all texts are sorted by length at
        # once (the raw pass) and when each chunk of records is (the indexer's calls); batches of 64
        from factdesk.retrieve.index import INDEX_CHUNK as per_call
        lengths = [len(e.ids) for e in pipe.embedder._tokenizer.encode_batch(texts)]
        from itertools import accumulate
        ends = [0, *accumulate(len(make_passages(d)) for d in docs)]  # texts of records [0, i)
        padding = {"tokens": sum(lengths), "one_call": 0, "indexer_chunks": 0}
        for name, groups in (("one_call", [lengths]), ("indexer_chunks", [
                lengths[ends[c]:ends[min(c + per_call, len(docs))]] for c in range(0, len(docs), per_call)])):
            for group in groups:
                group = sorted(group)
                padding[name] += sum(len(group[b:b + 64]) * max(group[b:b + 64]) for b in range(0, len(group), 64))
        t = time.perf_counter(); pipe.embedder.embed(texts, batch_size=64); raw = len(texts) / (time.perf_counter() - t)
    t = time.perf_counter()
    stats = pipe.index_records(src) if kind == "records" else pipe.index_path(src)
    seconds = time.perf_counter() - t
    raw_after = None
    if raw is not None:  # the ceiling again, after: load that changed during the run hits both sides
        t = time.perf_counter(); pipe.embedder.embed(texts, batch_size=64); raw_after = len(texts) / (time.perf_counter() - t)
    if server is not None:  # before the connection closes: the backend's own peak (VmHWM) and its last state
        stop.set()
        sampler.join()
        end = proc_status(backend)
        server.update(peak_rss_mb=end["VmHWM"], end_rss_mb=end["VmRSS"], end_anon_mb=end["RssAnon"],
                      end_shmem_mb=end["RssShmem"])
        server["peak_anon_mb"] = max(server["peak_anon_mb"], end["RssAnon"])
        server["peak_shmem_mb"] = max(server["peak_shmem_mb"], end["RssShmem"])
        server["database_mb"] = store.conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20
    print(json.dumps({"added": stats.added, "unchanged": stats.unchanged, "passages": stats.passages,
                      "seconds": seconds, "raw_embed_per_s": raw,
                      "raw_embed_after_per_s": raw_after, "padded_tokens": padding, "server": server}))
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


@contextmanager
def load_samples(every: float = 5.0) -> Iterator[list[float]]:
    """The 1-minute load average, read every ``every`` seconds (and at both ends) while the block runs."""
    samples = [os.getloadavg()[0]]
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(every):
            samples.append(os.getloadavg()[0])

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()
        samples.append(os.getloadavg()[0])


def database_url(dsn: str, name: str) -> str:
    """The URL of the database ``name`` on the server the URL ``dsn`` names."""
    base, _, query = dsn.partition("?")
    return base.rpartition("/")[0] + f"/{name}" + (f"?{query}" if query else "")


def server_settings(dsn: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        return {name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("server_version", "shared_buffers", "work_mem", "maintenance_work_mem",
                             "wal_buffers", "max_wal_size", "fsync", "synchronous_commit", "full_page_writes")} | {
            "pgvector": str(bool(conn.execute("SELECT EXISTS (SELECT 1 FROM pg_available_extensions "
                                              "WHERE name = 'vector')").fetchone()[0]))}


def index_postgres(src: Path, n: int, dsn: str, embedder: str) -> tuple[dict[str, Any], float]:
    """Index the records into a fresh database ``index_stream_<n>`` (dropped after); the child's JSON and peak RSS."""
    import psycopg

    name = f"index_stream_{n}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        return run_child(["records", str(src), database_url(dsn, name), embedder])
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_records(path: Path, n: int, rng: random.Random, prefix: str = "", sentences: tuple[int, int] = (2, 4),
                  long_sentences: bool = False) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            if long_sentences:  # three generated sentences joined into one of about 280 characters
                text = " ".join("; ".join(sentence(rng).rstrip(".") for _ in range(3)) + "."
                                for _ in range(rng.randint(*sentences)))
            else:
                text = " ".join(sentence(rng) for _ in range(rng.randint(*sentences)))
            fh.write(json.dumps({"id": f"{prefix}{i}" if prefix else i, "title": f"Bulletin {prefix}{i}", "published": f"20{10 + i % 14}-0{1 + i % 9}-11",
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


def disk_mb(db: Path) -> dict[str, float]:
    """The store's files (database, WAL) and its vector index folder, in MB."""
    store = sum(Path(str(db) + tail).stat().st_size for tail in ("", "-wal", "-shm") if Path(str(db) + tail).exists())
    folder = Path(str(db) + ".usearch.d")
    vectors = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else 0
    return {"store_mb": store / 2**20, "vector_index_mb": vectors / 2**20}


def checkpointed(db: Path) -> int:
    """Records the stream into ``db`` has committed so far (its checkpoint), 0 before the first."""
    try:
        conn = sqlite3.connect(db, timeout=1)
        try:
            row = conn.execute("SELECT content_hash FROM files WHERE path LIKE 'records://%'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
    return int(row[0].split(":")[1]) if row else 0


def killed_stream(src: Path, db: Path, n: int, embedder: str, at: float) -> tuple[dict[str, Any], float]:
    """The measured stream, killed (SIGKILL) once ``at`` of the records are checkpointed, then run again.

    The JSON of the second run, with the store's totals and the kill's figures (``kill``); the peak RSS is
    the larger of the two children's.  ``seconds`` adds the killed child's wall time (start to kill) to the
    second run's indexing time.
    """
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, "records", str(src), str(db), embedder],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    poll = 0.05 if n < 200_000 else 1.0
    while proc.poll() is None:
        if checkpointed(db) >= at * n:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(poll)
    _, status, usage = os.wait4(proc.pid, 0)
    first_seconds, first_rss = time.perf_counter() - t, usage.ru_maxrss / 1024
    at_kill = checkpointed(db)
    conn = sqlite3.connect(db)
    kept = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    kept_passages = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
    conn.close()
    second, second_rss = run_child(["records", str(src), str(db), embedder])
    conn = sqlite3.connect(db)
    documents, distinct = conn.execute("SELECT count(*), count(DISTINCT title) FROM documents").fetchone()
    passages = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
    conn.close()
    kill = {"signal": "SIGKILL" if os.WIFSIGNALED(status) else f"exit {os.waitstatus_to_exitcode(status)}",
            "checkpoint_at_kill": at_kill, "documents_at_kill": kept,
            "passages_at_kill": kept_passages, "killed_seconds": first_seconds, "killed_peak_rss_mb": first_rss,
            "resumed_added": second["added"], "resumed_skipped": second["unchanged"],
            "resumed_seconds": second["seconds"], "resumed_peak_rss_mb": second_rss,
            "documents": documents, "distinct": distinct, "passages": passages,
            "exactly_once": documents == distinct == n}
    out = {**second, "added": documents, "passages": passages, "seconds": first_seconds + second["seconds"],
           "kill": kill}
    return out, max(first_rss, second_rss)


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


def proc_status(pid: int) -> dict[str, float]:
    """A process's memory fields from /proc, in MB."""
    fields = {}
    for line in open(f"/proc/{pid}/status"):
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def one_process(db: Path, src: Path, keep_tantivy: bool) -> dict[str, Any]:
    """``factdesk index --db db src`` as a user runs it, in one process: its memory over time and its peak."""
    import shutil

    from factdesk.retrieve import lexical_tantivy

    if not db.is_file():
        raise SystemExit(f"--one-process: no store at {db} (build one first with --store-dir)")
    if not keep_tantivy:
        shutil.rmtree(lexical_tantivy.index_dir(db), ignore_errors=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "factdesk", "index", "--db", str(db), "--json", "-q", str(src)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    lines: list[list[Any]] = []
    samples: list[list[float]] = []
    stop = threading.Event()

    def read_stderr() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            lines.append([round(time.perf_counter() - t0, 1), line.rstrip()[:300]])

    tantivy_manifest = lexical_tantivy.index_dir(db) / "manifest.json"
    started_wall = time.time()
    tantivy_done: list[float] = []  # when this run's tantivy manifest was written: the tantivy step's end

    def sample() -> None:
        while not stop.wait(1.0):
            try:
                now = proc_status(proc.pid)
            except OSError:
                return
            at = round(time.perf_counter() - t0, 1)
            samples.append([at, round(now.get("VmRSS", 0.0), 1), round(now.get("VmHWM", 0.0), 1)])
            if not tantivy_done and tantivy_manifest.is_file() and tantivy_manifest.stat().st_mtime >= started_wall:
                tantivy_done.append(at)

    threads = [threading.Thread(target=read_stderr, daemon=True), threading.Thread(target=sample, daemon=True)]
    for th in threads:
        th.start()
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    stop.set()
    for th in threads:
        th.join()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"factdesk index failed ({code}): " + "\n".join(line for _, line in lines[-20:]))
    seconds = time.perf_counter() - t0

    def peak_between(start: float, end: float) -> float | None:
        inside = [rss for at, rss, _ in samples if start <= at <= end]
        return max(inside) if inside else None

    # the steps' starts: their announcements on stderr (stores of 100,000 passages or more), else the end of
    # the tantivy step (its manifest written) as the vector index's start
    marks = {"tantivy": next((at for at, line in lines if line.startswith("tantivy index")), None),
             "vector index": next((at for at, line in lines if line.startswith("vector index")),
                                  tantivy_done[0] if tantivy_done else None)}
    steps, order = {}, [(k, v) for k, v in marks.items() if v is not None]
    for i, (name, start) in enumerate(order):
        end = order[i + 1][1] if i + 1 < len(order) else seconds
        steps[name] = {"start_s": start, "end_s": end, "peak_rss_mb": peak_between(start, end)}
    if order:
        steps["before"] = {"start_s": 0.0, "end_s": order[0][1], "peak_rss_mb": peak_between(0.0, order[0][1])}
    return {"db": str(db), "stats": json.loads(out) if out.strip() else None,
            "seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "steps": steps, "stderr": lines,
            "rss_samples": samples, "tantivy_rebuilt": not keep_tantivy,
            "tantivy_done_s": tantivy_done[0] if tantivy_done else None}


_CHECK_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from factdesk import demodata
from factdesk.pipeline import Pipeline
from factdesk.settings import load_settings
from factdesk.store import Store

def memory():
    out = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmHWM", "RssAnon", "RssFile"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out

with Store.open(sys.argv[1]) as store:
    pipe = Pipeline.from_settings(load_settings(), store=store)
    print(json.dumps({"open_s": round(time.perf_counter() - t0, 2)}), flush=True)
    for run in range(int(sys.argv[2])):
        start = time.perf_counter()
        report = pipe.check(demodata.article_path(), save=False)
        print(json.dumps({"run": run, "seconds": round(time.perf_counter() - start, 2),
                          "claims": len(report["claims"]), **memory()}), flush=True)
"""


def check_at(db: Path, runs: int) -> dict[str, Any]:
    """The demo article checked ``runs`` times in one fresh process against a kept store (no report saved):
    the first check opens the indexes and reads what it needs from disk, the others are warm."""
    if not db.is_file():
        raise SystemExit(f"--check: no store at {db} (build one first with --store-dir)")
    proc = subprocess.run([sys.executable, "-c", _CHECK_CHILD, str(db), str(runs)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"the check failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    checks = [line for line in lines if "run" in line]
    return {"db": str(db), "open_s": lines[0]["open_s"], "checks": checks,
            "first_s": checks[0]["seconds"], "warm_s": [c["seconds"] for c in checks[1:]]}


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
    ap.add_argument("--kill-at", type=float, metavar="FRACTION",
                    help="kill (SIGKILL) each measured SQLite records stream once this share of its records is "
                         "checkpointed, run it again, and check the store holds each record exactly once")
    ap.add_argument("--model-memory", action="store_true",
                    help="also load the real model in a child and embed one indexer chunk of records "
                         "(INDEX_CHUNK): its own memory, to add to a --embedder fake build's peak")
    ap.add_argument("--backend", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite"],
                    help="index each records size into these stores, one after the other (folders, --ann and the "
                         "resume trial: SQLite only)")
    ap.add_argument("--dsn", default=os.environ.get("FACTDESK_TEST_PG"),
                    help="PostgreSQL server whose user may CREATE DATABASE ($FACTDESK_TEST_PG)")
    ap.add_argument("--one-process", metavar="DB",
                    help="run `python -m factdesk index --db DB` on INDEX_CHUNK new records in one process and "
                         "record its memory over time: the model, the tantivy build and the vector index together")
    ap.add_argument("--long-records", action="store_true",
                    help="with --one-process: records of 6-9 long sentences (about 280 characters each, so passages of "
                         "three sentences of about 720 characters, about 140 word pieces, between the p50 and p90 of real "
                         "pages' passages) instead of 2-4 short ones, so the model embeds full-length passages")
    ap.add_argument("--keep-tantivy", action="store_true",
                    help="with --one-process: keep the store's tantivy index (default: remove it, so it is built)")
    ap.add_argument("--check", metavar="DB",
                    help="check the demo article against a kept store, --check-runs times in one fresh process (the "
                         "first check cold, the others warm), with the process's memory split into its own (RssAnon) "
                         "and the index files it maps (RssFile)")
    ap.add_argument("--check-runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    if "postgresql" in args.backend and not args.dsn:
        raise SystemExit("--backend postgresql needs a server: --dsn URL or $FACTDESK_TEST_PG "
                         "(bash .ci/postgres.sh .venv/bin/python benchmarks/index_stream.py ... starts one)")
    rng = random.Random(args.seed)
    rows, results = [], {"machine": machine(), "embedder": args.embedder, "records": [], "folders": []}
    if "postgresql" in args.backend:
        results["postgresql_server"] = server_settings(args.dsn)
        print("PostgreSQL server:", json.dumps(results["postgresql_server"]), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        keep = Path(args.store_dir) if args.store_dir else None
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
        for n in args.records:
            src = t / f"r{n}.jsonl"

            def records_file() -> Path:
                if not src.is_file():
                    write_records(src, n, random.Random(args.seed * 1_000_003 + n))  # one sequence per size
                return src

            for backend in args.backend:
                entry: dict[str, Any]
                if backend == "postgresql":
                    records_file()
                    with load_samples() as load:
                        out, rss = index_postgres(src, n, args.dsn, args.embedder)
                    out["peak_rss_mb"], reused = rss, False
                else:
                    db = (keep or t) / f"r{n}.db"
                    done = Path(str(db) + ".stream.json")  # the stream into a kept store finished: reuse it
                    if keep is not None and done.is_file():
                        out, reused, load = json.loads(done.read_text()), True, []
                    else:
                        for stale in (db, Path(str(db) + "-wal"), Path(str(db) + "-shm")):
                            stale.unlink(missing_ok=True)
                        records_file()
                        with load_samples() as load:
                            if args.kill_at:
                                out, rss = killed_stream(src, db, n, args.embedder, args.kill_at)
                            else:
                                out, rss = run_child(["records", str(src), str(db), args.embedder])
                        out["peak_rss_mb"], reused = rss, False
                        out["disk_after_stream"] = disk_mb(db)
                        if keep is not None:
                            done.write_text(json.dumps(out))
                rss = out["peak_rss_mb"]
                rate = out["added"] / out["seconds"]
                entry = {"n": n, "backend": backend, **out, "records_per_s": rate,
                         "passages_per_s": out["passages"] / out["seconds"], "store_reused": reused,
                         "load_1min": [min(load), max(load)] if load else None}
                if out.get("raw_embed_per_s"):
                    ceiling = (out["raw_embed_per_s"] + (out.get("raw_embed_after_per_s") or out["raw_embed_per_s"])) / 2
                    entry["ratio_to_raw_embedding"] = entry["passages_per_s"] / ceiling
                results["records"].append(entry)
                server = out.get("server") or {}
                rows.append(["records" + (" (kept store)" if reused else ""), backend, f"{n:,}", f"{rate:,.0f}/s",
                             f"{entry['passages_per_s']:,.0f}/s", f"{rss:,.0f} MB",
                             f"{server['peak_rss_mb']:,.0f} MB" if server else "-",
                             f"{server['peak_anon_mb']:,.0f} MB" if server else "-",
                             f"{entry.get('ratio_to_raw_embedding', 0):.2f}" if out.get("raw_embed_per_s") else "-",
                             f"{min(load):.1f}–{max(load):.1f}" if load else "-"])
                print(json.dumps(entry), flush=True)  # each run as it ends (a 1 M run takes minutes)
                if backend == "postgresql":
                    continue
                if args.ann:
                    drop_vector_index(db)  # a full build is measured, not an update of an earlier one
                    with load_samples() as a_load:
                        a_out, a_rss = run_child(["ann", str(src), str(db), args.embedder, str(args.shard_size or "")])
                    o_out, o_rss = run_child(["open", str(src), str(db), args.embedder])
                    entry["ann_build"] = {"seconds": a_out["seconds"], "peak_rss_mb": a_rss,
                                          "passages": a_out["passages"],
                                          "passages_per_s": a_out["passages"] / a_out["seconds"],
                                          "peak_rss_trace": a_out["trace"], "open_ms": o_out["open_ms"],
                                          "shards": o_out["shards"], "vectors": o_out["vectors"],
                                          "search_ms": o_out["search_ms"], "open_peak_rss_mb": o_rss,
                                          "load_1min": [min(a_load), max(a_load)], "disk": disk_mb(db)}
                    print(json.dumps({"n": n, "ann_build": entry["ann_build"]}), flush=True)
                    rows.append(["vector index", backend, f"{a_out['passages']:,}",
                                 f"{a_out['passages'] / a_out['seconds']:,.0f} passages/s", "", f"{a_rss:,.0f} MB",
                                 "-", "-", "-", "-"])
                    rows.append([f"open it ({o_out['shards']} shards)", backend, "", f"{o_out['open_ms']:,.0f} ms",
                                 "", f"{o_rss:,.0f} MB", "-", "-", "-", "-"])
                if keep is None:
                    db.unlink()
            src.unlink(missing_ok=True)
        if args.model_memory:
            src = t / "model.jsonl"
            write_records(src, 512, random.Random(args.seed))
            m_out, m_rss = run_child(["model", str(src), str(t / "model.db"), "real"])
            results["model_memory"] = {**m_out, "child_peak_rss_mb": m_rss}
            print(json.dumps({"model_memory": results["model_memory"]}), flush=True)
            rows.append(["real model, one chunk", "-", f"{m_out['passages']:,} passages", f"{m_out['seconds']:,.1f} s",
                         "", f"{m_rss:,.0f} MB (+{m_out['model_mb']:,.0f})", "-", "-", "-", "-"])
        if args.one_process:
            from factdesk.retrieve.index import INDEX_CHUNK

            src = t / "one_process.jsonl"
            write_records(src, INDEX_CHUNK, random.Random(args.seed + 17), prefix="one-process-",
                          sentences=(6, 9) if args.long_records else (2, 4), long_sentences=args.long_records)
            with load_samples() as o_load:
                one = one_process(Path(args.one_process), src, args.keep_tantivy)
            results["one_process"] = {**one, "load_1min": [min(o_load), max(o_load)]}
            print(json.dumps({k: v for k, v in one.items() if k not in ("rss_samples", "stderr")}), flush=True)
            rows.append(["factdesk index, one process", "sqlite", f"{(one['stats'] or {}).get('passages', 0):,}",
                         f"{one['seconds']:,.0f} s", "", f"{one['peak_rss_mb']:,.0f} MB", "-", "-", "-",
                         f"{min(o_load):.1f}–{max(o_load):.1f}"])
        if args.check:
            checked = check_at(Path(args.check), args.check_runs)
            results["check"] = checked
            print(json.dumps(checked), flush=True)
            last = checked["checks"][-1]
            rows.append(["factdesk check (demo article)", "sqlite", "", f"first {checked['first_s']:.1f} s, warm "
                         + " / ".join(f"{s:.1f}" for s in checked["warm_s"]) + " s", "",
                         f"{last['VmHWM']:,.0f} MB ({last['RssAnon']:,.0f} own)", "-", "-", "-", "-"])
        for n in args.bookkeeping:
            k_out, k_rss = run_child(["keys", str(n), str(t), args.embedder])
            results.setdefault("bookkeeping", []).append({**k_out, "peak_rss_mb": k_rss})
            rows.append(["index bookkeeping", "sqlite", f"{n:,}", f"{k_out['seconds']:,.1f} s", "", f"{k_rss:,.0f} MB",
                         "-", "-", "-", "-"])
        for n in args.files if "sqlite" in args.backend else []:
            root = t / f"f{n}"
            write_folder(root, n, rng)
            out, rss = run_child(["folder", str(root), str(t / f"f{n}.db"), args.embedder])
            rate = out["added"] / out["seconds"]
            results["folders"].append({"n": n, **out, "files_per_s": rate, "peak_rss_mb": rss})
            rows.append(["folder", "sqlite", f"{n:,}", f"{rate:,.0f}/s", "", f"{rss:,.0f} MB", "-", "-", "-", "-"])
        if not args.no_resume and args.records and "sqlite" in args.backend:
            n = min(args.records)
            src = t / "resume.jsonl"
            write_records(src, n, rng)
            results["resume"] = resume_trial(src, t / "resume.db", n, args.embedder)
    print_table(["input", "backend", "n", "rate", "passages/s", "client peak RSS", "server peak RSS",
                 "server private peak", "÷ raw embed", "load (1 min)"], rows)
    if "resume" in results:
        print("kill and resume:", json.dumps(results["resume"]))
    write_json(args.json, results)


if __name__ == "__main__":
    main()
