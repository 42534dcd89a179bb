"""Make claims stand alone: absolute dates for relative ones, names for pronouns.

``resolve_relative_dates(text, reference)`` rewrites relative date phrases
against the article date and returns the rewritten text with every date the
text mentions, normalised (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``):

====================  ==================================  =============
phrase                becomes (article dated 2024-03-15)  date
====================  ==================================  =============
3 years ago           in 2021                             2021
yesterday             on March 14, 2024                   2024-03-14
last week             in the week of March 4, 2024        2024-03
last month            in February 2024                    2024-02
earlier this month    earlier in March 2024               2024-03
this/last/next year   in 2024 / in 2023 / in 2025         2024 / ...
on November 24        on November 24, 2023 (most recent)  2023-11-24
on Monday             on March 11, 2024 (most recent)     2024-03-11
in late 2008          (unchanged)                         2008
March 3, 2021         (unchanged)                         2021-03-03
====================  ==================================  =============

After a preposition ("since last year") the bare form is used ("since 2023").
Without a reference date relative phrases stay as they are and give no date.

``decontextualize(claims, doc)`` fills ``Claim.standalone`` and ``Claim.dates``
in place; it also replaces a pronoun or role that opens a claim ("He", "It",
"The company", "The mayor") with the entity it clearly refers to, and leaves
it alone when two candidates compete.

Example::

    >>> from datetime import date
    >>> resolve_relative_dates("The dam opened 3 years ago.", date(2024, 3, 15))
    ('The dam opened in 2021.', ['2021'])
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from factdesk.claims.entities import Mention, find_mentions, resolve_reference
from factdesk.types import Claim, ClaimKind, Document

MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December"]
_MONTH_INDEX = {m.lower(): i + 1 for i, m in enumerate(MONTH_NAMES)}
_MONTH_INDEX.update({m[:3].lower(): i + 1 for i, m in enumerate(MONTH_NAMES)})
_MONTH_INDEX["sept"] = 9
_FULL_MONTHS = {m.lower() for m in MONTH_NAMES}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50}

_MON = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[6-9]\d\d|20\d\d|2100)"
_WD = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_NUM = r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|fifty)"
_PREP_YEAR = r"(?:in|In|since|Since|by|By|from|From|until|Until|till|during|During|of|before|Before|after|After|through|around|circa|between|Between|and|to|as of|As of|c\.)"

_DATE_RE = re.compile(
    "|".join([
        rf"(?P<iso>\b(?P<iso_y>{_YEAR})-(?P<iso_m>0[1-9]|1[0-2])-(?P<iso_d>0[1-9]|[12]\d|3[01])\b)",
        rf"(?P<mdy>\b(?P<mdy_m>{_MON})\s+(?P<mdy_d>{_DAY}),?\s+(?P<mdy_y>{_YEAR})\b)",
        rf"(?P<dmy>\b(?P<dmy_d>{_DAY})\s+(?:of\s+)?(?P<dmy_m>{_MON}),?\s+(?P<dmy_y>{_YEAR})\b)",
        rf"(?P<wd_md>\b(?:[Oo]n\s+)?{_WD},?\s+(?=(?:{_MON})\s+{_DAY}\b|{_DAY}\s+(?:{_MON})))",
        rf"(?P<my>\b(?P<my_m>{_MON}),?\s+(?P<my_y>{_YEAR})\b)",
        rf"(?P<md>\b(?P<md_m>{_MON})\s+(?P<md_d>{_DAY})\b(?!,?\s*\d))",
        rf"(?P<dm>\b(?P<dm_d>{_DAY})\s+(?:of\s+)?(?P<dm_m>{_MON})(?![\w.]|,?\s*\d))",
        rf"(?P<wd>\b(?P<wd_pre>[Oo]n\s+|[Ll]ast\s+|[Tt]his\s+past\s+)?(?P<wd_d>{_WD})\b(?![’']s))",
        rf"(?P<ago>\b(?P<ago_q>(?:about|around|nearly|almost|roughly|some|more\s+than|over|less\s+than|under|just|only)\s+)?(?P<ago_n>{_NUM})\s+(?P<ago_u>year|month|week|day|decade)s?\s+ago\b)",
        r"(?P<rel_day>\b(?P<rel_day_w>[Yy]esterday|[Tt]omorrow)\b(?![’']s))",
        r"(?P<rel>\b(?P<rel_mod>(?:[Ee]arlier|[Ll]ater)\s+)?(?P<rel_which>[Tt]his|[Ll]ast|[Nn]ext)\s+(?P<rel_u>year|month|week)\b)",
        rf"(?P<last_mon>\b(?P<last_mon_w>[Ll]ast)\s+(?P<last_mon_m>{_MON})\b(?!\s+\d))",
        r"(?P<in_mon>\b(?P<in_mon_p>[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y|[Dd]uring|[Ee]arly|[Ll]ate|[Mm]id-?)\s+(?P<in_mon_m>January|February|March|April|May|June|July|August|September|October|November|December)\b(?!,?\s*\d|\s+of\s+\d))",
        rf"(?P<in_year>\b(?P<in_year_p>{_PREP_YEAR})\s+(?:(?:early|late|mid|the\s+(?:early|late|middle|end|start|beginning|summer|spring|autumn|fall|winter|first|second)(?:\s+half)?\s+of)[\s-]+)?(?P<in_year_y>{_YEAR})\b(?![\d%]|[.,\-/]\d|\s+[a-z]+s\b))",
        rf"(?P<det_year>\b(?:[Tt]he|[Aa]n?|[Ii]ts|[Tt]heir|[Hh]is|[Hh]er|[Tt]his|[Tt]hat)\s+(?P<det_year_y>{_YEAR})\s+(?=(?:[a-z]+\s+)?(?:election|census|report|study|survey|season|budget|law|act|referendum|flood|earthquake|fire|crisis|games|olympics|campaign|audit|review|inquiry|agreement|deal|treaty|merger|ruling|storm|drought|strike|protest|amendment|plan|decision|vote|contract|revision|edition)))",
    ])
)
_PREPOSITION_BEFORE = re.compile(r"\b(?:since|until|till|by|from|of|before|after|in|during|through|as of|between|and|to|on|around)\s+$", re.I)


def _fmt_day(d: date) -> str:
    return f"{MONTH_NAMES[d.month - 1]} {d.day}, {d.year}"


def _month_num(token: str) -> int:
    return _MONTH_INDEX[token.lower().rstrip(".")]


def _day_num(token: str) -> int:
    return int(re.match(r"\d+", token).group())


def _shift_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _cap(original: str, replacement: str) -> str:
    if original[:1].isupper() and replacement[:1].islower():
        return replacement[0].upper() + replacement[1:]
    return replacement


def resolve_relative_dates(text: str, reference: date | None) -> tuple[str, list[str]]:
    """Rewrite relative date phrases against ``reference``; return the text and the dates it mentions."""
    dates: list[str] = []

    def add(value: str) -> None:
        if value not in dates:
            dates.append(value)

    def replace(m: re.Match[str]) -> str:
        kind = next(name for name in _TOP_GROUPS if m.group(name) is not None)
        g = m.group
        whole = m.group(0)
        after_prep = bool(_PREPOSITION_BEFORE.search(text[max(0, m.start() - 12):m.start()]))
        if kind == "iso":
            add(whole)
            return whole
        if kind in {"mdy", "dmy"}:
            p = kind
            d = _safe_date(int(g(p + "_y")), _month_num(g(p + "_m")), _day_num(g(p + "_d")))
            if d:
                add(d.isoformat())
            return whole
        if kind == "my":
            add(f"{int(g('my_y')):04d}-{_month_num(g('my_m')):02d}")
            return whole
        if kind in {"in_year", "det_year"}:
            add(g(kind + "_y"))
            return whole
        if kind == "wd_md":
            return whole  # "Monday, March 4": the date that follows is what counts
        if reference is None:
            return whole
        if kind in {"md", "dm"}:
            month, day = _month_num(g(kind + "_m")), _day_num(g(kind + "_d"))
            year = reference.year if (month, day) <= (reference.month, reference.day) else reference.year - 1
            d = _safe_date(year, month, day)
            if not d:
                return whole
            add(d.isoformat())
            core, tail = whole, ""
            if whole.endswith(".") and g(kind + "_m").rstrip(".").lower() in _FULL_MONTHS:  # "24 November." ends a sentence
                core, tail = whole[:-1], "."
            return (f"{core}, {year}" if kind == "md" else f"{core} {year}") + tail
        if kind == "wd":
            target = _WEEKDAYS.index(g("wd_d").lower())
            back = (reference.weekday() - target) % 7 or 7
            d = reference - timedelta(days=back)
            add(d.isoformat())
            pre = g("wd_pre")
            if pre or after_prep:
                lead = "" if after_prep and not pre else "on "
                return _cap(whole, lead + _fmt_day(d))
            return "on " + _fmt_day(d)
        if kind == "rel_day":
            word = g("rel_day_w").lower()
            d = reference + timedelta(days=-1 if word == "yesterday" else 1)
            add(d.isoformat())
            return _cap(whole, ("" if after_prep else "on ") + _fmt_day(d))
        if kind == "ago":
            n = _NUMBERS.get(g("ago_n").lower()) if not g("ago_n").isdigit() else int(g("ago_n"))
            unit = g("ago_u").lower()
            qualifier = (g("ago_q") or "").strip().lower()
            if unit in {"year", "decade"}:
                year = reference.year - n * (10 if unit == "decade" else 1)
                add(str(year))
                absolute = str(year)
            elif unit == "month":
                y, mo = _shift_months(reference.year, reference.month, -n)
                add(f"{y:04d}-{mo:02d}")
                absolute = f"{MONTH_NAMES[mo - 1]} {y}"
            else:
                d = reference - timedelta(days=n * (7 if unit == "week" else 1))
                if unit == "week":
                    monday = d - timedelta(days=d.weekday())
                    add(f"{monday.year:04d}-{monday.month:02d}")
                    absolute = f"the week of {_fmt_day(monday)}"
                else:
                    add(d.isoformat())
                    absolute = _fmt_day(d)
            if qualifier in {"more than", "over"}:
                lead = "before "
            elif qualifier in {"less than", "under", "just", "only"}:
                lead = "since " if qualifier in {"less than", "under"} else ("in " if unit in {"year", "decade", "month"} or unit == "week" else "on ")
            elif qualifier:
                lead = "around "
            elif after_prep:
                lead = ""
            else:
                lead = "in " if unit in {"year", "decade", "month", "week"} else "on "
            return _cap(whole, lead + absolute)
        if kind == "rel":
            which, unit = g("rel_which").lower(), g("rel_u").lower()
            mod = (g("rel_mod") or "").strip().lower()
            delta = {"this": 0, "last": -1, "next": 1}[which]
            if unit == "year":
                year = reference.year + delta
                add(str(year))
                absolute = str(year)
            elif unit == "month":
                y, mo = _shift_months(reference.year, reference.month, delta)
                add(f"{y:04d}-{mo:02d}")
                absolute = f"{MONTH_NAMES[mo - 1]} {y}"
            else:
                monday = reference - timedelta(days=reference.weekday()) + timedelta(weeks=delta)
                add(f"{monday.year:04d}-{monday.month:02d}")
                absolute = f"the week of {_fmt_day(monday)}"
            if mod:
                return _cap(whole, f"{mod} in {absolute}")
            return _cap(whole, ("" if after_prep else "in ") + absolute)
        if kind == "in_mon":
            # "in April": the most recent April, unless the sentence talks about the future
            if _FUTURE.search(text):
                return whole
            month = _month_num(g("in_mon_m"))
            year = reference.year if month <= reference.month else reference.year - 1
            add(f"{year:04d}-{month:02d}")
            return f"{whole} {year}"
        if kind == "last_mon":
            month = _month_num(g("last_mon_m"))
            year = reference.year if month < reference.month else reference.year - 1
            add(f"{year:04d}-{month:02d}")
            return _cap(whole, ("" if after_prep else "in ") + f"{MONTH_NAMES[month - 1]} {year}")
        return whole

    new_text = _DATE_RE.sub(replace, text)
    return new_text, dates


_TOP_GROUPS = ["iso", "mdy", "dmy", "wd_md", "my", "md", "dm", "wd", "ago", "rel_day", "rel", "last_mon", "in_mon", "in_year",
               "det_year"]
_FUTURE = re.compile(r"\b(?:will|would|shall|plans?\s+to|planned|is\s+to|are\s+to|scheduled|expected|set\s+to|going\s+to|due\s+to|next|upcoming|intends?)\b", re.I)

# pronouns and roles that may open a claim
_OPENING_REFERENCE = re.compile(
    r"^(?P<ref>He|She|It|They|The\s+(?:company|firm|group|mayor|minister|senator|governor|president|ministry|agency|"
    r"council|department|government|project|bridge|dam|plant|city|authority|commission|university|bank|board|"
    r"committee|spokesperson|chief\s+executive|ceo|organisation|organization|carmaker|manufacturer|retailer|airline|"
    r"startup|charity|party|tunnel|scheme|programme|program))\b(?![’']s\b)"
)
_DUMMY_IT = re.compile(
    r"^It(?:'s|’s|\s+(?:is|was|has\s+been|had\s+been|will\s+be|would\s+be|remains|remained|seems|seemed|appears|appeared|"
    r"takes|took|means|meant|matters|follows|turns\s+out|emerged))\b"
    r"(?:\s+(?:not|also|still|now|then|already))?\s+(?:unclear|clear|likely|unlikely|possible|impossible|expected|important|"
    r"hard|easy|difficult|time|true|false|worth|said|thought|believed|estimated|reported|feared|hoped|understood|known|"
    r"that|to|years|months|weeks|days|a\s+(?:long|short)|the\s+(?:first|second|third|last)\s+time|raining|snowing|"
    r"necessary|essential|vital|unknown|uncertain|understood|argued|claimed|alleged|rumou?red|obvious|evident|unfair|fair)\b"
)


def _resolve_opening(claim_text: str, pos: int, text: str, mentions: list[Mention]) -> str | None:
    m = _OPENING_REFERENCE.match(claim_text)
    if not m:
        return None
    ref = m.group("ref")
    if ref == "It" and (_DUMMY_IT.match(claim_text) or re.match(r"^It\s+(?:is|was)\s+\w+\s+(?:that|to)\b", claim_text)):
        return None
    name = resolve_reference(ref, pos, text, mentions, strict=True)
    if not name:
        return None
    # a role noun ("the mayor") already named in the claim itself needs no rewrite
    if name in claim_text:
        return None
    # "the Northgate Project" keeps its article when the text uses one
    antecedent = [x for x in mentions if x.name == name and x.end <= pos]
    if antecedent and antecedent[-1].kind == "org" and re.search(r"\b[Tt]he\s+$", text[max(0, antecedent[-1].start - 5):antecedent[-1].start]):
        name = "The " + name
    return name + claim_text[m.end():]


def _sentence_case(text: str) -> str:
    text = text.strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!?\"”’":
        text += "."
    return text


def decontextualize(claims: list[Claim], doc: Document, *, mentions: list[Mention] | None = None) -> None:
    """Fill ``standalone`` and ``dates`` of each claim in place."""
    try:
        reference = doc.published_date
    except ValueError:
        reference = None
    if mentions is None:
        mentions = find_mentions(doc.text)
    for claim in claims:
        standalone = claim.text
        rewritten = _resolve_opening(standalone, claim.start, doc.text, mentions)
        if rewritten:
            standalone = rewritten
        elif claim.kind == ClaimKind.QUOTED and claim.attributed_to and claim.attributed_to[:1].isupper():
            # "…," she told reporters. -> "…," Lena Ortiz told reporters.
            standalone = re.sub(r"""(["”],?\s+)(?:he|she)(\s+(?:said|says|told|added|wrote|claimed|argued|insisted))\b""",
                                lambda m: m.group(1) + claim.attributed_to + m.group(2), standalone, count=1)
        standalone, dates = resolve_relative_dates(standalone, reference)
        if claim.text != doc.text[claim.start:claim.end]:  # defensive: never trust a stale span
            claim.text = doc.text[claim.start:claim.end]
        fragment = claim.text[:1].islower() or claim.text[-1:] not in ".!?\"”’"
        claim.standalone = _sentence_case(standalone) if fragment else standalone
        claim.dates = dates
