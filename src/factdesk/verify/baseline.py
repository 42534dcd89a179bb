"""A transparent baseline verifier: word coverage plus mismatch rules.

For each (claim, passage) pair it measures how much of the claim's content
the passage covers, then looks for signs that the passage says something
*different* about the same thing: other numbers or years of the same kind,
negation on one side only, an antonym (approved/rejected, rose/fell).

* covered and no mismatch → supports
* covered and a mismatch  → refutes
* not covered             → neutral

Every judgement carries its reasons, so a reviewer sees why.  It is a
baseline: it knows no paraphrase beyond light stemming and no world
knowledge.  The trained verifier replaces it as the default; it stays
registered as ``baseline`` for comparison.

Example::

    >>> v = BaselineVerifier()
    >>> v.stances([("The bridge opened in 2019.", "The bridge opened in 2021 after delays.")])[0].stance.value
    'refutes'
"""

from __future__ import annotations

import re

from factdesk.verify.base import StanceResult

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
_ANTONYM_MAP: dict[str, set[str]] = {}
for _a, _b in ANTONYMS:
    _ANTONYM_MAP.setdefault(_a, set()).add(_b)
    _ANTONYM_MAP.setdefault(_b, set()).add(_a)

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,]*(?:\.\d+)?")
_NUMBER = re.compile(
    r"(?P<cur>[$€£])?\s?(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?:(?P<scale>billion|million|thousand|bn|m|k)\b)?\s*(?P<pct>%|percent|per cent)?",
    re.I,
)
_SCALES = {"billion": 1e9, "bn": 1e9, "million": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
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


_stem = stem


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text) if w.lower() not in STOPWORDS and not w[0].isdigit()}


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH_RE = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY_MONTH = re.compile(rf"\b(?:{_MONTH_RE}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b|(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_RE.replace('month', 'month2')})", re.I)
_ISO_DATE = re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)\b")


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
    for w in _WORD.findall(text.lower()):
        if w in _NUMBER_WORDS:
            out["count"].add(float(_NUMBER_WORDS[w]))
    return out


def _negations(text: str) -> int:
    words = [w.lower() for w in _WORD.findall(text)]
    return sum(1 for w in words if w in NEGATORS or w.endswith("n't"))


class BaselineVerifier:
    """Coverage + mismatch rules. Registered as ``baseline``."""

    name = "baseline"

    def __init__(self, relevance_floor: float = 0.3) -> None:
        self.relevance_floor = relevance_floor

    def warm_up(self) -> None:  # nothing to load
        return None

    def stances(self, pairs: list[tuple[str, str]]) -> list[StanceResult]:
        return [self._judge(claim, passage) for claim, passage in pairs]

    def _judge(self, claim: str, passage: str) -> StanceResult:
        cw, pw = content_words(claim), content_words(passage)
        if not cw:
            return StanceResult({"supports": 0.0, "refutes": 0.0, "neutral": 1.0}, ["claim has no content words"])
        coverage = len(cw & pw) / len(cw)
        reasons = [f"passage covers {coverage:.0%} of the claim's content words"]
        relevance = max(0.0, min(1.0, (coverage - self.relevance_floor) / (0.85 - self.relevance_floor)))

        mismatch = 0.0
        cn, pn = numbers(claim), numbers(passage)
        matched_numbers = 0
        for kind in cn:
            if not cn[kind]:
                continue
            if cn[kind] & pn[kind]:
                matched_numbers += 1
            if pn[kind] and not cn[kind] <= pn[kind]:
                # a claim value absent from a passage that gives values of the same kind
                # rounding tolerance only for money and percentages; years and counts must be equal
                tol = 0.005 if kind in ("money", "percent") else 0.0
                close = all(any(abs(a - b) <= tol * max(abs(a), 1) for b in pn[kind]) for a in cn[kind])
                if not close:
                    mismatch = max(mismatch, 0.6 if kind in ("count", "date") else 0.8)
                    reasons.append(f"{kind} differs: claim {sorted(cn[kind])} vs passage {sorted(pn[kind])}")
        if (_negations(claim) > 0) != (_negations(passage) > 0):
            mismatch = max(mismatch, 0.55)
            reasons.append("negation on one side only")
        claim_lower = {w.lower() for w in _WORD.findall(claim)}
        passage_lower = {w.lower() for w in _WORD.findall(passage)}
        for w in claim_lower:
            opposite = _ANTONYM_MAP.get(w, set()) & passage_lower
            if opposite and w not in passage_lower:
                mismatch = max(mismatch, 0.7)
                reasons.append(f"'{w}' in the claim, '{sorted(opposite)[0]}' in the passage")

        if matched_numbers and not mismatch:
            relevance = min(1.0, relevance + 0.15)
            reasons.append("numbers agree")
        if relevance <= 0:
            return StanceResult({"supports": 0.05, "refutes": 0.05, "neutral": 0.9}, reasons)
        if mismatch:
            p_ref = 0.15 + 0.8 * relevance * mismatch
            p_sup = 0.05
        else:
            p_sup = 0.1 + 0.85 * relevance
            p_ref = 0.05
        p_neu = max(0.0, 1.0 - p_sup - p_ref)
        return StanceResult({"supports": round(p_sup, 4), "refutes": round(p_ref, 4), "neutral": round(p_neu, 4)},
                            reasons)


def make_baseline(**settings: object) -> BaselineVerifier:
    return BaselineVerifier(**settings)  # type: ignore[arg-type]
