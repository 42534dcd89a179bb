"""Watched feeds, the entries seen and the alerts raised (store migration 9): ``store.watch``.

All SQL for ``factdesk watch`` (:mod:`factdesk.watch`) and the web desk's feeds page lives here.
Every write runs in its own short transaction; the one that matters for resuming is
:meth:`WatchTables.record_poll`: a feed's new entries and its new ETag / Last-Modified land
together, so a watcher killed after a poll finds the entries waiting (status ``new``) and a
conditional GET answered 304 never hides an entry that was not recorded.

Example::

    with Store.open("fd.db") as store:
        feed = store.watch.add_feed("https://example.org/feed.xml")
        store.watch.record_poll(feed, etag='"v2"', last_modified=None, title="Example",
                                entries=[("https://example.org/a", {"title": "A"})])
        for item in store.watch.pending_items(feed):
            ...
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from factdesk.errors import NotFoundError
from factdesk.store.clock import now_iso
from factdesk.store.tables import StoreTables

STATUSES = ("new", "checked", "duplicate", "failed")
ALERT_KINDS = ("repeats_factcheck", "contradicts_factcheck")


def _item(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    d = dict(row)
    try:
        d["entry"] = json.loads(d.pop("entry_json") or "{}")
    except ValueError:
        d["entry"] = {}
    return d


class WatchTables(StoreTables):
    """Data access for watched feeds, over one open :class:`~factdesk.store.Store`."""

    # -- feeds ----------------------------------------------------------------------------------
    def add_feed(self, url: str) -> int:
        """The id of the feed at ``url``, added now if it is new."""
        with self._write() as c:
            c.execute("INSERT OR IGNORE INTO feeds(url, added_at) VALUES (?, ?)", (url, now_iso()))
            row = c.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()
        return int(row[0])

    def get_feed(self, feed_id: int) -> dict[str, Any]:
        row = self._db.execute("SELECT * FROM feeds WHERE id = ?", (feed_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no watched feed {feed_id}")
        return dict(row)

    def feed_by_url(self, url: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return dict(row) if row else None

    def record_poll(self, feed_id: int, *, etag: str | None, last_modified: str | None, title: str | None,
                    entries: Sequence[tuple[str, dict[str, Any]]], status: str | None = None,
                    warning: str | None = None) -> int:
        """A successful poll: new entries (``(url, entry)``, oldest first) and the validators, together.

        Entries already known for this feed are left as they are.  Returns how many were new.
        """
        now = now_iso()
        added = 0
        with self._write() as c:
            for url, entry in entries:
                cur = c.execute("INSERT OR IGNORE INTO feed_items(feed_id, entry_url, entry_json, seen_at) "
                                "VALUES (?, ?, ?, ?)", (feed_id, url, json.dumps(entry, ensure_ascii=False), now))
                added += cur.rowcount
            c.execute("""UPDATE feeds SET etag = ?, last_modified = ?, title = coalesce(?, title), last_polled = ?,
                                          last_status = ?, last_error = ? WHERE id = ?""",
                      (etag, last_modified, title, now,
                       status or ("new entries" if added else "no new entries"), warning, feed_id))
        return added

    def record_not_modified(self, feed_id: int) -> None:
        """The feed answered 304: nothing new, the validators stay."""
        with self._write() as c:
            c.execute("UPDATE feeds SET last_polled = ?, last_status = 'not modified', last_error = NULL "
                      "WHERE id = ?", (now_iso(), feed_id))

    def record_feed_error(self, feed_id: int, error: str) -> None:
        """The poll failed (fetch, HTTP status, unreadable XML): kept on the feed, validators unchanged."""
        with self._write() as c:
            c.execute("UPDATE feeds SET last_polled = ?, last_status = 'error', last_error = ? WHERE id = ?",
                      (now_iso(), error[:2000], feed_id))

    def list_feeds(self) -> list[dict[str, Any]]:
        """Every feed with its item counts by status (``new``, ``checked``, ``duplicate``, ``failed``) and alerts."""
        rows = self._db.execute(
            """SELECT f.*,
                      (SELECT count(*) FROM feed_items i WHERE i.feed_id = f.id) AS items,
                      (SELECT count(*) FROM feed_items i WHERE i.feed_id = f.id AND i.status = 'new') AS new,
                      (SELECT count(*) FROM feed_items i WHERE i.feed_id = f.id AND i.status = 'checked') AS checked,
                      (SELECT count(*) FROM feed_items i WHERE i.feed_id = f.id AND i.status = 'duplicate')
                          AS duplicate,
                      (SELECT count(*) FROM feed_items i WHERE i.feed_id = f.id AND i.status = 'failed') AS failed,
                      (SELECT count(*) FROM alerts a JOIN feed_items i ON i.id = a.feed_item_id
                        WHERE i.feed_id = f.id) AS alerts
               FROM feeds f ORDER BY f.url""").fetchall()
        return [dict(r) for r in rows]

    # -- items ----------------------------------------------------------------------------------
    def pending_items(self, feed_id: int | None = None) -> list[dict[str, Any]]:
        """Items still to check (status ``new``), in the order they were seen."""
        if feed_id is None:
            rows = self._db.execute("SELECT * FROM feed_items WHERE status = 'new' ORDER BY id").fetchall()
        else:
            rows = self._db.execute("SELECT * FROM feed_items WHERE status = 'new' AND feed_id = ? ORDER BY id",
                                    (feed_id,)).fetchall()
        return [d for d in (_item(r) for r in rows) if d is not None]

    def get_item(self, item_id: int) -> dict[str, Any]:
        item = _item(self._db.execute("SELECT * FROM feed_items WHERE id = ?", (item_id,)).fetchone())
        if item is None:
            raise NotFoundError(f"no feed item {item_id}")
        return item

    def items(self, feed_id: int) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT * FROM feed_items WHERE feed_id = ? ORDER BY id", (feed_id,)).fetchall()
        return [d for d in (_item(r) for r in rows) if d is not None]

    def done_with_url(self, url: str, *, exclude: int) -> dict[str, Any] | None:
        """An item (any feed) with this entry URL that was checked already."""
        return _item(self._db.execute(
            "SELECT * FROM feed_items WHERE entry_url = ? AND id != ? AND status IN ('checked', 'duplicate') "
            "AND report_id IS NOT NULL ORDER BY id LIMIT 1", (url, exclude)).fetchone())

    def done_with_hash(self, content_hash: str, *, exclude: int) -> dict[str, Any] | None:
        """An item (any feed) whose article had this content hash and was checked already."""
        return _item(self._db.execute(
            "SELECT * FROM feed_items WHERE content_hash = ? AND id != ? AND status IN ('checked', 'duplicate') "
            "AND report_id IS NOT NULL ORDER BY id LIMIT 1", (content_hash, exclude)).fetchone())

    def set_content(self, item_id: int, content_hash: str, content_source: str, note: str | None = None) -> None:
        """What was read for the item: its text's hash, ``page`` or ``entry``, and why the page was not used."""
        with self._write() as c:
            c.execute("UPDATE feed_items SET content_hash = ?, content_source = ?, error = ? WHERE id = ?",
                      (content_hash, content_source, note, item_id))

    def set_report(self, item_id: int, report_id: str) -> None:
        """The report about to be saved for this item (still ``new``): a restart that finds it stored adopts it."""
        with self._write() as c:
            c.execute("UPDATE feed_items SET report_id = ? WHERE id = ?", (report_id, item_id))

    def mark_duplicate(self, item_id: int, report_id: str, reason: str) -> None:
        with self._write() as c:
            c.execute("UPDATE feed_items SET status = 'duplicate', report_id = ?, error = ?, checked_at = ? "
                      "WHERE id = ?", (report_id, reason, now_iso(), item_id))

    def record_failure(self, item_id: int, error: str, *, max_attempts: int) -> str:
        """One failed attempt; the item stays ``new`` for a retry until ``max_attempts``, then ``failed``."""
        with self._write() as c:
            c.execute("""UPDATE feed_items SET attempts = attempts + 1, error = ?, report_id = NULL,
                                status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'new' END
                         WHERE id = ?""", (error[:2000], max_attempts, item_id))
            row = c.execute("SELECT status FROM feed_items WHERE id = ?", (item_id,)).fetchone()
        return str(row[0])

    def finish_item(self, item_id: int, report_id: str, alerts: Sequence[dict[str, Any]],
                    note: str | None = None) -> list[int]:
        """Mark the item ``checked`` with its report and record its alerts, in one transaction.

        Each alert is ``{"kind", "claim_id", ...}``, stored whole as ``detail``; returns their ids.
        """
        now = now_iso()
        ids: list[int] = []
        with self._write() as c:
            c.execute("UPDATE feed_items SET status = 'checked', report_id = ?, error = ?, checked_at = ? "
                      "WHERE id = ?", (report_id, note, now, item_id))
            for alert in alerts:
                cur = c.execute("INSERT INTO alerts(feed_item_id, report_id, claim_id, kind, detail, created_at) "
                                "VALUES (?, ?, ?, ?, ?, ?)",
                                (item_id, report_id, alert.get("claim_id"), alert["kind"],
                                 json.dumps(alert, ensure_ascii=False), now))
                ids.append(int(cur.lastrowid or 0))
        return ids

    # -- alerts ---------------------------------------------------------------------------------
    def undelivered_alerts(self) -> list[dict[str, Any]]:
        """Alerts recorded but not yet handed to the terminal / file / webhook (a watcher stopped in between)."""
        return self._alerts("WHERE a.delivered_at IS NULL", (), limit=10_000, ascending=True)

    def mark_delivered(self, alert_ids: Sequence[int]) -> None:
        if not alert_ids:
            return
        with self._write() as c:
            c.executemany("UPDATE alerts SET delivered_at = ? WHERE id = ?", [(now_iso(), i) for i in alert_ids])

    def list_alerts(self, limit: int = 200, feed_id: int | None = None) -> list[dict[str, Any]]:
        """The latest alerts, newest first, each with its ``detail`` decoded and its feed's url/title."""
        if feed_id is None:
            return self._alerts("", (), limit=limit)
        return self._alerts("WHERE i.feed_id = ?", (feed_id,), limit=limit)

    def _alerts(self, where: str, args: tuple[Any, ...], *, limit: int, ascending: bool = False
                ) -> list[dict[str, Any]]:
        order = "ASC" if ascending else "DESC"
        rows = self._db.execute(
            f"""SELECT a.*, i.entry_url, i.feed_id, f.url AS feed_url, f.title AS feed_title
                FROM alerts a LEFT JOIN feed_items i ON i.id = a.feed_item_id
                LEFT JOIN feeds f ON f.id = i.feed_id {where}
                ORDER BY a.id {order} LIMIT ?""", (*args, int(limit))).fetchall()
        out = []
        for r in rows:
            d = dict(r)
            try:
                d["detail"] = json.loads(d["detail"])
            except ValueError:
                d["detail"] = {}
            out.append(d)
        return out

    def counts(self) -> dict[str, int]:
        """Feeds, items by status, alerts."""
        out = {"feeds": int(self._db.execute("SELECT count(*) FROM feeds").fetchone()[0]),
               "alerts": int(self._db.execute("SELECT count(*) FROM alerts").fetchone()[0])}
        for status in STATUSES:
            out[status] = int(self._db.execute("SELECT count(*) FROM feed_items WHERE status = ?",
                                               (status,)).fetchone()[0])
        return out
