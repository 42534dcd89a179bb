"""Schema for the web desk: users, sessions, API tokens, check jobs, reviewer edits and the audit trail.

Owned by `factdesk.web`; applied as store migration 3.
"""

SQL = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'viewer',
    created TEXT NOT NULL
);
"""
