"""Plain text and Markdown readers.

Plain text may start with a header block that is stripped from the text:

* a ``date YYYY-MM-DD`` line (the publication date), and/or
* ``key: value`` lines for title, author, date/published, url and source,

ending at the first blank line (or the first line that is not a header line).
Without a header date, a newswire dateline at the start of the body gives the
date (``PORT ALDINE, March 3, 2024 — …``); the dateline stays in the text.
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

_DATE_LINE = re.compile(r"^date[ \t]+(\d{4}-\d{2}-\d{2})[ \t]*$", re.IGNORECASE)
_KEY_LINE = re.compile(r"^([A-Za-z][A-Za-z ]{0,20}?)[ \t]*:[ \t]*(\S.*?)[ \t]*$")

_MONTHS = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
           r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE_IN_DATELINE = (
    rf"(?:{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # March 3, 2024
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS},?\s+\d{{4}}"  # 3 March 2024
    r"|\d{4}-\d{2}-\d{2})"  # 2024-03-03
)
_AGENCY = r"(?:\s*\([A-Za-z][A-Za-z .&'-]{0,30}\))"
# PLACE[, REGION] [(Agency)], DATE [(Agency)] — / – / - / :
_DATELINE = re.compile(
    r"^[ \t]*(?:By [^\n]{1,60}\n+[ \t]*)?"
    r"[A-Z][A-Z.'’\-]*(?:[ \t]+[A-Z][A-Z.'’\-]*){0,4}"  # an upper-case place name
    r"(?:,[ \t]*[A-Z][A-Za-z.]*(?:[ \t]+[A-Z][A-Za-z.]*){0,2})?"  # ", Texas" / ", Calif."
    rf"{_AGENCY}?,?[ \t]+(?P<date>{_DATE_IN_DATELINE}){_AGENCY}?[ \t]*(?:[—–-]{{1,2}}|:)[ \t]"
)

_SENTENCE_END = (".", "!", "?", ";", ",", ":", "…")


def _clean_meta(value: str) -> str | None:
    value = value.strip().strip("\"'").strip()
    return value or None


def _parse_header(text: str) -> tuple[dict[str, str], str]:
    """``(fields found, text without the header)`` for a plain-text header block."""
    found: dict[str, str] = {}
    lines = text.split("\n")
    consumed = 0
    for i, line in enumerate(lines):
        if not line.strip():
            if consumed:
                consumed = i + 1  # the blank line ends the header and goes with it
            break
        m = _DATE_LINE.match(line)
        if m and parse_date(m.group(1)):
            found.setdefault("published", m.group(1))
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
            if value:
                found.setdefault(key, value)
            consumed = i + 1
            continue
        break
    if not consumed:
        return {}, text
    return found, "\n".join(lines[consumed:])


def find_dateline_date(text: str) -> str | None:
    """The ISO date of a newswire dateline at the start of ``text`` (first two lines), or None."""
    head = text[:600]
    candidates = [head]
    first_break = head.find("\n")
    if first_break != -1:  # a headline line, then the dateline
        candidates.append(head[first_break:].lstrip("\n"))
    for chunk in candidates:
        m = _DATELINE.match(chunk)
        if m:
            return parse_date(m.group("date"))
    return None


def guess_title(text: str) -> str | None:
    """The first line when it looks like a heading: short, alone, no sentence punctuation."""
    first, sep, rest = text.partition("\n")
    first = first.strip()
    if not sep or not rest.strip() or not first:
        return None
    if len(first) > 150 or len(first.split()) > 20 or first.endswith(_SENTENCE_END):
        return None
    if not any(ch.isalpha() for ch in first) or _DATELINE.match(first + " "):
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
    values["kind"] = kind
    if values.get("published"):
        values["published"] = parse_date(values["published"])
    if dateline and not values.get("published") and meta.get("published") is None:
        values["published"] = find_dateline_date(text)
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
