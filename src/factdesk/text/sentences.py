"""Sentence segmentation with character offsets, rule-based and fast.

Handles the usual traps of news text: abbreviations (Mr., Dr., U.S., Jan.),
decimal numbers (3.5), initials (J. R. Smith), quotes and brackets after the
full stop, and paragraph breaks (a blank line always ends a sentence).

A single line break also ends a sentence when the line is a heading or a
label ("Claim:" on its own line, a short title without a full stop), or when
the next line starts a bullet or a "Label:" block; hard-wrapped prose lines
are joined as before.

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
_BOUNDARY = re.compile(r"""([.!?…]+)(["'”’)\]*]*)(\s+)""")  # "*": a footnote mark after the full stop
_PARAGRAPH = re.compile(r"\n\s*\n")
_NEWLINE = re.compile(r"[ \t]*\n[ \t]*")
# a line that opens a block: bullet, numbered item or "Label:" (one to three words before a colon)
_BLOCK_START = re.compile(r"""(?:[-*•>#]|\d{1,2}[.)]\s|(?:\*\*|__)?[A-Z][A-Za-z']*(?:[ \t][A-Za-z']+){0,2}(?:\*\*|__)?[ \t]*[:：])""")
_LABEL_ONLY = re.compile(r"""^[\s>*•#_-]*(?:\*\*|__)?[A-Za-z][A-Za-z' ]{0,30}(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*$""")
_TERMINAL = re.compile(r"""[.!?…:;,"'”’)\]]$""")
_HEADLINE_MAX = 60
_JOINERS = {
    "a", "an", "the", "of", "on", "in", "at", "to", "for", "by", "with", "from", "and", "or", "but", "that",
    "as", "is", "was", "are", "were", "be", "has", "have", "had", "will", "said", "says", "than", "its", "their",
    "his", "her", "this", "these", "which", "who", "when", "while", "into", "about", "after", "before",
}  # a line shorter than this, without a full stop, followed by a capital: a heading


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


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a paragraph into runs of lines that belong to one block."""
    chunk = text[start:end]
    if "\n" not in chunk:
        return [(start, end)]
    spans = []
    run_start = 0
    for m in _NEWLINE.finditer(chunk):
        line_start = chunk.rfind("\n", 0, m.start()) + 1
        line = chunk[max(line_start, run_start):m.start()].strip()
        nxt = chunk[m.end():m.end() + 80]
        if _breaks_line(line, nxt):
            spans.append((start + run_start, start + m.start()))
            run_start = m.end()
    spans.append((start + run_start, end))
    return spans


def _breaks_line(line: str, nxt: str) -> bool:
    if not line or not nxt:
        return False
    if _LABEL_ONLY.match(line):
        return True
    if _BLOCK_START.match(nxt):
        return True
    first = nxt[0]
    if _TERMINAL.search(line) or len(line) >= _HEADLINE_MAX:
        return False
    if not (first.isupper() or first.isdigit() or first in "\"“'‘"):
        return False
    words = line.split()
    if words[-1].lower() in _JOINERS:  # "... voted on\nMonday": a wrapped line
        return False
    capitalised = sum(1 for w in words if w[:1].isupper() or w[:1].isdigit())
    return capitalised * 2 >= len(words) or len(words) <= 6


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences; offsets index into ``text`` and exclude surrounding space."""
    sentences: list[Sentence] = []
    para_spans = []
    pos = 0
    for m in _PARAGRAPH.finditer(text):
        para_spans.append((pos, m.start()))
        pos = m.end()
    para_spans.append((pos, len(text)))

    for p_index, (p_start_all, p_end_all) in enumerate(para_spans):
        for p_start, p_end in _line_spans(text, p_start_all, p_end_all):
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
