"""Import earlier fact-checks (ClaimReview records) from files, folders and URLs.

Formats, recognised by extension, HTTP content type or content:

* **schema.org ClaimReview JSON-LD**: standalone ``.json``/``.jsonld`` files or
  ``<script type="application/ld+json">`` blocks in HTML pages (any number per
  page).  A block may hold one object, an array or a ``@graph``; ``@type`` may
  be a string or a list (``"ClaimReview"``, ``"schema:ClaimReview"`` and
  ``"http://schema.org/ClaimReview"`` all count); ClaimReviews nested in other
  nodes (``mainEntity``, ``review`` …) are found too, and ``{"@id": …}``
  references (``author``, ``itemReviewed`` …) are resolved within the
  document.  ``itemReviewed`` may be a Claim or a CreativeWork, ``author`` an
  object, an array or a string, ``reviewRating`` an object or an array.
  Nodes of other types (Organization, BreadcrumbList …) are ignored.
* **Google Fact Check Tools** ``claims:search`` responses:
  ``{"claims": [{"text", "claimant", "claimDate", "claimReview": [...]}]}``;
  each entry of ``claimReview`` becomes one record.
* **CSV** (comma, semicolon or tab separated, any column order) with a header
  row naming a claim column and a URL or rating column; common spellings are
  understood (``claim``/``claim text``/``claimReviewed``/``statement``,
  ``rating``/``verdict``/``textualRating``, ``url``/``review url``/``link``,
  ``publisher``/``fact checker``, ``date``/``review date``/``datePublished``,
  ``claim date``, ``claimant``/``speaker``, ``language``/``lang``, ``title``/
  ``headline``; see :data:`CSV_COLUMNS`).

Lenient, loss-free reading
--------------------------
A record is **rejected** only when it has no usable claim text, or neither a
rating nor a usable review URL; the reason is reported in
``ImportStats.invalid`` as ``(position, reason)``.  Every other field is
optional: a value that cannot be used (a date nobody can read, a rating node
without a name or value, a relative URL next to a rating …) is dropped, the
record is kept, and ``ImportStats.warnings`` gets ``(position, field,
reason)``, with the field spelled as in the source (``datePublished``,
``itemReviewed.datePublished``, Google's ``reviewDate``, a CSV column as in
its header).  Dates are read by :func:`parse_date` (ISO with or without
time and zone, ``YYYY-M-D``, ``M/D/YY``, written dates, Unix time).  A URL
without a scheme (``www.fc.example/x``, ``//fc.example/x``) gets ``https://``
with a warning; HTML character references in text (``&quot;``, ``&#8217;``)
are decoded.  JSON-LD with the usual hand-made breakage (trailing commas, raw
line breaks in strings, an HTML comment or CDATA wrapper, two objects in one
block) is repaired with a warning; a block that cannot be read at all (cut
off) is one invalid entry.

Positions are ``"<file or URL>: block 2"`` / ``"block 2 item 3"`` (HTML:
block = the n-th ld+json script, from 1; item = the n-th ClaimReview found in
it), ``"item 3"`` (standalone JSON-LD), ``"claims[4].claimReview[0]"``
(Google, 0-based like the JSON) or ``"row 5"`` (CSV: data rows from 1, header
excluded).

Records are stored deduplicated by URL + normalised claim text, so
re-importing is idempotent (the second run reports them as duplicates).  A
record without a URL (allowed when it has a rating) is stored with an empty
``url`` and an id from publisher + normalised claim + rating instead: stable
across imports, and different from every URL record's id.

URLs are fetched through :func:`factdesk.ingest.url.fetch` (the SSRF guard;
``allow_private`` is passed through).

Example::

    with Store.open("fd.db") as store:
        stats = import_reviews(store, ["factchecks/", "https://fc.example/page.html"])
        print(stats.imported, stats.duplicates, stats.invalid, stats.warnings)
"""

from __future__ import annotations

import codecs
import csv
import html as _html
import io
import json
import math
import re
import stat
import warnings as _warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Union

from factdesk.errors import InputError
from factdesk.match.reviews import Review, add_reviews, normalise_claim
from factdesk.store.sqlite import Store
from factdesk.types import content_id

EXTENSIONS = {".json": "json", ".jsonld": "json", ".html": "html", ".htm": "html", ".csv": "csv"}
MIN_YEAR, MAX_YEAR = 1900, 2100


class InvalidRecord(ValueError):
    """A record that cannot be imported; the message is the reason."""


class BadField(InvalidRecord):
    """A field value that cannot be used; the message is the reason.

    Raised by :func:`parse_date`; the importer drops such a field with a
    warning and keeps the record.  (A subclass of InvalidRecord so that code
    written for the strict importer still catches it.)
    """


@dataclass(frozen=True)
class FieldWarning:
    """An optional field dropped (or repaired) in the record at the same position."""

    field: str
    reason: str


Parsed = Union[Review, InvalidRecord, FieldWarning]


@dataclass
class ImportStats:
    imported: int = 0
    duplicates: int = 0
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (position, reason)
    sources: int = 0  # files or URLs read
    warnings: list[tuple[str, str, str]] = field(default_factory=list)  # (position, field, reason)

    def to_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "duplicates": self.duplicates, "sources": self.sources,
                "invalid": [{"position": p, "reason": r} for p, r in self.invalid],
                "warnings": [{"position": p, "field": f, "reason": r} for p, f, r in self.warnings]}


# -- dates ----------------------------------------------------------------------------------------------------
_YMD = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:(?:T|\s+|,\s*)(.+))?$", re.I)
_YM = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_MDY = re.compile(r"^(\d{1,2})([/-])(\d{1,2})\2(\d{4}|\d{2})(?:(?:\s+|,\s*|T)(.+))?$", re.I)
_DMY_DOTS = re.compile(r"^(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})(?:(?:\s+|,\s*)(.+))?$")
_TIME = re.compile(r"^\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?\s*(?:[ap]\.?m\.?)?\s*"
                   r"(?:Z|[A-Z]{2,5}|(?:UTC|GMT)?\s*[+-]\d{1,2}(?::?\d{2})?)?$", re.I)


def _check_year(y: int, value: Any) -> None:
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise BadField(f"bad date {value!r}: year {y} outside {MIN_YEAR}..{MAX_YEAR}")


def _ymd(y: int, m: int, d: int, value: Any) -> str:
    _check_year(y, value)
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        raise BadField(f"bad date {value!r}: no such day") from None


def _two_digit_year(yy: str) -> int:
    y = int(yy)
    if len(yy) == 4:
        return y
    return 2000 + y if y < 69 else 1900 + y  # POSIX %y: 69..99 -> 19xx, 00..68 -> 20xx


def _timestamp(v: float, value: Any) -> str:
    if math.isnan(v) or math.isinf(v):
        raise BadField(f"bad date {value!r}")
    seconds = v / 1000 if abs(v) >= 1e11 else v  # 12+ digits: milliseconds
    try:
        d = datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise BadField(f"bad date {value!r}: not a Unix time") from None
    _check_year(d.year, value)
    return d.date().isoformat()


def _time_tail_ok(tail: str | None) -> bool:
    return tail is None or bool(_TIME.match(tail.strip()))


def _written_date(v: str, value: Any) -> str:
    """Written dates ("March 1, 2017", "1 March 2017", RFC 2822 …) through dateutil; the year must be written."""
    if not re.search(r"(?<!\d)\d{4}(?!\d)", v):
        raise BadField(f"bad date {value!r}: no four-digit year")
    from dateutil import parser as dateparser

    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            first = dateparser.parse(v, default=datetime(2000, 1, 1), ignoretz=True)
            second = dateparser.parse(v, default=datetime(2004, 3, 3), ignoretz=True)
    except (ValueError, OverflowError, TypeError, LookupError):
        raise BadField(f"bad date {value!r}: not a date") from None
    if first.year != second.year:
        raise BadField(f"bad date {value!r}: no year")
    _check_year(first.year, value)
    if first.month != second.month:
        return f"{first.year:04d}"
    if first.day != second.day:
        return f"{first.year:04d}-{first.month:02d}"
    return first.date().isoformat()


def parse_date(value: Any) -> str | None:
    """A date in any common real-world form -> ISO ``YYYY-MM-DD`` (``YYYY-MM``/``YYYY`` when only that is given).

    None or empty -> None.  Accepted:

    * ISO and near-ISO: ``2017-03-01``, ``2020-10-9``, ``2017/03/01``, with a
      time and zone after a ``T`` or a space (``2017-03-01 20:30:17 UTC``,
      ``2017-03-01T20:30:17.000-05:00``): the date is the one written, not
      converted to UTC; ``2017-03``, ``2017-3``, ``2017``;
    * ``M/D/YY`` and ``M/D/YYYY`` (also with ``-``), read month first as US
      fact-checkers write them (``6/14/20`` is 2020-06-14); only when the first
      number cannot be a month (13..31) is it read day first; two-digit years
      are 1969..2068 (POSIX ``%y``); ``D.M.YYYY`` is read day first;
    * written dates: "March 1, 2017", "Mar. 1st, 2017", "1 March 2017",
      "Wed, 01 Mar 2017 20:30:17 GMT", "March 2017" (-> ``2017-03``); the year
      must be written out in four digits;
    * Unix time: an int or float (from 1e8, i.e. 1973, up to 1e13), or an
      all-digit string of 9 to 13 digits, in seconds, or milliseconds from 12
      digits (1e11) on; the UTC date is returned.  An int from 1900 to 2100 is
      a year; ``YYYYMMDD`` (8 digits) is a compact date.

    Impossible dates (2021-02-30, 13/13/2020) and years outside 1900..2100
    raise :class:`BadField` (an :class:`InvalidRecord`): nothing is guessed.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadField(f"bad date {value!r}")
    if isinstance(value, datetime):
        _check_year(value.year, value)
        return value.date().isoformat()
    if isinstance(value, date):
        _check_year(value.year, value)
        return value.isoformat()
    if isinstance(value, (int, float)):
        if isinstance(value, int) and MIN_YEAR <= value <= MAX_YEAR:
            return f"{value:04d}"
        if not 1e8 <= value < 1e13:  # 0, small counters, -1 sentinels: not a time anybody meant
            raise BadField(f"bad date {value!r}: not a plausible Unix time")
        return _timestamp(float(value), value)
    if not isinstance(value, str):
        raise BadField(f"bad date {value!r}: not a date")
    v = " ".join(value.split())
    if not v:
        return None
    if v.isdigit():
        if len(v) == 4:
            _check_year(int(v), value)
            return v
        if len(v) == 8:
            return _ymd(int(v[:4]), int(v[4:6]), int(v[6:]), value)
        if 9 <= len(v) <= 13:
            return _timestamp(float(v), value)
        raise BadField(f"bad date {value!r}: not a date")
    m = _YMD.match(v)
    if m and _time_tail_ok(m.group(5)):
        return _ymd(int(m.group(1)), int(m.group(3)), int(m.group(4)), value)
    m = _YM.match(v)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        _check_year(y, value)
        if not 1 <= mo <= 12:
            raise BadField(f"bad date {value!r}: no such month")
        return f"{y:04d}-{mo:02d}"
    m = _MDY.match(v)
    if m and _time_tail_ok(m.group(5)):
        a, b, y = int(m.group(1)), int(m.group(3)), _two_digit_year(m.group(4))
        if a > 12 and b <= 12:  # cannot be a month: the only reading is day first
            a, b = b, a
        return _ymd(y, a, b, value)
    m = _DMY_DOTS.match(v)
    if m and _time_tail_ok(m.group(4)):
        return _ymd(_two_digit_year(m.group(3)), int(m.group(2)), int(m.group(1)), value)
    if re.match(r"^\d{1,4}([-/.])\d{1,2}\1\d{1,4}", v):  # numeric but none of the forms above
        raise BadField(f"bad date {value!r}: not a date")
    return _written_date(v, value)


# -- small field helpers ------------------------------------------------------------------------------
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});", re.I)


def _unescape(text: str) -> str:
    """HTML character references (``&quot;``, ``&#8217;``) that CMSs leave in JSON-LD text."""
    return _ENTITY.sub(lambda m: _html.unescape(m.group(0)), text) if "&" in text else text


def _text(value: Any) -> str | None:
    """A string field that may come as a string, a number, a {name: ...} object or a list of those."""
    if value is None:
        return None
    if isinstance(value, list):
        for v in value:
            t = _text(v)
            if t:
                return t
        return None
    if isinstance(value, dict):
        for key in ("name", "alternateName", "@value", "text", "legalName"):
            if value.get(key):
                return _text(value[key])
        given = " ".join(filter(None, (_text(value.get("givenName")), _text(value.get("familyName")))))
        return given or None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        t = " ".join(_unescape(value).split())
        return t or None
    return None


def _absent(value: Any) -> bool:
    """Missing rather than malformed: None, an empty or blank string, an empty list or object."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, dict)):
        return not value
    return False


def _describe(value: Any) -> str:
    r = repr(value)
    return r if len(r) <= 80 else r[:77] + "..."


def _claim(value: Any) -> str:
    c = _text(value)
    if not c or not re.search(r"\w", c):
        raise InvalidRecord("missing claimReviewed (the claim text)")
    return c


_URL = re.compile(r"^https?://[^\s/?#]+", re.I)
_BARE_HOST = re.compile(r"^(?:www\.[^\s/]+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?::\d+)?/)", re.I)


def _url(value: Any) -> tuple[str, str | None]:
    """``(absolute http(s) URL, repair note or None)``; BadField when the value is no usable URL."""
    u = _text(value) if not isinstance(value, dict) else _text(value.get("url") or value.get("@id"))
    if not u:
        raise BadField(f"{_describe(value)} is not a URL")
    if isinstance(value, str):  # as written: no entity decoding, inner spaces encoded
        u = re.sub(r"\s+", "%20", value.strip())
    if _URL.match(u):
        return u, None
    if u.startswith("//") and _URL.match("https:" + u):
        return "https:" + u, "no scheme: https assumed"
    if _BARE_HOST.match(u):
        return "https://" + u, "no scheme: https assumed"
    raise BadField(f"url {u!r} is not an absolute http(s) URL")


class _Fields:
    """The optional fields of one record: a value that cannot be used is dropped with a warning."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.warnings: list[FieldWarning] = []
        self.url_problem: str | None = None

    def warn(self, name: str, reason: str) -> None:
        self.warnings.append(FieldWarning(name, reason))

    def _set(self, key: str, name: str, raw: Any, read: Callable[[Any], Any]) -> Any:
        if _absent(raw) or self.values.get(key) is not None:
            return self.values.get(key)
        try:
            v = read(raw)
        except BadField as exc:
            self.warn(name, str(exc))
            return None
        if v is None:
            self.warn(name, f"{_describe(raw)} holds no usable value")
        else:
            self.values[key] = v
        return v

    def text(self, key: str, name: str, raw: Any) -> Any:
        return self._set(key, name, raw, _text)

    def date(self, key: str, name: str, raw: Any) -> Any:
        def read(v: Any) -> str | None:
            if isinstance(v, list):
                v = next((x for x in v if not _absent(x)), None)
            if isinstance(v, dict):
                v = v.get("@value") if "@value" in v else v.get("datePublished", v)
            return parse_date(v)

        return self._set(key, name, raw, read)

    def url(self, name: str, raw: Any) -> str | None:
        if _absent(raw) or self.values.get("url"):
            return self.values.get("url")
        try:
            u, note = _url(raw)
        except BadField as exc:
            self.warn(name, str(exc))
            self.url_problem = self.url_problem or str(exc)
            return None
        if note:
            self.warn(name, f"{note} ({u})")
        self.values["url"] = u
        return u

    def rating(self, name: str, raw: Any) -> Any:
        return self._set("rating", name, raw, _rating)

    def review(self, claim: str, source: str | None, raw: Any) -> Review:
        """The record; InvalidRecord when it has neither a rating nor a URL."""
        v = self.values
        url = v.pop("url", None)
        if not url and not v.get("rating"):
            raise InvalidRecord("no rating and no usable URL"
                                + (f" ({self.url_problem})" if self.url_problem else ""))
        if url:
            return Review(claim=claim, url=url, source=source, raw=raw, **v)
        # no URL: publisher + claim + rating identify the review (stable; never equal to a URL record's id)
        rid = content_id("no-url", _fold(v.get("publisher")), normalise_claim(claim), _fold(v.get("rating")),
                         prefix="fc")
        return Review(claim=claim, url="", source=source, raw=raw, id=rid, **v)

    def emit(self, pos: str, review: Review) -> Iterator[tuple[str, Parsed]]:
        for w in self.warnings:
            yield pos, w
        yield pos, review


def _fold(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


# -- ClaimReview JSON-LD --------------------------------------------------------------------------
def _is_claim_review(node: dict[str, Any]) -> bool:
    types = node.get("@type")
    types = types if isinstance(types, list) else [types]
    for t in types:
        if isinstance(t, str) and re.split(r"[/:#]", t)[-1] == "ClaimReview":
            return True
    return False


def find_claim_reviews(data: Any) -> list[dict[str, Any]]:
    """Every ClaimReview node in a JSON-LD document (object, array, @graph, nested), in document order."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            if _is_claim_review(node):
                found.append(node)
                return
            for v in node.values():
                if isinstance(v, (list, dict)):
                    walk(v)

    walk(data)
    return found


def node_index(data: Any) -> dict[str, dict[str, Any]]:
    """``@id`` -> node for every node in a document that says more than its ``@id`` (for resolving references)."""
    index: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            nid = node.get("@id")
            if isinstance(nid, str) and set(node) - {"@id", "@type"}:
                index.setdefault(nid, node)
            for v in node.values():
                if isinstance(v, (list, dict)):
                    walk(v)

    walk(data)
    return index


def _resolve(value: Any, refs: dict[str, dict[str, Any]] | None) -> Any:
    if not refs:
        return value
    if isinstance(value, list):
        return [_resolve(v, refs) for v in value]
    if isinstance(value, dict) and isinstance(value.get("@id"), str) and not set(value) - {"@id", "@type"}:
        return refs.get(value["@id"], value)
    return value


def _rating(node: Any) -> str | None:
    if isinstance(node, list):
        for n in node:
            r = _rating(n)
            if r:
                return r
        return None
    if not isinstance(node, dict):
        return _text(node)
    name = _text(node.get("alternateName")) or _text(node.get("name"))
    if name:
        return name
    value = _text(node.get("ratingValue"))
    if value is None:
        return None
    best = _text(node.get("bestRating"))
    return f"{value}/{best}" if best else value


def _first_node(value: Any) -> Any:
    if isinstance(value, list):
        return next((v for v in value if not _absent(v)), None)
    return value


def _jsonld_record(node: dict[str, Any], refs: dict[str, dict[str, Any]] | None = None) -> tuple[str, _Fields]:
    """(claim, fields) of one ClaimReview node; InvalidRecord when it has no claim text."""
    claim = _claim(node.get("claimReviewed"))
    f = _Fields()
    f.url("url", node.get("url"))
    for alt in ("mainEntityOfPage", "@id"):
        if not f.values.get("url"):
            cand = node.get(alt)
            cand = cand.get("@id") or cand.get("url") if isinstance(cand, dict) else cand
            if isinstance(cand, str) and _URL.match(cand.strip()):
                f.values["url"] = cand.strip()
    f.rating("reviewRating", _resolve(node.get("reviewRating"), refs))

    for name in ("author", "publisher"):
        value = _resolve(node.get(name), refs)
        if f.values.get("publisher") is None and f.text("publisher", name, value) is not None:
            who = _first_node(_resolve(value, refs))
            if isinstance(who, dict) and not _absent(who.get("url")):
                f.text("publisher_site", f"{name}.url", who.get("url"))

    f.date("date", "datePublished", node.get("datePublished"))
    item = _resolve(node.get("itemReviewed"), refs)
    item = _first_node(item)
    if isinstance(item, dict):
        f.text("claimant", "itemReviewed.author", _resolve(item.get("author") or item.get("creator"), refs))
        f.date("claim_date", "itemReviewed.datePublished", item.get("datePublished"))
        appearance = _resolve(_first_node(item.get("firstAppearance") or item.get("appearance")), refs)
        if isinstance(appearance, dict):
            f.date("claim_date", "itemReviewed.firstAppearance.datePublished", appearance.get("datePublished"))
    elif not _absent(item):
        f.warn("itemReviewed", f"{_describe(item)} is not a Claim or CreativeWork object (claimant, claim date "
                               "not read)")

    lang = _first_node(node.get("inLanguage"))
    if isinstance(lang, dict):
        lang = lang.get("alternateName") or lang.get("name") or lang.get("@value") or lang
    f.text("language", "inLanguage", lang)
    f.text("title", "headline", node.get("headline"))
    f.text("title", "name", node.get("name"))
    return claim, f


def review_from_jsonld(node: dict[str, Any], source: str | None = None, *,
                       refs: dict[str, dict[str, Any]] | None = None,
                       warnings: list[FieldWarning] | None = None) -> Review:
    """A :class:`Review` from one ClaimReview node.

    InvalidRecord when it has no claim text or neither a rating nor a URL;
    fields that cannot be used are left out and, when ``warnings`` is given,
    appended to it.  ``refs`` (:func:`node_index`) resolves ``{"@id": …}``
    references.
    """
    claim, f = _jsonld_record(node, refs)
    review = f.review(claim, source, node)
    if warnings is not None:
        warnings.extend(f.warnings)
    return review


# -- Google Fact Check Tools claims:search ------------------------------------------------------------
def is_google_shape(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("claims"), list) and "@type" not in data


def reviews_from_google(data: dict[str, Any], source: str) -> Iterator[tuple[str, Parsed]]:
    for i, claim in enumerate(data.get("claims") or []):
        pos = f"{source}: claims[{i}]"
        if not isinstance(claim, dict):
            yield pos, InvalidRecord("claim entry is not an object (no claim text)")
            continue
        reviews = claim.get("claimReview")
        reviews = [reviews] if isinstance(reviews, dict) else reviews
        if not isinstance(reviews, list) or not reviews:
            try:
                _claim(claim.get("text"))
                yield pos, InvalidRecord("no claimReview entries: no rating and no URL")
            except InvalidRecord as exc:
                yield pos, exc
            continue
        for j, rv in enumerate(reviews):
            p = f"{pos}.claimReview[{j}]"
            try:
                text = _claim(claim.get("text"))
                if not isinstance(rv, dict):
                    raise InvalidRecord("claimReview entry is not an object: no rating and no URL")
                f = _Fields()
                f.url("url", rv.get("url"))
                f.rating("textualRating", rv.get("textualRating"))
                pub = rv.get("publisher")
                if isinstance(pub, dict):
                    f.text("publisher", "publisher.name", pub.get("name"))
                    f.text("publisher_site", "publisher.site", pub.get("site"))
                else:
                    f.text("publisher", "publisher", pub)
                f.text("claimant", "claimant", claim.get("claimant"))
                f.date("claim_date", "claimDate", claim.get("claimDate"))
                f.date("date", "reviewDate", rv.get("reviewDate"))
                f.text("language", "languageCode", rv.get("languageCode"))
                f.text("title", "title", rv.get("title"))
                raw = {"claim": {k: v for k, v in claim.items() if k != "claimReview"}, "claimReview": rv}
                review = f.review(text, source, raw)
            except InvalidRecord as exc:
                yield p, exc
                continue
            yield from f.emit(p, review)


# -- CSV ---------------------------------------------------------------------------------------------------
#: Review field -> accepted header spellings, lower case with everything but letters and digits removed
#: ("Claim Text", "claim_text" and "claimText" are all "claimtext"), in order of preference.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "claim": ("claim", "claimreviewed", "claimtext", "claimstatement", "statement", "claimreviewedtext",
              "text"),
    "rating": ("rating", "textualrating", "claimreviewtextualrating", "verdict", "ruling", "truthrating",
               "reviewrating", "ratingname", "ratingalternatename", "rate", "label", "conclusion"),
    "url": ("url", "reviewurl", "claimreviewurl", "factcheckurl", "factchecklink", "articleurl",
            "reviewlink", "link", "permalink", "href"),
    "publisher": ("publisher", "publishername", "claimreviewpublishername", "factchecker", "factcheckedby",
                  "reviewer", "organisation", "organization", "sitename", "reviewauthor"),
    "publisher_site": ("publishersite", "claimreviewpublishersite", "site", "publisherurl", "domain",
                       "website"),
    "date": ("date", "reviewdate", "claimreviewreviewdate", "datepublished", "publisheddate", "published",
             "publicationdate", "factcheckdate", "reviewdatepublished", "dateofreview"),
    "claim_date": ("claimdate", "dateclaimed", "claimdatepublished", "statementdate", "datestated",
                   "claimmadeon", "claimmade"),
    "claimant": ("claimant", "speaker", "claimauthor", "saidby", "claimby", "whosaidit", "claimsource"),
    "language": ("language", "lang", "languagecode", "claimreviewlanguagecode", "inlanguage", "locale"),
    "title": ("title", "headline", "reviewtitle", "claimreviewtitle", "articletitle", "reviewheadline"),
}
_CSV_DATES = {"date", "claim_date"}


def _header_key(h: str) -> str:
    return re.sub(r"[^0-9a-z]", "", h.replace("\ufeff", "").strip().lower())


def _csv_delimiter(text: str) -> str:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    outside = re.sub(r'"[^"]*"', "", first)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_columns(header: Sequence[str]) -> dict[str, list[int]]:
    """Review field -> indices of the header columns that hold it (in order of preference)."""
    keys = [_header_key(h) for h in header]
    out: dict[str, list[int]] = {}
    taken: set[int] = set()
    for fld, names in CSV_COLUMNS.items():
        idx = [i for name in names for i, k in enumerate(keys) if k == name and i not in taken]
        if idx:
            out[fld] = idx
            taken.update(idx)
    return out


def reviews_from_csv(text: str, source: str) -> Iterator[tuple[str, Parsed]]:
    if "\x00" in text[:65536]:
        raise InputError(f"{source}: binary data, not a CSV file")
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    try:
        yield from _csv_records(text, source)
    except csv.Error as exc:  # an unterminated quote, a cell over the limit …: the rows before it are kept
        yield source, InvalidRecord(f"CSV stopped being readable: {exc}")


def _csv_records(text: str, source: str) -> Iterator[tuple[str, Parsed]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=_csv_delimiter(text))
    header = next(reader, None)
    header = [h.replace("\ufeff", "").strip() for h in header] if header else []
    cols = csv_columns(header)
    if "claim" not in cols or not ({"url", "rating"} & set(cols)):
        raise InputError(f"{source}: the CSV needs a header row with a claim column and a url or rating column",
                         hint="columns such as: claim, rating, url, publisher, date, claim_date, claimant, "
                              "language, title (any order; 'claim text', 'verdict', 'review url' … work too)")
    for n, row in enumerate(reader, 1):
        pos = f"{source}: row {n}"
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            if any(c.strip() for c in row[len(header):]):
                yield pos, InvalidRecord(f"{len(row)} fields but the header has {len(header)} (the columns are "
                                         "shifted, so the claim text cannot be trusted)")
                continue
            row = row[:len(header)]
        cells = [c.strip() for c in row] + [""] * (len(header) - len(row))

        def cell(fld: str) -> tuple[str, str]:
            for i in cols.get(fld, []):
                if cells[i]:
                    return header[i], cells[i]
            return (header[cols[fld][0]] if fld in cols else fld), ""

        try:
            claim = _claim(cell("claim")[1])
        except InvalidRecord as exc:
            yield pos, exc
            continue
        f = _Fields()
        f.url(*cell("url"))
        f.rating(*cell("rating"))
        for fld in ("publisher", "publisher_site", "claimant", "language", "title"):
            f.text(fld, *cell(fld))
        for fld in ("date", "claim_date"):
            f.date(fld, *cell(fld))
        raw = {h: c for h, c in zip(header, cells) if c}
        try:
            review = f.review(claim, source, raw)
        except InvalidRecord as exc:
            yield pos, exc
            continue
        yield from f.emit(pos, review)


# -- JSON and HTML -----------------------------------------------------------------------------------
def _drop_trailing_commas(text: str) -> str:
    out: list[str] = []
    in_str = esc = False
    n = len(text)
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch == ",":
            j = i + 1
            while j < n and text[j].isspace():
                j += 1
            if j < n and text[j] in "}]":
                continue
        out.append(ch)
    return "".join(out)


_WRAPPER_HEAD = re.compile(r"^\s*(?://\s*)?(?:<!--|<!\[CDATA\[)\s*")
_WRAPPER_TAIL = re.compile(r"\s*(?://\s*)?(?:-->|\]\]>)\s*$")


def _decode_docs(text: str, strict: bool) -> list[Any]:
    """Every JSON document in ``text`` (one, or several side by side, optionally comma separated)."""
    decoder = json.JSONDecoder(strict=strict)
    docs, i, n = [], 0, len(text)
    while True:
        while i < n and (text[i].isspace() or (docs and text[i] == ",")):
            i += 1
        if i >= n:
            break
        doc, i = decoder.raw_decode(text, i)
        docs.append(doc)
    if not docs:
        raise json.JSONDecodeError("Expecting value", text, 0)
    return docs


def load_json_lenient(text: str) -> tuple[Any, list[str]]:
    """``(data, repairs)``: :func:`json.loads`, then the usual breakage of hand-made JSON-LD repaired.

    Repairs, each named in ``repairs``: an HTML comment or CDATA wrapper
    removed, trailing commas dropped, raw line breaks/tabs inside strings
    accepted, several JSON documents side by side read as a list.  Raises the
    :class:`json.JSONDecodeError` of the most lenient reading when nothing helps.
    """
    try:
        return json.loads(text), []
    except json.JSONDecodeError as exc:
        last = exc
    t = text.strip().lstrip("\ufeff")
    unwrapped = _WRAPPER_TAIL.sub("", _WRAPPER_HEAD.sub("", t))
    wrapper = ["HTML comment/CDATA wrapper removed"] if unwrapped != t else []
    no_commas = _drop_trailing_commas(unwrapped)
    candidates = [(unwrapped, [])] + ([(no_commas, ["trailing commas dropped"])] if no_commas != unwrapped else [])
    for cand, notes in candidates:
        for strict in (True, False):
            try:
                docs = _decode_docs(cand, strict)
            except json.JSONDecodeError as exc:
                last = exc
                continue
            repairs = wrapper + notes + ([] if strict else ["raw line breaks or tabs inside strings accepted"])
            if len(docs) > 1:
                repairs.append(f"{len(docs)} JSON documents side by side read as a list")
            if not repairs:  # only surrounding whitespace: nothing was wrong
                return docs[0], []
            return (docs[0] if len(docs) == 1 else docs), repairs
    raise last


def _json_error(exc: json.JSONDecodeError) -> str:
    msg = re.sub(r"\s+at$", "", exc.msg)  # "Invalid control character at"
    return f"{msg} at line {exc.lineno} column {exc.colno}"


def _from_jsonld_data(data: Any, source: str, prefix: str) -> Iterator[tuple[str, Parsed]]:
    nodes = find_claim_reviews(data)
    refs = node_index(data)
    for j, node in enumerate(nodes, 1):
        if prefix:
            pos = prefix if len(nodes) == 1 else f"{prefix} item {j}"
        else:
            pos = f"item {j}"
        try:
            claim, f = _jsonld_record(node, refs)
            review = f.review(claim, source, node)
        except InvalidRecord as exc:
            yield f"{source}: {pos}", exc
            continue
        yield from f.emit(f"{source}: {pos}", review)


def reviews_from_json(text: str, source: str) -> Iterator[tuple[str, Parsed]]:
    try:
        data, repairs = load_json_lenient(text)
    except json.JSONDecodeError as exc:
        yield f"{source}", InvalidRecord(f"invalid JSON: {_json_error(exc)}")
        return
    except RecursionError:
        yield f"{source}", InvalidRecord("invalid JSON: nested too deeply to read")
        return
    if repairs:
        yield f"{source}", FieldWarning("JSON", "repaired: " + "; ".join(repairs))
    if is_google_shape(data):
        yield from reviews_from_google(data, source)
    else:
        yield from _from_jsonld_data(data, source, "")


def ld_json_blocks(html: str) -> list[str]:
    """The text of every ``<script type="application/ld+json">`` in a page, in order."""
    import lxml.html

    if not html.strip():
        return []
    try:
        tree = lxml.html.fromstring(html)
    except Exception:  # noqa: BLE001 - lxml raises several types on hopeless input
        return []
    blocks = []
    for el in tree.iter("script"):
        kind = (el.get("type") or "").split(";")[0].strip().lower()
        if kind == "application/ld+json":
            blocks.append(el.text or "")
    return blocks


def reviews_from_html(html: str, source: str) -> Iterator[tuple[str, Parsed]]:
    for b, block in enumerate(ld_json_blocks(html), 1):
        if not block.strip():
            continue
        try:
            data, repairs = load_json_lenient(block)
        except json.JSONDecodeError as exc:
            yield (f"{source}: block {b}",
                   InvalidRecord(f"broken JSON-LD block: {_json_error(exc)}"))
            continue
        if repairs:
            yield f"{source}: block {b}", FieldWarning("JSON-LD", "repaired: " + "; ".join(repairs))
        yield from _from_jsonld_data(data, source, f"block {b}")


def reviews_from_text(text: str, kind: str, source: str) -> Iterator[tuple[str, Parsed]]:
    """Parse one document of ``kind`` (json, html or csv)."""
    if kind == "csv":
        return reviews_from_csv(text, source)
    if kind == "html":
        return reviews_from_html(text, source)
    return reviews_from_json(text, source)


def _sniff(text: str) -> str:
    head = text.lstrip()[:512].lower()
    if head.startswith(("{", "[")):
        return "json"
    if head.startswith(("<!doctype", "<html", "<head", "<script", "<?xml", "<")):
        return "html"
    return "csv"


# an import file larger than this is refused (fact-check exports run to tens of MB; /dev/zero must not)
MAX_IMPORT_BYTES = 256 * 1024 * 1024
# CSV cells may hold long review bodies, but not without bound
_CSV_FIELD_LIMIT = 16 * 1024 * 1024


def _decode_noted(data: bytes, charset: str | None = None) -> tuple[str, str | None]:
    """The text of an import file and, when it was not plain UTF-8, how it was read (a warning for the user)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel "Unicode text" exports
        try:
            return data.decode("utf-16"), "read as UTF-16 (byte-order mark)"
        except UnicodeDecodeError:
            pass
    head = data[:4096]
    if len(head) >= 8 and head.count(b"\x00") * 3 >= len(head):  # UTF-16 without a byte-order mark
        even_nuls = head[0::2].count(0) > head[1::2].count(0)
        try:
            return data.decode("utf-16-be" if even_nuls else "utf-16-le"), "read as UTF-16 (no byte-order mark)"
        except UnicodeDecodeError:
            pass
    for enc in filter(None, (charset, "utf-8-sig")):
        try:
            return data.decode(enc), None
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        return data.decode("cp1252"), "not valid UTF-8: read as Windows-1252 (cp1252); check accented letters"
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), "not valid UTF-8: undecodable bytes replaced with U+FFFD"


def _decode(data: bytes, charset: str | None = None) -> str:
    return _decode_noted(data, charset)[0]


def _read_file(f: Path) -> bytes:
    """The bytes of one import file: a regular file, at most MAX_IMPORT_BYTES (InputError otherwise)."""
    try:
        st = f.stat()
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{f}: not a regular file", hint="give a .json, .jsonld, .html or .csv file or a folder")
        if st.st_size > MAX_IMPORT_BYTES:
            raise InputError(f"{f}: {st.st_size} bytes is larger than the {MAX_IMPORT_BYTES}-byte import limit",
                             hint="split the export into smaller files")
        with f.open("rb") as fh:
            data = fh.read(MAX_IMPORT_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read {f}: {exc.strerror or exc}") from exc
    if len(data) > MAX_IMPORT_BYTES:
        raise InputError(f"{f}: larger than the {MAX_IMPORT_BYTES}-byte import limit")
    return data


def _read_url(url: str, allow_private: bool) -> tuple[str, str]:
    from factdesk.ingest.url import fetch

    page = fetch(url, allow_private=allow_private)
    text = _decode(page.data, page.charset)
    ct = page.content_type
    if ct in ("text/html", "application/xhtml+xml"):
        kind = "html"
    elif ct in ("application/json", "application/ld+json") or ct.endswith("+json"):
        kind = "json"
    elif ct in ("text/csv", "application/csv"):
        kind = "csv"
    else:
        suffix = Path(url.split("?", 1)[0].split("#", 1)[0]).suffix.lower()
        kind = EXTENSIONS.get(suffix) or _sniff(text)
    return text, kind


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS
                      and not any(part.startswith(".") for part in p.relative_to(path).parts))
    return [path]


def iter_records(sources: Sequence[str | Path], *, allow_private: bool = False,
                 stats: ImportStats | None = None) -> Iterator[tuple[str, Parsed]]:
    """``(position, item)`` for every record in files, folders and URLs.

    ``item`` is a :class:`Review`, an :class:`InvalidRecord` (the record is
    skipped) or a :class:`FieldWarning` (a field of the record that follows at
    the same position was dropped, or a JSON block was repaired).
    """
    for src in sources:
        s = str(src)
        if re.match(r"^[a-z][a-z0-9+.-]*://", s, re.I):
            text, kind = _read_url(s, allow_private)  # FetchError / UnsafeURLError propagate
            if stats is not None:
                stats.sources += 1
            yield from reviews_from_text(text, kind, s)
            continue
        p = Path(s).expanduser()
        if not p.exists():
            raise InputError(f"{s}: no such file or folder")
        files = _files(p)
        if p.is_dir() and not files:
            raise InputError(f"{s}: no .json, .jsonld, .html or .csv files in this folder")
        for f in files:
            # one bad file in a folder is reported and skipped; a file named on its own stops the import
            try:
                data = _read_file(f)
                text, note = _decode_noted(data)
                kind = EXTENSIONS.get(f.suffix.lower()) or _sniff(text)
                if stats is not None:
                    stats.sources += 1
                if note:
                    yield str(f), FieldWarning("encoding", note)
                yield from reviews_from_text(text, kind, str(f))
            except InputError as exc:
                if not p.is_dir():
                    raise
                yield str(f), InvalidRecord(f"file skipped: {exc.message}")


def import_reviews(store: Store, sources: str | Path | Sequence[str | Path], *, allow_private: bool = False,
                   embedder: Any = "default", batch_size: int = 256) -> ImportStats:
    """Import ClaimReview records from files, folders and URLs into the store.

    ``embedder``: the embedder for the claim vectors; ``"default"`` is the
    packaged MiniLM (:class:`~factdesk.retrieve.embed.OnnxMiniLMEmbedder`),
    None stores no vectors (lexical matching only).
    """
    if isinstance(sources, (str, Path)):
        sources = [sources]
    if embedder == "default":
        from factdesk.match.matcher import default_embedder

        embedder = default_embedder()
    stats = ImportStats()
    pending: list[Review] = []

    def flush() -> None:
        added, dup = add_reviews(store, pending, embedder=embedder, batch_size=batch_size)
        stats.imported += added
        stats.duplicates += dup
        pending.clear()

    seen: set[str] = set()
    for pos, rec in iter_records(sources, allow_private=allow_private, stats=stats):
        if isinstance(rec, FieldWarning):
            stats.warnings.append((pos, rec.field, rec.reason))
            continue
        if isinstance(rec, InvalidRecord):
            stats.invalid.append((pos, str(rec)))
            continue
        if rec.id in seen:  # repeated within this import
            stats.duplicates += 1
            continue
        seen.add(rec.id)
        pending.append(rec)
        if len(pending) >= batch_size * 4:
            flush()
    flush()
    return stats


def read_records(sources: str | Path | Iterable[str | Path], *, allow_private: bool = False,
                 warnings: list[tuple[str, str, str]] | None = None
                 ) -> tuple[list[Review], list[tuple[str, str]]]:
    """Parse without storing: (valid reviews, invalid (position, reason)).

    Dropped fields are appended to ``warnings`` as (position, field, reason) when it is given.
    """
    if isinstance(sources, (str, Path)):
        sources = [sources]
    good, bad = [], []
    for pos, rec in iter_records(list(sources), allow_private=allow_private):
        if isinstance(rec, FieldWarning):
            if warnings is not None:
                warnings.append((pos, rec.field, rec.reason))
        elif isinstance(rec, InvalidRecord):
            bad.append((pos, str(rec)))
        else:
            good.append(rec)
    return good, bad
