"""Word lists and light word-level helpers shared by the verifier and the claim matcher.

Stop words, negators, antonym pairs (approved/rejected, rose/fell), a light stemmer, content words, and
numbers read by kind (money, percent, year, count, calendar date).

Example::

    >>> sorted(content_words("The bridge opened in 2019."))
    ['bridge', 'open']
    >>> numbers("Fares rose 12% to $3.50 in 2024.")["percent"]
    {12.0}
"""

from __future__ import annotations

import re
from datetime import date

STOPWORDS = frozenset("""
a an the and or but if of to in on at by for with from as is are was were be been being it its this that
these those there here he she they them his her their we our you your i me my has have had do does did
will would shall should can could may might must than then so such also just very more most about into over
after before under up down out new said says say according while which who whom whose what when where why how
all any some each other both per not no never s
""".split())

NEGATORS = frozenset({"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without", "cannot",
                      "denied", "denies", "deny", "false", "untrue"})

ANTONYMS = [
    ("approved", "rejected"), ("approve", "reject"), ("increase", "decrease"), ("increased", "decreased"),
    ("rose", "fell"), ("rise", "fall"), ("raised", "cut"), ("higher", "lower"), ("more", "fewer"),
    ("above", "below"), ("over", "under"), ("gain", "loss"), ("won", "lost"), ("win", "lose"),
    ("opened", "closed"), ("open", "closed"), ("start", "end"), ("started", "ended"), ("before", "after"),
    ("ahead", "behind"), ("early", "late"), ("earlier", "later"), ("surplus", "deficit"), ("profit", "loss"),
    ("legal", "illegal"), ("allowed", "banned"), ("expanded", "reduced"), ("hired", "fired"),
    ("increase", "cut"), ("passed", "failed"), ("supported", "opposed"), ("support", "oppose"),
    ("accepted", "declined"), ("upheld", "overturned"), ("guilty", "innocent"), ("safe", "unsafe"),
    ("completed", "cancelled"), ("completed", "delayed"), ("under budget", "over budget"),
]
ANTONYM_MAP: dict[str, set[str]] = {}
for _a, _b in ANTONYMS:
    ANTONYM_MAP.setdefault(_a, set()).add(_b)
    ANTONYM_MAP.setdefault(_b, set()).add(_a)

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,]*(?:\.\d+)?")
_NUMBER = re.compile(
    r"(?P<cur>[$€£])?\s?(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?:(?P<scale>billion|million|thousand|bn|m|k)\b)?\s*(?P<pct>%|percent|per cent)?",
    re.I,
)
_SCALES = {"billion": 1e9, "bn": 1e9, "million": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3}
_NUMBERWORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "thirty": 30, "forty": 40,
                 "fifty": 50, "hundred": 100}


def stem(word: str) -> str:
    """A light English stemmer (plural, -ing, -ed, -ation, -ly endings); lower-cases."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    for suffix in ("ations", "ation", "ings", "ing", "edly", "ed", "ies", "es", "s", "ly"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return w




def content_words(text: str) -> set[str]:
    return {stem(w) for w in WORD.findall(text) if w.lower() not in STOPWORDS and not w[0].isdigit()}


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH_RE = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY_MONTH = re.compile(rf"\b(?:{_MONTH_RE}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b|(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_RE.replace('month', 'month2')})", re.I)
_ISO_DATE = re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)\b")


# "As of November 20, 2024, …": the article's date a standalone claim is put at (claims.decontextualize writes
# it; a stage that searches with the claim's words leaves it out, since it names the article, not the claim)
_AS_OF_PREFIX = re.compile(r"^As of [A-Z][a-z]+ \d{1,2}, \d{4}, ")


def as_of_prefix(day: date) -> str:
    """``"As of November 20, 2024, "`` for ``day``."""
    return f"As of {_MONTHS[day.month - 1].capitalize()} {day.day}, {day.year}, "


def without_as_of(text: str) -> str:
    """``text`` without a leading :func:`as_of_prefix`, its next word capitalised; otherwise unchanged."""
    stripped = _AS_OF_PREFIX.sub("", text)
    return stripped[:1].upper() + stripped[1:] if stripped != text else text


def _month_number(name: str) -> int:
    name = name.lower()
    return next(i for i, full in enumerate(_MONTHS, 1) if full.startswith(name[:3]))


def numbers(text: str) -> dict[str, set[float]]:
    """Numbers by kind: money, percent, year, count, and calendar dates (month*100 + day).

    Day-of-month numbers ("November 4", "4 November", "2024-11-04") count as dates, not amounts.
    """
    out: dict[str, set[float]] = {"money": set(), "percent": set(), "year": set(), "count": set(),
                                  "date": set()}

    def take_date(m: re.Match[str]) -> str:
        day = int(m.group("day") or m.group("day2"))
        month = _month_number(m.group("month") or m.group("month2"))
        if 1 <= day <= 31:
            out["date"].add(float(month * 100 + day))
        return " " * len(m.group(0))

    def take_iso(m: re.Match[str]) -> str:
        out["date"].add(float(int(m.group("m")) * 100 + int(m.group("d"))))
        return m.group("y") + " " * (len(m.group(0)) - 4)

    text = _DAY_MONTH.sub(take_date, _ISO_DATE.sub(take_iso, text))
    for m in _NUMBER.finditer(text):
        raw = m.group("num").replace(",", "")
        try:
            value = float(raw)
        except ValueError:
            continue
        scale = (m.group("scale") or "").lower()
        if scale:
            value *= _SCALES[scale]
        if m.group("pct"):
            out["percent"].add(value)
        elif m.group("cur"):
            out["money"].add(value)
        elif 1900 <= value <= 2100 and "." not in raw and not scale:
            out["year"].add(value)
        else:
            out["count"].add(value)
    for w in WORD.findall(text.lower()):
        if w in _NUMBERWORDS:
            out["count"].add(float(_NUMBERWORDS[w]))
    return out


def negation_count(text: str) -> int:
    words = [w.lower() for w in WORD.findall(text)]
    return sum(1 for w in words if w in NEGATORS or w.endswith("n't"))
