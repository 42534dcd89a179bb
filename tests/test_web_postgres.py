"""The web desk on a PostgreSQL store (pytest -m postgres; CI: bash .ci/postgres.sh and .ci/pgvector.sh).

The desk's tables (``store.desk``: :mod:`factdesk.store.postgres_desk`) against a real server,
then the desk itself end to end over a ``postgresql://`` URL: a check submitted through the
API, run by the worker in its child process (which opens the URL itself), a reviewer's edits in
the audit trail and every export, sessions, tokens and restart recovery.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres

pytest.importorskip("fastapi")
pytest.importorskip("argon2")
pytest.importorskip("httpx")

from test_postgres import pg_databases, pg_url  # noqa: E402,F401  (fixtures: a fresh database per test)
from test_web_api import (  # noqa: E402
    ARTICLE,
    CORPUS_FILES,
    DEMO,
    SETTINGS,
    assert_error,
    bearer,
    csrf_of,
    login,
)

from factdesk.store import Store  # noqa: E402

SLOW = 300.0  # a check on 2 busy cores, the child process loading its models first


def _wait(client, check_id: str, **headers: str) -> dict:
    deadline = time.monotonic() + SLOW
    while True:
        job = client.get(f"/api/checks/{check_id}", params={"include_report": "false"}, headers=headers).json()
        if job["status"] in ("done", "failed"):
            return client.get(f"/api/checks/{check_id}", headers=headers).json()
        assert time.monotonic() < deadline, f"check {check_id} still {job['status']}"
        time.sleep(0.2)


# -- the desk's tables ------------------------------------------------------------------------------
def test_desk_tables_on_postgres(pg_url):
    from factdesk.errors import NotFoundError
    from factdesk.store.postgres import MIGRATIONS, PostgresStore
    from factdesk.store.postgres_desk import PostgresDeskTables
    from factdesk.web import accounts

    with PostgresStore.open(pg_url) as store:
        desk = store.desk
        assert isinstance(desk, PostgresDeskTables) and store.schema_version == len(MIGRATIONS)
        # jobs: oldest queued first, progress clamped, restart recovery re-queues once then fails
        first = desk.create_job(kind="text", text="The dam opened in 2024.", user="alice")
        time.sleep(0.01)
        second = desk.create_job(kind="file", blob=b"%PDF-1.4 \x00\xff", filename="a.pdf", title="A")
        assert [j["id"] for j in desk.list_jobs()] == [second, first]
        assert desk.job_input(second)["input_blob"] == b"%PDF-1.4 \x00\xff"
        assert desk.claim_next_job() == first
        desk.set_progress(first, "verify", 1.7)
        assert desk.get_job(first)["progress"] == 1.0 and desk.get_job(first)["attempts"] == 1
        assert desk.recover_jobs() == {"requeued": [first], "failed": [], "queued": [first, second]}
        assert desk.claim_next_job() == first
        assert desk.recover_jobs()["failed"] == [first]
        assert "already retried once" in desk.get_job(first)["error"]
        assert desk.fail_job(second, "x" * 5000) and len(desk.get_job(second)["error"]) == 2000
        assert not desk.fail_job(second, "again", only_if_running=True)
        with pytest.raises(NotFoundError):
            desk.job_input("j-none")
        # the cookie secret is made once and kept
        secret = desk.session_secret()
        assert len(secret) > 40 and desk.session_secret() == secret
        # users, tokens (digests), sessions (digests), disabling ends sessions
        uid = accounts.add_user(store, "alice", "alice's long password", "reviewer")
        token = accounts.new_token(store, "alice")
        assert [r[0] for r in store.conn.execute("SELECT token_hash FROM api_tokens")] != [token]
        sid = desk.new_session(uid)
        assert sid not in [r[0] for r in store.conn.execute("SELECT id FROM sessions")]
        assert desk.user_for_session(sid)["name"] == "alice"
        assert desk.set_disabled(uid, True) == 1 and desk.user_for_session(sid) is None
        assert desk.list_users()[0]["disabled"] and desk.list_users()[0]["tokens"] == 1
        desk.set_disabled(uid, False)
        # failed logins slide out of their window; a refusal adds nothing
        keys = [("name", "k-name", 2), ("address", "k-addr", 10)]
        assert desk.count_login_attempt(keys, 1000.0, 60.0)[0] == 0
        assert desk.count_login_attempt(keys, 1010.0, 60.0)[0] == 0
        wait, _ = desk.count_login_attempt(keys, 1020.0, 60.0)
        assert wait == 40.0 and desk.login_failures("name", "k-name", 960.0) == 2
        wait, row = desk.count_login_attempt(keys, 1061.0, 60.0)
        assert wait == 0 and row
        desk.forget_login_failures("k-name", row)
        assert desk.login_failures("name", "k-name", 0) == 0 and desk.login_failures("address", "k-addr", 0) == 1
        # edits in order, the original report kept once
        ids = desk.add_edits("r1", "c1", "alice", [("verdict", None, "supported", "refuted"),
                                                   ("note", None, None, {"text": "checked"})])
        assert ids == sorted(ids) and [e["action"] for e in desk.list_edits("r1")] == ["verdict", "note"]
        assert desk.list_edits("r1")[1]["new_value"] == '{"text": "checked"}' and desk.list_edits("r1")[0]["user"] == "alice"
        desk.keep_original({"id": "r1", "v": 1})
        desk.keep_original({"id": "r1", "v": 2})
        assert desk.original_report("r1") == {"id": "r1", "v": 1} and desk.original_report("r2") is None
        store.save_report({"id": "r1", "article": {"id": "a"}, "claims": [], "review": {"approved_claims": 3}})
        assert desk.approved_counts() == {"r1": 3}
        assert desk.corpus_counts() == {"documents": 0, "passages": 0, "articles": 0}


def test_two_desks_never_claim_the_same_job(pg_url):
    from factdesk.store.postgres import PostgresStore

    with PostgresStore.open(pg_url) as store:
        made = {store.desk.create_job(kind="text", text=f"claim {i}") for i in range(40)}
    claimed: list[str] = []
    lock = threading.Lock()

    def drain() -> None:
        with PostgresStore.open(pg_url) as s:
            while (job := s.desk.claim_next_job()) is not None:
                with lock:
                    claimed.append(job)

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(made)  # each job exactly once


def test_concurrent_failed_logins_cannot_pass_the_limit(pg_url):
    from factdesk.store.postgres import PostgresStore

    with PostgresStore.open(pg_url) as store:
        store.desk.session_secret()
    waits: list[float] = []
    lock = threading.Lock()

    def attempt() -> None:
        with PostgresStore.open(pg_url) as s:
            wait, _ = s.desk.count_login_attempt([("name", "same", 3)], 5000.0, 60.0)
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for w in waits if w <= 0) == 3  # exactly the limit got through
    with PostgresStore.open(pg_url) as s:
        assert s.desk.login_failures("name", "same", 0) == 3


# -- the desk end to end -----------------------------------------------------------------------------------
@pytest.fixture
def desk_url(pg_url, tmp_path: Path) -> str:
    """A database with four demo corpus documents indexed, and a reviewer and a viewer."""
    from factdesk.pipeline import Pipeline
    from factdesk.web import accounts

    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in CORPUS_FILES:
        shutil.copy(DEMO / "corpus" / name, folder / name)
    with Store.open(pg_url) as store:
        assert Pipeline(store, SETTINGS).index_path(folder).added == len(CORPUS_FILES)
        accounts.add_user(store, "alice", "correct horse battery", "reviewer")
        accounts.add_user(store, "victor", "viewer password 1", "viewer")
    return pg_url


def test_desk_end_to_end_on_postgres(desk_url):
    from fastapi.testclient import TestClient

    from factdesk.store.postgres import PostgresStore
    from factdesk.web import accounts
    from factdesk.web.app import create_app

    with Store.open(desk_url) as store:
        tokens = {n: accounts.new_token(store, n) for n in ("alice", "victor")}
    alice = bearer(tokens["alice"])
    # the worker runs each check in a child process that opens the postgresql:// URL itself
    with TestClient(create_app(desk_url, require_login=True, settings=SETTINGS)) as c:
        assert c.app.state.desk.settings.job_isolation == "process"
        assert_error(c.get("/api/checks"), 401, "login_required")
        r = c.post("/api/checks", json={"text": ARTICLE}, headers=alice)
        assert r.status_code == 202, r.text
        job = _wait(c, r.json()["id"], **alice)
        assert job["status"] == "done", job
        report = job["report"]
        assert job["submitted_by"] == "alice" and report["claims"]
        claim = next(cl for cl in report["claims"] if cl["evidence"])
        # evidence came from the PostgreSQL store's passages
        with PostgresStore.open(desk_url) as store:
            assert store.passages.get(claim["evidence"][0]["passage_id"]).text
            assert store.get_report(report["id"])["id"] == report["id"]

        # a viewer reads but may not edit
        assert_error(c.post(f"/api/checks/{job['id']}/claims/{claim['id']}/review", json={"approve": True},
                            headers=bearer(tokens["victor"])), 403, "forbidden")
        # the reviewer's edit, in the audit trail and in every export
        new_label = "refuted" if claim["verdict"]["label"] != "refuted" else "supported"
        explanation = "Reviewed on PostgreSQL: the 2023 budget contradicts this."
        r = c.post(f"/api/checks/{job['id']}/claims/{claim['id']}/review", headers=alice,
                   json={"label": new_label, "explanation": explanation, "note": "checked",
                         "irrelevant_evidence_ids": [claim["evidence"][0]["passage_id"]], "approve": True})
        assert r.status_code == 200, r.text
        audit = c.get(f"/api/checks/{job['id']}/audit", headers=alice).json()["edits"]
        assert [e["action"] for e in audit] == ["verdict", "explanation", "irrelevant", "note", "approve"]
        assert audit[0]["old_value"] == claim["verdict"]["label"] and audit[0]["new_value"] == new_label
        again = c.get(f"/api/checks/{job['id']}", headers=alice).json()["report"]
        assert again["review"]["approved_claims"] == 1
        exported = c.get(f"/checks/{job['id']}/export.json", headers=alice).json()
        assert next(cl for cl in exported["claims"] if cl["id"] == claim["id"])["verdict"]["label"] == new_label
        md = c.get(f"/checks/{job['id']}/export.md", headers=alice).text
        assert "approved by alice" in md and "checked" in md
        items = c.get(f"/checks/{job['id']}/export.claimreview.json", params={"approved_only": "true"},
                      headers=alice).json()
        assert len(items) == 1 and items[0]["reviewBody"] == explanation
        with PostgresStore.open(desk_url) as store:
            stored = store.get_report(report["id"])
            original = store.desk.original_report(report["id"])
        assert next(cl for cl in stored["claims"] if cl["id"] == claim["id"])["verdict"]["label"] == new_label
        assert next(cl for cl in original["claims"] if cl["id"] == claim["id"])["verdict"]["label"] == \
            claim["verdict"]["label"]

        # the browser side: login (session in the store), the pages, a form submit with its CSRF token
        assert login(c, "alice", "wrong password").status_code == 401
        assert login(c, "alice", "correct horse battery").status_code == 303
        assert c.get("/api/me").json() == {"name": "alice", "role": "reviewer", "via": "session"}
        page = c.get(f"/checks/{job['id']}").text
        assert 'id="audit-table"' in page and explanation in page
        listing = c.get("/api/checks").json()
        assert job["id"] in str(listing)
        assert c.get("/feeds").status_code == 200 and c.get("/api/feeds").json()["feeds"] == []
        token = csrf_of(c.get("/checks").text)
        r = c.post("/checks", data={"text": ARTICLE + "\nA second look.\n", "csrf_token": token},
                   follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/checks/j")
        second = r.headers["location"].rsplit("/", 1)[1]
        assert _wait(c, second, **alice)["status"] == "done"


def test_desk_restart_recovers_jobs_on_postgres(desk_url):
    from fastapi.testclient import TestClient

    from factdesk.store.postgres import PostgresStore
    from factdesk.web.app import create_app

    with TestClient(create_app(desk_url, require_login=False, settings=SETTINGS, start_worker=False)) as c:
        queued = c.post("/api/checks", json={"text": ARTICLE}).json()["id"]
        twice = c.post("/api/checks", json={"text": ARTICLE + "\nMore.\n"}).json()["id"]
        assert c.get(f"/api/checks/{queued}").json()["status"] == "queued"
    with PostgresStore.open(desk_url) as store:  # as if the server died in the middle of a retried check
        store.conn.execute("UPDATE jobs SET status='running', stage='verify', attempts=2 WHERE id=%s", (twice,))
    # a fresh server on the same database, checks in its own thread this time
    settings = SETTINGS.with_overrides(job_isolation="thread")
    with TestClient(create_app(desk_url, require_login=False, settings=settings)) as c:
        assert _wait(c, queued)["status"] == "done"
        failed = c.get(f"/api/checks/{twice}").json()
        assert failed["status"] == "failed" and "server stopped during the check" in failed["error"]


def test_user_commands_and_serve_take_a_url(desk_url, monkeypatch):
    from click.testing import CliRunner

    from factdesk.web.serve_cli import _shown, _store_path, user

    runner = CliRunner()
    r = runner.invoke(user, ["add", "rita", "--role", "reviewer", "--password-stdin", "--db", desk_url],
                      input="long enough secret\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(user, ["token", "rita", "--db", desk_url])
    assert r.exit_code == 0 and r.output.strip().startswith("fdk_")
    r = runner.invoke(user, ["list", "--db", desk_url])
    assert "rita\treviewer\t1 token(s)" in r.output and "alice" in r.output
    monkeypatch.setenv("FACTDESK_DB", desk_url)
    assert _store_path(None) == desk_url  # a URL in $FACTDESK_DB stays a URL
    assert _shown("postgresql://me:s3cret@db/x") == "postgresql://me:***@db/x"
