"""Claim matching on a PostgreSQL store (pytest -m postgres; CI: bash .ci/postgres.sh and .ci/pgvector.sh).

``store.claimreviews`` (:mod:`factdesk.store.postgres_claimreviews`) under the real matcher: the
matching rules of tests/test_match.py run again here against a PostgreSQL store (imported below:
pytest collects them in this module, where ``matcher`` is the PostgreSQL one), then the
``factdesk reviews`` commands and a check that finds an earlier fact-check, all over a URL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

pytestmark = pytest.mark.postgres

from test_match import (  # noqa: E402,F401  (the rule tests, collected here against PostgreSQL)
    CLAIMS,
    FIX,
    emb,
    test_changed_number_does_not_match,
    test_changed_place_does_not_match,
    test_match_many_and_empty_inputs,
    test_negation_does_not_match,
    test_paraphrase_matches,
)
from test_postgres import pg_databases, pg_url  # noqa: E402,F401

from factdesk.match.reviews import Review, add_reviews  # noqa: E402
from factdesk.store import Store  # noqa: E402


@pytest.fixture()
def pg_store(pg_url):
    with Store.open(pg_url) as s:
        yield s


@pytest.fixture()
def matcher(pg_store, emb):  # noqa: F811
    from factdesk.match.matcher import ClaimMatcher
    from factdesk.store.postgres import PostgresStore

    assert isinstance(pg_store, PostgresStore)
    add_reviews(pg_store, [Review(claim=c, url=f"https://fc.example/{i}", rating="False", publisher="FactLens",
                                  date="2023-01-0" + str(i + 1)) for i, c in enumerate(CLAIMS)], embedder=emb)
    return ClaimMatcher(pg_store, emb)


def test_records_round_trip_and_reimport_is_idempotent(pg_store, emb, tmp_path):
    from factdesk.match.importer import import_reviews
    from factdesk.match.reviews import count_reviews, get_reviews, list_reviews, search_reviews

    first = import_reviews(pg_store, [FIX / "graph.jsonld", FIX / "reviews.csv"], embedder=emb)
    version = pg_store.claimreviews.version()
    again = import_reviews(pg_store, [FIX / "graph.jsonld", FIX / "reviews.csv"], embedder=emb)
    assert count_reviews(pg_store) == 6 and pg_store.claimreviews.version()[0] == version[0]
    assert first.imported == 6 and again.imported == 0 and again.duplicates == 6
    # the same records as on SQLite, vectors included
    with Store.open(tmp_path / "s.db") as lite:
        import_reviews(lite, [FIX / "graph.jsonld", FIX / "reviews.csv"], embedder=emb)
        assert [r.to_dict() for r in list_reviews(pg_store)] == [r.to_dict() for r in list_reviews(lite)]
        a = get_reviews(pg_store, range(1, 7))
        b = get_reviews(lite, range(1, 7))
        assert sorted(r.claim for r, _, _ in a.values()) == sorted(r.claim for r, _, _ in b.values())
        assert all(v is not None and v.shape == (384,) for _, v, _ in a.values())
        q = "Porto saw a 40 percent increase in crime in 2019"
        assert search_reviews(pg_store, q, k=3, embedder=emb)[0].review.url == \
            search_reviews(lite, q, k=3, embedder=emb)[0].review.url == "https://claimwatch.example/fc/crime-porto"
    # hostile text is words, never tsquery syntax
    for text in ['"', "a & b | !c <-> d", "NEAR(x*)", "::tsquery", "\\", "   "]:
        assert isinstance(pg_store.claimreviews.lexical(f'"{text}"', 5), list)


def test_another_connections_import_reaches_the_matcher(pg_url, emb):
    from factdesk.match.matcher import ClaimMatcher

    with Store.open(pg_url) as reader, Store.open(pg_url) as writer:
        add_reviews(writer, [Review(claim=CLAIMS[0], url="https://fc.example/0")], embedder=emb)
        m = ClaimMatcher(reader, emb)
        assert m.match("Crime in Fennick rose by 12% in 2021.") == []
        add_reviews(writer, [Review(claim=CLAIMS[5], url="https://fc.example/5")], embedder=emb)
        assert [x.url for x in m.match("Crime in Fennick rose by 12% in 2021.")] == ["https://fc.example/5"]


def test_cli_import_list_search_over_a_url(pg_url):
    from factdesk.match.reviews_cli import reviews

    runner = CliRunner()
    r = runner.invoke(reviews, ["import", str(FIX / "graph.jsonld"), str(FIX / "reviews.csv"), "--json",
                                "--db", pg_url])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["imported"] == 6 and len(data["invalid"]) == 0
    r = runner.invoke(reviews, ["list", "--json", "--db", pg_url])
    assert r.exit_code == 0 and len(json.loads(r.output)) == 6
    r = runner.invoke(reviews, ["search", "Porto saw a 40 percent increase in crime in 2019", "--json",
                                "--db", pg_url])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)[0]["url"] == "https://claimwatch.example/fc/crime-porto"


def test_a_check_on_postgres_finds_the_earlier_fact_check(pg_url, tmp_path: Path):
    from factdesk.cli import cli

    runner = CliRunner()
    record = {"@context": "https://schema.org", "@type": "ClaimReview",
              "url": "https://fc.example/light-rail-budget",
              "claimReviewed": "In 2023 the light rail budget rose to $1.85 billion.",
              "author": {"@type": "Organization", "name": "FactLens"}, "datePublished": "2023-04-01",
              "reviewRating": {"@type": "Rating", "alternateName": "True"}}
    (tmp_path / "fc.jsonld").write_text(json.dumps(record))
    article = tmp_path / "article.txt"
    article.write_text("date 2024-05-02\ntitle: Light rail costs keep climbing\n\n"
                       "In 2023 the budget of the light rail rose to $1.85 billion, the transit authority said.\n"
                       "Mayor Ana Ferro said the line would open in late 2024.\n")
    r = runner.invoke(cli, ["reviews", "import", str(tmp_path / "fc.jsonld"), "--db", pg_url])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["check", str(article), "--verifier", "baseline", "--format", "json",
                            "-o", str(tmp_path / "r.json"), "--db", pg_url])
    assert r.exit_code == 0, r.output
    report = json.loads((tmp_path / "r.json").read_text())
    found = {m["url"] for c in report["claims"] for m in c.get("matches", [])}
    assert "https://fc.example/light-rail-budget" in found, [c.get("matches") for c in report["claims"]]
