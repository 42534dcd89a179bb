"""Which part of a passage is about a claim: shared words and numbers, nothing learned.

Used by the cross-encoder to choose the window of a long passage it reads, and by the pipeline
to point a reader to a passage's key sentence.
"""

from __future__ import annotations

import re

from factdesk.text.sentences import split_sentences


def focus_terms(text: str) -> set[str]:
    """Lower-cased words of three or more characters, and numbers: what a window must share with
    the claim to be the one read.  (Stemmed content words were tried: they chose worse windows.)"""
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 or w.isdigit()}


def key_sentence(claim: str, passage: str) -> str | None:
    """The sentence of ``passage`` sharing the most words and numbers with the claim (the first on
    a tie); None when the passage is a single sentence (then the passage itself is the key)."""
    sentences = [s.text for s in split_sentences(passage)]
    if len(sentences) < 2:
        return None
    wanted = focus_terms(claim)
    best = max(range(len(sentences)), key=lambda i: (len(wanted & focus_terms(sentences[i])), -i))
    return sentences[best]
