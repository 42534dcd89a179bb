"""Earlier fact-checks: import formats, idempotency, URL import, matching rules, evaluation metrics, CLI."""

from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from factdesk.errors import InputError, UnsafeURLError
from factdesk.match.reviews_cli import reviews
from factdesk.match.quality import (average_precision, evaluate_matching, read_queries, score_runs,
                                     write_trec_qrels, write_trec_run)
from factdesk.match.importer import import_reviews, read_records
from factdesk.match.matcher import ClaimMatcher, default_embedder
from factdesk.match.reviews import Review, add_reviews, count_reviews, list_reviews, search_reviews
from factdesk.store import Store

FIX = Path(__file__).parent / "fixtures" / "match"


@pytest.fixture(scope="module")
def emb():
    e = default_embedder()
    e.warm_up()
    return e


@pytest.fixture()
def store(tmp_path):
    with Store.open(tmp_path / "fd.db") as s:
        yield s


def _positions(invalid):
    return [(Path(p.split(": ", 1)[0]).name + ": " + p.split(": ", 1)[1], r) for p, r in invalid]


# -- import formats -------------------------------------------------------------------------------------
def test_jsonld_single_object_with_type_list(store):
    stats = import_reviews(store, FIX / "single.jsonld", embedder=None)
    assert (stats.imported, stats.duplicates, stats.invalid) == (1, 0, [])
    r = list_reviews(store)[0]
    assert r.claim == "The Harwick bridge toll will double to $8 in 2025."
    assert r.url == "https://factlens.example/fc/bridge-tolls"
    assert (r.rating, r.publisher, r.date, r.claim_date) == ("False", "FactLens", "2024-11-02", "2024-10-28")
    assert r.claimant == "Owen Achterberg" and r.language == "en"
    assert r.title == "No, the Harwick bridge toll is not doubling"


def test_jsonld_array_reports_missing_claim(store):
    stats = import_reviews(store, FIX / "array.json", embedder=None)
    assert stats.imported == 2
    assert _positions(stats.invalid) == [("array.json: item 3", "missing claimReviewed (the claim text)")]
    ratings = {r.url: r.rating for r in list_reviews(store)}
    assert ratings["https://veritydesk.example/fc/zestra"] == "2"  # ratingValue without bestRating


def test_jsonld_graph_and_nested_nodes(store):
    stats = import_reviews(store, FIX / "graph.jsonld", embedder=None)
    assert (stats.imported, stats.invalid) == (2, [])
    assert {r.claim for r in list_reviews(store)} == {"Oslo will host the Olympic Games in 2036.",
                                                      "Crime in Porto rose by 40% in 2019."}


def test_html_with_several_blocks_one_broken_one_bad_date(store):
    stats = import_reviews(store, FIX / "page.html", embedder=None)
    assert stats.imported == 3  # the bad date is dropped with a warning, the record kept (issue 11)
    inv = _positions(stats.invalid)
    assert [p for p, _ in inv] == ["page.html: block 2"]
    assert inv[0][1].startswith("broken JSON-LD block")
    assert [(p.split(": ", 1)[1], f, r) for p, f, r in stats.warnings] == [
        ("block 4 item 2", "datePublished", "bad date 'last Tuesday': no four-digit year")]
    assert {r.url for r in list_reviews(store)} == {"https://thesift.example/fc/wolves",
                                                    "https://thesift.example/fc/vapes",
                                                    "https://thesift.example/fc/bad-date"}


def test_google_claims_search_shape(store):
    stats = import_reviews(store, FIX / "google.json", embedder=None)
    assert stats.imported == 3  # the URL-less review has a rating: kept (issue 11)
    assert (stats.invalid, stats.warnings) == ([], [])
    by_url = {r.url: r for r in list_reviews(store)}
    assert (by_url[""].publisher, by_url[""].rating) == ("Claimwatch", "False")
    r = by_url["https://truthmeter.example/fc/kowal-salary"]
    assert (r.publisher, r.publisher_site, r.rating, r.date, r.claim_date, r.claimant, r.language) == (
        "Truthmeter", "truthmeter.example", "False", "2022-08-05", "2022-08-01", "Facebook posts", "en")
    assert r.title == "Mayor's salary claim is false"


def test_csv_with_bad_rows(store):
    stats = import_reviews(store, FIX / "reviews.csv", embedder=None)
    assert stats.imported == 4  # bad date dropped with a warning; URL-less row has a rating (issue 11)
    assert stats.invalid == []
    assert [(p.split(": ", 1)[1], f) for p, f, _ in stats.warnings] == [("row 2", "date")]
    assert "bad date '31/02/2020'" in stats.warnings[0][2]


def test_csv_without_header_is_an_input_error(store, tmp_path):
    bad = tmp_path / "nohead.csv"
    bad.write_text("Crime rose,False,https://x.example/a\n", encoding="utf-8")
    with pytest.raises(InputError, match="header"):
        import_reviews(store, bad, embedder=None)


def test_folder_import_and_idempotent_reimport(store, emb):
    first = import_reviews(store, FIX / "dir", embedder=emb)
    assert (first.imported, first.duplicates, len(first.invalid), first.sources) == (5, 0, 0, 2)
    n = count_reviews(store)
    second = import_reviews(store, FIX / "dir", embedder=emb)
    assert (second.imported, second.duplicates) == (0, 5)
    assert count_reviews(store) == n == 5
    # the same claim, differently spaced and cased, at the same URL is a duplicate too
    added, dup = add_reviews(store, [Review(claim="  the HARWICK bridge toll will double to $8 in 2025 ",
                                            url="https://factlens.example/fc/bridge-tolls")], embedder=emb)
    assert (added, dup) == (0, 1)
    # FTS follows the table
    assert search_reviews(store, "Harwick toll", k=3)[0].review.url == "https://factlens.example/fc/bridge-tolls"


def test_missing_source_is_input_error(store):
    with pytest.raises(InputError, match="no such file"):
        import_reviews(store, FIX / "nope.json", embedder=None)


def test_read_records_does_not_store():
    good, bad = read_records(FIX / "graph.jsonld")
    assert len(good) == 2 and bad == []


# -- URL import -----------------------------------------------------------------------------------------
class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D401 - silence
        pass


@pytest.fixture(scope="module")
def http_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(FIX)))
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_import_from_local_url_with_allow_private(store, http_url):
    stats = import_reviews(store, [f"{http_url}/page.html", f"{http_url}/google.json"], allow_private=True,
                           embedder=None)
    assert stats.imported == 6
    assert [p.split(": ", 1)[1] for p, _ in stats.invalid] == ["block 2"]
    assert [p.split(": ", 1)[1] for p, _, _ in stats.warnings] == ["block 4 item 2"]
    assert stats.invalid[0][0].startswith(f"{http_url}/page.html")


def test_import_from_local_url_refused_without_allow_private(store, http_url):
    with pytest.raises(UnsafeURLError):
        import_reviews(store, f"{http_url}/page.html", embedder=None)


# -- matching -----------------------------------------------------------------------------------------
CLAIMS = [
    "The city council of Lowmere approved a 40% tax on plastic bags in 2019.",
    "Drinking garlic tea every morning cures asthma.",
    "Paris will host the World Expo in 2030.",
    "Daniel Okafor was arrested in Lyon for smuggling mercury.",
    "Tap water in Redhaven contains dangerous levels of lead.",
    "Crime in Fennick rose by 12% in 2021.",
]


@pytest.fixture()
def matcher(store, emb):
    add_reviews(store, [Review(claim=c, url=f"https://fc.example/{i}", rating="False", publisher="FactLens",
                               date="2023-01-0" + str(i + 1)) for i, c in enumerate(CLAIMS)], embedder=emb)
    return ClaimMatcher(store, emb)


def test_paraphrase_matches(matcher):
    hits = matcher.match("Lowmere councillors voted through a 40 percent levy on plastic bags in 2019.")
    assert hits and hits[0].url == "https://fc.example/0"
    assert 0.0 <= hits[0].score <= 1.0 and hits[0].score >= matcher.threshold
    d = hits[0].to_dict()
    assert {"score", "rating", "publisher", "date", "url"} <= set(d) and d["rating"] == "False"
    para = matcher.match("You can get rid of asthma by having garlic tea each morning.")
    assert [m.url for m in para][:1] == ["https://fc.example/1"]


def test_negation_does_not_match(matcher):
    assert matcher.match("Tap water in Redhaven does not contain dangerous levels of lead.") == []
    ranked = matcher.rank_many(["Tap water in Redhaven does not contain dangerous levels of lead."])[0]
    assert ranked[0].url == "https://fc.example/4" and ranked[0].features["negation"] == 1.0
    assert "negated on one side only" in ranked[0].reasons


def test_changed_number_does_not_match(matcher):
    assert matcher.match("The city council of Lowmere approved a 60% tax on plastic bags in 2019.") == []
    assert matcher.match("Crime in Fennick rose by 12% in 2017.") == []


def test_changed_place_does_not_match(matcher):
    assert matcher.match("Rome will host the World Expo in 2030.") == []
    assert matcher.match("Daniel Okafor was arrested in Turin for smuggling mercury.") == []


def test_match_many_and_empty_inputs(matcher):
    out = matcher.match_many(["Crime in Fennick went up 12 per cent in 2021.", "", "?!"])
    assert [m.url for m in out[0]][:1] == ["https://fc.example/5"]
    assert out[1] == [] and out[2] == []


# -- evaluation -----------------------------------------------------------------------------------------
def test_metric_arithmetic_by_hand():
    # CheckThat!'s AP@k divides by the number of relevant records, not by min(|relevant|, k)
    assert average_precision(["x", "a", "y", "b"], {"a", "b"}, 5) == pytest.approx((1 / 2 + 2 / 4) / 2)
    assert average_precision(["x", "a"], {"a", "b", "c"}, 1) == 0.0
    assert average_precision(["a", "x", "b"], {"a", "b", "c"}, 3) == pytest.approx((1 + 2 / 3) / 3)
    queries = [{"id": "q1", "relevant": ["a"], "not_relevant": []},
               {"id": "q2", "relevant": ["b"], "not_relevant": ["z"]},
               {"id": "q3", "relevant": [], "not_relevant": ["c"]},
               {"id": "q4", "relevant": ["d", "e"], "not_relevant": []}]
    ranked = [["a", "x"], ["z", "b", "y"], ["c"], ["x", "y", "e", "d"]]
    returned = [["a"], ["z", "b"], [], ["e"]]
    m = score_runs(queries, returned, ranked, 5)
    # ranking, over q1, q2, q4:  AP@5 = 1, 1/2, (1/3 + 2/4)/2 = 5/12  -> mean (1 + 1/2 + 5/12)/3 = 23/36
    assert m["map_at_5"] == round(23 / 36, 4) and m["map_at_k"] == m["map_at_5"]
    assert m["map_at_1"] == round(1 / 3, 4)  # only q1 has its record first
    # AP@3: q1 1, q2 1/2, q4 (1/3)/2 = 1/6 -> 5/9
    assert m["map_at_3"] == round(5 / 9, 4)
    assert m["mrr"] == round((1 + 1 / 2 + 1 / 3) / 3, 4)
    assert m["precision_at_1"] == round(1 / 3, 4) and m["precision_at_k"] == round((1 + 1 + 2) / 5 / 3, 4)
    # thresholded: returned a, z, b, e -> 3 of 4 relevant; recall 1, 1, 1/2; q2 returned its not-relevant z
    assert (m["matched_precision"], m["matched_recall"], m["false_match_rate"]) == (0.75, round(5 / 6, 4), 0.5)
    assert (m["n"], m["n_relevant"], m["n_not_relevant"]) == (4, 3, 2)


def test_duplicated_relevant_item_counts_once(tmp_path):
    """A gold list naming the same record twice must not push MAP over 1 (or halve it)."""
    q = tmp_path / "q.jsonl"
    q.write_text(json.dumps({"id": "t1", "query": "x", "relevant": ["a", "a"]}) + "\n", encoding="utf-8")
    [query] = read_queries(q)
    assert query["relevant"] == ["a"]
    m = score_runs([query], [["a"]], [["a", "a", "b"]], 5)
    assert m["map_at_5"] == 1.0 and m["mrr"] == 1.0 and m["matched_precision"] == 1.0


def test_trec_run_and_qrels_files(tmp_path):
    queries = [{"id": "t1", "relevant": ["https://fc.example/a"], "not_relevant": []},
               {"id": "t2", "relevant": ["https://fc.example/b", "https://fc.example/b"], "not_relevant": []}]
    ranked = [["https://fc.example/x", "https://fc.example/a"], ["https://fc.example/b"]]
    assert write_trec_run(tmp_path / "run.txt", queries, ranked, tag="test") == 3
    lines = [line.split("\t") for line in (tmp_path / "run.txt").read_text().splitlines()]
    assert lines[0] == ["t1", "Q0", "https://fc.example/x", "1", "2", "test"]
    assert lines[1] == ["t1", "Q0", "https://fc.example/a", "2", "1", "test"]
    assert write_trec_qrels(tmp_path / "qrels.txt", queries) == 2  # b once


def test_evaluate_matching_on_tiny_fixture(emb, tmp_path):
    m = evaluate_matching(FIX / "eval_queries.jsonl", FIX / "eval_records.jsonld", embedder=emb,
                          predictions=tmp_path / "run.txt")
    assert m["n"] == 5 and m["n_relevant"] == 3 and m["n_not_relevant"] == 3 and m["records"] == 4
    # two of the three relevant records are in the pool and ranked first
    assert m["map_at_5"] == 0.6667 and m["precision_at_1"] == 0.6667 and m["matched_recall"] == 0.6667
    assert m["false_match_rate"] == 0.0 and m["matched_precision"] == 1.0
    run = (tmp_path / "run.txt").read_text().splitlines()
    assert m["predictions_lines"] == len(run) and {line.split("\t")[0] for line in run} == {"q1", "q2", "q3", "q4", "q5"}


# -- CLI ----------------------------------------------------------------------------------------------------
def test_cli_import_list_search(tmp_path):
    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    r = runner.invoke(reviews, ["import", str(FIX / "graph.jsonld"), str(FIX / "reviews.csv"), "--json",
                                "--db", db])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["imported"] == 6 and len(data["invalid"]) == 0 and len(data["warnings"]) == 1
    r = runner.invoke(reviews, ["list", "--json", "--db", db])
    assert r.exit_code == 0 and len(json.loads(r.output)) == 6
    r = runner.invoke(reviews, ["search", "Porto saw a 40 percent increase in crime in 2019", "--json", "--db", db])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)[0]["url"] == "https://claimwatch.example/fc/crime-porto"
    r = runner.invoke(reviews, ["import", str(FIX / "missing.json"), "--db", db])
    assert r.exit_code == 2 and "error:" in r.output and "no such file" in r.output


def test_cli_search_on_empty_store_is_one_line_error(tmp_path):
    r = CliRunner().invoke(reviews, ["search", "anything", "--db", str(tmp_path / "empty.db")])
    assert r.exit_code != 0 and r.output.strip().startswith("error: the store holds no fact-checks")


def test_large_store_lexical_query_keeps_rare_terms_only(store):
    from factdesk.match.reviews import prune_query
    from factdesk.retrieve.index import build_fts_query

    import_reviews(store, FIX / "graph.jsonld", embedder=None)
    q = build_fts_query("Crimes in Porto rising, zzyzx says")
    # every stored term is rare next to 200k records; unknown terms (df 0) are dropped; stems are FTS5's
    assert prune_query(store, q, 200_000) == '"crimes" OR "porto"'  # "rising" (rise) is not stored: "rose"
