"""Explicit rebuttal structures: a claim the article sets up, and its answer.

Two families:

* **Labelled blocks**: "Claim: … / Fact: …" (also "CLAIM:", "Myth:", "The claim:",
  "False claim:", "Rumour:" on the claim side; "Fact:", "The facts:", "Reality:",
  "Verdict:", "The truth:" on the answer side), with the label inline or on its
  own line.  The claim block (up to the next label, within its paragraph) is one
  ``rebutted`` span, label and wrapping quotes excluded; each sentence of the
  answer block is a ``rebuttal`` span (the first one ``primary``; the caller keeps
  the others only when they are check-worthy).  A bare rating after "Verdict:"
  ("False.") is skipped.
* **Inline**: "X says A, but B", "X claimed that A. However, B", "Contrary to
  X's claim that A, B": A is ``rebutted`` (attributed to X), B the ``rebuttal``.

The rebutted piece's author ("… says the article penned by Jane Doe", "a column
by Jane Doe", "Doe's op-ed") is found by ``rebutted_author()`` and used for
labelled claims that name no speaker of their own.

Example::

    >>> from factdesk.text.sentences import split_sentences
    >>> text = "Claim: The dam leaks.\\nFact: Inspections in 2023 found no leak."
    >>> [(s.role, text[s.start:s.end]) for s in find_rebuttals(text, split_sentences(text))]
    [('rebutted', 'The dam leaks.'), ('rebuttal', 'Inspections in 2023 found no leak.')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from factdesk.claims.attribution import CLAIM_VERBS, attribute
from factdesk.text.entities import Mention, clean_speaker, find_mentions
from factdesk.text.sentences import Sentence

_CLAIM_LABELS = r"(?:the\s+)?(?:false\s+|viral\s+|misleading\s+|fake\s+|original\s+)?claims?|(?:the\s+)?myths?|rumou?rs?|what\s+was\s+claimed"
_FACT_LABELS = r"(?:the\s+)?facts?|(?:the\s+)?reality|(?:our\s+|the\s+)?verdict|(?:the\s+)?truth|fact[\s-]?check|(?:our\s+)?ruling|(?:the\s+)?evidence"
_LABEL = re.compile(
    rf"""^[\s>*•#_\-–—]*(?:\*\*|__)?(?:(?P<claim>{_CLAIM_LABELS})|(?P<fact>{_FACT_LABELS}))(?:\s*\#?\d{{1,2}})?(?:\*\*|__)?\s*[:：](?:\*\*|__)?[ \t]*\n?[ \t]*""",
    re.I,
)
_RATING = re.compile(
    r"""^\W*(?:(?:mostly|partly|partially|half|largely)[\s-]+)?(?:false|true|misleading|incorrect|correct|inaccurate|accurate|unproven|unsupported|fake|wrong|missing\s+context|lacks\s+context|needs\s+context|satire|altered|no\s+evidence|mixed|fabricated|exaggerated|pants\s+on\s+fire)\W*$""",
    re.I,
)
_OPEN_QUOTES = "\"“‘'«"
_CLOSE_QUOTES = "\"”’'»"
_CONNECTIVE = re.compile(
    r"""^(?:However|But|In\s+fact|In\s+reality|Actually|Yet|That\s+is\s+(?:not\s+true|false|incorrect|wrong|untrue)|"""
    r"""This\s+is\s+(?:not\s+true|false|incorrect|wrong|untrue)|That\s+claim\s+is\s+(?:false|wrong|incorrect|untrue))\b[,:;]?\s*""",
    re.I,
)
_STRONG_REBUTTAL_START = re.compile(r"^(?:However|In\s+fact|In\s+reality|Actually|That\s+is|This\s+is|That\s+claim)\b", re.I)
_CONTRADICTION = re.compile(
    r"\b(?:records?|data|figures|statistics|documents|filings|audits?|reports?|studies|study|census|evidence)\s+(?:show|shows|showed|indicate|indicates|suggest|reveal|reveals|put)\b|"
    r"\b(?:in\s+fact|actually|in\s+reality|not|n't|never|no|false|wrong|incorrect|untrue|misleading|contrary|only|rather|according\s+to)\b|\d|"
    # a factual counterpoint: spelled-out quantities, or what has already/still happened
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twice|dozens?|hundreds?|thousands?|millions?|billions?|already|still|yet)\b",
    re.I,
)
_CONTRARY = re.compile(
    r"""^(?P<lead>(?:Contrary\s+to|Despite|Notwithstanding|Unlike)\s+)(?:(?P<who>[^,]{1,80}?)['’]s?\s+(?:repeated\s+|recent\s+|earlier\s+)?(?:claims?|assertions?|suggestions?|insistence|statements?|arguments?|contention)|(?:(?:the\s+)?(?:claims?|assertions?|statements?)\s+(?:by|from|of)\s+(?P<who2>[^,]{1,80}?)))\s+that\s+(?P<claim>[^,]+),\s+(?P<reb>.+)$""",
    re.S,
)
_BUT = re.compile(r"(?:,|;)?\s+but\s+", re.I)
_AUTHOR_PATTERNS = [
    re.compile(r"\b(?:article|column|op-?ed|post|piece|essay|blog(?:\s+post)?|video|story|letter|newsletter|thread|editorial|book|commentary|report)\s+(?:\w+\s+){0,3}?(?:penned|written|authored|published|posted|shared|produced)\s+by\s+(?P<name>[A-Z][\w.'’\-]*(?:\s+(?:de|van|von|da)?\s*[A-Z][\w'’\-]+){0,3})"),
    re.compile(r"\b(?:article|column|op-?ed|post|piece|essay|blog(?:\s+post)?|video|story|letter|newsletter|thread|editorial|commentary)\s+by\s+(?P<name>[A-Z][\w.'’\-]*(?:\s+[A-Z][\w'’\-]+){0,3})"),
    re.compile(r"\b(?:penned|written|authored)\s+by\s+(?P<name>[A-Z][\w.'’\-]*(?:\s+[A-Z][\w'’\-]+){0,3})"),
    re.compile(r"\b(?P<name>[A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+){0,3})['’]s\s+(?:\w+\s+)?(?:article|column|op-?ed|post|piece|essay|blog|video|newsletter|editorial)\b"),
]


@dataclass(frozen=True)
class RebuttalSpan:
    role: str  # "rebutted" | "rebuttal"
    start: int  # document offsets, label and wrapping quotes excluded
    end: int
    sentence_index: int
    group: int  # spans of one claim/answer pair share the group
    primary: bool = True  # False: a further sentence of an answer block, kept only when check-worthy
    speaker: str | None = None  # for rebutted spans, who made the claim when the text names them
    pattern: str = "labelled"  # labelled | but | however | contrary


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Strip surrounding space, markdown emphasis and one pair of wrapping quotes."""
    while start < end and (text[start].isspace() or text[start] in "*_"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in "*_"):
        end -= 1
    if end - start >= 3 and text[start] in _OPEN_QUOTES:
        close = end - 1
        if text[close] in ".!?," and text[close - 1] in _CLOSE_QUOTES:  # "The dam leaks".
            close -= 1
        inner = text[start + 1:close]
        if text[close] in _CLOSE_QUOTES and close > start + 1 and not any(q in inner for q in "\"“”«»"):
            start, end = start + 1, close
            while end > start and text[end - 1].isspace():
                end -= 1
    return start, end


def rebutted_author(text: str, mentions: list[Mention] | None = None) -> str | None:
    """The author of the piece an article rebuts, when it names one ("a column by Jane Doe")."""
    found: list[str] = []
    for pattern in _AUTHOR_PATTERNS:
        for m in pattern.finditer(text):
            name = m.group("name").strip()
            words = [w for w in name.split() if w[:1].isupper()]
            if not words or words[0].lower() in {"the", "a", "an", "this", "that", "our", "its"}:
                continue
            found.append(" ".join(words).rstrip(".,"))
    if not found:
        return None
    # prefer a full name; expand a surname ("Doe's op-ed") to the full name used elsewhere
    best = max(found, key=lambda n: (len(n.split()) > 1, found.count(n)))
    if len(best.split()) == 1:
        mentions = mentions if mentions is not None else find_mentions(text)
        for m in mentions:
            if m.kind == "person" and m.name.split()[-1] == best:
                return m.name
    return best


def _labelled(text: str, sentences: list[Sentence]) -> list[RebuttalSpan]:
    labels = [(_LABEL.match(s.text), s) for s in sentences]
    last_claim_label = max((i for i, (m, _) in enumerate(labels) if m and m.group("claim")), default=-1)
    spans: list[RebuttalSpan] = []
    group = -1
    state = None  # "claim" | "fact" | "await_fact"
    block_para: int | None = None
    claim_span: list[int] | None = None  # [start, end, sentence_index]
    have_claim = False
    fact_primary_done = False

    def flush_claim() -> None:
        nonlocal claim_span
        if claim_span is not None:
            start, end = _trim(text, claim_span[0], claim_span[1])
            if end > start:
                spans.append(RebuttalSpan("rebutted", start, end, claim_span[2], group))
        claim_span = None

    for idx, (m, s) in enumerate(labels):
        content_start = s.start
        if m:
            if m.group("claim"):
                flush_claim()
                group += 1
                state, block_para, have_claim, fact_primary_done = "claim", None, True, False
            else:
                flush_claim()
                if not have_claim:
                    state = None
                    continue
                state, block_para, fact_primary_done = "fact", None, False
            content_start = s.start + m.end()
            if not text[content_start:s.end].strip():
                continue  # the label stands alone; its content follows
        elif state is None:
            continue
        elif block_para is not None and s.paragraph != block_para:
            if state == "claim":
                flush_claim()
                state = "await_fact"
                continue
            if state == "fact" and not (idx < last_claim_label):
                state = None
                continue
        if state == "await_fact":
            continue
        if block_para is None:
            block_para = s.paragraph
        if state == "claim":
            if claim_span is None:
                claim_span = [content_start, s.end, idx]
            else:
                claim_span[1] = s.end
        elif state == "fact":
            start, end = _trim(text, content_start, s.end)
            if end <= start or _RATING.match(text[start:end]):
                continue
            spans.append(RebuttalSpan("rebuttal", start, end, idx, group, primary=not fact_primary_done))
            fact_primary_done = True
    flush_claim()
    return spans


def _strip_connective(text: str, start: int, end: int) -> int:
    m = _CONNECTIVE.match(text[start:end])
    if m and m.end() < end - start:
        return start + m.end()
    return start


def _inline(text: str, sentences: list[Sentence], used: set[int], mentions: list[Mention], first_group: int) -> list[RebuttalSpan]:
    spans: list[RebuttalSpan] = []
    group = first_group
    for idx, s in enumerate(sentences):
        if idx in used:
            continue
        # Contrary to X's claim that A, B.
        m = _CONTRARY.match(s.text)
        if m:
            who = m.group("who") or m.group("who2")
            speaker = clean_speaker(who, mentions, s.start + (m.start("who") if m.group("who") else m.start("who2")))
            a0, a1 = _trim(text, s.start + m.start("claim"), s.start + m.end("claim"))
            b0, b1 = _trim(text, s.start + m.start("reb"), s.end)
            spans += [RebuttalSpan("rebutted", a0, a1, idx, group, speaker=speaker, pattern="contrary"),
                      RebuttalSpan("rebuttal", b0, b1, idx, group, pattern="contrary")]
            used.add(idx)
            group += 1
            continue
        att = attribute(s.text, s.start, text, mentions)
        if att is None or att.pattern == "according_to" or att.content_end <= att.content_start:
            continue
        speaker = att.speaker
        strong_verb = att.verb in CLAIM_VERBS
        content = text[att.content_start:att.content_end]
        # X says A, but B.
        but = _BUT.search(content)
        if but and att.pattern in {"subject_first"}:
            rebuttal_text = content[but.end():]
            if len(rebuttal_text.split()) >= 3 and not re.match(r"(?:he|she|they|i|we)\b", rebuttal_text, re.I) and (
                _CONTRADICTION.search(rebuttal_text)
            ):
                a0, a1 = _trim(text, att.content_start, att.content_start + but.start())
                b0, b1 = _trim(text, att.content_start + but.end(), s.end)
                if a1 > a0 and b1 > b0:
                    spans += [RebuttalSpan("rebutted", a0, a1, idx, group, speaker=speaker, pattern="but"),
                              RebuttalSpan("rebuttal", b0, b1, idx, group, pattern="but")]
                    used.add(idx)
                    group += 1
                    continue
        # X claimed that A. However, B.
        if idx + 1 < len(sentences) and idx + 1 not in used and sentences[idx + 1].paragraph - s.paragraph <= 1:
            nxt = sentences[idx + 1]
            if _CONNECTIVE.match(nxt.text) and (strong_verb or _STRONG_REBUTTAL_START.match(nxt.text) or _CONTRADICTION.search(nxt.text)):
                if not re.match(r"(?:But|Yet)\s+(?:he|she|they|it)\b", nxt.text):
                    a0, a1 = _trim(text, att.content_start, att.content_end)
                    b0 = _strip_connective(text, nxt.start, nxt.end)
                    b0, b1 = _trim(text, b0, nxt.end)
                    if a1 > a0 and b1 > b0:
                        spans += [RebuttalSpan("rebutted", a0, a1, idx, group, speaker=speaker, pattern="however"),
                                  RebuttalSpan("rebuttal", b0, b1, idx + 1, group, pattern="however")]
                        used.update({idx, idx + 1})
                        group += 1
    return spans


def find_rebuttals(text: str, sentences: list[Sentence], mentions: list[Mention] | None = None) -> list[RebuttalSpan]:
    """All rebutted/rebuttal spans in ``text``, in document order, linked by ``group``."""
    if mentions is None:
        mentions = find_mentions(text)
    labelled = _labelled(text, sentences)
    # the rebutted claims of a labelled article: their own speaker if named, else the rebutted piece's author
    if labelled:
        author = rebutted_author(text, mentions)
        fixed = []
        for span in labelled:
            if span.role == "rebutted":
                att = attribute(text[span.start:span.end], span.start, text, mentions)
                speaker = att.speaker if att and att.speaker and att.speaker[:1].isupper() else author
                span = RebuttalSpan(span.role, span.start, span.end, span.sentence_index, span.group,
                                    span.primary, speaker, span.pattern)
            fixed.append(span)
        labelled = fixed
    used = {sp.sentence_index for sp in labelled}
    # sentences inside a multi-sentence claim block are used too
    for sp in labelled:
        for i, s in enumerate(sentences):
            if s.start < sp.end and s.end > sp.start:
                used.add(i)
    first_group = max((sp.group for sp in labelled), default=-1) + 1
    inline = _inline(text, sentences, used, mentions, first_group)
    return sorted(labelled + inline, key=lambda sp: (sp.start, sp.end))
