"""Conformance suites: what every implementation of a protocol in :mod:`factdesk.protocols` must do.

Each suite is a base class of plain ``test_*`` methods that take the part under test as a pytest
fixture (``verifier``, ``embedder``, ``scorer``, ``retriever``, ``store``).  A backend's tests
subclass the suite and provide the fixture; factdesk's own ``tests/test_conformance.py`` runs every
suite over every registered name.

Example (in a plugin's tests)::

    import pytest
    from factdesk.testing import VerifierSuite

    class TestMyVerifier(VerifierSuite):
        @pytest.fixture
        def verifier(self):
            v = MyVerifier()
            v.warm_up()
            return v

:class:`RetrieverSuite` needs ``retriever`` to search what ``indexer`` wrote into ``store``; the
``corpus()`` it indexes is :data:`CORPUS`.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

import numpy as np

from factdesk.errors import FactdeskError
from factdesk.protocols import (STANCE_LABELS, CheckworthinessScorer, Embedder, Retriever, Store,
                                Verifier)
from factdesk.report import report_to_dict
from factdesk.types import Document, Hit, Report

PAIRS = [
    ("The Ridgeway dam opened in 1998.", "The Ridgeway dam opened to traffic in 1998 after four years of work."),
    ("The Ridgeway dam opened in 1998.", "The Ridgeway dam did not open until 2001."),
    ("Unemployment fell to 4 percent.", "The library extended its opening hours on Sundays."),
    ("Unemployment fell to 4 percent.", ""),
]

SENTENCES = ["The council approved a budget of 40 million euros in 2023.", "What a lovely morning it was.",
             "Officials said the bridge would reopen on 3 March.", "I think so.", ""]

CORPUS = [
    Document(text="The Ridgeway dam opened in 1998 after four years of construction. It holds 40 million cubic "
             "metres of water.", title="Dam opens", published="1998-06-01"),
    Document(text="The council voted to extend the light rail line to Eastfield. Construction begins in 2025.",
             title="Light rail vote", published="2023-02-08"),
    Document(text="A new report says the Ridgeway dam needs repairs costing 12 million.", title="Dam repairs",
             published="2024-05-10"),
]


def _prob_ok(p: dict[str, float]) -> None:
    assert set(p) <= set(STANCE_LABELS), f"labels {sorted(p)} outside {STANCE_LABELS}"
    assert all(0.0 <= v <= 1.0 for v in p.values()), p
    assert math.isclose(sum(p.values()), 1.0, abs_tol=1e-3), f"probabilities sum to {sum(p.values())}"


class VerifierSuite:
    """A :class:`~factdesk.protocols.Verifier`: one result per pair, a distribution over the stances."""

    def test_satisfies_the_protocol(self, verifier: Any) -> None:
        assert isinstance(verifier, Verifier) and isinstance(verifier.name, str) and verifier.name

    def test_one_result_per_pair_in_order(self, verifier: Any) -> None:
        results = verifier.stances(PAIRS)
        assert len(results) == len(PAIRS)
        one_by_one = [verifier.stances([p])[0] for p in PAIRS]
        for together, alone in zip(results, one_by_one):
            assert together.stance == alone.stance  # batching does not mix pairs up

    def test_probabilities_sum_to_one_over_the_allowed_labels(self, verifier: Any) -> None:
        for r in verifier.stances(PAIRS):
            _prob_ok(r.probabilities)
            assert r.stance.value in STANCE_LABELS and r.probability == max(r.probabilities.values())

    def test_warm_up_is_idempotent(self, verifier: Any) -> None:
        before = verifier.stances(PAIRS[:2])
        verifier.warm_up()
        verifier.warm_up()
        after = verifier.stances(PAIRS[:2])
        assert [r.probabilities for r in before] == [r.probabilities for r in after]

    def test_empty_input_gives_empty_output(self, verifier: Any) -> None:
        assert verifier.stances([]) == []


class EmbedderSuite:
    """An :class:`~factdesk.protocols.Embedder`: ``(n, dim)`` float rows of unit norm, the same every time."""

    def test_satisfies_the_protocol(self, embedder: Any) -> None:
        assert isinstance(embedder, Embedder) and embedder.dim > 0

    def test_shape_and_normalisation(self, embedder: Any) -> None:
        vecs = np.asarray(embedder.embed(SENTENCES[:4]))
        assert vecs.shape == (4, embedder.dim) and vecs.dtype == np.float32
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)

    def test_deterministic_and_independent_of_batching(self, embedder: Any) -> None:
        a = np.asarray(embedder.embed(SENTENCES[:4], batch_size=4))
        b = np.asarray(embedder.embed(SENTENCES[:4], batch_size=1))
        # int8 models quantise activations per batch: rows may move a little, never far
        assert np.all(np.sum(a * b, axis=1) > 0.99)
        assert np.allclose(a, np.asarray(embedder.embed(SENTENCES[:4])), atol=1e-6)

    def test_similar_texts_are_closer(self, embedder: Any) -> None:
        a, b, c = embedder.embed(["The dam opened in 1998.", "In 1998 the dam opened.", "Rain fell all week."])
        assert float(a @ b) > float(a @ c)

    def test_empty_input(self, embedder: Any) -> None:
        assert np.asarray(embedder.embed([])).shape[0] == 0


class CheckworthinessSuite:
    """A :class:`~factdesk.protocols.CheckworthinessScorer`: one score in [0, 1] per sentence."""

    def test_satisfies_the_protocol(self, scorer: Any) -> None:
        assert isinstance(scorer, CheckworthinessScorer)

    def test_one_score_per_sentence_in_range(self, scorer: Any) -> None:
        scores = scorer.score(SENTENCES)
        assert len(scores) == len(SENTENCES)
        assert all(0.0 <= float(s) <= 1.0 for s in scores), scores

    def test_deterministic_and_warm_up_idempotent(self, scorer: Any) -> None:
        first = scorer.score(SENTENCES)
        scorer.warm_up()
        assert [round(float(s), 6) for s in scorer.score(SENTENCES)] == [round(float(s), 6) for s in first]

    def test_a_fact_outscores_small_talk(self, scorer: Any) -> None:
        fact, chat = scorer.score(SENTENCES[:2])
        assert fact > chat

    def test_empty_input_gives_empty_output(self, scorer: Any) -> None:
        assert list(scorer.score([])) == []


def index_corpus(store: Any, indexer: Any) -> None:
    """Save :data:`CORPUS` in ``store`` and index it, the way the pipeline does."""
    with store.transaction():
        for doc in CORPUS:
            store.save_document(doc, role="corpus")
    indexer.add_documents(CORPUS)


class RetrieverSuite:
    """A :class:`~factdesk.protocols.Retriever` over what an :class:`~factdesk.protocols.Indexer` wrote.

    The ``retriever`` fixture must search :data:`CORPUS`, indexed (e.g. with :func:`index_corpus`).
    """

    def test_satisfies_the_protocol(self, retriever: Any) -> None:
        assert isinstance(retriever, Retriever)

    def test_finds_the_document_about_the_query(self, retriever: Any) -> None:
        for mode in ("hybrid", "lexical", "dense"):
            hits = retriever.search("When did the Ridgeway dam open?", k=2, mode=mode)
            assert 1 <= len(hits) <= 2 and all(isinstance(h, Hit) for h in hits)
            assert "Ridgeway dam" in hits[0].passage.text, mode
            assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    def test_search_many_is_search_for_each_query(self, retriever: Any) -> None:
        queries = ["Ridgeway dam repairs", "light rail to Eastfield"]
        many = retriever.search_many(queries, k=2)
        assert len(many) == 2
        for q, hits in zip(queries, many):
            assert [h.passage.id for h in hits] == [h.passage.id for h in retriever.search(q, k=2)]
        assert retriever.search_many([], k=2) == []

    def test_excluded_documents_never_come_back(self, retriever: Any) -> None:
        dam = CORPUS[0].id
        hits = retriever.search("Ridgeway dam opened", k=3, exclude_documents={dam})
        assert all(h.passage.document_id != dam for h in hits)

    def test_passages_after_the_date_are_flagged(self, retriever: Any) -> None:
        hits = retriever.search("Ridgeway dam", k=3, mode="lexical", before="2000-01-01")
        later = [h for h in hits if h.passage.published and h.passage.published > "2000-01-01"]
        assert later and all(h.after_claim_date for h in later)
        assert not any(h.after_claim_date for h in hits if h not in later)

    def test_at_most_k(self, retriever: Any) -> None:
        assert len(retriever.search("the", k=1)) <= 1


class StoreSuite:
    """A :class:`~factdesk.protocols.Store`: documents, files indexed, reports, transactions."""

    def test_satisfies_the_protocol(self, store: Any) -> None:
        assert isinstance(store, Store)

    def test_documents_round_trip_and_count(self, store: Any) -> None:
        doc = CORPUS[0]
        with store.transaction():
            store.save_document(doc, role="corpus")
            store.save_document(doc, role="corpus")  # idempotent
        back = store.get_document(doc.id)
        assert (back.id, back.text, back.title, back.published) == (doc.id, doc.text, doc.title, doc.published)
        assert store.count("documents") == 1

    def test_missing_document_is_a_factdesk_error(self, store: Any) -> None:
        try:
            store.get_document("d-no-such-document")
        except FactdeskError:
            return
        raise AssertionError("get_document of an unknown id must raise a FactdeskError")

    def test_files_indexed_and_removal(self, store: Any) -> None:
        doc = CORPUS[1]
        with store.transaction():
            store.save_document(doc, role="corpus")
            store.record_file("/corpus/rail.txt", "abc", doc.id)
        assert store.file_hash("/corpus/rail.txt") == "abc" and store.file_hash("/elsewhere") is None
        assert store.file_record("/corpus/rail.txt") == ("abc", doc.id) and store.file_record("/corpus") is None
        assert store.indexed_files("/corpus") == {"/corpus/rail.txt": doc.id}
        assert store.indexed_files("/corpus/rail") == {"/corpus/rail.txt": doc.id}
        assert store.indexed_files("/corpus/rail.txt/") == {} and store.indexed_files("/corpu") == {
            "/corpus/rail.txt": doc.id}
        assert store.indexed_files("/other") == {}
        with store.transaction():
            store.remove_document(doc.id)
        assert store.indexed_files() == {} and store.count("documents") == 0

    def test_a_failed_transaction_keeps_nothing(self, store: Any) -> None:
        try:
            with store.transaction():
                store.save_document(CORPUS[2], role="corpus")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert store.count("documents") == 0

    def test_find_documents_by_names_equals_one_search_per_name_and_field(self, store: Any) -> None:
        """Quote provenance's one scan for every quoted speaker answers as one search per name and field;
        "%" and "_" in a name are matched literally."""
        docs = [
            Document(text="a", title="Ann Lee on crime", author="Desk", published="2024-01-03"),
            Document(text="b", title="Budget", author="Ann Lee", published="2024-01-05"),
            Document(text="c", title="Transit", author="ann lee and Bo Chan", published=None),
            Document(text="d", title="Bo Chan profile", author="Staff", published="2023-12-01"),
            Document(text="e", title="Nothing", author=None, published="2024-02-01"),
            Document(text="g", title="100% of O_Neil", author="x", published="2024-02-02"),
            Document(text="h", title="1000 of ONeil", author="y", published="2024-02-03"),
        ]
        with store.transaction():
            for d in docs:
                store.save_document(d, role="corpus")
            store.save_document(Document(text="f", title="Ann Lee", author="Ann Lee"), role="article")
        names = ["Ann Lee", "Bo Chan", "Nobody", " ", "100%", "O_Neil"]
        got = store.find_documents_by_names(names, limit=2)
        for name in ("Ann Lee", "Bo Chan", "Nobody", "100%", "O_Neil"):
            for field in ("author", "title"):
                one = store.find_documents(**{field: name}, limit=2)
                assert [d.id for d in got[(field, name)]] == [d.id for d in one], (field, name)
        assert [d.text for d in got[("author", "Ann Lee")]] == ["b", "c"]  # newest first, undated last
        assert [d.text for d in got[("title", "100%")]] == ["g"] and [d.text for d in got[("title", "O_Neil")]] == ["g"]
        assert got[("title", "Nobody")] == [] and ("author", " ") not in got

    def test_reports_round_trip_newest_first(self, store: Any) -> None:
        ids = []
        for i, doc in enumerate(CORPUS[:2]):
            created = datetime(2024, 1, 1 + i, tzinfo=timezone.utc).isoformat(timespec="seconds")
            data = report_to_dict(Report(article=doc, claims=[], created=created, verifier="fake"))
            with store.transaction():
                store.save_document(doc, role="article")
            ids.append(store.save_report(data))
            assert store.get_report(data["id"])["id"] == data["id"]
        listed = [r["id"] for r in store.list_reports(10)]
        assert listed[:2] == ids[::-1] and store.count("reports") == 2


__all__ = ["VerifierSuite", "EmbedderSuite", "CheckworthinessSuite", "RetrieverSuite", "StoreSuite",
           "PAIRS", "SENTENCES", "CORPUS", "index_corpus"]
