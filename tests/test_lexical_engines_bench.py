"""benchmarks/lexical_engines.py on a 20-passage store: each engine finds the passage a query is about,
the FTS5 searcher returns what factdesk's retriever returns, and the store is never written."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from factdesk.retrieve.index import SqliteRetriever
from factdesk.retrieve.passages import make_passages
from factdesk.store import Store
from factdesk.types import Document

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import lexical_engines as bench  # noqa: E402

TOPICS = ["dam", "bridge", "ferry", "tram", "airport", "stadium", "library", "hospital", "harbour", "tunnel",
          "reservoir", "canal", "museum", "school", "market", "railway", "lighthouse", "windmill", "prison", "zoo"]


@pytest.fixture()
def small_store(tmp_path: Path) -> Path:
    path = tmp_path / "small.db"
    with Store.open(path) as store, store.transaction():
        for i, topic in enumerate(TOPICS):
            doc = Document(text=f"The {topic} in Ridgeway opened in {1990 + i} after {i + 2} years of building.",
                           title=f"{topic.title()} report", source="test", url=f"test:{topic}")
            store.save_document(doc)
            store.passages.replace(doc.id, make_passages(doc), [None])
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("engine", bench.ENGINES)
def test_each_engine_finds_the_passage_and_leaves_the_store_alone(small_store: Path, tmp_path: Path,
                                                                  engine: str) -> None:
    build = bench.BUILDS[engine]
    if bench.PACKAGES[build]:
        pytest.importorskip(bench.PACKAGES[build])
    before = _digest(small_store)
    work = tmp_path / "work"
    work.mkdir()
    if build == "fts5":
        bench.build_fts5(small_store, work)
    elif build == "bm25s":
        bench.build_bm25s(small_store, work)
    else:
        bench.build_tantivy(small_store, work, threads=1, heap_mb=50)
    search = bench.open_searcher(engine, small_store, work)
    with Store.open(small_store) as store:
        rowid_of = {url: rid for rid, url in store.conn.execute("SELECT rowid, url FROM passages")}
        expected = SqliteRetriever(store, None, lexical_max_df=0, memo=False, ann_threshold=0)
        for topic in ("lighthouse", "windmill", "reservoir"):
            got = search(f"When did the {topic} open?")
            assert got[0] == rowid_of[f"test:{topic}"], (engine, topic, got)
            if engine.startswith("fts5"):  # below the pruning threshold both FTS5 paths are factdesk's own
                assert got == [r for r, _ in expected.lexical_search(f"When did the {topic} open?", bench.DEPTH)]
    assert _digest(small_store) == before
