"""Import earlier fact-checks (ClaimReview records) from files, folders and URLs.

Formats, recognised by extension, HTTP content type or content:

* **schema.org ClaimReview JSON-LD**: standalone ``.json``/``.jsonld`` files or
  ``<script type="application/ld+json">`` blocks in HTML pages (any number per
  page).  A block may hold one object, an array or a ``@graph``; ``@type`` may
  be a string or a list (``"ClaimReview"``, ``"schema:ClaimReview"`` and
  ``"http://schema.org/ClaimReview"`` all count); ClaimReviews nested in other
  nodes (``mainEntity``, ``review`` …) are found too.  Nodes of other types
  (Organization, BreadcrumbList …) are ignored, not reported.
* **Google Fact Check Tools** ``claims:search`` responses:
  ``{"claims": [{"text", "claimant", "claimDate", "claimReview": [...]}]}``;
  each entry of ``claimReview`` becomes one record.
* **CSV** with a header row; columns ``claim``, ``rating``, ``url``,
  ``publisher``, ``date``, ``language`` (only claim and url are required;
  ``title`` and ``claimant`` are read when present; order is free).

Each record needs a claim text and an absolute http(s) review URL; dates must
be ISO (``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or a full ISO timestamp, which
is cut to its date).  A record that fails is reported in
``ImportStats.invalid`` as ``(position, reason)`` and skipped, where position
is ``"<file or URL>: block 2"`` / ``"block 2 item 3"`` (HTML: block = the n-th
ld+json script, from 1; item = the n-th ClaimReview found in it),
``"item 3"`` (standalone JSON-LD), ``"claims[4].claimReview[0]"`` (Google,
0-based like the JSON) or ``"row 5"`` (CSV: data rows from 1, header
excluded).  A broken JSON-LD block is one invalid entry.  Valid records are
stored deduplicated by URL + normalised claim text, so re-importing is
idempotent (the second run reports them as duplicates).

URLs are fetched through :func:`factdesk.ingest.url.fetch` (the SSRF guard;
``allow_private`` is passed through).

Example::

    with Store.open("fd.db") as store:
        stats = import_reviews(store, ["factchecks/", "https://fc.example/page.html"])
        print(stats.imported, stats.duplicates, stats.invalid)
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from factdesk.errors import InputError
from factdesk.match.store import Review, add_reviews
from factdesk.store.sqlite import Store

EXTENSIONS = {".json": "json", ".jsonld": "json", ".html": "html", ".htm": "html", ".csv": "csv"}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_ISO_YEAR = re.compile(r"^\d{4}$")


class InvalidRecord(ValueError):
    """A record that cannot be imported; the message is the reason."""


@dataclass
class ImportStats:
    imported: int = 0
    duplicates: int = 0
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (position, reason)
    sources: int = 0  # files or URLs read

    def to_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "duplicates": self.duplicates, "sources": self.sources,
                "invalid": [{"position": p, "reason": r} for p, r in self.invalid]}


# -- small field helpers ------------------------------------------------------------------------------
def parse_date(value: Any) -> str | None:
    """ISO date text -> ``YYYY-MM-DD`` (or ``YYYY-MM``/``YYYY``); None for empty; InvalidRecord if bad."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRecord(f"bad date {value!r}")
    v = value.strip()
    if not v:
        return None
    try:
        if _ISO_DAY.match(v):
            return date.fromisoformat(v).isoformat()
        m = _ISO_MONTH.match(v)
        if m:
            if not 1 <= int(m.group(2)) <= 12:
                raise ValueError
            return v
        if _ISO_YEAR.match(v):
            return v
        return datetime.fromisoformat(v.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        raise InvalidRecord(f"bad date {value!r} (expected ISO, e.g. 2021-03-04)") from None


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
        for key in ("name", "alternateName", "@value", "text"):
            if value.get(key):
                return _text(value[key])
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        t = " ".join(value.split())
        return t or None
    return None


def _url(value: Any) -> str:
    u = _text(value) if not isinstance(value, dict) else _text(value.get("url") or value.get("@id"))
    if not u:
        raise InvalidRecord("missing url")
    if not re.match(r"^https?://[^\s/]+", u, re.I):
        raise InvalidRecord(f"url {u!r} is not an absolute http(s) URL")
    return u


def _claim(value: Any) -> str:
    c = _text(value)
    if not c:
        raise InvalidRecord("missing claimReviewed (the claim text)")
    return c


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


def _rating(node: Any) -> str | None:
    if isinstance(node, list):
        node = node[0] if node else None
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


def review_from_jsonld(node: dict[str, Any], source: str | None = None) -> Review:
    """A :class:`Review` from one ClaimReview node; InvalidRecord when a required field is missing or bad."""
    claim = _claim(node.get("claimReviewed"))
    url = _url(node.get("url"))
    item = node.get("itemReviewed")
    item = item[0] if isinstance(item, list) and item else item
    item = item if isinstance(item, dict) else {}
    author = node.get("author")
    author = author[0] if isinstance(author, list) and author else author
    publisher = _text(author) or _text(node.get("publisher"))
    site = _text(author.get("url")) if isinstance(author, dict) else None
    lang = node.get("inLanguage")
    language = _text(lang.get("alternateName") or lang.get("name")) if isinstance(lang, dict) else _text(lang)
    claim_date = parse_date(_text(item.get("datePublished")))
    return Review(claim=claim, url=url, rating=_rating(node.get("reviewRating")), publisher=publisher,
                  publisher_site=site, claimant=_text(item.get("author")), claim_date=claim_date,
                  date=parse_date(_text(node.get("datePublished"))), language=language,
                  title=_text(node.get("headline")) or _text(node.get("name")), source=source, raw=node)


# -- Google Fact Check Tools claims:search ------------------------------------------------------------
def is_google_shape(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("claims"), list) and "@type" not in data


def reviews_from_google(data: dict[str, Any], source: str) -> Iterator[tuple[str, Review | InvalidRecord]]:
    for i, claim in enumerate(data.get("claims") or []):
        pos = f"{source}: claims[{i}]"
        if not isinstance(claim, dict):
            yield pos, InvalidRecord("claim entry is not an object")
            continue
        reviews = claim.get("claimReview")
        if not isinstance(reviews, list) or not reviews:
            yield pos, InvalidRecord("claim has no claimReview entries")
            continue
        for j, rv in enumerate(reviews):
            p = f"{pos}.claimReview[{j}]"
            try:
                if not isinstance(rv, dict):
                    raise InvalidRecord("claimReview entry is not an object")
                pub = rv.get("publisher") if isinstance(rv.get("publisher"), dict) else {}
                yield p, Review(
                    claim=_claim(claim.get("text")), url=_url(rv.get("url")), rating=_text(rv.get("textualRating")),
                    publisher=_text(pub.get("name")), publisher_site=_text(pub.get("site")),
                    claimant=_text(claim.get("claimant")), claim_date=parse_date(claim.get("claimDate")),
                    date=parse_date(rv.get("reviewDate")), language=_text(rv.get("languageCode")),
                    title=_text(rv.get("title")), source=source, raw={"claim": {k: v for k, v in claim.items()
                                                                                 if k != "claimReview"},
                                                                       "claimReview": rv})
            except InvalidRecord as exc:
                yield p, exc


# -- CSV ---------------------------------------------------------------------------------------------------
def reviews_from_csv(text: str, source: str) -> Iterator[tuple[str, Review | InvalidRecord]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    cols = [h.strip().lower().lstrip("\ufeff") for h in header] if header else []
    if "claim" not in cols or "url" not in cols:
        raise InputError(f"{source}: the CSV needs a header row with at least 'claim' and 'url' columns",
                         hint="columns: claim, rating, url, publisher, date, language")
    for n, row in enumerate(reader, 1):
        pos = f"{source}: row {n}"
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(cols):
            yield pos, InvalidRecord(f"{len(row)} fields but the header has {len(cols)}")
            continue
        rec = dict(zip(cols, (c.strip() for c in row)))
        try:
            yield pos, Review(claim=_claim(rec.get("claim")), url=_url(rec.get("url")),
                              rating=rec.get("rating") or None, publisher=rec.get("publisher") or None,
                              date=parse_date(rec.get("date")), language=rec.get("language") or None,
                              title=rec.get("title") or None, claimant=rec.get("claimant") or None,
                              claim_date=parse_date(rec.get("claim_date")), source=source,
                              raw={k: v for k, v in rec.items() if v})
        except InvalidRecord as exc:
            yield pos, exc


# -- JSON and HTML -----------------------------------------------------------------------------------
def _from_jsonld_data(data: Any, source: str, prefix: str) -> Iterator[tuple[str, Review | InvalidRecord]]:
    nodes = find_claim_reviews(data)
    for j, node in enumerate(nodes, 1):
        if prefix:
            pos = prefix if len(nodes) == 1 else f"{prefix} item {j}"
        else:
            pos = f"item {j}"
        try:
            yield f"{source}: {pos}", review_from_jsonld(node, source)
        except InvalidRecord as exc:
            yield f"{source}: {pos}", exc


def reviews_from_json(text: str, source: str) -> Iterator[tuple[str, Review | InvalidRecord]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield f"{source}", InvalidRecord(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        return
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


def reviews_from_html(html: str, source: str) -> Iterator[tuple[str, Review | InvalidRecord]]:
    for b, block in enumerate(ld_json_blocks(html), 1):
        try:
            data = json.loads(block)
        except json.JSONDecodeError as exc:
            yield (f"{source}: block {b}",
                   InvalidRecord(f"broken JSON-LD block: {exc.msg} at line {exc.lineno} column {exc.colno}"))
            continue
        yield from _from_jsonld_data(data, source, f"block {b}")


def reviews_from_text(text: str, kind: str, source: str) -> Iterator[tuple[str, Review | InvalidRecord]]:
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


def _decode(data: bytes, charset: str | None = None) -> str:
    for enc in filter(None, (charset, "utf-8-sig", "cp1252")):
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


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
                 stats: ImportStats | None = None) -> Iterator[tuple[str, Review | InvalidRecord]]:
    """``(position, Review or InvalidRecord)`` for every record in files, folders and URLs."""
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
            try:
                data = f.read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read {f}: {exc.strerror or exc}") from exc
            text = _decode(data)
            kind = EXTENSIONS.get(f.suffix.lower()) or _sniff(text)
            if stats is not None:
                stats.sources += 1
            yield from reviews_from_text(text, kind, str(f))


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


def read_records(sources: str | Path | Iterable[str | Path], *, allow_private: bool = False
                 ) -> tuple[list[Review], list[tuple[str, str]]]:
    """Parse without storing: (valid reviews, invalid (position, reason))."""
    if isinstance(sources, (str, Path)):
        sources = [sources]
    good, bad = [], []
    for pos, rec in iter_records(list(sources), allow_private=allow_private):
        if isinstance(rec, InvalidRecord):
            bad.append((pos, str(rec)))
        else:
            good.append(rec)
    return good, bad
