"""Issue 15: choosing the lexical engine by measurement: SQLite FTS5 (pruned and unpruned), bm25s, tantivy.

One run reads the same passages (the cached ``benchmarks/out/scale_check_<N>.db`` stores that
``scale_check.py`` builds; opened read-only, never rebuilt or written) and runs the same queries
through four lexical engines:

* **fts5-pruned**: factdesk as shipped: the store's own ``passages_fts`` table, the MATCH text that
  ``SqliteRetriever.fts_query`` builds (query terms, stop words dropped, terms in more than
  ``LEXICAL_MAX_DF`` of the passages left out, ``LEXICAL_MIN_TERMS`` rarest kept) and the query
  ``store.passages.lexical`` runs (``bm25(passages_fts, 1.0, 0.5)``: text 1.0, title 0.5);
* **fts5-unpruned**: the same with ``lexical_max_df=0`` (every query term OR-ed: the old path);
* **bm25s** (``pip install bm25s``; PyStemmer for Snowball English stems when installed): title and
  text as one field, bm25s's English stop words, BM25 ``k1=1.2, b=0.75`` (FTS5's and Lucene's
  defaults), saved to disk and loaded memory-mapped for the queries;
* **tantivy** (``pip install tantivy``): fields ``text`` and ``title`` with the ``en_stem`` analyzer
  (lower case, Snowball English stems), term frequencies without positions, a stored and fast
  ``rowid``; the index lives in a temporary directory; queries OR the terms over both fields,
  title boosted 0.5 as in FTS5, and ask for no match count.

The three other engines get the same query words factdesk ORs (``fusion.query_terms``), so they
differ in index and ranking, not in what is asked.

Per engine and store size:

* **build**: wall time and peak RSS of a child process that reads the passages from the store and
  builds the index (for FTS5: a contentless FTS5 table with the store's tokenizer in a temporary
  database, what the store's own external-content index costs to build); the child's peak RSS
  comes from ``os.wait4``; a child above ``--max-rss-gb`` is stopped and reported as such;
* **size on disk** of the built index (and of the store's own ``passages_fts`` tables, via dbstat);
* **queries** in a second child: open time, the first query's time, then every query twice: the
  second pass gives the warm p50/p95 (each search asks for the top 50, what a hybrid search takes
  from each list when k <= 10);
* **quality**: demo evidence recall (the demo article's claims, extracted as ``factdesk check`` does,
  paired with the gold claims; a hit when a gold evidence document is among the top ``top_k``
  lexical passages, the measure ``scale_check.py`` reports as "demo evidence recall", here for the
  lexical list alone, without the date filter or per-document cap); FEVER-open lexical recall@10
  over the FEVER dev claims ``scale_check.py --prune-study`` uses (the first N SUPPORTS/REFUTES
  claims; a hit when the claim's gold evidence document is in the top 10); top-10 overlap with
  fts5-unpruned;
* **hybrid** (``--hybrid``): each engine's top 50 fused by factdesk's ``rrf_fuse`` with the exact
  dense top 50 (the stored vectors, the query embedded by the packaged model), FEVER recall@10.

Usage::

    .venv/bin/pip install bm25s tantivy PyStemmer        # or: pip install 'factdesk[bench-lexical]'
    .venv/bin/python benchmarks/lexical_engines.py --sizes 100000 1000000 --hybrid \\
        --json benchmarks/out/lexical_engines.json

An engine whose package is not installed is skipped with a message.

Sizes with no cached store (10 M): ``--lexical-only`` builds a throwaway store per size in ``--tmp``
(``lexical_only_<N>.db``; deleted after unless ``--keep-store``) in a child process: factdesk's schema
(``Store.open``), the gold passages of ``scale_check_1000000.db`` (demo corpus + FEVER dev evidence) and
filler from ``scale_check.fever_sentences`` (three random sentences a passage) up to N, ``vector`` NULL,
50,000 rows a transaction; ``passages_fts`` filled by factdesk's insert trigger (``--fts-fill trigger``) or
by one FTS5 ``'rebuild'`` after the rows (``rebuild``). The store's own FTS5 index is then the shipped one
(no separate FTS5 build). ``--unpruned-queries N --query-cap-s S`` runs FTS5 unpruned on the first N
queries only, one pass, each stopped after S seconds; ``--child-cap-s`` stops any child running longer::

    .venv/bin/python benchmarks/lexical_engines.py --sizes 10000000 --lexical-only --fts-fill rebuild \\
        --engines fts5-pruned fts5-unpruned tantivy --queries 100 --passes 1 --unpruned-queries 20 \\
        --query-cap-s 10 --tantivy-threads 2 --tantivy-heap-mb 1000 --child-cap-s 1500 \\
        --json benchmarks/out/lexical_engines_10m.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from _common import OUT, ROOT, machine, percentile, print_table, write_json

ENGINES = ["fts5-pruned", "fts5-unpruned", "bm25s", "tantivy"]
BUILDS = {"fts5-pruned": "fts5", "fts5-unpruned": "fts5", "bm25s": "bm25s", "tantivy": "tantivy"}
PACKAGES = {"fts5": None, "bm25s": "bm25s", "tantivy": "tantivy"}
FAILED_QUERIES: list[str] = []  # queries an engine could not run (reported, counted as no hits)
TIMED_OUT: list[str] = []  # FTS5 queries stopped at --query-cap-s (sqlite3 interrupt; counted as no hits)
QUERY_CAP_S = 0.0  # 0: no cap
CHILD_CAP_S = 0.0  # --child-cap-s: a child running longer is stopped and reported (0: no cap)
DEPTH = 50  # each search's list: what the hybrid fusion takes from the lexical side (max(50, 5k))
K1, B = 1.2, 0.75
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"  # the store's passages_fts tokenizer


# -- reading the stores (read-only) ---------------------------------------------------------------
def open_ro(path: Path) -> sqlite3.Connection:
    """The store opened read-only (a URI with ``mode=ro``): nothing here can write to it."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def documents_of(store: Path, rowids: set[int]) -> tuple[dict[int, str], dict[str, str]]:
    """rowid -> document id for these passages, and document id -> file name for documents read from a file."""
    conn = open_ro(store)
    try:
        wanted = sorted(rowids)
        doc_of: dict[int, str] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            doc_of.update((int(r), d) for r, d in conn.execute(
                f"SELECT rowid, document_id FROM passages WHERE rowid IN ({','.join('?' * len(part))})", part))
        files = {d: Path(p).name for d, p in conn.execute("SELECT id, path FROM documents WHERE path IS NOT NULL")}
    finally:
        conn.close()
    return doc_of, files


def passage_batches(path: Path, size: int = 20_000) -> Iterator[list[tuple[int, str, str]]]:
    """(rowid, text, title or '') of every passage, by rowid, ``size`` at a time."""
    conn = open_ro(path)
    last = 0
    try:
        while True:
            rows = conn.execute("SELECT rowid, text, coalesce(title, '') FROM passages WHERE rowid > ? "
                                "ORDER BY rowid LIMIT ?", (last, size)).fetchall()
            if not rows:
                return
            yield rows
            last = int(rows[-1][0])
    finally:
        conn.close()


class ReadOnlyStore:
    """Just what ``SqliteRetriever``'s lexical side reads (``passages``, ``key``), over a read-only connection."""

    path = None  # no vector index: this benchmark never builds one

    def __init__(self, path: Path) -> None:
        from factdesk.store.passages import PassageRecords

        self.conn = open_ro(path)
        self.key = f"lexical-bench:{path}"
        self.passages = PassageRecords(self.conn, self.key)


# -- the queries and their gold --------------------------------------------------------------------
def demo_queries(path: Path) -> list[dict[str, Any]]:
    """The demo article's claims as ``factdesk check`` extracts them, paired with the gold claims.

    One entry per gold claim with evidence documents that the extraction found: the claim's
    ``to_check`` text (what the retriever searches) and the gold evidence file names.
    """
    from factdesk import demodata
    from factdesk.pipeline import Pipeline
    from factdesk.settings import Settings
    from factdesk.store import Store

    with Store.open(":memory:") as scratch:  # extraction needs no corpus; the cached store stays untouched
        _doc, claim_set = Pipeline(scratch, Settings()).extract(demodata.article_path())
    report = {"claims": [{"text": c.text, "to_check": c.to_check} for c in claim_set.claims]}
    out = []
    for gold, found in demodata.match_gold_claims(report, demodata.load_gold()):
        if found is not None and gold.get("evidence_documents"):
            out.append({"query": found["to_check"], "gold_files": list(gold["evidence_documents"])})
    return out


def fever_queries(path: Path, n: int) -> list[dict[str, Any]]:
    """The first ``n`` FEVER dev claims (``scale_check.fever_gold``) and their gold evidence document ids."""
    from scale_check import fever_gold

    conn = open_ro(path)
    url_doc = dict(conn.execute("SELECT url, id FROM documents WHERE url LIKE 'fever:dev:%'").fetchall())
    conn.close()
    return [{"query": g["claim"], "gold_document": url_doc.get(f"fever:dev:{g['row']}")} for g in fever_gold(n)]


# -- a lexical-only store (no vectors) for sizes with no cached scale store -----------------------
GOLD_FROM = "scale_check_1000000.db"  # the demo corpus + FEVER dev gold passages are copied from here
FILLER_DOC = "fever-filler"


def lexical_store_path(size: int, tmp: str | None) -> Path:
    return Path(tmp or tempfile.gettempdir()) / f"lexical_only_{size}.db"


def build_lexical_store(path: Path, size: int, fts_fill: str, seed: int = 7) -> dict[str, Any]:
    """A throwaway store of ``size`` passages for the lexical engines only: factdesk's own schema
    (``Store.open``), the gold passages of the cached 1 M store (demo corpus + FEVER dev evidence, the same
    rows and text), then filler made as ``scale_check.py`` makes it (``fever_sentences``: FEVER train evidence
    sentences, three random ones a passage) up to ``size``; ``vector`` NULL everywhere. Streamed: 50,000
    passages a transaction. ``fts_fill``: ``trigger`` (factdesk's own ``passages_ai`` trigger fills
    ``passages_fts`` row by row, as indexing does) or ``rebuild`` (the trigger dropped during the load, one
    FTS5 ``'rebuild'`` at the end, the trigger put back). The filler passages all belong to one document row
    (a filler document per passage would only add rows no query reads)."""
    import random

    from scale_check import fever_sentences

    from factdesk.store import Store

    t_start = time.perf_counter()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with Store.open(path):
        pass  # the schema, triggers included, exactly as factdesk creates it
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")  # a throwaway file: no rollback journal, no fsync
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA foreign_keys=OFF")
    trigger_sql = conn.execute("SELECT sql FROM sqlite_master WHERE type='trigger' AND name='passages_ai'").fetchone()
    if trigger_sql is None:
        raise SystemExit("factdesk's schema has no passages_ai trigger: the benchmark needs updating")
    if fts_fill == "rebuild":
        conn.execute("DROP TRIGGER passages_ai")
    src = open_ro(OUT / GOLD_FROM)
    now = time.strftime("%Y-%m-%dT%H:%M:%S")
    with conn:
        docs = src.execute("SELECT * FROM documents WHERE source IS NOT 'FEVER filler'").fetchall()
        conn.executemany(f"INSERT INTO documents VALUES ({','.join('?' * len(docs[0]))})", docs)
        conn.execute("INSERT INTO documents(id, role, source, text, added_at) VALUES (?, 'corpus', 'FEVER filler', "
                     "'', ?)", (FILLER_DOC, now))
        ids = [d[0] for d in docs]
        gold = 0
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            rows = src.execute("SELECT id, document_id, position, start, \"end\", text, title, published, url, source "
                               f"FROM passages WHERE document_id IN ({','.join('?' * len(part))}) ORDER BY rowid",
                               part).fetchall()
            conn.executemany("INSERT INTO passages(id, document_id, position, start, \"end\", text, title, published, "
                             "url, source, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)", rows)
            gold += len(rows)
    src.close()
    t_sent = time.perf_counter()
    sentences = fever_sentences()
    sentences_s = time.perf_counter() - t_sent
    rng = random.Random(seed)
    total, step, t_load = gold, 50_000, time.perf_counter()
    while total < size:
        n = min(step, size - total)
        rows = []
        for j in range(total, total + n):
            text = " ".join(rng.sample(sentences, 3))
            day = f"{rng.randint(2015, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            rows.append((f"filler:{j}", FILLER_DOC, j, 0, len(text), text, day))
        with conn:
            conn.executemany("INSERT INTO passages(id, document_id, position, start, \"end\", text, title, published, "
                             "url, source, vector) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, NULL, 'FEVER filler', NULL)", rows)
        total += n
        if total % 500_000 < step:
            print(f"    {path.name}: {total:,} passages, {time.perf_counter() - t_start:.0f} s (load "
                  f"{loadavg()[0]})", file=sys.stderr, flush=True)
    load_s = time.perf_counter() - t_load
    rebuild_s = None
    if fts_fill == "rebuild":
        t0 = time.perf_counter()
        with conn:
            conn.execute("INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')")
            conn.execute(trigger_sql[0])
        rebuild_s = round(time.perf_counter() - t0, 2)
    fts_rows = conn.execute("SELECT count(*) FROM passages_fts_docsize").fetchone()[0]  # one row per indexed passage
    conn.close()
    return {"index_path": str(path), "passages": total, "gold_passages": gold, "fts_fill": fts_fill,
            "fts_docsize_rows": int(fts_rows), "sentences": len(sentences), "sentences_s": round(sentences_s, 2),
            "load_s": round(load_s, 2), "rebuild_s": rebuild_s, "store_bytes": path.stat().st_size,
            "store_build_s": round(time.perf_counter() - t_start, 2)}


# -- engines: build (in a child process) -----------------------------------------------------------
def build_fts5(store: Path, work: Path) -> dict[str, Any]:
    db = sqlite3.connect(work / "fts5.db")
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute(f"CREATE VIRTUAL TABLE passages_fts USING fts5(text, title, content='', tokenize='{FTS_TOKENIZER}')")
    with db:
        for rows in passage_batches(store):
            db.executemany("INSERT INTO passages_fts(rowid, text, title) VALUES (?, ?, ?)", rows)
    db.execute("INSERT INTO passages_fts(passages_fts) VALUES ('optimize')")  # one b-tree, as after a bulk index
    db.commit()
    db.close()
    return {"index_path": str(work / "fts5.db")}


def _bm25s_tokenizer() -> tuple[Any, str]:
    from bm25s.tokenization import Tokenizer

    try:
        import Stemmer  # PyStemmer: Snowball English
    except ImportError:
        return Tokenizer(stopwords="en", stemmer=None), "none (PyStemmer not installed)"
    return Tokenizer(stopwords="en", stemmer=Stemmer.Stemmer("english").stemWord), "PyStemmer english"


def build_bm25s(store: Path, work: Path) -> dict[str, Any]:
    import bm25s

    tokenizer, stemmer = _bm25s_tokenizer()
    ids: list[list[int]] = []
    rowids: list[int] = []
    for rows in passage_batches(store):  # tokenized a batch at a time; the vocabulary grows across batches
        texts = [f"{title}. {text}" if title else text for _rid, text, title in rows]
        ids.extend(tokenizer.tokenize(texts, update_vocab=True, return_as="ids", show_progress=False))
        rowids.extend(int(r[0]) for r in rows)
    retriever = bm25s.BM25(k1=K1, b=B)
    retriever.index(tokenizer.to_tokenized_tuple(ids), show_progress=False)
    del ids
    out = work / "bm25s"
    retriever.save(str(out), show_progress=False)
    tokenizer.save_vocab(str(out))
    tokenizer.save_stopwords(str(out))
    np.save(out / "rowids.npy", np.asarray(rowids, dtype=np.int64))
    return {"index_path": str(out), "stemmer": stemmer, "bm25s": bm25s.__version__}


def build_tantivy(store: Path, work: Path, threads: int, heap_mb: int) -> dict[str, Any]:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text", tokenizer_name="en_stem", index_option="freq")
    builder.add_text_field("title", tokenizer_name="en_stem", index_option="freq")
    builder.add_unsigned_field("rowid", stored=True, fast=True)
    out = work / "tantivy"
    out.mkdir()
    index = tantivy.Index(builder.build(), path=str(out))
    writer = index.writer(heap_size=heap_mb * 1_000_000, num_threads=threads)
    for rows in passage_batches(store):
        for rid, text, title in rows:
            doc = tantivy.Document()
            doc.add_unsigned("rowid", int(rid))  # Document(rowid=...) would make it a signed value
            doc.add_text("text", text)
            doc.add_text("title", title)
            writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    return {"index_path": str(out), "threads": threads, "heap_mb": heap_mb,
            "tantivy": getattr(tantivy, "__version__", "?")}


# -- engines: search (in a child process) ----------------------------------------------------------
def open_searcher(engine: str, store: Path, work: Path) -> Any:
    """A function ``query text -> [rowid, ...]`` (best first, at most DEPTH) for one engine."""
    if engine.startswith("fts5"):
        from factdesk.retrieve.index import SqliteRetriever

        ro = ReadOnlyStore(store)
        kw = {"lexical_max_df": 0} if engine == "fts5-unpruned" else {}
        retriever = SqliteRetriever(ro, None, mode="lexical", memo=False,  # type: ignore[arg-type]
                                    ann_threshold=0, lexical_engine="fts5", **kw)
        version = ro.passages.version()  # once: the store does not change during the run

        def search(q: str) -> list[int]:
            timer = threading.Timer(QUERY_CAP_S, ro.conn.interrupt) if QUERY_CAP_S > 0 else None
            if timer is not None:
                timer.start()
            try:
                match = retriever.fts_query(q, version=version)  # factdesk's own MATCH text (pruned or not)
                return [] if match is None else [r for r, _ in ro.passages.lexical(match, DEPTH)]
            except sqlite3.OperationalError as e:
                if timer is None or "interrupt" not in str(e):
                    raise
                TIMED_OUT.append(q)
                return []
            finally:
                if timer is not None:
                    timer.cancel()
        return search
    from factdesk.retrieve.fusion import query_terms

    if engine == "bm25s":
        import bm25s

        path = work / "bm25s"
        retriever = bm25s.BM25.load(str(path), mmap=True, show_progress=False)
        tokenizer, _ = _bm25s_tokenizer()
        tokenizer.load_vocab(str(path))
        rowids = np.load(path / "rowids.npy", mmap_mode="r")
        depth = min(DEPTH, len(rowids))

        def search(q: str) -> list[int]:
            tokens = tokenizer.tokenize([" ".join(query_terms(q))], update_vocab=False, return_as="string",
                                        show_progress=False)
            if not [t for t in tokens[0] if t]:
                return []
            docs, scores = retriever.retrieve(tokens, k=depth, show_progress=False, n_threads=1)
            return [int(rowids[d]) for d, s in zip(docs[0], scores[0]) if s > 0]  # bm25s pads with non-matches
        return search
    if engine == "tantivy":
        import tantivy

        index = tantivy.Index.open(str(work / "tantivy"))
        index.reload()
        searcher = index.searcher()
        failures = FAILED_QUERIES

        def search(q: str) -> list[int]:
            words = query_terms(q)  # \w+ words only: nothing the query parser reads as syntax
            if not words:
                return []
            try:
                query = index.parse_query(" ".join(words), ["text", "title"], field_boosts={"title": 0.5})
                hits = searcher.search(query, DEPTH, count=False).hits
            except ValueError:  # a word the analyzer splits in two becomes a phrase: no positions indexed
                failures.append(q)
                return []
            return [int(searcher.doc(addr)["rowid"][0]) for _score, addr in hits]
        return search
    raise ValueError(engine)


def query_child(engine: str, store: Path, work: Path, queries: list[str], n_passes: int = 2) -> dict[str, Any]:
    """Open time, first query, then ``n_passes`` passes over the queries (figures from the last; with 2 the
    first warms caches). ``timed_out``: queries of the last pass stopped at ``--query-cap-s``."""
    t0 = time.perf_counter()
    search = open_searcher(engine, store, work)
    open_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    search(queries[0])
    first_ms = 1000 * (time.perf_counter() - t0)
    passes: list[list[float]] = []
    results: list[list[int]] = []
    stopped: set[int] = set()
    for _ in range(n_passes):  # the first pass warms caches (FTS5's document-frequency look-ups included)
        ms, results, stopped = [], [], set()
        for i, q in enumerate(queries):
            before = len(TIMED_OUT)
            t0 = time.perf_counter()
            results.append(search(q))
            ms.append(1000 * (time.perf_counter() - t0))
            if len(TIMED_OUT) > before:
                stopped.add(i)
        passes.append(ms)
    done = [m for i, m in enumerate(passes[-1]) if i not in stopped]
    return {"open_s": round(open_s, 3), "first_query_ms": round(first_ms, 2),
            "cold_pass_p50_ms": round(percentile(passes[0], 0.5), 2),
            "p50_ms": round(percentile(passes[-1], 0.5), 2), "p95_ms": round(percentile(passes[-1], 0.95), 2),
            "mean_ms": round(float(np.mean(passes[-1])), 2), "failed_queries": len(set(FAILED_QUERIES)),
            "query_passes": n_passes, "query_cap_s": QUERY_CAP_S, "queries_run": len(queries),
            "timed_out": len(stopped), "timed_out_index": sorted(stopped),
            "finished_p50_ms": round(percentile(done, 0.5), 2), "finished_p95_ms": round(percentile(done, 0.95), 2),
            "results": results}


def timing_child(engines: list[str], store: Path, work: Path, queries: list[str], passes: int) -> dict[str, Any]:
    """Warm latency of every engine in one process, interleaved query by query (the order rotating), so a
    change in the machine's load falls on all engines alike; per query the median of ``passes`` runs."""
    searchers = {e: open_searcher(e, store, work) for e in engines}
    for search in searchers.values():  # one warming pass each
        for q in queries:
            search(q)
    ms: dict[str, list[list[float]]] = {e: [[] for _ in queries] for e in engines}
    for p in range(passes):
        for i, q in enumerate(queries):
            order = engines[(i + p) % len(engines):] + engines[:(i + p) % len(engines)]
            for e in order:
                t0 = time.perf_counter()
                searchers[e](q)
                ms[e][i].append(1000 * (time.perf_counter() - t0))
    out = {}
    for e in engines:
        med = [float(np.median(m)) for m in ms[e]]
        out[e] = {"p50_ms": round(percentile(med, 0.5), 2), "p95_ms": round(percentile(med, 0.95), 2),
                  "mean_ms": round(float(np.mean(med)), 2)}
    return out


def dense_child(store: Path, queries: list[str]) -> dict[str, Any]:
    """Exact dense top DEPTH of each query over every stored vector (streamed in batches)."""
    from factdesk.retrieve.embed import OnnxMiniLMEmbedder

    ro = ReadOnlyStore(store)
    q = OnnxMiniLMEmbedder().embed(queries, batch_size=64)
    best_s = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_r = np.zeros((len(queries), 0), dtype=np.int64)
    for rows in ro.passages.vector_batches(size=20_000):
        mat = np.frombuffer(b"".join(r[2] for r in rows), dtype="<f4").reshape(len(rows), -1)
        s = np.concatenate([best_s, q @ mat.T], axis=1)
        r = np.concatenate([best_r, np.broadcast_to(np.array([x[0] for x in rows], dtype=np.int64),
                                                    (len(queries), len(rows)))], axis=1)
        keep = np.argsort(-s, axis=1, kind="stable")[:, :DEPTH]
        best_s, best_r = np.take_along_axis(s, keep, 1), np.take_along_axis(r, keep, 1)
    return {"results": [[(int(r), float(s)) for r, s in zip(rr, ss)] for rr, ss in zip(best_r, best_s)]}


def vm_hwm_mb() -> int | None:
    """This process's peak resident size (VmHWM, reset by exec, so the parent's pages are not in it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return None


def child_main(args: argparse.Namespace) -> int:
    global QUERY_CAP_S
    QUERY_CAP_S = args.query_cap_s
    store, work = Path(args.store), Path(args.work)
    if args.child == "store":
        out = build_lexical_store(store, args.lexical_size, args.fts_fill)
    elif args.child == "build":
        t0 = time.perf_counter()
        if args.engine == "fts5":
            out = build_fts5(store, work)
        elif args.engine == "bm25s":
            out = build_bm25s(store, work)
        else:
            out = build_tantivy(store, work, args.tantivy_threads, args.tantivy_heap_mb)
        out["build_s"] = round(time.perf_counter() - t0, 2)
    elif args.child == "query":
        out = query_child(args.engine, store, work, json.loads(Path(args.query_file).read_text()), args.query_passes)
    elif args.child == "timing":
        out = timing_child(args.engine.split(","), store, work, json.loads(Path(args.query_file).read_text()),
                           args.passes)
    elif args.child == "demo":
        out = {"queries": demo_queries(store)}
    else:
        out = dense_child(store, json.loads(Path(args.query_file).read_text()))
    out["vm_hwm_mb"] = vm_hwm_mb()
    Path(args.result).write_text(json.dumps(out))
    return 0


# -- the parent: children, memory watch, figures --------------------------------------------------
def run_child(argv: list[str], max_rss_gb: float) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Run this script as a child; (its JSON result or None, {seconds, peak_rss_mb, rc, note})."""
    result = Path(tempfile.mkstemp(suffix=".json", prefix="lexical_engines_")[1])
    cmd = [sys.executable, str(Path(__file__).resolve()), *argv, "--result", str(result)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    killed: list[float] = []

    def watch() -> None:  # stop a child that grows past the limit (the box is shared)
        status = Path(f"/proc/{proc.pid}/status")
        while proc.returncode is None:
            if CHILD_CAP_S > 0 and time.perf_counter() - t0 > CHILD_CAP_S:
                killed.append(-1.0)
                os.kill(proc.pid, signal.SIGKILL)
                return
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmRSS:") and int(line.split()[1]) > max_rss_gb * 1024 * 1024:
                        killed.append(int(line.split()[1]) / 1024)
                        os.kill(proc.pid, signal.SIGKILL)
                        return
            except (OSError, ValueError):
                return
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    info: dict[str, Any] = {"seconds": round(time.perf_counter() - t0, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024),
                            "rc": proc.returncode}
    if killed and killed[0] < 0:
        info["note"] = f"stopped after {CHILD_CAP_S:g} s (--child-cap-s)"
    elif killed:
        info["note"] = f"stopped at {killed[0]:,.0f} MB RSS (limit --max-rss-gb {max_rss_gb:g})"
    data = json.loads(result.read_text()) if proc.returncode == 0 and result.stat().st_size else None
    result.unlink(missing_ok=True)
    return data, info


def disk_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def store_fts_bytes(path: Path) -> int | None:
    """Bytes of the store's own passages_fts tables (dbstat), None where SQLite lacks dbstat."""
    conn = open_ro(path)
    try:
        got = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'passages_fts%'").fetchone()[0]
        return int(got) if got is not None else None
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def installed(build: str) -> bool:
    package = PACKAGES[build]
    if package is None:
        return True
    return importlib.util.find_spec(package) is not None


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def measure_size(size: int, args: argparse.Namespace, engines: list[str]) -> dict[str, Any]:
    from factdesk.retrieve.fusion import rrf_fuse
    from factdesk.settings import Settings

    top_k = Settings().top_k
    load_before = loadavg()
    store_build = None
    if args.lexical_only:
        store = lexical_store_path(size, args.tmp)
        print(f"  {size:,} lexical-only store {store} (FTS5 by {args.fts_fill}; load {loadavg()[0]})",
              file=sys.stderr, flush=True)
        data, info = run_child(["--child", "store", "--store", str(store), "--work", str(OUT), "--lexical-size",
                                str(size), "--fts-fill", args.fts_fill], args.max_rss_gb)
        store_build = (data, info)
        if data is None:
            raise SystemExit(f"building {store} failed: {info}")
        print(f"  {size:,} store built: {data['store_build_s']} s, {info['peak_rss_mb']} MB peak, "
              f"{data['store_bytes'] / 1e9:.2f} GB", file=sys.stderr, flush=True)
    else:
        store = OUT / f"scale_check_{size}.db"
        if not store.exists():
            raise SystemExit(f"{store} is missing: build it with benchmarks/scale_check.py --sizes {size} --build-only")
    entry: dict[str, Any] = {"passages": size, "store": str(store if args.lexical_only else store.relative_to(ROOT)),
                             "top_k": top_k, "load_before": load_before, "engines": {}}
    if store_build is not None:
        entry["lexical_only_store"] = {**store_build[1], **store_build[0]}
    if args.only_store:
        entry["load_after"] = loadavg()
        return entry
    conn = open_ro(store)
    entry["passages_in_store"] = int(conn.execute("SELECT count(*) FROM passages").fetchone()[0])
    conn.close()
    fever = fever_queries(store, args.queries)
    got, _ = run_child(["--child", "demo", "--store", str(store), "--work", str(OUT)], args.max_rss_gb)
    demo = got["queries"] if got else []  # in a child: the pipeline's models stay out of this process
    entry["parent_rss_mb"] = vm_hwm_mb()
    texts = [f["query"] for f in fever] + [d["query"] for d in demo]
    entry["queries"] = {"fever": len(fever), "demo": len(demo), "fever_with_gold_in_store":
                        sum(f["gold_document"] is not None for f in fever)}
    entry["store_fts5_bytes"] = store_fts_bytes(store)
    if store_build is not None:  # the store's own passages_fts is the shipped index: no separate FTS5 build
        entry["store_fts5_build"] = "lexical-only store: " + args.fts_fill
    work = Path(tempfile.mkdtemp(prefix=f"lexical_engines_{size}_", dir=args.tmp))
    qfile = work / "queries.json"
    qfile.write_text(json.dumps(texts))
    common = ["--store", str(store), "--work", str(work)]
    results: dict[str, list[list[int]]] = {}
    try:
        built: dict[str, tuple[dict[str, Any] | None, dict[str, Any]]] = {}
        for engine in engines:
            build = BUILDS[engine]
            row: dict[str, Any] = {}
            entry["engines"][engine] = row
            if build == "fts5" and store_build is not None:
                built[build] = ({"index_path": str(store), "build_s": store_build[0]["store_build_s"],
                                 "note": "the whole store build (rows + passages_fts), not FTS5 alone"},
                                store_build[1])
            if build not in built:
                print(f"  {size:,} build {build} (load {loadavg()[0]})", file=sys.stderr, flush=True)
                built[build] = run_child(["--child", "build", "--engine", build, *common,
                                          "--tantivy-threads", str(args.tantivy_threads),
                                          "--tantivy-heap-mb", str(args.tantivy_heap_mb)], args.max_rss_gb)
            data, info = built[build]
            row["build"] = {**info, **(data or {})}
            if data is None:
                row["error"] = f"build failed ({info.get('note') or 'rc ' + str(info['rc'])})"
                print(f"  {size:,} {engine}: {row['error']}", file=sys.stderr, flush=True)
                continue
            row["index_bytes"] = (entry["store_fts5_bytes"] or 0 if store_build is not None and build == "fts5"
                                  else disk_bytes(Path(data["index_path"])))
            print(f"  {size:,} query {engine} (load {loadavg()[0]})", file=sys.stderr, flush=True)
            extra, qf = ["--query-passes", "2"], qfile
            if engine == "fts5-unpruned" and args.unpruned_queries:  # too slow for every query at the largest sizes
                qf = work / "queries_unpruned.json"
                qf.write_text(json.dumps(texts[:args.unpruned_queries]))
                extra = ["--query-passes", "1", "--query-cap-s", str(args.query_cap_s)]
                row["subset"] = {"queries": min(args.unpruned_queries, len(texts)), "passes": 1,
                                 "cap_s": args.query_cap_s}
            qdata, qinfo = run_child(["--child", "query", "--engine", engine, *common, "--query-file", str(qf),
                                      *extra], args.max_rss_gb)
            if qdata is None:
                row["error"] = f"queries failed ({qinfo.get('note') or 'rc ' + str(qinfo['rc'])})"
                continue
            results[engine] = qdata.pop("results")
            row["query"] = {**qdata, "peak_rss_mb": qinfo["peak_rss_mb"], "process_s": qinfo["seconds"]}
            print(f"  {size:,} {engine}: build {row['build']['build_s']} s, {row['build']['peak_rss_mb']} MB; "
                  f"query p50 {qdata['p50_ms']} ms p95 {qdata['p95_ms']} ms", file=sys.stderr, flush=True)
        ready = [e for e in engines if e in results and not (e == "fts5-unpruned" and args.unpruned_queries)]
        if ready:
            print(f"  {size:,} interleaved latency: {', '.join(ready)} (load {loadavg()[0]})", file=sys.stderr,
                  flush=True)
            tdata, tinfo = run_child(["--child", "timing", "--engine", ",".join(ready), *common, "--query-file",
                                      str(qfile), "--passes", str(args.passes)], args.max_rss_gb)
            entry["interleaved"] = {"process": tinfo, "passes": args.passes}
            for e in ready:
                if tdata:
                    entry["engines"][e]["interleaved"] = tdata[e]
        dense = None
        if args.hybrid:
            print(f"  {size:,} dense top {DEPTH} (exact scan; load {loadavg()[0]})", file=sys.stderr, flush=True)
            dfile = work / "fever.json"
            dfile.write_text(json.dumps([f["query"] for f in fever]))
            ddata, dinfo = run_child(["--child", "dense", *common, "--query-file", str(dfile)], args.max_rss_gb)
            entry["dense"] = dinfo
            dense = ddata["results"] if ddata else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # quality, from the returned rowids
    doc_of, files = documents_of(store, {r for rs in results.values() for q in rs for r in q} |
                                 {r for q in (dense or []) for r, _ in q})
    nf = len(fever)

    def found(gold_document: str | None, rowids: list[int]) -> float:
        return float(gold_document is not None and gold_document in {doc_of.get(r) for r in rowids})
    base = results.get("fts5-unpruned")
    subset = len(results["fts5-unpruned"]) if "fts5-unpruned" in results and args.unpruned_queries else None
    for engine, rs in results.items():
        row = entry["engines"][engine]
        fever_hits = [found(f["gold_document"], rs[i][:10]) for i, f in enumerate(fever) if i < len(rs)]
        demo_hits = [float(bool(set(d["gold_files"]) & {files.get(doc_of.get(r, ""), "") for r in rs[nf + i][:top_k]}))
                     for i, d in enumerate(demo) if nf + i < len(rs)]
        if subset is not None:  # every engine on the unpruned run's queries (the first FEVER claims)
            row["fever_recall@10_unpruned_subset"] = round(float(np.mean(fever_hits[:min(subset, nf)])), 3)
        row["fever_recall@10"] = round(float(np.mean(fever_hits)), 3) if fever_hits else None
        row[f"demo_evidence_recall@{top_k}"] = round(float(np.mean(demo_hits)), 3) if demo_hits else None
        if base is not None:
            overlaps = [len(set(a[:10]) & set(b[:10])) / max(1, min(10, len(b[:10]))) for a, b in zip(rs, base)]
            row["top10_overlap_vs_fts5_unpruned"] = round(float(np.mean(overlaps)), 3)
        if dense is not None:
            hybrid_hits = []
            for i, f in enumerate(fever):
                lex = [(r, float(DEPTH - j)) for j, r in enumerate(rs[i])]
                fused = [r for r, *_ in rrf_fuse(lex, [tuple(x) for x in dense[i]], "hybrid")[:10]]
                hybrid_hits.append(found(f["gold_document"], fused))
            row["fever_hybrid_recall@10"] = round(float(np.mean(hybrid_hits)), 3)
    if dense is not None:
        entry["fever_dense_recall@10"] = round(float(np.mean(
            [found(f["gold_document"], [r for r, _ in dense[i][:10]]) for i, f in enumerate(fever)])), 3)
    entry["load_after"] = loadavg()
    return entry


def print_size(entry: dict[str, Any]) -> None:
    k = entry["top_k"]
    print(f"\n{entry['passages']:,} passages ({entry['queries']['fever']} FEVER claims, "
          f"{entry['queries']['demo']} demo gold claims); load average before {entry['load_before']}, "
          f"after {entry['load_after']}")
    rows = []
    for engine, r in entry["engines"].items():
        b, q = r.get("build", {}), r.get("query", {})
        if "error" in r:
            rows.append([engine, r["error"]] + [""] * 12)
            continue
        size = entry.get("store_fts5_bytes") if engine.startswith("fts5") else None  # the index factdesk ships
        rows.append([engine, b.get("build_s"), b.get("peak_rss_mb"), round((size or r["index_bytes"]) / 1e6, 1),
                     q.get("open_s"), q.get("first_query_ms"), r.get("interleaved", {}).get("p50_ms"),
                     r.get("interleaved", {}).get("p95_ms"), q.get("p50_ms"), q.get("peak_rss_mb"),
                     r.get(f"demo_evidence_recall@{k}"), r.get("fever_recall@10"),
                     r.get("top10_overlap_vs_fts5_unpruned"), r.get("fever_hybrid_recall@10", "")])
    print_table(["engine", "build s", "build peak MB", "index MB", "open s", "first query ms", "p50 ms", "p95 ms",
                 "alone p50 ms", "query peak MB", f"demo recall@{k}", "FEVER R@10", "top-10 overlap",
                 "FEVER hybrid R@10"], rows)
    rebuilt = next((r["index_bytes"] for e, r in entry["engines"].items()
                    if e.startswith("fts5") and "index_bytes" in r), None)
    if entry.get("store_fts5_bytes") and rebuilt:
        print(f"FTS5 index MB: the store's own passages_fts tables (dbstat); the rebuilt one's file: "
              f"{rebuilt / 1e6:.1f} MB")
    if "fever_dense_recall@10" in entry:
        print(f"FEVER dense-only recall@10 (exact scan): {entry['fever_dense_recall@10']}")
    print("p50/p95: warm, all engines interleaved in one process (per query the median of --passes runs); "
          "alone p50: the engine's own process, second pass")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100000],
                    help="store sizes: benchmarks/out/scale_check_<N>.db must exist (scale_check.py builds them)")
    ap.add_argument("--queries", type=int, default=400,
                    help="FEVER dev claims (the first N, as scale_check.py --prune-study N); the demo claims are added")
    ap.add_argument("--engines", nargs="+", default=ENGINES, choices=ENGINES)
    ap.add_argument("--hybrid", action="store_true",
                    help="also fuse each engine's list with the exact dense top 50 (FEVER hybrid recall@10)")
    ap.add_argument("--max-rss-gb", type=float, default=6.0,
                    help="stop a child process above this resident size and report it (default 6)")
    ap.add_argument("--tantivy-threads", type=int, default=1,
                    help="tantivy indexing threads (default 1, as FTS5 and bm25s build on one)")
    ap.add_argument("--tantivy-heap-mb", type=int, default=512, help="tantivy writer memory budget")
    ap.add_argument("--passes", type=int, default=3,
                    help="warm passes over the queries in the interleaved latency run (per query: their median)")
    ap.add_argument("--tmp", default=None, help="where the indexes are built (default: the system temp dir)")
    ap.add_argument("--lexical-only", action="store_true",
                    help="build each size as a throwaway store without vectors in --tmp (lexical_only_<N>.db: the 1 M "
                         "store's gold passages + scale_check filler), measure there, delete it after")
    ap.add_argument("--fts-fill", choices=["trigger", "rebuild"], default="trigger",
                    help="--lexical-only: fill passages_fts by factdesk's insert trigger, or one FTS5 'rebuild' after")
    ap.add_argument("--only-store", action="store_true", help="--lexical-only: build the store, time it, stop")
    ap.add_argument("--keep-store", action="store_true", help="--lexical-only: do not delete the store after")
    ap.add_argument("--unpruned-queries", type=int, default=0,
                    help="run fts5-unpruned on the first N queries only, one pass, each capped at --query-cap-s, "
                         "outside the interleaved timing (0: every query, as the others)")
    ap.add_argument("--query-cap-s", type=float, default=0.0, help="FTS5 query time cap (sqlite3 interrupt)")
    ap.add_argument("--child-cap-s", type=float, default=0.0,
                    help="stop any child process (build or queries) running longer than this and report it (0: none)")
    ap.add_argument("--query-passes", type=int, default=2, help=argparse.SUPPRESS)
    ap.add_argument("--lexical-size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--json", help="write the figures here (e.g. benchmarks/out/lexical_engines.json)")
    ap.add_argument("--print", dest="print_json", metavar="JSON", help="print the tables of a run written earlier")
    # internal: one build or query in a child process
    ap.add_argument("--child", choices=["build", "query", "dense", "demo", "timing", "store"], help=argparse.SUPPRESS)
    ap.add_argument("--engine", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    ap.add_argument("--query-file", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    global CHILD_CAP_S
    CHILD_CAP_S = args.child_cap_s
    if args.child:
        return child_main(args)
    if args.print_json:
        earlier = json.loads(Path(args.print_json).read_text())
        print(f"{earlier['command']}  (PyStemmer: {earlier.get('pystemmer')})")
        for entry in earlier["sizes"]:
            print_size(entry)
        print(f"\nuptime before: {earlier.get('uptime_before')}\nuptime after:  {earlier.get('uptime_after')}")
        return 0
    engines = []
    for engine in args.engines:
        if installed(BUILDS[engine]):
            engines.append(engine)
        else:
            print(f"{engine} skipped: the package {PACKAGES[BUILDS[engine]]!r} is not installed "
                  f"(pip install 'factdesk[bench-lexical]' or pip install {PACKAGES[BUILDS[engine]]})", file=sys.stderr)
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    results: dict[str, Any] = {"machine": machine(), "command": " ".join(sys.argv), "sizes": [],
                               "uptime_before": uptime, "pystemmer": importlib.util.find_spec("Stemmer") is not None}
    for size in args.sizes:
        try:
            entry = measure_size(size, args, engines)
        finally:
            if args.lexical_only and not args.keep_store:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{lexical_store_path(size, args.tmp)}{suffix}").unlink(missing_ok=True)
        if args.only_store:
            print(json.dumps(entry, indent=1))
            results["sizes"].append(entry)
            continue
        results["sizes"].append(entry)
        print_size(entry)
        write_json(args.json, results)  # after each size: a killed 1 M run keeps the 100 k figures
    results["uptime_after"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"\nuptime before: {results['uptime_before']}\nuptime after:  {results['uptime_after']}")
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
