"""Issue 15 item 1: checking an article against 10 k / 100 k / 1 M passages, old path vs new path.

Stores (cached as ``benchmarks/out/scale_check_<N>.db``, git-ignored; ``--rebuild`` makes them anew):

* the demo corpus (38 documents, 243 passages) with real embeddings, so the demo article's claims
  have their gold evidence in the store;
* the gold evidence of ``--fever-claims`` FEVER dev claims (``../shared/data/fever/dev.jsonl``, read
  in place), one document each, with real embeddings: the FEVER-open recall set;
* filler up to N passages: FEVER train evidence sentences recombined, three random sentences per
  document, with random dates 2015-2025 and **random unit vectors** (embedding a million texts on
  two cores would take hours and does not change what a search costs; the filler's dense ranks are
  meaningless, the demo's and FEVER gold's are real).

The check (``--runs`` warm runs, interleaved old / new in one process, the same loaded models):

* **old**: the retriever as before issue 15 (``lexical_max_df=0``, ``ann_threshold=0``, ``memo=False``,
  ``lexical_rank_first=False``):
  every query's full FTS5 OR-query, the exact scan over every vector, one embedding call per
  search call;
* **new**: the defaults with FTS5 as the lexical engine (``lexical_engine="fts5"``; FTS5 query pruning,
  the persisted usearch index from 50,000 passages on, query vectors embedded once per check, searches
  shared between claims, quotes and omitted context); since ``lexical_engine="auto"`` became the default,
  the default path of a store of 50,000 passages or more is **new-tantivy**;
* **new-exact**: the new path with the exact vector scan instead of the index (its first check builds
  nothing, so it can run at 1 M before the index exists);
* **new-tantivy**: the new path with ``lexical_engine="tantivy"`` (what ``"auto"``, the default, gives
  from 50,000 passages): lexical lists from the tantivy index beside the store (``<db>.tantivy.d``,
  synced before the checks when missing or behind, as ``factdesk index`` does; ``tantivy_sync_s``); its
  "lexical" time is the time inside the tantivy lookups (filters included) plus any FTS5 query it fell
  back to.

Per-stage wall time: ingest+claims / retrieve / verify / quotes / claim matching / omitted context /
report, plus the time spent inside FTS5 queries (summed over the parallel read connections). Also:
demo evidence recall (a gold evidence document among a gold claim's evidence) and label accuracy, per
gold claim in the JSON (``per_claim``: label, evidence hit, the evidence's documents and stances); with
both new and new-tantivy, the claims whose label or evidence hit differs between them and the demo
accuracy with every (claim, passage) pair judged alone (``demo_pairs_judged_alone``: in a check the
verifier judges an article's pairs in batches, and a pair's probabilities move a little with its batch).

The FTS5 pruning study (``--prune-study N``, first N FEVER dev claims whose evidence is in the store, and
the demo article's retrieval queries): lexical recall@10, top-10 overlap with the unpruned query and
latency per cutoff (``--shipped-cutoff``: only the shipped one), and the same for tantivy unpruned (as
``lexical_engine="tantivy"`` searches) and tantivy with the cutoff applied to its query words (tantivy's own
document frequencies; a study variant, not a retriever option); FEVER hybrid recall@10 for old, new and
new-tantivy; with ``--fever-open``, FEVER-open label accuracy and recall@top_k of new vs new-tantivy, in
hybrid and lexical mode (top_k hits, the check's verifier and calibrated aggregation, as
``factdesk eval open`` scores it; each distinct pair judged once for both engines).

**PostgreSQL** (``--backend sqlite postgresql``, a server at ``--dsn`` or ``$FACTDESK_TEST_PG`` whose
user may CREATE DATABASE): the cached SQLite store is copied, as it is (documents, passages and their
stored vectors; nothing re-embedded), into a database ``scale_check_<N>`` on that server through the
PostgreSQL store's own bulk path (``save_documents`` + ``passages.replace_many``: one COPY per chunk;
pgvector's HNSW index dropped during the load and built once after it, as a bulk ``factdesk index``
does), then ``VACUUM ANALYZE``.  The same check then runs through ``PostgresRetriever``, interleaved
with the SQLite checks in one process, with the same stage timers; "lexical" is the time inside
``store.passages.lexical`` on either backend (FTS5 there, the tsvector BM25 queries with their
document-frequency look-ups here).  PostgreSQL paths (``--pg-paths``): **pg-old** (``memo=False``,
``lexical_max_df=0``, the exact scan: the old path's shape), **pg-scan** (the defaults with ``dense="scan"``: every vector
in memory) and **pg-pgvector** (``dense="pgvector"``: the HNSW index; skipped, with a message, on a
server without the extension).

    .venv/bin/python benchmarks/scale_check.py                      # 10 k and 100 k
    .venv/bin/python benchmarks/scale_check.py --sizes 1000000 --runs 2 --paths old new-exact
    .venv/bin/python benchmarks/scale_check.py --sizes 1000000 --runs 2 --paths new new-tantivy \\
        --json benchmarks/out/scale_check_1m_tantivy.json
    .venv/bin/python benchmarks/scale_check.py --sizes 100000 --prune-study 400 --no-check
    .venv/bin/python benchmarks/scale_check.py --sizes 100000 1000000 --prune-study 400 --shipped-cutoff \
        --fever-open --no-check --json benchmarks/out/scale_check_engines.json     # FTS5 vs tantivy quality
    bash .ci/postgres.sh .venv/bin/python benchmarks/scale_check.py --backend sqlite postgresql \\
        --paths new new-exact --pg-paths scan                           # Debian's PostgreSQL
    bash .ci/pgvector.sh .venv/bin/python benchmarks/scale_check.py --backend sqlite postgresql \\
        --paths new new-exact --pg-paths scan pgvector                  # pgserver's, with pgvector
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from _common import ROOT, building_store, machine, percentile, print_table, random_unit_vectors, write_json

FEVER = ROOT.parent / "shared" / "data" / "fever"
OUT = ROOT / "benchmarks" / "out"
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")


# -- data --------------------------------------------------------------------------------
def fever_gold(n: int) -> list[dict[str, Any]]:
    """The first ``n`` FEVER dev claims (SUPPORTS/REFUTES) with their evidence text."""
    out = []
    with open(FEVER / "dev.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row.get("label") in ("SUPPORTS", "REFUTES") and len(row.get("evidence") or "") > 30:
                out.append(row)
                if len(out) >= n:
                    break
    return out


def fever_sentences() -> list[str]:
    """Distinct sentences of FEVER train evidence (the filler's material)."""
    seen: dict[str, None] = {}
    with open(FEVER / "train.jsonl", encoding="utf-8") as f:
        for line in f:
            for s in _SENT.split((json.loads(line).get("evidence") or "").strip()):
                s = s.strip()
                if 30 <= len(s) <= 400:
                    seen.setdefault(s, None)
    return list(seen)


class MixedEmbedder:
    """Real vectors for the texts that matter (demo corpus, FEVER gold, queries), random ones for filler."""

    def __init__(self, model: Any, seed: int = 7) -> None:
        self.model, self.name, self.dim = model, model.name, model.dim
        self.filler = False
        self.rng = np.random.default_rng(seed)

    def warm_up(self) -> None:
        self.model.warm_up()

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if self.filler:
            return random_unit_vectors(self.rng, len(texts), self.dim)
        return self.model.embed(texts, batch_size=batch_size)


def build_store(path: Path, size: int, fever_claims: int, seed: int) -> dict[str, Any]:
    """Index demo corpus + FEVER gold (real vectors) + recombined filler (random vectors) up to ``size``."""
    from factdesk import demodata
    from factdesk.ingest import find_files, load_file
    from factdesk.retrieve import OnnxMiniLMEmbedder, SqliteIndexer
    from factdesk.types import Document

    started = time.perf_counter()
    emb = MixedEmbedder(OnnxMiniLMEmbedder(), seed)
    rng = random.Random(seed)
    with building_store(path) as store:
        indexer = SqliteIndexer(store, emb, chunk_size=2000)
        demo = [load_file(p) for p in find_files(demodata.corpus_dir())]
        total = indexer.add_documents(demo, save_role="corpus")
        gold = [Document(text=r["evidence"], title=None, source="FEVER dev evidence",
                         url=f"fever:dev:{r['row']}") for r in fever_gold(fever_claims)]
        total += indexer.add_documents(gold, save_role="corpus")
        real_s = time.perf_counter() - started
        sentences = fever_sentences()
        emb.filler = True
        batch: list[Document] = []
        while total < size:
            for _ in range(min(5000, max(1, size - total))):
                text = " ".join(rng.sample(sentences, 3))
                day = f"{rng.randint(2015, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                batch.append(Document(text=text, published=day, source="FEVER filler"))
            total += indexer.add_documents(batch, save_role="corpus")
            batch = []
            print(f"  {path.name}: {total:,} passages, {time.perf_counter() - started:.0f} s", file=sys.stderr,
                  flush=True)
    return {"passages": total, "build_s": round(time.perf_counter() - started, 1), "real_vectors_s": round(real_s, 1)}


def ensure_store(size: int, args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    path = OUT / f"scale_check_{size}.db"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists() and not args.rebuild:
        return path, json.loads(meta_path.read_text())
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob(f"scale_check_{size}.db*"):
        old.unlink()
    meta = build_store(path, size, args.fever_claims, args.seed)
    meta_path.write_text(json.dumps(meta))
    return path, meta


# -- the same store on PostgreSQL ------------------------------------------------------------
def postgres_url(dsn: str, size: int) -> str:
    """The URL of the database ``scale_check_<size>`` on the server ``dsn`` names."""
    base, _, rest = dsn.partition("?")
    return base.rpartition("/")[0] + f"/scale_check_{size}" + (f"?{rest}" if rest else "")


def copy_to_postgres(path: Path, url: str, *, chunk: int = 5000, hnsw_memory: str = "2GB") -> dict[str, Any]:
    """Copy the SQLite store's documents and passages (with their stored vectors) into the store at ``url``.

    Through the PostgreSQL store's bulk path (``save_documents``, ``passages.replace_many``: one COPY per
    chunk, also filling pgvector's ``embedding`` column); the HNSW index is dropped first and built once
    at the end, as ``PostgresIndexer`` does for a bulk ``factdesk index``.  Then ``VACUUM ANALYZE``, what
    autovacuum does to freshly loaded tables on a real server.
    """
    import sqlite3

    from factdesk.store.postgres import PostgresStore
    from factdesk.types import Document, Passage

    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    total = src.execute("SELECT count(*) FROM passages").fetchone()[0]
    out: dict[str, Any] = {"passages": total}
    started = time.perf_counter()
    with PostgresStore.open(url) as store:
        out["pgvector"] = store.pgvector
        if store.pgvector:
            store.passages.drop_hnsw_index()
        copied, last = 0, -1
        while True:
            docs = src.execute("SELECT rowid, id, role, path, url, title, author, published, source, kind, text "
                               "FROM documents WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, chunk)).fetchall()
            if not docs:
                break
            last = docs[-1][0]
            ids = [d[1] for d in docs]
            per_doc: dict[str, tuple[list[Passage], list[bytes | None]]] = {i: ([], []) for i in ids}
            rows = src.execute(f"""SELECT id, document_id, position, start, "end", text, title, published, url,
                                   source, vector FROM passages WHERE document_id IN ({",".join("?" * len(ids))})
                                   ORDER BY document_id, position""", ids)
            for r in rows:
                ps, vs = per_doc[r[1]]
                ps.append(Passage(document_id=r[1], text=r[5], start=r[3], end=r[4], position=r[2], title=r[6],
                                  published=r[7], url=r[8], source=r[9], id=r[0]))
                vs.append(r[10])
            with store.transaction():
                for role in dict.fromkeys(d[2] for d in docs):
                    store.save_documents([Document(text=d[10], title=d[5], author=d[6], published=d[7], url=d[4],
                                                   source=d[8], path=d[3], kind=d[9], id=d[1])
                                          for d in docs if d[2] == role], role=role)
                store.passages.replace_many([(i, *per_doc[i]) for i in ids if per_doc[i][0]])
            copied += sum(len(v[0]) for v in per_doc.values())
            secs = time.perf_counter() - started
            print(f"  copy to PostgreSQL: {copied:,} / {total:,} passages, {secs:.0f} s "
                  f"({copied / max(secs, 1e-9):,.0f} passages/s)", file=sys.stderr, flush=True)
        out["copy_s"] = round(time.perf_counter() - started, 1)
        out["copy_passages_per_s"] = round(copied / max(out["copy_s"], 1e-9), 1)
        if store.pgvector:
            t0 = time.perf_counter()
            store.passages.build_hnsw_index(hnsw_memory)
            out["hnsw_build_s"] = round(time.perf_counter() - t0, 1)
            print(f"  HNSW index built in {out['hnsw_build_s']} s", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        store.conn.execute("VACUUM ANALYZE documents")
        store.conn.execute("VACUUM ANALYZE passages")
        out["vacuum_analyze_s"] = round(time.perf_counter() - t0, 1)
        out["database_bytes"] = int(store.conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])
        assert store.passages.count() == total, (store.passages.count(), total)
    src.close()
    out["load_s"] = round(time.perf_counter() - started, 1)
    return out


def ensure_postgres(size: int, path: Path, args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The database ``scale_check_<size>`` on the server, copied from the SQLite store unless already complete."""
    import psycopg

    url = postgres_url(args.dsn, size)
    name = f"scale_check_{size}"
    with psycopg.connect(args.dsn, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and not args.pg_reload:
            with psycopg.connect(url, autocommit=True) as conn:
                done = conn.execute("SELECT to_regclass('scale_check_loaded') IS NOT NULL").fetchone()[0]
                meta = conn.execute("SELECT load FROM scale_check_loaded").fetchone()[0] if done else None
            if meta is not None:
                return url, {**json.loads(meta), "reused": True}
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    meta = copy_to_postgres(path, url, chunk=args.pg_chunk, hnsw_memory=args.pg_hnsw_memory)
    with psycopg.connect(url, autocommit=True) as conn:  # marks the copy complete (a killed one is redone)
        conn.execute("CREATE TABLE scale_check_loaded (load TEXT NOT NULL)")
        conn.execute("INSERT INTO scale_check_loaded VALUES (%s)", (json.dumps(meta),))
    return url, meta


# -- timing ---------------------------------------------------------------------------------
class TantivyTimer:
    """Adds up the time of one retriever's tantivy lexical lists (lookups and filters) and its tantivy searches."""

    def __init__(self, retriever: Any) -> None:
        from factdesk.retrieve.lexical_tantivy import TantivyIndex

        self.seconds, self.calls = 0.0, 0
        original, search = retriever._lexical_tantivy, TantivyIndex.search

        def timed(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*a, **kw)
            finally:
                self.seconds += time.perf_counter() - t0

        def counted(index: Any, *a: Any, **kw: Any) -> Any:
            self.calls += 1
            return search(index, *a, **kw)
        retriever._lexical_tantivy = timed
        TantivyIndex.search = counted  # only new-tantivy's retriever searches tantivy


class FtsTimer:
    """Wraps ``store.passages.lexical`` to add up the time spent inside lexical queries (on SQLite: on every
    connection, the parallel readers' included).

    FTS5 on SQLite; on PostgreSQL the tsvector BM25 queries, their document-frequency look-ups included.
    """

    def __init__(self, records: Any) -> None:
        from factdesk.store.passages import PassageRecords

        self.seconds, self.calls = 0.0, 0
        self._local, self._lock = threading.local(), threading.Lock()
        if type(records) is PassageRecords:
            # SQLite: the class, so the read-only connections a block's parallel lexical searches run on
            # (store.passage_reader()) count too; their seconds are summed, not wall time
            if not hasattr(PassageRecords, "_fts_timer_original"):
                PassageRecords._fts_timer_original = PassageRecords.lexical
            original = PassageRecords._fts_timer_original
            PassageRecords.lexical = lambda rec, *a, **kw: self._timed(original, rec, *a, **kw)
        else:
            original = records.lexical
            records.lexical = lambda *a, **kw: self._timed(original, *a, **kw)

    def _timed(self, original: Any, *a: Any, **kw: Any) -> Any:
        if getattr(self._local, "inside", False):  # lexical() calling itself (rank first, filter after): counted once
            return original(*a, **kw)
        self._local.inside = True
        t0 = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            self._local.inside = False
            with self._lock:
                self.seconds += time.perf_counter() - t0
                self.calls += 1


def timed_pipeline_class() -> Any:
    from factdesk.context import find_omitted, provenance_for_claims
    from factdesk.pipeline import Pipeline, stage

    class TimedPipeline(Pipeline):
        """The pipeline with wall-clock timers around its stages (the same calls as Pipeline.check)."""

        timers: dict[str, float]

        @contextmanager
        def _t(self, name: str) -> Iterator[None]:
            t0 = time.perf_counter()
            try:
                yield
            finally:
                self.timers[name] = self.timers.get(name, 0.0) + time.perf_counter() - t0

        def extract(self, source):  # ingest + claims
            with self._t("ingest+claims"):
                return super().extract(source)

        def gather_evidence(self, doc, claim_set, **kw):
            with self._t("retrieve"):
                return super().gather_evidence(doc, claim_set, **kw)

        def judge(self, checked):
            with self._t("verify"):
                return super().judge(checked)

        def context(self, doc, checked, sources):
            with stage("context"):
                with self._t("quotes"):
                    quotes = provenance_for_claims(checked, doc, sources=sources or None, store=self.store,
                                                   index=self.retriever)
                with self._t("claim matching"):
                    matches = self.match_reviews(checked)
                with self._t("omitted context"):
                    omitted = find_omitted(doc, checked, self.retriever, self.omitted_verifier,
                                           limit=self.settings.max_omitted)
            return quotes, matches, omitted

    prepare = getattr(Pipeline, "prepare_retrieval", None)
    if prepare is not None:
        def prepare_retrieval(self, doc, claim_set):
            with self._t("embed queries"):
                return prepare(self, doc, claim_set)
        TimedPipeline.prepare_retrieval = prepare_retrieval  # type: ignore[attr-defined]
    return TimedPipeline


def demo_scores(report: dict[str, Any], store: Any) -> dict[str, Any]:
    """The demo gold's figures for a report: evidence recall and label accuracy (``factdesk demo --score``)."""
    from factdesk import demodata

    score = demodata.score_report(report, store=store)
    out = {k: score[k] for k in ("evidence_recall", "label_accuracy", "claims_found") if k in score}
    out["per_claim"] = demo_claims(report, store)
    return out


def demo_claims(report: dict[str, Any], store: Any) -> list[dict[str, Any]]:
    """Per gold claim: the label given, whether a gold evidence document is among its evidence, and which
    documents (corpus file names; ``filler`` for the scale filler, ``fever`` for FEVER gold) in rank order."""
    from factdesk import demodata

    gold = demodata.load_gold()
    files = demodata.document_files(store)
    rows = []
    for g, c in demodata.match_gold_claims(report, gold):
        want = set(g.get("evidence_documents") or [])
        ev = (c or {}).get("evidence", [])
        names = [files.get(e.get("document_id", ""), "") or "filler/fever" for e in ev]
        rows.append({"text": g["text"], "gold": g["label"],
                     "predicted": c["verdict"]["label"] if c and c.get("verdict") else None,
                     "confidence": round(float(c["verdict"].get("confidence", 0)), 3) if c and c.get("verdict") else None,
                     "evidence_hit": bool(set(names) & want) if want and c else None,
                     "evidence": names,
                     "stances": [f"{e.get('stance')}:{e.get('stance_probability')}" for e in ev],
                     "passages": [e.get("passage_id") for e in ev]})
    return rows


def demo_rejudged(reports: dict[str, dict[str, Any]], store: Any, parts: dict[str, Any]) -> dict[str, Any]:
    """The demo gold's label accuracy with every (claim, passage) pair judged alone, per path.

    In a check the verifier judges all of an article's pairs in one call, in batches: the same pair can get
    different probabilities in another batch (padding), and near a decision threshold another label.  Judged
    one pair a call, a pair's stance depends on the pair only, so two paths' labels differ only where their
    evidence (or its order) does.  Same evidence, same aggregation (the check's calibrated settings).
    """
    from factdesk import demodata
    from factdesk.pipeline import Pipeline
    from factdesk.settings import Settings
    from factdesk.types import Evidence, Stance
    from factdesk.verify.aggregate import verdict_for

    agg = Pipeline(store, Settings(), verifier=parts["verifier"], embedder=parts["embedder"]).aggregation_settings()
    gold = demodata.load_gold()
    alone: dict[tuple[str, str], Any] = {}
    out: dict[str, Any] = {}
    for name, report in reports.items():
        right, labels = 0, []
        for g, c in demodata.match_gold_claims(report, gold):
            if c is None:
                labels.append(None)
                continue
            evidence = []
            for e in c.get("evidence", []):
                passage = store.passages.get(e["passage_id"])
                pair = (c["checked_as"], passage.text)
                if pair not in alone:
                    alone[pair] = parts["verifier"].stances([pair])[0]
                r = alone[pair]
                evidence.append(Evidence(passage=passage, score=float(e.get("score") or 0.0), stance=Stance(r.stance),
                                         stance_probability=r.probability, probabilities=dict(r.probabilities),
                                         after_claim_date=bool(e.get("after_claim_date"))))
            label = verdict_for(evidence, agg).label.value
            labels.append(label)
            right += label == g["label"]
        out[name] = {"label_accuracy": round(right / len(gold["claims"]), 4), "labels": labels}
    return out


def claim_flips(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The gold claims whose label or evidence hit differs between two paths' per-claim rows."""
    out = []
    for x, y in zip(a, b):
        if (x["predicted"], x["evidence_hit"]) != (y["predicted"], y["evidence_hit"]):
            out.append({"text": x["text"][:80], "gold": x["gold"], "label": [x["predicted"], y["predicted"]],
                        "evidence_hit": [x["evidence_hit"], y["evidence_hit"]],
                        "same_evidence": x["passages"] == y["passages"],
                        "shared_evidence": len(set(x["passages"]) & set(y["passages"]))})
    return out


# the SQLite path each PostgreSQL path is compared with (the same dense search, where SQLite has it)
PG_PAIRS = {"pg-old": "old", "pg-scan": "new-exact", "pg-pgvector": "new"}


def run_check(size: int, path: Path, args: argparse.Namespace, parts: dict[str, Any],
              pg_url: str | None = None) -> dict[str, Any]:
    from contextlib import ExitStack

    from factdesk import demodata
    from factdesk.retrieve import SqliteRetriever
    from factdesk.settings import Settings
    from factdesk.store import Store

    timed = timed_pipeline_class()
    out: dict[str, Any] = {"passages": size}
    settings = Settings()
    cap = settings.max_per_document
    with ExitStack() as stack:
        targets: dict[str, tuple[Any, Any]] = {}  # path -> (store, retriever)
        if "sqlite" in args.backend:
            store = stack.enter_context(Store.open(path))
            makers = {
                "old": lambda: SqliteRetriever(store, parts["embedder"], max_per_document=cap, lexical_max_df=0,
                                               lexical_engine="fts5",
                                               ann_threshold=0, memo=False, lexical_rank_first=False),
                "new": lambda: SqliteRetriever(store, parts["embedder"], max_per_document=cap, lexical_engine="fts5"),
                # the new path with the exact vector scan instead of the vector index (what a store without
                # usearch, or below ann_threshold, gets)
                "new-exact": lambda: SqliteRetriever(store, parts["embedder"], max_per_document=cap,
                                                     ann_threshold=0, lexical_engine="fts5"),
                "new-tantivy": lambda: SqliteRetriever(store, parts["embedder"], max_per_document=cap,
                                                       lexical_engine="tantivy"),
            }
            if "new-tantivy" in args.paths:  # what `factdesk index` does with lexical_engine="tantivy"
                from factdesk.retrieve import lexical_tantivy

                t0 = time.perf_counter()
                tindex = lexical_tantivy.sync(store)
                out["tantivy_sync_s"] = round(time.perf_counter() - t0, 2)
                out["tantivy_docs"] = len(tindex)
                out["tantivy_index_mb"] = round(sum(f.stat().st_size for f in tindex.path.rglob("*")
                                                    if f.is_file()) / 1e6, 1)
            targets.update({name: (store, makers[name]()) for name in ("old", "new", "new-exact", "new-tantivy")
                            if name in args.paths})
        if pg_url is not None:
            from factdesk.retrieve.postgres import PostgresRetriever
            from factdesk.store.postgres import PostgresStore

            pg = stack.enter_context(PostgresStore.open(pg_url))
            out["postgres"] = {"server": pg.conn.execute("SHOW server_version").fetchone()[0],
                               "dense_search": pg.dense_search}
            pg_makers = {
                "pg-old": lambda: PostgresRetriever(pg, parts["embedder"], max_per_document=cap, memo=False,
                                                    lexical_max_df=0, dense="scan", ann_threshold=0),
                "pg-scan": lambda: PostgresRetriever(pg, parts["embedder"], max_per_document=cap, dense="scan"),
                "pg-pgvector": lambda: PostgresRetriever(pg, parts["embedder"], max_per_document=cap,
                                                         dense="pgvector"),
            }
            for name in (f"pg-{p}" for p in ("old", "scan", "pgvector") if p in args.pg_paths):
                if name == "pg-pgvector" and not pg.pgvector:
                    print("  pg-pgvector skipped: the server has no pgvector", file=sys.stderr, flush=True)
                    continue
                targets[name] = (pg, pg_makers[name]())
        timers = {id(st): FtsTimer(st.passages) for st, _ in targets.values()}
        tantivy_timers = {name: TantivyTimer(retr) for name, (_, retr) in targets.items() if name == "new-tantivy"}
        pipes = {name: timed(st, settings, verifier=parts["verifier"], embedder=parts["embedder"],
                             scorer=parts["scorer"], retriever=retr, omitted_verifier=parts["omitted"])
                 for name, (st, retr) in targets.items()}
        article = demodata.article_path()
        for name in targets:  # first (cold) check of each path: loads vectors / opens or builds the index
            pipes[name].timers = {}
            t0 = time.perf_counter()
            pipes[name].check(article, save=False)
            out[f"{name}_first_s"] = round(time.perf_counter() - t0, 2)
            print(f"  {size:,} {name}: first check {out[f'{name}_first_s']} s (load {os.getloadavg()[0]:.1f})",
                  file=sys.stderr, flush=True)
        runs: dict[str, list[dict[str, float]]] = {p: [] for p in targets}
        reports: dict[str, Any] = {}
        loads: list[float] = []
        for r in range(args.runs):
            for name, (st, retriever) in targets.items():  # interleaved: SQLite and PostgreSQL paths alike
                pipe, lexical = pipes[name], timers[id(st)]
                pipe.timers = {}
                retriever._results.clear()  # a new check: nothing remembered from the last one
                retriever._lexical.clear()
                retriever._qvecs.clear()
                lexical.seconds, lexical.calls = 0.0, 0
                tant = tantivy_timers.get(name)
                if tant is not None:
                    tant.seconds, tant.calls = 0.0, 0
                t0 = time.perf_counter()
                reports[name] = pipe.check(article, save=False)
                total = time.perf_counter() - t0
                row = {"total": total, **pipe.timers, "lexical": lexical.seconds, "lexical_queries": lexical.calls}
                if tant is not None:
                    row.update(lexical=lexical.seconds + tant.seconds, lexical_queries=lexical.calls + tant.calls,
                               fts5_fallback_queries=lexical.calls)
                runs[name].append(row)
                loads.append(os.getloadavg()[0])
                print(f"  {size:,} {name} run {r + 1}: {total:.2f} s  " +
                      " ".join(f"{k}={v:.2f}" for k, v in row.items() if k != "total") +
                      f"  (load {loads[-1]:.1f})", file=sys.stderr, flush=True)
        for name, (st, _) in targets.items():
            keys = sorted({k for row in runs[name] for k in row})
            out[name] = {k: round(statistics.median(row.get(k, 0.0) for row in runs[name]), 3) for k in keys}
            out[name]["demo"] = demo_scores(reports[name], st)
            out[name]["claims"] = len(reports[name]["claims"])
        if loads:
            out["load_1min"] = [round(min(loads), 1), round(max(loads), 1)]
        for name in ("new", "new-exact"):
            if "old" in out and name in out:
                out[f"speedup_{name}"] = round(out["old"]["total"] / out[name]["total"], 2)
        if "new" in out and "new-tantivy" in out:  # tantivy / FTS5, measured side by side in this run
            out["ratio_tantivy_vs_fts5"] = {k: round(out["new-tantivy"][k] / out["new"][k], 3)
                                            for k in ("total", "retrieve", "quotes", "omitted context", "lexical")
                                            if out["new"].get(k)}
            out["demo_flips_fts5_vs_tantivy"] = claim_flips(out["new"]["demo"]["per_claim"],
                                                            out["new-tantivy"]["demo"]["per_claim"])
            alone = demo_rejudged({n: reports[n] for n in ("new", "new-tantivy")}, targets["new"][0], parts)
            out["demo_pairs_judged_alone"] = {n: alone[n]["label_accuracy"] for n in alone}
            out["demo_flips_judged_alone"] = [
                {"text": g["text"][:80], "gold": g["gold"], "label": [a, b]}
                for g, a, b in zip(out["new"]["demo"]["per_claim"], alone["new"]["labels"], alone["new-tantivy"]["labels"])
                if a != b]
        for name, lite in PG_PAIRS.items():  # PostgreSQL / SQLite, measured side by side in this run
            if name in out and lite in out:
                out[f"ratio_{name}_vs_{lite}"] = {
                    k: round(out[name][k] / out[lite][k], 2) for k in out[name]
                    if isinstance(out[name][k], float) and out[lite].get(k)}
    return out


# -- FTS5 pruning and FEVER-open recall -------------------------------------------------------
class PrunedTantivy:
    """Tantivy lexical lists with FTS5's query pruning applied to the query words (a study variant): words
    in more than ``max_df`` of the passages are left out, keeping the ``min_terms`` rarest; a word's
    document frequency is tantivy's own (the number of passages its parsed query matches)."""

    def __init__(self, tindex: Any, passages: int, max_df: float, min_terms: int) -> None:
        self.tindex, self.passages, self.max_df, self.min_terms = tindex, passages, max_df, min_terms
        self._df: dict[str, int] = {}

    def df(self, word: str) -> int:
        if word not in self._df:
            from factdesk.retrieve.lexical_tantivy import FIELD

            query, _ = self.tindex.index.parse_query_lenient(word, [FIELD])
            self._df[word] = int(self.tindex.searcher.search(query, 1, count=True).count)
        return self._df[word]

    def lexical_search(self, query: str, k: int) -> list[tuple[int, float]]:
        from factdesk.retrieve.fusion import query_terms, rare_terms

        terms = query_terms(query)
        if len(terms) > self.min_terms:
            keep = rare_terms([self.df(t) for t in terms], self.passages, max_df=self.max_df,
                              min_terms=self.min_terms)
            terms = [t for i, t in enumerate(terms) if i in keep]
        return self.tindex.search(terms, k)


def fever_open(retrievers: dict[str, Any], gold: list[dict[str, Any]], targets: list[str | None],
               parts: dict[str, Any], store: Any) -> dict[str, Any]:
    """FEVER-open label accuracy and recall@top_k per retriever, as ``factdesk eval open`` scores it.

    Each claim's top ``Settings.top_k`` hybrid hits (at most ``max_per_document`` a document, as a check
    takes them) go to the check's verifier and its calibrated aggregation; a verdict is right when it is
    the claim's FEVER label (SUPPORTS/REFUTES only here, so NOT ENOUGH INFO is wrong).  Every distinct
    (claim, passage) pair is judged once, for all retrievers together, so a label differs between
    retrievers only where their evidence does.
    """
    from factdesk.evaluate.runner import unit_evidence
    from factdesk.pipeline import Pipeline
    from factdesk.settings import Settings
    from factdesk.types import Label
    from factdesk.verify.aggregate import verdict_for

    settings = Settings()
    k, cap = settings.top_k, settings.max_per_document
    agg = Pipeline(store, settings, verifier=parts["verifier"], embedder=parts["embedder"]).aggregation_settings()
    claims = [g["claim"] for g in gold]
    want = {"SUPPORTS": Label.SUPPORTED.value, "REFUTES": Label.REFUTED.value}
    hits = {}
    for mode in ("hybrid", "lexical"):  # lexical: the engine's list alone (the filler's random vectors make the
        for name, retr in retrievers.items():  # dense list find the FEVER gold by itself)
            t0 = time.perf_counter()
            hits[f"{name} {mode}"] = retr.search_many(claims, k, max_per_document=cap, mode=mode)
            print(f"  FEVER open {name} {mode}: retrieved in {time.perf_counter() - t0:.1f} s", file=sys.stderr,
                  flush=True)
    pairs = sorted({(c, h.passage.text) for name in hits for c, hs in zip(claims, hits[name]) for h in hs})
    t0 = time.perf_counter()
    judged: dict[tuple[str, str], Any] = {}
    for i in range(0, len(pairs), 64):
        batch = pairs[i:i + 64]
        judged.update(zip(batch, parts["verifier"].stances(batch)))
    out: dict[str, Any] = {"claims": len(claims), "k": k, "max_per_document": cap, "pairs_judged": len(pairs),
                           "verify_s": round(time.perf_counter() - t0, 1)}
    labels: dict[str, list[str]] = {}
    for name in hits:
        right, found, labels[name] = [], [], []
        for g, c, hs, target in zip(gold, claims, hits[name], targets):
            evidence = [unit_evidence(h.passage.document_id, h.passage.text, judged[(c, h.passage.text)], h.score,
                                      h.passage) for h in hs]
            label = verdict_for(evidence, agg).label.value
            labels[name].append(label)
            right.append(float(label == want[g["label"]]))
            found.append(float(target is not None and target in {h.passage.document_id for h in hs}))
        out[name] = {"accuracy": round(float(np.mean(right)), 4), f"recall@{k}": round(float(np.mean(found)), 4)}
    names = list(hits)
    for a, b in zip(names[::2], names[1::2]):  # per mode: the first retriever against the second
        flips = [i for i in range(len(claims)) if labels[a][i] != labels[b][i]]
        out[f"labels_differ_{a}_vs_{b}"] = len(flips)
        out[f"right_only_{a}"] = sum(labels[a][i] == want[gold[i]["label"]] for i in flips)
        out[f"right_only_{b}"] = sum(labels[b][i] == want[gold[i]["label"]] for i in flips)
    return out


def prune_study(size: int, path: Path, args: argparse.Namespace, parts: dict[str, Any]) -> dict[str, Any]:
    """Lexical recall@10 and top-10 overlap of pruned FTS5 queries and of tantivy against the full OR-query;
    FEVER hybrid recall@10 and (``--fever-open``) FEVER-open accuracy with either lexical engine."""
    from factdesk import demodata
    from factdesk.context.omitted import planned_queries as omitted_queries
    from factdesk.pipeline import Pipeline
    from factdesk.retrieve import SqliteRetriever, lexical_tantivy
    from factdesk.settings import Settings
    from factdesk.store import Store

    embedder = parts["embedder"]
    gold = fever_gold(args.prune_study)
    cutoffs = [(0.05, 3, 0), (0.02, 4, 0), (0.01, 3, 0), (0.01, 5, 0), (0.05, 3, 0.1)]
    if args.shipped_cutoff:
        cutoffs = [(0.01, 5, 0)]
    out: dict[str, Any] = {"passages": size, "fever_claims": len(gold)}
    with Store.open(path) as store:
        url_doc = {d["url"]: d["id"] for d in (dict(r) for r in store.conn.execute(
            "SELECT id, url FROM documents WHERE url LIKE 'fever:dev:%'"))}
        targets = [url_doc.get(f"fever:dev:{g['row']}") for g in gold]
        # the demo article's own retrieval queries (claims + omitted-context queries)
        pipe = Pipeline(store, Settings(), embedder=embedder)
        doc, claim_set = pipe.extract(demodata.article_path())
        article_queries = [c.to_check for c in claim_set.claims] + omitted_queries(doc, claim_set.claims)
        base = SqliteRetriever(store, embedder, lexical_max_df=0, memo=False, ann_threshold=0, lexical_engine="fts5")
        variants: dict[str, Any] = {
            f"df<={c:g} keep>={m}" + (f" sum<={b:g}" if b else ""):
            SqliteRetriever(store, embedder, lexical_max_df=c, lexical_min_terms=m, lexical_budget=b,
                            lexical_prune_min=0, memo=False, ann_threshold=0, lexical_engine="fts5")
            for c, m, b in cutoffs}
        tantivy = lexical_tantivy.available() and not args.no_tantivy
        if tantivy:  # what `factdesk index` does with lexical_engine="tantivy"
            t0 = time.perf_counter()
            tindex = lexical_tantivy.sync(store)
            out["tantivy_sync_s"] = round(time.perf_counter() - t0, 2)
            variants["tantivy"] = SqliteRetriever(store, embedder, lexical_engine="tantivy", memo=False,
                                                  ann_threshold=0)
            for c, m, _b in cutoffs:
                variants[f"tantivy df<={c:g} keep>={m}"] = PrunedTantivy(tindex, len(tindex), c, m)
        for qset, queries, tgt in (("fever", [g["claim"] for g in gold], targets),
                                   ("article", article_queries, [None] * len(article_queries))):
            stats: dict[str, dict[str, list[float]]] = {name: {"ms": [], "hit": [], "overlap": []}
                                                        for name in ["full", *variants]}
            for q, target in zip(queries, tgt):
                t0 = time.perf_counter()
                full = base.lexical_search(q, 10)
                stats["full"]["ms"].append(1000 * (time.perf_counter() - t0))
                full_ids = [r for r, _ in full]
                docs = store.passages.document_ids(full_ids)
                stats["full"]["hit"].append(float(target is not None and target in docs.values()))
                for name, retr in variants.items():
                    t0 = time.perf_counter()
                    got = retr.lexical_search(q, 10)
                    stats[name]["ms"].append(1000 * (time.perf_counter() - t0))
                    ids = [r for r, _ in got]
                    stats[name]["overlap"].append(len(set(ids) & set(full_ids)) / max(1, min(10, len(full_ids))))
                    gd = store.passages.document_ids(ids)
                    stats[name]["hit"].append(float(target is not None and target in gd.values()))
            out[qset] = {name: {"p50_ms": round(percentile(s["ms"], 0.5), 1), "p95_ms": round(percentile(s["ms"], 0.95), 1),
                                "recall@10": round(float(np.mean(s["hit"])), 3) if qset == "fever" else None,
                                "top10_overlap": round(float(np.mean(s["overlap"])), 3) if s["overlap"] else 1.0}
                         for name, s in stats.items()}
            out[qset]["queries"] = len(queries)
        if args.skip_hybrid:
            return out
        # FEVER-open recall@10 in hybrid mode: old, new (FTS5 pruned) and new with tantivy
        hybrid = {"old": SqliteRetriever(store, embedder, lexical_max_df=0, memo=False, ann_threshold=0,
                                         lexical_engine="fts5"),
                  "new": SqliteRetriever(store, embedder, lexical_engine="fts5")}
        if tantivy:
            hybrid["new-tantivy"] = SqliteRetriever(store, embedder, lexical_engine="tantivy")
        claims = [g["claim"] for g in gold]
        for name, retr in hybrid.items():
            t0 = time.perf_counter()
            hits = retr.search_many(claims, 10, max_per_document=2)
            secs = time.perf_counter() - t0
            found = [float(t is not None and t in {h.passage.document_id for h in hs}) for hs, t in zip(hits, targets)]
            out[f"fever_hybrid_{name}"] = {"recall@10": round(float(np.mean(found)), 3),
                                           "seconds": round(secs, 1)}
        if args.fever_open:
            out["fever_open"] = fever_open({n: hybrid[n] for n in ("new", "new-tantivy") if n in hybrid}, gold,
                                           targets, parts, store)
    return out


def filter_study(size: int, path: Path, embedder: Any) -> dict[str, Any]:
    """The check's lexical queries with the article's date and id: joined FTS5 query vs rank first, filter after."""
    from factdesk import demodata
    from factdesk.context.omitted import planned_queries as omitted_queries
    from factdesk.pipeline import Pipeline
    from factdesk.retrieve import SqliteRetriever
    from factdesk.settings import Settings
    from factdesk.store import Store

    with Store.open(path) as store:
        doc, claim_set = Pipeline(store, Settings(), embedder=embedder).extract(demodata.article_path())
        queries = [c.to_check for c in claim_set.claims] + omitted_queries(doc, claim_set.claims)
        retriever = SqliteRetriever(store, embedder, memo=False, ann_threshold=0, lexical_engine="fts5")
        matches = [m for m in (retriever.fts_query(q) for q in queries) if m]
        secs = {True: 0.0, False: 0.0}
        same = 0
        for m in matches:
            got = {}
            for rank_first in (False, True):  # interleaved
                t0 = time.perf_counter()
                got[rank_first] = store.passages.lexical(m, 50, exclude_documents={doc.id},
                                                         published_after=doc.published, rank_first=rank_first)
                secs[rank_first] += time.perf_counter() - t0
            same += [r for r, _ in got[True]] == [r for r, _ in got[False]]
    return {"queries": len(matches), "joined_s": round(secs[False], 2), "rank_first_s": round(secs[True], 2),
            "identical_top50": same}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--runs", type=int, default=3, help="warm checks per path (interleaved)")
    ap.add_argument("--paths", nargs="+", default=["old", "new"],
                    choices=["old", "new", "new-exact", "new-tantivy"],
                    help="SQLite paths")
    ap.add_argument("--backend", nargs="+", default=["sqlite"], choices=["sqlite", "postgresql"],
                    help="check on these stores (both: interleaved in one process)")
    ap.add_argument("--dsn", default=os.environ.get("FACTDESK_TEST_PG"),
                    help="PostgreSQL server whose user may CREATE DATABASE ($FACTDESK_TEST_PG)")
    ap.add_argument("--pg-paths", nargs="+", default=["scan", "pgvector"], choices=["old", "scan", "pgvector"],
                    help="PostgreSQL paths (pgvector: only where the server has it)")
    ap.add_argument("--pg-reload", action="store_true", help="copy into PostgreSQL again even if complete")
    ap.add_argument("--pg-chunk", type=int, default=5000, help="documents per COPY into PostgreSQL")
    ap.add_argument("--pg-hnsw-memory", default="2GB", help="maintenance_work_mem for pgvector's HNSW build")
    ap.add_argument("--fever-claims", type=int, default=1000, help="FEVER dev claims whose evidence is indexed")
    ap.add_argument("--prune-study", type=int, default=0, help="FEVER claims for the FTS5 pruning study (0: skip)")
    ap.add_argument("--no-check", action="store_true", help="skip the article checks")
    ap.add_argument("--filter-study", action="store_true", help="joined vs rank-first filtered FTS5 queries")
    ap.add_argument("--skip-hybrid", action="store_true", help="pruning study: lexical only (no FEVER hybrid recall)")
    ap.add_argument("--shipped-cutoff", action="store_true",
                    help="pruning study: only the shipped cutoff (df <= 1 %%, keep >= 5), not the other four")
    ap.add_argument("--no-tantivy", action="store_true", help="pruning study: leave tantivy out")
    ap.add_argument("--fever-open", action="store_true",
                    help="pruning study: FEVER-open label accuracy (top_k hybrid hits, the check's verifier), "
                         "FTS5 vs tantivy")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)
    if "postgresql" in args.backend and not args.dsn:
        ap.error("--backend postgresql needs a server: --dsn postgresql://… or run under bash .ci/postgres.sh")

    import logging

    logging.basicConfig(level=logging.INFO, format="  %(message)s")  # the vector index says what it builds
    results: dict[str, Any] = {"machine": machine(), "load_1min": os.getloadavg()[0], "sizes": []}
    parts: dict[str, Any] | None = None
    for size in args.sizes:
        path, meta = ensure_store(size, args)
        entry: dict[str, Any] = {"passages": size, "store": meta}
        print(f"store {path.name}: {meta}", file=sys.stderr, flush=True)
        if args.build_only:
            results["sizes"].append(entry)
            continue
        if parts is None:
            from factdesk.pipeline import Pipeline
            from factdesk.settings import Settings
            from factdesk.store import Store

            with Store.open(path) as s:
                p = Pipeline(s, Settings())
                parts = {"verifier": p.verifier, "scorer": p.scorer, "embedder": p.embedder,
                         "omitted": p.omitted_verifier}
        if args.prune_study:
            entry["prune"] = prune_study(size, path, args, parts)
            print(json.dumps(entry["prune"], indent=1), file=sys.stderr, flush=True)
        if args.filter_study:
            entry["filter"] = filter_study(size, path, parts["embedder"])
            print(json.dumps(entry["filter"]), file=sys.stderr, flush=True)
        pg_url = None
        if "postgresql" in args.backend:
            pg_url, entry["postgres_load"] = ensure_postgres(size, path, args)
            print(f"PostgreSQL {pg_url.rpartition('@')[2]}: {entry['postgres_load']}", file=sys.stderr, flush=True)
        if not args.no_check:
            entry["check"] = run_check(size, path, args, parts, pg_url)
        entry["load_1min_after"] = os.getloadavg()[0]
        results["sizes"].append(entry)
    rows = []
    for e in results["sizes"]:
        c = e.get("check")
        if not c:
            continue
        for name in ("old", "new", "new-exact", "new-tantivy", *PG_PAIRS):
            if name in c:
                r = c[name]
                rows.append([f"{e['passages']:,}", "PostgreSQL" if name.startswith("pg-") else "SQLite", name,
                             r["total"], r.get("ingest+claims", 0), r.get("embed queries", 0), r.get("retrieve", 0),
                             r.get("verify", 0), r.get("quotes", 0), r.get("omitted context", 0),
                             r.get("lexical", 0), int(r.get("lexical_queries", 0)), c.get(f"{name}_first_s"),
                             r["demo"].get("evidence_recall"), r["demo"].get("label_accuracy")])
    if rows:
        print_table(["passages", "store", "path", "check s", "ingest+claims", "embed queries", "retrieve", "verify",
                     "quotes", "omitted", "lexical s", "lexical queries", "first check s", "demo evidence recall",
                     "demo accuracy"], rows)
    for e in results["sizes"]:
        for key, ratio in sorted((e.get("check") or {}).items()):
            if key == "ratio_tantivy_vs_fts5":
                print(f"{e['passages']:,} new-tantivy / new (same run): " +
                      ", ".join(f"{k} {v:.3f}" for k, v in ratio.items()))
            elif key.startswith("ratio_"):
                print(f"{e['passages']:,} {key[6:].replace('_', ' ')} (PostgreSQL / SQLite, same run): " +
                      ", ".join(f"{k} {v:.2f}" for k, v in ratio.items()))
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
