"""Quotation spans and attributions inside one sentence: shared by claims (who said it) and context (quote provenance).

:func:`quoted_part` keeps the words a claim attributes to someone: the text inside its quotation marks
when there is any, else the sentence without its attribution ("…, said X", "X says …", "according to X, …").

Example::

    >>> quoted_part('"We cut crime by 20%," said Mayor Lena Ortiz.')
    'We cut crime by 20%'
"""

from __future__ import annotations

import re

# a number (commas and decimals inside), or a word with inner apostrophes/hyphens
TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['\u2019][^\W\d_]+)*", re.UNICODE)
_QUOTED = re.compile(r"[\"\u201c\u201d\u201e\u00ab\u00bb](.+?)[\"\u201c\u201d\u201e\u00ab\u00bb]", re.S)
_EDGE = re.compile(r"^[\s\"'\u2018\u2019\u201c\u201d\u00ab\u00bb.,;:!?\u2026-]+|[\s\"'\u2018\u2019\u201c\u201d\u00ab\u00bb.,;:!?\u2026-]+$")

_VERBS = (r"said|says|say|told|tells|added|adds|stated|states|claimed|claims|argued|argues|insisted|insists|"
          r"alleged|alleges|asserted|asserts|wrote|writes|posted|tweeted|announced|announces|explained|explains|"
          r"noted|notes|warned|warns|declared|declares|maintained|maintains|contended|contends|suggested|suggests")
# ", says the column by X." / ", Ortiz said." / ", according to the ministry."
# (a date with its year: "…, the ministry announced on May 10, 2022."; a speaker's name and its appositive:
# "…, according to the Rhodium Group, a research firm that …", "…, said David Marcus, an energy consultant.")
_TRAIL = re.compile(r"[,;]\s*(?:[^,;]{0,60}?\s)?(?:(?:" + _VERBS + r")\b|according to\b)"
                    r"(?P<after>[^,;]{0,100}?(?:,\s*\d{4})?|\s+(?:the\s+)?[A-Z][\w.\u2019'&-]*(?:\s+(?:of|for|and|the|[A-Z][\w.\u2019'&-]*)){0,6}"
                    r",\s+(?!(?:and|but|or|so|yet|while|as|then)\b|\w+(?:ing|ed)\b)[^,;\"\u201c\u201d]{0,120})[.!?]?\s*$", re.S)
_LEAD_ACCORDING = re.compile(r"^\s*according to [^,]{1,80},\s*", re.I)
# "X said …", "X, the agency that runs the grid, said …" (one appositive between commas)
_LEAD_SPEAKER = re.compile(r"^(?P<head>[^,.;:!?\"\u201c]{1,80}?(?:,\s[^,.;:!?\"\u201c]{1,120}?,)?)\s+(?:\w+ly\s+)?"
                           r"(?P<verb>" + _VERBS + r")\b(?:\s+(?:on|in|at|during|last|this|earlier)\s[^;:\"\u201c]{1,60}?"
                           r"(?=\s+that\b))?(?:\s+(?:that|how)\b(?![\u2019']))?\s*[:,]?\s*", re.I)
# what follows "told": its listener ("told the jury at Bristol Crown Court", "told reporters") up to the clause
_LISTENER = re.compile(r"^(?:[^,.;:!?\"\u201c]{1,60}?)\s+(?:(?:that|how)\s+|(?=(?:he|she|it|they|we|there)\s))", re.I)
# an attribution inside the sentence: "…, authorities said, and …", "Prices, the ministry said, rose …"
_INNER = re.compile(r",\s+(?:(?:[\w.\u2019'-]+\s+){0,4}?(?:" + _VERBS + r")|(?:" + _VERBS + r")(?:\s+[\w.\u2019'-]+){1,4}),(?=\s)",
                    re.I)
_QUOTE_MARK = re.compile(r"[\"\u201c\u201d\u201e\u00ab\u00bb]")
# after a verb of saying, a clause ("…, said it acted after …"), not a speaker ("…, said the ministry")
_CLAUSE_AFTER_VERB = re.compile(r"^\s+(?:that|it|he|she|they|we|there)\s", re.I)


# British style: ‘…,’ she said. An opening ‘ at the start of a line or after a space, colon or bracket, and the
# first ’ after it that follows , . ! ? or … and ends a word ("levels.’", "Europe,’ she said"): not an apostrophe
# ("That’s") nor scare quotes ("this ‘punches’ a small area")
_SINGLE_QUOTATION = re.compile(r"(?:(?<=^)|(?<=[\s:(\[]))\u2018([^\u2018]*?[,.!?\u2026])\u2019(?![\w])", re.M)


def double_quoted(text: str) -> str:
    """``text`` with British single quotation marks written as double ones, character for character (offsets
    stay valid), so the attribution rules read ‘…,’ she said as “…,” she said.

    >>> double_quoted("\u2018It\u2019s late,\u2019 she said of the \u2018sting jet\u2019.")
    '\u201cIt\u2019s late,\u201d she said of the \u2018sting jet\u2019.'
    """
    if "\u2018" not in text:
        return text
    return _SINGLE_QUOTATION.sub(lambda m: "\u201c" + m.group(1) + "\u201d", text)


def attribution_parts(text: str, speaker: str | None = None) -> tuple[str, str | None, bool]:
    """The attributed words, the phrase naming who says them when the sentence opens with one ("X, the grid
    operator, said it …" -> "X, the grid operator"), and whether the words are a quotation's.

    >>> attribution_parts('The agency, which runs the grid, said it cut power on Friday.')
    ('it cut power on Friday', 'The agency, which runs the grid', False)
    """
    t = double_quoted(text.strip())
    segments = [m.group(1).strip() for m in _QUOTED.finditer(t)]
    segments = [s for s in segments if len(TOKEN.findall(s)) >= 3]
    if segments:
        return _EDGE.sub("", " ".join(segments)), None, True
    s = _LEAD_ACCORDING.sub("", t)
    head = None
    m = _LEAD_SPEAKER.match(s)
    if m and (_names_speaker(m.group("head"), speaker) or len(m.group("head").split(",")[0].split()) <= 6
              and m.group("head")[:1].isupper() and len(TOKEN.findall(s[m.end():])) >= 4):
        head, s = m.group("head").rstrip(","), s[m.end():]
        if m.group("verb").lower() in ("told", "tells"):
            listener = _LISTENER.match(s)
            if listener:
                s = s[listener.end():]
    cut = _TRAIL.search(s)
    if cut and len(TOKEN.findall(s[: cut.start()])) >= 3 and not _CLAUSE_AFTER_VERB.match(cut.group("after")):
        s = s[: cut.start()]
    inner = _INNER.search(s)
    after = s[inner.end():] if inner else ""
    if inner and TOKEN.findall(s[:inner.start()]) and len(TOKEN.findall(after)) >= 2 and not _QUOTE_MARK.search(after):
        s = s[:inner.start()] + after
    return _EDGE.sub("", s), head, False


def quoted_part(text: str, speaker: str | None = None) -> str:
    """The words a claim attributes to someone: inside its quotation marks, else without the attribution.

    >>> quoted_part('"We cut crime by 20%," said Mayor Lena Ortiz.')
    'We cut crime by 20%'
    >>> quoted_part('Crime fell every year, says the column by Jo Lee.')
    'Crime fell every year'
    """
    return attribution_parts(text, speaker)[0]


def _names_speaker(head: str, speaker: str | None) -> bool:
    if not speaker:
        return False
    names = {w.lower() for w in speaker.split() if len(w) > 2}
    return bool(names & {w.lower().strip(".,") for w in head.split()})
