"""Publication dates of plain-text articles (issue 12): header lines, date lines, bylines, datelines."""

from __future__ import annotations

import pytest

from factdesk.ingest.text import document_from_markdown, document_from_text, find_dateline_date

BODY = "The minister said the levy rose."


def test_date_and_first_sentence_on_one_line_after_leading_space():
    doc = document_from_text(" date 2023-07-25 The minister said the levy rose.\nIt fell later.")
    assert (doc.published, doc.text) == ("2023-07-25", "The minister said the levy rose.\nIt fell later.")


def test_date_word_inside_a_sentence_is_not_a_header():
    text = "date 2023-07-25 was picked for the vote."
    doc = document_from_text(text)
    assert (doc.published, doc.text) == (None, text)


@pytest.mark.parametrize("header, date, author", [
    ("Published: 25 July 2023", "2023-07-25", None),
    ("Published 25 July 2023", "2023-07-25", None),
    ("Posted on Tuesday, July 25, 2023 at 9:15 am", "2023-07-25", None),
    ("July 25, 2023 ·", "2023-07-25", None),
    ("July 25, 2023 · 4 min read", "2023-07-25", None),
    ("25 July 2023", "2023-07-25", None),
    ("Updated 25/07/2023 14:02", "2023-07-25", None),
    ("Updated 07/25/2023", "2023-07-25", None),
    ("By Jane Roe | July 25, 2023", "2023-07-25", "Jane Roe"),
    ("By Jane Roe, Reuters | 25 July 2023", "2023-07-25", "Jane Roe, Reuters"),
    # published and updated: the published date, whatever the order
    ("Published 24 July 2023, updated 25/07/2023 14:02", "2023-07-24", None),
    ("Updated: July 26, 2023 10:00 BST\nPublished: July 24, 2023", "2023-07-24", None),
    ("July 24, 2023 | Updated July 26, 2023", "2023-07-24", None),
    # a numeric date that may be day-month or month-day gives no date
    ("Updated 05/07/2023", None, None),
])
def test_date_lines_at_the_top_are_read_and_stripped(header, date, author):
    doc = document_from_text(f"{header}\n{BODY}")
    assert (doc.published, doc.author, doc.text) == (date, author, BODY)
    assert doc.title is None


@pytest.mark.parametrize("text, date", [
    ("Minister speaks\nBy Jane Roe | July 25, 2023\n\n" + BODY, "2023-07-25"),
    ("Minister speaks\nBy Jane Roe\nJuly 25, 2023 · 3 min read\n\n" + BODY, "2023-07-25"),
    ("Minister speaks\n\nPARIS (AP) — July 25, 2023 — " + BODY, "2023-07-25"),
    ("PARIS (AP) — July 25, 2023\n" + BODY, "2023-07-25"),
    ("LONDON, July 25, 2023 (Reuters) - " + BODY, "2023-07-25"),
    # a wire dateline without its year takes it from an "updated" line or the copyright line
    ("Updated July 26, 2023\nLONDON, July 25 (Reuters) - " + BODY, "2023-07-25"),
    ("Updated January 2, 2024\nLONDON, Dec 30 (Reuters) - " + BODY, "2023-12-30"),
    ("LONDON, July 25 (Reuters) - " + BODY + "\n\n© 2023 Thomson Reuters", "2023-07-25"),
    ("LONDON, July 25 (Reuters) - " + BODY, None),
    # a date inside an ordinary sentence of the body is not the publication date
    ("On July 25, 2023, the minister said the levy rose.", None),
    ("The minister said on July 25, 2023 that the levy rose.\nJuly 26, 2023\nMore.", None),
    ("Minister speaks\n\nThe minister said the levy rose on 25/07/2023.\n\nJuly 25, 2023", None),
    ("July 25, 2023 - The minister said the levy rose sharply this year.", None),
])
def test_publication_date_of_the_body(text, date):
    assert document_from_text(text).published == date


def test_lines_after_a_headline_stay_in_the_text():
    text = "Minister speaks\nBy Jane Roe | July 25, 2023\n\n" + BODY
    doc = document_from_text(text)
    assert (doc.published, doc.title, doc.text) == ("2023-07-25", "Minister speaks", text)


def test_a_date_line_is_not_taken_as_the_title():
    assert document_from_text("Updated 05/07/2023\n\n" + BODY).title is None
    assert document_from_text("PARIS (AP) — July 25, 2023\n\n" + BODY).title is None
    assert document_from_text("By Jane Roe\n\n" + BODY).title is None


def test_find_dateline_date_prefers_a_dateline_to_an_updated_header_date():
    assert find_dateline_date("PARIS (AP) — July 25, 2023 — " + BODY, updated="2023-07-27") == "2023-07-25"
    assert find_dateline_date(BODY, updated="2023-07-27") == "2023-07-27"


def test_markdown_without_front_matter_reads_date_lines():
    doc = document_from_markdown("Published: 25 July 2023\n\n# Levy rises\n\n" + BODY)
    assert (doc.published, doc.title) == ("2023-07-25", "Levy rises")
