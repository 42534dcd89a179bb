"""Schema for watched feeds (issue 16, ``factdesk watch``): feeds, the entries seen, and alerts.

Applied as store migration 9; read and written only through the store module that owns it
(``store.watch``).  SQLite only for now.

* ``feeds``: one row per watched feed URL, with the ETag / Last-Modified of its last answer.
* ``feed_items``: every entry seen, keyed by feed + entry URL, with the article's content hash and
  the report made from it: a restarted watcher checks nothing twice.
* ``alerts``: an article that repeats an earlier fact-check or contradicts one.
"""

SQL = """
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT,
    etag TEXT,
    last_modified TEXT,
    added_at TEXT NOT NULL,
    last_polled TEXT,
    last_error TEXT
);
CREATE TABLE feed_items (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    entry_url TEXT NOT NULL,
    content_hash TEXT,
    status TEXT NOT NULL DEFAULT 'new',   -- new | checked | failed
    report_id TEXT,
    error TEXT,
    seen_at TEXT NOT NULL,
    checked_at TEXT,
    UNIQUE (feed_id, entry_url)
);
CREATE INDEX feed_items_hash ON feed_items(content_hash);
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    feed_item_id INTEGER REFERENCES feed_items(id) ON DELETE SET NULL,
    report_id TEXT,
    claim_id TEXT,
    kind TEXT NOT NULL,                   -- repeats_factcheck | contradicts_factcheck
    detail TEXT NOT NULL,                 -- JSON
    created_at TEXT NOT NULL
);
"""
