"""Relative and explicit dates: factdesk.claims.decontextualize.resolve_relative_dates."""

from __future__ import annotations

import re
from datetime import date

import pytest

from factdesk.claims.decontextualize import resolve_relative_dates

FRIDAY = date(2024, 3, 15)  # the article date used throughout: Friday 15 March 2024


@pytest.mark.parametrize(
    "text, expected_text, expected_dates",
    [
        ("The dam opened 3 years ago.", "The dam opened in 2021.", ["2021"]),
        ("The firm was founded two years ago.", "The firm was founded in 2022.", ["2022"]),
        ("The firm was founded more than 20 years ago.", "The firm was founded before 2004.", ["2004"]),
        ("The plant closed a decade ago.", "The plant closed in 2014.", ["2014"]),
        ("The council met six months ago.", "The council met in September 2023.", ["2023-09"]),
        ("The storm hit 4 days ago.", "The storm hit on March 11, 2024.", ["2024-03-11"]),
        ("Yesterday, the mayor resigned.", "On March 14, 2024, the mayor resigned.", ["2024-03-14"]),
        ("The mayor resigned yesterday.", "The mayor resigned on March 14, 2024.", ["2024-03-14"]),
        ("Last week, police arrested two men.", "In the week of March 4, 2024, police arrested two men.", ["2024-03"]),
        ("Prices fell last month.", "Prices fell in February 2024.", ["2024-02"]),
        ("Sales rose earlier this month.", "Sales rose earlier in March 2024.", ["2024-03"]),
        ("Exports rose 5% this year.", "Exports rose 5% in 2024.", ["2024"]),
        ("Exports rose 5% last year.", "Exports rose 5% in 2023.", ["2023"]),
        ("Exports will rise next year.", "Exports will rise in 2025.", ["2025"]),
        ("Prices have risen since last year.", "Prices have risen since 2023.", ["2023"]),
        ("The plan was approved earlier this year.", "The plan was approved earlier in 2024.", ["2024"]),
        ("It happened last November.", "It happened in November 2023.", ["2023-11"]),
        # month-day without a year: the most recent occurrence on or before the article date
        ("On November 24 the council voted.", "On November 24, 2023 the council voted.", ["2023-11-24"]),
        ("On March 10 the council voted.", "On March 10, 2024 the council voted.", ["2024-03-10"]),
        ("On March 15 the council voted.", "On March 15, 2024 the council voted.", ["2024-03-15"]),
        ("The vote was held on 24 November.", "The vote was held on 24 November 2023.", ["2023-11-24"]),
        # weekdays: the most recent one on or before the article date (news style: "met Friday" in a Friday
        # article is that day, as two real pages' gold says; "last Friday" is a week back)
        ("The council met on Monday.", "The council met on March 11, 2024.", ["2024-03-11"]),
        ("The council met on Friday.", "The council met on March 15, 2024.", ["2024-03-15"]),
        ("The council met last Friday.", "The council met on March 8, 2024.", ["2024-03-08"]),
        ("The council voted Monday to close it.", "The council voted on March 11, 2024 to close it.", ["2024-03-11"]),
        ("Last Tuesday the bridge closed.", "On March 12, 2024 the bridge closed.", ["2024-03-12"]),
        # explicit dates stay as written and are normalised
        ("The plant closed in late 2008.", "The plant closed in late 2008.", ["2008"]),
        ("It was signed on March 3, 2021.", "It was signed on March 3, 2021.", ["2021-03-03"]),
        ("It was signed on 3 March 2021.", "It was signed on 3 March 2021.", ["2021-03-03"]),
        ("It was signed on 2021-03-03.", "It was signed on 2021-03-03.", ["2021-03-03"]),
        ("The census was taken in 2019.", "The census was taken in 2019.", ["2019"]),
        ("The law passed in May 2020.", "The law passed in May 2020.", ["2020-05"]),
        ("The 2019 census counted them.", "The 2019 census counted them.", ["2019"]),
        ("He spoke on Monday, March 11, 2024.", "He spoke on Monday, March 11, 2024.", ["2024-03-11"]),
        ("Between 2019 and 2021 the rate doubled.", "Between 2019 and 2021 the rate doubled.", ["2019", "2021"]),
        # not dates
        ("In 2000 homes the power failed.", "In 2000 homes the power failed.", []),
        ("The bridge is 2019 metres long.", "The bridge is 2019 metres long.", []),
        ("Polls will open in November.", "Polls will open in November.", []),
    ],
)
def test_resolve_against_the_article_date(text, expected_text, expected_dates):
    assert resolve_relative_dates(text, FRIDAY) == (expected_text, expected_dates)


@pytest.mark.parametrize(
    "text, expected_dates",
    [
        ("The dam opened 3 years ago.", []),
        ("On November 24 the council voted.", []),
        ("The mayor resigned yesterday, on Monday, last month.", []),
        ("Exports rose this year.", []),
        ("The plant closed in late 2008.", ["2008"]),  # explicit dates need no article date
        ("It was signed on March 3, 2021.", ["2021-03-03"]),
    ],
)
def test_without_an_article_date_relative_phrases_stay(text, expected_dates):
    assert resolve_relative_dates(text, None) == (text, expected_dates)


def test_year_boundaries():
    new_year = date(2024, 1, 3)  # a Wednesday
    assert resolve_relative_dates("Prices fell last month.", new_year) == ("Prices fell in December 2023.", ["2023-12"])
    assert resolve_relative_dates("On December 30 it snowed.", new_year) == ("On December 30, 2023 it snowed.", ["2023-12-30"])
    assert resolve_relative_dates("It snowed yesterday.", new_year) == ("It snowed on January 2, 2024.", ["2024-01-02"])
    assert resolve_relative_dates("It snowed on Sunday.", new_year) == ("It snowed on December 31, 2023.", ["2023-12-31"])


def test_february_29_without_year_does_not_crash():
    text, dates = resolve_relative_dates("On February 29 the vote took place.", date(2023, 3, 1))
    assert dates == []  # no 29 February in 2023
    assert text == "On February 29 the vote took place."


# --- issue 12: tense decides which occurrence a month-day or weekday means ----------------------

MONDAY_2020 = date(2020, 1, 20)  # an article dated Monday 20 January 2020


@pytest.mark.parametrize(
    "text, expected_text, expected_dates",
    [
        # future tense: the next occurrence; past tense: the last one
        ("The vote will take place on Feb. 9.", "The vote will take place on Feb. 9, 2020.", ["2020-02-09"]),
        ("The vote took place on Feb. 9.", "The vote took place on Feb. 9, 2019.", ["2019-02-09"]),
        ("The vote is scheduled for 9 February.", "The vote is scheduled for 9 February 2020.", ["2020-02-09"]),
        ("He said the line will open on January 5.", "He said the line will open on January 5, 2021.", ["2021-01-05"]),
        ("He said on January 5 that the line will open.", "He said on January 5, 2020 that the line will open.",
         ["2020-01-05"]),
        ("On January 20, council will vote.", "On January 20, 2020, council will vote.", ["2020-01-20"]),
        ("The council will meet on Friday.", "The council will meet on January 24, 2020.", ["2020-01-24"]),
        ("The council met on Friday.", "The council met on January 17, 2020.", ["2020-01-17"]),
        # unclear tense or reference: left as written
        ("The vote takes place on Feb. 9.", "The vote takes place on Feb. 9.", []),
        ("He said the toll would rise on March 3.", "He said the toll would rise on March 3.", []),
        ("The vote, scheduled for March 3, was postponed.", "The vote, scheduled for March 3, was postponed.", []),
        ("The council will meet on Monday.", "The council will meet on Monday.", []),  # today or in a week?
        ("The council will meet next Tuesday.", "The council will meet next Tuesday.", []),
        ("Prices are high in November.", "Prices are high in November.", []),
    ],
)
def test_tense_picks_the_next_or_the_last_occurrence(text, expected_text, expected_dates):
    assert resolve_relative_dates(text, MONDAY_2020) == (expected_text, expected_dates)


@pytest.mark.parametrize(
    "text, expected_text, expected_dates",
    [
        ("Today the line is roughly three-quarters complete.",
         "As of January 20, 2020 the line is roughly three-quarters complete.", ["2020-01-20"]),
        ("The council voted today to close it.", "The council voted on January 20, 2020 to close it.", ["2020-01-20"]),
        ("The road is closed until today.", "The road is closed until January 20, 2020.", ["2020-01-20"]),
        ("It will snow tomorrow.", "It will snow on January 21, 2020.", ["2020-01-21"]),
        ("The minister will speak tonight.", "The minister will speak on the night of January 20, 2020.",
         ["2020-01-20"]),
        ("The minister spoke this morning.", "The minister spoke on the morning of January 20, 2020.", ["2020-01-20"]),
        ("Fire broke out last night.", "Fire broke out on the night of January 19, 2020.", ["2020-01-19"]),
        ("The mayor resigned yesterday afternoon.", "The mayor resigned on the afternoon of January 19, 2020.",
         ["2020-01-19"]),
        # a quotation speaks from the speaker's day; reported speech may name another day
        ('"We will finish today," he said.', '"We will finish today," he said.', []),
        ("The minister said on Friday that the bill would pass today.",
         "The minister said on January 17, 2020 that the bill would pass today.", ["2020-01-17"]),
        ("The Today programme aired it.", "The Today programme aired it.", []),
        ("Today's vote was close.", "Today's vote was close.", []),
        ("It was reported by USA Today on Friday.", "It was reported by USA Today on January 17, 2020.",
         ["2020-01-17"]),
        ("The vote was the day before yesterday.", "The vote was the day before yesterday.", []),
    ],
)
def test_today_tomorrow_tonight_against_the_article_date(text, expected_text, expected_dates):
    assert resolve_relative_dates(text, MONDAY_2020) == (expected_text, expected_dates)


@pytest.mark.parametrize(
    "text, expected_text, expected_dates",
    [
        # sentence-initial "Three years ago" (capitalised number words and qualifiers)
        ("Three years ago, council raised the budget to $1.45 billion.",
         "In 2017, council raised the budget to $1.45 billion.", ["2017"]),
        ("A year ago the plant closed.", "In 2019 the plant closed.", ["2019"]),
        ("About three years ago, the plant closed.", "Around 2017, the plant closed.", ["2017"]),
        ("Council raised the budget three years ago.", "Council raised the budget in 2017.", ["2017"]),
        # a month (and day) with "this/last/next year"
        ("The vote was held on 11 February this year.", "The vote was held on 11 February 2020.", ["2020-02-11"]),
        ("The vote was held on February 11 last year.", "The vote was held on February 11, 2019.", ["2019-02-11"]),
        ("Prices rose in February of last year.", "Prices rose in February 2019.", ["2019-02"]),
        ("It happened last November.", "It happened in November 2019.", ["2019-11"]),
        ("Ridership rose in both 2022 and 2023.", "Ridership rose in both 2022 and 2023.", ["2022", "2023"]),
    ],
)
def test_ago_and_month_with_year_words(text, expected_text, expected_dates):
    assert resolve_relative_dates(text, MONDAY_2020) == (expected_text, expected_dates)


def test_article_date_from_a_one_line_text_header_resolves_its_claims():
    from factdesk.claims import extract_claims
    from factdesk.ingest.text import document_from_text

    doc = document_from_text(" date 2023-07-25 The minister said the levy rose 3 years ago. "
                             "The council cut the levy last November.")
    assert doc.published == "2023-07-25"
    standalones = [c.standalone for c in extract_claims(doc, threshold=0.0).claims]
    assert "The minister said the levy rose in 2020." in standalones
    assert "The council cut the levy in November 2022." in standalones


# --- the demo article: no relative date is left unresolved ---------------------------------------

_MONTH_WORD = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
               r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?")
_UNRESOLVED = re.compile(
    r"\b(?:ago|yesterday|today|tonight|tomorrow|"
    r"(?:this|last|next|coming|past)\s+(?:year|month|week|weekend|morning|afternoon|evening|night|spring|summer|autumn|fall|"
    r"winter|decade|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|"
    r"(?:earlier|later)\s+this\s+\w+|"
    r"(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)(?!,?\s+" + _MONTH_WORD + r"\s+\d)|"
    + _MONTH_WORD + r"\s+\d{1,2}(?:st|nd|rd|th)?\b(?!,?\s+\d{4})|"
    r"\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTH_WORD + r"(?!,?\s+\d{4})|"
    r"(?:in|since|until|by|during|early|late|mid-?)\s+" + _MONTH_WORD + r"(?!,?\s+\d{4}|\w))",
    re.IGNORECASE,
)


def test_the_unresolved_pattern_catches_what_it_should():
    assert _UNRESOLVED.findall("It rose 3 years ago, on Monday, on March 4 and in April; it will fall next week.") == [
        "ago", "on Monday", "March 4", "in April", "next week"]
    assert _UNRESOLVED.findall("On March 4, 2024 and in April 2024 it rose, as of November 20, 2024.") == []


def test_demo_article_claims_have_no_unresolved_relative_date(tmp_path):
    from factdesk import demodata
    from factdesk.pipeline import Pipeline
    from factdesk.settings import Settings
    from factdesk.store import Store

    with Store.open(tmp_path / "claims.db") as store:
        doc, claim_set = Pipeline(store, Settings(verifier="baseline")).extract(demodata.article_path())
    assert doc.published == "2024-11-20"
    standalones = [c.standalone for c in claim_set.claims]
    assert standalones, "the demo article has claims"
    left = {s: _UNRESOLVED.findall(s) for s in standalones if _UNRESOLVED.search(s)}
    assert left == {}
    by_start = {c.text.split()[0] + " " + c.text.split()[1]: c for c in claim_set.claims}
    assert by_start["Three years"].standalone == "In 2021, council raised the budget to $1.45 billion."
    assert by_start["Three years"].dates == ["2021"]
    assert by_start["Today the"].standalone == "As of November 20, 2024 the line is roughly three-quarters complete."
    assert by_start["On November"].standalone.startswith("On November 4, 2024, council set the standard adult fare")
    assert by_start["Last month"].standalone.startswith("In October 2024 the authority's board confirmed Priya Lassiter")
    assert by_start["This year"].standalone == "In 2024 the authority took delivery of all 18 of its light rail vehicles."


def test_a_weekday_after_a_clock_time_and_a_possessive_weekday_resolve():
    # shapes from real news pages (issue 12), our own sentences; Thursday 9 November 2023
    ref = date(2023, 11, 9)
    assert resolve_relative_dates("The van left the depot at about 9:15 a.m. Tuesday.", ref)[0] == (
        "The van left the depot at about 9:15 a.m. on November 7, 2023.")
    assert resolve_relative_dates("Lopez won 58% of the vote in Tuesday\u2019s council election.", ref)[0] == (
        "Lopez won 58% of the vote in the November 7, 2023 council election.")
    assert resolve_relative_dates("Saturday's peak demand reached 41,200 megawatts.", ref)[0] == (
        "The November 4, 2023 peak demand reached 41,200 megawatts.")


@pytest.mark.parametrize("text, expected", [
    ("This October's temperatures broke records.", "October 2023's temperatures broke records."),
    ("This October was the hottest on record.", "October 2023 was the hottest on record."),
    ("Temperatures this October were high.", "Temperatures in October 2023 were high."),
    ("Last October was wet.", "October 2022 was wet."),  # a month after the article's: the year before
    ("Last March, the council voted.", "In March 2023, the council voted."),
    ("Prices rose since last March.", "Prices rose since March 2023."),
])
def test_this_and_last_month_name_resolve_and_read_as_written(text, expected):
    """"this October" is the article year's October; a month that is the subject or a possessive takes no "in"."""
    got, dates = resolve_relative_dates(text, date(2023, 9, 8))
    assert got == expected and len(dates) == 1
