"""The web desk's hardening, end to end on real SQLite files, the real app and the real CLI.

* login throttling by user name and by client address (429 + Retry-After, kept in the store
  across restarts, unknown names handled exactly like known ones);
* ``factdesk user revoke-tokens|disable|enable`` against a running app;
* the per-job time limit of background checks.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("argon2")
pytest.importorskip("itsdangerous")
pytest.importorskip("multipart")
pytest.importorskip("httpx")

from click.testing import CliRunner  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from factdesk.settings import Settings, load_settings  # noqa: E402
from factdesk.store import Store  # noqa: E402
from factdesk.web import accounts, throttle  # noqa: E402
from factdesk.web.app import create_app  # noqa: E402
from factdesk.web.serve_cli import serve, user  # noqa: E402
from factdesk.web.throttle import LoginLimits  # noqa: E402

SETTINGS = Settings(verifier="baseline")
LIMITS = LoginLimits(per_name=3, per_address=5, window_s=60.0)
ALICE_PW = "correct horse battery"
HTML = {"accept": "text/html"}
ADDR_A, ADDR_B = ("10.0.0.1", 40000), ("10.0.0.2", 40000)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "desk.db"
    with Store.open(path) as store:
        accounts.add_user(store, "alice", ALICE_PW, "reviewer")
        accounts.add_user(store, "bob", "bob's long password", "viewer")
    return path


def client_for(db: Path, client: tuple[str, int] = ADDR_A, **kwargs: Any) -> TestClient:
    kwargs.setdefault("require_login", True)
    kwargs.setdefault("settings", SETTINGS)
    kwargs.setdefault("start_worker", False)
    kwargs.setdefault("login_limits", LIMITS)
    return TestClient(create_app(db, **kwargs), client=client)


def login(c: TestClient, name: str, password: str, headers: dict[str, str] | None = None) -> Any:
    m = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
    assert m, "no CSRF token on the login page"
    return c.post("/login", data={"username": name, "password": password, "csrf_token": m.group(1), "next": "/"},
                  headers=headers or {}, follow_redirects=False)


def error_of(r: Any, status: int, code: str) -> dict[str, Any]:
    """The project's one error shape, with this status and code."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["status"] == status, body
    assert body["error"]["message"]
    return body["error"]


def retry_after(r: Any) -> int:
    value = int(r.headers["retry-after"])
    assert 0 < value <= LIMITS.window_s
    return value


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def cli(*args: str) -> Any:
    return CliRunner().invoke(user, list(args))


# -- login throttling ----------------------------------------------------------------------------------
def test_failed_logins_for_a_name_are_throttled_with_429_and_retry_after(db: Path) -> None:
    with client_for(db) as c:
        for _ in range(LIMITS.per_name):
            error_of(login(c, "alice", "wrong password"), 401, "login_failed")
        refused = login(c, "alice", ALICE_PW)  # even the right password waits now
        err = error_of(refused, 429, "too_many_requests")
        assert "try again in" in err["message"] and retry_after(refused) > LIMITS.window_s - 10
        page = login(c, "alice", ALICE_PW, HTML)  # the browser gets the login page with the message
        assert page.status_code == 429 and "too many failed logins" in page.text and '<form' in page.text
        assert retry_after(page)
        assert c.get("/api/me").status_code == 401, "a refused login made no session"
        # bob (other name, same address: 4 failures < 5) is not affected
        assert login(c, "bob", "bob's long password").status_code == 303
    with client_for(db, client=ADDR_B) as other:  # the name is throttled from every address
        error_of(login(other, "alice", ALICE_PW), 429, "too_many_requests")


def test_failed_logins_from_one_address_are_throttled(db: Path) -> None:
    with client_for(db) as c:
        for i in range(LIMITS.per_address):
            error_of(login(c, f"guess{i}", "whatever pw"), 401, "login_failed")
        refused = login(c, "alice", ALICE_PW)
        error_of(refused, 429, "too_many_requests")
        retry_after(refused)
    with client_for(db, client=ADDR_B) as other:  # another address, the same account: fine
        assert login(other, "alice", ALICE_PW).status_code == 303
        assert other.get("/api/me").json()["name"] == "alice"


def test_success_clears_the_names_count(db: Path) -> None:
    with client_for(db) as c:
        for _ in range(LIMITS.per_name - 1):
            error_of(login(c, "alice", "wrong password"), 401, "login_failed")
        assert login(c, "alice", ALICE_PW).status_code == 303
        with Store.open(db) as store:
            assert throttle.failures(store, "name", "alice", LIMITS.window_s) == 0
            # the address keeps its failures (a valid account must not reset a guesser's count)
            assert throttle.failures(store, "address", ADDR_A[0], LIMITS.window_s) == LIMITS.per_name - 1
        for _ in range(LIMITS.per_name - 1):  # a fresh allowance: no 429 yet
            error_of(login(c, "alice", "wrong password"), 401, "login_failed")


def test_counters_survive_a_restart_on_the_same_store(db: Path) -> None:
    with client_for(db) as c:
        for _ in range(LIMITS.per_name):
            error_of(login(c, "alice", "wrong password"), 401, "login_failed")
    with client_for(db) as again:  # a new app (a restarted server) on the same file
        error_of(login(again, "alice", ALICE_PW), 429, "too_many_requests")


def test_unknown_names_take_the_same_path_as_known_ones(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = accounts._hasher
    verifies: list[str] = []

    class Counting:
        def __init__(self) -> None:
            self.inner = real()

        def verify(self, stored: str, password: str) -> Any:
            verifies.append(password)
            return self.inner.verify(stored, password)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    monkeypatch.setattr(accounts, "_hasher", Counting)
    answers = {}
    for name, client in (("alice", ADDR_A), ("nobody-here", ADDR_B)):
        verifies.clear()
        with client_for(db, client=client) as c:
            seen = [login(c, name, "wrong password") for _ in range(LIMITS.per_name + 1)]
        answers[name] = [(r.status_code, r.json()["error"]["code"], re.sub(r"\d+", "N", r.json()["error"]["message"]))
                         for r in seen]
        # one password hash checked per counted attempt (a dummy one for unknown names), none once refused
        assert len(verifies) == LIMITS.per_name, name
        assert "retry-after" in seen[-1].headers
    assert answers["alice"] == answers["nobody-here"]
    assert [a[0] for a in answers["alice"]] == [401] * LIMITS.per_name + [429]


def test_the_window_slides(tmp_path: Path) -> None:
    limits = LoginLimits(per_name=2, per_address=100, window_s=60.0)
    with Store.open(tmp_path / "w.db") as store:
        t = 1_000_000.0
        throttle.begin_attempt(store, "carol", "1.2.3.4", limits, now=t)
        throttle.begin_attempt(store, "carol", "1.2.3.4", limits, now=t + 10)
        with pytest.raises(throttle.TooManyAttempts) as refused:
            throttle.begin_attempt(store, "carol", "1.2.3.4", limits, now=t + 20)
        assert refused.value.retry_after == 40  # the oldest failure leaves the window at t + 60
        throttle.begin_attempt(store, "carol", "1.2.3.4", limits, now=t + 61)  # allowed again
        stored = [r[0] for r in store.conn.execute("SELECT key FROM login_failures")]
        assert stored and not any("carol" in k or "1.2.3.4" in k for k in stored), "keys are digests"


# -- revocation ---------------------------------------------------------------------------------------------
def test_revoke_tokens_makes_a_working_token_fail(db: Path) -> None:
    r = cli("token", "alice", "--db", str(db))
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    with client_for(db) as c:
        assert c.get("/api/me", headers=bearer(token)).json()["name"] == "alice"
        r = cli("revoke-tokens", "alice", "--db", str(db))
        assert r.exit_code == 0 and "revoked 1 API token(s) of alice" in r.output, r.output
        error_of(c.get("/api/me", headers=bearer(token)), 401, "invalid_token")
    r = cli("list", "--db", str(db))
    assert "alice\treviewer\t0 token(s)" in r.output


def test_disable_blocks_login_session_and_tokens_and_enable_restores(db: Path) -> None:
    token = cli("token", "alice", "--db", str(db)).output.strip().splitlines()[-1]
    with client_for(db) as c, client_for(db, client=ADDR_B) as browser:
        assert login(browser, "alice", ALICE_PW).status_code == 303
        assert browser.get("/api/me").json() == {"name": "alice", "role": "reviewer", "via": "session"}

        r = cli("disable", "alice", "--db", str(db))
        assert r.exit_code == 0 and "user alice disabled: 1 session(s) ended, 1 API token(s) suspended" in r.output
        error_of(browser.get("/api/me"), 401, "login_required")  # the open session ends at the next request
        error_of(c.get("/api/me", headers=bearer(token)), 401, "account_disabled")
        error_of(login(c, "alice", ALICE_PW), 403, "account_disabled")
        page = login(c, "alice", ALICE_PW, HTML)
        assert page.status_code == 403 and "this account is disabled" in page.text
        listed = cli("list", "--db", str(db)).output
        assert re.search(r"^alice\treviewer\t1 token\(s\)\tsince \S+\tdisabled since \S+$", listed, re.M), listed
        assert re.search(r"^bob\tviewer\t0 token\(s\)\tsince \S+\tactive$", listed, re.M), listed
        r = cli("token", "alice", "--db", str(db))
        assert r.exit_code != 0 and "factdesk user enable alice" in r.output

        r = cli("enable", "alice", "--db", str(db))
        assert r.exit_code == 0 and "user alice enabled" in r.output
        assert c.get("/api/me", headers=bearer(token)).json()["name"] == "alice"
        assert login(c, "alice", ALICE_PW).status_code == 303
        assert c.get("/api/me").json()["via"] == "session"
    assert "\tactive" in cli("list", "--db", str(db)).output.splitlines()[0]


@pytest.mark.parametrize("command", ["revoke-tokens", "disable", "enable"])
def test_unknown_user_is_a_clear_error(db: Path, command: str) -> None:
    r = cli(command, "ghost", "--db", str(db))
    assert r.exit_code == 5, r.output
    assert "error: no user 'ghost'" in r.output and "factdesk user list" in r.output
    assert "Traceback" not in r.output


def test_help_texts() -> None:
    text = CliRunner().invoke(user, ["--help"]).output
    for command in ("revoke-tokens", "disable", "enable"):
        assert command in text
    assert "sessions end" in CliRunner().invoke(user, ["disable", "--help"]).output
    assert "--job-timeout" in CliRunner().invoke(serve, ["--help"]).output


# -- the per-job time limit ---------------------------------------------------------------------------------
SLOW_MARK = "Zanzibar"
QUICK = "date 2024-05-02\n\nThe council approved a budget of $1.2 billion in 2019, the mayor said.\n"
SLOW = f"date 2024-05-02\n\nThe {SLOW_MARK} ferry cost $40 million in 2021, officials said.\n"


def test_job_timeout_setting_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().job_timeout == 600.0
    monkeypatch.setenv("FACTDESK_JOB_TIMEOUT", "42")
    assert load_settings().job_timeout == 42.0
    assert load_settings(job_timeout=7).job_timeout == 7.0


@pytest.fixture
def slow_retrieval(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Retrieval takes ~2 s for articles mentioning SLOW_MARK; yields the texts that reached 'verify'."""
    from factdesk.pipeline import Pipeline

    gather, judge = Pipeline.gather_evidence, Pipeline.judge
    judged: list[str] = []

    def slow_gather(self: Pipeline, doc: Any, claim_set: Any) -> Any:
        if SLOW_MARK in doc.text:
            time.sleep(1.8)
        return gather(self, doc, claim_set)

    def spy_judge(self: Pipeline, checked: Any) -> None:
        judged.extend(cc.claim.text for cc in checked)
        judge(self, checked)

    monkeypatch.setattr(Pipeline, "gather_evidence", slow_gather)
    monkeypatch.setattr(Pipeline, "judge", spy_judge)
    yield judged


def wait_finished(c: TestClient, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = c.get(f"/api/checks/{job_id}", params={"include_report": "false"}).json()
        if job["status"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, f"check {job_id} still {job['status']}"
        time.sleep(0.05)


def test_a_job_over_its_time_limit_fails_and_the_next_one_runs(db: Path, slow_retrieval: list[str]) -> None:
    """job_isolation = "thread": the deadline is checked between stages (the monkeypatch lives in this process)."""
    settings = Settings(verifier="baseline", job_timeout=1.5, job_isolation="thread")
    with client_for(db, require_login=False, settings=settings, start_worker=True) as c:
        first = c.post("/api/checks", json={"text": QUICK}).json()["id"]
        slow = c.post("/api/checks", json={"text": SLOW}).json()["id"]
        after = c.post("/api/checks", json={"text": QUICK.replace("2019", "2020")}).json()["id"]

        done = wait_finished(c, first)
        assert done["status"] == "done", done
        failed = wait_finished(c, slow)
        assert failed["status"] == "failed", failed
        assert failed["error"].startswith("timed out after 1.5 s; try a shorter document or raise --job-timeout")
        assert failed["report_id"] is None and failed["stage"] == "retrieve"
        assert any("council" in t for t in slow_retrieval), "the spy sees verified claims"
        assert not any(SLOW_MARK in t for t in slow_retrieval), "the check stopped: its claims were never verified"
        following = wait_finished(c, after)
        assert following["status"] == "done", following
        assert c.get(f"/api/checks/{first}").json()["report"]["id"] == done["report_id"], "stored work is kept"
        page = c.get(f"/checks/{slow}").text
        assert "timed out after 1.5 s" in page
    with Store.open(db) as store:
        assert store.count("reports") == 2
        assert not store.conn.execute("SELECT 1 FROM documents WHERE text LIKE ?", (f"%{SLOW_MARK}%",)).fetchone()


def test_deeply_nested_json_is_a_400_not_a_traceback(db: Path) -> None:
    """POST /api/checks with JSON nested past the parser's limit answers 400 like a review body (issue 17)."""
    app = create_app(db, require_login=False, start_worker=False, warm_up=False)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        nested = '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}"
        r = c.post("/api/checks", content=nested, headers={"content-type": "application/json"})
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "bad_request" and "Traceback" not in r.text
        # the desk still works afterwards
        ok = c.post("/api/checks", json={"text": "The bridge opened in 1998 and cost $40 million."})
        assert ok.status_code == 202


def test_serving_on_another_loopback_address_answers_to_it(db: Path) -> None:
    """Issue 17: `serve --host 127.0.0.2` turned login off and then answered every request 400 bad_host."""
    import socket
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.2", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).parent / "factdesk"
    proc = subprocess.Popen([str(exe), "serve", "--host", "127.0.0.2", "--port", str(port), "--db", str(db),
                             "--no-warm-up"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        status = None
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.2:{port}/api/checks", timeout=5) as r:
                    status = r.status
                    break
            except OSError:
                time.sleep(0.3)
        assert status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_hostile_upload_does_not_hold_the_desk(db: Path) -> None:
    """Issue 17: one hostile upload held the desk's only worker for minutes.  Now each stage is bounded, so the
    next queued check finishes within the job time limit plus a few seconds."""
    from factdesk.testing.hostile import ARTICLE_GENERATORS, article_inputs

    hostile = [(n, d) for n, d in article_inputs(3 * len(ARTICLE_GENERATORS), seed=5)
               if n.split("-", 1)[1].startswith(("attrs", "giant", "many"))]
    settings = Settings(verifier="baseline", checkworthiness="heuristic", job_timeout=20)
    with client_for(db, require_login=False, settings=settings, start_worker=True,
                    max_upload_bytes=8_000_000) as c:
        started = time.monotonic()
        queued = [c.post("/api/checks", files={"file": (name, data)}).json()["id"] for name, data in hostile[:3]]
        after = c.post("/api/checks", json={"text": QUICK}).json()["id"]
        for job in queued:
            assert wait_finished(c, job, timeout=120)["status"] in ("done", "failed")
        assert wait_finished(c, after, timeout=60)["status"] == "done"
        # three hostile jobs then the normal one: well within three time limits plus a few seconds
        assert time.monotonic() - started < 3 * settings.job_timeout + 10


class _StallingPage:
    """A loopback server whose page sends its headers and a first chunk, then stalls for a minute."""

    def __init__(self) -> None:
        import http.server
        import threading

        release = threading.Event()
        self.release = release

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                self.wfile.write(b"<html><head><title>Stalled</title></head><body><p>The ferry")
                self.wfile.flush()
                release.wait(60)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stalled"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _seconds_between(job: dict[str, Any]) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(job["finished"]) - datetime.fromisoformat(job["started"])).total_seconds()


def test_a_stage_stuck_past_the_limit_is_killed_and_the_next_check_runs(db: Path) -> None:
    """Issue 17: --job-timeout is a hard limit.  A page that stalls mid-body holds the ingest stage for a minute
    (fetch timeout 60 s); the check runs in a child process that the worker kills at the limit, the job fails
    naming the stage, nothing of it is saved, and the next queued check runs in a fresh child."""
    page = _StallingPage()
    settings = Settings(verifier="baseline", checkworthiness="heuristic", job_timeout=3, fetch_timeout=60,
                        allow_private=True)
    assert settings.job_isolation == "process", "the hard limit is the default"
    try:
        with client_for(db, require_login=False, settings=settings, start_worker=True,
                        allow_private_urls=True) as c:
            stuck = c.post("/api/checks", json={"url": page.url}).json()["id"]
            after = c.post("/api/checks", json={"text": QUICK}).json()["id"]
            failed = wait_finished(c, stuck, timeout=180)
            assert failed["status"] == "failed", failed
            assert failed["error"].startswith("timed out after 3 s; try a shorter document or raise --job-timeout")
            assert "stopped in stage 'ingest'" in failed["error"] and failed["report_id"] is None
            # killed at the limit plus the grace, not when the fetch gave up a minute later
            assert _seconds_between(failed) < settings.job_timeout + 6, failed
            following = wait_finished(c, after, timeout=180)
            assert following["status"] == "done", following
            worker = c.app.state.desk.worker
            assert worker._process is not None and worker._process.restarts == 1
    finally:
        page.close()
    with Store.open(db) as store:
        assert store.count("reports") == 1
        assert not store.conn.execute("SELECT 1 FROM documents WHERE title = 'Stalled'").fetchone()


def test_a_check_process_that_dies_fails_its_job_and_the_desk_goes_on(db: Path) -> None:
    """A child killed from outside (as the kernel's out-of-memory killer would) fails its job with the reason;
    the next check gets a fresh process."""
    import os
    import signal

    page = _StallingPage()
    settings = Settings(verifier="baseline", checkworthiness="heuristic", job_timeout=0, fetch_timeout=60,
                        allow_private=True)
    try:
        with client_for(db, require_login=False, settings=settings, start_worker=True,
                        allow_private_urls=True) as c:
            stuck = c.post("/api/checks", json={"url": page.url}).json()["id"]
            worker = c.app.state.desk.worker
            deadline = time.monotonic() + 120
            while c.get(f"/api/checks/{stuck}", params={"include_report": "false"}).json()["stage"] != "ingest":
                assert time.monotonic() < deadline, "the job never started"
                time.sleep(0.1)
            os.kill(worker._process.pid, signal.SIGKILL)
            failed = wait_finished(c, stuck, timeout=60)
            assert failed["status"] == "failed"
            assert "killed by SIGKILL" in failed["error"] and "fresh process" in failed["error"], failed
            after = c.post("/api/checks", json={"text": QUICK}).json()["id"]
            assert wait_finished(c, after, timeout=180)["status"] == "done"
    finally:
        page.close()


def test_a_check_process_over_its_memory_limit_is_stopped(db: Path) -> None:
    """job_memory_mb bounds the check process's resident memory (models included): with a limit below what the
    loaded models alone hold, the job is stopped with a message that says what to change, and the desk stays up."""
    settings = Settings(verifier="baseline", checkworthiness="heuristic", job_timeout=0, job_memory_mb=60)
    with client_for(db, require_login=False, settings=settings, start_worker=True) as c:
        job = c.post("/api/checks", json={"text": QUICK}).json()["id"]
        failed = wait_finished(c, job, timeout=180)
        assert failed["status"] == "failed", failed
        assert failed["error"].startswith("stopped: the check used ") and "over the limit of 60 MB" in failed["error"]
        assert "--job-memory" in failed["error"]
        assert c.get("/api/checks").status_code == 200
