"""factdesk watch (issue 16 item 5): real feeds on a loopback HTTP server, a real SQLite store.

The server's feed gains entries between polls, answers 304 to a matching If-None-Match and
serves the article pages; it counts every request, so "checked exactly once" is counted, not
assumed.  Alerts go to a JSONL file and to a webhook on the same server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email.utils import format_datetime
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from factdesk.cli import cli
from factdesk.errors import FetchError, InputError, UnsafeURLError
from factdesk.ingest.url import fetch, post_json
from factdesk.match.matcher import default_embedder
from factdesk.match.reviews import Review, add_reviews
from factdesk.pipeline import Pipeline
from factdesk.settings import Settings
from factdesk.store import Store
from factdesk.store.watch import WatchTables
from factdesk.watch.alerts import JsonlSink, TerminalSink, WebhookSink, alerts_for_report, contradicts, rating_class
from factdesk.watch.feeds import parse_feed
from factdesk.watch.watcher import Watcher, content_hash, parse_interval

SETTINGS = Settings(verifier="baseline", allow_private=True)
REVIEW_CLAIM = "Crime in Fennick rose by 12% in 2021."
# (slug, title, body): article pages the feed links to; a1 repeats the fact-checked claim
ARTICLES = {
    "a1": ("Fennick crime figures", "Crime in Fennick rose by 12% in 2021, the mayor said."),
    "a2": ("Lowmere bag levy", "The Lowmere city council approved a 40% tax on plastic bags in 2019."),
    "a3": ("Harbour ferry", "The Port Aldine ferry carried 2.4 million passengers in 2023, the operator said."),
    "a4": ("Bridge tolls", "The Harwick bridge toll doubled to $8 in 2024, according to the transport office."),
}


class FeedServer:
    """A feed whose entries the test changes, article pages, a webhook; every request counted."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []  # newest last; the feed lists them newest first
        self.hits: Counter[str] = Counter()
        self.not_modified = 0
        self.hooks: list[dict[str, Any]] = []
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.hold: dict[str, threading.Event] = {}  # a page whose answer waits for the event
        self.requested = threading.Event()
        self.bad_feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title><item><title>x'
        for slug, (title, body) in ARTICLES.items():
            self.set_article(slug, title, body)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, ctype: str, body: bytes, extra: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path
                owner.hits[path] += 1
                if path.split("?")[0] == "/feed.xml":
                    etag = owner.etag()
                    if self.headers.get("If-None-Match") == etag:
                        owner.not_modified += 1
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self._send(200, "application/rss+xml", owner.feed(), {"ETag": etag})
                elif path == "/always304":
                    self.send_response(304)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif path == "/bad.xml":
                    self._send(200, "application/rss+xml", owner.bad_feed)
                elif path in owner.pages:
                    if path in owner.hold:
                        owner.requested.set()
                        owner.hold[path].wait(30)
                    status, ctype, body = owner.pages[path]
                    self._send(status, ctype, body)
                else:
                    self._send(404, "text/plain", b"not found")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                owner.hits["POST " + self.path] += 1
                if self.path == "/hook":
                    owner.hooks.append(json.loads(body))
                    self._send(200, "application/json", b"{}")
                elif self.path == "/hook-redirect":
                    self._send(302, "text/plain", b"", {"Location": "/hook"})
                else:
                    self._send(500, "text/plain", b"boom")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def set_article(self, slug: str, title: str, body: str, status: int = 200) -> None:
        html = (f"<!doctype html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
                f"<p>{body}</p></article></body></html>")
        self.pages[f"/{slug}"] = (status, "text/html; charset=utf-8", html.encode())

    def add(self, slug: str, *, title: str | None = None, content: str | None = None, day: int = 1) -> None:
        self.entries.append({"slug": slug, "title": title or ARTICLES.get(slug, (slug, ""))[0],
                             "content": content, "day": day})

    def etag(self) -> str:
        return '"' + content_hash(json.dumps(self.entries, sort_keys=True))[:16] + '"'

    def feed(self) -> bytes:
        items = []
        for e in reversed(self.entries):
            when = format_datetime(datetime(2025, 1, e["day"], 9, tzinfo=timezone.utc), usegmt=True)
            desc = f"<description><![CDATA[<p>{e['content']}</p>]]></description>" if e["content"] else ""
            title = e["title"].replace("&", "&amp;").replace("<", "&lt;")
            items.append(f"<item><title>{title}</title><link>{self.base}/{e['slug']}</link>"
                         f"<guid>{self.base}/{e['slug']}</guid><pubDate>{when}</pubDate>{desc}</item>")
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Fennick Gazette</title>'
                f"<link>{self.base}/</link><description>news</description>{''.join(items)}</channel></rss>").encode()

    @property
    def feed_url(self) -> str:
        return self.base + "/feed.xml"

    def article_hits(self) -> dict[str, int]:
        return {p: n for p, n in self.hits.items() if p.startswith("/a") or p.startswith("/gone")}

    def close(self) -> None:
        for event in self.hold.values():
            event.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def server() -> Iterator[FeedServer]:
    s = FeedServer()
    yield s
    s.close()


def _review_store(path: Path) -> Store:
    store = Store.open(path)
    add_reviews(store, [Review(claim=REVIEW_CLAIM, url="https://fc.example/fennick", rating="False",
                               publisher="FactLens", date="2022-02-01")], embedder=default_embedder())
    return store


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    with _review_store(tmp_path / "fd.db") as s:
        yield s


def _watcher(store: Store, urls: list[str], sinks: list[Any] = (), **kw: Any) -> Watcher:
    return Watcher(Pipeline.from_settings(SETTINGS, store=store), urls, list(sinks), **kw)


def _reports(store: Store) -> int:
    return store.count("reports")


# -- pieces ---------------------------------------------------------------------------------------

def test_intervals() -> None:
    assert [parse_interval(t) for t in ("30s", "15m", "1h", "1h30m", "90", "2d")] == [30, 900, 3600, 5400, 90,
                                                                                     172800]
    for bad in ("", "15 minutes", "m", "0s", "1x", "-5m"):
        with pytest.raises(InputError):
            parse_interval(bad)


def test_rating_classes_and_contradiction() -> None:
    assert [rating_class(r) for r in ("False", "Mostly False", "Pants on Fire!", "TRUE", "Misleading", None)] == \
        ["false", "false", "false", "true", None, None]
    assert contradicts("False", "supported") and contradicts("Mostly true", "refuted")
    assert not contradicts("False", "refuted") and not contradicts("False", "not_enough_evidence")
    assert not contradicts("Misleading", "supported") and not contradicts(None, "supported")
    report = {"id": "r1", "article": {"title": "T"}, "claims": [
        {"id": "c1", "text": "X rose.", "verdict": {"label": "supported"},
         "matches": [{"claim": "X rose", "rating": "False", "url": "https://fc/1", "score": 0.9}]},
        {"id": "c2", "text": "Y fell.", "verdict": {"label": "refuted"},
         "matches": [{"claim": "Y fell", "rating": "False", "url": "https://fc/2", "score": 0.8}]},
        {"id": "c3", "text": "Z.", "verdict": {"label": "supported"}, "matches": []}]}
    alerts = alerts_for_report(report, feed_url="F", article_url="A", content_source="page")
    assert [(a["claim_id"], a["kind"]) for a in alerts] == [("c1", "contradicts_factcheck"),
                                                             ("c2", "repeats_factcheck")]
    assert alerts[0]["review"]["rating_class"] == "false" and alerts[0]["report_id"] == "r1"


def test_fetcher_conditional_get_headers_and_post(server: FeedServer) -> None:
    server.add("a1")
    first = fetch(server.feed_url, allow_private=True, headers={"Accept": "application/rss+xml"})
    assert first.status == 200 and first.headers["etag"] == server.etag()
    again = fetch(server.feed_url, allow_private=True, headers={"If-None-Match": server.etag()})
    assert again.status == 304 and again.data == b"" and server.not_modified == 1
    with pytest.raises(FetchError, match="unexpected HTTP status 304"):  # not asked for: still an error
        fetch(server.base + "/always304", allow_private=True, headers={"Accept": "*/*"})
    for bad in ({"Host": "evil.example"}, {"Connection": "keep-alive"}, {"X-A": "1\r\nX-B: 2"}):
        with pytest.raises(InputError):
            fetch(server.feed_url, allow_private=True, headers=bad)
    assert post_json(server.base + "/hook", b'{"k": 1}', allow_private=True) == 200
    assert server.hooks == [{"k": 1}]
    with pytest.raises(FetchError, match="HTTP 302"):  # a POST is never replayed to a redirect's target
        post_json(server.base + "/hook-redirect", b"{}", allow_private=True)
    assert len(server.hooks) == 1
    with pytest.raises(UnsafeURLError):
        post_json(server.base + "/hook", b"{}")  # loopback without allow_private


def test_malformed_feed_is_an_error_on_the_feed_not_a_crash(store: Store, server: FeedServer) -> None:
    with pytest.raises(InputError, match="malformed XML|not an RSS or Atom feed"):
        parse_feed(server.bad_feed, "http://x/bad.xml")
    with pytest.raises(InputError, match="not an RSS or Atom feed"):
        parse_feed(b"<html><body>hello</body></html>", "http://x/page")
    w = _watcher(store, [server.base + "/bad.xml", server.feed_url])
    server.add("a2")
    runs = w.poll_once()
    assert runs[0].status == "error" and "malformed XML" in (runs[0].error or "")
    assert runs[1].status == "new entries" and runs[1].checked == 1  # the other feed goes on
    feeds = {f["url"]: f for f in store.watch.list_feeds()}
    bad = feeds[server.base + "/bad.xml"]
    assert bad["last_status"] == "error" and "malformed XML" in bad["last_error"] and bad["items"] == 0
    # the CLI: one line on stderr per feed, exit status 1 for --once
    result = CliRunner().invoke(cli, ["watch", server.base + "/bad.xml", "--once", "--json", "--allow-private",
                                      "--verifier", "baseline", "--db", str(store.path)])
    assert result.exit_code == 1, result.output
    event = json.loads(result.stdout.strip().splitlines()[-1])
    assert event["event"] == "poll" and event["status"] == "error" and "malformed XML" in event["error"]


@pytest.mark.skipif(sys.platform == "win32", reason="flock")
def test_a_second_watcher_on_the_same_store_is_refused(store: Store, server: FeedServer) -> None:
    import fcntl

    server.add("a2")
    args = ["watch", server.feed_url, "--once", "--allow-private", "--verifier", "baseline", "--db", str(store.path)]
    with open(f"{store.path}.watch.lock", "a+") as held:  # as a running watcher holds it
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        refused = CliRunner().invoke(cli, args)
        assert refused.exit_code == 2 and "another factdesk watch is already running" in refused.output
        assert server.hits["/feed.xml"] == 0
    done = CliRunner().invoke(cli, args)  # the lock released: it runs
    assert done.exit_code == 0, done.output
    assert [i["status"] for i in store.watch.items(1)] == ["checked"]


# -- polling, dedupe, alerts ----------------------------------------------------------------------

def test_each_new_article_checked_once_and_alerts_go_to_file_and_webhook(
        store: Store, server: FeedServer, tmp_path: Path) -> None:
    alerts_file = tmp_path / "alerts.jsonl"
    sinks = [JsonlSink(alerts_file), WebhookSink(server.base + "/hook", allow_private=True)]
    w = _watcher(store, [server.feed_url], sinks)
    server.add("a1", day=1)
    server.add("a2", day=2)
    (run,) = w.poll_once()
    assert (run.status, run.new_entries, run.checked, run.alerts) == ("new entries", 2, 2, 1)
    assert server.article_hits() == {"/a1": 1, "/a2": 1}

    (run,) = w.poll_once()  # nothing new: the server answers 304 and nothing is fetched or checked
    assert (run.status, run.checked) == ("not modified", 0) and server.not_modified == 1
    server.add("a3", day=3)  # the feed gains an entry between polls
    (run,) = w.poll_once()
    assert (run.status, run.new_entries, run.checked, run.alerts) == ("new entries", 1, 1, 0)
    assert server.article_hits() == {"/a1": 1, "/a2": 1, "/a3": 1}
    assert _reports(store) == 3
    items = store.watch.items(w.feed_ids[server.feed_url])
    assert [(i["entry_url"].rsplit("/", 1)[1], i["status"], i["content_source"]) for i in items] == \
        [("a1", "checked", "page"), ("a2", "checked", "page"), ("a3", "checked", "page")]
    assert all(i["report_id"] and store.get_report(i["report_id"]) for i in items)

    lines = [json.loads(line) for line in alerts_file.read_text().splitlines()]
    assert len(lines) == 1 and lines == server.hooks
    alert = lines[0]
    assert alert["kind"] == "repeats_factcheck" and alert["article_url"] == server.base + "/a1"
    assert alert["review"]["url"] == "https://fc.example/fennick" and alert["review"]["rating"] == "False"
    assert alert["review"]["score"] >= 0.5 and "Fennick" in alert["claim"]
    assert alert["report_id"] == items[0]["report_id"] and alert["content_source"] == "page"
    stored = store.watch.list_alerts()
    assert len(stored) == 1 and stored[0]["delivered_at"] and stored[0]["feed_url"] == server.feed_url

    # a new watcher on the same store (a restart) checks nothing again, even with the validators gone
    store.conn.execute("UPDATE feeds SET etag = NULL")
    store.conn.commit()
    (run,) = _watcher(store, [server.feed_url], sinks).poll_once()
    assert (run.status, run.new_entries, run.checked) == ("no new entries", 0, 0)
    assert server.article_hits() == {"/a1": 1, "/a2": 1, "/a3": 1} and _reports(store) == 3
    assert len(server.hooks) == 1


def test_contradiction_alert_when_the_corpus_supports_a_claim_rated_false(
        store: Store, server: FeedServer, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "police.txt").write_text(
        "date 2022-01-15\ntitle: Fennick police annual report\n\nFennick police annual report for 2021. Crime in "
        "Fennick rose by 12% in 2021, according to the police annual report published in January 2022.\n")
    w = _watcher(store, [server.feed_url], [JsonlSink(tmp_path / "alerts.jsonl")])
    w.pipeline.index_path(corpus)
    server.add("a1")
    (run,) = w.poll_once()
    assert run.alerts == 1
    alert = json.loads((tmp_path / "alerts.jsonl").read_text())
    assert (alert["kind"], alert["verdict"], alert["review"]["rating_class"]) == \
        ("contradicts_factcheck", "supported", "false")
    assert store.watch.list_alerts()[0]["kind"] == "contradicts_factcheck"


def test_same_text_under_another_url_and_a_second_feed_are_duplicates(store: Store, server: FeedServer) -> None:
    title, body = ARTICLES["a2"]
    server.set_article("a2-copy", title, body)  # the same article under a tracking URL
    server.add("a2", day=1)
    server.add("a2-copy", title=title, day=2)
    w = _watcher(store, [server.feed_url, server.feed_url + "?second"])
    runs = w.poll_once()
    assert (runs[0].checked, runs[0].duplicates) == (1, 1)
    assert (runs[1].checked, runs[1].duplicates) == (0, 2)  # the second feed lists the same URLs
    assert _reports(store) == 1
    assert server.article_hits() == {"/a2": 1, "/a2-copy": 1}  # known URLs are not even fetched again
    items = store.watch.items(w.feed_ids[server.feed_url])
    assert items[1]["status"] == "duplicate" and items[1]["report_id"] == items[0]["report_id"]
    assert "same text" in items[1]["error"]


def test_entry_text_when_the_link_fails_and_bounded_retries(store: Store, server: FeedServer) -> None:
    server.entries.append({"slug": "gone1", "title": "Ferry numbers", "day": 1,
                           "content": "The Port Aldine ferry carried 2.4 million passengers in 2023."})
    server.entries.append({"slug": "gone2", "title": "No text", "day": 2, "content": None})
    w = _watcher(store, [server.feed_url], max_attempts=2)
    (run,) = w.poll_once()
    assert (run.checked, run.failed) == (1, 1)
    by_slug = {i["entry_url"].rsplit("/", 1)[1]: i for i in store.watch.items(w.feed_ids[server.feed_url])}
    first = by_slug["gone1"]
    assert first["status"] == "checked" and first["content_source"] == "entry" and "HTTP 404" in first["error"]
    assert "ferry" in store.get_report(first["report_id"])["article"]["text"]
    assert by_slug["gone2"]["status"] == "new" and by_slug["gone2"]["attempts"] == 1
    (run,) = w.poll_once()  # 304, but the pending entry is retried once more, then given up
    assert run.status == "not modified" and run.failed == 1
    gone2 = store.watch.get_item(by_slug["gone2"]["id"])
    assert gone2["status"] == "failed" and gone2["attempts"] == 2 and "HTTP 404" in gone2["error"]
    w.poll_once()
    assert server.hits["/gone2"] == 2 and server.hits["/gone1"] == 1  # no third try


def test_one_feed_failing_unexpectedly_does_not_end_the_watch(store: Store, server: FeedServer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    server.add("a2")
    original = WatchTables.record_poll
    calls = {"n": 0}

    def locked_once(self: WatchTables, *args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise sqlite3.OperationalError("database is locked")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(WatchTables, "record_poll", locked_once)
    first, second = _watcher(store, [server.feed_url, server.feed_url + "?again"]).poll_once()
    assert first.status == "error" and "database is locked" in (first.error or "")
    assert second.checked == 1


# -- stopping and resuming ------------------------------------------------------------------------

class _InterruptAfter(Pipeline):
    """Raises KeyboardInterrupt (a Ctrl-C) when the n-th check starts."""

    limit = 1
    calls = 0

    def check(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        type(self).calls += 1
        if type(self).calls > type(self).limit:
            raise KeyboardInterrupt
        return super().check(*args, **kwargs)


def test_interrupted_watcher_resumes_without_duplicates_or_losses(store: Store, server: FeedServer) -> None:
    server.add("a1", day=1)
    server.add("a2", day=2)
    server.add("a3", day=3)
    interrupted = Watcher(_InterruptAfter.from_settings(SETTINGS, store=store), [server.feed_url])
    with pytest.raises(KeyboardInterrupt):
        interrupted.poll_once()
    items = store.watch.items(interrupted.feed_ids[server.feed_url])
    assert [(i["status"], i["attempts"]) for i in items] == [("checked", 0), ("new", 0), ("new", 0)]
    assert _reports(store) == 1

    w = _watcher(store, [server.feed_url])
    (run,) = w.poll_once()  # the feed did not change: 304, and the two left entries are checked now
    assert (run.status, run.checked) == ("not modified", 2)
    assert server.article_hits() == {"/a1": 1, "/a2": 2, "/a3": 1}  # a2 was fetched before the interrupt
    assert _reports(store) == 3
    assert [i["status"] for i in store.watch.items(w.feed_ids[server.feed_url])] == ["checked"] * 3


def test_stop_between_saving_the_report_and_marking_the_item_adopts_the_report(
        store: Store, server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server.add("a1")
    original = WatchTables.finish_item

    def killed(*_a: Any, **_k: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(WatchTables, "finish_item", killed)
    with pytest.raises(KeyboardInterrupt):
        _watcher(store, [server.feed_url]).poll_once()
    (item,) = store.watch.pending_items()
    assert item["report_id"] and _reports(store) == 1  # saved, but the item is still new
    monkeypatch.setattr(WatchTables, "finish_item", original)
    alerts_file = tmp_path / "alerts.jsonl"
    (run,) = _watcher(store, [server.feed_url], [JsonlSink(alerts_file)]).poll_once()
    assert run.checked == 1 and _reports(store) == 1 and server.article_hits() == {"/a1": 1}
    assert store.watch.get_item(item["id"])["report_id"] == item["report_id"]
    assert json.loads(alerts_file.read_text())["report_id"] == item["report_id"]


def test_stop_finishes_the_current_article_then_returns(store: Store, server: FeedServer) -> None:
    server.add("a1", day=1)
    server.add("a2", day=2)
    w = _watcher(store, [server.feed_url])
    server.hold["/a1"] = threading.Event()
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(runs=w.run(3600)))
    thread.start()
    assert server.requested.wait(30)
    w.stop()  # as SIGTERM does: during the first article's fetch
    server.hold["/a1"].set()
    thread.join(60)
    assert not thread.is_alive()  # it did not sleep the hour
    assert [i["status"] for i in store.watch.items(w.feed_ids[server.feed_url])] == ["checked", "new"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_process_resumes(tmp_path: Path, server: FeedServer) -> None:
    """A real `factdesk watch` process killed with SIGKILL mid-article; the next run finishes the rest."""
    db = tmp_path / "fd.db"
    _review_store(db).close()
    server.add("a1", day=1)
    server.add("a2", day=2)
    server.add("a3", day=3)
    server.hold["/a2"] = threading.Event()  # the second article's page hangs until the kill
    alerts_file = tmp_path / "alerts.jsonl"
    env = {**os.environ, "FACTDESK_VERIFIER": "baseline"}
    cmd = [sys.executable, "-m", "factdesk", "watch", server.feed_url, "--once", "--allow-private", "--db", str(db),
           "--alerts", str(alerts_file), "--json"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert server.requested.wait(120), proc.stderr.read().decode() if proc.poll() is not None else ""
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    server.hold.pop("/a2").set()
    with Store.open(db) as s:
        assert [i["status"] for i in s.watch.items(1)] == ["checked", "new", "new"]
        assert s.count("reports") == 1
    # started again without FEED_URL: it watches the feeds already in the store
    done = subprocess.run([c for c in cmd if c != server.feed_url], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["event"] for e in events] == ["poll"] and events[0]["checked"] == 2
    assert events[0]["status"] == "not modified"
    with Store.open(db) as s:
        assert [i["status"] for i in s.watch.items(1)] == ["checked"] * 3
        assert s.count("reports") == 3
    assert server.article_hits() == {"/a1": 1, "/a2": 2, "/a3": 1}
    assert [json.loads(line)["article_url"] for line in alerts_file.read_text().splitlines()] == \
        [server.base + "/a1"]  # delivered by the first run, not again


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_sigterm_finishes_the_current_article_and_exits(tmp_path: Path, server: FeedServer) -> None:
    db = tmp_path / "fd.db"
    server.add("a2", day=1)
    server.add("a3", day=2)
    server.hold["/a2"] = threading.Event()
    env = {**os.environ, "FACTDESK_VERIFIER": "baseline"}
    proc = subprocess.Popen([sys.executable, "-m", "factdesk", "watch", server.feed_url, "--every", "1h",
                             "--allow-private", "--db", str(db)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert server.requested.wait(120)
        proc.send_signal(signal.SIGTERM)  # while the first article is being fetched
        time.sleep(0.5)
        server.hold["/a2"].set()
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopping after the current article" in err
    with Store.open(db) as s:
        assert [i["status"] for i in s.watch.items(1)] == ["checked", "new"]  # finished a2, left a3 for later
    assert "/a3" not in server.hits


def test_terminal_sink_lines_carry_no_escape_sequences() -> None:
    import io

    out = io.StringIO()
    alert = {"kind": "contradicts_factcheck", "claim": "X rose.\x1b[2J\x9b31m", "verdict": "supported",
             "article_url": "A", "report_id": "r1",
             "review": {"rating": "False", "publisher": "P", "score": 0.9, "url": "U"}}
    TerminalSink(out).send(alert)
    TerminalSink(out, as_json=True).send(alert)
    first, second = out.getvalue().splitlines()
    assert first.startswith("ALERT CONTRADICTS") and "rated False by P" in first
    assert "\x1b" not in out.getvalue() and "\x9b" not in out.getvalue()
    assert json.loads(second)["event"] == "alert" and json.loads(second)["claim"] == alert["claim"]


def test_article_link_to_a_metadata_address_is_never_fetched(store: Store, server: FeedServer) -> None:
    """allow_private lets the loopback feed through, never a cloud-metadata link: the entry's own text is used."""
    server.entries.append({"slug": "x", "title": "Ferry", "day": 1,
                           "content": "The Port Aldine ferry carried 2.4 million passengers in 2023."})
    original = server.feed

    def feed() -> bytes:
        return original().replace(f"{server.base}/x".encode(), b"http://169.254.169.254/latest/meta-data/")

    server.feed = feed  # type: ignore[method-assign]
    w = _watcher(store, [server.feed_url])
    (run,) = w.poll_once()
    (item,) = store.watch.items(w.feed_ids[server.feed_url])
    assert run.checked == 1 and item["content_source"] == "entry"
    assert "metadata" in item["error"] and item["entry_url"].startswith("http://169.254.169.254/")


def test_a_huge_feed_is_read_up_to_the_newest_entries() -> None:
    from factdesk.watch import feeds

    items = "".join(f"<item><title>t{i}</title><link>http://x.example/{i}</link></item>" for i in range(620))
    result = parse_feed(f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode(),
                        "http://x.example/feed")
    assert len(result.entries) == feeds.MAX_ENTRIES and "only the newest 500" in (result.warning or "")
    assert result.entries[-1].url == "http://x.example/0"  # listed first = newest, kept and checked last


def test_webhook_failure_is_logged_not_fatal(store: Store, server: FeedServer, tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    server.add("a1")
    alerts_file = tmp_path / "alerts.jsonl"
    w = _watcher(store, [server.feed_url], [WebhookSink(server.base + "/broken", allow_private=True),
                                            JsonlSink(alerts_file)])
    (run,) = w.poll_once()
    assert run.checked == 1 and run.alerts == 1
    assert "HTTP 500" in caplog.text and len(alerts_file.read_text().splitlines()) == 1
    assert store.watch.undelivered_alerts() == []


# -- the web desk ---------------------------------------------------------------------------------

def test_desk_feeds_page_lists_feeds_alerts_and_escapes(tmp_path: Path) -> None:
    for module in ("fastapi", "httpx", "argon2", "itsdangerous", "multipart"):
        pytest.importorskip(module)
    from fastapi.testclient import TestClient

    from factdesk.web import accounts
    from factdesk.web.app import create_app

    hostile = "<script>alert(1)</script>"
    db = tmp_path / "desk.db"
    with Store.open(db) as s:
        feed = s.watch.add_feed("https://news.example/feed.xml")
        s.watch.record_poll(feed, etag=None, last_modified=None, title=f"Gazette {hostile}",
                            entries=[("https://news.example/a1", {"title": hostile})])
        (item,) = s.watch.pending_items(feed)
        s.watch.finish_item(item["id"], "r123", [{
            "kind": "contradicts_factcheck", "claim_id": "c1", "claim": f"Claim {hostile}", "verdict": "supported",
            "article_url": "javascript:alert(2)", "article_title": f"Title {hostile}", "content_source": "page",
            "review": {"url": "https://fc.example/1", "rating": "False", "publisher": f"Pub {hostile}",
                       "claim": "The claim", "score": 0.91}}])
        broken = s.watch.add_feed("https://broken.example/rss")
        s.watch.record_feed_error(broken, f"cannot read the feed: malformed XML {hostile}")
        accounts.add_user(s, "victor", "viewer password 1", "viewer")
        token = accounts.new_token(s, "victor")

    with TestClient(create_app(db, require_login=False, settings=SETTINGS, start_worker=False,
                               warm_up=False)) as c:
        page = c.get("/feeds", headers={"accept": "text/html"})
        assert page.status_code == 200
        text = page.text
        assert "<script>alert" not in text and "javascript:" not in text
        assert "Gazette &lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "malformed XML &lt;script&gt;" in text and "Pub &lt;script&gt;" in text
        assert 'href="/checks/r123#claim-c1"' in text and 'href="https://fc.example/1"' in text
        assert "<strong>contradicts</strong>" in text and "match 0.91" in text
        assert 'href="/feeds" aria-current="page"' in text  # the nav link
        rows = text.split('id="feeds-table"')[1].split("</table>")[0]
        assert rows.index("broken.example") < rows.index("news.example")  # both listed, by URL
        api = c.get("/api/feeds").json()
        assert [f["url"] for f in api["feeds"]] == ["https://broken.example/rss", "https://news.example/feed.xml"]
        assert api["feeds"][1]["checked"] == 1 and api["feeds"][0]["last_status"] == "error"
        assert api["alerts"][0]["detail"]["claim"] == f"Claim {hostile}"  # JSON keeps the text as it is

    with TestClient(create_app(db, require_login=True, settings=SETTINGS, start_worker=False,
                               warm_up=False)) as c:
        assert c.get("/api/feeds").status_code == 401
        assert c.get("/feeds", headers={"authorization": f"Bearer {token}"}).status_code == 200  # a viewer reads
