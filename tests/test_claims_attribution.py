"""Who said it, across sentences: pronoun speakers by gender and nearness, quotations over several sentences."""

from __future__ import annotations

from factdesk.claims.attribution import attribute_all
from factdesk.claims.entities import find_mentions, person_gender
from factdesk.claims.segment import split_sentences


def _speakers(text: str) -> list[tuple[str, str | None]]:
    sentences = split_sentences(text)
    atts = attribute_all([(s.text, s.start) for s in sentences], text, find_mentions(text))
    return [(s.text, a.speaker if a else None) for s, a in zip(sentences, atts)]


def _speaker_of(text: str, start_of_sentence: str) -> str | None:
    return next(sp for sent, sp in _speakers(text) if sent.startswith(start_of_sentence))


def test_gender_from_title_and_first_name():
    mentions = {m.name: m for m in find_mentions("Mr. Ortiz met Maria Lopez and John Smith.")}
    assert person_gender(mentions["Ortiz"]) == "m"
    assert person_gender(mentions["Maria Lopez"]) == "f" and person_gender(mentions["John Smith"]) == "m"


def test_he_is_not_the_woman_named_before():
    text = ("Union leader Maria Lopez said wages had fallen by 8% in two years. "
            "The employers' association disputes the figure. "
            "\"The offer on the table is the best in a decade,\" he said.")
    # the only person named is a woman: "he" cannot be her, and nobody else qualifies
    assert _speaker_of(text, "\"The offer") is None


def test_he_said_goes_to_the_last_compatible_speaker():
    text = ("Union leader Maria Lopez said wages had fallen by 8% in two years. "
            "Employers' spokesman Tom Reyes said the claim ignored bonuses. "
            "\"The offer on the table is the best in a decade,\" he said.")
    assert _speaker_of(text, "\"The offer") == "Tom Reyes"
    text_she = text.replace("\" he said", "\" she said")
    # "she" skips the man who spoke last and finds the woman named before him
    assert _speaker_of(text_she, "\"The offer") == "Maria Lopez"


def test_two_candidates_leave_the_quote_unattributed():
    text = ("John Smith and Peter Hale met on Monday. "
            "\"We will build the bridge by 2027,\" he said.")
    assert _speaker_of(text, "\"We will") is None


def test_a_quotation_over_two_sentences_has_one_speaker():
    text = ("The mayor spoke after the vote. \"Ridership doubled in 2023. Fares will stay at $2.75 until 2026,\" "
            "said Mayor Lena Ortiz.")
    speakers = dict(_speakers(text))
    assert speakers["\"Ridership doubled in 2023."] == "Lena Ortiz"
    assert next(sp for sent, sp in speakers.items() if sent.startswith("Fares will")) == "Lena Ortiz"


def test_a_quoted_sentence_after_an_attributed_one_continues_it():
    text = ("\"Ridership doubled in 2023,\" said Mayor Lena Ortiz. \"Fares will stay at $2.75 until 2026.\" "
            "Critics disagree with the plan.")
    assert _speaker_of(text, "\"Fares will") == "Lena Ortiz"
    assert _speaker_of(text, "Critics") is None


def test_a_list_of_sources_is_attributed_to_the_first_named():
    text = ("Prosecutor Joshua Levy announced the charges on Monday. The two men stole $2 million from the company, "
            "according to Levy and investigators from the Cambridge Police.")
    speaker = _speaker_of(text, "The two men")
    assert speaker is not None and "Levy" in speaker and "Police" not in speaker
