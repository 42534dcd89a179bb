"""Evidence from more than one document: the per-document cap and MMR in hybrid search (real store, real index)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from factdesk.pipeline import Pipeline
from factdesk.retrieve import OnnxMiniLMEmbedder, SqliteIndex
from factdesk.retrieve.index import select_diverse
from factdesk.settings import Settings
from factdesk.store import Store
from factdesk.types import Claim, ClaimSet, Document

QUERY = "When did the Harbor Creek dam open?"

# one long document that says the same thing over and over: every passage of it is relevant
CHRONICLE = Document(
    title="Harbor Creek dam opening chronicle",
    published="2021-05-02",
    text="\n\n".join(
        f"The Harbor Creek dam opened in 1998, chronicle entry {i} recalls. "
        f"Officials opened the Harbor Creek dam in 1998 after years of work. "
        f"The opening of the Harbor Creek dam in 1998 drew crowds, entry {i} adds."
        for i in range(1, 9)
    ),
)
# four documents with one relevant passage each
OTHERS = [
    Document(title="Valley Post archive", published="2019-03-01",
             text="The Harbor Creek dam was opened to the public in 1998. Farmers welcomed the irrigation."),
    Document(title="Engineering review", published="2020-07-12",
             text="Engineers finished the Harbor Creek dam in 1998 and it opened that summer."),
    Document(title="Regional history", published="2018-11-20",
             text="In 1998 the regional government opened the dam on Harbor Creek after six years of construction."),
    Document(title="Reservoir facts", published="2022-02-02",
             text="The Harbor Creek reservoir behind the dam, opened in 1998, holds 40 million cubic metres."),
]
# unrelated filler
FILLER = [
    Document(title="City budget", published="2023-01-10",
             text="The city council approved a budget of 3.2 billion for 2023. Spending on transport rises."),
    Document(title="Football final", published="2022-06-01",
             text="The home team won the cup final 2-1 in extra time. Fans celebrated until dawn."),
]
LATER = [
    Document(title="Dam anniversary", published="2024-06-01",
             text="Twenty-six years after the Harbor Creek dam opened in 1998, a review praised it."),
    Document(title="Dam anniversary follow-up", published="2024-07-01",
             text="The Harbor Creek dam, opened in 1998, marked its anniversary with a festival."),
]


@pytest.fixture(scope="module")
def embedder() -> OnnxMiniLMEmbedder:
    emb = OnnxMiniLMEmbedder()
    emb.warm_up()
    return emb


def _index(tmp_path, embedder, docs):
    store = Store.open(tmp_path / "fd.db")
    index = SqliteIndex(store, embedder)
    with store.transaction():
        for d in docs:
            store.save_document(d, role="corpus")
            index.add_document(d)
    return store, index


@pytest.fixture()
def corpus(tmp_path, embedder):
    store, index = _index(tmp_path, embedder, [CHRONICLE, *OTHERS, *FILLER])
    yield store, index
    store.close()


def _docs(hits):
    return [h.passage.document_id for h in hits]


def test_the_corpus_is_a_real_test_one_document_crowds_the_top_five(corpus):
    _, index = corpus
    hits = index.search(QUERY, k=5)
    assert len(hits) == 5
    assert _docs(hits).count(CHRONICLE.id) >= 3  # without diversity the chronicle takes most slots
    assert len(set(_docs(hits))) < 3


@pytest.mark.parametrize("mode", ["hybrid", "lexical", "dense"])
def test_cap_gives_three_documents_and_keeps_the_best_passage_first(corpus, mode):
    _, index = corpus
    plain = index.search(QUERY, k=5, mode=mode)
    capped = index.search(QUERY, k=5, mode=mode, max_per_document=2)
    assert len(capped) == 5
    assert len(set(_docs(capped))) >= 3
    assert max(_docs(capped).count(d) for d in set(_docs(capped))) <= 2
    assert capped[0].passage.id == plain[0].passage.id
    # capped hits keep rank order among themselves: every kept passage was ranked as before
    plain_order = [h.passage.id for h in index.search(QUERY, k=50, mode=mode)]
    positions = [plain_order.index(h.passage.id) for h in capped]
    assert positions == sorted(positions)


def test_cap_one_gives_five_documents(corpus):
    _, index = corpus
    hits = index.search(QUERY, k=5, max_per_document=1)
    assert len(set(_docs(hits))) == 5
    assert hits[0].passage.id == index.search(QUERY, k=5)[0].passage.id


def test_zero_turns_it_off(corpus):
    _, index = corpus
    plain = index.search(QUERY, k=5)
    off = index.search(QUERY, k=5, max_per_document=0, mmr_lambda=1.0)
    assert [h.passage.id for h in off] == [h.passage.id for h in plain]
    assert [h.score for h in off] == [h.score for h in plain]


def test_mmr_spreads_over_documents_and_keeps_the_best_first(corpus):
    _, index = corpus
    plain = index.search(QUERY, k=5)
    mmr = index.search(QUERY, k=5, mmr_lambda=0.5)
    assert len(mmr) == 5
    assert len(set(_docs(mmr))) >= 3
    assert mmr[0].passage.id == plain[0].passage.id
    both = index.search(QUERY, k=5, max_per_document=2, mmr_lambda=0.7)
    assert len(set(_docs(both))) >= 3 and both[0].passage.id == plain[0].passage.id


def test_search_many_matches_search(corpus):
    _, index = corpus
    queries = [QUERY, "reservoir capacity of the Harbor Creek dam"]
    many = index.search_many(queries, k=5, max_per_document=2)
    for q, hits in zip(queries, many):
        assert [h.passage.id for h in hits] == [h.passage.id for h in index.search(q, k=5, max_per_document=2)]


def test_slots_are_still_filled_when_few_documents_match(tmp_path, embedder):
    store, index = _index(tmp_path, embedder, [CHRONICLE, OTHERS[0]])
    try:
        hits = index.search(QUERY, k=5, max_per_document=2)
        assert len(hits) == 5  # two documents cannot fill five slots at two each: the cap gives way
        assert set(_docs(hits)) == {CHRONICLE.id, OTHERS[0].id}
        assert hits[0].passage.id == index.search(QUERY, k=5)[0].passage.id
    finally:
        store.close()


def test_later_evidence_is_still_flagged_and_ranked_below(tmp_path, embedder):
    store, index = _index(tmp_path, embedder, [CHRONICLE, OTHERS[0], *FILLER, *LATER])
    try:
        before = "2023-06-01"
        for kwargs in ({}, {"max_per_document": 2}, {"max_per_document": 1}, {"mmr_lambda": 0.5}):
            hits = index.search(QUERY, k=8, before=before, **kwargs)
            flags = [h.after_claim_date for h in hits]
            assert flags == sorted(flags), kwargs  # every available passage before every later one
            assert {h.passage.document_id for h in hits if h.after_claim_date} <= {d.id for d in LATER}
            assert all(not h.after_claim_date for h in hits if h.passage.document_id not in {d.id for d in LATER})
        # the cap spreads the earlier group; the later group still only fills what is left
        capped = index.search(QUERY, k=5, before=before, max_per_document=2)
        assert [h.after_claim_date for h in capped] == [False] * 5
        assert len(set(_docs(capped))) >= 3
    finally:
        store.close()


def test_bad_values_are_refused(corpus):
    _, index = corpus
    with pytest.raises(ValueError):
        index.search(QUERY, max_per_document=-1)
    with pytest.raises(ValueError):
        index.search(QUERY, mmr_lambda=1.5)


def test_pipeline_passes_the_setting(corpus, embedder):
    store, _ = corpus
    article = Document(title="Article", text=QUERY, published="2024-01-01")
    claim = Claim(text="The Harbor Creek dam opened in 1998.", start=0, end=10, checkworthiness=0.9)
    claims = ClaimSet(claims=[claim])
    assert Settings().max_per_document == 2
    diverse = Pipeline(store, Settings(), embedder=embedder).gather_evidence(article, claims)[0]
    plain = Pipeline(store, Settings(max_per_document=0), embedder=embedder).gather_evidence(article, claims)[0]
    diverse_docs = [e.passage.document_id for e in diverse.evidence]
    plain_docs = [e.passage.document_id for e in plain.evidence]
    assert len(diverse.evidence) == len(plain.evidence) == 5
    assert len(set(diverse_docs)) >= 3 > len(set(plain_docs))
    assert diverse.evidence[0].passage.id == plain.evidence[0].passage.id


def test_setting_reads_from_the_environment(monkeypatch):
    from factdesk.settings import load_settings

    monkeypatch.setenv("FACTDESK_MAX_PER_DOCUMENT", "0")
    assert load_settings().max_per_document == 0


# -- the selection itself --------------------------------------------------------------------
def test_select_diverse_cap_then_fill():
    scores = [9, 8, 7, 6, 5, 4]
    docs = ["a", "a", "a", "b", "a", "c"]
    assert select_diverse(scores, docs, 4, max_per_document=2) == [0, 1, 3, 5]
    assert select_diverse(scores, docs, 5, max_per_document=1) == [0, 3, 5, 1, 2]  # filled in rank order
    assert select_diverse(scores, docs, 4) == [0, 1, 2, 3]
    assert select_diverse(scores, docs, 0, max_per_document=2) == []


def test_select_diverse_shares_counts_across_groups():
    counts: dict[str, int] = {"a": 2}
    assert select_diverse([3, 2, 1], ["a", "b", "a"], 2, max_per_document=2, counts=counts) == [1, 0]
    assert counts == {"a": 3, "b": 1}


def test_select_diverse_mmr_skips_near_duplicates():
    v = np.array([[1, 0, 0], [0.999, 0.0447, 0], [0.6, 0.8, 0], [0, 0, 1]], dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    scores = [1.0, 0.95, 0.9, 0.5]
    docs = ["a", "b", "c", "d"]
    assert select_diverse(scores, docs, 2, mmr_lambda=1.0, vectors=v) == [0, 1]
    assert select_diverse(scores, docs, 2, mmr_lambda=0.5, vectors=v)[0] == 0
    assert select_diverse(scores, docs, 2, mmr_lambda=0.5, vectors=v)[1] != 1
    assert select_diverse(scores, docs, 2, mmr_lambda=0.5, vectors=None) == [0, 1]  # no vectors: rank order


def test_the_search_command_applies_the_cap(corpus, tmp_path):
    """`factdesk search` shows several documents in its k results, as `check` does; --per-document 0 turns it off."""
    store, _ = corpus
    factdesk = Path(sys.executable).parent / "factdesk"

    def run(*extra: str) -> list[dict]:
        out = subprocess.run([str(factdesk), "search", QUERY, "-k", "5", "--mode", "lexical", "--json",
                              "--db", str(store.path), *extra], capture_output=True, text=True, check=True)
        return json.loads(out.stdout)

    capped = run()
    assert len({h["document_id"] for h in capped}) >= 3
    assert [h["title"] for h in capped].count(CHRONICLE.title) <= 2
    uncapped = run("--per-document", "0")
    assert [h["title"] for h in uncapped].count(CHRONICLE.title) >= 3
