"""Claim matching's text rules: post normalisation, mismatch rules, name groups, hard-negative generation,
the relevance ranking and the margin, and the CT2021 reader (skipped without the shared data)."""

from __future__ import annotations

import pytest

from factdesk.errors import InputError
from factdesk.match import ct2021
from factdesk.match.hardneg import apply_edits, load_variants, make_variants, negate
from factdesk.match.matcher import (ClaimMatcher, default_embedder, features, mismatch_features, name_groups,
                                    negated, parse, relevance, score)
from factdesk.match.posts import normalise_post
from factdesk.match.reviews import Review, add_reviews, search_reviews
from factdesk.store import Store


# -- posts ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("post, expected", [
    ("Republicans want to deny food stamps to car owners. https://t.co/IowxW0 — Julie Ames (@Jules_A) March 18, 2016",
     "Republicans want to deny food stamps to car owners. — Julie Ames"),
    (".@BernieSanders wins Nevada! #FeelTheBern pic.twitter.com/pDYpvQL5do", "Bernie Sanders wins Nevada! Feel The Bern"),
    ("Prices up 12% 🔥🔥 & rents +$300 👀", "Prices up 12% & rents +$300"),
    ("A plain sentence, no changes.", "A plain sentence, no changes."),
    ("", ""),
])
def test_normalise_post(post, expected):
    assert normalise_post(post) == expected


def test_normalise_post_can_drop_the_poster():
    post = "Bridge closed for good — Dana Poe (@dpoe) May 4, 2016"
    assert normalise_post(post, keep_poster=False) == "Bridge closed for good"
    # a dash inside the text is not a signature
    assert normalise_post("Bridge closed — for good", keep_poster=False) == "Bridge closed — for good"


# -- mismatch rules ---------------------------------------------------------------------------------------
def _mm(a: str, b: str) -> tuple[dict[str, float], list[str]]:
    return mismatch_features(parse(a), parse(b))


def test_negation_counts_not_just_presence():
    assert negated("He did not vote.") and not negated("It is not true that he did not vote.")
    f, reasons = _mm("It is not true that the mayor did not resign.", "The mayor did not resign.")
    assert f["negation"] == 1.0 and "negations differ (2 vs 1)" in reasons
    f, _ = _mm("The senator refused to sign the bill.", "The senator signed the bill.")
    assert f["negation"] == 1.0
    f, _ = _mm("The mayor did not resign.", "The mayor didn't resign.")
    assert f["negation"] == 0.0


def test_months_and_vague_amounts_and_hyphenated_numbers():
    assert _mm("The asteroid will hit in March 2018.", "The asteroid will hit in September 2018.")[0]["num_clash"]
    assert not _mm("The asteroid will hit in March 2018.", "In March 2018 an asteroid will hit.")[0]["num_clash"]
    assert _mm("Vaping gave dozens of students cancer.", "Vaping gave hundreds of students cancer.")[0]["num_clash"]
    assert _mm("A nine-year-old boy was expelled.", "A four-year-old boy was expelled.")[0]["num_clash"]
    # "May" alone is the verb, "9/11" is an event
    assert not _mm("Officials may close the bridge.", "Officials may close the bridge in 2020.")[0]["num_clash"]
    assert not _mm("Thousands were stranded after 9/11.", "Thousands of passengers were stranded.")[0]["num_clash"]


def test_name_groups_and_demonyms():
    groups = name_groups("President Donald J. Trump met Vladimir Putin in Paris.")
    assert frozenset({"donald", "trump"}) in groups and frozenset({"putin", "vladimir"}) in groups
    # "Trump" is part of "Donald Trump": no clash; "Bill Clinton" is not "Hillary Clinton": a clash
    assert not _mm("Trump met Putin in Paris.", "Donald Trump met Vladimir Putin in Paris.")[0]["ent_clash"]
    assert _mm("Bill Clinton met Putin.", "Hillary Clinton met Putin.")[0]["ent_clash"]
    assert not _mm("A teenager in China sold a kidney.", "A Chinese teenager sold a kidney.")[0]["ent_clash"]
    assert _mm("Louisiana's governor appointed him.", "Arizona's governor appointed him.")[0]["ent_clash"]


def test_roles_swapped_and_scope():
    f, reasons = _mm("Trudeau mocked Trump for the early holiday.", "Trump mocked Trudeau for the early holiday.")
    assert f["ent_clash"] and any("roles swapped" in r for r in reasons)
    # a passive restatement is not a swap
    assert not _mm("Trudeau was mocked by Trump.", "Trump mocked Trudeau.")[0]["ent_clash"]
    # nor is a reordered paraphrase; but two things swapped around the same verb are
    assert not _mm("In 2011 a teenager sold his kidney for an iPhone.", "A teenager sold his kidney in 2011 "
                   "for an iPhone.")[0]["ent_clash"]
    f, reasons = _mm("A photograph shows a drone catching an eagle.", "A photograph shows an eagle catching a drone.")
    assert f["ent_clash"] and any("'drone' and 'eagle' around 'catch'" in r for r in reasons)
    assert _mm("Only one president declared an emergency.", "Every president declared an emergency.")[0]["scope_clash"]
    assert _mm("Walmart sells caskets worldwide.", "Walmart sells caskets online.")[0]["scope_clash"]
    assert _mm("Measles spread around the world.", "Measles spread in Ohio.")[0]["scope_clash"]
    assert _mm("The chain closes its stores in New Jersey only.", "The chain closes its stores.")[0]["scope_clash"]
    # same class ("entirely" / "completely") or a quantifier on one side only: no clash
    assert not _mm("Las Vegas runs entirely on renewables.", "Las Vegas is completely renewable.")[0]["scope_clash"]
    assert not _mm("Several camels swam across the sea.", "Camels swam across the sea.")[0]["scope_clash"]


def test_vetoes_apply_only_to_restatements():
    record = "Tap water in Redhaven contains dangerous levels of lead."
    close = features(parse("Tap water in Redhaven does not contain dangerous levels of lead."), parse(record), 0.9)[0]
    assert close["negation"] and close["mismatch"] == 1.0 and score(close) < 0.5
    # a loose post that happens to say "no": the rule fires but does not count
    loose = features(parse("No way I'm drinking that, lol"), parse(record), 0.5)[0]
    assert loose["negation"] and loose["mismatch"] == 0.0


def test_relevance_formula():
    rel, lex = relevance(0.6, 0.8, 1)
    assert lex == pytest.approx(0.15) and rel == pytest.approx(0.6 * 0.6 + 0.4 * 0.8 + 0.15)
    assert relevance(0.6, None, None) == (pytest.approx(0.6), 0.0)  # untitled, not found by BM25


# -- hard negatives -----------------------------------------------------------------------------------------
def test_make_variants_changes_one_thing():
    text = "Barack Obama said in March 2016 that crime in Chicago rose 12% and that taxes were raised."
    got = {v.kind: v.text for v in make_variants("x", text)}
    assert got["negation"] == text.replace("were raised", "were not raised")
    assert got["negation_phrase"].startswith("It is not true that Barack Obama")
    assert "12%" not in got["number"] and "2016" in got["number"]
    assert "2016" not in got["year"] and "March" not in got["date"]
    assert "Chicago" not in got["place"] and "Barack Obama" not in got["actor"]
    assert got["antonym"] != text and all(v.source == "x" and not v.same_claim for v in make_variants("x", text))
    assert make_variants("x", text) == make_variants("x", text)  # deterministic


@pytest.mark.parametrize("text, expected", [
    ("Non-profits can't criticize him.", "Non-profits can criticize him."),
    ("It won't rain.", "It will rain."),
    ("He didn't go.", "He did go."),
    ("She never lied.", "She lied."),
    ("Cats are mammals.", "Cats are not mammals."),
    ("Cats purr.", None),
])
def test_negate(text, expected):
    assert negate(text) == expected


def test_edits_and_loading(tmp_path):
    assert apply_edits("The cat sat.", [[4, 7, "dog"], [8, 11, "ran"]]) == "The dog ran."
    with pytest.raises(InputError):
        apply_edits("short", [[2, 40, "x"]])
    with pytest.raises(InputError):
        apply_edits("The cat sat.", [[0, 7, "a"], [4, 9, "b"]])  # overlapping
    f = tmp_path / "v.jsonl"
    f.write_text('{"source": "c1", "kind": "place", "edits": [[13, 18, "Rome"]], "same_claim": false}\n'
                 '{"source": "c1", "kind": "paraphrase", "edits": [[0, 18, "Paris hosts"]], "same_claim": true}\n',
                 encoding="utf-8")
    vs = load_variants(f, {"c1": "Expo 2030 in Paris."})
    assert [(v.text, v.same_claim, v.origin) for v in vs] == [("Expo 2030 in Rome.", False, "hand"),
                                                              ("Paris hosts.", True, "hand")]
    with pytest.raises(InputError, match="unknown source"):
        load_variants(f, {})


# -- ranking and margin on a real store ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def emb():
    e = default_embedder()
    e.warm_up()
    return e


def test_title_vectors_are_stored_and_used(tmp_path, emb):
    with Store.open(tmp_path / "t.db") as store:
        add_reviews(store, [Review(claim="Drinking bleach cures the flu.", url="https://fc.example/bleach",
                                   title="Does Drinking Bleach Cure Flu?"),
                            Review(claim="Garlic prevents colds.", url="https://fc.example/garlic")], embedder=emb)
        rows = [tuple(r) for r in store.conn.execute("SELECT url, title_vector IS NOT NULL FROM reviews ORDER BY url")]
        assert rows == [("https://fc.example/bleach", 1), ("https://fc.example/garlic", 0)]
        [top, *_] = search_reviews(store, "can bleach cure flu", k=5, embedder=emb)
        assert top.review.url.endswith("bleach") and top.title_cosine is not None
        assert top.title_cosine == pytest.approx(float(emb.embed(["Does Drinking Bleach Cure Flu?"])[0]
                                                       @ emb.embed(["can bleach cure flu"])[0]), abs=1e-4)


def test_margin_keeps_a_related_claim_out(tmp_path, emb):
    with Store.open(tmp_path / "m.db") as store:
        add_reviews(store, [Review(claim="Velvo toothpaste contains lead.", url="https://fc.example/lead"),
                            Review(claim="Velvo toothpaste contains arsenic.", url="https://fc.example/arsenic")],
                    embedder=emb)
        m = ClaimMatcher(store, emb)
        hits = m.match("Tests show Velvo toothpaste has lead in it.")
        assert [h.url for h in hits] == ["https://fc.example/lead"]
        ranked = m.rank_many(["Tests show Velvo toothpaste has lead in it."])[0]
        behind = next(r for r in ranked if r.url.endswith("arsenic"))
        assert behind.score < 0.5 and any("behind the best" in r for r in behind.reasons)


def test_post_signature_does_not_veto_a_match(tmp_path, emb):
    with Store.open(tmp_path / "p.db") as store:
        add_reviews(store, [Review(claim="McDonald's is getting rid of its Dollar Menu in January 2016.",
                                   url="https://fc.example/menu", title="McDonald's Dollar Menu Ending?")],
                    embedder=emb)
        post = "McDonald's is getting rid of their Dollar Menu in January of 2016. — UberFacts (@UberFacts) December 26, 2015"
        [hit] = ClaimMatcher(store, emb).match(post)
        assert hit.url == "https://fc.example/menu" and hit.features["num_clash"] == 0.0


# -- CT2021 reader (shared data) ---------------------------------------------------------------------------
def test_ct2021_reader():
    folder = ct2021.ct2021_dir()
    if folder is None:
        pytest.skip("CheckThat! 2021 2A data not available")
    pool = ct2021.read_pool(folder)
    dev = ct2021.read_queries(folder, "dev")
    assert len(pool) == 13825 and len(dev) == 199
    assert all(len(q["relevant"]) >= 1 for q in dev)
    urls = {r.url for r in pool}
    assert all(u in urls for q in dev for u in q["relevant"])
    assert ct2021.vclaim_id(ct2021.review_url("vclaim-sno-x")) == "vclaim-sno-x"


def test_store_from_before_title_vectors_is_migrated(tmp_path, emb):
    db = tmp_path / "old.db"
    with Store.open(db) as store:
        add_reviews(store, [Review(claim="Garlic prevents colds.", url="https://fc.example/garlic")], embedder=emb)
        store.conn.execute("ALTER TABLE reviews DROP COLUMN title_vector")  # as a store of version 4 was
        # every table a later migration made goes too (the LLM cache, sources, watched feeds …)
        import sqlite3

        from factdesk.store.sqlite import MIGRATIONS

        then = sqlite3.connect(":memory:")
        for script in MIGRATIONS[:4]:
            then.executescript(script)
        had = {r[0] for r in then.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        later = [r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                 if r[0] not in had]
        store.conn.execute("PRAGMA foreign_keys = OFF")
        for name in later:
            store.conn.execute(f'DROP TABLE IF EXISTS "{name}"')
        store.conn.execute("PRAGMA user_version = 4")
        store.conn.commit()
    with Store.open(db) as store:  # migration 5 runs again, the old record keeps working without a title vector
        [hit] = ClaimMatcher(store, emb).match("Garlic prevents colds")
        assert hit.url == "https://fc.example/garlic" and hit.features["title_cosine"] == hit.features["cosine"]


def test_term_counts_follow_store_changes(tmp_path):
    from factdesk.match.reviews import document_frequency, prune_query

    with Store.open(tmp_path / "df.db") as store:
        add_reviews(store, [Review(claim=f"Crime in Town{i} rose.", url=f"https://fc.example/{i}") for i in range(3)])
        prune_query(store, '"crime"', 10)  # creates the vocabulary view
        assert document_frequency(store, "crime") == 3
        add_reviews(store, [Review(claim="Crime fell in Lowmere.", url="https://fc.example/x")])
        assert document_frequency(store, "crime") == 4
        assert document_frequency(store, "zzyzx") == 0
