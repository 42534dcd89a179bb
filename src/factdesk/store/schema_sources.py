"""Schema for outside evidence sources (issue 16): the query cache and dated page snapshots.

Applied as store migration 8; read and written only through the store module that owns it
(``store.sources``).  SQLite only for now.

* ``source_queries``: one cached answer per (source, query, parameters), with when it was fetched;
  a later search within the source's expiry reuses it instead of asking the API again.
* ``snapshots``: a page fetched as evidence, kept as a document (role ``snapshot``) with its
  passages; the row says which URL, when, its content hash and which source/query found it, so a
  report can cite the snapshot and the live URL and be re-read later.
"""

SQL = """
CREATE TABLE source_queries (
    source TEXT NOT NULL,
    query TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '',
    results TEXT NOT NULL,                -- JSON: the API's results as the adapter normalised them
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (source, query, params)
);
CREATE TABLE snapshots (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,                    -- the URL the search result named
    final_url TEXT,                       -- after redirects
    source TEXT NOT NULL,
    query TEXT,
    fetched_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,           -- SHA-256 of the fetched bytes
    published TEXT,                       -- the page's own date, as extracted
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE
);
CREATE INDEX snapshots_url ON snapshots(url, fetched_at);
"""
