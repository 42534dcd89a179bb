"""Issue 15 item 1 on real SQLite files: FTS5 query pruning, the persisted vector index, shared searches."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from factdesk.pipeline import Pipeline
from factdesk.retrieve import SqliteIndex, SqliteRetriever
from factdesk.retrieve import ann as ann_module
from factdesk.settings import Settings
from factdesk.store import Store
from factdesk.testing import FakeEmbedder, FakeScorer, FakeVerifier
from factdesk.types import Document

TOPICS = ["harbor dam reservoir", "city budget council", "flu vaccination clinics", "football cup final",
          "tram line depot", "library opening hours", "river flood defences", "airport runway noise"]


def corpus(n: int) -> list[Document]:
    """``n`` one-passage documents: every one says 'report' (a common word), each has one topic and a serial."""
    docs = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        docs.append(Document(text=f"The report number {i} covers the {topic}. Officials filed item{i} in {2000 + i % 20}.",
                             title=f"Report {i}", published=f"{2000 + i % 20}-05-01"))
    return docs


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting calls and texts."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__(dim)
        self.calls: list[int] = []

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        self.calls.append(len(texts))
        return super().embed(texts, batch_size)


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "fd.db"
    with Store.open(path) as store:
        SqliteIndex(store, FakeEmbedder(), ann_threshold=0).add_documents(corpus(240), save_role="corpus")
    return path


# -- FTS5 query pruning -----------------------------------------------------------------
def test_common_terms_are_left_out_of_large_stores_fts_queries(store_path: Path) -> None:
    with Store.open(store_path) as store:
        full = SqliteRetriever(store, FakeEmbedder(), lexical_max_df=0)
        pruned = SqliteRetriever(store, FakeEmbedder(), lexical_max_df=0.05, lexical_min_terms=1, lexical_prune_min=0)
        small = SqliteRetriever(store, FakeEmbedder(), lexical_max_df=0.05, lexical_min_terms=1,
                                lexical_prune_min=10_000)
        query = "report officials harbor item17"
        # 'report' and 'officials' are in all 240 passages, 'harbor' in 30 (12.5 %), item17 in one
        assert store.passages.document_frequencies(["report", "offici", "harbor", "item17"]) == [240, 240, 30, 1]
        assert full.fts_query(query) == '"report" OR "officials" OR "harbor" OR "item17"'
        assert pruned.fts_query(query) == '"item17"'
        assert small.fts_query(query) == full.fts_query(query)  # below lexical_prune_min: untouched
        top = pruned.lexical_search(query, 3)
        assert store.passages.by_rowids([top[0][0]])[top[0][0]].text.startswith("The report number 17 ")
        assert full.lexical_search(query, 1)[0][0] == top[0][0]
        # nothing rare enough: the rarest lexical_min_terms terms stay
        keep2 = SqliteRetriever(store, FakeEmbedder(), lexical_max_df=0.01, lexical_min_terms=2, lexical_prune_min=0)
        assert keep2.fts_query("report officials harbor budget") == '"harbor" OR "budget"'
        # words the corpus never uses are dropped; none used at all: no query
        assert pruned.fts_query("report zebra harbor quokka") == '"harbor"'
        assert pruned.fts_query("zebra quokka wombat") is None
        assert pruned.lexical_search("zebra quokka wombat", 5) == []


def test_document_frequencies_follow_writes(store_path: Path) -> None:
    with Store.open(store_path) as store:
        retriever = SqliteIndex(store, FakeEmbedder(), lexical_max_df=0.05, lexical_min_terms=1, lexical_prune_min=0,
                                ann_threshold=0)
        assert retriever.fts_query("harbor zeppelin") == '"harbor"'  # no passage says zeppelin yet
        with store.transaction():
            doc = Document(text="A zeppelin flew over the harbor dam on Sunday.", title="Zeppelin")
            store.save_document(doc, role="corpus")
            retriever.add_document(doc)
        assert retriever.fts_query("harbor zeppelin") == '"zeppelin"'
        hits = retriever.search("harbor zeppelin", k=1, mode="lexical")
        assert hits[0].passage.document_id == doc.id


def test_filtered_lexical_search_ranks_first_and_filters_after_with_the_same_answer(store_path: Path) -> None:
    """Date and document filters applied after ranking (or by the joined query when too few pass) give
    exactly the best passing passages."""
    with Store.open(store_path) as store:
        records = store.passages
        full = records.lexical('"report" OR "harbor"', 1000)
        assert len(full) == 240
        meta = {r: (d, p) for r, d, p in store.conn.execute("SELECT rowid, document_id, published FROM passages")}
        excluded = {meta[full[0][0]][0], meta[full[3][0]][0]}
        cases = [  # (k, excluded documents, published after, after): few or many passing, both date groups
            (5, excluded, None, False), (5, set(), "2010-12-31", False), (12, set(), "2000-12-31", False),
            (30, excluded, "2018-06-01", True), (3, set(), "2030-01-01", True)]
        for k, exclude, cutoff, after in cases:
            want = [(r, sc) for r, sc in full if meta[r][0] not in exclude
                    and (cutoff is None or ((meta[r][1] or "")[:10] > cutoff) == after)][:k]
            got = records.lexical('"report" OR "harbor"', k, exclude_documents=exclude, published_after=cutoff,
                                  after=after)
            assert [round(sc, 9) for _, sc in got] == [round(sc, 9) for _, sc in want]
            joined = records.lexical('"report" OR "harbor"', k, exclude_documents=exclude, published_after=cutoff,
                                     after=after, rank_first=False)
            assert [round(sc, 9) for _, sc in joined] == [round(sc, 9) for _, sc in want]
            ties = {r for r, sc in full if want and sc == want[-1][1]}  # equal scores may come either way
            assert {r for r, _ in got} <= {r for r, _ in want} | ties
        assert len(records.lexical('"report"', 12, published_after="2000-12-31")) == 12  # 12 of 240 pass


# -- the persisted vector index ------------------------------------------------------------
# (usearch must be imported after onnxruntime, which ann.usearch_index_class sees to: no importorskip here)
needs_usearch = pytest.mark.skipif(ann_module.usearch_index_class() is None, reason="usearch (extra 'match') missing")


@needs_usearch
def test_vector_index_is_built_beside_the_file_and_matches_the_exact_scan(store_path: Path, caplog) -> None:
    with Store.open(store_path) as store:
        exact = SqliteRetriever(store, FakeEmbedder(), ann_threshold=0)
        approx = SqliteRetriever(store, FakeEmbedder(), ann_threshold=100)
        folder = ann_module.index_dir(store_path)
        assert not folder.exists()
        with caplog.at_level(logging.WARNING, logger="factdesk"):
            index = approx.vector_index()
        assert index is not None and len(index) == 240 and (folder / "manifest.json").is_file()
        assert "missing or unreadable: updating it now" in caplog.text
        assert exact.vector_index() is None  # below its threshold (0: never)
        queries = ["harbor dam reservoir item3", "football cup final", "airport runway noise report 77"]
        for q in queries:
            e = exact.search(q, k=5, mode="dense", before="2010-12-31", exclude_documents=set())
            a = approx.search(q, k=5, mode="dense", before="2010-12-31", exclude_documents=set())
            # the same similarities in the same order (the fake embedder makes ties, broken either way)
            assert [round(h.dense_similarity, 5) for h in a] == [round(h.dense_similarity, 5) for h in e]
            assert a[0].passage.id == e[0].passage.id and a[0].dense_similarity > a[1].dense_similarity
            assert [h.after_claim_date for h in a] == [h.after_claim_date for h in e]
            assert all(h.passage.published <= "2010-12-31" for h in a)
        e = exact.search_many(queries, k=8, max_per_document=1, before="2005", mode="dense")
        a = approx.search_many(queries, k=8, max_per_document=1, before="2005", mode="dense")
        assert [[round(h.score, 5) for h in hs] for hs in a] == [[round(h.score, 5) for h in hs] for hs in e]
    # a new process opens it memory-mapped, without rebuilding
    before = (folder / "manifest.json").stat().st_mtime_ns
    with Store.open(store_path) as store:
        opened = ann_module.open_index(store_path)
        assert opened is not None and opened.fresh_for(store.passages.count(), 240)
        assert SqliteRetriever(store, FakeEmbedder(), ann_threshold=100).vector_index() is not None
    assert (folder / "manifest.json").stat().st_mtime_ns == before


@needs_usearch
def test_vector_index_follows_added_removed_and_replaced_passages(store_path: Path) -> None:
    with Store.open(store_path) as store:
        index = SqliteIndex(store, FakeEmbedder(), ann_threshold=100)
        index.finish()  # what `factdesk index` does after writing
        built = ann_module.open_index(store_path)
        assert built is not None and len(built) == 240
        last = corpus(240)[-1]
        # the last document goes and another takes its rowid (SQLite reuses the highest rowid)
        old_rowid = int(built.keys[-1])
        with store.transaction():
            index.remove_document(last.id)
            new = Document(text="A zeppelin moored at the airport runway overnight.", title="Zeppelin")
            store.save_document(new, role="corpus")
            index.add_document(new)
        assert store.passages.ids()[-1][0] == old_rowid  # the same rowid, another passage
        index.finish()
        synced = ann_module.open_index(store_path)
        assert synced is not None and len(synced) == 240
        hits = SqliteRetriever(store, FakeEmbedder(), ann_threshold=100).search("zeppelin airport", k=3, mode="dense")
        assert hits[0].passage.document_id == new.id
        assert abs(hits[0].dense_similarity - float(FakeEmbedder().embed(["zeppelin airport"])[0]
                                                   @ FakeEmbedder().embed([f"Zeppelin. {new.text}"])[0])) < 1e-5
        # removed without finish(): the index is behind, a search brings it up to date first
        with store.transaction():
            index.remove_document(new.id)
        retriever = SqliteRetriever(store, FakeEmbedder(), ann_threshold=100)
        hits = retriever.search("zeppelin airport", k=5, mode="dense")
        assert new.id not in {h.passage.document_id for h in hits}
        assert len(ann_module.open_index(store_path)) == 239


@needs_usearch
def test_without_usearch_or_a_usable_index_the_exact_scan_answers(store_path: Path, monkeypatch) -> None:
    with Store.open(store_path) as store:
        exact = SqliteRetriever(store, FakeEmbedder(), ann_threshold=0).search("flu vaccination clinics", k=5)
        monkeypatch.setattr(ann_module, "usearch_index_class", lambda: None)
        retriever = SqliteRetriever(store, FakeEmbedder(), ann_threshold=100)
        assert retriever.vector_index() is None
        got = retriever.search("flu vaccination clinics", k=5)
        assert [h.passage.id for h in got] == [h.passage.id for h in exact]
        assert not ann_module.index_dir(store_path).exists()
    monkeypatch.undo()
    folder = ann_module.index_dir(store_path)
    folder.mkdir()
    (folder / "manifest.json").write_bytes(b"not a manifest")
    with Store.open(store_path) as store:
        retriever = SqliteRetriever(store, FakeEmbedder(), ann_threshold=100)
        assert retriever.vector_index() is not None  # unreadable files are rebuilt
        got = retriever.search("flu vaccination clinics", k=5, mode="dense")
        want = SqliteRetriever(store, FakeEmbedder(), ann_threshold=0).search("flu vaccination clinics", k=5,
                                                                               mode="dense")
        assert [round(h.score, 6) for h in got] == [round(h.score, 6) for h in want]


# -- one embedding call, shared searches --------------------------------------------------
def test_repeated_searches_are_remembered_until_the_passages_change(store_path: Path) -> None:
    emb = CountingEmbedder()
    with Store.open(store_path) as store:
        retriever = SqliteIndex(store, emb, ann_threshold=0)
        retriever.prepare_queries(["harbor dam", "city budget", "harbor dam"])
        assert emb.calls == [2]
        first = retriever.search_many(["harbor dam", "city budget"], k=5, before="2015")
        again = retriever.search("harbor dam", k=5, before="2015")
        deeper = retriever.search("harbor dam", k=25, before="2015")
        assert emb.calls == [2]  # every query vector came from the one call
        assert [h.passage.id for h in again] == [h.passage.id for h in first[0]]
        assert [h.passage.id for h in deeper[:5]] == [h.passage.id for h in first[0]]
        again[0].score = -1.0  # a caller changing its hits does not change what is remembered
        assert retriever.search("harbor dam", k=5, before="2015")[0].score == first[0][0].score
        with store.transaction():
            doc = Document(text="The harbor dam reservoir burst its banks, the harbor dam report says.",
                           title="Harbor dam", published="2014-01-01")
            store.save_document(doc, role="corpus")
            retriever.add_document(doc)
        after = retriever.search("harbor dam", k=5, before="2015")
        assert after[0].passage.document_id == doc.id


def test_a_check_embeds_its_retrieval_queries_in_one_call(store_path: Path) -> None:
    emb = CountingEmbedder()
    article = Document(
        title="Harbor dam and the city budget",
        published="2020-06-01",
        text=("The harbor dam reservoir was finished in 1998, officials said on Monday. "
              "The city budget council approved 3.2 billion for the tram line depot. \"The airport runway noise "
              "will fall by half,\" Mayor Ann Lee said.\n\n"
              "Residents of the river flood defences district say the library opening hours were cut in 2019 "
              "and that flu vaccination clinics closed early every weekend."))
    with Store.open(store_path) as store:
        retriever = SqliteRetriever(store, emb, ann_threshold=0, max_per_document=2)
        pipe = Pipeline(store, Settings(), verifier=FakeVerifier(label="supports"), embedder=emb,
                        scorer=FakeScorer(), retriever=retriever, omitted_verifier=FakeVerifier(label="neutral"))
        report = pipe.check(article, save=False)
        assert report["claims"] and all(c["evidence"] for c in report["claims"])
        assert len(emb.calls) == 1 and emb.calls[0] > len(report["claims"])
        # the same article through a retriever that remembers nothing embeds per search call, same evidence
        emb2 = CountingEmbedder()
        plain = SqliteRetriever(store, emb2, ann_threshold=0, max_per_document=2, memo=False)
        pipe2 = Pipeline(store, Settings(), verifier=FakeVerifier(label="supports"), embedder=emb2,
                         scorer=FakeScorer(), retriever=plain, omitted_verifier=FakeVerifier(label="neutral"))
        report2 = pipe2.check(article, save=False)
        assert len(emb2.calls) > 1
        assert ([[e["passage_id"] for e in c["evidence"]] for c in report2["claims"]]
                == [[e["passage_id"] for e in c["evidence"]] for c in report["claims"]])


@needs_usearch
def test_many_queries_search_the_vector_index_together_with_the_same_answers(store_path: Path) -> None:
    queries = ["harbor dam reservoir item3", "football cup final", "airport runway noise report 77",
               "flu vaccination clinics item12", "tram line depot", "city budget council item200"]
    with Store.open(store_path) as store:
        one = SqliteRetriever(store, FakeEmbedder(), ann_threshold=100, memo=False)
        many = SqliteRetriever(store, FakeEmbedder(), ann_threshold=100, memo=False)
        calls: list[int] = []
        index = many.vector_index()
        real = type(index).search

        def counting(self, vectors, depth):
            calls.append(len(np.atleast_2d(vectors)))
            return real(self, vectors, depth)

        for mode, before, exclude in (("dense", None, set()), ("hybrid", "2008-12-31", {"nothing"})):
            singles = [one.search(q, k=5, mode=mode, before=before, exclude_documents=exclude) for q in queries]
            calls.clear()
            type(index).search = counting
            try:
                batched = many.search_many(queries, k=5, mode=mode, before=before, exclude_documents=exclude)
            finally:
                type(index).search = real
            assert calls and calls[0] == len(queries)  # one search for all queries first
            assert [[(h.passage.id, round(h.score, 6)) for h in hs] for hs in batched] == \
                   [[(h.passage.id, round(h.score, 6)) for h in hs] for hs in singles]


def test_a_blocks_lexical_searches_run_on_read_connections_of_their_own_with_the_same_answers(store_path: Path) -> None:
    """Parallel lexical searches (issue 15, a cold store at 1 M): same hits as one connection, the lists come
    from the readers (the store's own connection runs no FTS5 query for them), and every reader is closed."""
    queries = ["harbor dam reservoir item3", "football cup final", "airport runway noise report 77",
               "flu vaccination clinics item12", "tram line depot", "city budget council item200"]
    with Store.open(store_path) as store:
        serial = SqliteRetriever(store, FakeEmbedder(), ann_threshold=0, lexical_threads=0)
        parallel = SqliteRetriever(store, FakeEmbedder(), ann_threshold=0, lexical_threads=3, lexical_parallel_min=1)
        opened = []
        real_reader = type(store).passage_reader

        def reader(self):
            records = real_reader(self)
            opened.append(records)
            return records

        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        type(store).passage_reader = reader
        try:
            for mode, before in (("hybrid", None), ("lexical", "2008-12-31"), ("hybrid", "2012-06-01")):
                statements.clear()
                got = parallel.search_many(queries, k=5, mode=mode, before=before)
                fts_on_store = [s for s in statements if "MATCH" in s]
                want = serial.search_many(queries, k=5, mode=mode, before=before)
                assert [[(h.passage.id, round(h.score, 6), h.after_claim_date) for h in hs] for hs in got] == \
                       [[(h.passage.id, round(h.score, 6), h.after_claim_date) for h in hs] for hs in want]
                assert not fts_on_store or before  # undated: every list came from a reader
        finally:
            type(store).passage_reader = real_reader
            store.conn.set_trace_callback(None)
        assert 1 <= len(opened) <= 3 * 3  # at most lexical_threads readers per block
        for records in opened:  # closed after their block
            with pytest.raises(Exception, match="closed"):
                records.count()
        # inside a write transaction the readers would not see its writes: the store's connection searches
        opened.clear()
        type(store).passage_reader = reader
        try:
            with pytest.raises(RuntimeError, match="undo"), store.transaction():  # rolled back at the end
                doc = Document(text="A zeppelin moored at the harbor tram depot.", title="Zeppelin")
                store.save_document(doc, role="corpus")
                SqliteIndex(store, FakeEmbedder(), ann_threshold=0).add_document(doc)
                hits = parallel.search_many(["zeppelin harbor", "tram depot zeppelin"], k=3, mode="lexical")
                assert all(h[0].passage.document_id == doc.id for h in hits) and not opened
                raise RuntimeError("undo")
        finally:
            type(store).passage_reader = real_reader
        # a small store (below lexical_parallel_min) or one query: no readers at all
        opened.clear()
        small = SqliteRetriever(store, FakeEmbedder(), ann_threshold=0, lexical_threads=3)
        assert small.search_many(queries, k=5) and not opened
