"""Web search evidence (issue 16): SearxNG and Brave over a loopback server, a real SQLite store, the real CLI.

The server (factdesk.testing.search_server) speaks both APIs' JSON and serves the result pages; every
failure an API can have (403, 429 with Retry-After, a stall, junk) must end in a clear error or a
per-source skip recorded in the report — never a lost report.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from factdesk.cli import cli
from factdesk.errors import ConfigError, SourceError
from factdesk.pipeline import Pipeline
from factdesk.report import render, validate_report
from factdesk.settings import Settings
from factdesk.sources.brave import make_brave
from factdesk.sources.http import retry_after_seconds
from factdesk.sources.searxng import make_searxng
from factdesk.store import Store
from factdesk.testing import CORPUS, FakeEmbedder, FakeLLM, FakeRetriever, FakeScorer, FakeVerifier
from factdesk.testing.search_server import SearchServer, html_page
from factdesk.types import Document

ARTICLE_TEXT = """date 2024-06-01

The Ridgeway dam opened in 1998 after four years of construction, the water board said.

The council voted to extend the light rail line to Eastfield in February 2023.
"""
ARTICLE = Document(text="The Ridgeway dam opened in 1998 after four years of construction.\n\n"
                   "The council voted to extend the light rail line to Eastfield in 2023.",
                   title="Water and rail", published="2024-06-01")
FACTCHECK_URL = "https://www.snopes.com/fact-check/ridgeway-dam-1998/"


@pytest.fixture
def server():
    with SearchServer() as srv:
        srv.add_documents(CORPUS)
        srv.extra_results.append({"url": FACTCHECK_URL, "title": "Did the Ridgeway dam open in 1998?",
                                  "content": "Rating: true", "publishedDate": "2020-02-02T00:00:00"})
        yield srv


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "fd.db") as s:
        yield s


def searxng(server: SearchServer, store: Store, **kw: Any):
    kw.setdefault("allow_private", True)
    return make_searxng(url=server.base_url, store=store, **kw)


def pipeline(store: Store, **settings: Any) -> Pipeline:
    settings.setdefault("allow_private", True)
    return Pipeline(store, Settings(**settings), verifier=FakeVerifier(), embedder=FakeEmbedder(),
                    scorer=FakeScorer(), retriever=FakeRetriever(), omitted_verifier=FakeVerifier())


def page_fetches(server: SearchServer) -> int:
    return sum(r.path.startswith("/pages/") for r in server.requests)


# -- the must-show: a real CLI check with a SearxNG-format server ---------------------------------------
def test_cli_check_with_searxng_gives_evidence_with_provenance_and_snapshots(server, tmp_path: Path,
                                                                             monkeypatch) -> None:
    monkeypatch.setenv("FACTDESK_VERIFIER", "baseline")
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE_TEXT, encoding="utf-8")
    db = tmp_path / "cli.db"
    args = ["check", str(article), "--source", f"searxng={server.base_url}", "--allow-private",
            "--format", "json", "--db", str(db)]
    runner = CliRunner()
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    validate_report(report)
    web = [ev for c in report["claims"] for ev in c["evidence"] if ev.get("provenance")]
    assert web, "the web results became evidence"
    with Store.open(db) as store:
        for ev in web:
            prov = ev["provenance"]
            assert prov["source"] == "searxng" and prov["url"].startswith(server.base_url + "/pages/")
            assert prov["fetched_at"] and len(prov["content_hash"]) == 64 and prov["query"]
            snap = store.sources.snapshot(prov["snapshot_id"])  # the report cites a stored snapshot
            assert snap.url == prov["url"] and ev["passage_id"] in {p.id for p in snap.passages}
            assert store.get_document(snap.document.id).text == snap.document.text
        assert store.list_reports()[0]["id"] == report["id"]
    dam = next(c for c in report["claims"] if "Ridgeway" in c["text"])
    assert any("Ridgeway dam opened in 1998" in ev["text"] for ev in dam["evidence"])
    assert report["sources"]["factchecks"][dam["id"]][0]["url"] == FACTCHECK_URL  # listed, not evidence
    assert all(ev["url"] != FACTCHECK_URL for c in report["claims"] for ev in c["evidence"])
    used = report["sources"]["used"][0]
    assert used["name"] == "searxng" and used["api_calls"] == len(report["claims"]) and used["cached"] == 0
    assert "source searxng:" in result.stderr
    assert "evidence comes from the configured sources only" in result.stderr and "warning:" not in result.stderr

    # a second run asks the API nothing and fetches no page: the query cache and the snapshots answer
    api_before, pages_before = len(server.api_requests()), page_fetches(server)
    again = json.loads(runner.invoke(cli, args).stdout)
    assert len(server.api_requests()) == api_before and page_fetches(server) == pages_before
    assert again["sources"]["used"][0]["cached"] == len(again["claims"])
    assert {ev["provenance"]["snapshot_id"] for c in again["claims"] for ev in c["evidence"] if ev.get("provenance")} \
        == {ev["provenance"]["snapshot_id"] for ev in web}
    # --refresh asks and fetches again, making new snapshots
    fresh = json.loads(runner.invoke(cli, [*args, "--refresh"]).stdout)
    assert len(server.api_requests()) == api_before + len(fresh["claims"]) and page_fetches(server) > pages_before

    # the Markdown and HTML reports show the provenance
    md = render(report, "markdown")
    assert "from searxng" in md and web[0]["provenance"]["snapshot_id"] in md and "## Evidence sources" in md
    html = render(report, "html")
    assert web[0]["provenance"]["snapshot_id"] in html and "Earlier fact-checks found by web search" in html


def test_without_a_configured_source_nothing_is_asked(server, store) -> None:
    report = pipeline(store).check(ARTICLE, save=False)
    assert "sources" not in report and server.requests == []


# -- API failures: clear errors, per-source skips, never a lost report -------------------------------------
def test_searxng_403_names_the_settings_key(server, store) -> None:
    server.json_enabled = False
    with pytest.raises(SourceError) as exc:
        searxng(server, store).search("Ridgeway dam", k=3)
    assert "search.formats" in str(exc.value) and "403" in str(exc.value)


@pytest.mark.parametrize("mode, words", [("forbidden", "search.formats"), ("junk", "not JSON"),
                                         ("slow", "did not answer within"), ("unavailable", "HTTP 503")])
def test_a_failing_source_is_skipped_per_claim_and_the_report_is_kept(server, store, mode: str, words: str) -> None:
    if mode == "forbidden":
        server.json_enabled = False
    else:
        server.api_mode, server.fail_times, server.slow_seconds = mode, 99, 1.5
    source = {"name": "searxng", "url": server.base_url, "timeout": 0.4, "max_retries": 0}
    started = time.perf_counter()
    report = pipeline(store, sources=(source,)).check(ARTICLE)
    assert time.perf_counter() - started < 10
    validate_report(report)
    skipped = report["sources"]["skipped"]
    assert len(skipped) == len(report["claims"]) >= 2  # one per claim, each with its reason
    assert all(words in s["reason"] and s["source"] == "searxng" and s["claim_id"] for s in skipped)
    assert store.get_report(report["id"])["sources"]["skipped"] == skipped
    assert words in render(report, "markdown")


def test_429_waits_as_retry_after_says_then_succeeds(server, store) -> None:
    server.api_mode, server.fail_times, server.retry_after = "rate_limited", 1, "2"
    waits: list[float] = []
    hits = searxng(server, store, sleep=waits.append, rate=0).search("Ridgeway dam opened", k=2)
    assert hits and waits == [2.0] and len(server.api_requests()) == 2


def test_429_with_a_long_retry_after_fails_now_with_the_wait(server, store) -> None:
    server.api_mode, server.fail_times, server.retry_after = "rate_limited", 5, "3600"
    waits: list[float] = []
    with pytest.raises(SourceError) as exc:
        searxng(server, store, sleep=waits.append, max_wait=30).search("Ridgeway dam", k=2)
    assert "HTTP 429" in str(exc.value) and "3600" in str(exc.value) and waits == []


def test_429_without_retry_after_backs_off_and_gives_up_after_max_retries(server, store) -> None:
    server.api_mode, server.fail_times, server.retry_after = "rate_limited", 5, None
    waits: list[float] = []
    with pytest.raises(SourceError, match="after 2 retries"):
        searxng(server, store, sleep=waits.append, max_retries=2, rate=0).search("Ridgeway dam", k=2)
    assert waits == [1.0, 2.0] and len(server.api_requests()) == 3


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_rate_limit_spaces_api_calls(server, store) -> None:
    source = searxng(server, store, rate=4.0, deny=["127.0.0.1"])  # no page fetches: only the API is timed
    started = time.perf_counter()
    for q in ("Ridgeway dam", "light rail Eastfield", "dam repairs"):
        source.search(q, k=1)
    assert time.perf_counter() - started >= 0.5  # two waits of 1/4 s between three calls
    assert len(server.api_requests()) == 3


def test_rate_limiter_waits_for_the_next_slot_and_after_a_429() -> None:
    from factdesk.sources.http import RateLimiter

    now = [100.0]
    waits: list[float] = []
    limiter = RateLimiter(2.0, 1, clock=lambda: now[0], sleep=waits.append)
    for _ in range(3):
        with limiter:
            pass
    assert waits == [0.5, 1.0]  # slots at 100, 100.5, 101 with the clock standing still
    limiter.hold_off(10)
    with limiter:
        pass
    assert waits[-1] == 10.0


# -- cache, budget ---------------------------------------------------------------------------------------
def test_cache_reuse_and_expiry(server, store) -> None:
    searxng(server, store).search("Ridgeway dam opened", k=2)
    searxng(server, store).search("Ridgeway dam opened", k=2)
    assert len(server.api_requests()) == 1  # a new source object (a new run) reuses the store's cache
    searxng(server, store, cache_ttl=0).search("Ridgeway dam opened", k=2)
    assert len(server.api_requests()) == 2  # expired: asked again
    from datetime import datetime, timedelta, timezone

    later = datetime.now(timezone.utc) + timedelta(days=8)
    assert store.sources.cached_results("searxng", "Ridgeway dam opened", searxng(server, store).params(None),
                                        max_age=7 * 86400, now=later) is None


def test_the_query_budget_is_per_run_and_cached_queries_are_free(server, store) -> None:
    source = searxng(server, store, budget=1)
    source.search("Ridgeway dam opened", k=1)
    with pytest.raises(SourceError, match="budget of 1"):
        source.search("light rail Eastfield", k=1)
    assert source.search("Ridgeway dam opened", k=1)  # cached: costs nothing
    assert len(server.api_requests()) == 1
    report = pipeline(store, sources=({"name": "searxng", "url": server.base_url, "budget": 0},)).check(ARTICLE)
    assert all("budget" in s["reason"] for s in report["sources"]["skipped"]) and report["claims"]


# -- domains, dates --------------------------------------------------------------------------------------
def test_deny_and_allow_lists(server, store) -> None:
    denied = searxng(server, store, deny=["127.0.0.1"]).search_detailed("Ridgeway dam", k=3)
    assert denied.hits == [] and denied.denied and page_fetches(server) == 0
    assert [f["url"] for f in denied.factchecks] == [FACTCHECK_URL]  # fact-check sites: listed, never fetched
    allowed = searxng(server, store, allow=["example.org"], refresh=True).search_detailed("Ridgeway dam", k=3)
    assert allowed.hits == [] and page_fetches(server) == 0
    opened = searxng(server, store, deny_factcheckers=False).search_detailed("Ridgeway dam", k=3)
    assert opened.factchecks == [] and any(e["url"] == FACTCHECK_URL for e in opened.page_errors)


def test_before_is_enforced_on_the_page_own_date(server, store) -> None:
    # the API says 1990; the page itself says 2024: the page's date decides
    server.page("late", html_page("Ridgeway dam report", "The Ridgeway dam opened in 1998, a 2024 review found.",
                                  published="2024-03-01"), title="Ridgeway dam report", published="1990-01-01")
    hits = searxng(server, store, pages=5).search("Ridgeway dam opened 1998", k=5, before="2000-01-01")
    by_url = {h.provenance["url"]: h for h in hits}
    late = by_url[server.url("/pages/late")]
    assert late.after_claim_date and late.provenance["published"] == "2024-03-01"
    assert not by_url[server.url("/pages/doc0")].after_claim_date
    assert [h.after_claim_date for h in hits] == sorted(h.after_claim_date for h in hits)


def test_brave_sends_the_key_from_the_named_variable_and_a_date_range(server, store, monkeypatch,
                                                                      tmp_path: Path) -> None:
    monkeypatch.setenv("MY_BRAVE_KEY", "test-key")
    source = make_brave(api_key_env="MY_BRAVE_KEY", base_url=server.url("/res/v1"), store=store,
                        allow_private=True)
    hits = source.search("Ridgeway dam opened", k=3, before="2023")
    assert hits and hits[0].provenance["source"] == "brave"
    req = server.api_requests()[-1]
    assert req.headers["x-subscription-token"] == "test-key"
    assert req.query["freshness"] == "1970-01-01to2023-12-31" and req.query["q"] == "Ridgeway dam opened"
    assert b"test-key" not in (tmp_path / "fd.db").read_bytes()  # the key is never stored
    monkeypatch.setenv("MY_BRAVE_KEY", "wrong")
    with pytest.raises(SourceError, match="refused the key"):
        make_brave(api_key_env="MY_BRAVE_KEY", base_url=server.url("/res/v1"), store=store).search("other query")


def test_brave_without_its_key_is_skipped_with_the_variable_named(server, store, monkeypatch) -> None:
    monkeypatch.delenv("BRAVE_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="BRAVE_API_KEY"):
        make_brave(base_url=server.url("/res/v1"), store=store).warm_up()
    report = pipeline(store, sources=("brave",)).check(ARTICLE)
    assert report["sources"]["used"][0]["disabled"] and "BRAVE_API_KEY" in report["sources"]["skipped"][0]["reason"]
    assert report["claims"] and server.requests == []


# -- hostile pages ---------------------------------------------------------------------------------------
def test_private_addresses_are_refused_unless_allowed(server, store) -> None:
    out = searxng(server, store, allow_private=False).search_detailed("Ridgeway dam", k=3)
    assert out.hits == [] and out.page_errors and all("unsafe_url" in e["reason"] for e in out.page_errors)
    assert page_fetches(server) == 0 and store.sources.snapshot_count() == 0
    report = pipeline(store, allow_private=False, sources=(f"searxng={server.base_url}",)).check(ARTICLE)
    assert report["sources"]["page_errors"] and not any(ev.get("provenance") for c in report["claims"]
                                                         for ev in c["evidence"])


def test_redirects_to_metadata_addresses_and_huge_pages_are_refused(server, store) -> None:
    server.pages.clear()
    server.page("hop", b"", title="Ridgeway dam moved", status=302,
                headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    server.page("huge", html_page("Ridgeway dam", "Ridgeway dam opened. " * 20000), title="Ridgeway dam huge")
    out = searxng(server, store, max_bytes=50_000).search_detailed("Ridgeway dam", k=3)
    reasons = {e["url"].rsplit("/", 1)[-1]: e["reason"] for e in out.page_errors}
    assert "unsafe_url" in reasons["hop"] and "169.254.169.254" in reasons["hop"]
    assert "fetch_failed" in reasons["huge"] and out.hits == []


def test_script_pages_and_bad_urls_end_up_inert(server, store) -> None:
    server.pages.clear()
    server.page("evil", "<html><head><title>&lt;img src=x onerror=alert(1)&gt;</title></head><body><article>"
                "<p>The Ridgeway dam opened in 1998.<script>document.write('pwned')</script></p>"
                "<p>&lt;script&gt;alert('x')&lt;/script&gt; The Ridgeway dam holds water.</p></article></body></html>",
                title="<img src=x onerror=alert(1)>", snippet="Ridgeway dam")
    server.extra_results.append({"url": "javascript:alert(1)", "title": "Ridgeway dam", "content": "x"})
    report = pipeline(store, sources=(f"searxng={server.base_url}",)).check(ARTICLE)
    evidence = [ev for c in report["claims"] for ev in c["evidence"] if ev.get("provenance")]
    assert evidence and all("pwned" not in ev["text"] for ev in evidence)
    html = render(report, "html")
    assert "<script>alert" not in html and "onerror=alert(1)>" not in html and "javascript:alert" not in html
    assert "&lt;script&gt;alert" in html
    md = render(report, "markdown")
    assert "<script>" not in md and "javascript:alert" not in md


# -- LLM questions ---------------------------------------------------------------------------------------
def test_llm_questions_are_searched_too(server, store) -> None:
    llm = FakeLLM({"questions": {"questions": ["How much will the Ridgeway dam repairs cost?"]}})
    pipe = Pipeline(store, Settings(allow_private=True, llm_stages="questions", sources=(f"searxng={server.base_url}",)),
                    verifier=FakeVerifier(), embedder=FakeEmbedder(), scorer=FakeScorer(), retriever=FakeRetriever(),
                    omitted_verifier=FakeVerifier(), llm=llm)
    report = pipe.check(ARTICLE, save=False)
    asked = [r.query["q"] for r in server.api_requests()]
    assert "How much will the Ridgeway dam repairs cost?" in asked
    assert report["sources"]["used"][0]["queries"] == 2 * len(report["claims"])


# -- factdesk sources add / list / test / remove ---------------------------------------------------------
def test_sources_commands(server, tmp_path: Path, monkeypatch) -> None:
    db = str(tmp_path / "cmd.db")
    runner = CliRunner()
    added = runner.invoke(cli, ["sources", "add", "searxng", server.base_url, "--option", "budget=5", "--db", db])
    assert added.exit_code == 0, added.output
    refused = runner.invoke(cli, ["sources", "add", "brave", "--option", "api_key=sk-secret", "--db", db])
    assert refused.exit_code != 0 and "api_key_env" in refused.output
    listed = json.loads(runner.invoke(cli, ["sources", "list", "--json", "--db", db]).stdout)
    assert listed["configured"] == [{"name": "searxng", "kind": "searxng", "from": "store",
                                     "options": {"budget": 5, "url": server.base_url}}]
    tested = runner.invoke(cli, ["sources", "test", "searxng", "Ridgeway dam", "--allow-private", "--db", db])
    assert tested.exit_code == 0 and "snapshot s" in tested.output, tested.output
    server.json_enabled = False
    broken = runner.invoke(cli, ["sources", "test", "searxng", "light rail", "--db", db])
    assert broken.exit_code == 4 and "search.formats" in broken.output
    server.json_enabled = True
    # an added source runs in every check without --source
    with Store.open(db) as store:
        report = pipeline(store).check(ARTICLE, save=False)
    assert report["sources"]["used"][0]["name"] == "searxng"
    assert runner.invoke(cli, ["sources", "remove", "searxng", "--db", db]).exit_code == 0
    assert runner.invoke(cli, ["sources", "remove", "searxng", "--db", db]).exit_code != 0
    with Store.open(db) as store:
        assert "sources" not in pipeline(store).check(ARTICLE, save=False)


def test_passages_are_ranked_for_the_claim_and_their_vectors_kept(server, store) -> None:
    hits = searxng(server, store, embedder=FakeEmbedder()).search("When did the Ridgeway dam open?", k=3)
    assert "Ridgeway dam opened in 1998" in hits[0].passage.text
    assert all("Ridgeway" in h.passage.text or "dam" in h.passage.text for h in hits)  # off-topic pages give nothing
    snap = store.sources.snapshot(hits[0].provenance["snapshot_id"])
    assert any(v is not None for v in snap.vectors)  # a reused snapshot needs only the query embedded


def test_a_check_asks_the_api_for_all_its_claims_concurrently(server, store) -> None:
    server.delay = 0.6
    source = searxng(server, store, rate=0, concurrency=3)
    queries = ["Ridgeway dam", "light rail Eastfield", "dam repairs"]
    started = time.perf_counter()
    assert source.prefetch(queries) == 3
    assert time.perf_counter() - started < 1.5  # one after another: at least 1.8 s
    outs = [source.search_detailed(q, k=1) for q in queries]
    assert len(server.api_requests()) == 3  # the searches asked nothing more
    assert [o.api_calls for o in outs] == [1, 1, 1] and not any(o.cached for o in outs)
    # a failure waits for its query's search: raised there once, never asked twice
    server.delay, server.api_mode, server.fail_times = 0, "junk", 99
    assert source.prefetch(["Ridgeway dam opened", "light rail vote"]) == 2
    with pytest.raises(SourceError, match="not JSON"):
        source.search("Ridgeway dam opened")
    assert len(server.api_requests()) == 5 and source.api_calls == 5


def test_sources_from_factdesk_toml_and_the_environment(server, store, tmp_path: Path, monkeypatch) -> None:
    from factdesk.settings import load_settings

    config = tmp_path / "factdesk.toml"
    config.write_text(f'allow_private = true\n[[sources]]\nname = "searxng"\nurl = "{server.base_url}"\n'
                      'budget = 1\ndeny = ["example.net"]\n', encoding="utf-8")
    monkeypatch.setenv("FACTDESK_CONFIG", str(config))
    settings = load_settings()
    pipe = Pipeline.from_settings(settings, store=store)
    [entry] = pipe.source_entries()
    source = pipe.create_source(entry)
    assert (source.url, source.budget, source.rules.deny, source.allow_private) == \
        (server.base_url, 1, ("example.net",), True)
    monkeypatch.setenv("FACTDESK_SOURCES", "nosuchkind=http://127.0.0.1:1")
    with pytest.raises(ConfigError, match="unknown source 'nosuchkind'"):
        Pipeline.from_settings(load_settings(), store=store)  # a typo fails before any work
    monkeypatch.setenv("FACTDESK_SOURCES", f"searxng={server.base_url}")
    assert [e.options for e in Pipeline.from_settings(load_settings(), store=store).source_entries()] == \
        [{"url": server.base_url}]


def test_a_source_option_cannot_turn_the_private_address_guard_off(server, store) -> None:
    pipe = pipeline(store, allow_private=False,
                    sources=({"name": "searxng", "url": server.base_url, "allow_private": True},))
    [entry] = pipe.source_entries()
    assert pipe.create_source(entry).allow_private is False


def test_hostile_provenance_and_source_fields_render_inert(server, store) -> None:
    report = pipeline(store, sources=(f"searxng={server.base_url}",)).check(ARTICLE, save=False)
    ev = next(ev for c in report["claims"] for ev in c["evidence"] if ev.get("provenance"))
    ev["provenance"].update(source="<b>evil</b>", url="javascript:alert(1)", snapshot_id="s<img src=x>",
                            query="[click](javascript:alert(2)) <script>")
    report["sources"]["skipped"].append({"source": "<i>x</i>", "claim_id": None, "code": "source_failed",
                                         "reason": "<script>alert(3)</script>"})
    html = render(report, "html")
    assert "<b>evil</b>" not in html and 'href="javascript' not in html and "<img src=x>" not in html
    assert "<script>alert(3)" not in html and "&lt;b&gt;evil&lt;/b&gt;" in html
    md = render(report, "markdown")
    assert "<b>evil" not in md and "[click](javascript" not in md and "<script>" not in md


def test_a_slow_result_page_times_out_and_the_others_are_used(server, store) -> None:
    server.page("stall", html_page("Ridgeway dam stalls", "The Ridgeway dam opened in 1998."), title="Ridgeway dam",
                delay=3.0)
    started = time.perf_counter()
    out = searxng(server, store, fetch_timeout=0.5, pages=5).search_detailed("Ridgeway dam opened", k=5)
    assert time.perf_counter() - started < 2.5
    assert [e["url"] for e in out.page_errors] == [server.url("/pages/stall")]
    assert "timed out" in out.page_errors[0]["reason"] and out.hits


def test_the_web_desk_shows_where_web_evidence_came_from(server, tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from factdesk.web.app import create_app

    db = tmp_path / "desk.db"
    with Store.open(db) as store:
        report = pipeline(store, sources=(f"searxng={server.base_url}",)).check(ARTICLE)
    snap = next(ev["provenance"]["snapshot_id"] for c in report["claims"] for ev in c["evidence"]
                if ev.get("provenance"))
    with TestClient(create_app(db, require_login=False, start_worker=False, warm_up=False)) as client:
        page = client.get(f"/checks/{report['id']}", headers={"accept": "text/html"})
    assert page.status_code == 200, page.text
    assert f"snapshot {snap}" in page.text and f'href="{server.base_url}/pages/' in page.text


def test_a_source_with_an_unknown_option_is_skipped_not_the_check(server, store) -> None:
    report = pipeline(store, sources=({"name": "searxng", "url": server.base_url, "nonsense": 1},)).check(ARTICLE)
    assert report["claims"] and "nonsense" in report["sources"]["used"][0]["disabled"]
    assert server.requests == []
