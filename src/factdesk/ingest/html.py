"""HTML reader: main text and metadata with trafilatura, a plain fallback, robust decoding.

Bytes are decoded here, not by trafilatura: byte-order mark, then the HTTP
charset (when fetched), then ``<meta charset>`` / ``http-equiv``, then UTF-8,
then a guess, then windows-1252, so a page that declares the wrong charset still
reads.  A page that is UTF-8 with a few bad bytes (it declares UTF-8 and most of
its non-ASCII bytes are valid UTF-8, or it declares nothing or a Western charset
and nearly all are) is read as UTF-8 with only the bad bytes replaced, not
handed to the guesser.  Paragraphs are separated by a blank line.  Script, style
and template contents never reach the text.

The publication date comes from markup and the URL first (trafilatura's fast
date search, then ``article:published_time``-style meta tags), then from a
dateline or byline at the top of the main text; only when those find nothing
does htmldate's extensive search (publication, not modification, date) look at
the page text, over at most the first ``EXTENSIVE_DATE_CHARS`` characters.
An author that is a URL or an e-mail address, a role ("admin", "Editorial
Team", "Redaktion") or the site's own name or domain is dropped.

Example::

    >>> doc = document_from_html("<title>T</title><p>The dam opened in 1998.</p>")
    >>> doc.text, doc.kind
    ('The dam opened in 1998.', 'html')
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from factdesk.errors import InputError
from factdesk.ingest._common import decode_bytes, normalize_charset, normalize_text, parse_date, strip_bom
from factdesk.ingest.text import build_document, find_dateline_date
from factdesk.types import Document

log = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(r"""\A\s*<\?xml[^>]*\?>""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""\A\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)

# Contents of these never become text.
_NEVER_TEXT = {"script", "style", "noscript", "template", "svg", "math", "head", "iframe", "object",
               "select", "textarea", "button", "canvas"}
# Page furniture, skipped by the fallback unless nothing else is left.
_BOILERPLATE = {"nav", "header", "footer", "aside", "form", "menu", "dialog"}
_BLOCKS = {"address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
           "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre", "section", "table",
           "tbody", "td", "th", "thead", "tr", "ul", "body", "html", "center", "details", "summary"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
         "track", "wbr"}


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first bytes (meta charset, http-equiv, XML declaration)."""
    head = data[:4096]
    m = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return m.group(1).decode("ascii", "ignore") if m else None


# Single-byte charsets that a UTF-8 page is commonly mislabelled with.
_WESTERN_CODECS = ("cp125", "iso8859", "latin", "ascii", "mac")


def _mostly_utf8(data: bytes, codecs_declared: list[str]) -> str | None:
    """``data`` as UTF-8 with the bad bytes replaced, when it is UTF-8 with a few bad bytes; else None.

    Declared UTF-8: at least as many valid non-ASCII characters as invalid
    sequences (a page in windows-1252 mislabelled UTF-8 has almost none valid).
    Declared nothing or a Western single-byte charset: ten valid per invalid.
    Another declared charset that reads cleanly is trusted.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    if bad <= 0:
        return None  # valid UTF-8 (or not at all): decode_bytes decides as before
    valid = len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")
    if "utf-8" in codecs_declared:
        return text if valid >= bad else None
    if valid < 10 * bad:
        return None
    first = codecs_declared[0] if codecs_declared else None
    if first and not first.startswith(_WESTERN_CODECS):
        try:
            data.decode(first)
            return None
        except (UnicodeDecodeError, LookupError):
            pass
    return text


def decode_html(data: bytes | str, http_charset: str | None = None) -> str:
    """HTML as text, whatever charset it declares or omits (never raises)."""
    if isinstance(data, str):
        return data
    declared = [http_charset, declared_charset(data)]
    if not strip_bom(data)[1]:
        codecs_declared = [c for c in (normalize_charset(label) for label in declared) if c]
        mostly = _mostly_utf8(data, codecs_declared)
        if mostly is not None:
            return mostly
    text, _ = decode_bytes(data, declared)
    return text


# The summary under a headline ("standfirst", "dek", an ``itemprop="description"`` paragraph): main-text
# extraction often leaves it out, yet it states the article's central claims.
_STANDFIRST = re.compile(r"standfirst|article[-_]?summary|\bdek\b|sub-?headline|sub-?title|\blede\b|\bintro\b|"
                         r"\bsummary\b|\bdescription\b", re.IGNORECASE)
_STANDFIRST_TAGS = {"p", "div", "h2", "span"}
_NOT_A_SUMMARY = re.compile(r"\||\b(?:Photo|Foto|Image|Bild|Picture|Credit)s?\s*:|Getty Images|\bvia\s+(?:AP|AFP|Reuters)\b|©",
                            re.IGNORECASE)
_STANDFIRST_REACH = 300  # at most this much other visible text between the headline and its summary


class _FallbackParser(HTMLParser):
    """Visible text of a page by paragraph, plus <title>, <meta> values and the headline's summary."""

    def __init__(self, skip_boilerplate: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = set(_NEVER_TEXT) | (set(_BOILERPLATE) if skip_boilerplate else set())
        self.stack: list[str] = []  # open skipped elements
        self.never = 0  # how many of them are never text (script, style, …)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self.in_title = False
        self.meta: dict[str, str] = {}
        self.after_h1: int | None = None  # visible characters read since the first </h1>
        self.h1_parts: list[str] | None = None  # the first <h1>'s text (None until one opens)
        self.in_h1 = False
        self.summary: list[str] | None = None  # the standfirst's text, once one is found
        self.summary_open: list[str] = []  # its open elements while it is being read

    def _summary_abandon(self) -> None:
        """Stop reading a summary that grows too long or too deep (an unclosed element on a hostile page)."""
        self.summary, self.summary_open = None, []
        self.after_h1 = _STANDFIRST_REACH + 1  # and look for no other

    def _summary_start(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.summary_open:
            self.summary_open.append(tag)
            if len(self.summary_open) > 32:
                self._summary_abandon()
            return
        if self.summary is not None or self.after_h1 is None or self.after_h1 > _STANDFIRST_REACH:
            return
        if tag not in _STANDFIRST_TAGS:
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        marks = " ".join((a.get("class", ""), a.get("id", ""), a.get("data-test", ""), a.get("itemprop", "")))
        if _STANDFIRST.search(marks):
            self.summary = []
            self.summary_open = [tag]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta" and not self._hidden():
            self._summary_start(tag, attrs)
        if tag == "h1" and self.h1_parts is None:
            self.h1_parts, self.in_h1 = [], True
        if tag == "meta":
            a = {k.lower(): (v or "") for k, v in attrs}
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content") and key not in self.meta:
                self.meta[key] = a["content"].strip()
            return
        if tag == "title":
            self.in_title = True
            return
        if tag in self.skip and tag not in _VOID:
            self.stack.append(tag)
            self.never += tag in _NEVER_TEXT
            return
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self.handle_starttag(tag, attrs)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if self.summary_open and tag in self.summary_open:
            while self.summary_open and self.summary_open.pop() != tag:
                pass
        if tag == "h1" and self.after_h1 is None:
            self.after_h1, self.in_h1 = 0, False
        if tag == "title":
            self.in_title = False
            return
        if tag in self.stack:  # close up to the matching open element (tolerates bad nesting)
            while self.stack:
                popped = self.stack.pop()
                self.never -= popped in _NEVER_TEXT
                if popped == tag:
                    break
            return
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def _hidden(self) -> bool:
        """Inside a script, style or other element that is never text (a header or a nav is still read for the
        headline's summary, though not for the main text)."""
        return self.never > 0

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
            return
        if not self.stack:
            self.parts.append(data)
        if self._hidden():
            return
        if self.in_h1 and self.h1_parts is not None:
            self.h1_parts.append(data)
        if self.summary_open and self.summary is not None:
            self.summary.append(data)
            if sum(map(len, self.summary)) > 4 * 800:
                self._summary_abandon()
        elif self.after_h1 is not None and self.summary is None:
            self.after_h1 += len(data.strip())

    def headline_is(self, title: str | None) -> bool:
        """Whether the first <h1> is the article's ``title`` (most of its words are in it)."""
        headline = set(_words("".join(self.h1_parts or ())))
        return len(headline) >= 3 and len(headline & set(_words(title or ""))) >= 0.6 * len(headline)

    def lede(self, title: str | None, body: str) -> str | None:
        """The paragraph right before ``body``'s first one, when it sits between the headline and the body and
        is a sentence: main-text extraction drops a lede set under a video player or a share bar."""
        if not self.headline_is(title) or not body:
            return None
        paragraphs = self.text().split("\n\n")
        head, first = _squash("".join(self.h1_parts or ())), _squash(body.split("\n\n", 1)[0][:80])
        at_head = next((i for i, p in enumerate(paragraphs) if head and _squash(p) == head), None)
        at_body = next((i for i, p in enumerate(paragraphs) if first and _squash(p).startswith(first)), None)
        if at_head is None or at_body is None or at_body - at_head < 2:
            return None
        lede = paragraphs[at_body - 1]
        if (len(lede) < 60 or len(lede) > 800 or len(lede.split()) < 8 or lede[-1:] not in ".!?\"”"
                or _NOT_A_SUMMARY.search(lede) or re.match(r"(?:By|Von|Par|Por)\b", lede)):
            return None
        return lede

    def standfirst(self, title: str | None) -> str | None:
        """The summary paragraph right under the first headline, when the page marks one (40–800 characters),
        the headline is the article's ``title`` (a blog's site name in an <h1> has a tagline under it, not a
        summary) and the text is no caption, byline or list of links."""
        text = re.sub(r"\s+", " ", "".join(self.summary or ())).strip()
        if not 40 <= len(text) <= 800 or _NOT_A_SUMMARY.search(text) or not self.headline_is(title):
            return None
        return text

    def text(self) -> str:
        raw = "".join(self.parts)
        paragraphs = (re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", raw))
        return "\n\n".join(p for p in paragraphs if p)


def _fallback(html: str, skip_boilerplate: bool = True) -> _FallbackParser:
    parser = _FallbackParser(skip_boilerplate)
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; keep whatever was read
        log.debug("html.parser gave up", exc_info=True)
    return parser


def _paragraphs(text: str) -> str:
    """trafilatura's one-block-per-line text as blank-line-separated paragraphs."""
    lines = (line.strip() for line in text.replace("\r", "\n").split("\n"))
    return "\n\n".join(line for line in lines if line)


def _trafilatura(html: str, url: str | None) -> dict[str, Any]:
    try:
        import trafilatura
        from trafilatura.settings import set_date_params
    except ImportError:  # pragma: no cover - a declared dependency
        return {}
    # Dates only from markup and URL, never from the article body: a date the
    # article mentions is not its publication date.
    date_params = set_date_params(extensive=False)
    try:
        result = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True,
            include_images=False, include_links=False, date_extraction_params=date_params,
        )
    except Exception:  # noqa: BLE001 - never let a hostile page crash ingestion
        log.debug("trafilatura failed", exc_info=True)
        result = None
    if result is None:
        try:
            from trafilatura.metadata import extract_metadata

            meta = extract_metadata(html, default_url=url, date_config=date_params, extensive=False)
            return {k: getattr(meta, k, None) for k in ("title", "author", "date", "sitename", "url")}
        except Exception:  # noqa: BLE001
            log.debug("trafilatura metadata failed", exc_info=True)
            return {}
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    return {k: data.get(k) for k in ("text", "title", "author", "date", "sitename", "url")}


# ------------------------------------------------------------------ dates

EXTENSIVE_DATE_CHARS = 1_000_000  # the extensive search reads at most this much of a page (~0.5 s worst case)


def _extensive_date(html: str, url: str | None) -> str | None:
    """htmldate's extensive search for the original (publication) date; None when it finds none."""
    head = html[:EXTENSIVE_DATE_CHARS]
    if head.startswith("http") and " " not in head:
        return None  # htmldate would fetch a string that looks like a URL; such a "page" has no date anyway
    try:
        from htmldate import find_date
    except ImportError:  # pragma: no cover - a dependency of trafilatura
        return None
    try:
        found = find_date(head, extensive_search=True, original_date=True, url=url)
    except Exception:  # noqa: BLE001 - never let a hostile page crash ingestion
        log.debug("htmldate failed", exc_info=True)
        return None
    if found and found.endswith("-01") and not _first_of_month_written(f"{url or ''} {head}", found):
        return None  # a bare year or month ("in 1998", "© 2021") comes back as its first day: not a date
    return found


def _first_of_month_written(html: str, iso: str) -> bool:
    """True when the page writes the first day of ``iso``'s month in full (numbers or words)."""
    year, month = iso[:4], int(iso[5:7])
    yy, mm, d1 = year[2:], f"0?{month}", "0?1"
    patterns = (
        rf"(?<!\d){year}[-./]{mm}[-./]{d1}(?!\d)",                 # 2021-11-01, 2021/11/1
        rf"(?<!\d){d1}[-./]\s?{mm}[-./]\s?(?:{year}|{yy})(?!\d)",  # 01.11.2021, 1/11/21
        rf"(?<!\d){mm}/{d1}/(?:{year}|{yy})(?!\d)",                 # 11/1/2021
        rf"(?<!\d){year}{month:02d}01(?!\d)",                      # 20211101
        # 1 November 2021, 1er novembre 2021, 1. November 2021, 1 de noviembre de 2021
        rf"(?<!\d){d1}(?:st|er|º|°|\.)?\s+(?:de\s+)?[^\W\d_]{{3,}}\.?,?\s+(?:de\s+)?{year}(?!\d)",
        rf"[^\W\d_]{{3,}}\.?\s+{d1}(?:st)?,?\s+{year}(?!\d)",      # November 1, 2021
        rf"{year}\s*[年년]\s*{mm}\s*[月월]\s*{d1}\s*[日일]",          # 2021年11月1日
    )
    # only the surroundings of the year are read: a long page costs one scan for it
    spots = re.finditer(rf"{year}|[-./]\s?{yy}(?!\d)", html)
    near = "\n".join(html[max(0, m.start() - 40):m.end() + 24] for m in itertools.islice(spots, 5000))
    return any(re.search(p, near, re.IGNORECASE) for p in patterns)


# ----------------------------------------------------------------- authors

# A value made only of these words names a role or a desk, not a person.
_ROLE_WORDS = frozenset("""
    admin admins administrator administrators administrador administrateur administratore webadmin
    editor editors editorial editorials redaktion redaktionen rédaction redaction redazione redacción
    redaccion redação redacao redactie redakcja redakce redaksi staff staffer publisher publishers
    webmaster webmestre team desk newsdesk newsroom contributor contributors guest guests author authors
    writer writers reporter reporters correspondent correspondents moderator moderators owner user users
    root anonymous anonym anonyme anónimo anonimo unknown nobody none null undefined wordpress wordpressadmin
    follow jobs hire share subscribe login
""".split())
# Filler that may surround a role or the site's name ("The Editorial Team", "BBC News Desk").
_FILLER_WORDS = frozenset("""
    the a an of and our your by from at for with on in und der die das des den dem von vom zur
    le la les l du et par el los las y del il lo di e do da dos em o news online web digital service
    services office board media press presse agency wire blog site website www http https com net org
    co uk fr info
""".split())
_URLISH = re.compile(r"(?:^[a-z][a-z0-9+.\-]*://|^//|^www\.|\S@\S+\.\S|^[^\s/]+\.[a-z]{2,}(?:/|$))",
                     re.IGNORECASE)


def _squash(value: str) -> str:
    """Lower case, letters and digits only: "BBC News" and "bbc-news" compare equal."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", value).casefold() if ch.isalnum())


def _words(value: str) -> list[str]:
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", value).casefold())


def _site_names(url: str | None, *names: str | None) -> tuple[set[str], set[str]]:
    """The site's names squashed (site name, host, host labels) and the words they are made of."""
    squashed: set[str] = set()
    words: set[str] = set()
    for name in names:
        if name and name.strip():
            squashed.add(_squash(name))
            words.update(_words(name))
    try:
        host = (urlsplit(url).hostname or "") if url and "//" in url else ""
    except ValueError:
        host = ""
    labels = [label for label in host.lower().split(".") if label and label != "www"]
    if labels:
        # the whole domain only: "janeroe.com" is not the same as "Jane Roe" writing on it
        squashed.update({_squash(".".join(labels)), "www" + _squash(".".join(labels))})
        for label in labels[:-1]:
            words.update(_words(label))
    squashed.discard("")
    return squashed, words


# Meta tags that pages (and trafilatura) read an author from.
_AUTHOR_META = ("author", "article:author", "twitter:creator", "dc.creator", "dcterms.creator", "parsely-author",
                "sailthru.author", "citation_author", "byl")
_GENERIC_TLDS = frozenset({"com", "net", "org", "info", "biz", "edu", "gov"})


def _is_author(value: str, site: tuple[set[str], set[str]], addresses: tuple[str, ...] = ()) -> bool:
    """False for a URL or e-mail address, a role ("admin", "Editorial Team") or the site's own name.

    ``addresses`` are squashed URL-like values the page gives as its author: trafilatura
    turns "facebook.com/bbcnews" into "Facebook Com", which is still no name.
    """
    value = value.strip()
    if not value or _URLISH.search(value):
        return False
    squashed = _squash(value)
    if not squashed or squashed in site[0] or any(a.startswith(squashed) for a in addresses):
        return False
    words = _words(value)
    if not words or words[0] == "www" or (len(words) > 1 and words[-1] in _GENERIC_TLDS):
        return False  # a domain written out as words
    if all(w in _ROLE_WORDS or w in _FILLER_WORDS or w in site[1] for w in words):
        # only roles, filler and the site's name: "admin", "The Guardian staff", "News"
        return not (any(w in _ROLE_WORDS for w in words) or all(w in _FILLER_WORDS for w in words))
    return True


# a byline's date read as part of the name: "CBS News February" (from "By CBS News February 24, 2020"),
# "Jane Roe, March 3, 2020", "Jane Roe Updated 2 hours ago"
_MONTHS = (r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?|January|February|March|April|May|June|July|"
           r"August|September|October|November|December")
_DATE_TAIL = re.compile(
    rf"(?:\s*[,|·•–—-])?\s+(?:(?:on|updated|published|posted)\s+)?"
    rf"(?:(?:{_MONTHS})(?:\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\s+\d{{1,2}}(?:st|nd|rd|th)?|,?\s+\d{{4}})"
    r"|(?:January|February|September|October|November|December))\s*$"  # a bare month that is never a surname
    r"|(?:\s*[,|·•–—-])?\s+(?:updated|published|posted)\b.*$", re.IGNORECASE)


# "View all posts by Jane Roe", "Written by Jane Roe", "Autor: Jane Roe"
_BYLINE_LEAD = re.compile(r"^(?:(?:view\s+)?all\s+posts\s+by|posts\s+by|written\s+by|posted\s+by|by|von|par|por|"
                          r"autor(?:in)?\s*:|author\s*:)\s+", re.IGNORECASE)
# a publisher ("Prisma Média", "Frankfurter Allgemeine Zeitung GmbH") or a degree ("PhD") given as an author
_NOT_A_PERSON = re.compile(r"(?:\b(?:GmbH|AG|Inc|Ltd|LLC|SAS|S\.A|e\.?\s?V|Verlag|Média|Media\s+Group)\.?"
                           r"|^(?:PhD|MD|MSc|MBA|Dr|Prof)\.?)$", re.IGNORECASE)


def _tidy_author(part: str, site: tuple[set[str], set[str]]) -> str:
    """One author value without the byline's lead words, a date read into it, a publisher or a degree, or a
    descriptor made of the site's name ("FOCUS-Online-Experte Robin Tschöpe" -> "Robin Tschöpe")."""
    part = _DATE_TAIL.sub("", _BYLINE_LEAD.sub("", re.sub(r"\s+", " ", part).strip())).strip()
    if _NOT_A_PERSON.search(part):
        return ""
    words = part.split()
    if len(words) >= 3 and any(_squash(words[0]).startswith(name) for name in site[0] if len(name) >= 5):
        part = " ".join(words[1:])
    return part


def clean_author(value: object, *, url: str | None = None, site_names: tuple[str | None, ...] = (),
                 page_authors: tuple[str | None, ...] = ()) -> str | None:
    """``value`` without the parts that name no person (see :func:`_is_author`); None if none is left.

    ``url`` and ``site_names`` say what the site is called; ``page_authors`` are the raw
    author values of the page's meta tags (a URL among them spoils any rewording of it).
    Several authors are separated by ``;`` (as trafilatura joins them).
    """
    if not isinstance(value, str):
        return None
    site = _site_names(url, *site_names)
    addresses = tuple(_squash(a) for a in page_authors if a and _URLISH.search(a.strip()))
    parts = [_tidy_author(part, site) for part in value.split(";")]
    kept = [part for part in parts if part and _is_author(part, site, addresses)]
    return "; ".join(kept) if kept else None


def _first(*values: object) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            return re.sub(r"\s+", " ", value).strip()
    return None


# A start tag with thousands of attributes makes libxml2 (under trafilatura and htmldate) quadratic: 200,000
# attributes on one <p> took minutes.  No real page needs more than a few dozen on one element.
MAX_ATTRIBUTES = 256
_LONG_TAG = re.compile(r"<([A-Za-z][\w:.-]{0,64})(\s[^<>]{4096,}?)(/?)>")


def defuse_tags(html: str) -> str:
    """``html`` with the attributes dropped from any start tag that has more than MAX_ATTRIBUTES of them.

    >>> defuse_tags('<p ' + ' '.join(f'a{i}=1' for i in range(1000)) + '>Text</p>')
    '<p>Text</p>'
    """
    def fix(m: re.Match[str]) -> str:
        if m.group(2).count("=") <= MAX_ATTRIBUTES:
            return m.group(0)
        return f"<{m.group(1)}{m.group(3)}>"

    return _LONG_TAG.sub(fix, html) if len(html) > 4096 else html


def _authors(extracted: dict[str, Any], fallback: _FallbackParser, page_url: str | None,
             site_names: tuple[str | None, ...]) -> Iterator[str | None]:
    """The page's author candidates, best first, each cleaned (see :func:`clean_author`)."""
    m = fallback.meta
    raw_authors = tuple(m.get(k) for k in _AUTHOR_META)
    return (clean_author(a, url=page_url, site_names=site_names, page_authors=raw_authors)
            for a in (extracted.get("author"), m.get("author"), m.get("article:author")))


def _names_site(text: str, site: tuple[set[str], set[str]]) -> bool:
    """Whether ``text`` is the site's name ("Harbor Gazette", "HARBORGAZETTE.example")."""
    words = _words(text)
    return _squash(text) in site[0] or bool(words) and all(w in site[1] for w in words)


_TITLE_SEPARATOR = re.compile(r"\s+[|•»·–—-]\s+|\s+[|•»·–—-]$")


def _title(extracted: object, fallback: _FallbackParser, site: tuple[set[str], set[str]]) -> str | None:
    """The article's headline: trafilatura's title, else og:title, else <title>, then

    * a one-word title when og:title says more is a CMS or site token ("escenic" from
      ``<title class="escenic-title">``), and og:title wins;
    * the page's <h1> when the title is that headline plus more ("Headline | Site", "Section: Headline");
    * else a last part that names the site is cut ("Headline - Harbor Gazette", "Headline -").
    """
    og = fallback.meta.get("og:title")
    if isinstance(extracted, str) and len(extracted.split()) < 2 and og and len(og.split()) >= 3:
        extracted = og
    candidates = [c for c in (_first(extracted), _first(og), _first("".join(fallback.title_parts))) if c]
    # the site's own name (a blog's <h1>, taken for the headline) gives way to a title that says more
    title = next((c for c in candidates if not _names_site(c, site)), candidates[0] if candidates else None)
    if not title:
        return title
    h1 = re.sub(r"\s+", " ", "".join(fallback.h1_parts or ())).strip()
    squashed, head = _squash(title), _squash(h1)
    if (len(h1.split()) >= 2 and head != squashed and head in squashed and len(head) >= 0.4 * len(squashed)
            and head not in site[0]):
        return h1
    separators = list(_TITLE_SEPARATOR.finditer(title))
    if separators:
        last = title[separators[-1].end():]
        if not last.strip() or _names_site(last, site) or _URLISH.search(last.strip()):
            head = title[:separators[-1].start()]
            return head if len(separators) == 1 else head.rstrip(" |•»·–—-")
    return title


def document_from_html(data: bytes | str, *, url: str | None = None, path: str | None = None,
                       charset: str | None = None) -> Document:
    """A Document from an HTML page: main text, title, author, publication date, site name.

    ``url`` is where the page came from (also used to resolve metadata);
    ``path`` is recorded as the Document's path (defaults to ``url``);
    ``charset`` is the HTTP header's charset, when the page was fetched.
    """
    where = path or url or "the HTML input"
    html = decode_html(data, charset)
    html = _XML_DECL.sub("", html.replace("\x00", ""), count=1)
    if not html.strip():
        raise InputError(f"no readable text in {where}", hint="the page is empty")
    html = defuse_tags(html)

    extracted = _trafilatura(html, url)
    text = _paragraphs(extracted.get("text") or "")
    fallback = _fallback(html)
    if not text.strip():
        text = fallback.text()
        if not text:
            text = _fallback(html, skip_boilerplate=False).text()
    m = fallback.meta
    page_url = url or _first(extracted.get("url"), m.get("og:url"))
    site_names = (extracted.get("sitename"), m.get("og:site_name"), m.get("application-name"))
    title = _title(extracted.get("title"), fallback, _site_names(page_url, *site_names))
    lede = fallback.lede(title, text)
    author = _first(*_authors(extracted, fallback, page_url, site_names))
    if lede and author and any(_squash(name) and _squash(lede).startswith(_squash(name)) for name in author.split(";")):
        lede = None  # "Jane Roe teaches history at …": the author's biography, not the article's lede
    if lede and _squash(lede[:80]) not in _squash(text[:len(lede) + 4000]):
        text = lede + "\n\n" + text
    standfirst = fallback.standfirst(title)
    if standfirst and _squash(standfirst[:80]) not in _squash(text[:len(standfirst) + 4000]):
        text = standfirst + "\n\n" + text
    text = normalize_text(text)
    if not text:
        raise InputError(f"no readable text in {where}",
                         hint="the page may need JavaScript to show its text; save the article text instead")

    published = (parse_date(extracted.get("date"))
                 or parse_date(m.get("article:published_time") or m.get("datepublished") or m.get("date"))
                 or find_dateline_date(text)
                 or parse_date(_extensive_date(html, page_url)))
    parsed = {
        "title": title,
        "author": author,
        "published": published,
        "source": _first(extracted.get("sitename"), m.get("og:site_name")),
        "url": page_url,
        "path": path or url,
    }
    return build_document(text, "html", parsed, {}, title_from_first_line=False)


__all__ = ["clean_author", "document_from_html", "decode_html", "declared_charset"]
