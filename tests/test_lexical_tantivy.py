"""The optional tantivy lexical engine (issue 15) on real SQLite files: answers, filters, syncing, fallback."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("tantivy")

from factdesk import demodata  # noqa: E402
from factdesk.errors import ConfigError  # noqa: E402
from factdesk.ingest import find_files, load_file  # noqa: E402
from factdesk.pipeline import Pipeline  # noqa: E402
from factdesk.retrieve import SqliteIndex, SqliteIndexer, SqliteRetriever  # noqa: E402
from factdesk.retrieve import index as index_module  # noqa: E402
from factdesk.retrieve import lexical_tantivy  # noqa: E402
from factdesk.retrieve.sidecar import folder_lock  # noqa: E402
from factdesk.settings import Settings  # noqa: E402
from factdesk.store import Store  # noqa: E402
from factdesk.testing import FakeEmbedder  # noqa: E402
from factdesk.types import Document  # noqa: E402

TOPICS = ["harbor dam reservoir", "city budget council", "flu vaccination clinics", "football cup final",
          "tram line depot", "library opening hours", "river flood defences", "airport runway noise"]


def corpus(n: int) -> list[Document]:
    """``n`` one-passage documents, one topic and a unique serial word each, dated 2000-2019."""
    return [Document(text=f"The report number {i} covers the {TOPICS[i % len(TOPICS)]}. Officials filed "
                          f"item{i} in {2000 + i % 20}.", title=f"Report {i}", published=f"{2000 + i % 20}-05-01")
            for i in range(n)]


def tantivy_retriever(store: Store, **kw) -> SqliteRetriever:
    return SqliteRetriever(store, FakeEmbedder(), mode="lexical", lexical_engine="tantivy", **kw)


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "fd.db"
    with Store.open(path) as store:
        indexer = SqliteIndex(store, FakeEmbedder(), ann_threshold=0, lexical_engine="tantivy")
        indexer.add_documents(corpus(240), save_role="corpus")
        indexer.finish()  # what `factdesk index` does after writing: syncs the tantivy index
    return path


class Spy:
    """Counts the calls of one method (and still calls it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
        self.calls = 0
        original = getattr(owner, name)

        def wrapped(*a, **kw):
            self.calls += 1
            return original(*a, **kw)
        monkeypatch.setattr(owner, name, wrapped)


def test_same_top_results_as_unpruned_fts5_on_the_demo_corpus(tmp_path: Path) -> None:
    docs = [load_file(p) for p in find_files(demodata.corpus_dir())]
    with Store.open(tmp_path / "demo.db") as store:
        SqliteIndex(store, FakeEmbedder(), ann_threshold=0).add_documents(docs, save_role="corpus")
        lexical_tantivy.sync(store)
        fts5 = SqliteRetriever(store, FakeEmbedder(), mode="lexical", lexical_max_df=0)
        tant = tantivy_retriever(store)
        # the demo's gold claims as queries; both score title and text as one BM25 document, but differ in
        # detail (a title word weighs 1.0 here, 0.5 in FTS5; Snowball vs Porter stems; tantivy's idf and
        # one-byte lengths), so the lists agree closely, not exactly
        claims = [c["text"] for c in demodata.load_gold()["claims"]]
        same_first, overlap = 0, []
        for q in claims:
            a = [r for r, _ in fts5.lexical_search(q, 5)]
            b = [r for r, _ in tant.lexical_search(q, 5)]
            assert a and a[0] in b, q  # FTS5's best passage is among tantivy's top 5
            same_first += a[0] == b[0]
            overlap.append(len(set(a) & set(b)))
        assert same_first >= 0.8 * len(claims)  # measured: 19 of 21 (16 with format 1's two fields)
        assert sum(overlap) / len(overlap) >= 4.2  # measured: 4.57 of 5 (4.1 with format 1)
        assert tant.lexical_search("zebra quokka wombat", 5) == []
        assert tant.lexical_search("?! \"-\" (", 5) == [] and tant.lexical_search("", 5) == []


def test_filters_keep_only_passing_passages(store_path: Path) -> None:
    with Store.open(store_path) as store:
        retr = tantivy_retriever(store)
        meta = {r: p for r, p in store.passages.by_rowids(range(1, 300)).items()}
        # before the date: only passages published on or before 2004-12-31
        rows = retr.lexical_search("report harbor budget", 10, before="2004")
        assert len(rows) == 10 and all(meta[r].published[:10] <= "2004-12-31" for r, _ in rows)
        later = retr.lexical_search("report harbor budget", 10, before="2004", after_date=True)
        assert len(later) == 10 and all(meta[r].published[:10] > "2004-12-31" for r, _ in later)
        # the unique serial: the same passage as FTS5, and gone once its document is excluded
        fts5 = SqliteRetriever(store, FakeEmbedder(), mode="lexical", lexical_max_df=0)
        top = retr.lexical_search("item17 harbor", 3)
        assert top[0][0] == fts5.lexical_search("item17 harbor", 3)[0][0]
        doc17 = meta[top[0][0]].document_id
        excluded = retr.lexical_search("item17 harbor", 30, exclude_documents={doc17})
        assert excluded and all(meta[r].document_id != doc17 for r, _ in excluded)
        # hybrid search with a date goes through the same path: no later passage in the earlier group
        hits = SqliteRetriever(store, FakeEmbedder(), lexical_engine="tantivy").search("harbor dam", 5, before="2003")
        assert hits and all(h.after_claim_date == (h.passage.published[:10] > "2003-12-31") for h in hits)


def test_too_few_passing_in_the_deepest_ranking_falls_back_to_fts5(store_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(store_path) as store:
        meta = store.passages.by_rowids(range(1, 300))
        keep = {meta[1].document_id, meta[240].document_id}
        excluded = {p.document_id for p in meta.values()} - keep
        monkeypatch.setattr(index_module, "_TANTIVY_MAX_DEPTH", 200)
        spy = Spy(monkeypatch, store.passages, "lexical")
        retr = tantivy_retriever(store, memo=False)
        rows = retr.lexical_search("report", 3, exclude_documents=excluded)
        assert {meta[r].document_id for r, _ in rows} == keep  # both passing passages, no others
        assert spy.calls == 1  # FTS5's joined query answered
        # deep enough: tantivy alone (240 passages fit in one ranking)
        monkeypatch.setattr(index_module, "_TANTIVY_MAX_DEPTH", 12_800)
        rows = retr.lexical_search("report", 3, exclude_documents=excluded)
        assert {meta[r].document_id for r, _ in rows} == keep and spy.calls == 1


def test_index_follows_added_removed_and_replaced_documents(store_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    with Store.open(store_path) as store:
        folder = lexical_tantivy.index_dir(store_path)
        before = json.loads((folder / "manifest.json").read_text())
        indexer = SqliteIndexer(store, FakeEmbedder(), ann_threshold=0, lexical_engine="tantivy")
        docs = corpus(240)
        new = Document(text="A zebrafish hatchery opened beside the harbor.", title="Hatchery",
                       published="2021-01-01")
        replaced = Document(text="The quokka census counted many animals.", title="Census", id=docs[5].id,
                            published="2005-05-01")
        with store.transaction():
            store.save_document(new, role="corpus")
            indexer.add_document(new)
            indexer.remove_document(docs[7].id)
            store.save_document(replaced, role="corpus")
            indexer.add_document(replaced)
        retr = tantivy_retriever(store)
        with caplog.at_level(logging.WARNING, logger="factdesk"):
            stale = retr.lexical_search("zebrafish", 5)
            retr.lexical_search("quokka", 5)
        warnings = [r for r in caplog.records if "tantivy index" in r.getMessage()]
        assert len(warnings) == 1 and "behind the store" in warnings[0].getMessage()  # said once
        assert stale  # FTS5 answered meanwhile, and knows the new passage
        indexer.finish()
        after = json.loads((folder / "manifest.json").read_text())
        assert after["index"] == before["index"] and after["generation"] == before["generation"] + 1  # updated
        assert after["count"] == store.passages.count()
        spy_fts = Spy(pytest.MonkeyPatch(), store.passages, "lexical")
        fresh = tantivy_retriever(store)
        texts = lambda rows: [store.passages.by_rowids([r])[r].text for r, _ in rows]  # noqa: E731
        assert texts(fresh.lexical_search("zebrafish", 5)) == [new.text]
        assert texts(fresh.lexical_search("quokka census", 5))[0] == replaced.text
        assert fresh.lexical_search("item5", 5) == []  # the replaced passage's old text is gone
        assert fresh.lexical_search("item7", 5) == []  # the removed document's passage is gone
        assert spy_fts.calls == 0
        assert retr.lexical_search("item5", 5) == [] and spy_fts.calls == 0  # the stale-seeing retriever too
        # most passages changed: built anew in a new folder, the old one removed
        with store.transaction():
            for d in docs[:100]:
                indexer.remove_document(d.id)
        indexer.finish()
        rebuilt = json.loads((folder / "manifest.json").read_text())
        assert rebuilt["index"] != after["index"] and not (folder / after["index"]).exists()
        assert len(lexical_tantivy.open_index(store_path)) == store.passages.count()


def test_missing_index_means_fts5_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with Store.open(tmp_path / "fd.db") as store:
        SqliteIndex(store, FakeEmbedder(), ann_threshold=0).add_documents(corpus(40), save_role="corpus")
        fts5 = SqliteRetriever(store, FakeEmbedder(), mode="lexical")
        with caplog.at_level(logging.WARNING, logger="factdesk"):
            got = tantivy_retriever(store).lexical_search("item3 harbor", 5)
        assert got == fts5.lexical_search("item3 harbor", 5)
        assert any("missing" in r.getMessage() for r in caplog.records)
        assert not lexical_tantivy.index_dir(tmp_path / "fd.db").exists()  # never built at query time


def test_an_interrupted_update_is_rebuilt(store_path: Path) -> None:
    folder = lexical_tantivy.index_dir(store_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "count": None, "max_rowid": None}))
    (folder / "index-g99").mkdir()  # left by a killed build
    with Store.open(store_path) as store:
        assert tantivy_retriever(store)._tantivy_for(store.passages.version()) is None
        index = lexical_tantivy.sync(store)
        assert index.fresh_for(240, 240) and len(index) == 240
    names = sorted(p.name for p in folder.iterdir())
    assert "index-g99" not in names and manifest["index"] not in names


def test_an_index_of_the_old_layout_is_never_read_and_is_rebuilt(store_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    import tantivy

    folder = lexical_tantivy.index_dir(store_path)
    current = json.loads((folder / "manifest.json").read_text())
    # format 1: fields text and title, in step with the store by its count and highest rowid
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text", tokenizer_name="en_stem", index_option="freq")
    builder.add_text_field("title", tokenizer_name="en_stem", index_option="freq")
    builder.add_unsigned_field("rowid", stored=True, indexed=True, fast=True)
    (folder / "index-g7").mkdir()
    old = tantivy.Index(builder.build(), path=str(folder / "index-g7"))
    writer = old.writer(heap_size=50_000_000, num_threads=1)
    for doc in corpus(240):
        writer.add_document(tantivy.Document(text=doc.text, title=doc.title))
    writer.commit()
    writer.wait_merging_threads()
    (folder / "manifest.json").write_text(json.dumps({**current, "format": 1, "generation": 7, "index": "index-g7"}))
    assert lexical_tantivy.open_index(store_path) is None  # the new query code never reads it
    with Store.open(store_path) as store:
        with caplog.at_level(logging.WARNING, logger="factdesk"):
            got = tantivy_retriever(store).lexical_search("item17 harbor", 3)
        assert got and any("tantivy index" in r.getMessage() for r in caplog.records)  # FTS5 answered
        index = lexical_tantivy.sync(store)  # what `factdesk index` does: rebuilt in a folder of its own
        assert index.fresh_for(240, 240) and len(index) == 240
        assert store.passages.by_rowids([index.search(["item17"], 1)[0][0]]).popitem()[1].text.find("item17") > 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format"] == lexical_tantivy.FORMAT == 2 and manifest["generation"] == 8
    assert manifest["index"] == "index-g8" and not (folder / "index-g7").exists()


def test_a_second_process_waits_for_the_lock(store_path: Path) -> None:
    folder = lexical_tantivy.index_dir(store_path)
    code = ("import sys; from factdesk.store import Store; from factdesk.retrieve import lexical_tantivy\n"
            "with Store.open(sys.argv[1]) as s: print(len(lexical_tantivy.sync(s)))")
    with folder_lock(folder):
        proc = subprocess.Popen([sys.executable, "-c", code, str(store_path)], stdout=subprocess.PIPE, text=True)
        time.sleep(3.0)
        assert proc.poll() is None  # still waiting for the lock
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out.strip() == "240"


def test_settings_reach_the_retriever_and_indexer(store_path: Path) -> None:
    settings = Settings(component_options={"retriever": {"lexical_engine": "tantivy"},
                                           "indexer": {"lexical_engine": "tantivy"}})
    with Store.open(store_path) as store:
        pipe = Pipeline(store, settings, embedder=FakeEmbedder())
        assert pipe.retriever.lexical_engine == "tantivy" and pipe.indexer.lexical_engine == "tantivy"
        with pytest.raises(ConfigError, match="unknown lexical engine"):
            SqliteRetriever(store, FakeEmbedder(), lexical_engine="lucene")
        assert SqliteRetriever(store, FakeEmbedder()).lexical_engine == "fts5"  # the default stays FTS5
