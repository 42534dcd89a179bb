"""Screenshots of the web desk's main pages, for docs/screenshots/.

Starts `factdesk serve` on a free 127.0.0.1 port over a throwaway store with the demo
corpus indexed, checks the demo article, makes a few reviewer edits through the API
and saves PNGs with headless Chromium (Playwright for Python)::

    python scripts/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "factdesk" / "demo"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api(base: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, headers={"content-type": "application/json"},
                                 method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - loopback only
        return json.loads(r.read())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--chromium", default=os.environ.get("FACTDESK_CHROMIUM", "/usr/bin/chromium"))
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from factdesk.pipeline import Pipeline
    from factdesk.settings import Settings
    from factdesk.store import Store

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="factdesk-shots-"))
    db = tmp / "desk.db"
    with Store.open(db) as store:
        Pipeline(store, Settings(verifier="baseline")).index_path(DEMO / "corpus")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, FACTDESK_VERIFIER="baseline")
    proc = subprocess.Popen([sys.executable, "-c", "from factdesk.web.serve_cli import serve; serve()",
                             "--host", "127.0.0.1", "--port", str(port), "--db", str(db), "--log-level", "warning"],
                            env=env)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})

            page.goto(base + "/")
            page.screenshot(path=str(out / "1-submit.png"))
            page.set_input_files("#file", str(DEMO / "article.html"))
            page.click("#submit-button")
            page.wait_for_url(f"{base}/checks/j*")
            check_url = page.url
            page.screenshot(path=str(out / "2-progress.png"))
            page.wait_for_selector("#article-title", timeout=120_000)
            check_id = check_url.rsplit("/", 1)[1]

            report = api(base, f"/api/checks/{check_id}")["report"]
            decided = [c for c in report["claims"] if c["verdict"]["label"] != "not_enough_evidence"]
            first = decided[0] if decided else report["claims"][0]
            api(base, f"/api/checks/{check_id}/claims/{first['id']}/review",
                {"approve": True, "note": "Matches the council minutes; approved for publication."})
            if len(decided) > 1:
                second = decided[1]
                api(base, f"/api/checks/{check_id}/claims/{second['id']}/review",
                    {"label": "refuted", "explanation": "The 2023 budget update contradicts this figure.",
                     "irrelevant_evidence_ids": [second["evidence"][-1]["passage_id"]] if second["evidence"] else [],
                     "note": "Machine said otherwise; the later audit settles it.", "approve": True})

            page.goto(check_url)
            page.screenshot(path=str(out / "3-check.png"))
            claim = page.locator(f"#claim-{first['id']}")
            claim.scroll_into_view_if_needed()
            page.evaluate("window.scrollBy(0, -80)")
            page.screenshot(path=str(out / "4-claim-evidence.png"))
            if len(decided) > 1:
                box = page.locator(f"#claim-{decided[1]['id']}")
                box.locator("details.review-box > summary").click()
                box.scroll_into_view_if_needed()
                page.screenshot(path=str(out / "5-review.png"))
            page.locator("#audit").scroll_into_view_if_needed()
            page.screenshot(path=str(out / "6-audit-timeline.png"))
            page.goto(base + "/corpus?q=light+rail+budget")
            page.screenshot(path=str(out / "7-corpus.png"))
            page.goto(base + "/checks")
            page.screenshot(path=str(out / "8-checks.png"))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(15)
    for f in sorted(out.glob("*.png")):
        print(f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
