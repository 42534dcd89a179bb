"""factdesk.context.omitted on the shipped demo: facts the article leaves out."""

from __future__ import annotations

import pytest

from factdesk import demodata
from factdesk.context.omitted import find_omitted
from factdesk.pipeline import Pipeline
from factdesk.report import report_to_dict, validate_report
from factdesk.settings import Settings
from factdesk.store import Store
from factdesk.types import Report


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store = Store.open(tmp_path_factory.mktemp("omitted") / "fd.db")
    pipe = Pipeline(store, Settings(verifier="baseline"))
    pipe.index_path(demodata.corpus_dir())
    doc, claim_set = pipe.extract(demodata.article_path())
    checked = pipe.gather_evidence(doc, claim_set)
    pipe.judge(checked)
    facts = find_omitted(doc, checked, pipe.index, pipe.verifier, limit=10)
    yield store, doc, checked, facts
    store.close()


def _gold_hits(store, facts):
    files = demodata.document_files(store)
    gold = demodata.load_gold()["omitted"]
    return {i for i, g in enumerate(gold) for f in facts
            if g["contains"] in f.text and files.get(f.document_id) == g["document"]}


def test_omitted_shape_dates_and_report(demo):
    store, doc, checked, facts = demo
    assert len(facts) <= 10
    ids = {cc.claim.id for cc in checked}
    for f in facts:
        assert f.published is None or f.published <= doc.published
        assert f.related_claim_id is None or f.related_claim_id in ids
        assert f.stance in ("supports", "refutes", "neutral")
        assert f.document_id != doc.id
    assert [f.score for f in facts] == sorted((f.score for f in facts), reverse=True)
    d = report_to_dict(Report(article=doc, claims=checked, created="2024-11-21T00:00:00+00:00"), omitted=facts)
    validate_report(d)
    assert len(d["omitted"]) == len(facts)


def test_facts_the_article_states_are_not_listed(demo):
    _, _, _, facts = demo
    for f in facts:
        assert not ("$2.75" in f.text and "adult fare" in f.text), f.text
        assert "$1.45 billion" not in f.text, f.text


def test_finds_at_least_three_gold_omitted_facts(demo):
    store, _, _, facts = demo
    assert len(_gold_hits(store, facts)) >= 3


def test_one_passage_per_document_and_off_topic_left_out(demo):
    store, _, _, facts = demo
    files = demodata.document_files(store)
    docs = [files.get(f.document_id) for f in facts]
    assert len(docs) == len(set(docs))
    for name in docs:  # the demo's unrelated local news (library, ferry, road works)
        assert not any(w in (name or "") for w in ("library", "ferry", "harbour-road")), name


def test_restating_passage_is_dropped_and_new_one_kept():
    from factdesk.types import Document, Hit, Passage

    article = Document(id="a1", text="Acme Rail Group will open the Harbour Line in 2026. "
                       "Acme Rail Group built the line for $2 billion.", title="Harbour Line opens",
                       published="2024-05-01")
    same = Passage(document_id="d1", text="Acme Rail Group will open the Harbour Line in 2026, it said. "
                   "Acme Rail Group built the line for $2 billion.", start=0, end=100,
                   title="Acme Rail Group news", published="2024-01-01")
    new = Passage(document_id="d2", text="Inspectors fined Acme Rail Group $90,000 after a crane collapsed "
                  "at the Harbour Line depot, injuring three workers and halting lifting for weeks.",
                  start=0, end=120, title="Acme Rail Group fined", published="2024-02-01")
    later = Passage(document_id="d3", text="Acme Rail Group was fined $5 million for delays on the Harbour "
                    "Line, inspectors reported after the collapse of scaffolding.", start=0, end=110,
                    title="Acme Rail Group fined again", published="2024-06-01")

    class Index:
        def search(self, q, k, **kw):
            return [Hit(passage=p, score=1.0) for p in (same, new, later)]

        def search_many(self, queries, k, **kw):
            return [self.search(q, k, **kw) for q in queries]

    class Verifier:
        def stances(self, pairs):
            return []

    facts = find_omitted(article, [], Index(), Verifier())
    assert [f.document_id for f in facts] == ["d2"]


def test_the_article_date_put_before_a_claim_is_not_searched_for():
    """"As of <article date>, …" is for the reader: omitted context searches and compares the claim without it."""
    from factdesk.context.omitted import _claim_words
    from factdesk.types import Claim

    claim = Claim(text="The line has cost $2 billion.", start=0, end=29, checkworthiness=0.9,
                  standalone="As of November 20, 2024, the line has cost $2 billion.")
    assert _claim_words(claim) == "The line has cost $2 billion."
    # the prefix decontextualize writes is the one left out
    from datetime import date

    from factdesk.text.words import as_of_prefix

    assert as_of_prefix(date(2024, 11, 20)) == "As of November 20, 2024, "
    dated = Claim(text="x", start=0, end=1, checkworthiness=0.9, standalone="The line opened on November 20, 2024.")
    assert _claim_words(dated) == "The line opened on November 20, 2024."
