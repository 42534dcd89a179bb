"""Make claims stand alone: absolute dates for relative ones, names for pronouns.

``resolve_relative_dates(text, reference)`` rewrites relative date phrases
against the article date and returns the rewritten text with every date the
text mentions, normalised (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``):

====================  ==================================  =============
phrase                becomes (article dated 2024-03-15)  date
====================  ==================================  =============
3 years ago           in 2021                             2021
yesterday             on March 14, 2024                   2024-03-14
tomorrow / tonight    on March 16, 2024 / on the night    2024-03-16 /
                      of March 15, 2024                   2024-03-15
today (with "is")     as of March 15, 2024                2024-03-15
last week             in the week of March 4, 2024        2024-03
last month            in February 2024                    2024-02
earlier this month    earlier in March 2024               2024-03
this/last/next year   in 2024 / in 2023 / in 2025         2024 / ...
voted on November 24  on November 24, 2023 (last one)     2023-11-24
will vote on April 2  on April 2, 2024 (next one)         2024-04-02
11 February this year 11 February 2024                    2024-02-11
met on Monday         on March 11, 2024 (last one)        2024-03-11
in late 2008          (unchanged)                         2008
March 3, 2021         (unchanged)                         2021-03-03
====================  ==================================  =============

After a preposition ("since last year") the bare form is used ("since 2023").
Without a reference date relative phrases stay as they are and give no date.

A month-day or weekday without a year takes the tense of its clause: the last
occurrence for a past event, the next one for a future event; when the tense is
unclear ("takes place", "would", "scheduled for"), or for "next Tuesday", it stays
as written.  "today", "tonight", "this morning"… stay as written inside a
quotation and in reported speech that names another day.

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

from factdesk.claims.references import full_name, name_references, possessive_form
from factdesk.text.entities import Mention, find_mentions, person_gender, pronoun_gender, resolve_reference
from factdesk.text.words import as_of_prefix
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
        rf"(?P<mry>\b(?:(?P<mry_d1>{_DAY})\s+(?:of\s+)?(?P<mry_m1>{_MON})|(?P<mry_m2>{_MON})\s+(?P<mry_d2>{_DAY})|(?P<mry_m3>{_MON}))(?P<mry_sep>,?\s+(?:of\s+)?)(?P<mry_w>[Tt]his|[Ll]ast|[Nn]ext)\s+year\b)",
        rf"(?P<mdy>\b(?P<mdy_m>{_MON})\s+(?P<mdy_d>{_DAY}),?\s+(?P<mdy_y>{_YEAR})\b)",
        rf"(?P<dmy>\b(?P<dmy_d>{_DAY})\s+(?:of\s+)?(?P<dmy_m>{_MON}),?\s+(?P<dmy_y>{_YEAR})\b)",
        rf"(?P<wd_md>\b(?:[Oo]n\s+)?{_WD},?\s+(?=(?:{_MON})\s+{_DAY}\b|{_DAY}\s+(?:{_MON})))",
        rf"(?P<my>\b(?P<my_m>{_MON}),?\s+(?P<my_y>{_YEAR})\b)",
        rf"(?P<md>\b(?P<md_m>{_MON})\s+(?P<md_d>{_DAY})\b(?!,?\s*\d))",
        rf"(?P<dm>\b(?P<dm_d>{_DAY})\s+(?:of\s+)?(?P<dm_m>{_MON})(?![\w.]|,?\s*\d))",
        rf"(?P<wd>\b(?P<wd_pre>[Oo]n\s+|[Ll]ast\s+|[Tt]his\s+past\s+)?(?P<wd_d>{_WD})\b(?![’']s)(?:\s+(?P<wd_part>morning|afternoon|evening|night)\b)?)",
        rf"(?P<wd_poss>\b(?P<wd_poss_d>{_WD})[’']s\b)",
        rf"(?P<ago>\b(?P<ago_q>(?i:about|around|nearly|almost|roughly|some|more\s+than|over|less\s+than|under|just|only)\s+)?(?P<ago_n>(?i:{_NUM}))\s+(?P<ago_u>year|month|week|day|decade)s?\s+ago\b)",
        r"(?P<rel_day>(?<![Tt]he\s)\b(?:(?P<rel_day_w>[Yy]esterday|[Tt]oday|[Tt]omorrow|[Tt]onight)(?:\s+(?P<rel_day_part>morning|afternoon|evening|night))?"
        r"|(?P<rel_day_this>[Tt]his)\s+(?P<rel_day_part_this>morning|afternoon|evening)|(?P<rel_day_last>[Ll]ast)\s+night)\b(?![’']s))",
        # "the next year", "the last week": counted from an event the text tells of, not from the article's date
        r"(?P<rel>(?<![Tt]he\s)\b(?P<rel_mod>(?:[Ee]arlier|[Ll]ater)\s+)?(?P<rel_which>[Tt]his|[Ll]ast|[Nn]ext)\s+(?P<rel_u>year|month|week)\b)",
        r"(?P<wkend>\b(?P<wkend_p>[Oo]ver|[Dd]uring|[Oo]n|[Ll]ast|[Tt]his\s+past|[Tt]his)\s+(?:the\s+)?weekend\b(?![’']s))",
        rf"(?P<last_mon>\b(?P<last_mon_w>[Ll]ast|[Tt]his)\s+(?P<last_mon_m>{_MON})(?P<last_mon_poss>[’']s)?\b(?!\s+\d))",
        r"(?P<in_mon>\b(?P<in_mon_p>[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y|[Dd]uring|[Ee]arly|[Ll]ate|[Mm]id-?)\s+(?P<in_mon_m>January|February|March|April|May|June|July|August|September|October|November|December)\b(?!,?\s*\d|\s+of\s+\d|,?\s+(?:of\s+)?(?:this|last|next)\s+year\b))",
        rf"(?P<in_year>\b(?P<in_year_p>{_PREP_YEAR})\s+(?:both\s+|either\s+)?(?:(?:early|late|mid|the\s+(?:early|late|middle|end|start|beginning|summer|spring|autumn|fall|winter|first|second)(?:\s+half)?\s+of)[\s-]+)?(?P<in_year_y>{_YEAR})\b(?![\d%]|[.,\-/]\d|\s+[a-z]+s\b))",
        rf"(?P<det_year>\b(?:[Tt]he|[Aa]n?|[Ii]ts|[Tt]heir|[Hh]is|[Hh]er|[Tt]his|[Tt]hat)\s+(?P<det_year_y>{_YEAR})\s+(?=(?:[a-z]+\s+)?(?:election|census|report|study|survey|season|budget|law|act|referendum|flood|earthquake|fire|crisis|games|olympics|campaign|audit|review|inquiry|agreement|deal|treaty|merger|ruling|storm|drought|strike|protest|amendment|plan|decision|vote|contract|revision|edition)))",
    ])
)
_MONTH_SUBJECT = re.compile(r"\s+(?:was|were|is|has|had|saw|brought|became|marked|set|broke|ranked|remains?|"
                            r"remained|ended|began|proved)\b")
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


def resolve_relative_dates(text: str, reference: date | None, anchor: date | None = None) -> tuple[str, list[str]]:
    """Rewrite relative date phrases against ``reference``; return the text and the dates it mentions.

    ``anchor`` is the last full date the article gave before this text (its narrative time): a past
    month-day without a year that falls within a few months after it takes its year, so "On December
    29" after "on December 16, 2010" is 2010 in an article published in 2012.
    """
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
        if kind == "mry":  # "11 February this year", "in February of last year"
            year = reference.year + {"this": 0, "last": -1, "next": 1}[g("mry_w").lower()]
            if g("mry_m3"):
                month = _month_num(g("mry_m3"))
                add(f"{year:04d}-{month:02d}")
                return f"{g('mry_m3').rstrip('.')} {year}"
            month_token = g("mry_m1") or g("mry_m2")
            d = _safe_date(year, _month_num(month_token), _day_num(g("mry_d1") or g("mry_d2")))
            if not d:
                return whole
            add(d.isoformat())
            if g("mry_m1"):
                return f"{g('mry_d1')} {month_token.rstrip('.')} {year}"
            return f"{month_token} {g('mry_d2')}, {year}"
        if kind in {"md", "dm"}:
            # the last occurrence for a past event, the next one for a future event
            tense = _tense(text, m.start(), m.end())
            if tense not in {"past", "future"}:
                return whole
            month, day = _month_num(g(kind + "_m")), _day_num(g(kind + "_d"))
            if tense == "past":
                year = reference.year if (month, day) <= (reference.month, reference.day) else reference.year - 1
                if anchor is not None and anchor.year < year:
                    near = _safe_date(anchor.year, month, day)
                    if near and timedelta(days=-31) <= near - anchor <= timedelta(days=120) and near <= reference:
                        year = anchor.year
            else:
                year = reference.year if (month, day) >= (reference.month, reference.day) else reference.year + 1
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
            pre = g("wd_pre")
            if not pre and re.search(r"\b(?:next|this|coming|every|each)\s+$", text[max(0, m.start() - 8):m.start()], re.I):
                return whole  # "next Tuesday": this week's or the week after? leave it
            tense = "past" if pre and pre.strip().lower() != "on" else _tense(text, m.start(), m.end())
            if tense == "past":
                # "announced Tuesday" in a Tuesday article is that day; "last Tuesday" is a week back
                back = (reference.weekday() - target) % 7
                if back == 0 and pre and pre.strip().lower() != "on":
                    back = 7
                d = reference - timedelta(days=back)
            elif tense == "future" and target != reference.weekday():
                d = reference + timedelta(days=(target - reference.weekday()) % 7)
            else:
                return whole
            add(d.isoformat())
            day = f"the {g('wd_part')} of {_fmt_day(d)}" if g("wd_part") else _fmt_day(d)  # "Wednesday afternoon"
            at_start = not text[:m.start()].strip() or bool(re.search(r"(?<![ap]\.m)[.!?][\"“”]?$", text[:m.start()].rstrip()))
            if pre or after_prep:
                lead = "" if after_prep and not pre else "on "
                return _cap(pre if pre else ("X" if at_start else "x"), lead + day)  # "Wednesday" is a name, not a capital
            return _cap("X" if at_start else "x", "on " + day)
        if kind == "wd_poss":  # "Tuesday's election" -> "the November 7, 2023 election"
            target = _WEEKDAYS.index(g("wd_poss_d").lower())
            tense = _tense(text, m.start(), m.end())
            if tense == "past":
                d = reference - timedelta(days=(reference.weekday() - target) % 7)
            elif tense == "future" and target != reference.weekday():
                d = reference + timedelta(days=(target - reference.weekday()) % 7)
            else:
                return whole
            add(d.isoformat())
            return ("The " if whole[:1].isupper() and (m.start() == 0 or text[:m.start()].rstrip()[-1:] in ".!?\"“")
                    else "the ") + _fmt_day(d)
        if kind == "rel_day":
            # against the article date, but not inside a quotation (the speaker's day) nor in
            # reported speech that names another day ("said on Monday that … today")
            if _in_quotation(text, m.start()):
                return whole
            before = text[:m.start()].rstrip()
            if re.search(r"\bday\s+(?:before|after)$", before, re.I):
                return whole  # "the day before yesterday"
            if whole[:1].isupper() and before and before[-1] not in ".!?\"“‘'(:;—–":
                return whole  # "USA Today", "on Today": a name, not a day
            if _REPORTING.search(text) and any(o is not m and o.lastgroup in _DAY_ANCHORS for o in matches):
                return whole
            word = (g("rel_day_w") or g("rel_day_this") or g("rel_day_last")).lower()
            part = (g("rel_day_part") or g("rel_day_part_this") or ("night" if word in {"tonight", "last"} else "")).lower()
            shift = {"yesterday": -1, "last": -1, "today": 0, "this": 0, "tonight": 0, "tomorrow": 1}[word]
            d = reference + timedelta(days=shift)
            add(d.isoformat())
            absolute = f"the {part} of {_fmt_day(d)}" if part else _fmt_day(d)
            if after_prep:
                return _cap(whole, absolute)
            if word == "today" and not part and _tense(text, m.start(), m.end()) == "present":
                return _cap(whole, "as of " + absolute)  # "Today the line is …": a state on that day
            return _cap(whole, "on " + absolute)
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
        if kind == "wkend":  # "over the weekend": the last one, for a past event
            pre = g("wkend_p").lower()
            if _in_quotation(text, m.start()) or (pre in {"over", "during", "on"} and _tense(text, m.start(), m.end()) != "past"):
                return whole
            saturday = reference - timedelta(days=(reference.weekday() - 5) % 7)
            if pre == "last" and reference.weekday() >= 5:
                saturday -= timedelta(days=7)
            if pre == "this" and reference.weekday() < 5:
                # on a weekday, "this weekend" is the coming one in a future clause, the one just past in a past one
                tense = _tense(text, m.start(), m.end())
                if tense not in {"past", "future"}:
                    return whole
                if tense == "future":
                    saturday += timedelta(days=7)
            sunday = saturday + timedelta(days=1)
            add(saturday.isoformat())
            days = (f"{MONTH_NAMES[saturday.month - 1]} {saturday.day}-{sunday.day}, {sunday.year}"
                    if saturday.month == sunday.month else
                    f"{MONTH_NAMES[saturday.month - 1]} {saturday.day}-{MONTH_NAMES[sunday.month - 1]} {sunday.day}, {sunday.year}")
            lead = "over" if pre in {"over", "last", "this past", "this"} else pre
            return _cap(whole, f"{lead} the weekend of {days}")
        if kind == "in_mon":
            # "in April": the most recent April for a past event; otherwise left as it is
            if _FUTURE.search(text) or _tense(text, m.start(), m.end()) != "past":
                return whole
            month = _month_num(g("in_mon_m"))
            year = reference.year if month <= reference.month else reference.year - 1
            add(f"{year:04d}-{month:02d}")
            return f"{whole} {year}"
        if kind == "last_mon":  # "last October", "this October's temperatures"
            month = _month_num(g("last_mon_m"))
            if g("last_mon_w").lower() == "this":
                year = reference.year
            else:
                year = reference.year if month < reference.month else reference.year - 1
            add(f"{year:04d}-{month:02d}")
            named = f"{MONTH_NAMES[month - 1]} {year}" + (g("last_mon_poss") or "")
            # the month as a subject ("Last October was the hottest") or a possessive takes no "in"
            opens = not text[:m.start()].strip() or text[:m.start()].rstrip()[-1:] in ".;:!?\"“"
            bare = after_prep or g("last_mon_poss") or (opens and _MONTH_SUBJECT.match(text[m.end():]))
            return _cap(whole, ("" if bare else "in ") + named)
        return whole

    matches = list(_DATE_RE.finditer(text))
    parts: list[str] = []
    last = 0
    for match in matches:
        parts.append(text[last:match.start()])
        parts.append(replace(match))
        last = match.end()
    parts.append(text[last:])
    return "".join(parts), dates


# ----------------------------------------------------------------- tense
# A month-day or weekday without a year is resolved by the tense of its clause: the last
# occurrence for a past event, the next one for a future event, none when unclear.

_IRREGULAR_PAST = (
    "began|became|came|went|took|gave|made|met|said|told|held|rose|fell|won|lost|sold|bought|built|paid|ran|saw|"
    "left|struck|spoke|wrote|brought|chose|drove|found|got|grew|knew|led|meant|stood|thought|threw|sent|spent|broke|"
    "caught|fought|flew|kept|laid|rang|rode|sang|sank|shook|shot|slept|swore|swept|taught|tore|woke|wore|drew|"
    "withdrew|forgot|froze|heard|sought|dealt|felt|fled|lent|lit|slid|stole|stuck|sprang|swung|understood|upheld|"
    "overtook|undertook|arose|bore|blew|dug|fed|hung|sat|shone|shrank|sped|strove|wept|ate|hid|bit|forgave|forbade|"
    "overcame|overturned|oversaw|foresaw|withheld|wound|died|lay"
)
_IRREGULAR_PARTICIPLE = (
    "been|begun|become|come|gone|taken|given|made|met|said|told|held|risen|fallen|won|lost|sold|bought|built|paid|run|"
    "seen|left|struck|spoken|written|brought|chosen|driven|found|got|gotten|grown|known|led|meant|stood|thought|sent|"
    "spent|broken|caught|fought|flown|kept|laid|set|cut|hit|put|cost|shut|spread|split|done|had|hidden|eaten|forgotten|"
    "frozen|heard|sought|dealt|felt|fled|lent|stolen|stuck|understood|upheld|withdrawn|drawn|overseen"
)
_SAME_FORM = "set|cut|hit|put|cost|let|shut|quit|spread|split|hurt|cast|burst|upset"
_NOT_A_SUBJECT = {"to", "will", "would", "can", "could", "may", "might", "must", "shall", "should", "i", "we", "you",
                  "they", "not", "do", "does", "did", "and", "or", "the", "a", "an", "its", "their", "his", "her", "our",
                  "this", "that", "these", "those", "no", "of", "in", "on", "for", "with"}
_NOT_PAST_ED = {"need", "seed", "speed", "feed", "bleed", "breed", "heed", "deed", "weed", "reed", "creed", "greed",
                "proceed", "succeed", "exceed", "bed", "red", "shed", "wed", "hundred", "sacred", "naked", "wicked",
                "kindred", "rugged", "ragged", "jagged", "indeed", "embed", "aged", "beloved", "tired", "bred"}
_DETERMINER_OR_AUX = {"the", "a", "an", "its", "their", "his", "her", "our", "my", "your", "this", "that", "these",
                      "those", "be", "been", "being", "is", "are", "am", "get", "gets", "getting", "newly", "recently",
                      "so-called", "long-awaited", "much-delayed", "twice-delayed"}

_TENSE_CUE = re.compile(
    "|".join([
        # future
        r"(?P<future>\b(?:will|shall|won't|wo\s+n't)\b|'ll\b|’ll\b"
        r"|\b(?:is|are|am|'s|'re|’s|’re)\s+(?:(?:now|also|still)\s+)?(?:(?:going|set|due|scheduled|slated|expected|planned|poised|about)\s+(?:to|for)|to\s+[a-z]+)\b"
        r"|\b(?:has|have)\s+been\s+(?:scheduled|set|planned|slated|postponed|moved|pushed\s+back|brought\s+forward)\s+(?:for|to|until)\b"
        r"|\b(?:plans?|intends?|aims?|hopes?|promises?|vows?)\s+to\b|\bset\s+to\s+[a-z]+\b|\bupcoming\b|\bnext\b)",
        # unclear: modals, plans that may or may not have happened
        r"(?P<unclear>\b(?:would|could|might|may|should|must|can|cannot|can't|wouldn't|couldn't)\b"
        r"|\b(?:was|were|had\s+been)\s+(?:going|set|due|scheduled|slated|expected|planned|supposed|meant|about|poised)\s+(?:to|for)\b"
        r"|\b(?:scheduled|slated|planned|due)\s+(?:for|to)\b)",
        # past: present perfect, auxiliaries, irregular forms, -ed forms
        rf"(?P<perfect>\b(?:has|have|'ve|’ve|had)\s+(?:(?:not|already|also|just|now|since|never|recently|finally|only)\s+)?(?:[a-z]+ed|{_IRREGULAR_PARTICIPLE})\b)",
        r"(?P<past>\b(?:was|were|did|didn't|wasn't|weren't|hadn't|had|used\s+to|ago|yesterday|last)\b)",
        rf"(?P<irregular>\b(?:{_IRREGULAR_PAST})\b)",
        rf"(?P<same_form>(?<=\s)(?:{_SAME_FORM})(?=\s+(?:the|a|an|its|their|his|her|our|up|down|off|out|back|\$|\d)))",
        r"(?P<ed>\b[a-z][a-z-]*ed\b)",
        # present
        r"(?P<present>\b(?:is|are|am|remains?|stands?|sits?|exists?|does|do|has|have|isn't|aren't|doesn't)\b)",
    ])
)
_CLAUSE_BREAK = re.compile(
    r"[,;:()—–]|\s-\s|\b(?:and|but|while|whereas|which|who|that|because|although|though|after|before|when|since|until|"
    r"unless|if|so)\b|(?P<after>\b(?:said|says|told|announced|added|stated|wrote|claimed|argued|warned|reported|explained|"
    r"noted|insisted|promised|predicted|confirmed|revealed|estimated)\b)"
)
_SENTENCE_BREAK = re.compile(
    r"(?<=[.!?])(?<![ap]\.m\.)(?<![\s.][A-Z]\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bMrs\.)(?<!\bNo\.)"
    r"[\"”’]?\s+(?=[A-Z\"“‘])")  # "at 10 a.m. Tuesday", "the U.S. District Court", "Mr. Marcus": one clause


def _word_before(text: str, pos: int) -> str:
    m = re.search(r"([\w'’-]+)\W*$", text[:pos])
    return m.group(1).lower() if m else ""


def _cues(text: str) -> set[str]:
    """The tenses a stretch of text shows: "past", "future", "present", "unclear"."""
    found: set[str] = set()
    for m in _TENSE_CUE.finditer(text):
        kind = m.lastgroup
        if kind == "same_form" and _word_before(text, m.start()) in _NOT_A_SUBJECT:
            continue
        if kind == "ed":
            word = m.group(0)
            if word in _NOT_PAST_ED or _word_before(text, m.start()) in _DETERMINER_OR_AUX:
                continue
        found.add({"perfect": "past", "irregular": "past", "same_form": "past", "ed": "past"}.get(kind, kind))
    return found


def _tense(text: str, start: int, end: int) -> str | None:
    """"past", "future" or "present" for the clause around ``text[start:end]``; None when unclear.

    The clause of the phrase decides; a clause with no tense of its own ("On November 4,")
    takes the nearest clause of the same sentence that has one.  Mixed tenses or a modal
    ("would", "may") give None.
    """
    s_start = 0
    s_end = len(text)
    for m in _SENTENCE_BREAK.finditer(text):
        if m.end() <= start:
            s_start = m.end()
        elif m.start() >= end:
            s_end = m.start()
            break
    sentence = text[s_start:s_end]
    a, b = start - s_start, end - s_start
    cuts = [0, len(sentence)]
    for m in _CLAUSE_BREAK.finditer(sentence):
        cut = m.end() if m.group("after") else m.start()  # "He said | the line will open …"
        if not a < cut < b:
            cuts.append(cut)
    cuts = sorted(set(cuts))
    clauses = [(cuts[i], cuts[i + 1]) for i in range(len(cuts) - 1)]
    here = next((i for i, (x, y) in enumerate(clauses) if x <= a < y), 0)
    order = [here]
    for step in range(1, len(clauses)):
        order += [i for i in (here - step, here + step) if 0 <= i < len(clauses)]
    for i in order:
        x, y = clauses[i]
        chunk = sentence[x:a] + " " * (b - a) + sentence[b:y] if i == here else sentence[x:y]
        cues = _cues(chunk)
        if not cues:
            continue
        if "unclear" in cues:
            return None
        tenses = cues - {"present"} or cues
        return tenses.pop() if len(tenses) == 1 else None
    return None


def _in_quotation(text: str, pos: int) -> bool:
    """Whether ``pos`` lies inside quotation marks, including the part of a sentence that continues a quotation
    opened in a sentence before it ("… which has since been resolved.”")."""
    close, opening = text.find("”"), text.find("“")
    if 0 <= close and (opening < 0 or close < opening):
        return pos < close
    straight = text.rstrip()
    if text.count('"') % 2 and straight.endswith('"') and opening < 0:
        return pos < text.find('"')
    for m in re.finditer(r"“[^”]*”?|\"[^\"]*\"?", text):
        if m.start() < pos < m.end():
            return True
    return False


_REPORTING = re.compile(r"\b(?:said|says|told|announced|added|stated|wrote|claimed|warned|reported|confirmed|revealed)\b")


_TOP_GROUPS = ["iso", "mry", "mdy", "dmy", "wd_md", "my", "md", "dm", "wd", "wd_poss", "ago", "rel_day", "rel", "wkend", "last_mon", "in_mon", "in_year",
               "det_year"]
_DAY_ANCHORS = {"wd", "wd_poss", "md", "dm", "mdy", "dmy", "iso", "wd_md"}
_FUTURE = re.compile(r"\b(?:will|would|shall|plans?\s+to|planned|is\s+to|are\s+to|scheduled|expected|set\s+to|going\s+to|due\s+to|next|upcoming|intends?)\b", re.I)

# pronouns and roles that may open a claim
_OPENING_REFERENCE = re.compile(
    r"^(?P<ref>He|She|It|They|The\s+(?:company|firm|group|mayor|minister|senator|governor|president|ministry|agency|"
    r"council|department|government|project|bridge|dam|plant|city|authority|commission|university|bank|board|"
    r"committee|spokesperson|chief\s+executive|ceo|organisation|organization|carmaker|manufacturer|retailer|airline|"
    r"startup|charity|party|tunnel|scheme|programme|program)|(?:This|That)\s+(?:company|firm|group|organisation|"
    r"organization|agency|city|state)|His|Her(?=\s+[a-z])|Its(?=\s+[a-z])|Their(?=\s+[a-z]))\b(?![’']s\b)"
)
_PREVIOUS_SENTENCE = re.compile(r"[.!?][\"”’)]*\s+")


def previous_subject(pos: int, text: str, mentions: list[Mention], kinds: set[str]) -> Mention | None:
    """The entity the sentence before ``pos`` opens with ("Nadia Mohamed, 27, won … She has served …").

    A pronoun that opens a sentence most often continues the previous sentence's subject; only a
    mention within the first few words of that sentence counts, and only of the wanted kind.
    """
    base = max(0, pos - 600)
    body = text[base:pos].rstrip()
    cuts = [m.end() for m in _PREVIOUS_SENTENCE.finditer(body) if m.end() < len(body)]
    if not cuts and base > 0:
        return None  # the sentence before is longer than the window: do not guess
    start, end = base + (cuts[-1] if cuts else 0), base + len(body)
    head = [m for m in mentions if start <= m.start < min(end, start + 40)]
    if not head or head[0].kind not in kinds:
        return None
    if re.match(r"\s*(?:,\s*)?(?:and|or|&|with)\b|[’']s\b", text[head[0].end:end]):
        return None  # "Tom Banks and Peter Hale visited …": either; "Hartley's wife sobbed": not Hartley
    return head[0]
_DUMMY_IT = re.compile(
    r"^It(?:'s|’s|\s+(?:is|was|has\s+been|had\s+been|will\s+be|would\s+be|remains|remained|seems|seemed|appears|appeared|"
    r"takes|took|means|meant|matters|follows|turns\s+out|emerged))\b"
    r"(?:\s+(?:not|also|still|now|then|already))?\s+(?:unclear|clear|likely|unlikely|possible|impossible|expected|important|"
    r"hard|easy|difficult|time|true|false|worth|said|thought|believed|estimated|reported|feared|hoped|understood|known|"
    r"that|to|years|months|weeks|days|a\s+(?:long|short)|the\s+(?:first|second|third|last)\s+time|raining|snowing|"
    r"necessary|essential|vital|unknown|uncertain|understood|argued|claimed|alleged|rumou?red|obvious|evident|unfair|fair)\b"
)

# "It should not surprise anyone that …", "It came as no surprise that …", "It is no secret that …": the "it" of
# an extraposed clause, which no name replaces
_EXTRAPOSED_IT = re.compile(
    r"^It(?:'s|’s)?\s+(?:(?:should|would|could|might|may|must|will|can|does|did|do|has|had|is|was)(?:n[’']t|\s+not)?"
    r"\s+)*(?:\w+ly\s+)?(?:(?:surpris|shock|astonish|amaz|bother|worr|concern|struck|strik|occur|dawn|anger|angr|"
    r"sadden|frustrat|annoy|disappoint|pleas|stun)\w*\b(?:\s+\w+){0,3}\s+(?:that|to|when|how|why|whether)\b|"
    r"c[oa]me\s+as\s+(?:a|an|no)\b|stands?\s+to\s+reason\b|goes\s+without\s+saying\b|"
    r"(?:a|an|no)\s+(?:\w+\s+)?(?:surprise|shame|pity|wonder|mystery|coincidence|secret|accident|exaggeration)\b)"
)


def _resolve_opening(claim_text: str, pos: int, text: str, mentions: list[Mention]) -> str | None:
    m = _OPENING_REFERENCE.match(claim_text)
    if not m or re.match(r"(?:His|Her)\s+(?:Honour|Honor|Majesty|Excellency|Holiness|Royal\s+Highness|Grace|Lordship|Ladyship)\b", claim_text):
        return None  # "His Honour Judge Ford" is a title, not a possessive
    ref = m.group("ref")
    if ref == "It" and (_DUMMY_IT.match(claim_text) or _EXTRAPOSED_IT.match(claim_text) or re.match(r"^It\s+(?:is|was)\s+\w+\s+(?:that|to)\b", claim_text)):
        return None
    gender = pronoun_gender(ref)
    if gender:
        # "He" cannot be a woman named in between, nor "She" a man (by title or first name)
        mentions = [x for x in mentions if x.kind != "person" or person_gender(x) in (None, gender)]
    possessive = ref in ("His", "Her", "Its", "Their")
    pronoun = {"His": "he", "Her": "she", "Its": "it", "Their": "they"}.get(ref, ref)
    if ref.startswith(("This", "That")):
        pronoun = "the " + ref.split()[-1]
    # A pronoun opening a sentence continues the previous sentence's subject (centering): "Mr Anderson …
    # during Hartley's trial. He told the jury …" is Anderson, not the nearer Hartley. Without such a
    # subject, the nearest candidate when it is unambiguous. "They" needs a plural antecedent: not guessed.
    name = None
    if pronoun.lower() in {"he", "she", "it"}:
        kinds = {"person"} if pronoun.lower() in {"he", "she"} else {"org"}
        subject = previous_subject(pos, text, mentions, kinds)
        if subject is not None and (not gender or person_gender(subject) in (None, gender)):
            name = subject.name
    if not name:
        name = resolve_reference(pronoun, pos, text, mentions, strict=True)
    if not name:
        return None
    name = full_name(name, mentions)  # "She" -> "Zoe" -> "Zoe Anderson"
    if possessive:
        return possessive_form(name) + claim_text[m.end():]
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


_AS_OF = re.compile(r"\b(?:currently|presently|at present|at the moment|so far|thus far|to date)\b,?\s*", re.I)
_LOWER_OPENERS = {"the", "a", "an", "this", "that", "these", "those", "its", "their", "his", "her", "our", "some",
                  "most", "many", "all", "no", "there", "it", "they", "we", "he", "she", "prices", "demand"}


_STILL = re.compile(r"\b(?:is|are|remains?)\s+still\b|\bstill\s+(?:is|are|being|remains?)\b")
# "has dropped", "have not been charged": the present perfect says how things stand when the article was written
_PARTICIPLE = (r"(?:\w+(?:ed|en|wn|ght|lt|nt|un)|made|had|said|done|gone|seen|become|come|won|lost|paid|held|left|kept|"
               r"spent|sent|built|risen|taken|given|begun|run|found|grown|shown|known|led|met|set|cut|put|hit|told|sold)")
_PRESENT_PERFECT = re.compile(
    r"\b(?P<aux>has|have)(?:n[’']t|\s+not)?\s+(?:(?:also|already|now|since|just|recently|never|long|repeatedly|"
    r"\w+ly)\s+)?(?:been\s+)?" + _PARTICIPLE + r"\b", re.I)
_REPORTING_FRAME = re.compile(r"it\s+has\s+(?:emerged|been\s+(?:reported|learned|learnt|revealed|confirmed|announced|"
                              r"claimed|alleged|said|understood|suggested))\b", re.I)
_MODAL_BEFORE = re.compile(r"\b(?:would|could|should|might|must|may|will|can|to)\s+$", re.I)


def _present_perfect(text: str) -> re.Match[str] | None:
    """The first present perfect outside quotation marks, not after a modal ("would have decayed") and not a
    reporting frame ("…, it has emerged", "it has been reported that …")."""
    for m in _PRESENT_PERFECT.finditer(text):
        if (not _MODAL_BEFORE.search(text[max(0, m.start() - 12):m.start()]) and not _in_quotation(text, m.start())
                and not _REPORTING_FRAME.match(text, max(0, m.start() - 3))):
            return m
    return None


def _as_of_body(body: str, names: frozenset[str]) -> str:
    """The claim after "As of <day>, ": its first word lower-cased unless it starts a name (a list bullet was
    already dropped by :func:`_without_label`)."""
    first = body.split(" ", 1)[0]
    if first.lower() in _LOWER_OPENERS or (first[:1].isupper() and first[1:].islower() and first not in names):
        body = body[0].lower() + body[1:]
    return body


def _as_of(text: str, reference: date | None, names: frozenset[str] = frozenset()) -> tuple[str, str | None]:
    """"X is currently closed" -> "As of January 16, 2023, X is closed": a present state needs its date.
    "X is still being considered" keeps its "still" and takes the date too, and so does a present perfect
    ("No one has been charged"), unless the claim gives a year."""
    m = _AS_OF.search(text)
    if reference is not None and not m and not re.search(r"\bas of\b|\b(?:1[89]|20)\d\d\b", text, re.I):
        still = _STILL.search(text)
        if (still and not _in_quotation(text, still.start())) or _present_perfect(text):
            body = re.sub(r"^(?:(?:In the meantime|Meanwhile|Now|Today),|(?:But|And|So|Yet)\b,?)\s*", "", text.strip())
            return as_of_prefix(reference) + _as_of_body(body, names), reference.isoformat()
    if reference is None or not m or re.search(r"\bas of\b", text, re.I) or _in_quotation(text, m.start()):
        return text, None
    body = (text[:m.start()] + text[m.end():]).strip()
    body = re.sub(r"\s+([,.;:])", r"\1", re.sub(r"\s{2,}", " ", body))
    if not body:
        return text, None
    return as_of_prefix(reference) + _as_of_body(body, names), reference.isoformat()


_FULL_DATE = re.compile(rf"\b(?:(?P<m1>{_MON})\s+(?P<d1>{_DAY}),?\s+(?P<y1>{_YEAR})|(?P<d2>{_DAY})\s+(?:of\s+)?(?P<m2>{_MON}),?\s+(?P<y2>{_YEAR}))\b")


def _full_dates(text: str, reference: date | None) -> list[tuple[int, date]]:
    """(position, date) of every full date the text writes out, up to the article's own date."""
    out = []
    for m in _FULL_DATE.finditer(text):
        d = _safe_date(int(m.group("y1") or m.group("y2")), _month_num(m.group("m1") or m.group("m2")),
                       _day_num(m.group("d1") or m.group("d2")))
        if d and (reference is None or d <= reference):
            out.append((m.start(), d))
    return out


_CLOCK = re.compile(r"\b\d{1,2}(?::\d{2})?\s*(?:a\.m\.|p\.m\.|am\b|pm\b)", re.I)
_SAME_DAY = re.compile(r"\b(?:the\s+(?:next|following|same|previous)\s+(?:day|morning|evening|night)|that\s+(?:day|morning|"
                       r"evening|night)|(?:a|the)\s+day\s+(?:before|after)|overnight)\b", re.I)
_SENTENCES = re.compile(r"[^.!?\n]+(?:[.!?]+[\"”’)]*|$)")
_ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")  # a resolved date that names a day (not "2020" or "2020-08")


def _day_before(text: str, pos: int, reference: date | None, anchor: date | None, window: int = 1500) -> date | None:
    """The last day the article names before ``pos`` within ``window`` characters: a full date, or a weekday,
    "yesterday" or a month-day resolved against the article's date ("On Saturday, …" in an article of
    Sunday 16 August 2020 is 15 August)."""
    chunk = text[max(0, pos - window):pos]
    for sentence in reversed(_SENTENCES.findall(chunk)):
        _, found = resolve_relative_dates(sentence, reference, anchor)
        days = [d for d in found if _ISO_DAY.fullmatch(d)]
        if days:
            return date.fromisoformat(days[-1])
    return None


def _clock_day(text: str, dates: list[str], doc_text: str, pos: int, reference: date | None,
               anchor: date | None) -> str:
    """"The second stage began at 6:25 p.m." -> "… at 6:25 p.m. on August 15, 2020": a time of day needs the
    day the article was telling of, when the claim gives none."""
    m = _CLOCK.search(text)
    if (not m or any(_ISO_DAY.fullmatch(d) for d in dates) or _SAME_DAY.search(text)
            or _in_quotation(text, m.start()) or re.match(r"\s*(?:on|,?\s*(?:Monday|Tuesday|Wednesday|Thursday|"
                                                             r"Friday|Saturday|Sunday))\b", text[m.end():])):
        return text
    day = _day_before(doc_text, pos, reference, anchor)
    if day is None:
        return text
    dates.append(day.isoformat())
    return f"{text[:m.end()]} on {_fmt_day(day)}{text[m.end():]}"


def _narrator(doc: Document) -> str | None:
    """The organisation an unsigned article speaks for as "we": its publisher, when the article names it and
    says "we" or "our" outside quotation marks at least three times (a press release, an organisation's blog)."""
    source = (doc.source or "").strip()
    if doc.author or not source or len(source) > 80 or source not in doc.text:
        return None
    quoted = [(m.start(), m.end()) for m in re.finditer(r"“[^”]*”?|\"[^\"]*\"?", doc.text)]
    own = 0
    for m in re.finditer(r"\b(?:[Ww]e|[Oo]ur)\b", doc.text):
        if not any(a < m.start() < b for a, b in quoted):
            own += 1
            if own >= 3:
                return source
    return None


# "Less sensible: the authority has spent …", "Background: Schools are …": the writer's label, not part of the
# claim; and a list item's bullet ("- Officials announced …")
_LABEL = re.compile(r"^(?P<label>[A-Z][a-z]+(?:\s+[a-z]+){0,2}):\s+(?=[A-Za-z])")
# "They are: Heather Grant, …", "It was: …": a sentence's own subject and verb, not a label
_NOT_A_LABEL = re.compile(r"^(?:They|It|He|She|We|I|You|This|These|Those|There|That)\b|\b(?:is|are|was|were|be|been|has|have|had)$")
# "ALBANY, NY (NEWS10) — ", "HOUSTON, Texas (KTRK) -- ", "KOBE – ", "WASHINGTON (AP) — ": the place in capitals
_DATELINE = re.compile(r"^(?:[A-Z][A-Z.'\u2019 -]{1,30}[A-Z.](?:,\s*[A-Z][A-Za-z.]*(?:\s[A-Z][A-Za-z.]*){0,2})?"
                       r"(?:\s*\([^()]{1,30}\))?|\([A-Z][^()]{0,29}\))\s*(?:\u2014|\u2013|--|-)\s+(?=[A-Z\"\u201c])")
_BULLET = re.compile(r"^[-*\u2022\u00b7\u2013]\s+(?=\S)")


def _without_label(text: str, names: frozenset[str]) -> str:
    """The claim without a newswire dateline, a list bullet and a short label before a colon; a name before a
    colon ("Reuters:") stays."""
    text = _BULLET.sub("", _DATELINE.sub("", text))
    m = _LABEL.match(text)
    if not m or m.group("label").split()[0] in names or _NOT_A_LABEL.search(m.group("label")):
        return text
    rest = text[m.end():]
    return rest[0].upper() + rest[1:]


def decontextualize(claims: list[Claim], doc: Document, *, mentions: list[Mention] | None = None) -> None:
    """Fill ``standalone`` and ``dates`` of each claim in place."""
    try:
        reference = doc.published_date
    except ValueError:
        reference = None
    if mentions is None:
        mentions = find_mentions(doc.text)
    written = _full_dates(doc.text, reference)
    narrator = _narrator(doc)
    names = frozenset(m.name.split()[0] for m in mentions if m.name)  # first words of names keep their capital
    for claim in claims:
        if claim.text != doc.text[claim.start:claim.end]:  # defensive: never trust a stale span
            claim.text = doc.text[claim.start:claim.end]
        opened = _resolve_opening(claim.text, claim.start, doc.text, mentions)
        skip = _OPENING_REFERENCE.match(claim.text).end() if opened else 0
        quoted = claim.kind == ClaimKind.QUOTED and bool(claim.attributed_to) and claim.attributed_to[:1].isupper()
        head = opened[:len(opened) - (len(claim.text) - skip)] if opened else ""
        body = name_references(claim.text, claim.start, doc.text, mentions, skip_until=skip, pronouns=not quoted,
                               already=head, narrator=narrator)
        standalone = head + body[skip:] if opened else body
        if not opened and quoted:
            # "…," she told reporters. -> "…," Lena Ortiz told reporters.
            standalone = re.sub(r"""(["”],?\s+)(?:he|she)(\s+(?:said|says|told|added|wrote|claimed|argued|insisted))\b""",
                                lambda m: m.group(1) + claim.attributed_to + m.group(2), standalone, count=1)
        standalone = _without_label(standalone, names)
        anchor = next((d for pos, d in reversed(written) if pos < claim.start), None)
        standalone, dates = resolve_relative_dates(standalone, reference, anchor)
        standalone = _clock_day(standalone, dates, doc.text, claim.start, reference, anchor)
        standalone, as_of = _as_of(standalone, reference, names)
        if as_of and as_of not in dates:
            dates.append(as_of)
        fragment = claim.text[:1].islower() or claim.text[-1:] not in ".!?\"”’"
        claim.standalone = _sentence_case(standalone) if fragment else standalone
        claim.dates = dates
