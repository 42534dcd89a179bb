"""Sentence splitting (factdesk.text.sentences) details the claims stage relies on."""

from __future__ import annotations

from factdesk.text.sentences import split_sentences


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_docstring_example_and_offsets():
    text = 'Dr. Lee said "It works." Prices rose 3.5% in Jan. 2024.'
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ['Dr. Lee said "It works."', "Prices rose 3.5% in Jan. 2024."]
    for s in sentences:
        assert text[s.start:s.end] == s.text


def test_label_lines_and_headings_end_a_sentence():
    text = "Dam Safety Row\nClaim:\nThe dam is old\nFact:\nIt opened in 1998."
    assert texts(text) == ["Dam Safety Row", "Claim:", "The dam is old", "Fact:", "It opened in 1998."]


def test_wrapped_prose_lines_are_joined():
    text = "The council voted on\nMonday to close the road after a long debate that ran late into the night and\nended with a vote."
    assert len(texts(text)) == 1


def test_bullets_and_paragraphs():
    text = "Key points:\n- Costs rose 12%\n- Delays grew\n\nA new paragraph starts here."
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["Key points:", "- Costs rose 12%", "- Delays grew", "A new paragraph starts here."]
    assert sentences[-1].paragraph == 1


def test_a_footnote_mark_after_the_full_stop_ends_the_sentence():
    # seen on a real press release: "… being restored.* This latest development follows …"
    texts = [s.text for s in split_sentences("Access is being restored.* This follows a ruling of 2019.")]
    assert texts == ["Access is being restored.*", "This follows a ruling of 2019."]
