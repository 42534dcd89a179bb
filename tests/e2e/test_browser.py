"""The web desk in a real browser: `factdesk serve` in a subprocess on 127.0.0.1, headless Chromium via Playwright.

Skipped (with the reason) when Playwright for Python or /usr/bin/chromium is missing.
Run with ``pytest -m e2e tests/e2e``; CI installs ``chromium`` (Debian) and ``playwright`` (pip).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("FACTDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DEMO = Path(__file__).resolve().parents[2] / "src" / "factdesk" / "demo"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None  # type: ignore[assignment]

if sync_playwright is None:
    pytest.skip("playwright for Python is not installed (pip install playwright)", allow_module_level=True)
if not Path(CHROMIUM).is_file():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set FACTDESK_CHROMIUM)",
                allow_module_level=True)
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - loopback only
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from factdesk.pipeline import Pipeline
    from factdesk.settings import Settings
    from factdesk.store import Store

    db = tmp_path_factory.mktemp("e2e") / "desk.db"
    with Store.open(db) as store:
        Pipeline(store, Settings(verifier="baseline")).index_path(DEMO / "corpus")
    port = free_port()
    env = dict(os.environ, FACTDESK_VERIFIER="baseline", PYTHONUNBUFFERED="1")
    log = open(db.parent / "server.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-c", "from factdesk.web.serve_cli import serve; serve()", "--host", "127.0.0.1",
         "--port", str(port), "--db", str(db), "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    try:
        yield pg
    finally:
        ctx.close()


def watch(page: Any) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"dialogs": [], "errors": [], "requests": []}

    def on_dialog(d: Any) -> None:
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))
    return seen


def test_demo_article_check_review_export(server: str, page: Any) -> None:
    seen = watch(page)
    page.goto(server + "/")
    page.set_input_files("#file", str(DEMO / "article.html"))
    page.click("#submit-button")
    page.wait_for_url(f"{server}/checks/j*")
    page.wait_for_selector("#article-title", timeout=60_000)  # app.js reloads the page when the check is done
    assert page.locator("a.hl").count() > 5, "claims are highlighted in the article"
    assert page.locator("article.claim").count() > 5
    assert page.locator("li.evidence").count() > 5

    claim = page.locator("article.claim").first
    claim_id = claim.get_attribute("id").removeprefix("claim-")
    current = claim.get_attribute("data-label")
    new_label = "refuted" if current != "refuted" else "supported"
    claim.locator("details.review-box > summary").click()
    form = claim.locator("form.review-form")
    form.locator("select[name=label]").select_option(new_label)
    form.locator("textarea[name=explanation]").fill("Reviewed in the browser: the record says otherwise.")
    form.locator("textarea[name=note]").fill("e2e note")
    form.locator("input[name=approve]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f"#claim-{claim_id} .badge.approved")
    edited = page.locator(f"#claim-{claim_id}")
    assert edited.get_attribute("data-label") == new_label
    assert "Reviewed in the browser" in edited.inner_text()
    audit = page.locator("#audit-table").inner_text()
    assert "approve" in audit and "verdict" in audit and "e2e note" in audit

    href = page.locator("#export-claimreview").get_attribute("href")
    resp = page.request.get(server + href)
    assert resp.status == 200
    items = json.loads(resp.text())
    item = next(i for i in items if i["reviewBody"] == "Reviewed in the browser: the record says otherwise.")
    assert item["reviewRating"]["alternateName"] == {"refuted": "Refuted", "supported": "Supported"}[new_label]
    assert not seen["dialogs"] and not seen["errors"], seen
    assert all(u.startswith(server) for u in seen["requests"]), "every asset is served locally"


def test_injected_markup_never_runs(server: str, page: Any) -> None:
    seen = watch(page)
    payload = (
        "date: 2024-05-02\n"
        "title: <script>window.__pwned='title';alert('title')</script>\n\n"
        "PORT ALDINE, May 2, 2024 — The council approved a $1.2 billion light rail budget in 2019 "
        "<script>window.__pwned='script';alert('script')</script>.\n\n"
        "The budget rose to $1.85 billion in 2023 <img src=x id=pwnimg onerror=\"window.__pwned='img';alert('img')\">, "
        "officials said. <svg onload=\"alert('svg')\"></svg> <a href=\"javascript:alert('a')\" id=pwnlink>link</a>\n"
    )
    page.goto(server + "/")
    page.fill("#text", payload)
    page.fill("input[name=title]", "<img src=x onerror=alert('t2')>")
    page.click("#submit-button")
    page.wait_for_url(f"{server}/checks/j*")
    page.wait_for_selector("#article-title", timeout=60_000)
    for path in ("", "/checks", "/corpus?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"):
        if path:
            page.goto(server + path)
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator("#pwnimg, #pwnlink, svg[onload], img[src='x']").count() == 0
        scripts = page.eval_on_selector_all("script", "els => els.map(e => e.getAttribute('src'))")
        assert scripts == ["/static/app.js"], scripts
    page.go_back()
    page.wait_for_timeout(300)
    assert not seen["dialogs"], seen["dialogs"]
    assert not seen["errors"], seen["errors"]
