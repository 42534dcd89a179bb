"""The watch loop: poll each feed, check each new article once, raise alerts.

How an entry goes (all state in the store, ``store.watch``, so any step may be cut short):

1. **Poll** (:func:`factdesk.watch.feeds.poll_feed`): a conditional GET; the feed's new entries
   are recorded as items with status ``new`` *in the same transaction* as the new ETag /
   Last-Modified, so a later 304 never hides an entry that was not recorded.
2. **Dedupe**: an entry whose URL was checked already (from any feed) is a ``duplicate`` of that
   check; so is an article whose text (SHA-256 of its whitespace-normalised text) was.
3. **Read**: the entry's link through :meth:`Pipeline.load` (the SSRF-guarded fetcher); when the
   link cannot be fetched or read, the entry's own content from the feed (``content_source``
   ``entry`` instead of ``page``; the fetch error is kept on the item).
4. **Check** with ``Pipeline.check(save=False)``; the report id is written on the item, then the
   article and report are saved, then the item is marked ``checked`` and its alerts recorded in
   one transaction.  A restart that finds an item ``new`` whose report is already stored adopts
   that report instead of checking again.
5. **Alert** (:mod:`factdesk.watch.alerts`): delivered to the sinks, then marked delivered; alerts
   recorded but not delivered (a stop in between) are delivered when the watcher starts again.

A failed check (any error but an interrupt) counts one attempt; the item is retried at the next
poll until ``max_attempts``, then marked ``failed``.  :meth:`Watcher.stop` (SIGTERM, the first
Ctrl-C) lets the current article finish and stops before the next one.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from factdesk.errors import FactdeskError, InputError, NotFoundError
from factdesk.ingest.html import document_from_html
from factdesk.ingest.url import DEFAULT_MAX_BYTES
from factdesk.pipeline import Pipeline
from factdesk.types import Document
from factdesk.watch.alerts import Sink, alerts_for_report
from factdesk.watch.feeds import poll_feed

log = logging.getLogger("factdesk.watch")

MAX_ATTEMPTS = 3
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_interval(text: str) -> float:
    """Seconds in ``30s``, ``15m``, ``1h``, ``1h30m`` or a bare number of seconds; InputError otherwise."""
    value = str(text).strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        seconds = float(value)
    else:
        parts = re.findall(r"(\d+(?:\.\d+)?)([smhd])", value)
        if not parts or "".join(n + u for n, u in parts) != value:
            raise InputError(f"cannot read the interval {text!r}", hint="write it like 30s, 15m, 1h or 1h30m")
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds < 1:
        raise InputError(f"the interval {text!r} is shorter than one second")
    return seconds


def content_hash(text: str) -> str:
    """SHA-256 of the article's text with whitespace normalised: the same article under two URLs."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class FeedRun:
    """What one poll of one feed did."""

    url: str
    status: str = ""  # new entries | no new entries | not modified | error
    new_entries: int = 0
    checked: int = 0
    duplicates: int = 0
    failed: int = 0  # attempts that failed in this poll (retried later unless they hit the maximum)
    alerts: int = 0
    error: str | None = None
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"event": "poll", "feed_url": self.url, "status": self.status, "new_entries": self.new_entries,
                "checked": self.checked, "duplicates": self.duplicates, "failed": self.failed,
                "alerts": self.alerts, "error": self.error, "warning": self.warning}


@dataclass
class Watcher:
    """Polls ``feeds`` and checks their new articles with ``pipeline``, whose store keeps the state."""

    pipeline: Pipeline
    feeds: Sequence[str]
    sinks: Sequence[Sink] = ()
    max_attempts: int = MAX_ATTEMPTS
    feed_timeout: float = 20.0
    feed_max_bytes: int = DEFAULT_MAX_BYTES
    echo: Callable[[str], None] = field(default=lambda _line: None)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)

    def __post_init__(self) -> None:
        self.feed_ids = {url: self.store.watch.add_feed(url) for url in self.feeds}

    @property
    def store(self) -> Any:
        return self.pipeline.store

    @property
    def allow_private(self) -> bool:
        return bool(self.pipeline.settings.allow_private)

    # -- control --------------------------------------------------------------------------------
    def stop(self) -> None:
        """Finish the current article, then stop (safe to call from a signal handler)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, every: float, *, once: bool = False,
            on_poll: Callable[[list[FeedRun]], None] | None = None) -> list[FeedRun]:
        """Poll every ``every`` seconds until :meth:`stop` (or once); returns the last poll's runs."""
        self.deliver_pending()
        while True:
            runs = self.poll_once()
            if on_poll is not None:
                on_poll(runs)
            if once or self._stop.wait(every) or self.stopping:
                return runs

    def poll_once(self) -> list[FeedRun]:
        """One round: each feed polled, then its pending items checked (stops early after :meth:`stop`)."""
        runs = []
        for url, feed_id in self.feed_ids.items():
            if self.stopping:
                break
            try:
                runs.append(self.poll_feed(url, feed_id))
            except Exception as exc:  # noqa: BLE001 - one feed's trouble (a locked store …) never ends the watch
                log.exception("polling %s failed", url)
                self.echo(f"feed {url}: {type(exc).__name__}: {exc}")
                runs.append(FeedRun(url=url, status="error", error=f"{type(exc).__name__}: {exc}"))
        return runs

    # -- one feed -------------------------------------------------------------------------------
    def poll_feed(self, url: str, feed_id: int) -> FeedRun:
        run = FeedRun(url=url)
        feed = self.store.watch.get_feed(feed_id)
        try:
            result = poll_feed(url, etag=feed.get("etag"), last_modified=feed.get("last_modified"),
                               allow_private=self.allow_private, timeout=self.feed_timeout,
                               max_bytes=self.feed_max_bytes)
        except FactdeskError as exc:
            run.status, run.error = "error", str(exc)
            self.store.watch.record_feed_error(feed_id, str(exc))
            self.echo(f"feed {url}: {exc}")
        else:
            if result.not_modified:
                run.status = "not modified"
                self.store.watch.record_not_modified(feed_id)
            else:
                run.new_entries = self.store.watch.record_poll(
                    feed_id, etag=result.etag, last_modified=result.last_modified, title=result.title,
                    entries=[(e.url, e.to_json()) for e in result.entries], warning=result.warning)
                run.status = "new entries" if run.new_entries else "no new entries"
                run.warning = result.warning
                if result.warning:
                    self.echo(f"feed {url}: {result.warning}")
        # pending items are checked even when the poll failed or said 304: they may be left from a stop
        for item in self.store.watch.pending_items(feed_id):
            if self.stopping:
                break
            self.process_item(url, item, run)
        return run

    # -- one article ----------------------------------------------------------------------------
    def process_item(self, feed_url: str, item: dict[str, Any], run: FeedRun) -> None:
        """Check one pending item exactly once (or mark it a duplicate, or count a failed attempt)."""
        watch = self.store.watch
        item_id, entry_url, entry = item["id"], item["entry_url"], item.get("entry") or {}
        if item.get("report_id"):  # a stop between saving the report and marking the item: adopt it
            try:
                report = self.store.get_report(item["report_id"])
            except NotFoundError:
                report = None
            if report is not None:
                self._finish(feed_url, item, report, item.get("content_source") or "page", run, note=item.get("error"))
                return
        done = watch.done_with_url(entry_url, exclude=item_id)
        if done is not None:
            watch.mark_duplicate(item_id, done["report_id"], f"same URL as feed item {done['id']}")
            run.duplicates += 1
            return
        try:
            doc, source, note = self._read(entry_url, entry)
            digest = content_hash(doc.text)
            watch.set_content(item_id, digest, source, note)
            done = watch.done_with_hash(digest, exclude=item_id)
            if done is not None:
                watch.mark_duplicate(item_id, done["report_id"], f"same text as feed item {done['id']}")
                run.duplicates += 1
                return
            self.echo(f"checking {entry_url} ({'the page' if source == 'page' else 'the feed entry'})")
            report = self.pipeline.check(doc, save=False)
            watch.set_report(item_id, report["id"])
            with self.store.transaction():
                self.store.save_document(doc, role="article")
            self.store.save_report(report)
        except Exception as exc:  # noqa: BLE001 - any failure of one article is recorded and retried, never fatal
            if self.store.conn.in_transaction:
                self.store.conn.execute("ROLLBACK")
            status = watch.record_failure(item_id, str(exc) or type(exc).__name__, max_attempts=self.max_attempts)
            run.failed += 1
            self.echo(f"{entry_url}: {exc}" + (" (gave up)" if status == "failed" else " (will retry)"))
            log.debug("check of %s failed", entry_url, exc_info=True)
            return
        self._finish(feed_url, {**item, "content_hash": digest}, report, source, run, note=note)

    def _read(self, url: str, entry: dict[str, Any]) -> tuple[Document, str, str | None]:
        """The article: its page when the link can be fetched and read, else the entry's own content."""
        problem: str | None = None
        if url.startswith(("http://", "https://")):
            try:
                doc = self.pipeline.load(url)
                if doc.text.strip():
                    return self._dated(doc, entry), "page", None
                problem = f"{url} has no text"
            except FactdeskError as exc:
                problem = str(exc)
        html = str(entry.get("html") or "").strip()
        if not html:
            raise InputError(problem or f"{url}: the entry has no link to fetch and no text of its own")
        doc = document_from_html(html, url=url if url.startswith("http") else None)
        if not doc.text.strip():
            raise InputError((problem + "; " if problem else "") + "the feed entry's own text is empty")
        note = f"read from the feed entry: {problem}" if problem else "read from the feed entry"
        return self._dated(doc, entry), "entry", note

    @staticmethod
    def _dated(doc: Document, entry: dict[str, Any]) -> Document:
        """The entry's title and date where the article has none (the date decides which evidence is 'later')."""
        title = doc.title or entry.get("title")
        published = doc.published or entry.get("published")
        if title == doc.title and published == doc.published:
            return doc
        return Document(text=doc.text, title=title, author=doc.author, published=published, url=doc.url,
                        source=doc.source, path=doc.path, kind=doc.kind)

    def _finish(self, feed_url: str, item: dict[str, Any], report: dict[str, Any], source: str, run: FeedRun,
                note: str | None = None) -> None:
        alerts = alerts_for_report(report, feed_url=feed_url, article_url=item["entry_url"], content_source=source)
        ids = self.store.watch.finish_item(item["id"], report["id"], alerts, note=note)
        run.checked += 1
        run.alerts += len(alerts)
        self._deliver(list(zip(ids, alerts)))

    # -- alerts ---------------------------------------------------------------------------------
    def _deliver(self, alerts: list[tuple[int, dict[str, Any]]]) -> None:
        for _alert_id, alert in alerts:
            for sink in self.sinks:
                try:
                    sink.send(alert)
                except Exception as exc:  # noqa: BLE001 - a sink's failure never stops the watcher
                    log.error("alert sink %s failed: %s", type(sink).__name__, exc)
        self.store.watch.mark_delivered([alert_id for alert_id, _ in alerts])

    def deliver_pending(self) -> int:
        """Deliver alerts recorded by an earlier run that stopped before delivering them."""
        pending = self.store.watch.undelivered_alerts()
        self._deliver([(a["id"], a["detail"]) for a in pending])
        return len(pending)

