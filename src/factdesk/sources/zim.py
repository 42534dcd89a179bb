"""Offline Wikipedia (and any other Kiwix ZIM file) as evidence, two ways.

1. **Index it** (:func:`index_zim`, ``factdesk index wikipedia_en_all_nopic.zim``): every HTML
   article of the ZIM (redirects and non-HTML entries skipped) is read with the HTML ingester and
   written into the store through the indexer, in chunked transactions, so memory stays bounded
   and a killed run resumes where it stopped.  Each article is recorded as a file
   ``zim://NAME/PATH`` (NAME: the ZIM file's name without ``.zim``); a checkpoint record
   ``zim://NAME`` holds the ZIM's UUID and how far the last committed chunk got, so a re-run of
   the same file starts there instead of at entry 0.

2. **Search it at check time** (:class:`ZimSource`, registered as source ``zim``): the ZIM's own
   Xapian full-text index answers the query (the title index when the ZIM has no full-text
   index), the top articles are read and cut into passages, and the passages that best match the
   query come back as :class:`~factdesk.types.Hit` s with provenance.  Nothing is copied.

Both date an article by the ZIM's ``Date`` metadata: the day the dump was made, not the day the
article was written, so a claim dated before the dump sees its passages flagged
``after_claim_date``.

libzim is GPL-3.0 and an optional extra (``pip install 'factdesk[zim]'``); it is imported only
when a ZIM is opened.

Example::

    source = make_zim(path="wikipedia_en_all_nopic_2024-01.zim")
    source.warm_up()
    [hit, *_] = source.search("The Riverside light rail line has 14 stations", k=3)
    hit.provenance["url"]   # 'zim://wikipedia_en_all_nopic_2024-01/Light_rail'
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from factdesk.errors import ConfigError, FactdeskError, InputError, SourceError
from factdesk.ingest._common import parse_date
from factdesk.ingest.html import document_from_html
from factdesk.protocols import Indexer, Store
from factdesk.text.passages import make_passages
from factdesk.text.words import STOPWORDS, WORD, stem
from factdesk.types import Document, Hit, IndexStats, Passage

INSTALL_HINT = "install the optional extra: pip install 'factdesk[zim]' (libzim, GPL-3.0)"
MAX_FAILED_LISTED = 50  # failures kept by name in the stats (the count goes on)
_REDIRECT_HOPS = 16


def _libzim() -> Any:
    """The libzim package, or a ConfigError that says how to install it."""
    try:
        import libzim.reader  # noqa: F401 - the submodules are what we use
        import libzim.search  # noqa: F401
        import libzim.suggestion  # noqa: F401
    except ImportError as exc:
        raise ConfigError("reading ZIM files needs libzim, which is not installed", hint=INSTALL_HINT) from exc
    import libzim

    return libzim


# -- one open ZIM file ------------------------------------------------------------------------------
@dataclass
class ZimFile:
    """An open ZIM archive with what factdesk needs from its header and metadata."""

    path: Path
    archive: Any
    name: str  # the file name without .zim: the NAME of zim://NAME/PATH
    uuid: str
    title: str | None  # the Title metadata ("Wikipedia")
    date: str | None  # the Date metadata (ISO), the day of the dump
    fetched_at: str  # date, else the file's modification time (ISO)

    def url(self, entry_path: str) -> str:
        return f"zim://{self.name}/{entry_path}"


def open_zim(path: str | os.PathLike[str], *, error: type[FactdeskError] = InputError) -> ZimFile:
    """Open a ZIM file, raising ``error`` (InputError, or SourceError at check time) when it cannot be read."""
    libzim = _libzim()
    p = Path(path).expanduser()
    if not p.is_file() and not Path(f"{p}aa").is_file():  # a split ZIM is FILE.zimaa, FILE.zimab … opened as FILE.zim
        raise error(f"no such ZIM file: {path}",
                    hint="download one from https://library.kiwix.org (see docs/zim.md)")
    try:
        archive = libzim.reader.Archive(p)
        count = archive.entry_count
    except Exception as exc:  # noqa: BLE001 - libzim raises RuntimeError and friends for a bad file
        raise error(f"not a readable ZIM file: {path} ({exc})",
                    hint="the file may be truncated or not a ZIM; download it again") from exc
    if count == 0:
        raise error(f"the ZIM file {path} has no entries")

    def meta(key: str) -> str | None:
        try:
            value = bytes(archive.get_metadata(key)).decode("utf-8", "replace").strip()
        except Exception:  # noqa: BLE001 - missing metadata is a KeyError/RuntimeError depending on version
            return None
        return value or None

    date = parse_date(meta("Date"))
    stat = p.stat() if p.is_file() else Path(f"{p}aa").stat()
    mtime = datetime.fromtimestamp(stat.st_mtime, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    name = p.name[:-4] if p.name.lower().endswith(".zim") else p.name
    return ZimFile(path=p, archive=archive, name=name, uuid=str(archive.uuid), title=meta("Title"),
                   date=date, fetched_at=date or mtime)


def _follow(entry: Any) -> Any:
    hops = 0
    while entry.is_redirect and hops < _REDIRECT_HOPS:
        entry = entry.get_redirect_entry()
        hops += 1
    return entry


_HEAD = re.compile(rb"<head(?:\s[^>]*)?>", re.IGNORECASE)
_HTML = re.compile(rb"<html(?:\s[^>]*)?>", re.IGNORECASE)


def _dated(data: bytes, day: str) -> bytes:
    """The page with the dump's date as its publication date.

    The HTML reader then skips its costly search of an undated page's text for a date (225 -> 16 ms an
    article in benchmarks/zim_index.py), whose answer would be replaced by the dump's date anyway.
    """
    meta = f'<meta property="article:published_time" content="{day}">'.encode()
    m = _HEAD.search(data, 0, 4096) or _HTML.search(data, 0, 4096)
    return data[:m.end()] + meta + data[m.end():] if m else meta + data


def entry_document(zim: ZimFile, entry: Any, data: bytes) -> Document:
    """A Document from one HTML entry: the ingester's text, the entry's title, its zim:// URL, the dump date."""
    url = zim.url(entry.path)
    doc = document_from_html(_dated(data, zim.fetched_at[:10]), path=url)
    return replace(doc, id="", title=entry.title or doc.title, url=url, path=url, published=zim.date,
                   source=zim.title or zim.name, author=None)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- indexing a whole ZIM ---------------------------------------------------------------------------
@dataclass
class ZimIndexStats(IndexStats):
    """What ``factdesk index FILE.zim`` did; ``to_dict`` has index's fields and the ZIM's own counts."""

    failed_count: int = 0
    entries: int = 0  # entries of the ZIM looked at in this run (checkpointed ones not included)
    redirects: int = 0
    not_html: int = 0
    resumed_from: int = 0  # entry index the run started at (the checkpoint)
    limited: bool = False  # stopped by --limit before the end of the file

    def fail(self, where: str, why: str) -> None:
        self.failed_count += 1
        if len(self.failed) < MAX_FAILED_LISTED:
            self.failed.append((where, why))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "failed_count": self.failed_count,
                "entries": self.entries, "redirects": self.redirects, "not_html": self.not_html,
                "resumed_from": self.resumed_from, "limited": self.limited}


def _checkpoint(store: Store, key: str, uuid: str) -> tuple[int, int] | None:
    """(next entry, articles done) recorded by an earlier run of this very file (same UUID), else None."""
    value = store.file_hash(key)
    parts = (value or "").split(":")
    if len(parts) != 3 or parts[0] != uuid:
        return None  # never indexed, or another build of the file: every entry is compared by its hash
    try:
        return int(parts[1]), int(parts[2])
    except ValueError:
        return None


def _record(digest: str, document_id: str) -> str:
    # an article's file record keeps its document id too: a changed article replaces its old document
    # without a scan of every file record
    return f"{digest}/{document_id}"


def index_zim(store: Store, indexer: Indexer, path: str | os.PathLike[str], *, limit: int | None = None,
              progress: bool = False, chunk: int = 32, max_bytes: int = 50_000_000) -> ZimIndexStats:
    """Index the HTML articles of a ZIM file; re-runs skip what is done, a killed run resumes.

    ``limit`` stops after that many articles (counting those done before), to try a huge file.
    Work is committed ``chunk`` articles at a time, with the checkpoint in the same transaction.
    """
    started = time.perf_counter()
    zim = open_zim(path)
    archive = zim.archive
    total = archive.entry_count
    ckey = f"zim://{zim.name}"
    checkpoint = _checkpoint(store, ckey, zim.uuid)
    start, done = checkpoint or (0, 0)
    stats = ZimIndexStats(resumed_from=start, unchanged=done)
    if limit is not None and limit < 0:
        raise InputError("--limit must be 0 or more")
    pending: list[tuple[str, str, Document, str | None]] = []
    articles = done

    def commit(next_entry: int) -> None:
        nonlocal pending
        with store.transaction():
            for _key, _digest_, doc, old_id in pending:
                if old_id and old_id != doc.id:
                    store.remove_document(old_id)
                store.save_document(doc, role="corpus")
            if pending:
                stats.passages += indexer.add_documents([doc for _, _, doc, _ in pending])
            for key, digest, doc, old_id in pending:
                store.record_file(key, _record(digest, doc.id), doc.id)
                if old_id:
                    stats.updated += 1
                else:
                    stats.added += 1
            store.record_file(ckey, f"{zim.uuid}:{next_entry}:{articles}", "")
        pending = []

    from tqdm import tqdm

    bar = tqdm(total=total, initial=start, desc=f"indexing {zim.name}", unit="entry", disable=not progress,
               leave=False, dynamic_ncols=True)
    i = start
    try:
        while i < total:
            if limit is not None and articles >= limit:
                stats.limited = True
                break
            entry = archive._get_entry_by_id(i)
            i += 1
            stats.entries += 1
            bar.update(1)
            if entry.is_redirect:
                stats.redirects += 1
                continue
            key = zim.url(entry.path)
            try:
                item = entry.get_item()
                if not item.mimetype.startswith("text/html"):
                    stats.not_html += 1
                    continue
                if item.size > max_bytes:
                    raise InputError(f"article over {max_bytes} bytes")
                data = bytes(item.content)
                digest = _digest(data)
                # recorded before: by an earlier build of this file (the same build resumes past it)
                old_digest, _, old_id = (store.file_hash(key) or "").partition("/")
                if old_digest == digest:
                    stats.unchanged += 1
                    articles += 1
                    continue
                doc = entry_document(zim, entry, data)
            except InputError as exc:
                stats.fail(key, exc.message)
                continue
            except RuntimeError as exc:  # a damaged cluster: that article is lost, the rest may read
                stats.fail(key, f"cannot be read from the ZIM file: {exc}")
                continue
            articles += 1
            pending.append((key, digest, doc, old_id or None))
            if len(pending) >= chunk:
                commit(i)
        commit(i)  # the last articles, and the checkpoint even when nothing was new
    finally:
        bar.close()
    stats.seconds = time.perf_counter() - started
    return stats


# -- searching a ZIM at check time ------------------------------------------------------------------
def query_terms(query: str, most: int = 8) -> list[str]:
    """The query's words worth searching for, longest (most specific) first, at most ``most``."""
    seen: dict[str, str] = {}
    for w in WORD.findall(query):
        lw = w.lower().strip("'’-")
        if len(lw) < 2 or lw in STOPWORDS or lw in seen:
            continue
        seen[lw] = w.replace(",", "")
    return sorted(seen.values(), key=lambda w: (-(w[0].isupper() or w[0].isdigit()), -len(w)))[:most]


_NAME_RUN = re.compile(r"(?:[A-Z][\w'’-]*)(?:\s+(?:of|the|de|and|[A-Z][\w'’-]*))*(?<![a-z]\sof)(?<!\sthe)")


def title_queries(query: str) -> list[str]:
    """What to ask a title index: the query, its runs of capitalised words, then its words."""
    phrases = [m.group(0) for m in _NAME_RUN.finditer(query)]
    phrases = [p for p in phrases if p.lower() not in STOPWORDS]
    out: list[str] = []
    for q in [query.strip(), *sorted(phrases, key=len, reverse=True), *query_terms(query)]:
        if q and q.lower() not in {o.lower() for o in out}:
            out.append(q)
    return out


def _tokens(text: str) -> list[str]:
    return [w.replace(",", "") if w[0].isdigit() else stem(w) for w in WORD.findall(text)
            if w.lower() not in STOPWORDS]


def rank_passages(query: str, passages: list[Passage], *, k1: float = 1.2, b: float = 0.75) -> list[float]:
    """BM25 of each passage (its title and text) for the query's words, statistics over these passages."""
    q = set(_tokens(query))
    if not passages or not q:
        return [0.0] * len(passages)
    docs = [Counter(_tokens(f"{p.title or ''} {p.text}")) for p in passages]
    n = len(docs)
    avg = sum(sum(d.values()) for d in docs) / n or 1.0
    df = Counter(t for d in docs for t in q if t in d)
    scores = []
    for d in docs:
        length = sum(d.values())
        s = 0.0
        for t in q:
            tf = d.get(t, 0)
            if tf:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg))
        scores.append(s)
    return scores


class ZimSource:
    """Search one ZIM file at check time: its full-text index (or titles), then the best passages.

    ``candidates`` articles are read per query; ``full_text=False`` forces the title search even
    where the ZIM has a full-text index.  The file is opened in :meth:`warm_up` (or the first search).
    """

    def __init__(self, path: str | os.PathLike[str], *, candidates: int = 8, name: str = "zim",
                 full_text: bool = True, max_bytes: int = 5_000_000) -> None:
        self.path = Path(path).expanduser()
        self.name = name
        self.candidates = max(1, int(candidates))
        self.full_text = full_text
        self.max_bytes = max_bytes
        self._zim: ZimFile | None = None
        self.last_mode: str | None = None  # "full_text" or "title": how the last search found its articles

    def warm_up(self) -> None:
        if self._zim is None:
            self._zim = open_zim(self.path, error=SourceError)

    @property
    def zim(self) -> ZimFile:
        self.warm_up()
        assert self._zim is not None
        return self._zim

    @property
    def uses_full_text(self) -> bool:
        return self.full_text and bool(self.zim.archive.has_fulltext_index)

    # which articles
    def _full_text_paths(self, query: str) -> list[str]:
        libzim = _libzim()
        searcher = libzim.search.Searcher(self.zim.archive)

        def ask(q: str, n: int) -> tuple[int, list[str]]:
            try:
                search = searcher.search(libzim.search.Query().set_query(q))
                return search.getEstimatedMatches(), list(search.getResults(0, n))
            except RuntimeError:  # a query Xapian cannot parse: the words alone are tried next
                return 0, []

        n = self.candidates
        _, paths = ask(query, n)  # every word (libzim joins the words with AND)
        if len(paths) >= n:
            return paths
        # then any word: one search per word, fused by rank and weighted by how rare the word is
        size = max(1, self.zim.archive.article_count)
        fused: dict[str, float] = {}
        for term in query_terms(query):
            matches, found = ask(term, n)
            if not found:
                continue
            idf = math.log(1 + size / max(1, matches))
            for rank, p in enumerate(found):
                fused[p] = fused.get(p, 0.0) + idf / (10 + rank)
        extra = [p for p in sorted(fused, key=lambda p: -fused[p]) if p not in paths]
        return (paths + extra)[:n]

    def _title_paths(self, query: str) -> list[str]:
        libzim = _libzim()
        suggester = libzim.suggestion.SuggestionSearcher(self.zim.archive)
        paths: list[str] = []
        for q in title_queries(query):
            for p in suggester.suggest(q).getResults(0, self.candidates):
                if p not in paths:
                    paths.append(p)
            if len(paths) >= self.candidates:
                break
        return paths[:self.candidates]

    def _articles(self, paths: list[str]) -> Iterator[tuple[Document, str]]:
        archive = self.zim.archive
        seen: set[str] = set()
        for p in paths:
            try:
                entry = _follow(archive.get_entry_by_path(p))
                if entry.is_redirect or entry.path in seen:
                    continue
                seen.add(entry.path)
                item = entry.get_item()
                if not item.mimetype.startswith("text/html") or item.size > self.max_bytes:
                    continue
                data = bytes(item.content)
                yield entry_document(self.zim, entry, data), _digest(data)
            except InputError:
                continue  # an article without readable text
            except (KeyError, RuntimeError) as exc:
                raise SourceError(f"cannot read {p!r} from the ZIM file {self.path}: {exc}",
                                  hint="the file may be damaged; download it again") from exc

    def search(self, query: str, k: int = 5, *, before: str | None = None) -> list[Hit]:
        if not query.strip() or k <= 0:
            return []
        zim = self.zim
        try:
            if self.uses_full_text:
                self.last_mode, paths = "full_text", self._full_text_paths(query)
            else:
                self.last_mode, paths = "title", self._title_paths(query)
        except FactdeskError:
            raise
        except Exception as exc:  # noqa: BLE001 - libzim's errors are RuntimeErrors without a family
            raise SourceError(f"the ZIM file {self.path} could not be searched: {exc}") from exc
        passages: list[tuple[Passage, str]] = []
        for doc, digest in self._articles(paths):
            passages.extend((p, digest) for p in make_passages(doc))
        scores = rank_passages(query, [p for p, _ in passages])
        # best first; among equals the article the index ranked higher, then the earlier passage
        order = sorted(range(len(passages)), key=lambda i: -scores[i])
        after = bool(before and zim.date and zim.date > before)
        hits = []
        for i in order[:k]:
            passage, digest = passages[i]
            hits.append(Hit(passage=passage, score=float(scores[i]), lexical_rank=len(hits) + 1,
                            after_claim_date=after,
                            provenance={"source": self.name, "query": query, "url": passage.url,
                                        "fetched_at": zim.fetched_at, "content_hash": digest,
                                        "snapshot_id": None}))
        return hits


def make_zim(path: str, *, candidates: int = 8, name: str = "zim", full_text: bool = True) -> ZimSource:
    """The registry's factory for source ``zim``: ``create("source", "zim", path="wiki.zim")``."""
    if not path:
        raise ConfigError("the zim source needs a path", hint="factdesk sources add zim /path/to/file.zim")
    if importlib.util.find_spec("libzim") is None:  # say so now, without importing it
        raise ConfigError("the zim source needs libzim, which is not installed", hint=INSTALL_HINT)
    return ZimSource(path, candidates=candidates, name=name, full_text=full_text)


__all__ = ["ZimFile", "ZimIndexStats", "ZimSource", "entry_document", "index_zim", "make_zim", "open_zim",
           "query_terms", "rank_passages", "title_queries", "INSTALL_HINT"]
