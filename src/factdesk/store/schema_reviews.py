"""Schema for imported fact-checks (ClaimReview records) and claim matching.

Applied as store migrations 2 and 5; read and written only through
:mod:`factdesk.store.claimreviews` (``store.claimreviews``), for the `factdesk.match` stage.

* ``reviews``: one row per fact-check of one claim.  ``id`` is a content hash
  of the review URL and the *normalised* claim text (see
  ``factdesk.match.reviews.normalise_claim``), so re-importing the same record
  is a no-op.  ``vector`` is the claim's embedding, little-endian float32,
  L2-normalised (NULL when imported without an embedder); ``title_vector``
  the same for the review's title (migration 5; NULL without a title).
* ``reviews_fts``: FTS5 (BM25) over claim text and review title, kept in sync
  by triggers.
"""

SQL = """
CREATE TABLE reviews (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    claim TEXT NOT NULL,
    url TEXT NOT NULL,
    title TEXT,
    rating TEXT,
    publisher TEXT,
    publisher_site TEXT,
    claimant TEXT,
    claim_date TEXT,
    date TEXT,
    language TEXT,
    source TEXT,
    raw TEXT,
    vector BLOB,
    added_at TEXT NOT NULL
);
CREATE INDEX reviews_url ON reviews(url);

CREATE VIRTUAL TABLE reviews_fts USING fts5(
    claim, title, content='reviews', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER reviews_ai AFTER INSERT ON reviews BEGIN
    INSERT INTO reviews_fts(rowid, claim, title) VALUES (new.rowid, new.claim, coalesce(new.title, ''));
END;
CREATE TRIGGER reviews_ad AFTER DELETE ON reviews BEGIN
    INSERT INTO reviews_fts(reviews_fts, rowid, claim, title)
        VALUES ('delete', old.rowid, old.claim, coalesce(old.title, ''));
END;
CREATE TRIGGER reviews_au AFTER UPDATE OF claim, title ON reviews BEGIN
    INSERT INTO reviews_fts(reviews_fts, rowid, claim, title)
        VALUES ('delete', old.rowid, old.claim, coalesce(old.title, ''));
    INSERT INTO reviews_fts(rowid, claim, title) VALUES (new.rowid, new.claim, coalesce(new.title, ''));
END;
"""

# migration 5: fact-check titles often word the claim the way posts do ("Does Video Show …?")
SQL_TITLE_VECTORS = """
ALTER TABLE reviews ADD COLUMN title_vector BLOB;
"""
