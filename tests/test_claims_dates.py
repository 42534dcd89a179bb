"""Relative and explicit dates: factdesk.claims.decontextualize.resolve_relative_dates."""

from __future__ import annotations

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
        # weekdays: the most recent one before the article date
        ("The council met on Monday.", "The council met on March 11, 2024.", ["2024-03-11"]),
        ("The council met on Friday.", "The council met on March 8, 2024.", ["2024-03-08"]),
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
