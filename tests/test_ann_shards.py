"""The sharded vector index (factdesk.retrieve.ann) on real SQLite files and real usearch, shards of 50 vectors."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pytest

from factdesk.retrieve import SqliteIndex, SqliteRetriever
from factdesk.retrieve import ann
from factdesk.store import Store
from factdesk.testing import FakeEmbedder
from factdesk.types import Document

# (usearch must be imported after onnxruntime, which ann.usearch_index_class sees to: no importorskip here)
pytestmark = pytest.mark.skipif(ann.usearch_index_class() is None, reason="usearch (extra 'match') missing")

DIM = 32


class RandomEmbedder(FakeEmbedder):
    """A unit vector drawn from each text's hash: no ties, so top lists compare key by key."""

    def __init__(self) -> None:
        super().__init__(DIM)

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = np.stack([np.random.default_rng(int(hashlib.sha1(t.encode()).hexdigest()[:12], 16))
                        .standard_normal(DIM) for t in texts]).astype(np.float32) if texts else np.zeros((0, DIM))
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def docs(start: int, n: int, tag: str = "") -> list[Document]:
    return [Document(text=f"Bulletin {i}{tag}: the council met about item{i}.", title=f"B{i}",
                     published=f"{2000 + i % 20}-01-01") for i in range(start, start + n)]


@pytest.fixture(autouse=True)
def small_shards(monkeypatch) -> None:
    monkeypatch.setattr(ann, "SHARD_SIZE", 50)


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "fd.db"
    with Store.open(path) as store:
        SqliteIndex(store, RandomEmbedder(), ann_threshold=0).add_documents(docs(0, 300), save_role="corpus")
    return path


def exact_top(store: Store, query: np.ndarray, k: int) -> list[int]:
    rows = store.passages.vector_rows()
    matrix = np.frombuffer(b"".join(r[3] for r in rows), dtype="<f4").reshape(len(rows), DIM)
    sims = matrix @ query
    return [int(rows[i][0]) for i in np.argsort(-sims)[:k]]


def queries(n: int = 6) -> np.ndarray:
    q = np.random.default_rng(7).standard_normal((n, DIM)).astype(np.float32)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def manifest(db: Path) -> dict:
    return json.loads((ann.index_dir(db) / "manifest.json").read_text())


def single_index_top(store: Store, queries: np.ndarray, k: int) -> list[tuple[list[int], list[float]]]:
    """The top k of one int8 usearch index over every vector, searched exhaustively (what one index would say)."""
    rows = store.passages.vector_rows()
    one = ann.usearch_index_class()(ndim=DIM, metric="cos", dtype="i8")
    one.add(np.asarray([r[0] for r in rows], np.uint64),
            np.frombuffer(b"".join(r[3] for r in rows), "<f4").reshape(len(rows), DIM))
    found = one.search(queries, count=k, exact=True)
    return [(found.keys[i].tolist(), (1 - found.distances[i]).tolist()) for i in range(len(queries))]


def assert_matches_exact(store: Store, index: ann.AnnIndex, k: int = 10) -> None:
    """Merged over the shards: the one-index int8 top k (same similarities), and the float32 exact top k among
    the candidates the retriever rescores (int8 may swap near neighbours, rescoring puts them back)."""
    qs = queries()
    found = index.search(qs, 4 * k)
    for q, (keys, sims), (one_keys, one_sims) in zip(qs, found, single_index_top(store, qs, k)):
        assert np.all(np.diff(sims) <= 1e-6)  # merged best first
        assert np.allclose(sims[:k], one_sims, atol=1e-5)
        assert keys[0] == one_keys[0]
        assert set(exact_top(store, q, k)) <= set(keys.tolist())


def assert_only_named_files(db: Path) -> None:
    named = {"manifest.json", "lock"} | {f for s in manifest(db)["shards"] for f in
                                         (s["graph"], s["keys"], s["dead"]) if f}
    assert {p.name for p in ann.index_dir(db).iterdir()} == named


def test_search_over_shards_equals_the_exact_scan(db: Path) -> None:
    with Store.open(db) as store:
        index = ann.sync(store)
        assert len(index) == 300 and len(index.shards) == 6
        assert [s["size"] for s in manifest(db)["shards"]] == [50] * 6
        assert_matches_exact(store, index)
        assert index.keys.tolist() == [r[0] for r in store.passages.ids()]
        # the retriever searching the shards answers like the one scanning every vector
        approx = SqliteRetriever(store, RandomEmbedder(), ann_threshold=100)
        exact = SqliteRetriever(store, RandomEmbedder(), ann_threshold=0)
        assert approx.vector_index() is not None
        for text in ["council item17", "bulletin 250"]:
            got = approx.search(text, k=5, mode="dense", before="2010-12-31")
            want = exact.search(text, k=5, mode="dense", before="2010-12-31")
            assert [h.passage.id for h in got] == [h.passage.id for h in want]
    assert_only_named_files(db)


def test_a_sync_without_read_back_writes_the_same_index(tmp_path: Path, db: Path) -> None:
    """`factdesk index` syncs without opening what it wrote (read_back=False): the same shards, opened later."""
    import shutil

    other = tmp_path / "other.db"
    shutil.copy(db, other)
    with Store.open(db) as store, Store.open(other) as copy:
        assert ann.sync(copy, read_back=False) is None
        opened, later = ann.sync(store), ann.open_index(other)
        assert later is not None and len(later) == len(opened) == 300
        assert later.keys.tolist() == opened.keys.tolist()
        assert [s["size"] for s in manifest(other)["shards"]] == [s["size"] for s in manifest(db)["shards"]]
        assert_matches_exact(copy, later)


def test_new_documents_fill_the_last_shard_then_a_new_one_and_full_shards_stay_mapped(db: Path, monkeypatch) -> None:
    with Store.open(db) as store:
        indexer = SqliteIndex(store, RandomEmbedder(), ann_threshold=0)
        ann.sync(store)
        full = [s["graph"] for s in manifest(db)["shards"]]
        indexer.add_documents(docs(300, 30), save_role="corpus")
        restores: list[tuple[str, bool]] = []
        real_restore = ann.usearch_index_class().restore

        def spy(path, view=False, **kw):
            restores.append((Path(path).name, view))
            return real_restore(path, view=view, **kw)

        monkeypatch.setattr(ann.usearch_index_class(), "restore", staticmethod(spy))
        index = ann.sync(store)
        assert [s["size"] for s in manifest(db)["shards"]] == [50] * 6 + [30]
        assert [s["graph"] for s in manifest(db)["shards"]][:6] == full  # full shards are never rewritten
        assert not [name for name, view in restores if not view]  # ... nor loaded into memory
        indexer.add_documents(docs(330, 40), save_role="corpus")
        restores.clear()
        index = ann.sync(store)
        assert [s["size"] for s in manifest(db)["shards"]] == [50] * 7 + [20]
        loaded = [name for name, view in restores if not view]
        assert len(loaded) == 1 and loaded[0].startswith("shard-00006.")  # only the open shard, to fill it
        assert len(index) == 370 and index.fresh_for(store.passages.count(), store.passages.ids()[-1][0])
        assert_matches_exact(store, index)
    assert_only_named_files(db)


def test_removed_changed_and_reused_rowids_leave_the_results(db: Path) -> None:
    with Store.open(db) as store:
        indexer = SqliteIndex(store, RandomEmbedder(), ann_threshold=0)
        ann.sync(store)
        originals = docs(0, 300)
        rowids = [r[0] for r in store.passages.ids()]  # one passage a document: document i at rowids[i]
        gone_rowids = set(rowids[:3]) | {rowids[120]}
        with store.transaction():
            for doc in originals[:3]:  # in the first (full) shard: tombstones
                indexer.remove_document(doc.id)
        last = originals[-1]
        last_rowid = store.passages.ids()[-1][0]
        with store.transaction():  # the highest rowid, given by SQLite to another passage
            indexer.remove_document(last.id)
            reused = Document(text="A zeppelin moored at the airport overnight.", title="Zeppelin")
            store.save_document(reused, role="corpus")
            indexer.add_document(reused)
        assert store.passages.ids()[-1][0] == last_rowid
        changed = Document(text="Bulletin 120 corrected: the council met about item120 again.", title="B120")
        changed.id = originals[120].id
        with store.transaction():  # same document, new text: its old passage goes, the new one comes
            store.save_document(changed, role="corpus")
            indexer.add_document(changed)
        index = ann.sync(store)
        shards = manifest(db)["shards"]
        assert shards[0]["dead_count"] == 3 and shards[0]["dead"] and shards[2]["dead_count"] == 1
        assert shards[5]["dead_count"] == 1  # the old passage at the reused rowid; the new one is in shard 6
        assert len(index) == 297 == store.passages.count() and len(index.shards) == 7
        assert not gone_rowids & set(index.keys.tolist())
        for q, (keys, _) in zip(queries(), index.search(queries(), 300)):
            assert not gone_rowids & set(keys.tolist())
        assert_matches_exact(store, index)
        vec = RandomEmbedder().embed([f"Zeppelin. {reused.text}"])[0]
        keys, sims = index.search(vec, 3)[0]
        assert keys[0] == last_rowid and sims[0] > 0.99
        hits = SqliteRetriever(store, RandomEmbedder(), ann_threshold=100).search_by_vector(vec, k=1)
        assert hits[0].passage.document_id == reused.id
        # past COMPACT_SHARE (10 %) of a shard dead, the shard is rewritten without them
        with store.transaction():
            for doc in originals[3:8]:
                indexer.remove_document(doc.id)
        index = ann.sync(store)
        first = manifest(db)["shards"][0]
        assert first["dead_count"] == 0 and first["dead"] is None and first["size"] == 42
        assert len(index) == 292 == store.passages.count()
        assert_matches_exact(store, index)
    assert_only_named_files(db)


def test_a_sync_killed_after_its_first_shard_resumes(db: Path, monkeypatch) -> None:
    real_write = ann._Sync._write_manifest
    calls = []

    def crash_after_first(self) -> None:
        real_write(self)
        calls.append(1)
        raise KeyboardInterrupt("killed")  # as a kill would stop it: right after the first full shard is saved

    monkeypatch.setattr(ann._Sync, "_write_manifest", crash_after_first)
    with Store.open(db) as store, pytest.raises(KeyboardInterrupt):
        ann.sync(store)
    monkeypatch.undo()
    monkeypatch.setattr(ann, "SHARD_SIZE", 50)
    assert manifest(db)["count"] is None and len(manifest(db)["shards"]) == 1
    (ann.index_dir(db) / "shard-00003.g77.usearch").write_bytes(b"left by a killed run")
    (ann.index_dir(db) / ".manifest.json.123.tmp").write_bytes(b"{")
    with Store.open(db) as store:
        half = ann.open_index(db)
        assert half is not None and not half.fresh_for(store.passages.count(), store.passages.ids()[-1][0])
        first = manifest(db)["shards"][0]["graph"]
        index = ann.sync(store)
        assert manifest(db)["shards"][0]["graph"] == first  # kept, not rebuilt
        assert len(index) == 300 and index.fresh_for(store.passages.count(), store.passages.ids()[-1][0])
        assert_matches_exact(store, index)
    assert_only_named_files(db)


def write_format_1(db: Path, store: Store) -> None:
    """The index as the single-file code wrote it (format 1)."""
    rows = store.passages.vector_rows()
    index = ann.usearch_index_class()(ndim=DIM, metric="cos", dtype="i8", connectivity=16)
    keys = np.asarray([r[0] for r in rows], dtype=np.int64)
    index.add(keys.astype(np.uint64), np.frombuffer(b"".join(r[3] for r in rows), "<f4").reshape(len(rows), DIM))
    graph, keyfile = ann.legacy_paths(db)
    index.save(str(graph))
    ids = dict(store.passages.ids())
    meta = json.dumps({"format": 1, "count": len(rows), "max_rowid": int(keys[-1]), "dim": DIM})
    np.savez(keyfile, keys=keys, fingerprints=ann.id_fingerprints([ids[int(k)] for k in keys]), meta=np.asarray(meta))


def test_an_old_single_file_index_is_moved_in_or_rebuilt(tmp_path: Path, db: Path, monkeypatch, caplog) -> None:
    small = tmp_path / "small.db"
    with Store.open(small) as store:
        SqliteIndex(store, RandomEmbedder(), ann_threshold=0).add_documents(docs(0, 40), save_role="corpus")
        write_format_1(small, store)
        with caplog.at_level(logging.WARNING, logger="factdesk"):
            index = ann.sync(store)
        assert "moved into small.db.usearch.d as its first shard" in caplog.text
        assert len(index) == 40 and len(manifest(small)["shards"]) == 1
        assert not any(p.exists() for p in ann.legacy_paths(small))
        assert_matches_exact(store, index)
    caplog.clear()
    with Store.open(db) as store:  # 300 vectors: more than one shard of 50
        write_format_1(db, store)
        with caplog.at_level(logging.WARNING, logger="factdesk"):
            index = ann.sync(store)
        assert "more than one shard (50): removed, building the sharded index anew" in caplog.text
        assert len(index) == 300 and len(index.shards) == 6
        assert not any(p.exists() for p in ann.legacy_paths(db))
        assert_matches_exact(store, index)


def test_an_empty_store_and_a_store_without_vectors_sync_to_an_empty_index(tmp_path: Path) -> None:
    with Store.open(tmp_path / "empty.db") as store:
        index = ann.sync(store)
        assert len(index) == 0 and index.shards == [] and index.fresh_for(0, 0)
        keys, sims = index.search(np.ones(index.dim, np.float32), 5)[0]
        assert len(keys) == 0


def test_rewriting_the_last_document_in_place_is_caught_as_stale(db: Path) -> None:
    """The count and highest rowid stay the same when the store's last document is rewritten with as many
    passages (SQLite reuses the freed rowids); the manifest's tail fingerprint catches it, and the retriever
    brings the index up to date instead of searching vectors of the old text."""
    with Store.open(db) as store:
        ann.sync(store)
        before = store.passages.version()
        last = docs(299, 1)[0]
        stored = store.find_documents(title=last.title)[0]
        rewritten = Document(text="A quokka colony nests under the new pier.", title=stored.title, id=stored.id,
                             published=stored.published)
        indexer = SqliteIndex(store, RandomEmbedder(), ann_threshold=0)
        with store.transaction():
            store.save_document(rewritten, role="corpus")
            indexer.add_document(rewritten)
        assert store.passages.version()[:2] == before[:2]  # the same count and highest rowid
        opened = ann.open_index(db)
        assert opened.fresh_for(*before[:2]) and not opened.in_step(store, store.passages.version())
        retr = SqliteRetriever(store, RandomEmbedder(), ann_threshold=1)
        assert retr.vector_index() is not None  # synced again on the spot
        assert ann.open_index(db).in_step(store, store.passages.version())
        top_rowid, _, _, blob = max(store.passages.vector_rows(), key=lambda r: r[0])
        query = np.frombuffer(blob, "<f4").reshape(1, DIM)  # the new passage's own vector finds it, not the old one's
        assert int(ann.open_index(db).search(query, 1)[0][0][0]) == top_rowid
        assert opened.search(query, 1)[0][0][0] != top_rowid  # (the stale index held the old text's vector there)
