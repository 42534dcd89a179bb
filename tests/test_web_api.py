"""The web desk in-process: FastAPI TestClient over a real SQLite store with a small indexed corpus.

Covers the API's check lifecycle, the one error shape, login/token/CSRF/roles,
reviewer edits in the audit trail and the exports, restart recovery and the
server-rendered pages' escaping.
"""

from __future__ import annotations

import json
import re
import shutil
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

from fastapi.testclient import TestClient  # noqa: E402

from factdesk.errors import NotReadyError, StoreError, TooManyAttempts  # noqa: E402
from factdesk.settings import Settings  # noqa: E402
from factdesk.store import Store  # noqa: E402
from factdesk.store.desk import DeskTables  # noqa: E402
from factdesk.web import accounts  # noqa: E402
from factdesk.web.app import create_app  # noqa: E402

DEMO = Path(__file__).resolve().parents[1] / "src" / "factdesk" / "demo"
CORPUS_FILES = [
    "2019-05-21-council-approves-business-case.txt",
    "2021-06-15-budget-revised.txt",
    "2023-03-27-budget-185.txt",
    "2025-03-18-opening-delayed.txt",
]
SETTINGS = Settings(verifier="baseline")
ARTICLE = """date 2024-05-02
title: Light rail costs keep climbing

PORT ALDINE, May 2, 2024 — The Harrow Bay Light Rail was approved by council in 2019 with a budget of $1.2 billion.
In 2023 the budget rose to $1.85 billion, the transit authority said.
Mayor Ana Ferro said the line would open in late 2024.
"""
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
HTML = {"accept": "text/html"}


@pytest.fixture(scope="session")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from factdesk.pipeline import Pipeline

    folder = tmp_path_factory.mktemp("webcorpus")
    for name in CORPUS_FILES:
        shutil.copy(DEMO / "corpus" / name, folder / name)
    db = tmp_path_factory.mktemp("webdb") / "corpus.db"
    with Store.open(db) as store:
        stats = Pipeline(store, SETTINGS).index_path(folder)
        assert stats.added == len(CORPUS_FILES)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


@pytest.fixture
def db(corpus_db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "desk.db"
    shutil.copy(corpus_db, target)
    return target


def client_for(db: Path, **kwargs: Any) -> TestClient:
    kwargs.setdefault("require_login", False)
    kwargs.setdefault("settings", SETTINGS)
    return TestClient(create_app(db, **kwargs))


@pytest.fixture
def local(db: Path) -> Iterator[TestClient]:
    with client_for(db) as c:
        yield c


def wait_done(client: TestClient, check_id: str, timeout: float = 60.0, **headers: str) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/api/checks/{check_id}", params={"include_report": "false"}, headers=headers)
        assert r.status_code == 200, r.text
        job = r.json()
        if job["status"] in ("done", "failed"):
            return client.get(f"/api/checks/{check_id}", headers=headers).json()
        assert time.monotonic() < deadline, f"check {check_id} still {job['status']}"
        time.sleep(0.1)


def assert_error(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) >= {"code", "message", "status"}, err
    assert err["status"] == status and isinstance(err["message"], str) and err["message"]
    if code is not None:
        assert err["code"] == code, err
    assert r.headers["content-security-policy"] == CSP
    return err


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def submit_and_wait(client: TestClient, text: str = ARTICLE, **headers: str) -> dict[str, Any]:
    r = client.post("/api/checks", json={"text": text}, headers=headers)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    job = wait_done(client, r.json()["id"], **headers)
    assert job["status"] == "done", job
    return job


# -- the check lifecycle ---------------------------------------------------------------------------------
def test_submit_text_poll_until_done_report_shape(local: TestClient) -> None:
    from factdesk.report import validate_report

    r = local.post("/api/checks", json={"text": ARTICLE})
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "queued" and body["id"].startswith("j")
    assert r.headers["location"] == f"/api/checks/{body['id']}"
    job = wait_done(local, body["id"])
    assert job["status"] == "done" and job["progress"] == 1.0 and job["error"] is None
    report = job["report"]
    validate_report(report)
    assert report["article"]["title"] == "Light rail costs keep climbing"
    assert report["claims"], "the article has check-worthy claims"
    claim = report["claims"][0]
    assert {"id", "text", "start", "end", "checkworthiness", "evidence", "verdict"} <= set(claim)
    assert report["article"]["text"][claim["start"]:claim["end"]] == claim["text"]
    assert any(c["evidence"] for c in report["claims"]), "the corpus yields evidence"
    assert report["review"]["approved_claims"] == 0
    listed = local.get("/api/checks").json()["checks"]
    assert listed[0]["id"] == body["id"] and listed[0]["status"] == "done"
    page = local.get(f"/checks/{body['id']}")
    assert page.status_code == 200 and 'class="hl ' in page.text and "Evidence (" in page.text
    keys = [ev["key_sentence"] for c in report["claims"] for ev in c["evidence"] if ev["key_sentence"]]
    assert keys and page.text.count('class="ev-key') >= 1


def test_upload_files_and_progress_fields(local: TestClient) -> None:
    r = local.post("/api/checks", files={"file": ("story.txt", ARTICLE.encode(), "text/plain")},
                   data={"title": "Uploaded"})
    assert r.status_code == 202, r.text
    job = wait_done(local, r.json()["id"])
    assert job["status"] == "done" and job["input"] == "file"
    html = (DEMO / "article.html").read_bytes()
    r = local.post("/api/checks", files={"file": ("article.html", html, "text/html")})
    job = wait_done(local, r.json()["id"])
    assert job["status"] == "done" and len(job["report"]["claims"]) > 5


def test_corpus_search_and_stats(local: TestClient) -> None:
    r = local.get("/api/corpus/search", params={"q": "light rail budget billion"})
    assert r.status_code == 200
    results = r.json()["results"]
    assert results and {"passage_id", "title", "url", "published", "text", "score"} <= set(results[0])
    assert local.get("/api/corpus").json()["documents"] == len(CORPUS_FILES)
    page = local.get("/corpus", params={"q": "budget"})
    assert page.status_code == 200 and "search-results" in page.text


# -- the one error shape ---------------------------------------------------------------------------------
def test_error_shape_404_and_validation(local: TestClient) -> None:
    assert_error(local.get("/api/checks/nope"), 404, "not_found")
    assert_error(local.get("/api/no/such/route"), 404, "not_found")
    assert_error(local.get("/checks/nope/export.json"), 404, "not_found")
    assert_error(local.post("/api/checks", json={}), 422, "invalid_input")
    assert_error(local.post("/api/checks", json={"text": "a", "url": "https://example.org/"}), 422)
    assert_error(local.post("/api/checks", json={"text": 5}), 422, "invalid_request")
    assert_error(local.post("/api/checks", content=b"{not json", headers={"content-type": "application/json"}), 422)
    assert_error(local.get("/api/corpus/search"), 422, "invalid_request")
    assert_error(local.get("/api/checks", params={"limit": "many"}), 422, "invalid_request")
    assert_error(local.delete("/api/checks"), 405, "method_not_allowed")
    # a browser gets the same fields as a page
    page = local.get("/checks/nope", headers=HTML)
    assert page.status_code == 404 and "not_found" in page.text and page.headers["content-security-policy"] == CSP


def test_every_factdesk_error_has_a_status_and_a_stable_code() -> None:
    from factdesk import errors

    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.FactdeskError)]
    assert len(classes) > 15
    for cls in classes:
        assert 400 <= cls.status < 600 and re.fullmatch(r"[a-z_]+", cls.code), cls
    assert (errors.InputError.status, errors.InputError.code) == (422, "invalid_input")
    assert (errors.UnsafeURLError.status, errors.UnsafeURLError.code) == (400, "unsafe_url")
    assert (errors.NotFoundError.status, errors.NotFoundError.code) == (404, "not_found")


@pytest.mark.parametrize("exc, status, code", [
    (StoreError("the disk is full"), 500, "store_failed"),
    (TooManyAttempts(7), 429, "too_many_requests"),
    (NotReadyError("still running"), 409, "not_ready"),
])
def test_one_handler_renders_every_factdesk_error(db: Path, monkeypatch: pytest.MonkeyPatch, exc: Exception,
                                                  status: int, code: str) -> None:
    def refuse(*_a: Any, **_k: Any) -> Any:
        raise exc

    with client_for(db, start_worker=False) as c:
        monkeypatch.setattr(DeskTables, "corpus_counts", refuse)
        r = c.get("/api/corpus")
        err = assert_error(r, status, code)
        assert err["message"] == str(exc)
        if status == 429:
            assert r.headers["retry-after"] == "7"
        page = c.get("/corpus", headers=HTML)  # a browser: the same fields as a page
        assert page.status_code == status and code in page.text


def test_upload_cap_comes_from_the_settings(db: Path) -> None:
    settings = Settings(verifier="baseline", web_max_upload_bytes=2000)
    with client_for(db, settings=settings, start_worker=False) as c:
        big = b"The council met. " * 200
        assert_error(c.post("/api/checks", files={"file": ("big.txt", big, "text/plain")}), 413, "too_large")
        assert c.post("/api/checks", files={"file": ("small.txt", big[:1000], "text/plain")}).status_code == 202


def test_error_shape_upload_limits_and_types(db: Path) -> None:
    with client_for(db, max_upload_bytes=2000, start_worker=False) as c:
        big = b"The council met. " * 200
        assert_error(c.post("/api/checks", files={"file": ("big.txt", big, "text/plain")}), 413, "too_large")
        huge = b"x" * (2000 + 300 * 1024)
        assert_error(c.post("/api/checks", files={"file": ("huge.txt", huge, "text/plain")}), 413, "too_large")
        assert_error(c.post("/api/checks", json={"text": "word " * 1000}), 413, "too_large")
        cases = [("tool.exe", b"MZ\x90\x00binary"), ("photo.txt", b"\x89PNG\r\n\x1a\nrest"),
                 ("fake.pdf", b"just some text, not a pdf"), ("doc.html", b"%PDF-1.7 a pdf in disguise"),
                 ("noext", b"plain words"), ("zeros.md", b"abc\x00\x00\x00def")]
        for name, data in cases:
            assert_error(c.post("/api/checks", files={"file": (name, data, "application/octet-stream")}), 415,
                         "unsupported_type")
        assert_error(c.post("/api/checks", files={"file": ("empty.txt", b"   ", "text/plain")}), 422)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/admin", "http://169.254.169.254/latest/meta-data/",
                                 "http://[::1]/", "http://10.0.0.7/story", "file:///etc/passwd",
                                 "http://user:pw@example.org/"])
def test_error_shape_ssrf_refused_url(db: Path, url: str) -> None:
    with client_for(db, start_worker=False) as c:
        err = assert_error(c.post("/api/checks", json={"url": url}), 400, "unsafe_url")
        assert "refus" in err["message"] or "not" in err["message"]
        assert c.get("/api/checks").json()["checks"] == [], "nothing was queued"


def test_unhandled_exception_is_500_in_the_error_shape(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("database on fire")

    with client_for(db, start_worker=False) as c:
        monkeypatch.setattr(DeskTables, "list_jobs", boom)
        err = assert_error(c.get("/api/checks"), 500, "internal_error")
        assert "fire" not in err["message"], "internals are not leaked"


def test_security_headers_everywhere_and_host_guard(local: TestClient) -> None:
    for path in ("/", "/static/style.css", "/static/app.js", "/api/checks", "/api/openapi.json", "/nope"):
        r = local.get(path)
        assert r.headers["content-security-policy"] == CSP, path
        assert r.headers["x-content-type-options"] == "nosniff", path
    assert "<script>" not in local.get("/").text.replace('<script src="/static/app.js" defer></script>', "")
    assert_error(local.get("/api/checks", headers={"host": "evil.example"}), 400, "bad_host")


def test_openapi_documents_the_api(local: TestClient) -> None:
    paths = local.get("/api/openapi.json").json()["paths"]
    for p in ("/api/checks", "/api/checks/{check_id}", "/api/checks/{check_id}/claims/{claim_id}/review",
              "/api/checks/{check_id}/audit", "/api/corpus/search"):
        assert p in paths, p
    assert not any(p.startswith("/checks") for p in paths), "pages stay out of the API schema"


# -- access: login, tokens, CSRF, roles ---------------------------------------------------------------
@pytest.fixture
def secured(db: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with Store.open(db) as store:
        accounts.add_user(store, "alice", "correct horse battery", "reviewer")
        accounts.add_user(store, "victor", "viewer password 1", "viewer")
        tokens = {"alice": accounts.new_token(store, "alice"), "victor": accounts.new_token(store, "victor")}
    with client_for(db, require_login=True) as c:
        yield c, tokens


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def login(c: TestClient, name: str, password: str) -> Any:
    token = csrf_of(c.get("/login").text)
    return c.post("/login", data={"username": name, "password": password, "csrf_token": token, "next": "/checks"},
                  follow_redirects=False)


def test_login_required_off_loopback(secured: tuple[TestClient, dict[str, str]]) -> None:
    c, _ = secured
    assert_error(c.get("/api/checks"), 401, "login_required")
    assert_error(c.post("/api/checks", json={"text": ARTICLE}), 401)
    assert_error(c.get("/api/checks/x/audit"), 401)
    r = c.get("/checks", headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    bad = login(c, "alice", "wrong password")
    assert bad.status_code == 401 and "wrong user name or password" in bad.text
    assert login(c, "nobody", "whatever pw").status_code == 401
    ok = login(c, "alice", "correct horse battery")
    assert ok.status_code == 303 and ok.headers["location"] == "/checks"
    me = c.get("/api/me").json()
    assert me == {"name": "alice", "role": "reviewer", "via": "session"}
    assert c.get("/checks").status_code == 200
    # logging out ends the session server-side
    token = csrf_of(c.get("/checks").text)
    assert c.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert_error(c.get("/api/checks"), 401)


def test_bearer_tokens(secured: tuple[TestClient, dict[str, str]]) -> None:
    c, tokens = secured
    assert c.get("/api/me", headers=bearer(tokens["victor"])).json()["role"] == "viewer"
    assert_error(c.get("/api/me", headers=bearer("fdk_not-a-token")), 401, "invalid_token")
    assert_error(c.get("/api/me", headers={"authorization": "Basic YWxpY2U6eA=="}), 401, "invalid_token")
    with Store.open(c.app.state.desk.stores.path) as store:
        stored = [r[0] for r in store.conn.execute("SELECT token_hash FROM api_tokens")]
    assert tokens["alice"] not in stored, "tokens are stored hashed"
    job = submit_and_wait(c, **bearer(tokens["alice"]))
    assert job["submitted_by"] == "alice"


def test_csrf_required_with_a_session_cookie(secured: tuple[TestClient, dict[str, str]]) -> None:
    c, _ = secured
    # login itself needs the pre-login token
    r = c.post("/login", data={"username": "alice", "password": "correct horse battery"}, follow_redirects=False)
    assert_error(r, 403, "csrf_failed")
    assert login(c, "alice", "correct horse battery").status_code == 303
    assert_error(c.post("/api/checks", json={"text": ARTICLE}), 403, "csrf_failed")
    assert_error(c.post("/api/checks", json={"text": ARTICLE}, headers={"x-csrf-token": "forged"}), 403,
                 "csrf_failed")
    token = csrf_of(c.get("/").text)
    assert_error(c.post("/api/checks", json={"text": ARTICLE},
                        headers={"x-csrf-token": token, "origin": "https://evil.example"}), 403, "csrf_failed")
    r = c.post("/checks", data={"text": ARTICLE}, headers=HTML, follow_redirects=False)
    assert r.status_code == 403, "a form without its token is refused"
    r = c.post("/api/checks", json={"text": ARTICLE}, headers={"x-csrf-token": token})
    assert r.status_code == 202
    r = c.post("/checks", data={"text": ARTICLE, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/checks/j")


def test_viewer_cannot_edit(secured: tuple[TestClient, dict[str, str]]) -> None:
    c, tokens = secured
    job = submit_and_wait(c, **bearer(tokens["alice"]))
    claim = job["report"]["claims"][0]
    r = c.post(f"/api/checks/{job['id']}/claims/{claim['id']}/review", json={"label": "refuted", "approve": True},
               headers=bearer(tokens["victor"]))
    assert_error(r, 403, "forbidden")
    assert_error(c.post("/api/checks", json={"text": ARTICLE}, headers=bearer(tokens["victor"])), 403, "forbidden")
    assert c.get(f"/api/checks/{job['id']}/audit", headers=bearer(tokens["victor"])).json()["edits"] == []
    # a viewer logged in through the browser sees no review forms
    assert login(c, "victor", "viewer password 1").status_code == 303
    page = c.get(f"/checks/{job['id']}").text
    assert "Review this claim" not in page and "Evidence (" in page


# -- review, audit trail, exports ----------------------------------------------------------------------
def test_review_edits_audit_and_exports(secured: tuple[TestClient, dict[str, str]]) -> None:
    c, tokens = secured
    alice = bearer(tokens["alice"])
    job = submit_and_wait(c, **alice)
    claim = next(cl for cl in job["report"]["claims"] if cl["evidence"])
    new_label = "refuted" if claim["verdict"]["label"] != "refuted" else "supported"
    junk = claim["evidence"][0]
    explanation = "Reviewed: the <b>2023</b> budget figure contradicts this."
    r = c.post(f"/api/checks/{job['id']}/claims/{claim['id']}/review", headers=alice,
               json={"label": new_label, "explanation": explanation, "note": "checked the audit summary",
                     "irrelevant_evidence_ids": [junk["passage_id"]], "approve": True})
    assert r.status_code == 200, r.text
    reviewed = r.json()["claim"]
    assert reviewed["verdict"]["label"] == new_label and reviewed["verdict"]["explanation"] == explanation
    assert reviewed["review"]["approved"] and reviewed["review"]["approved_by"] == "alice"
    assert reviewed["review"]["machine_verdict"]["label"] == claim["verdict"]["label"]
    assert next(e for e in reviewed["evidence"] if e["passage_id"] == junk["passage_id"])["irrelevant"]

    audit = c.get(f"/api/checks/{job['id']}/audit", headers=alice).json()["edits"]
    assert [e["action"] for e in audit] == ["verdict", "explanation", "irrelevant", "note", "approve"]
    assert all(e["user"] == "alice" and e["at"] and e["claim_id"] == claim["id"] for e in audit)
    assert audit[0]["old_value"] == claim["verdict"]["label"] and audit[0]["new_value"] == new_label
    # re-sending the same review records nothing new
    c.post(f"/api/checks/{job['id']}/claims/{claim['id']}/review", headers=alice,
           json={"label": new_label, "explanation": explanation, "approve": True})
    assert len(c.get(f"/api/checks/{job['id']}/audit", headers=alice).json()["edits"]) == 5

    # the API report, the JSON, Markdown and ClaimReview exports all carry the reviewed state
    report = c.get(f"/api/checks/{job['id']}", headers=alice).json()["report"]
    got = next(cl for cl in report["claims"] if cl["id"] == claim["id"])
    assert got["verdict"]["label"] == new_label and report["review"]["approved_claims"] == 1
    exported = c.get(f"/checks/{job['id']}/export.json", headers=alice).json()
    assert next(cl for cl in exported["claims"] if cl["id"] == claim["id"])["verdict"]["label"] == new_label
    api_json = c.get(f"/api/checks/{job['id']}/export/json", headers=alice).json()
    assert api_json == exported
    md = c.get(f"/checks/{job['id']}/export.md", headers=alice).text
    assert new_label.upper() in md.upper() and "approved by alice" in md and "checked the audit summary" in md
    assert "<b>" not in md, "untrusted text stays escaped in Markdown"
    cr = c.get(f"/checks/{job['id']}/export.claimreview.json", headers=alice)
    assert cr.status_code == 200 and cr.headers["content-type"].startswith("application/ld+json")
    items = cr.json()
    item = next(i for i in items if i["claimReviewed"] == claim["standalone"])
    assert item["reviewRating"]["alternateName"] == {"refuted": "Refuted", "supported": "Supported"}[new_label]
    assert item["reviewBody"] == explanation
    if junk.get("url"):
        others = [e.get("url") for e in claim["evidence"][1:]]
        assert junk["url"] not in item.get("citation", []) or junk["url"] in others
    only = c.get(f"/checks/{job['id']}/export.claimreview.json", params={"approved_only": "true"},
                 headers=alice).json()
    assert len(only) == 1 and only[0]["reviewBody"] == explanation
    html = c.get(f"/checks/{job['id']}/export.html", headers=alice)
    assert html.status_code == 200 and "attachment" in html.headers["content-disposition"]
    # the stored report (what `factdesk show` prints) is the reviewed one; the original is kept
    with Store.open(c.app.state.desk.stores.path) as store:
        stored = store.get_report(report["id"])
        original = store.desk.original_report(report["id"])
    assert next(cl for cl in stored["claims"] if cl["id"] == claim["id"])["verdict"]["label"] == new_label
    assert original is not None
    assert next(cl for cl in original["claims"] if cl["id"] == claim["id"])["verdict"]["label"] == \
        claim["verdict"]["label"]
    # a later change withdraws the approval; the audit trail shows it on the page
    c.post(f"/api/checks/{job['id']}/claims/{claim['id']}/review", headers=alice,
           json={"explanation": "Changed my mind."})
    again = c.get(f"/api/checks/{job['id']}", headers=alice).json()["report"]
    assert again["review"]["approved_claims"] == 0
    assert login(c, "alice", "correct horse battery").status_code == 303
    page = c.get(f"/checks/{job['id']}").text
    assert 'id="audit-table"' in page and "checked the audit summary" in page and "Changed my mind." in page


def test_review_validation_errors(local: TestClient) -> None:
    job = submit_and_wait(local)
    claim = job["report"]["claims"][0]
    base = f"/api/checks/{job['id']}/claims/{claim['id']}/review"
    assert_error(local.post(base, json={"label": "pants-on-fire"}), 422, "invalid_input")
    assert_error(local.post(base, json={"irrelevant_evidence_ids": ["p-unknown"]}), 422, "invalid_input")
    assert_error(local.post(base, json={"approve": "perhaps"}), 422, "invalid_request")
    assert_error(local.post(f"/api/checks/{job['id']}/claims/nope/review", json={"approve": True}), 404)
    assert_error(local.post(f"/api/checks/nope/claims/{claim['id']}/review", json={"approve": True}), 404)


def test_the_check_page_says_what_the_claim_cap_left_out(db: Path) -> None:
    with client_for(db, settings=Settings(verifier="baseline", max_claims=1)) as c:
        job = submit_and_wait(c)
        assert len(job["report"]["claims"]) == 1 and job["report"]["summary"]["left_out"] >= 2
        page = c.get(f"/checks/{job['id']}").text
    n = job["report"]["summary"]["left_out"]
    assert f'<p class="muted left-out" id="left-out">{n} more check-worthy claims left out by the max_claims cap' in page
    with client_for(db) as c:  # the default cap keeps every claim of a short article: no note
        job = submit_and_wait(c)
        assert job["report"]["summary"]["left_out"] == 0 and 'id="left-out"' not in c.get(f"/checks/{job['id']}").text


def test_review_through_the_html_form(local: TestClient) -> None:
    job = submit_and_wait(local)
    claim = job["report"]["claims"][0]
    page = local.get(f"/checks/{job['id']}").text
    token = csrf_of(page)
    form = {"csrf_token": token, "evidence_form": "1", "approve_field": "1", "label": "conflicting",
            "explanation": "Sources disagree.", "note": "<img src=x onerror=alert(1)>", "approve": "1"}
    r = local.post(f"/checks/{job['id']}/claims/{claim['id']}/review", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith(f"#claim-{claim['id']}")
    page = local.get(f"/checks/{job['id']}").text
    assert "approved by local" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page
    without = dict(form, csrf_token="")
    assert local.post(f"/checks/{job['id']}/claims/{claim['id']}/review", data=without).status_code == 403


def test_untrusted_article_text_is_escaped(local: TestClient) -> None:
    evil = ("date 2024-05-02\ntitle: <script>alert('t')</script>\n\n"
            "The council approved a $1.2 billion budget <script>alert(1)</script> in 2019. "
            "The budget rose to $1.85 billion <img src=x onerror=alert(2)> in 2023, officials said.\n")
    job = submit_and_wait(local, evil)
    page = local.get(f"/checks/{job['id']}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    listing = local.get("/checks").text
    assert "<script>alert" not in listing


# -- jobs survive a restart ---------------------------------------------------------------------------
def test_restart_recovers_queued_and_running_jobs(db: Path) -> None:
    with client_for(db, start_worker=False) as c:  # a server that stops before checking anything
        queued = c.post("/api/checks", json={"text": ARTICLE}).json()["id"]
        crashed = c.post("/api/checks", json={"text": ARTICLE.replace("2024", "2025")}).json()["id"]
        twice = c.post("/api/checks", json={"text": ARTICLE + "\nMore.\n"}).json()["id"]
        assert c.get(f"/api/checks/{queued}").json()["status"] == "queued"
    with Store.open(db) as store:  # as if the server died in the middle of two checks
        store.conn.execute("UPDATE jobs SET status='running', stage='verify', progress=0.5, attempts=1 WHERE id=?",
                           (crashed,))
        store.conn.execute("UPDATE jobs SET status='running', stage='verify', progress=0.5, attempts=2 WHERE id=?",
                           (twice,))
        store.conn.commit()
    with client_for(db) as c:  # a fresh server on the same store
        assert wait_done(c, queued)["status"] == "done"
        recovered = wait_done(c, crashed)
        assert recovered["status"] == "done" and recovered["report"]["claims"]
        failed = c.get(f"/api/checks/{twice}").json()
        assert failed["status"] == "failed" and "server stopped during the check" in failed["error"]
        page = c.get(f"/checks/{twice}").text
        assert "server stopped during the check" in page


def test_failed_check_reports_its_error(local: TestClient) -> None:
    r = local.post("/api/checks", files={"file": ("broken.pdf", b"%PDF-1.4\nnot really a pdf", "application/pdf")})
    assert r.status_code == 202
    job = wait_done(local, r.json()["id"])
    assert job["status"] == "failed" and job["error"] and "report" not in job
    assert_error(local.get(f"/checks/{job['id']}/export.json"), 409, "not_ready")


def test_user_commands(db: Path) -> None:
    from click.testing import CliRunner

    from factdesk.web.serve_cli import user

    runner = CliRunner()
    r = runner.invoke(user, ["add", "rita", "--role", "reviewer", "--password-stdin", "--db", str(db)],
                      input="long enough secret\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(user, ["add", "rita", "--password-stdin", "--db", str(db)], input="long enough secret\n")
    assert r.exit_code != 0 and "already exists" in r.output
    r = runner.invoke(user, ["token", "rita", "--db", str(db)])
    assert r.exit_code == 0 and r.output.strip().startswith("fdk_")
    token = r.output.strip()
    r = runner.invoke(user, ["list", "--db", str(db)])
    assert "rita\treviewer\t1 token(s)" in r.output
    with client_for(db, require_login=True, start_worker=False) as c:
        assert c.get("/api/me", headers=bearer(token)).json()["name"] == "rita"


def test_serve_defaults_login_by_host() -> None:
    from factdesk.web.serve_cli import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


def test_json_error_for_the_check_page_of_a_running_job(db: Path) -> None:
    with client_for(db, start_worker=False) as c:
        jid = c.post("/api/checks", json={"text": ARTICLE}).json()["id"]
        page = c.get(f"/checks/{jid}")
        assert page.status_code == 200 and 'data-status="queued"' in page.text and "job-progress" in page.text
        assert_error(c.get(f"/api/checks/{jid}/export/json"), 409, "not_ready")
        assert json.loads(c.get(f"/api/checks/{jid}").text)["status"] == "queued"
