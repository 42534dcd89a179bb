"""Schema for the web desk: users, sessions, API tokens, check jobs, reviewer edits and the audit trail.

Applied as store migration 3 (migration 4 adds ``login_failures`` and ``users.disabled``);
read and written only through :class:`factdesk.store.desk.DeskTables` (``store.desk``).

* ``desk_meta``: key/value rows; ``session_secret`` signs the desk's cookies.
* ``users``: reviewers and viewers (argon2 password hashes).
* ``api_tokens``: bearer tokens for scripts, stored as SHA-256 of the token.
* ``sessions``: logged-in browser sessions (the cookie carries the signed id).
* ``jobs``: one row per submitted check; the input is kept so a job survives a restart.
* ``edits``: every reviewer action (verdict, explanation, irrelevant evidence, note,
  approval), with who and when: the audit trail.
* ``report_originals``: the machine-made report, kept once a reviewer edits it (the
  stored report in ``reports`` is then the reviewed one).
"""

SQL = """
CREATE TABLE desk_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'viewer' CHECK (role IN ('reviewer', 'viewer')),
    created TEXT NOT NULL
);
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    last_used TEXT
);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created TEXT NOT NULL,
    expires TEXT NOT NULL
);
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    stage TEXT,
    progress REAL NOT NULL DEFAULT 0,
    error TEXT,
    report_id TEXT,
    input_kind TEXT NOT NULL CHECK (input_kind IN ('text', 'url', 'file')),
    input_text TEXT,
    input_blob BLOB,
    filename TEXT,
    title TEXT,
    submitted_by TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    started TEXT,
    finished TEXT
);
CREATE INDEX jobs_status ON jobs(status, created);
CREATE INDEX jobs_report ON jobs(report_id);
CREATE TABLE edits (
    id INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('verdict', 'explanation', 'irrelevant', 'relevant', 'note',
                                           'approve', 'unapprove')),
    target TEXT,
    old_value TEXT,
    new_value TEXT,
    user_name TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX edits_report ON edits(report_id, id);
CREATE TABLE report_originals (
    report_id TEXT PRIMARY KEY,
    json TEXT NOT NULL,
    saved TEXT NOT NULL
);
"""
