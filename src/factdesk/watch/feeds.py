"""Fetch one RSS/Atom feed with a conditional GET and read its entries (feedparser).

The fetch goes through :func:`factdesk.ingest.url.fetch`, so the SSRF guard, the size cap, the
overall time limit and the per-hop redirect checks all apply.  ``If-None-Match`` /
``If-Modified-Since`` carry the validators of the last good answer; ``304 Not Modified`` means
nothing new.

Example::

    result = poll_feed("https://example.org/feed.xml", etag='"v1"')
    if result.not_modified: ...
    for entry in result.entries: print(entry.url, entry.title)
"""

from __future__ import annotations

import calendar
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from factdesk.errors import InputError
from factdesk.ingest.url import DEFAULT_MAX_BYTES, fetch

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+xml;q=0.9, application/xml;q=0.9, "
               "text/xml;q=0.9, */*;q=0.5")
MAX_ENTRY_TEXT = 200_000  # characters of an entry's own HTML kept for when its link cannot be fetched
MAX_ENTRIES = 500  # the newest entries read from one answer: a hostile feed cannot queue a million checks
# bozo exceptions that still leave a well-read feed: a wrong declared encoding, a text/plain type
_HARMLESS = ("CharacterEncodingOverride", "NonXMLContentType")


@dataclass
class FeedEntry:
    """One entry as the watcher keeps it: its URL (the dedupe key) and what the feed says about it."""

    url: str
    title: str | None = None
    published: str | None = None  # YYYY-MM-DD, when the feed gives a date
    html: str = ""  # the entry's own content (or summary), for when the link cannot be fetched

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "published": self.published, "html": self.html}


@dataclass
class PollResult:
    not_modified: bool
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None
    entries: list[FeedEntry] = field(default_factory=list)  # oldest first
    warning: str | None = None  # the feed was not well-formed but entries could be read


def _validator(value: str | None) -> str | None:
    """An ETag / Last-Modified value safe to send back (printable ASCII, bounded), else None."""
    if not value:
        return None
    value = value.strip()
    if len(value) > 512 or any(not 32 <= ord(ch) < 127 for ch in value):
        return None
    return value or None


def _date(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return time.strftime("%Y-%m-%d", time.gmtime(calendar.timegm(value)))
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _entry_html(entry: Any) -> str:
    for content in entry.get("content") or []:
        value = content.get("value") if isinstance(content, dict) else None
        if value and value.strip():
            return str(value)[:MAX_ENTRY_TEXT]
    return str(entry.get("summary") or "")[:MAX_ENTRY_TEXT]


def _entry_url(entry: Any, base: str) -> str:
    """The entry's link (resolved against the feed's URL); its id when that is a URL; else a stable key."""
    for candidate in (entry.get("link"), entry.get("id")):
        if isinstance(candidate, str) and candidate.strip():
            url = urljoin(base, candidate.strip())
            if urlsplit(url).scheme in {"http", "https"}:
                return url
    ident = entry.get("id") or ""
    digest = hashlib.sha256(f"{ident}\n{entry.get('title') or ''}\n{_entry_html(entry)}".encode()).hexdigest()
    return f"urn:factdesk:entry:{digest[:32]}"


def parse_feed(data: bytes, url: str) -> PollResult:
    """Read a feed's bytes; InputError (with feedparser's reason) when it is not a readable RSS/Atom feed."""
    parsed = feedparser.parse(data, response_headers={"content-location": url})
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if problem is not None and type(problem).__name__ in _HARMLESS:
        problem = None
    reason = " ".join(str(problem).split())[:300] if problem is not None else ""
    if not parsed.get("version") and not parsed.entries:
        raise InputError(f"{url} is not an RSS or Atom feed" + (f": {reason}" if reason else ""),
                         hint="check the URL: it should answer with the feed's XML")
    entries = [FeedEntry(url=_entry_url(e, url), title=(str(e.get("title")).strip() or None) if e.get("title") else None,
                         published=_date(e), html=_entry_html(e))
               for e in parsed.entries]
    # an entry with neither a link nor text of its own is nothing to check (a broken feed's debris)
    entries = [e for e in entries if e.html.strip() or not e.url.startswith("urn:")]
    if problem is not None and not entries:
        raise InputError(f"cannot read the feed {url}: malformed XML ({reason})",
                         hint="the feed's XML is broken; it is polled again next time")
    # a feed lists the newest first: keep them oldest first, so they are checked in publication order
    dated = all(e.published for e in entries)
    entries = sorted(entries, key=lambda e: e.published or "") if dated else list(reversed(entries))
    seen: set[str] = set()
    unique = [e for e in entries if not (e.url in seen or seen.add(e.url))]  # type: ignore[func-returns-value]
    dropped = max(0, len(unique) - MAX_ENTRIES)
    unique = unique[dropped:]
    title = parsed.feed.get("title") if isinstance(parsed.get("feed"), dict) else None
    notes = [f"the feed is not well-formed ({reason}); {len(unique)} entries read anyway"] if problem is not None else []
    if dropped:
        notes.append(f"the feed lists {dropped + len(unique)} entries: only the newest {MAX_ENTRIES} are read")
    warning = "; ".join(notes) or None
    return PollResult(not_modified=False, title=str(title).strip() or None if title else None, entries=unique,
                      warning=warning)


def poll_feed(url: str, *, etag: str | None = None, last_modified: str | None = None,
              allow_private: bool = False, timeout: float = 20.0,
              max_bytes: int = DEFAULT_MAX_BYTES) -> PollResult:
    """Conditional GET of the feed, then :func:`parse_feed`; FetchError / UnsafeURLError / InputError on failure."""
    headers = {"Accept": FEED_ACCEPT}
    if _validator(etag):
        headers["If-None-Match"] = str(_validator(etag))
    if _validator(last_modified):
        headers["If-Modified-Since"] = str(_validator(last_modified))
    page = fetch(url, allow_private=allow_private, timeout=timeout, max_bytes=max_bytes, headers=headers)
    if page.status == 304:
        return PollResult(not_modified=True, etag=etag, last_modified=last_modified)
    result = parse_feed(page.data, page.final_url)
    result.etag = _validator(page.headers.get("etag"))
    result.last_modified = _validator(page.headers.get("last-modified"))
    return result
