"""Plain text and Markdown readers.

Plain text may start with a header block that is stripped from the text:

* a ``date YYYY-MM-DD`` line (the publication date; when the first sentence
  follows on the same line, ``date 2023-07-25 The minister said…``, that sentence
  starts the body),
* ``key: value`` lines for title, author, date/published, url and source, and/or
* date lines: ``Published 25 July 2023``, ``July 25, 2023 · 4 min read``,
  ``Updated 25/07/2023 14:02``, ``By Jane Roe | July 25, 2023`` (a published or
  plain date beats an "updated" one; a numeric date that could be either
  day/month or month/day gives none),

ending at the first blank line (or the first line that is not a header line).
Without a header date, the lines before the body (a headline, bylines, date
lines) or a newswire dateline at the start of the body give the date
(``PORT ALDINE, March 3, 2024 — …``, ``PARIS (AP) — July 25, 2023``); they stay
in the text.  A dateline without a year (``LONDON, July 25 (Reuters) -``) takes
it from an "updated" date or a copyright line.  A date inside a sentence of the
body is never the publication date.
Without a header title, a short first line that looks like a heading is the
title (it also stays in the text).

Markdown may start with ``---`` front matter (same keys); its first ``# Heading``
is the title, and its syntax is stripped lightly, so that offsets refer to the
returned ``Document.text``.

Example::

    >>> doc = document_from_text("date 2024-03-01\\nThe dam opened in 1998.")
    >>> doc.published, doc.text
    ('2024-03-01', 'The dam opened in 1998.')
    >>> document_from_text("LONDON (Reuters), 3 March 2024 - Rain fell.").published
    '2024-03-03'
"""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any

from factdesk.errors import InputError
from factdesk.ingest._common import normalize_text, parse_date
from factdesk.types import Document

_META_FIELDS = {f.name for f in fields(Document)} - {"text"}

# header key -> Document field
HEADER_KEYS = {
    "title": "title", "headline": "title",
    "author": "author", "authors": "author", "by": "author", "byline": "author",
    "date": "published", "published": "published", "publication date": "published",
    "published date": "published", "pubdate": "published", "dated": "published",
    "url": "url", "link": "url", "source url": "url",
    "source": "source", "publisher": "source", "site": "source", "site name": "source",
}

_DATE_LINE = re.compile(r"^(?i:date)[ \t]+(\d{4}-\d{2}-\d{2})(?:[ \t]*$|[ \t]+(?P<rest>[A-Z0-9\"'“‘(].*)$)")
_KEY_LINE = re.compile(r"^([A-Za-z][A-Za-z ]{0,20}?)[ \t]*:[ \t]*(\S.*?)[ \t]*$")

_MONTHS = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
           r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE_IN_DATELINE = (
    rf"(?:{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # March 3, 2024
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS},?\s+\d{{4}}"  # 3 March 2024
    r"|\d{4}-\d{2}-\d{2})"  # 2024-03-03
)
_AGENCY = r"(?:\s*\([A-Za-z][A-Za-z .&'-]{0,30}\))"
_PLACE = (r"[A-Z][A-Z.'’\-]+(?:[ \t]+[A-Z][A-Z.'’\-]*){0,4}"  # an upper-case place name
          r"(?:,[ \t]*[A-Z][A-Za-z.]*(?:[ \t]+[A-Z][A-Za-z.]*){0,2})?")  # ", Texas" / ", Calif."
# PLACE[, REGION] [(Agency)], DATE [(Agency)] — / – / - / :
_DATELINE = re.compile(
    r"^[ \t]*(?:By [^\n]{1,60}\n+[ \t]*)?"
    + _PLACE
    + rf"{_AGENCY}?,?[ \t]+(?P<date>{_DATE_IN_DATELINE}){_AGENCY}?[ \t]*(?:[—–-]{{1,2}}|:)[ \t]"
)
# PLACE [(Agency)] — DATE, then a dash, a colon, the end of the line or the text: "PARIS (AP) — July 25, 2023"
_DATELINE_DASH_DATE = re.compile(
    r"^[ \t]*" + _PLACE
    + rf"{_AGENCY}?[ \t]*(?:[—–]|--?)[ \t]*(?P<date>{_DATE_IN_DATELINE})"
    r"(?:[ \t]*(?:[—–-]{1,2}|:)(?:[ \t]|$)|[ \t]*$|[ \t]+(?=[A-Z\"“‘']))",
    re.MULTILINE,
)
# PLACE, Month Day (Agency) - : a wire dateline without the year ("LONDON, July 25 (Reuters) -")
_DATELINE_NO_YEAR = re.compile(
    r"^[ \t]*" + _PLACE
    + rf"{_AGENCY}?,[ \t]+(?P<month>{_MONTHS})[ \t]+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?"
    + rf"(?:{_AGENCY}[ \t]*(?:[—–-]{{1,2}}|:)|[ \t]*(?:[—–]|--))[ \t]"
)

# ----------------------------------------------------------- date lines
# Lines near the top that carry the publication date: "Published: 25 July 2023",
# "July 25, 2023 · 4 min read", "Updated 25/07/2023 14:02", "By Jane Roe | July 25, 2023".

_WEEKDAY = r"(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)(?:day|nesday|urday|sday)?\.?,?[ \t]+"
_NUMERIC_DATE = r"\d{1,2}[/.]\d{1,2}[/.]\d{4}"
_ANY_DATE = rf"(?:{_WEEKDAY})?(?:{_DATE_IN_DATELINE}|{_NUMERIC_DATE})"
_TIME = (r"(?:,?[ \t]*(?:at[ \t]+)?\d{1,2}[:.]\d{2}(?::\d{2})?(?:[ \t]*[AaPp]\.?[Mm]\.?)?"
         r"(?:[ \t]*(?:[A-Z]{2,5}|(?:UTC|GMT)?[+-]\d{1,2}(?::?\d{2})?))?)?")
_SEPARATOR = r"(?:[|·•,;/]|[—–]|--?(?=[ \t]))"
_LABEL = (r"(?P<label>first[ \t]+published|published|posted|publication[ \t]+date|date|dated|"
          r"last[ \t]+updated|updated|last[ \t]+modified|modified)")
_LABELLED_DATE = re.compile(rf"^{_LABEL}(?:[ \t]+on)?[ \t]*:?[ \t]*(?P<date>{_ANY_DATE}){_TIME}[ \t]*"
                            rf"(?:$|{_SEPARATOR}[ \t]*(?P<more>.*)$)", re.IGNORECASE)
_BARE_DATE = re.compile(rf"^(?P<date>{_ANY_DATE}){_TIME}[ \t]*(?:$|(?:[|·•]|[—–]|--?(?=[ \t]))[ \t]*(?P<more>.*)$)")
_BYLINE_DATE = re.compile(
    rf"^By[ \t]+(?P<author>[^\d|·•\n]{{1,60}}?)[ \t]*{_SEPARATOR}[ \t]*"
    rf"(?:(?:{_LABEL})(?:[ \t]+on)?[ \t]*:?[ \t]*)?(?P<date>{_ANY_DATE}){_TIME}[ \t]*"
    rf"(?:$|{_SEPARATOR}[ \t]*(?P<more>.*)$)"
)
_BYLINE = re.compile(r"^By[ \t]+[A-Z][^\d\n.!?]{0,60}$")
_COPYRIGHT_YEAR = re.compile(r"(?:©|\([Cc]\)|\bCopyright\b)[ \t]*(?:©[ \t]*)?((?:19|20)\d\d)\b")
_MONTH_NUMBER = {name: i + 1 for i, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}


def _date_value(text: str) -> str | None:
    """The ISO date of a date found in a date line; numeric dates only when day and month are clear."""
    m = re.search(r"(\d{1,2})([/.])(\d{1,2})\2(\d{4})", text)
    if m:
        a, b, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if m.group(2) == "." or a > 12 >= b or a == b:  # 25.07.2023, 25/07/2023, 07/07/2023
            day, month = a, b
        elif b > 12 >= a:  # 07/25/2023
            day, month = b, a
        else:  # 05/07/2023: May 7 or 5 July? leave it
            return None
        return parse_date(f"{year:04d}-{month:02d}-{day:02d}")
    return parse_date(text)


def _label_kind(label: str | None) -> str:
    label = (label or "").lower()
    return "updated" if ("updated" in label or "modified" in label) else "published"


def _date_line(line: str) -> tuple[list[tuple[str, str]], str | None] | None:
    """``([(kind, iso date), ...], author)`` when ``line`` is a date line, else None.

    kind is "published" (a labelled publication date), "plain" (a date with no label)
    or "updated".  Only whole lines count: a date inside a sentence is not a date line.
    A date line whose date is unclear ("Updated 05/07/2023") gives no date.
    """
    line = line.strip()
    author = None
    m = _BYLINE_DATE.match(line)
    if m:
        author = _clean_meta(m.group("author"))
        kind = _label_kind(m.group("label")) if m.group("label") else "plain"
    else:
        m = _LABELLED_DATE.match(line)
        if m:
            kind = _label_kind(m.group("label"))
        else:
            m = _BARE_DATE.match(line)
            if not m:
                return None
            kind = "plain"
    found: list[tuple[str, str]] = []
    more = (m.group("more") or "").strip()
    if more:
        rest = _date_line(more)
        if rest is not None:
            found += rest[0]
            author = author or rest[1]
        elif len(more) > 40 or more.endswith((".", "!", "?")):
            return None  # "July 25, 2023 - The minister said …" is prose, not a date line
    iso = _date_value(m.group("date"))
    if iso:
        found.insert(0, (kind, iso))
    return found, author


def _choose_date(candidates: list[tuple[str, str]]) -> str | None:
    """A labelled publication date, else the first plain date, else the first 'updated' one."""
    for wanted in ("published", "plain", "updated"):
        for kind, iso in candidates:
            if kind == wanted:
                return iso
    return None


_SENTENCE_END = (".", "!", "?", ";", ",", ":", "…")


def _clean_meta(value: str) -> str | None:
    value = value.strip().strip("\"'").strip()
    return value or None


def _parse_header(text: str) -> tuple[dict[str, str], str]:
    """``(fields found, text without the header)`` for a plain-text header block.

    Header lines: ``date YYYY-MM-DD`` (the rest of that line, if any, is the first
    line of the body), ``key: value`` lines, and date lines ("Published 25 July 2023",
    "July 25, 2023 ·", "By Jane Roe | July 25, 2023", "Updated 25/07/2023 14:02").
    A labelled or plain date beats an "updated" one, whatever their order.
    """
    found: dict[str, str] = {}
    dates: list[tuple[str, str]] = []
    lines = text.split("\n")
    consumed = 0
    rest_of_line: str | None = None
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            if consumed:
                consumed = i + 1  # the blank line ends the header and goes with it
            break
        m = _DATE_LINE.match(line)
        if m and parse_date(m.group(1)):
            dates.append(("published", m.group(1)))
            consumed = i + 1
            if m.group("rest"):  # "date 2023-07-25 The minister said …": the body starts here
                rest_of_line = m.group("rest")
                break
            continue
        dated = _date_line(line)
        if dated is not None:
            dates += dated[0]
            if dated[1]:
                found.setdefault("author", dated[1])
            consumed = i + 1
            continue
        m = _KEY_LINE.match(line)
        key = HEADER_KEYS.get(m.group(1).strip().lower()) if m else None
        if m and key:
            value = _clean_meta(m.group(2))
            if key == "published":
                value = parse_date(value)
                if value is None:  # "Date: sometime" is not a header line
                    break
                dates.append(("published", value))
            elif value:
                found.setdefault(key, value)
            consumed = i + 1
            continue
        break
    if not consumed:
        return {}, text
    published = _choose_date(dates)
    if published and any(kind != "updated" for kind, _ in dates):
        found["published"] = published
    elif published:  # only an "updated" date: a dateline in the body may still give the day
        found["_updated"] = published
    body = lines[consumed:]
    if rest_of_line is not None:
        body.insert(0, rest_of_line)
    return found, "\n".join(body)


def _wire_date(line: str) -> str | None:
    m = _DATELINE.match(line) or _DATELINE_DASH_DATE.match(line)
    return parse_date(m.group("date")) if m else None


def _yearless_wire_date(line: str, reference: str | None) -> str | None:
    """ "LONDON, July 25 (Reuters) -": the year comes from ``reference`` (a later or same-year date)."""
    m = _DATELINE_NO_YEAR.match(line)
    if not m or not reference:
        return None
    month = _MONTH_NUMBER[m.group("month")[:3].lower()]
    day = int(m.group("day"))
    year, ref_month, ref_day = (int(x) for x in reference.split("-"))
    if (month, day) > (ref_month, ref_day):
        year -= 1
    return parse_date(f"{year:04d}-{month:02d}-{day:02d}")


def find_dateline_date(text: str, *, updated: str | None = None) -> str | None:
    """The ISO publication date given at the top of ``text``, or None.

    Looks at the lines before the body starts: an optional headline, bylines and date
    lines ("July 25, 2023 ·", "By Jane Roe | July 25, 2023", "Updated 25/07/2023 14:02"),
    then the first paragraph's newswire dateline ("PORT ALDINE, March 3, 2024 — …",
    "PARIS (AP) — July 25, 2023").  A date inside an ordinary sentence is never taken.
    A dateline without a year ("LONDON, July 25 (Reuters) -") takes the year of an
    "updated" date line (``updated``: one read from a header), or of a single
    copyright year in the text.  An "updated" date alone is the last resort.
    """
    lines = [line.strip() for line in text[:2000].split("\n")]
    candidates: list[tuple[str, str]] = [("updated", updated)] if updated else []
    yearless: str | None = None
    seen = 0
    for line in lines:
        if not line:
            continue
        seen += 1
        if seen > 8:
            break
        wire = _wire_date(line)
        if wire:
            candidates.append(("published", wire))
            break
        if _DATELINE_NO_YEAR.match(line):
            yearless = line
            break
        dated = _date_line(line)
        if dated is not None:
            candidates += dated[0]
            continue
        if _BYLINE.match(line) and len(line) <= 60:
            continue
        if seen == 1 and _looks_like_heading(line):
            continue
        break  # the body has started
    chosen = _choose_date(candidates)
    if chosen and any(kind != "updated" for kind, _ in candidates):
        return chosen
    if yearless:
        reference = chosen  # an "updated" date is on or after the dateline's day
        if reference is None:
            years = set(_COPYRIGHT_YEAR.findall(text))
            if len(years) == 1:
                reference = f"{years.pop()}-12-31"
        dated = _yearless_wire_date(yearless, reference)
        if dated:
            return dated
    return chosen


def _looks_like_heading(line: str) -> bool:
    return (bool(line) and len(line) <= 150 and len(line.split()) <= 20 and not line.endswith(_SENTENCE_END)
            and any(ch.isalpha() for ch in line))


def guess_title(text: str) -> str | None:
    """The first line when it looks like a heading: short, alone, no sentence punctuation."""
    first, sep, rest = text.partition("\n")
    first = first.strip()
    if not sep or not rest.strip() or not first:
        return None
    if len(first) > 150 or len(first.split()) > 20 or first.endswith(_SENTENCE_END):
        return None
    if not any(ch.isalpha() for ch in first) or _DATELINE.match(first + " ") or _wire_date(first):
        return None
    if _date_line(first) is not None or _DATELINE_NO_YEAR.match(first + " ") or _BYLINE.match(first):
        return None
    if not (first[0].isupper() or first[0].isdigit() or first[0] in "\"'“‘"):
        return None
    return first


def build_document(text: str, kind: str, parsed: dict[str, Any], meta: dict[str, Any],
                   *, dateline: bool = True, title_from_first_line: bool = True) -> Document:
    """Assemble a Document: parsed fields, then derived ones, then the caller's ``meta`` on top."""
    unknown = set(meta) - _META_FIELDS
    if unknown:
        raise TypeError(f"unknown document field(s): {', '.join(sorted(unknown))}")
    text = normalize_text(text)
    values: dict[str, Any] = {k: v for k, v in parsed.items() if v is not None}
    updated = values.pop("_updated", None)
    values["kind"] = kind
    if values.get("published"):
        values["published"] = parse_date(values["published"])
    if dateline and not values.get("published") and meta.get("published") is None:
        values["published"] = find_dateline_date(text, updated=updated)
    elif updated and not values.get("published"):
        values["published"] = updated
    if title_from_first_line and not values.get("title") and meta.get("title") is None:
        values["title"] = guess_title(text)
    for key, value in meta.items():
        if value is None:
            continue
        if key == "published":
            iso = parse_date(value)
            if iso is None:
                raise InputError(f"not a date: {value!r}", hint="give the date as YYYY-MM-DD")
            value = iso
        values[key] = str(value) if key in {"path", "url"} else value
    return Document(text=text, **values)


def document_from_text(text: str, **meta: Any) -> Document:
    """A Document from plain text, reading its header block and dateline.

    ``meta`` (path, url, title, author, published, source, kind) overrides
    what was parsed; None values are ignored.
    """
    text = normalize_text(text)
    parsed, body = _parse_header(text)
    return build_document(body, "text", parsed, meta)


# ------------------------------------------------------------------ Markdown

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_YAML_LINE = re.compile(r"^([A-Za-z][\w -]{0,30}?)[ \t]*:[ \t]*(.*?)[ \t]*$")

_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
_ATX = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_ATX_EMPTY = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*$")
_SETEXT = re.compile(r"^[ \t]{0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^[ \t]{0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_REF_DEF = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+.*$")
_QUOTE = re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+")

_HTML_BLOCKS = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]+)>")
_CODE = re.compile(r"`+([^`\n]+?)`+")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EM_UNDER = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")


def _parse_front_matter(text: str) -> tuple[dict[str, str], str]:
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    found: dict[str, str] = {}
    for line in m.group(1).split("\n"):
        lm = _YAML_LINE.match(line)
        if not lm:
            continue
        key = HEADER_KEYS.get(lm.group(1).strip().lower().replace("_", " ").replace("-", " "))
        value = _clean_meta(lm.group(2))
        if key and value and not value.startswith(("[", "{", "|", ">")):
            found.setdefault(key, value)
    return found, text[m.end():]


def _inline(line: str) -> str:
    """Strip inline Markdown: images, links, code, emphasis, escapes."""
    line = _IMAGE.sub(r"\1", line)
    line = _LINK.sub(r"\1", line)
    line = _REF_LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _CODE.sub(r"\1", line)
    line = _STRONG.sub(r"\2", line)
    line = _STRIKE.sub(r"\1", line)
    line = _EM_STAR.sub(r"\1", line)
    line = _EM_UNDER.sub(r"\1", line)
    return _ESCAPE.sub(r"\1", line)


def strip_markdown(text: str) -> tuple[str, str | None]:
    """``(plain text, first level-1 heading or None)``; light, line-based."""
    text = _HTML_BLOCKS.sub("", text)
    text = _HTML_COMMENT.sub("", text)
    lines = text.split("\n")
    out: list[str] = []
    title: str | None = None
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            out.append(line)
            continue
        m = _ATX.match(line)
        if m:
            heading = _inline(_HTML_TAG.sub("", m.group(2))).strip()
            if title is None and len(m.group(1)) == 1 and heading:
                title = heading
            out.append(heading)
            continue
        if _ATX_EMPTY.match(line):
            out.append("")
            continue
        setext = _SETEXT.match(line)
        if setext and out and out[-1].strip() and (i == 0 or lines[i - 1].strip()):
            if title is None and setext.group(1).startswith("=") and not out[-1].lstrip().startswith(("-", "*")):
                title = out[-1].strip()
            out.append("")
            continue
        if _RULE.match(line) or _REF_DEF.match(line):
            out.append("")
            continue
        line = _QUOTE.sub("", line)
        line = _HTML_TAG.sub("", line)
        out.append(_inline(line))
    return "\n".join(out), title


def document_from_markdown(text: str, **meta: Any) -> Document:
    """A Document from Markdown: front matter, first ``# Heading`` as title, syntax stripped.

    A plain-text header block (``date YYYY-MM-DD`` …) is also read when there
    is no front matter.
    """
    text = normalize_text(text)
    parsed, body = _parse_front_matter(text)
    if not parsed and body is text:
        parsed, body = _parse_header(text)
    plain, heading = strip_markdown(body)
    if heading and not parsed.get("title"):
        parsed["title"] = heading
    return build_document(plain, "markdown", parsed, meta)


__all__ = ["document_from_text", "document_from_markdown", "find_dateline_date", "guess_title",
           "strip_markdown", "HEADER_KEYS"]
