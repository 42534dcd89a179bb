"""Schema for watched feeds (issue 16, ``factdesk watch``): feeds, the entries seen, and alerts.

Applied as store migration 9; read and written only through the store module that owns it
(``store.watch``, :mod:`factdesk.store.watch`).  SQLite only for now.

* ``feeds``: one row per watched feed URL, with the ETag / Last-Modified of its last answer and
  how its last poll went.
* ``feed_items``: every entry seen, keyed by feed + entry URL, with what the feed said about it
  (``entry_json``: title, date, its own text), the article's content hash and the report made from
  it.  ``status``: ``new`` (not checked yet, or to be retried: ``attempts`` and ``error`` say how it
  went), ``checked`` (``report_id``), ``duplicate`` (the same URL or the same text was checked
  already: ``report_id`` is that check's), ``failed`` (gave up after the maximum attempts).
  A restarted watcher checks nothing twice and retries what it had not finished.
* ``alerts``: an article's claim that repeats an earlier fact-check (``repeats_factcheck``) or
  whose verdict contradicts the fact-check's rating (``contradicts_factcheck``); ``detail`` is the
  alert as delivered (JSON); ``delivered_at`` is set once the terminal / file / webhook had it.
"""

SQL = """
CREATE TABLE IF NOT EXISTS feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT,
    etag TEXT,
    last_modified TEXT,
    added_at TEXT NOT NULL,
    last_polled TEXT,
    last_status TEXT,                     -- 'new entries' | 'not modified' | 'no new entries' | 'error'
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS feed_items (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    entry_url TEXT NOT NULL,
    entry_json TEXT NOT NULL DEFAULT '{}',
    content_hash TEXT,
    content_source TEXT,                  -- page (the fetched link) | entry (the feed entry's own text)
    status TEXT NOT NULL DEFAULT 'new',   -- new | checked | duplicate | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    report_id TEXT,
    error TEXT,
    seen_at TEXT NOT NULL,
    checked_at TEXT,
    UNIQUE (feed_id, entry_url)
);
CREATE INDEX IF NOT EXISTS feed_items_hash ON feed_items(content_hash);
CREATE INDEX IF NOT EXISTS feed_items_url ON feed_items(entry_url);
CREATE INDEX IF NOT EXISTS feed_items_status ON feed_items(feed_id, status);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    feed_item_id INTEGER REFERENCES feed_items(id) ON DELETE SET NULL,
    report_id TEXT,
    claim_id TEXT,
    kind TEXT NOT NULL,                   -- repeats_factcheck | contradicts_factcheck
    detail TEXT NOT NULL,                 -- JSON
    created_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS alerts_created ON alerts(created_at);
"""
