"""Schema for imported fact-checks (ClaimReview records) and claim matching.

Owned by the `factdesk.match` stage; applied as store migration 2.
"""

SQL = """
CREATE TABLE reviews (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    claim TEXT NOT NULL,
    url TEXT NOT NULL,
    rating TEXT,
    publisher TEXT,
    date TEXT,
    language TEXT,
    raw TEXT
);
"""
