"""Retrieval: embeddings, passages, FTS5 + dense + hybrid search over a real SQLite store."""

from __future__ import annotations

import numpy as np
import pytest

from factdesk.errors import ConfigError, NotFoundError
from factdesk.registry import create, names
from factdesk.retrieve import Embedder, OnnxMiniLMEmbedder, SqliteIndex, make_passages
from factdesk.retrieve.embed import token_batches
from factdesk.retrieve.index import build_fts_query, latest_date
from factdesk.store import Store
from factdesk.testing.conformance import RetrieverSuite, index_corpus
from factdesk.types import Document

DOCS = [
    Document(
        title="Harbor dam opens",
        published="2021-05-02",
        source="Valley Post",
        url="https://example.org/dam",
        text=(
            "The Harbor Creek dam opened in 1998 after six years of construction.\n\n"
            "Engineers said the reservoir holds 40 million cubic metres of water. "
            "The project cost 120 million dollars. Local farmers welcomed the irrigation channels. "
            "A fish ladder was added in 2004."
        ),
    ),
    Document(
        title="City budget",
        published="2023-01-10",
        source="Metro Daily",
        text=(
            "The city council approved a budget of 3.2 billion for 2023. "
            "Spending on public transport rises by 8 percent. "
            "The mayor said road repairs will start in spring."
        ),
    ),
    Document(
        title="Vaccination drive",
        published="2022-09-15",
        text=(
            "Health officials reported that 70 percent of adults had received a flu shot by September. "
            "Clinics extended their opening hours on weekends."
        ),
    ),
    Document(
        title="Football final",
        published="2022-06-01",
        text="The home team won the cup final 2-1 in extra time. Fans celebrated in the streets until dawn.",
    ),
]

LATER = Document(
    title="Dam review",
    published="2024-06-01",
    text="A 2024 review found the Harbor Creek dam reservoir holds only 35 million cubic metres of water.",
)


@pytest.fixture(scope="module")
def embedder() -> OnnxMiniLMEmbedder:
    emb = OnnxMiniLMEmbedder()
    emb.warm_up()
    return emb


def _store_with(tmp_path, embedder, docs=DOCS):
    store = Store.open(tmp_path / "fd.db")
    index = SqliteIndex(store, embedder)
    with store.transaction():
        for d in docs:
            store.save_document(d)
            index.add_document(d)
    return store, index


def _fts_count(store) -> int:
    # an external-content FTS table reads through to passages; count the index itself instead
    return int(store.conn.execute("SELECT count(*) FROM passages_fts_docsize").fetchone()[0])


# -- embeddings --------------------------------------------------------------------------
def test_embedder_shape_and_norm(embedder):
    assert isinstance(embedder, Embedder)
    vecs = embedder.embed(["A short one.", "A much longer sentence about the harbour dam and its reservoir.", ""])
    assert vecs.shape == (3, embedder.dim) == (3, 384)
    assert vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)


def test_embedder_order_is_kept_and_batching_is_stable(embedder):
    texts = [f"Sentence number {i} " + "word " * (i % 7) for i in range(20)]
    one_by_one = np.vstack([embedder.embed([t]) for t in texts[:5]])
    batched = embedder.embed(texts, batch_size=4)
    assert np.allclose(batched[:5], one_by_one, atol=1e-4)


def test_batches_are_bounded_by_padded_word_pieces(embedder):
    """A batch holds at most max_batch_tokens padded pieces (rows x its longest), so long texts go in small
    batches; one text longer than the budget still goes alone; the vectors do not depend on the batches."""
    lengths = [3, 4, 10, 10, 40, 200, 300]
    batches = list(token_batches(list(range(len(lengths))), lengths, 64, 40))
    assert batches == [[0, 1, 2, 3], [4], [5], [6]]
    assert all(len(b) * max(lengths[i] for i in b) <= 40 or len(b) == 1 for b in batches)
    assert list(token_batches([0, 1, 2], [1, 1, 1], 2, 10**9)) == [[0, 1], [2]]  # batch_size still caps rows
    texts = ["A short one.", "The dam " * 120, "Harbor Creek reservoir holds 35 million cubic metres.", "word " * 60]
    calls = []

    class NotingSession:  # the real onnxruntime session; each call's (rows, width) noted
        def __init__(self, session):
            self.session = session

        def run(self, out, feeds):
            calls.append(feeds["input_ids"].shape)
            return self.session.run(out, feeds)

    small = OnnxMiniLMEmbedder(max_batch_tokens=64)
    small.warm_up()
    small._session = NotingSession(small._session)
    vectors = small.embed(texts, batch_size=64)
    assert all(rows * width <= 64 or rows == 1 for rows, width in calls) and len(calls) >= 3
    assert np.allclose(vectors, embedder.embed(texts, batch_size=64), atol=1e-5)


def test_paraphrases_are_closer_than_unrelated(embedder):
    pairs = [
        ("The dam opened in 1998.", "The reservoir began operating in 1998."),
        ("The mayor approved the city budget.", "The town's spending plan was signed off by the mayor."),
        ("Most adults got a flu shot.", "The majority of grown-ups were vaccinated against influenza."),
    ]
    a = embedder.embed([p[0] for p in pairs])
    b = embedder.embed([p[1] for p in pairs])
    sims = a @ b.T
    for i in range(len(pairs)):
        assert sims[i, i] > 0.5
        assert sims[i, i] > max(sims[i, j] for j in range(len(pairs)) if j != i) + 0.2


def test_registry_and_custom_model_dir(tmp_path, monkeypatch):
    assert "minilm-int8" in names("embedder")
    assert isinstance(create("embedder", "minilm-int8"), OnnxMiniLMEmbedder)
    (tmp_path / "model.onnx").write_bytes(b"not really")
    with pytest.raises(ConfigError, match="tokenizer.json"):
        OnnxMiniLMEmbedder(model_dir=tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        OnnxMiniLMEmbedder(model_dir=tmp_path / "nope")
    monkeypatch.setenv("FACTDESK_EMBEDDER_DIR", str(tmp_path / "nope"))
    with pytest.raises(ConfigError):
        create("embedder", "minilm-int8")


# -- passages -----------------------------------------------------------------------------
def test_passages_slice_the_document():
    text = " ".join(f"Sentence {i} is here." for i in range(10)) + "\n\nA new paragraph. It has two sentences."
    doc = Document(text=text, title="T", published="2020-01-01", url="u", source="s")
    ps = make_passages(doc, window=3, stride=2)
    assert len(ps) > 3
    for i, p in enumerate(ps):
        assert doc.text[p.start:p.end] == p.text
        assert p.position == i
        assert (p.document_id, p.title, p.published, p.url, p.source) == (doc.id, "T", "2020-01-01", "u", "s")
    assert not any("\n\n" in p.text for p in ps)  # the long paragraph's windows stay inside it
    assert {p.id for p in ps} == {p.id for p in make_passages(doc, window=3, stride=2)}  # stable ids
    covered = "".join(doc.text[p.start:p.end] for p in ps)
    for i in range(10):
        assert f"Sentence {i} " in covered


def test_short_doc_is_one_passage_and_long_sentences_are_cut():
    assert len(make_passages(Document(text="Just one line here. And another."))) == 1
    assert make_passages(Document(text="   ")) == []
    long_doc = Document(text=" ".join(["word"] * 1000) + ".")
    ps = make_passages(long_doc, max_chars=900)
    assert len(ps) >= 5 and all(len(p.text) <= 900 for p in ps)
    assert all(long_doc.text[p.start:p.end] == p.text for p in ps)


# -- lexical ------------------------------------------------------------------------------
def test_fts_query_builder_is_safe():
    assert build_fts_query('the "dam" AND NEAR(x') == '"dam"'
    assert build_fts_query("Dams, dams and 1998!") == '"dams" OR "1998"'
    assert build_fts_query('"') is None
    assert build_fts_query("?! ... ---") is None
    assert build_fts_query("the of") == '"the" OR "of"'  # only stopwords: keep them


def test_lexical_search_and_hostile_queries(tmp_path, embedder):
    store, index = _store_with(tmp_path, embedder)
    hits = index.search("fish ladder", k=3, mode="lexical")
    assert hits and "fish ladder" in hits[0].passage.text
    assert hits[0].lexical_rank == 1 and hits[0].dense_rank is None
    rows = index.lexical_search("transport spending", 5)
    assert rows and isinstance(rows[0][0], int) and rows[0][1] > 0
    for q in ['"', "AND", "NEAR(", "OR OR", "*", "dam*", "col:dam", "(((", "'; DROP TABLE passages; --",
              "^", "-", "NOT dam", "\x00", "", "   ", "a AND (b OR", "\"unterminated", "+", "NEAR(a b, 3)"]:
        for mode in ("lexical", "hybrid"):
            index.search(q, k=3, mode=mode)  # must not raise
    assert index.search('"', k=3, mode="lexical") == []
    store.close()


# -- dense and hybrid ---------------------------------------------------------------------
def test_dense_finds_paraphrase_without_shared_words(tmp_path, embedder):
    store, index = _store_with(tmp_path, embedder)
    query = "Most grown-ups got immunised against influenza"
    assert index.search(query, k=3, mode="lexical") == []  # no word in common
    hits = index.search(query, k=3, mode="dense")
    assert "flu shot" in hits[0].passage.text
    assert hits[0].dense_rank == 1 and hits[0].dense_similarity == pytest.approx(hits[0].score)
    rows = index.dense_search(query, 2)
    assert len(rows) == 2 and rows[0][1] >= rows[1][1]
    store.close()


def test_hybrid_fusion(tmp_path, embedder):
    store, index = _store_with(tmp_path, embedder)
    hits = index.search("How much water does the Harbor Creek reservoir hold?", k=5)
    assert "40 million cubic metres" in hits[0].passage.text
    top = hits[0]
    assert top.lexical_rank is not None and top.dense_rank is not None
    assert top.score == pytest.approx(1 / (60 + top.lexical_rank) + 1 / (60 + top.dense_rank))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.dense_similarity is not None for h in hits)
    assert len({h.passage.id for h in hits}) == len(hits)
    # exclusion by document
    dam_id = DOCS[0].id
    assert all(h.passage.document_id != dam_id
               for h in index.search("Harbor Creek dam reservoir", k=5, exclude_documents={dam_id}))
    # batched queries give the same answers as single ones
    many = index.search_many(["fish ladder", "cup final"], k=3)
    assert [h.passage.id for h in many[0]] == [h.passage.id for h in index.search("fish ladder", k=3)]
    assert "cup final" in many[1][0].passage.text
    with pytest.raises(ValueError):
        index.search("x", mode="fuzzy")  # type: ignore[arg-type]
    store.close()


def test_before_flags_and_ranks_down_later_passages(tmp_path, embedder):
    undated = Document(text="Harbor Creek dam reservoir water levels were discussed at a meeting.")
    store, index = _store_with(tmp_path, embedder, DOCS + [LATER, undated])
    q = "How much water does the Harbor Creek dam reservoir hold?"
    free = index.search(q, k=8)
    assert any(h.passage.document_id == LATER.id for h in free)
    assert not any(h.after_claim_date for h in free)
    for mode in ("hybrid", "lexical", "dense"):
        hits = index.search(q, k=8, mode=mode, before="2023-12-31")
        flags = [h.after_claim_date for h in hits]
        assert flags == sorted(flags), mode  # every flagged hit comes after every unflagged one
        later = [h for h in hits if h.passage.document_id == LATER.id]
        assert later and all(h.after_claim_date for h in later), mode
        assert any(h.passage.document_id == undated.id and not h.after_claim_date for h in hits), mode
    # a year means its end: a passage of 2024-06-01 is not after "2024"
    assert not any(h.after_claim_date for h in index.search(q, k=8, before="2024"))
    assert latest_date("2024-02") == "2024-02-31" and latest_date("2024-03-05T10:00:00") == "2024-03-05"
    with pytest.raises(ValueError):
        index.search(q, before="yesterday")
    per_query = index.search_many([q, q], k=8, before=["2023-12-31", None])
    assert any(h.after_claim_date for h in per_query[0]) and not any(h.after_claim_date for h in per_query[1])
    store.close()


# -- writes: idempotency, removal, cache ----------------------------------------------------
def test_readding_is_idempotent_and_removal_cleans_fts(tmp_path, embedder):
    store, index = _store_with(tmp_path, embedder)
    n_pass, n_fts = store.count("passages"), _fts_count(store)
    assert n_pass == n_fts > 0
    ids = {r[0] for r in store.conn.execute("SELECT id FROM passages")}
    with store.transaction():
        for d in DOCS:
            index.add_document(d)
    assert index.add_documents(DOCS[:2]) > 0
    assert store.count("passages") == n_pass and _fts_count(store) == n_fts
    assert {r[0] for r in store.conn.execute("SELECT id FROM passages")} == ids
    p = index.get_passage(next(iter(ids)))
    assert p.id in ids
    with pytest.raises(NotFoundError):
        index.get_passage("p-missing")

    assert index.search("fish ladder", k=3, mode="lexical")
    with store.transaction():
        store.remove_document(DOCS[0].id)
    assert _fts_count(store) < n_fts
    assert store.count("passages") == _fts_count(store)
    for mode in ("lexical", "dense", "hybrid"):
        assert all(h.passage.document_id != DOCS[0].id for h in index.search("fish ladder dam", k=10, mode=mode))
    store.close()


def test_add_documents_commits_chunks_and_saves(tmp_path, embedder):
    store = Store.open(tmp_path / "fd.db")
    index = SqliteIndex(store, embedder)
    seen = []
    n = index.add_documents(DOCS, chunk_size=2, save_role="corpus", on_document=lambda d: seen.append(d.id))
    assert n == store.count("passages") and store.count("documents") == len(DOCS)
    assert seen == [d.id for d in DOCS]
    assert not store.conn.in_transaction
    # an interrupted run keeps the chunks already committed
    def boom(doc):
        if doc.id == LATER.id:
            raise RuntimeError("interrupted")
    extra = Document(text="A brand new document about tidal power plants in the north.", title="Tidal")
    with pytest.raises(RuntimeError):
        index.add_documents([extra, LATER], chunk_size=1, save_role="corpus", on_document=boom)
    assert store.count("documents") == len(DOCS) + 1
    assert index.search("tidal power", k=1, mode="lexical")[0].passage.document_id == extra.id
    store.close()


def test_dense_cache_is_invalidated_by_writes(tmp_path, embedder):
    store, index = _store_with(tmp_path, embedder, DOCS[:2])
    q = "immunisation of adults against influenza"
    assert all("flu shot" not in h.passage.text for h in index.search(q, k=5, mode="dense"))
    with store.transaction():
        store.save_document(DOCS[2])
        index.add_document(DOCS[2])
    assert "flu shot" in index.search(q, k=1, mode="dense")[0].passage.text
    # a second index over another connection to the same file sees the change too
    other = Store.open(tmp_path / "fd.db")
    other_index = SqliteIndex(other, embedder)
    assert "flu shot" in other_index.search(q, k=1, mode="dense")[0].passage.text
    with store.transaction():
        store.remove_document(DOCS[2].id)
    assert all("flu shot" not in h.passage.text for h in other_index.search(q, k=5, mode="dense"))
    other.close()
    store.close()


def test_empty_store(tmp_path, embedder):
    store = Store.open(tmp_path / "empty.db")
    index = SqliteIndex(store, embedder)
    with pytest.raises(NotFoundError, match="save it first"):
        index.add_document(DOCS[0])  # not saved: refused with a hint
    for mode in ("lexical", "dense", "hybrid"):
        assert index.search("anything at all", k=5, mode=mode) == []
    assert index.search_many([], k=3) == []
    store.close()


def test_retriever_and_indexer_are_separate_parts(tmp_path, embedder):
    from factdesk.retrieve import SqliteIndexer, SqliteRetriever, sqlite_indexer, sqlite_retriever

    store = Store.open(tmp_path / "fd.db")
    indexer = sqlite_indexer(store, embedder, chunk_size=2)
    retriever = sqlite_retriever(store, embedder, max_per_document=1)
    assert isinstance(indexer, SqliteIndexer) and not hasattr(indexer, "search")
    assert isinstance(retriever, SqliteRetriever) and not hasattr(retriever, "add_documents")
    assert indexer.add_documents(DOCS, save_role="corpus") == store.count("passages")
    # the retriever's cache sees the indexer's writes; its own defaults apply (one passage per document)
    hits = retriever.search("dam reservoir water construction", k=3)
    assert len({h.passage.document_id for h in hits}) == 3
    capped_off = retriever.search("dam reservoir water construction", k=3, max_per_document=0)
    assert [h.passage.document_id for h in capped_off].count(DOCS[0].id) > 1
    assert len(retriever.search_many(["dam", "budget"], k=2)) == 2
    with store.transaction():
        indexer.remove_document(DOCS[0].id)
    assert all(h.passage.document_id != DOCS[0].id for h in retriever.search("fish ladder dam", k=10))
    assert store.get_document(DOCS[0].id).title == "Harbor dam opens"  # only its passages went
    with pytest.raises(ValueError, match="search mode"):
        sqlite_retriever(store, embedder, mode="fuzzy").search("dam")
    store.close()


def test_search_by_vector_matches_dense_search(tmp_path, embedder):
    store, index = _store_with(tmp_path, embedder)
    q = "How much water does the reservoir hold?"
    by_text = index.search(q, k=3, mode="dense", before="2022-01-01")
    by_vector = index.search_by_vector(embedder.embed([q])[0], k=3, before="2022-01-01")
    assert [h.passage.id for h in by_vector] == [h.passage.id for h in by_text]
    assert [h.after_claim_date for h in by_vector] == [h.after_claim_date for h in by_text]
    with pytest.raises(ConfigError, match="dimensions"):
        index.search_by_vector(np.ones(7, dtype=np.float32), k=3)
    store.close()


class TestSqliteRetrieverConformance(RetrieverSuite):
    """The split parts, built by their factories, pass the suite every registered retriever must."""

    @pytest.fixture(scope="class")
    @classmethod
    def retriever(cls, tmp_path_factory, embedder):
        from factdesk.retrieve import sqlite_indexer, sqlite_retriever

        store = Store.open(tmp_path_factory.mktemp("conformance") / "fd.db")
        index_corpus(store, sqlite_indexer(store, embedder))
        yield sqlite_retriever(store, embedder)
        store.close()
