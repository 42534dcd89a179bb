"""Hard negatives for claim matching: real claims changed so that they are no longer the same claim.

A matcher that says "already fact-checked" must not say it for the *opposite*
claim: "X did not happen" is not matched by a fact-check of "X happened",
nor "in 2019" by one about 2017.  This module makes such variants of real
fact-checked claims, one change at a time, for calibrating and measuring
the match threshold (``python -m factdesk.match.calibrate``,
``benchmarks/match_quality.py``).

* :func:`make_variants` — code-made variants of one claim, by kind:
  ``negation`` (a "not" after the first auxiliary, or an existing negation
  removed), ``negation_phrase`` ("It is not true that …"), ``number`` (a
  count, amount or percentage changed), ``year``, ``date`` (another month),
  ``place`` and ``actor`` (a known place or public figure swapped for another
  of the same kind) and ``antonym`` (a word swapped for its opposite).  The
  word lists here are this module's own and deliberately not the matcher's
  (:data:`factdesk.match.matcher.ANTONYMS`), so the measurement is not circular.
* :func:`apply_edits` / :func:`load_variants` — hand-written variants kept
  as *edits* (character offsets into the source claim plus our own
  replacement text), so no third-party text is stored with them.

Every variant names its source record; a variant "passes" when the matcher
returns that source record as a match.

    >>> [v.text for v in make_variants("c1", "The mayor said crime rose 12% in 2019.") if v.kind == "year"]
    ['The mayor said crime rose 12% in 2017.']
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from factdesk.errors import InputError
from factdesk.jsonlines import iter_jsonl

KINDS = ("negation", "negation_phrase", "number", "year", "date", "place", "actor", "antonym")


@dataclass(frozen=True)
class Variant:
    """A changed claim: ``source`` is the id of the record it came from; ``same_claim`` says whether it
    should still match that record (False for hard negatives, True for paraphrases)."""

    source: str
    kind: str
    text: str
    same_claim: bool = False
    origin: str = "generated"  # or "hand"


_AUX = re.compile(r"\b(is|are|was|were|has|have|had|will|can|could|would|should|does|did|do|may|must)\b"
                  r"(?!\s+not\b|['’])", re.I)
_NEGATION = re.compile(r"\b(?:(is|are|was|were|has|have|had|will|can|could|would|should|does|did|do)\s+not"
                       r"|(is|are|was|were|has|have|had|does|did|do|could|would|should)n['’]t)\b", re.I)
_NEGATED_CONTRACTIONS = {"can't": "can", "can’t": "can", "cannot": "can", "won't": "will", "won’t": "will"}
_NEVER = re.compile(r"\bnever\s+", re.I)
_YEAR = re.compile(r"(?<![\d$.,])(19[0-9]{2}|20[0-9]{2})(?![\d%])")
_NUMBER = re.compile(r"(?<![\w.,-])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\d,]*\.\d)(\s*%|\s*percent\b)?")
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b")
_NUMBER_WORDS = {"two": "five", "three": "seven", "four": "nine", "five": "two", "six": "eleven", "seven": "three",
                 "eight": "fourteen", "nine": "four", "ten": "twenty", "twelve": "thirty", "hundred": "thousand",
                 "thousand": "million", "million": "billion", "billion": "million", "dozens": "hundreds",
                 "hundreds": "dozens", "thousands": "hundreds", "millions": "thousands"}

# groups of interchangeable places and people (each swapped only within its own group)
PLACES = [
    ["Alabama", "Arizona", "California", "Colorado", "Florida", "Georgia", "Illinois", "Iowa", "Kentucky",
     "Louisiana", "Michigan", "Minnesota", "Missouri", "Nevada", "New Jersey", "New York", "North Carolina",
     "Ohio", "Oregon", "Pennsylvania", "Tennessee", "Texas", "Utah", "Virginia", "Washington", "Wisconsin"],
    ["Australia", "Brazil", "Canada", "China", "Egypt", "France", "Germany", "India", "Iran", "Iraq", "Ireland",
     "Israel", "Italy", "Japan", "Kenya", "Mexico", "Nigeria", "Pakistan", "Russia", "Saudi Arabia", "Spain",
     "Sweden", "Syria", "Turkey", "Ukraine", "Venezuela", "the United Kingdom", "the UK", "Britain"],
    ["Atlanta", "Boston", "Chicago", "Dallas", "Denver", "Detroit", "Houston", "London", "Los Angeles",
     "Miami", "Paris", "Philadelphia", "Phoenix", "San Francisco", "Seattle", "Berlin", "Rome", "Tokyo",
     "Toronto", "Sydney", "Baltimore", "Orlando", "Portland"],
]
ACTORS = [
    ["Barack Obama", "Donald Trump", "Joe Biden", "Hillary Clinton", "Bernie Sanders", "George W. Bush",
     "Bill Clinton", "Nancy Pelosi", "Mitch McConnell", "Kamala Harris", "Mike Pence", "Ted Cruz",
     "Marco Rubio", "Elizabeth Warren", "Alexandria Ocasio-Cortez", "Ilhan Omar", "Sarah Palin",
     "Michelle Obama", "Melania Trump", "Ivanka Trump", "Paul Ryan", "John McCain", "Chuck Schumer"],
    ["Obama", "Trump", "Biden", "Clinton", "Sanders", "Bush", "Pelosi", "McConnell", "Harris", "Pence", "Cruz",
     "Rubio", "Warren", "Palin", "Ryan", "McCain", "Schumer", "Putin", "Merkel", "Macron"],
    ["Democrats", "Republicans"], ["Democratic", "Republican"], ["Facebook", "Twitter", "Google", "Amazon",
                                                                  "Apple", "Microsoft", "Walmart", "Target"],
]
# this module's own opposites (kept apart from the matcher's list on purpose)
OPPOSITES = [("increased", "decreased"), ("increase", "decrease"), ("rose", "dropped"), ("higher", "lower"),
             ("more", "less"), ("won", "lost"), ("approved", "vetoed"), ("legal", "illegal"),
             ("banned", "allowed"), ("ban", "allow"), ("supports", "opposes"), ("supported", "opposed"),
             ("largest", "smallest"), ("highest", "lowest"), ("safe", "dangerous"), ("alive", "dead"),
             ("dead", "alive"), ("arrested", "released"), ("before", "after"), ("always", "rarely"),
             ("first", "last"), ("cheaper", "costlier"), ("positive", "negative"), ("guilty", "acquitted"),
             ("hired", "fired"), ("open", "closed"), ("cure", "cause"), ("prevents", "causes"),
             ("male", "female"), ("men", "women"), ("boy", "girl"), ("real", "fake"), ("all", "no"),
             ("most", "few"), ("added", "removed"), ("joined", "left"), ("praised", "criticized")]


def _swap_word(text: str, pairs: Iterable[tuple[str, str]]) -> str | None:
    for a, b in pairs:
        for x, y in ((a, b), (b, a)):
            m = re.search(rf"(?<![\w'’-]){re.escape(x)}(?![\w'’-])", text, re.I)
            if m:
                rep = y.capitalize() if m.group(0)[0].isupper() else y
                return text[:m.start()] + rep + text[m.end():]
    return None


def _swap_group(text: str, groups: list[list[str]], rng: random.Random) -> str | None:
    hits = []
    for group in groups:
        for name in sorted(group, key=len, reverse=True):
            m = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)
            if m and not any(s <= m.start() < e for _, s, e in hits):
                hits.append((group, m.start(), m.end()))
    if not hits:
        return None
    group, start, end = hits[0]
    old = text[start:end]
    choices = [n for n in group if n != old and n not in text and old not in n and n not in old]
    if not choices:
        return None
    return text[:start] + rng.choice(choices) + text[end:]


def negate(text: str) -> str | None:
    """The claim with its polarity flipped by one word (None when no auxiliary or negation is found)."""
    m = re.search(r"\b(?:can['’]t|cannot|won['’]t)(?!\w)", text, re.I)
    if m:
        rep = _NEGATED_CONTRACTIONS[m.group(0).lower()]
        return text[:m.start()] + (rep.capitalize() if m.group(0)[0].isupper() else rep) + text[m.end():]
    m = _NEGATION.search(text)
    if m:
        aux = m.group(1) or m.group(2)
        return text[:m.start()] + aux + text[m.end():]
    m = _NEVER.search(text)
    if m:
        return text[:m.start()] + text[m.end():]
    m = _AUX.search(text)
    if m:
        return text[:m.end()] + " not" + text[m.end():]
    return None


def _change_number(text: str, rng: random.Random) -> str | None:
    for m in _NUMBER.finditer(text):
        raw = m.group(1)
        if _YEAR.fullmatch(raw):
            continue
        value = float(raw.replace(",", ""))
        if m.group(2):  # a percentage
            new = value + rng.choice([-15, -10, 10, 20]) if value > 20 else value * rng.choice([2, 3])
        elif value < 10:
            new = value + rng.choice([2, 3, 5])
        else:
            new = value * rng.choice([2, 3, 0.5])
        shown = f"{new:,.0f}" if "," in raw else (f"{new:g}" if "." in raw else f"{int(round(new))}")
        if shown == raw:
            continue
        return text[:m.start(1)] + shown + text[m.end(1):]
    for word, other in _NUMBER_WORDS.items():
        m = re.search(rf"\b{word}\b", text, re.I)
        if m:
            rep = other.capitalize() if m.group(0)[0].isupper() else other
            return text[:m.start()] + rep + text[m.end():]
    return None


def _change_year(text: str, rng: random.Random) -> str | None:
    m = _YEAR.search(text)
    if not m:
        return None
    year = int(m.group(1))
    return text[:m.start(1)] + str(year + rng.choice([-3, -2, 2, 4])) + text[m.end(1):]


def _change_month(text: str, rng: random.Random) -> str | None:
    m = _MONTH.search(text)
    if not m or m.group(1) == "May" and not re.search(r"\bMay\s+\d", text):
        return None  # "May" alone is more often the verb
    other = rng.choice([x for x in _MONTHS if x != m.group(1)])
    return text[:m.start()] + other + text[m.end():]


_LOWER_OPENERS = frozenset("a an the this that these those there it some most many several no one two three "
                           "people scientists photographs photograph video videos image images he she they we you during in on after "
                           "before when while if according".split())


def _not_true_that(text: str) -> str | None:
    body = text.strip()
    if not body or re.match(r"(?i)it is (?:not )?(?:true|false)", body):
        return None
    first = body.split(maxsplit=1)[0]
    if first.lower() in _LOWER_OPENERS:
        body = body[:1].lower() + body[1:]
    if not body.endswith((".", "!", "?", '"', "”")):
        body += "."
    return f"It is not true that {body}"


def make_variants(source: str, text: str, *, seed: int = 0, kinds: Iterable[str] = KINDS) -> list[Variant]:
    """Every kind of hard negative this claim allows, one each (deterministic for a given seed and source)."""
    rng = random.Random(f"{seed}:{source}")
    out: list[Variant] = []
    for kind in kinds:
        new: str | None
        if kind == "negation":
            new = negate(text)
        elif kind == "negation_phrase":
            new = _not_true_that(text)
        elif kind == "number":
            new = _change_number(text, rng)
        elif kind == "year":
            new = _change_year(text, rng)
        elif kind == "date":
            new = _change_month(text, rng)
        elif kind == "place":
            new = _swap_group(text, PLACES, rng)
        elif kind == "actor":
            new = _swap_group(text, ACTORS, rng)
        elif kind == "antonym":
            new = _swap_word(text, OPPOSITES)
        else:
            raise ValueError(f"unknown variant kind {kind!r}")
        if new and new != text:
            out.append(Variant(source, kind, new))
    return out


def apply_edits(text: str, edits: Iterable[Iterable[object]]) -> str:
    """``text`` with each ``[start, end, replacement]`` applied (offsets into the original text)."""
    parts = sorted(((int(s), int(e), str(r)) for s, e, r in edits), reverse=True)  # type: ignore[misc]
    last = len(text) + 1
    for start, end, rep in parts:
        if not 0 <= start <= end <= len(text) or end > last:
            raise InputError(f"edit [{start}, {end}] does not fit a text of {len(text)} characters "
                             "(or overlaps another edit)")
        text = text[:start] + rep + text[end:]
        last = start
    return text


def load_variants(path: str | Path, claims: Mapping[str, str]) -> list[Variant]:
    """Hand-written variants from a JSONL file of ``{"source", "kind", "edits", "same_claim"}`` objects.

    ``claims`` maps a record id to its text, the text the offsets point into.  A line whose source is
    not in ``claims`` is an error (the offsets would point into nothing).
    """
    out = []
    p = Path(path)
    for n, obj in iter_jsonl(p):
        src = obj.get("source")
        if src not in claims:
            raise InputError(f"{p}: line {n}: unknown source record {src!r}")
        try:
            text = apply_edits(claims[src], obj.get("edits") or [])
        except InputError as exc:
            raise InputError(f"{p}: line {n}: {exc}") from exc
        out.append(Variant(src, str(obj.get("kind") or "hand"), text, bool(obj.get("same_claim", False)), "hand"))
    return out
