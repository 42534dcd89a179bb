"""Claim matching must not call the opposite statement "already checked": antonyms in a short claim.

The real matcher over a real SQLite store with ClaimReview records imported from JSON-LD. The bug: "Crime in
Fennick fell by 12%" matched a fact-check of "Crime in Fennick rose by 12% last year" (relevance 0.99): the
antonym rule fired, but its gate (the share of the record's non-name words the claim restates) read 0.0,
because the swapped word counted as not restated and the sentence-opening "Crime" was taken for a name.
"""

from __future__ import annotations

import json

import pytest

from factdesk.match.importer import import_reviews
from factdesk.match.matcher import ClaimMatcher, default_embedder, mismatch_features, parse
from factdesk.store import Store

# unrelated records, so retrieval has something else to rank
OTHERS = [
    "Oslo will host the Olympic Games in 2036.",
    "Drinking garlic tea every morning cures asthma.",
    "Tap water in Redhaven contains dangerous levels of lead.",
]

# (claim, fact-checked record): the same statement with one word swapped for its opposite
OPPOSITES = [
    ("Crime in Fennick fell by 12%", "Crime in Fennick rose by 12% last year"),  # the reported case
    ("Crime in Fennick rose by 12%", "Crime in Fennick fell by 12% last year"),  # its mirror
    ("Rent in Dunmore increased by 5%", "Rent in Dunmore decreased by 5% over the past year"),
    ("Unemployment in Tarrow decreased by 3%", "Unemployment in Tarrow increased by 3% last year"),
    ("Traffic on the Kessing bridge is higher than before the toll",
     "Traffic on the Kessing bridge is lower than before the toll was introduced"),
    ("Kessing residents recycle more plastic than in 2019",
     "Kessing residents now recycle less plastic than they did in 2019"),
    ("The Marlow council approved the new parking fees", "The Marlow council rejected the new parking fees in May"),
]

# (claim, record): the same statement in other words, no antonym: must still match
RESTATED = [
    ("Crime in Fennick went up by 12%", "Crime in Fennick rose by 12% last year"),
    ("Crime in Fennick rose by 12%", "Crime in Fennick rose by 12% last year"),
    ("Last year crime in Fennick increased by 12 percent", "Crime in Fennick rose by 12% last year"),
]


@pytest.fixture(scope="module")
def emb():
    e = default_embedder()
    e.warm_up()
    return e


@pytest.fixture()
def store(tmp_path):
    with Store.open(tmp_path / "fd.db") as s:
        yield s


def _matcher(store, tmp_path, emb, record: str) -> ClaimMatcher:
    items = [{"@context": "https://schema.org", "@type": "ClaimReview", "claimReviewed": claim,
              "url": f"https://fc.example/{i}", "datePublished": "2024-03-01",
              "author": {"@type": "Organization", "name": "FactLens"},
              "reviewRating": {"@type": "Rating", "alternateName": "False"}}
             for i, claim in enumerate([record, *OTHERS])]
    path = tmp_path / "reviews.jsonld"
    path.write_text(json.dumps(items), encoding="utf-8")
    assert import_reviews(store, path, embedder=emb).imported == len(items)
    return ClaimMatcher(store, emb)


@pytest.mark.parametrize("claim, record", OPPOSITES)
def test_opposite_claim_is_not_a_match(store, tmp_path, emb, claim, record):
    m = _matcher(store, tmp_path, emb, record)
    assert m.match(claim) == []
    # the opposite fact-check is still shown (it is what a reader wants to see), vetoed with a reason
    top = m.rank_many([claim])[0][0]
    assert top.url == "https://fc.example/0"
    assert top.features["antonym"] == 1.0 and top.features["mismatch"] == 1.0
    assert top.score < m.threshold
    assert any(r.startswith("'") and " vs '" in r for r in top.reasons)


@pytest.mark.parametrize("claim, record", RESTATED)
def test_restated_claim_still_matches(store, tmp_path, emb, claim, record):
    m = _matcher(store, tmp_path, emb, record)
    assert [h.url for h in m.match(claim)][:1] == ["https://fc.example/0"]


def test_antonym_pair_counts_as_restated():
    f, reasons = mismatch_features(parse("Crime in Fennick fell by 12%"),
                                   parse("Crime in Fennick rose by 12% last year"))
    assert f["antonym"] == 1.0 and "'fell' vs 'rose'" in reasons
    # crime, rose (opposed by 'fell') of crime, rose, last, year; Fennick is a name
    assert f["restated"] == pytest.approx(0.5)
    # the same when only one side opens with the word: crime, rose of year, crime, rose ("Last" opens the
    # record only, so it is left out like any name on one side)
    f, _ = mismatch_features(parse("Crime in Fennick fell by 12%"), parse("Last year, crime in Fennick rose by 12%"))
    assert f["antonym"] == 1.0 and f["restated"] == pytest.approx(2 / 3)


def test_sentence_opening_name_on_one_side_only_stays_a_name():
    # "Rome" / "Paris" open the sentence on one side each: still names, so the claim restates everything else
    f, _ = mismatch_features(parse("Rome will host the World Expo in 2030."),
                             parse("Paris will host the World Expo in 2030."))
    assert f["ent_clash"] == 1.0 and f["restated"] == 1.0
