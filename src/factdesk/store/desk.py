"""The web desk's tables (store migrations 3-4): meta, users, tokens, sessions, login failures, jobs, edits.

Reach them through the store: ``store.desk`` is a :class:`DeskTables`.  Every
write runs in its own short transaction; nothing here knows about HTTP,
passwords or tokens in clear (the web desk hashes them before they get here).

Example::

    with Store.open("desk.db") as store:
        job_id = store.desk.create_job(kind="text", text="The dam opened in 2024.", user="alice")
        store.desk.claim_next_job()          # -> job_id, now 'running'
        store.desk.finish_job(job_id, report_id)
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from factdesk.errors import NotFoundError
from factdesk.store.tables import StoreTables

STOPPED_REASON = "server stopped during the check"
MAX_ATTEMPTS = 2  # a job interrupted by a restart is re-queued once, then marked failed

_JOB_COLUMNS = ("id", "status", "stage", "progress", "error", "report_id", "input_kind", "filename", "title",
                "submitted_by", "attempts", "created", "started", "finished")


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _now_precise() -> str:
    # jobs are listed by creation: seconds alone would tie two checks sent in one second
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _encode(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def sliding_window_wait(times: list[float], limit: int, window_s: float, now: float) -> float:
    """Seconds until fewer than ``limit`` of these failure times (ascending) are in the window."""
    if len(times) < limit:
        return 0.0
    return times[len(times) - limit] + window_s - now


class DeskTables(StoreTables):
    """Data access for the web desk, over one open :class:`~factdesk.store.Store`."""

    def discard_open_transaction(self) -> None:
        """Roll back a transaction a failed check left open, so the next write can start its own."""
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    # -- meta -----------------------------------------------------------------------------------
    def session_secret(self) -> str:
        """The secret that signs cookies: made once, kept in the store (so restarts keep sessions)."""
        sql = "SELECT value FROM desk_meta WHERE key = 'session_secret'"
        row = self._db.execute(sql).fetchone()
        if row is None:
            with self._write() as c:
                c.execute("INSERT OR IGNORE INTO desk_meta(key, value) VALUES ('session_secret', ?)",
                          (secrets.token_urlsafe(48),))
            row = self._db.execute(sql).fetchone()
        return str(row[0])

    # -- users ----------------------------------------------------------------------------------
    def user_exists(self, name: str) -> bool:
        return self._db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone() is not None

    def add_user(self, name: str, password_hash: str, role: str) -> int:
        with self._write() as c:
            cur = c.execute("INSERT INTO users(name, password_hash, role, created) VALUES (?,?,?,?)",
                            (name, password_hash, role, _now()))
        return int(cur.lastrowid or 0)

    def get_user(self, name: str) -> dict[str, Any]:
        """``id, name, role, created, disabled`` (when, or None); NotFoundError for an unknown name."""
        row = self._one("SELECT id, name, role, created, disabled FROM users WHERE name = ?", (name,))
        if row is None:
            raise NotFoundError(f"no user {name!r}",
                                hint="`factdesk user list` shows the names; `factdesk user add NAME` creates one")
        return row

    def login_row(self, name: str) -> dict[str, Any] | None:
        """The user with its password hash, for checking a login."""
        return self._one("SELECT id, name, role, password_hash, disabled FROM users WHERE name = ?", (name,))

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self._write() as c:
            c.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))

    def list_users(self) -> list[dict[str, Any]]:
        return self._all("""SELECT u.id, u.name, u.role, u.created, u.disabled,
                                   (SELECT count(*) FROM api_tokens t WHERE t.user_id = u.id) AS tokens
                            FROM users u ORDER BY u.name""")

    def set_disabled(self, user_id: int, disabled: bool) -> int:
        """Disable (ending every session; returns how many) or re-enable an account."""
        ended = 0
        with self._write() as c:
            if disabled:
                c.execute("UPDATE users SET disabled = coalesce(disabled, ?) WHERE id = ?", (_now(), user_id))
                ended = c.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,)).rowcount
            else:
                c.execute("UPDATE users SET disabled = NULL WHERE id = ?", (user_id,))
        return int(ended)

    # -- API tokens (stored as digests) -------------------------------------------------------------
    def add_token(self, user_id: int, digest: str) -> None:
        with self._write() as c:
            c.execute("INSERT INTO api_tokens(user_id, token_hash, created) VALUES (?,?,?)",
                      (user_id, digest, _now()))

    def count_tokens(self, user_id: int) -> int:
        return int(self._db.execute("SELECT count(*) FROM api_tokens WHERE user_id = ?", (user_id,)).fetchone()[0])

    def delete_tokens(self, user_id: int) -> int:
        with self._write() as c:
            return int(c.execute("DELETE FROM api_tokens WHERE user_id = ?", (user_id,)).rowcount)

    def user_for_token(self, digest: str) -> dict[str, Any] | None:
        """``id, name, role, disabled`` of the token's user, or None for an unknown digest."""
        return self._one("""SELECT u.id, u.name, u.role, u.disabled FROM api_tokens t
                            JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?""", (digest,))

    # -- sessions (stored as digests: a copy of the store hands out no live session) ---------------------
    @staticmethod
    def _session_key(sid: str) -> str:
        return hashlib.sha256(sid.encode("utf-8")).hexdigest()

    def new_session(self, user_id: int, hours: int = 12) -> str:
        """A new session id for ``user_id``; only its SHA-256 is stored."""
        sid = secrets.token_urlsafe(24)
        now = datetime.now(timezone.utc)
        with self._write() as c:
            c.execute("DELETE FROM sessions WHERE expires < ?", (now.isoformat(timespec="seconds"),))
            c.execute("INSERT INTO sessions(id, user_id, created, expires) VALUES (?,?,?,?)",
                      (self._session_key(sid), user_id, now.isoformat(timespec="seconds"),
                       (now + timedelta(hours=hours)).isoformat(timespec="seconds")))
        return sid

    def user_for_session(self, sid: str) -> dict[str, Any] | None:
        """The session's user while it has not expired and the account is enabled."""
        return self._one("""SELECT u.id, u.name, u.role FROM sessions s JOIN users u ON u.id = s.user_id
                            WHERE s.id = ? AND s.expires > ? AND u.disabled IS NULL""",
                         (self._session_key(sid), datetime.now(timezone.utc).isoformat(timespec="seconds")))

    def end_session(self, sid: str) -> None:
        with self._write() as c:
            c.execute("DELETE FROM sessions WHERE id = ?", (self._session_key(sid),))

    # -- failed logins (keys are digests) ------------------------------------------------------------
    def count_login_attempt(self, keys: list[tuple[str, str, int]], now: float, window_s: float) -> tuple[float, int]:
        """Count one attempt under each ``(scope, key, limit)``, unless one is over its limit.

        One transaction: expired rows go, each scope's wait is computed, and only when no
        scope has to wait is a failure row added per scope.  Returns ``(wait, last row id)``;
        nothing was added when ``wait > 0``.
        """
        since = now - window_s
        wait, row = 0.0, 0
        with self._write() as c:
            c.execute("DELETE FROM login_failures WHERE at <= ?", (since,))
            for scope, key, limit in keys:
                times = [r[0] for r in c.execute(
                    "SELECT at FROM login_failures WHERE scope = ? AND key = ? AND at > ? ORDER BY at",
                    (scope, key, since)).fetchall()]
                wait = max(wait, sliding_window_wait(times, limit, window_s, now))
            if wait <= 0:
                for scope, key, _ in keys:
                    row = int(c.execute("INSERT INTO login_failures(scope, key, at) VALUES (?, ?, ?)",
                                        (scope, key, now)).lastrowid or 0)
        return wait, row

    def forget_login_failures(self, name_key: str, row_id: int) -> None:
        """Drop every failure of a name and one row (the successful attempt's address row)."""
        with self._write() as c:
            c.execute("DELETE FROM login_failures WHERE scope = 'name' AND key = ?", (name_key,))
            c.execute("DELETE FROM login_failures WHERE id = ?", (row_id,))

    def login_failures(self, scope: str, key: str, since: float) -> int:
        return int(self._db.execute("SELECT count(*) FROM login_failures WHERE scope = ? AND key = ? AND at > ?",
                                    (scope, key, since)).fetchone()[0])

    # -- jobs -----------------------------------------------------------------------------------
    def create_job(self, *, kind: str, text: str | None = None, blob: bytes | None = None,
                   filename: str | None = None, title: str | None = None, user: str | None = None) -> str:
        job_id = "j" + secrets.token_hex(8)
        with self._write() as c:
            c.execute(
                """INSERT INTO jobs(id, status, stage, progress, input_kind, input_text, input_blob, filename,
                                    title, submitted_by, created) VALUES (?, 'queued', 'queued', 0, ?,?,?,?,?,?,?)""",
                (job_id, kind, text, blob, filename, title, user, _now_precise()))
        return job_id

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        return self._one(f"SELECT {', '.join(_JOB_COLUMNS)} FROM jobs WHERE id = ?", (job_id,))

    def job_for_report(self, report_id: str) -> dict[str, Any] | None:
        return self._one(f"SELECT {', '.join(_JOB_COLUMNS)} FROM jobs WHERE report_id = ? ORDER BY created DESC "
                         "LIMIT 1", (report_id,))

    def job_input(self, job_id: str) -> dict[str, Any]:
        row = self._one("SELECT input_kind, input_text, input_blob, filename, title FROM jobs WHERE id = ?", (job_id,))
        if row is None:
            raise NotFoundError(f"no job {job_id!r}")
        return row

    def list_jobs(self, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first, each with ``report_title`` (the title of its report, once done)."""
        return self._all(f"""SELECT {', '.join('j.' + c for c in _JOB_COLUMNS)}, r.title AS report_title
                             FROM jobs j LEFT JOIN reports r ON r.id = j.report_id
                             ORDER BY j.created DESC LIMIT ?""", (limit,))

    def claim_next_job(self) -> str | None:
        """Mark the oldest queued job running (atomically) and return its id."""
        with self._write() as c:
            row = c.execute("SELECT id FROM jobs WHERE status = 'queued' ORDER BY created LIMIT 1").fetchone()
            if row is None:
                return None
            c.execute("""UPDATE jobs SET status = 'running', stage = 'starting', progress = 0,
                         attempts = attempts + 1, started = ?, error = NULL WHERE id = ?""", (_now(), row[0]))
        return str(row[0])

    def set_progress(self, job_id: str, stage: str, fraction: float) -> None:
        with self._write() as c:
            c.execute("UPDATE jobs SET stage = ?, progress = ? WHERE id = ? AND status = 'running'",
                      (stage, max(0.0, min(1.0, float(fraction))), job_id))

    def finish_job(self, job_id: str, report_id: str) -> None:
        with self._write() as c:
            c.execute("""UPDATE jobs SET status = 'done', stage = 'done', progress = 1, report_id = ?, finished = ?,
                         error = NULL WHERE id = ?""", (report_id, _now(), job_id))

    def fail_job(self, job_id: str, message: str, *, only_if_running: bool = False) -> bool:
        """Mark a job failed with ``message``; with ``only_if_running``, a job that has meanwhile
        finished keeps its outcome.  Returns whether the job was marked."""
        sql = "UPDATE jobs SET status = 'failed', error = ?, finished = ? WHERE id = ?"
        if only_if_running:
            sql += " AND status = 'running'"
        with self._write() as c:
            return c.execute(sql, (message[:2000], _now(), job_id)).rowcount > 0

    def recover_jobs(self) -> dict[str, list[str]]:
        """At start-up: a job left ``running`` by a stopped server is re-queued once, then marked failed.

        Jobs left ``queued`` stay queued and the worker picks them up.  Returns what was done.
        """
        out: dict[str, list[str]] = {"requeued": [], "failed": [], "queued": []}
        with self._write() as c:
            for row in c.execute("SELECT id, attempts FROM jobs WHERE status = 'running'").fetchall():
                if row["attempts"] < MAX_ATTEMPTS:
                    c.execute("UPDATE jobs SET status = 'queued', stage = 'queued', progress = 0, error = ? "
                              "WHERE id = ?", (f"{STOPPED_REASON}; re-queued", row["id"]))
                    out["requeued"].append(row["id"])
                else:
                    c.execute("UPDATE jobs SET status = 'failed', error = ?, finished = ? WHERE id = ?",
                              (f"{STOPPED_REASON} (already retried once)", _now(), row["id"]))
                    out["failed"].append(row["id"])
            out["queued"] = [r[0] for r in c.execute("SELECT id FROM jobs WHERE status = 'queued'").fetchall()]
        return out

    # -- reports as the desk lists them ------------------------------------------------------------
    def report_head(self, report_id: str) -> dict[str, Any] | None:
        """``id, title, created`` of a stored report (checks made with the CLI have no job)."""
        return self._one("SELECT id, title, created FROM reports WHERE id = ?", (report_id,))

    def approved_counts(self) -> dict[str, int | None]:
        """Approved claims per report, for the reports a reviewer has edited."""
        rows = self._db.execute("""SELECT id, json_extract(json, '$.review.approved_claims') FROM reports
                                   WHERE id IN (SELECT DISTINCT report_id FROM edits)""").fetchall()
        return {r[0]: r[1] for r in rows}

    def corpus_counts(self) -> dict[str, int]:
        """Corpus documents, indexed passages and checked articles."""
        one = self._db.execute
        return {"documents": one("SELECT count(*) FROM documents WHERE role = 'corpus'").fetchone()[0],
                "passages": one("SELECT count(*) FROM passages").fetchone()[0],
                "articles": one("SELECT count(*) FROM documents WHERE role = 'article'").fetchone()[0]}

    # -- edits / audit trail ----------------------------------------------------------------------
    def add_edits(self, report_id: str, claim_id: str, user: str,
                  actions: list[tuple[str, str | None, Any, Any]]) -> list[int]:
        """Record reviewer actions ``(action, target, old, new)`` in one transaction."""
        at = _now()
        ids = []
        with self._write() as c:
            for action, target, old, new in actions:
                cur = c.execute(
                    """INSERT INTO edits(report_id, claim_id, action, target, old_value, new_value, user_name, at)
                       VALUES (?,?,?,?,?,?,?,?)""",
                    (report_id, claim_id, action, target, _encode(old), _encode(new), user, at))
                ids.append(int(cur.lastrowid or 0))
        return ids

    def list_edits(self, report_id: str) -> list[dict[str, Any]]:
        return self._all("""SELECT id, report_id, claim_id, action, target, old_value, new_value,
                                   user_name AS user, at
                            FROM edits WHERE report_id = ? ORDER BY id""", (report_id,))

    def original_report(self, report_id: str) -> dict[str, Any] | None:
        """The machine-made report, once a reviewer has edited it (else None)."""
        row = self._db.execute("SELECT json FROM report_originals WHERE report_id = ?", (report_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def keep_original(self, report: dict[str, Any]) -> None:
        with self._write() as c:
            c.execute("INSERT OR IGNORE INTO report_originals(report_id, json, saved) VALUES (?,?,?)",
                      (report["id"], json.dumps(report, ensure_ascii=False), _now()))
