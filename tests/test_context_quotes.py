"""factdesk.context.quotes: is a quoted claim's wording really in its source?"""

from __future__ import annotations

from factdesk.context.quotes import check_quote, provenance_for_claims, quoted_part
from factdesk.store import Store
from factdesk.types import Claim, ClaimKind, Document

SOURCE = Document(
    text=("At Tuesday's meeting the mayor spoke at length. \u201cCrime fell by 20% last year \u2014 the "
          "biggest drop we have ever recorded,\u201d she said. Officers\u2019 overtime rose as well."),
    title="Council meeting notes", published="2024-01-10",
)


def test_british_single_quotation_marks_read_as_double_ones():
    from factdesk.text.quotes import double_quoted
    text = ("\u2018That\u2019s because storms are wetter,\u2019 she said. This \u2018punches\u2019 a small area. "
            "The students\u2019 union said: \u2018We won 12 seats.\u2019")
    out = double_quoted(text)
    assert len(out) == len(text)  # offsets stay valid
    assert out == ("\u201cThat\u2019s because storms are wetter,\u201d she said. This \u2018punches\u2019 a small area. "
                   "The students\u2019 union said: \u201cWe won 12 seats.\u201d")
    assert quoted_part("\u2018Rainfall is 7% heavier per degree,\u2019 Ann Lee said.") == "Rainfall is 7% heavier per degree"
    # "…, he said, causing serious damage": the participle is what was said, not an appositive of the speaker
    assert quoted_part("The jet punches a small area with high winds, he said, causing serious damage.") == \
        "The jet punches a small area with high winds causing serious damage"


def test_quoted_part_strips_attribution_and_marks():
    assert quoted_part('"We cut crime by 20%," said Mayor Lena Ortiz.') == "We cut crime by 20%"
    assert quoted_part("Crime fell every year, says the column by Jo Lee.") == "Crime fell every year"
    assert quoted_part("Waiting lists fell by half, according to the ministry.") == "Waiting lists fell by half"
    assert quoted_part("Emissions fell 2 percent in 2019, according to the Rhodium Group, a research firm in New York.") \
        == "Emissions fell 2 percent in 2019"
    assert quoted_part("Six words were not part of the 2019 judgment, according to Max Schrems, founder of NOYB.") == \
        "Six words were not part of the 2019 judgment"
    assert quoted_part("Prices rose 4% in 2023, according to the ministry, and wages fell 2%.") == \
        "Prices rose 4% in 2023, according to the ministry, and wages fell 2%"  # not an appositive: kept
    # a speaker with an appositive, and a listener after "told"
    assert quoted_part("The grid operator, a nonprofit that runs 80% of the grid, said demand peaked on Friday.") == \
        "demand peaked on Friday"
    assert quoted_part("Zoe Dossaji told Gayle King she believes the stakes are higher this year.") == \
        "she believes the stakes are higher this year"
    # "says that's …" is not "says that …" (seen on a real page: "S a reality reflected …")
    assert quoted_part("Mayor Ann Hernandez says that\u2019s a reality for 4,000 essential workers.") == \
        "that\u2019s a reality for 4,000 essential workers"
    # a time between the verb and "that" ("announced in April 2018 that …")
    assert quoted_part("Pelco, the camera maker, announced in April 2018 that schools would get 40 cameras.") == \
        "schools would get 40 cameras"
    assert quoted_part("Georgetown University said in a statement on September 29, 2020 that the player was suspended.") \
        == "the player was suspended"  # seen on a real page: "In a statement on … that the player …"
    # an attribution inside the sentence
    assert quoted_part("The operation began in July 2020, authorities said, and meetings were set up online.") == \
        "The operation began in July 2020 and meetings were set up online"
    assert quoted_part("Prices, the ministry said, rose 4% in 2023.") == "Prices rose 4% in 2023"
    # seen on a real page: a trailing attribution with an appositive ends the sentence
    assert quoted_part("Reserves stood at 12 percent, said David Marcus, an energy consultant in Berkeley.") == \
        "Reserves stood at 12 percent"
    assert quoted_part("The council, which says it is broke, raised fares by 12% in 2023.") == \
        "The council, which says it is broke, raised fares by 12% in 2023"
    # "…, said it cut power …" is a clause after the verb, not a trailing attribution to cut off
    assert quoted_part("The operator, which runs the grid in Reno, Nevada, said it cut power after three plants shut "
                       "down.") == "The operator, which runs the grid in Reno, Nevada, said it cut power after three plants shut down"


def test_verbatim_with_curly_vs_straight_quotes_and_dashes():
    q = check_quote('"crime fell by 20% last year - the biggest drop we have ever recorded," the mayor said.',
                    [SOURCE])
    assert q.status == "verbatim" and q.similarity == 1.0 and q.diff == []
    assert SOURCE.text[q.source_start:q.source_end] == q.source_text
    assert q.source_text.startswith("Crime fell") and q.source_text.endswith("recorded")
    assert q.source_document == SOURCE.id and q.source_title == "Council meeting notes"


def test_close_paraphrase_word_order_and_function_words():
    q = check_quote('"Last year crime fell by 20%," the mayor said.', [SOURCE])
    assert q.status == "close"
    q2 = check_quote("Crime fell by 20% in the last year, the mayor said.", [SOURCE])
    assert q2.status == "close" and {"op": "insert", "quote": "in the", "source": ""} in q2.diff


def test_altered_word_number_and_negation():
    rose = check_quote('"Crime rose by 20% last year," the mayor said.', [SOURCE])
    assert rose.status == "altered"
    assert {"op": "replace", "quote": "rose", "source": "fell"} in rose.diff
    number = check_quote('"Crime fell by 30% last year," she said.', [SOURCE])
    assert number.status == "altered" and {"op": "replace", "quote": "30", "source": "20"} in number.diff
    negation = check_quote('"Crime did not fall by 20% last year," she said.', [SOURCE])
    assert negation.status == "altered"


def test_not_found():
    q = check_quote('"The harbour will be dredged next spring," she said.', [SOURCE])
    assert q.status == "not_found" and q.source_start is None and q.source_text is None


def test_long_source_offsets_slice_exactly():
    filler = " ".join(f"Paragraph {i} talks about the weather and the tides of the bay." for i in range(2000))
    target = "The \u2018new\u2019 bridge  will cost\n$42 million, officials said."
    doc = Document(text=filler + " " + target + " " + filler, title="Long file")
    for claim, status in [("\u201cThe 'new' bridge will cost $42 million\u201d", "verbatim"),
                          ('"The new bridge will cost $48 million," officials said.', "altered")]:
        q = check_quote(claim, [Document(text="unrelated words only"), doc])
        assert q.status == status
        assert q.source_document == doc.id
        assert doc.text[q.source_start:q.source_end] == q.source_text
        assert "bridge" in q.source_text and "42 million" in q.source_text


def test_best_source_wins():
    other = Document(text="Crime fell sharply in some districts, police said.")
    q = check_quote('"Crime fell by 20% last year," she said.', [other, SOURCE])
    assert q.source_document == SOURCE.id and q.status == "verbatim"


ARTICLE = Document(text=("Mayor Ann Lee said \"crime rose by 20% last year\". "
                         "Claim: the mayor never mentioned crime, says the column by Bo Chan."),
                   title="Crime story", published="2024-02-01")


def _claim(needle: str, **kw) -> Claim:
    start = ARTICLE.text.index(needle)
    return Claim(text=needle, start=start, end=start + len(needle), checkworthiness=0.9, **kw)


def test_provenance_for_quoted_and_rebutted_claims(tmp_path):
    quoted = _claim('Mayor Ann Lee said "crime rose by 20% last year"', kind=ClaimKind.QUOTED,
                    attributed_to="Ann Lee")
    plain = _claim("Claim: the mayor never mentioned crime", kind=ClaimKind.ASSERTION)
    out = provenance_for_claims([quoted, plain], ARTICLE, sources=[SOURCE])
    assert list(out) == [quoted.id]
    assert out[quoted.id].status == "altered"
    # no sources: the store's documents by the attributed author (later documents ignored)
    by_lee = Document(text="Crime rose by 20% last year in the north.", author="Ann Lee", published="2024-01-05")
    later = Document(text="Crime rose by 20% last year.", author="Ann Lee", published="2025-01-01")
    with Store.open(tmp_path / "fd.db") as store:  # a real SQLite store holding both
        for doc in (later, by_lee):
            store.save_document(doc)
        got = provenance_for_claims([quoted], ARTICLE, sources=[], store=store)
    assert got[quoted.id].status == "verbatim" and got[quoted.id].source_document == by_lee.id
    assert provenance_for_claims([quoted], ARTICLE, sources=None) == {}
