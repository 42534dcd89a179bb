"""The web desk's tables behind ``store.desk``, on a real SQLite file (no web extra needed)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from factdesk.errors import NotFoundError
from factdesk.store import Store


def test_job_lifecycle_and_restart_recovery(tmp_path: Path) -> None:
    with Store.open(tmp_path / "desk.db") as store:
        desk = store.desk
        first = desk.create_job(kind="text", text="The dam opened in 2024.", user="alice")
        time.sleep(0.01)  # jobs are ordered by their creation time, to the millisecond
        second = desk.create_job(kind="url", text="https://example.org/story", title="Story")
        assert [j["id"] for j in desk.list_jobs()] == [second, first], "newest first"
        assert desk.claim_next_job() == first, "oldest queued first"
        desk.set_progress(first, "verify", 1.7)
        assert desk.get_job(first)["progress"] == 1.0 and desk.get_job(first)["attempts"] == 1
        assert desk.recover_jobs() == {"requeued": [first], "failed": [], "queued": [first, second]}
        assert desk.claim_next_job() == first
        assert desk.recover_jobs()["failed"] == [first], "interrupted twice: failed, not re-queued again"
        assert "already retried once" in desk.get_job(first)["error"]
        desk.fail_job(second, "x" * 5000)
        assert len(desk.get_job(second)["error"]) == 2000
        assert desk.job_input(second)["input_text"] == "https://example.org/story"
        with pytest.raises(NotFoundError):
            desk.job_input("j-none")


def test_session_secret_is_made_once(tmp_path: Path) -> None:
    with Store.open(tmp_path / "desk.db") as store:
        secret = store.desk.session_secret()
        assert len(secret) > 40 and store.desk.session_secret() == secret
    with Store.open(tmp_path / "desk.db") as again:
        assert again.desk.session_secret() == secret, "kept across restarts"


def test_login_failures_slide_out_of_the_window(tmp_path: Path) -> None:
    keys = [("name", "k-name", 2), ("address", "k-addr", 10)]
    with Store.open(tmp_path / "desk.db") as store:
        desk = store.desk
        assert desk.count_login_attempt(keys, 1000.0, 60.0)[0] == 0
        assert desk.count_login_attempt(keys, 1010.0, 60.0)[0] == 0
        wait, _ = desk.count_login_attempt(keys, 1020.0, 60.0)
        assert wait == 40.0 and desk.login_failures("name", "k-name", 1020.0 - 60) == 2, "a refusal adds nothing"
        wait, row = desk.count_login_attempt(keys, 1061.0, 60.0)
        assert wait == 0 and row
        desk.forget_login_failures("k-name", row)
        assert desk.login_failures("name", "k-name", 0) == 0
        assert desk.login_failures("address", "k-addr", 0) == 1, "1010 stays; 1000 left the window"


def test_sessions_are_stored_as_digests(tmp_path: Path) -> None:
    """Issue 17: the store held live session ids: anyone who could read it could log in as a reviewer."""
    from factdesk.web import accounts

    with Store.open(tmp_path / "desk.db") as store:
        user_id = accounts.add_user(store, "alice", "alice's long password", "reviewer")
        sid = store.desk.new_session(user_id)
        stored = [r[0] for r in store.conn.execute("SELECT id FROM sessions")]
        assert stored and sid not in stored and all(len(s) == 64 for s in stored)
        assert store.desk.user_for_session(sid)["name"] == "alice"
        store.desk.end_session(sid)
        assert store.desk.user_for_session(sid) is None
