"""Sentence segmentation with character offsets, rule-based and fast.

Handles the usual traps of news text: abbreviations (Mr., Dr., U.S., Jan.),
decimal numbers (3.5), initials (J. R. Smith), quotes and brackets after the
full stop, and paragraph breaks (a blank line always ends a sentence).

Example::

    >>> [s.text for s in split_sentences('Dr. Lee said "It works." Prices rose 3.5% in Jan. 2024.')]
    ['Dr. Lee said "It works."', 'Prices rose 3.5% in Jan. 2024.']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "gen", "col", "lt", "sgt", "capt", "gov",
    "sen", "rep", "rev", "hon", "pres", "supt", "insp", "det", "no", "nos", "vs", "etc", "inc", "ltd",
    "co", "corp", "dept", "univ", "approx", "est", "fig", "al", "ave", "blvd", "rd", "e.g", "i.e",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "u.s", "u.k", "u.n", "e.u", "a.m", "p.m", "ph.d", "m.d", "b.a", "m.a",
}

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then space.
_BOUNDARY = re.compile(r"""([.!?…]+)(["'”’)\]]*)(\s+)""")
_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    paragraph: int = 0


def _is_abbreviation(text: str, dot_pos: int) -> bool:
    """True when the '.' at dot_pos ends an abbreviation or an initial, not a sentence."""
    i = dot_pos
    while i > 0 and (text[i - 1].isalpha() or text[i - 1] == "."):
        i -= 1
    word = text[i:dot_pos].lower()
    if not word:
        return False
    if word in ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha() and text[i].isupper():  # an initial: "J. Smith"
        return True
    if "." in word and all(len(part) <= 2 for part in word.split(".")):  # "u.s", "a.m"
        return True
    return False


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences; offsets index into ``text`` and exclude surrounding space."""
    sentences: list[Sentence] = []
    para_spans = []
    pos = 0
    for m in _PARAGRAPH.finditer(text):
        para_spans.append((pos, m.start()))
        pos = m.end()
    para_spans.append((pos, len(text)))

    for p_index, (p_start, p_end) in enumerate(para_spans):
        chunk = text[p_start:p_end]
        start = 0
        for m in _BOUNDARY.finditer(chunk):
            punct = m.group(1)
            after = chunk[m.end():m.end() + 1]
            if punct == "." and _is_abbreviation(chunk, m.start(1)):
                continue
            # the next sentence should begin like one: capital, digit, quote or bracket
            if after and not (after.isupper() or after.isdigit() or after in "\"'“‘([-–—*•"):
                continue
            end = m.end(2)
            _append(sentences, text, p_start + start, p_start + end, p_index)
            start = m.end()
        _append(sentences, text, p_start + start, p_start + len(chunk), p_index)
    return sentences


def _append(out: list[Sentence], text: str, start: int, end: int, paragraph: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(start, end, text[start:end], paragraph))
