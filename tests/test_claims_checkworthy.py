"""The heuristic check-worthiness scorer and its protocol."""

from __future__ import annotations

from statistics import mean

from factdesk import registry
from factdesk.claims.checkworthy import CheckworthinessScorer, HeuristicCheckworthiness

FACTUAL = [
    "The Harbour Bridge opened in 1932 and cost $9.5 million.",
    "Unemployment in the region fell from 8.1% to 6.4% between 2019 and 2023.",
    "The city council approved the new transit budget on March 3, 2021.",
    "Acme Corp employs 4,200 people at its plant in Riverton.",
    "The dam is the largest hydroelectric project in the country.",
    "Police arrested three men in connection with the fire on Tuesday.",
    "Hospital admissions rose by 12 percent last year, the ministry said.",
    "Mayor Lena Ortiz was elected in 2019 with 54% of the vote.",
    "Northwind Construction built the main span.",
    "The new line carries more passengers than the old tram network.",
]
OPINIONS = [
    "I think the new bridge is a beautiful addition to our city.",
    "Is this really the best we can do?",
    "Share this article with your friends!",
    "What a disgrace.",
    "We must do better for our children.",
    "Perhaps things will change one day.",
    "Local Heroes Save The Day",
    "Frankly, the whole plan seems misguided to me.",
    "Who could possibly be surprised by that?",
    "Residents deserve better.",
    "It is time for the council to listen.",
    "Sign the petition today and make your voice heard.",
    "Honestly, I feel sad when I walk past the old pier.",
]


def test_factual_sentences_outrank_opinions():
    scorer = HeuristicCheckworthiness()
    facts = scorer.score(FACTUAL)
    opinions = scorer.score(OPINIONS)
    assert min(facts) > max(opinions)
    assert mean(facts) - mean(opinions) > 0.6
    assert all(s >= 0.5 for s in facts)
    assert all(s < 0.3 for s in opinions)
    assert all(0.0 <= s <= 1.0 for s in facts + opinions)


def test_scores_keep_input_order_and_length():
    scorer = HeuristicCheckworthiness()
    scores = scorer.score([OPINIONS[0], FACTUAL[0], ""])
    assert len(scores) == 3 and scores[0] < scores[1]
    assert scorer.score([]) == []


def test_explain_names_the_features_that_fired():
    scorer = HeuristicCheckworthiness()
    fact = scorer.explain("The Harbour Bridge opened in 1932 and cost $9.5 million.")
    assert {"number", "year", "money", "factual_verb"} <= set(fact["features"])
    assert fact["score"] == round(scorer.score_one("The Harbour Bridge opened in 1932 and cost $9.5 million."), 4)
    question = scorer.explain("Is this really the best we can do?")
    assert "question" in question["features"] and question["features"]["question"] < 0


def test_registered_and_follows_the_protocol():
    assert "heuristic" in registry.names("checkworthiness")
    scorer = registry.create("checkworthiness", "heuristic")
    assert isinstance(scorer, HeuristicCheckworthiness)
    assert isinstance(scorer, CheckworthinessScorer)
    assert scorer.name == "heuristic"
    scorer.warm_up()
    scorer.warm_up()


def test_news_reporting_adjustment_marks_timed_events_up_and_bare_quoted_views_down():
    from factdesk.claims.checkworthy import reporting_adjustment

    assert "clock_or_age" in reporting_adjustment("The fire started at about 2:15 p.m. on the third floor.")
    assert "clock_or_age" in reporting_adjustment("The driver, 47, of Eastfield was taken to hospital.")
    assert "event_outcome" in reporting_adjustment("Two men were charged with theft after the raid.")
    assert "quoted_view" in reporting_adjustment("\u201cIt is a huge gamble for the council,\u201d said Tom Banks.")
    # a quotation with something to check in it is not a bare view
    assert "quoted_view" not in reporting_adjustment("\u201cFares rose 12% in 2023,\u201d said Tom Banks.")
    assert "reported_view" in reporting_adjustment("The mayor emphasized the need for faster repairs.")
    assert reporting_adjustment("The bridge opened in 1998.") == {}


def test_limits_and_dated_plans_count_as_checkworthy_news():
    """Shapes a fact-checker checks that were missed on real pages (issue 12); our own sentences."""
    from factdesk.claims.checkworthy import reporting_adjustment

    assert "numeric_limit" in reporting_adjustment("Noise at the stadium will be capped at 90 decibels.")
    assert "dated_plan" in reporting_adjustment("The mayor is due to meet the transport minister on 3 June.")
    assert "dated_plan" not in reporting_adjustment("The mayor is due to meet the transport minister soon.")
