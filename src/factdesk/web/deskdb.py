"""Data access for the web desk's tables (store migrations 3-4): jobs, users, tokens, sessions, edits.

Every function takes an open :class:`~factdesk.store.Store`; writes run in
their own short transaction.  Nothing here knows about HTTP.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from factdesk.errors import FactdeskError, InputError, NotFoundError
from factdesk.store import Store
from factdesk.store.sqlite import now_iso

ROLES = ("reviewer", "viewer")
JOB_STATUSES = ("queued", "running", "done", "failed")
STOPPED_REASON = "server stopped during the check"
MAX_ATTEMPTS = 2  # a job interrupted by a restart is re-queued once, then marked failed


# -- meta / secret ------------------------------------------------------------------------
def session_secret(store: Store) -> str:
    """The secret that signs cookies: made once, kept in the store (so restarts keep sessions)."""
    row = store.conn.execute("SELECT value FROM desk_meta WHERE key = 'session_secret'").fetchone()
    if row:
        return str(row[0])
    with store.transaction() as c:
        c.execute("INSERT OR IGNORE INTO desk_meta(key, value) VALUES ('session_secret', ?)",
                  (secrets.token_urlsafe(48),))
    return str(store.conn.execute("SELECT value FROM desk_meta WHERE key = 'session_secret'").fetchone()[0])


# -- users ----------------------------------------------------------------------------------
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def add_user(store: Store, name: str, password: str, role: str) -> int:
    name = (name or "").strip()
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise InputError("a user name must be 1-64 characters without spaces")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}", hint="choose reviewer or viewer")
    if len(password) < 8:
        raise InputError("the password must have at least 8 characters")
    if store.conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
        raise InputError(f"user {name!r} already exists")
    with store.transaction() as c:
        cur = c.execute("INSERT INTO users(name, password_hash, role, created) VALUES (?,?,?,?)",
                        (name, _hasher().hash(password), role, now_iso()))
    return int(cur.lastrowid or 0)


def get_user(store: Store, name: str) -> dict[str, Any]:
    row = store.conn.execute("SELECT id, name, role, created, disabled FROM users WHERE name = ?",
                             (name,)).fetchone()
    if row is None:
        raise NotFoundError(f"no user {name!r}",
                            hint="`factdesk user list` shows the names; `factdesk user add NAME` creates one")
    return dict(row)


def list_users(store: Store) -> list[dict[str, Any]]:
    rows = store.conn.execute(
        """SELECT u.id, u.name, u.role, u.created, u.disabled,
                  (SELECT count(*) FROM api_tokens t WHERE t.user_id = u.id) AS tokens
           FROM users u ORDER BY u.name""").fetchall()
    return [dict(r) for r in rows]


def set_disabled(store: Store, name: str, disabled: bool) -> dict[str, Any]:
    """Disable or re-enable an account; returns what changed.

    Disabling ends the user's browser sessions (deleted: they cannot come back) and suspends
    their API tokens: the tokens are kept but refused while the account is disabled, so
    re-enabling does not force every script to get a new token.  Revoke them for good with
    :func:`revoke_tokens`.
    """
    user = get_user(store, name)
    was = user["disabled"] is not None
    ended = 0
    with store.transaction() as c:
        if disabled:
            if not was:
                c.execute("UPDATE users SET disabled = ? WHERE id = ?", (now_iso(), user["id"]))
            ended = c.execute("DELETE FROM sessions WHERE user_id = ?", (user["id"],)).rowcount
        elif was:
            c.execute("UPDATE users SET disabled = NULL WHERE id = ?", (user["id"],))
    tokens = store.conn.execute("SELECT count(*) FROM api_tokens WHERE user_id = ?", (user["id"],)).fetchone()[0]
    return {"name": user["name"], "changed": was != disabled, "sessions_ended": ended, "tokens": int(tokens)}


def revoke_tokens(store: Store, name: str) -> int:
    """Delete every API token of ``name``; returns how many there were."""
    user = get_user(store, name)
    with store.transaction() as c:
        return int(c.execute("DELETE FROM api_tokens WHERE user_id = ?", (user["id"],)).rowcount)


def verify_password(store: Store, name: str, password: str) -> dict[str, Any] | None:
    """The user when the password is right, else None (same work either way).

    A disabled user with the right password is returned with ``disabled`` true: the caller
    refuses the login but can say why (only someone who knows the password learns it).
    """
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    row = store.conn.execute("SELECT id, name, role, password_hash, disabled FROM users WHERE name = ?",
                             (name or "",)).fetchone()
    ph = _hasher()
    stored = row["password_hash"] if row else _DUMMY_HASH.get(ph)
    try:
        ph.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if ph.check_needs_rehash(stored):
        with store.transaction() as c:
            c.execute("UPDATE users SET password_hash = ? WHERE id = ?", (ph.hash(password), row["id"]))
    return {"id": row["id"], "name": row["name"], "role": row["role"], "disabled": row["disabled"] is not None}


class _Dummy:
    """A hash to verify against for unknown users, so timing does not reveal who exists."""

    value: str | None = None

    def get(self, ph: Any) -> str:
        if self.value is None:
            self.value = ph.hash(secrets.token_urlsafe(16))
        return self.value


_DUMMY_HASH = _Dummy()


# -- API tokens -------------------------------------------------------------------------------
def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(store: Store, name: str) -> str:
    """A fresh bearer token for user ``name``; only its SHA-256 is stored."""
    user = get_user(store, name)
    if user["disabled"] is not None:
        raise InputError(f"user {name!r} is disabled", hint=f"enable it first: `factdesk user enable {name}`")
    token = "fdk_" + secrets.token_urlsafe(32)
    with store.transaction() as c:
        c.execute("INSERT INTO api_tokens(user_id, token_hash, created) VALUES (?,?,?)",
                  (user["id"], _token_digest(token), now_iso()))
    return token


def user_for_token(store: Store, token: str) -> dict[str, Any] | None:
    """The token's user (``disabled`` says whether the account is disabled), or None for an unknown token."""
    row = store.conn.execute(
        """SELECT u.id, u.name, u.role, u.disabled, t.id AS token_id FROM api_tokens t
           JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?""", (_token_digest(token),)).fetchone()
    if row is None:
        return None
    return {"id": row["id"], "name": row["name"], "role": row["role"], "disabled": row["disabled"] is not None}


# -- sessions ---------------------------------------------------------------------------------
def new_session(store: Store, user_id: int, hours: int = 12) -> str:
    sid = secrets.token_urlsafe(24)
    now = datetime.now(timezone.utc)
    with store.transaction() as c:
        c.execute("DELETE FROM sessions WHERE expires < ?", (now.isoformat(timespec="seconds"),))
        c.execute("INSERT INTO sessions(id, user_id, created, expires) VALUES (?,?,?,?)",
                  (sid, user_id, now.isoformat(timespec="seconds"),
                   (now + timedelta(hours=hours)).isoformat(timespec="seconds")))
    return sid


def user_for_session(store: Store, sid: str) -> dict[str, Any] | None:
    row = store.conn.execute(
        """SELECT u.id, u.name, u.role FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.id = ? AND s.expires > ? AND u.disabled IS NULL""",
        (sid, datetime.now(timezone.utc).isoformat(timespec="seconds"))).fetchone()
    return dict(row) if row else None


def end_session(store: Store, sid: str) -> None:
    with store.transaction() as c:
        c.execute("DELETE FROM sessions WHERE id = ?", (sid,))


# -- jobs -------------------------------------------------------------------------------------
def create_job(store: Store, *, kind: str, text: str | None = None, blob: bytes | None = None,
               filename: str | None = None, title: str | None = None, user: str | None = None) -> str:
    job_id = "j" + secrets.token_hex(8)
    with store.transaction() as c:
        c.execute(
            """INSERT INTO jobs(id, status, stage, progress, input_kind, input_text, input_blob, filename, title,
                                submitted_by, created) VALUES (?, 'queued', 'queued', 0, ?,?,?,?,?,?,?)""",
            (job_id, kind, text, blob, filename, title, user, _now_precise()))
    return job_id


def _now_precise() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


_JOB_COLUMNS = ("id, status, stage, progress, error, report_id, input_kind, filename, title, submitted_by, "
                "attempts, created, started, finished")


def get_job(store: Store, job_id: str) -> dict[str, Any] | None:
    row = store.conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return dict(row) if row else None


def job_for_report(store: Store, report_id: str) -> dict[str, Any] | None:
    row = store.conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE report_id = ? ORDER BY created DESC LIMIT 1",
                             (report_id,)).fetchone()
    return dict(row) if row else None


def job_input(store: Store, job_id: str) -> dict[str, Any]:
    row = store.conn.execute("SELECT input_kind, input_text, input_blob, filename, title FROM jobs WHERE id = ?",
                             (job_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no job {job_id!r}")
    return dict(row)


def list_jobs(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    rows = store.conn.execute(
        f"""SELECT {', '.join('j.' + c.strip() for c in _JOB_COLUMNS.split(','))}, r.title AS report_title
            FROM jobs j LEFT JOIN reports r ON r.id = j.report_id
            ORDER BY j.created DESC LIMIT ?""", (limit,)).fetchall()
    return [dict(r) for r in rows]


def claim_next_job(store: Store) -> str | None:
    """Mark the oldest queued job running (atomically) and return its id."""
    with store.transaction() as c:
        row = c.execute("SELECT id FROM jobs WHERE status = 'queued' ORDER BY created LIMIT 1").fetchone()
        if row is None:
            return None
        c.execute("""UPDATE jobs SET status = 'running', stage = 'starting', progress = 0, attempts = attempts + 1,
                     started = ?, error = NULL WHERE id = ?""", (now_iso(), row[0]))
    return str(row[0])


def set_progress(store: Store, job_id: str, stage: str, fraction: float) -> None:
    with store.transaction() as c:
        c.execute("UPDATE jobs SET stage = ?, progress = ? WHERE id = ? AND status = 'running'",
                  (stage, max(0.0, min(1.0, float(fraction))), job_id))


def finish_job(store: Store, job_id: str, report_id: str) -> None:
    with store.transaction() as c:
        c.execute("""UPDATE jobs SET status = 'done', stage = 'done', progress = 1, report_id = ?, finished = ?,
                     error = NULL WHERE id = ?""", (report_id, now_iso(), job_id))


def fail_job(store: Store, job_id: str, message: str) -> None:
    with store.transaction() as c:
        c.execute("UPDATE jobs SET status = 'failed', error = ?, finished = ? WHERE id = ?",
                  (message[:2000], now_iso(), job_id))


def recover_jobs(store: Store) -> dict[str, list[str]]:
    """At start-up: a job left ``running`` by a stopped server is re-queued once, then marked failed.

    Jobs left ``queued`` stay queued and the worker picks them up.  Returns what was done.
    """
    out: dict[str, list[str]] = {"requeued": [], "failed": [], "queued": []}
    with store.transaction() as c:
        for row in c.execute("SELECT id, attempts FROM jobs WHERE status = 'running'").fetchall():
            if row["attempts"] < MAX_ATTEMPTS:
                c.execute("""UPDATE jobs SET status = 'queued', stage = 'queued', progress = 0,
                             error = ? WHERE id = ?""",
                          (f"{STOPPED_REASON}; re-queued", row["id"]))
                out["requeued"].append(row["id"])
            else:
                c.execute("UPDATE jobs SET status = 'failed', error = ?, finished = ? WHERE id = ?",
                          (f"{STOPPED_REASON} (already retried once)", now_iso(), row["id"]))
                out["failed"].append(row["id"])
        out["queued"] = [r[0] for r in c.execute("SELECT id FROM jobs WHERE status = 'queued'").fetchall()]
    return out


# -- edits / audit ------------------------------------------------------------------------------
def add_edits(store: Store, report_id: str, claim_id: str, user: str,
              actions: list[tuple[str, str | None, Any, Any]]) -> list[int]:
    """Record reviewer actions ``(action, target, old, new)`` in one transaction."""
    at = now_iso()
    ids = []
    with store.transaction() as c:
        for action, target, old, new in actions:
            cur = c.execute(
                """INSERT INTO edits(report_id, claim_id, action, target, old_value, new_value, user_name, at)
                   VALUES (?,?,?,?,?,?,?,?)""",
                (report_id, claim_id, action, target, _enc(old), _enc(new), user, at))
            ids.append(int(cur.lastrowid or 0))
    return ids


def _enc(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def list_edits(store: Store, report_id: str) -> list[dict[str, Any]]:
    rows = store.conn.execute(
        """SELECT id, report_id, claim_id, action, target, old_value, new_value, user_name AS user, at
           FROM edits WHERE report_id = ? ORDER BY id""", (report_id,)).fetchall()
    return [dict(r) for r in rows]


def original_report(store: Store, report_id: str) -> dict[str, Any] | None:
    row = store.conn.execute("SELECT json FROM report_originals WHERE report_id = ?", (report_id,)).fetchone()
    return json.loads(row[0]) if row else None


def keep_original(store: Store, report: dict[str, Any]) -> None:
    with store.transaction() as c:
        c.execute("INSERT OR IGNORE INTO report_originals(report_id, json, saved) VALUES (?,?,?)",
                  (report["id"], json.dumps(report, ensure_ascii=False), now_iso()))


def error_text(exc: BaseException) -> str:
    if isinstance(exc, FactdeskError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"
