"""The tantivy lexical engine (issue 15) on real SQLite files: answers, filters, syncing, fallback, the auto switch."""

from __future__ import annotations

import json
import logging
import os
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
from factdesk.retrieve import ann, lexical_tantivy  # noqa: E402
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
        assert SqliteRetriever(store, FakeEmbedder()).lexical_engine == "auto"  # the default: by store size
        assert SqliteRetriever(store, FakeEmbedder(), lexical_engine="auto").lexical_engine == "auto"


def auto_retriever(store: Store, threshold: int, **kw) -> SqliteRetriever:
    return SqliteRetriever(store, FakeEmbedder(), mode="lexical", lexical_engine="auto", tantivy_threshold=threshold,
                           **kw)


def test_auto_switches_to_tantivy_at_the_threshold_and_stays_in_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "fd.db"
    docs = corpus(240)
    with Store.open(path) as store:
        indexer = SqliteIndexer(store, FakeEmbedder(), ann_threshold=0, lexical_engine="auto", tantivy_threshold=200)
        assert indexer.lexical_engine == "auto"
        with store.transaction():
            for d in docs[:150]:
                store.save_document(d, role="corpus")
                indexer.add_document(d)
        indexer.finish()
        assert not lexical_tantivy.index_dir(path).exists()  # below the threshold: nothing beside the store
        searches = Spy(monkeypatch, lexical_tantivy.TantivyIndex, "search")
        fts = Spy(monkeypatch, store.passages, "lexical")
        with caplog.at_level(logging.WARNING, logger="factdesk"):
            assert auto_retriever(store, 200).lexical_search("item17 harbor", 3)
        assert fts.calls == 1 and searches.calls == 0 and not caplog.records  # FTS5, silently
        # past the threshold, written without finish(): FTS5 answers, with one warning
        with store.transaction():
            for d in docs[150:]:
                store.save_document(d, role="corpus")
                indexer.add_document(d)
        retr = auto_retriever(store, 200)
        with caplog.at_level(logging.WARNING, logger="factdesk"):
            retr.lexical_search("item170 harbor", 3)
            retr.lexical_search("item171 harbor", 3)
        assert fts.calls == 3 and searches.calls == 0
        assert [r.getMessage() for r in caplog.records if "tantivy index" in r.getMessage()][0].count("missing") == 1
        assert len([r for r in caplog.records if "tantivy index" in r.getMessage()]) == 1  # said once
        indexer.finish()  # what `factdesk index` does after writing: the store passed the threshold, so it builds
        index = lexical_tantivy.open_index(path)
        assert index is not None and index.fresh_for(240, 240)
        rows = retr.lexical_search("item172 harbor", 3)
        assert searches.calls == 1 and fts.calls == 3  # tantivy now
        assert store.passages.by_rowids([rows[0][0]]).popitem()[1].text.find("item172") > 0
        # a delete without finish(): stale, FTS5 again (the same retriever); finish() puts it back in step
        with store.transaction():
            indexer.remove_document(docs[172].id)
        assert retr.lexical_search("item172 harbor", 3) and fts.calls == 4 and searches.calls == 1
        indexer.finish()
        assert retr.lexical_search("item173 harbor", 3) and searches.calls == 2 and fts.calls == 4
        assert retr.lexical_search("item172", 3) == [] and searches.calls == 3  # the removed passage is gone
        # below the threshold again: FTS5, though the index exists and is kept in step by finish()
        with store.transaction():
            for d in docs[:60]:
                indexer.remove_document(d.id)
        indexer.finish()
        assert lexical_tantivy.open_index(path).fresh_for(store.passages.count(), 240)
        assert auto_retriever(store, 200).lexical_search("item173 harbor", 3)
        assert searches.calls == 3 and fts.calls == 5


def test_auto_is_fts5_where_tantivy_cannot_serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(":memory:") as store:
        assert SqliteRetriever(store, FakeEmbedder(), lexical_engine="auto").lexical_engine == "fts5"
    with Store.open(tmp_path / "fd.db") as store:
        assert SqliteRetriever(store, FakeEmbedder(), lexical_engine="auto").lexical_engine == "auto"
        monkeypatch.setattr(lexical_tantivy, "available", lambda: False)
        assert SqliteRetriever(store, FakeEmbedder(), lexical_engine="auto").lexical_engine == "fts5"
        assert SqliteIndexer(store, FakeEmbedder(), lexical_engine="auto").lexical_engine == "fts5"
        with pytest.raises(ConfigError, match="needs tantivy"):
            SqliteRetriever(store, FakeEmbedder(), lexical_engine="tantivy")

        class Server:  # what the engine check reads of a PostgreSQL store
            backend, path = "postgres", None
        assert index_module._lexical_engine("auto", Server()) == "fts5"  # type: ignore[arg-type]


def test_factdesk_index_and_check_keep_an_auto_store_in_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`factdesk index` (adds, and --prune's deletes) syncs the index of an auto store past the threshold; a check
    (which saves its article and report, never passages) leaves it in step and searches it."""
    import shutil

    folder = tmp_path / "corpus"
    shutil.copytree(demodata.corpus_dir(), folder)
    path = tmp_path / "fd.db"
    options = {"lexical_engine": "auto", "tantivy_threshold": 100}  # the demo corpus has 243 passages
    settings = Settings(verifier="baseline", component_options={"retriever": dict(options), "indexer": dict(options)})
    with Store.open(path) as store:
        pipe = Pipeline(store, settings)
        assert pipe.indexer.lexical_engine == pipe.retriever.lexical_engine == "auto"
        pipe.index_path(folder)
        count = store.passages.count()
        index = lexical_tantivy.open_index(path)
        assert count > 100 and index is not None and index.fresh_for(count, store.passages.version()[1])
        searches = Spy(monkeypatch, lexical_tantivy.TantivyIndex, "search")
        fts = Spy(monkeypatch, store.passages, "lexical")
        pipe.check(demodata.article_path(), save=True)
        assert searches.calls > 0 and fts.calls == 0  # every lexical list from tantivy
        assert lexical_tantivy.open_index(path).fresh_for(*store.passages.version()[:2])
        victim = sorted(folder.iterdir())[0]
        victim.unlink()
        stats = pipe.index_path(folder, prune=True)
        assert stats.removed == 1 and store.passages.count() < count
        assert lexical_tantivy.open_index(path).fresh_for(*store.passages.version()[:2])


def test_module_main_builds_the_index_of_an_existing_store(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "fd.db"
    with Store.open(path) as store:  # written without finish(), as a store indexed before auto was the default
        SqliteIndex(store, FakeEmbedder(), ann_threshold=0, lexical_engine="fts5").add_documents(corpus(30),
                                                                                                 save_role="corpus")
    assert lexical_tantivy.main([str(path)]) == 0
    assert lexical_tantivy.open_index(path).fresh_for(30, 30) and "30 passages" in capsys.readouterr().out
    assert lexical_tantivy.main([str(tmp_path / "missing.db")]) == 2 and not (tmp_path / "missing.db").exists()


def test_rewriting_the_last_document_in_place_is_caught_as_stale(store_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    """The count and highest rowid stay the same when the store's last document is rewritten with as many
    passages (SQLite reuses the freed rowids); the manifest's tail fingerprint catches it."""
    with Store.open(store_path) as store:
        before = store.passages.version()
        last = corpus(240)[-1]
        rewritten = Document(text="A quokka colony nests under the new pier.", title=last.title, id=last.id,
                             published=last.published)
        indexer = SqliteIndexer(store, FakeEmbedder(), ann_threshold=0, lexical_engine="tantivy")
        with store.transaction():
            store.save_document(rewritten, role="corpus")
            indexer.add_document(rewritten)
        assert store.passages.version()[:2] == before[:2]  # the same count and highest rowid
        retr = tantivy_retriever(store)
        spy = Spy(pytest.MonkeyPatch(), store.passages, "lexical")
        with caplog.at_level(logging.WARNING, logger="factdesk"):
            rows = retr.lexical_search("quokka pier", 3)
        assert spy.calls == 1 and rows  # FTS5 answered, with the new text
        assert any("behind the store" in r.getMessage() for r in caplog.records)
        indexer.finish()
        rows = tantivy_retriever(store).lexical_search("quokka pier", 3)
        assert spy.calls == 1 and store.passages.by_rowids([rows[0][0]]).popitem()[1].text == rewritten.text


def test_an_index_run_that_changes_nothing_still_builds_a_missing_index(tmp_path: Path) -> None:
    """A store indexed by an older factdesk (no tantivy index beside it) gets one from the next `factdesk index`,
    though no file changed; a second run with the index in place does not sync again."""
    import shutil

    folder = tmp_path / "corpus"
    shutil.copytree(demodata.corpus_dir(), folder)
    path = tmp_path / "fd.db"
    options = {"lexical_engine": "auto", "tantivy_threshold": 100}
    settings = Settings(verifier="baseline", component_options={
        "retriever": dict(options), "indexer": {**options, "ann_threshold": 100}})
    with Store.open(path) as store:
        pipe = Pipeline(store, settings)
        pipe.index_path(folder)
        assert ann.index_dir(path).exists()
        # as a store indexed before "auto" was the default, or killed before its vector index was written
        shutil.rmtree(lexical_tantivy.index_dir(path))
        shutil.rmtree(ann.index_dir(path))
        assert pipe.indexer.needs_finish()
        stats = pipe.index_path(folder)
        assert stats.added == stats.updated == stats.removed == 0
        index = lexical_tantivy.open_index(path)
        assert index is not None and index.fresh_for(*store.passages.version()[:2])
        assert ann.index_dir(path).exists() and not pipe.indexer.needs_finish()


def test_the_engine_named_once_holds_for_index_and_search(tmp_path: Path) -> None:
    """`[retriever.options]` alone decides what `factdesk index` keeps beside the store: the real command, with a
    factdesk.toml in its working folder, builds a tantivy index past a threshold set only there, and none under
    `lexical_engine = "fts5"` set only there; the two tables disagreeing is a config error (exit 3)."""
    import shutil

    folder = tmp_path / "corpus"
    shutil.copytree(demodata.corpus_dir(), folder)  # 243 passages
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACTDESK_")}

    def index(config: str, db: str) -> subprocess.CompletedProcess:
        (tmp_path / "factdesk.toml").write_text(config)
        return subprocess.run([sys.executable, "-m", "factdesk", "index", "-q", "--json", "--db", db, str(folder)],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    run = index('[retriever.options]\ntantivy_threshold = 100\n', "a.db")
    assert run.returncode == 0, run.stderr
    assert lexical_tantivy.open_index(tmp_path / "a.db") is not None
    run = index('[retriever.options]\nlexical_engine = "fts5"\ntantivy_threshold = 100\n',
                "b.db")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["passages"] > 100 and not lexical_tantivy.index_dir(tmp_path / "b.db").exists()
    run = index('[retriever.options]\nlexical_engine = "fts5"\n'
                '[indexer.options]\nlexical_engine = "tantivy"\n', "c.db")
    assert run.returncode == 3 and "lexical_engine" in run.stderr and "set it once" in run.stderr
