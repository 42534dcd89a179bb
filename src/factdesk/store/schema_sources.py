"""Schema for outside evidence sources (issue 16): configured sources, the query cache and page snapshots.

Applied as store migration 8; read and written only through the store module that owns it
(:mod:`factdesk.store.sources`, reached as ``store.sources``).  SQLite only for now.

* ``configured_sources``: the sources ``factdesk sources add KIND SPEC`` keeps (kind, the spec it was
  given, its options as JSON); never a secret, only the *name* of the environment variable holding one.
* ``source_queries``: one cached answer per (source, query, parameters), with when it was fetched;
  a later search within the source's expiry reuses it instead of asking the API again.
* ``snapshots``: a page fetched as evidence, kept as a document (role ``snapshot``); the row says which
  URL, when, its content hash and which source/query found it, so a report can cite the snapshot and
  the live URL and be re-read later.
* ``snapshot_passages``: the snapshot's passages with their vectors.  They are kept apart from the
  corpus ``passages`` table on purpose: a page found on the web for one check does not silently join
  the local index the user built.
"""

SQL = """
CREATE TABLE configured_sources (
    name TEXT PRIMARY KEY,                -- what the user calls it (default: the kind)
    kind TEXT NOT NULL,                   -- the registered source: searxng, brave, zim …
    spec TEXT NOT NULL DEFAULT '',        -- as given to `factdesk sources add KIND SPEC` (a URL, a path …)
    options TEXT NOT NULL DEFAULT '{}',   -- JSON: further factory options (secrets only as {"$env": NAME})
    added_at TEXT NOT NULL
);
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
CREATE TABLE snapshot_passages (
    snapshot_id TEXT NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    id TEXT NOT NULL,                     -- the passage id (content hash, as corpus passages have)
    position INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    vector BLOB,                          -- float32, L2-normalised; NULL when no embedder was at hand
    PRIMARY KEY (snapshot_id, position)
);
"""
