"""HTML reader: main text and metadata with trafilatura, a plain fallback, robust decoding.

Bytes are decoded here, not by trafilatura: byte-order mark, then the HTTP
charset (when fetched), then ``<meta charset>`` / ``http-equiv``, then UTF-8,
then a guess, then windows-1252, so a page that declares the wrong charset still
reads.  Paragraphs are separated by a blank line.  Script, style and template
contents never reach the text.

Example::

    >>> doc = document_from_html("<title>T</title><p>The dam opened in 1998.</p>")
    >>> doc.text, doc.kind
    ('The dam opened in 1998.', 'html')
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from typing import Any

from factdesk.errors import InputError
from factdesk.ingest._common import decode_bytes, normalize_text, parse_date
from factdesk.ingest.text import build_document
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


def decode_html(data: bytes | str, http_charset: str | None = None) -> str:
    """HTML as text, whatever charset it declares or omits (never raises)."""
    if isinstance(data, str):
        return data
    text, _ = decode_bytes(data, [http_charset, declared_charset(data)])
    return text


class _FallbackParser(HTMLParser):
    """Visible text of a page by paragraph, plus <title> and <meta> values."""

    def __init__(self, skip_boilerplate: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = set(_NEVER_TEXT) | (set(_BOILERPLATE) if skip_boilerplate else set())
        self.stack: list[str] = []  # open skipped elements
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self.in_title = False
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
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
            return
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self.handle_starttag(tag, attrs)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
            return
        if tag in self.stack:  # close up to the matching open element (tolerates bad nesting)
            while self.stack:
                if self.stack.pop() == tag:
                    break
            return
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
        elif not self.stack:
            self.parts.append(data)

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


def _first(*values: object) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            return re.sub(r"\s+", " ", value).strip()
    return None


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

    extracted = _trafilatura(html, url)
    text = _paragraphs(extracted.get("text") or "")
    fallback = _fallback(html)
    if not text.strip():
        text = fallback.text()
        if not text:
            text = _fallback(html, skip_boilerplate=False).text()
    text = normalize_text(text)
    if not text:
        raise InputError(f"no readable text in {where}",
                         hint="the page may need JavaScript to show its text; save the article text instead")

    m = fallback.meta
    parsed = {
        "title": _first(extracted.get("title"), m.get("og:title"), "".join(fallback.title_parts)),
        "author": _first(extracted.get("author"), m.get("author"), m.get("article:author")),
        "published": parse_date(extracted.get("date"))
        or parse_date(m.get("article:published_time") or m.get("datepublished") or m.get("date")),
        "source": _first(extracted.get("sitename"), m.get("og:site_name")),
        "url": url or _first(extracted.get("url"), m.get("og:url")),
        "path": path or url,
    }
    return build_document(text, "html", parsed, {}, title_from_first_line=False)


__all__ = ["document_from_html", "decode_html", "declared_charset"]
