"""ClaimReview export a publisher can post: the review's own page as ``url``, the publisher as ``author``,
the reviewed claim with its author, date and appearance, checked against claimreview-schema.json."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from test_report import build_report

from factdesk.cli import cli
from factdesk.errors import ConfigError, InputError
from factdesk.report import (
    load_claimreview_schema,
    render,
    render_claimreview,
    render_html,
    report_to_dict,
    validate_claimreview,
)
from factdesk.store import Store

ARTICLE_URL = "https://news.example.org/dam?x=1&y=2"
HOSTILE = "</script><script>alert(1)</script>"
PUBLISHING_VARS = ("FACTDESK_PUBLISHER", "FACTDESK_PUBLISHER_URL", "FACTDESK_REVIEW_URL_TEMPLATE")


@pytest.fixture(autouse=True)
def _no_publishing_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in PUBLISHING_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)  # no factdesk.toml from the working directory


@pytest.fixture
def d() -> dict[str, Any]:
    return report_to_dict(build_report())


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = load_claimreview_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def assert_publishable(items: list[dict[str, Any]], d: dict[str, Any],
                       validator: jsonschema.Draft202012Validator) -> None:
    """Every item passes the schema and the cross-field checks, and points at a fact-check page."""
    assert items
    article_url = (d.get("article") or {}).get("url")
    for item in items:
        errors = sorted(validator.iter_errors(item), key=lambda e: list(e.absolute_path))
        assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
        validate_claimreview(item)
        assert item["url"].startswith(("http://", "https://")) and not item["url"].startswith("urn:")
        if article_url:
            assert not item["url"].startswith(article_url.split("#")[0])
        assert item["author"]["name"] and item["author"]["url"].startswith(("http://", "https://"))


# --- the schema itself ---------------------------------------------------------------


def test_schema_is_draft_2020_12_and_rejects_what_google_requires(validator, d):
    good = render_claimreview(d, publisher="Desk", publisher_url="https://desk.example")[0]
    assert not list(validator.iter_errors(good))
    for key in ("claimReviewed", "reviewRating", "url", "author"):
        bad = {k: v for k, v in good.items() if k != key}
        assert list(validator.iter_errors(bad)), key
    broken: list[dict[str, Any]] = []
    for path, value in [(("url",), "urn:factdesk:report:r1:claim:c1"),
                        (("url",), "javascript:alert(1)"),
                        (("author", "name"), ""),
                        (("author", "url"), "desk.example"),
                        (("reviewRating", "alternateName"), " "),
                        (("itemReviewed", "appearance", 0, "url"), "file:///etc/passwd"),
                        (("itemReviewed", "@type"), "CreativeWork"),
                        (("datePublished",), "March 2024")]:
        item = copy.deepcopy(good)
        target: Any = item
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        broken.append(item)
    no_best = copy.deepcopy(good)
    del no_best["reviewRating"]["bestRating"]
    broken.append(no_best)
    for item in broken:
        assert list(validator.iter_errors(item)), item
    # what JSON Schema cannot compare, validate_claimreview does
    for worst, best, value in [(5, 1, 3), (1, 5, 6), (2, 5, 1)]:
        item = copy.deepcopy(good)
        item["reviewRating"].update(worstRating=worst, bestRating=best, ratingValue=value)
        assert not list(validator.iter_errors(item))
        with pytest.raises(InputError, match="reviewRating"):
            validate_claimreview(item)


# --- the three kinds of report -----------------------------------------------------------


def test_article_with_a_url(validator, d):
    items = render_claimreview(d, publisher="Desk <Org>", publisher_url="https://desk.example/news/")
    assert_publishable(items, d, validator)
    assert len(items) == 4
    for item, claim in zip(items, d["claims"]):
        assert item["url"] == f"https://desk.example/news/factchecks/{d['id']}#claim-{claim['id']}"
        assert item["author"] == {"@type": "Organization", "name": "Desk <Org>", "url": "https://desk.example/news/"}
        claim_ = item["itemReviewed"]
        assert claim_["@type"] == "Claim" and claim_["datePublished"] == "2024-03-01"
        work = {"@type": "CreativeWork", "url": ARTICLE_URL, "headline": d["article"]["title"],
                "datePublished": "2024-03-01", "author": {"@type": "Person", "name": "Sam <i>Writer</i>"}}
        assert claim_["appearance"] == [work] and claim_["firstAppearance"] == work
    # who made each claim: the article's author for its own, the speaker for quoted ones
    assert items[0]["itemReviewed"]["author"] == {"@type": "Person", "name": "Sam <i>Writer</i>"}
    assert items[1]["itemReviewed"]["author"] == {"@type": "Person", "name": "Jane Doe"}


def test_article_from_a_file_has_no_url_but_is_still_publishable(validator, d):
    d["article"]["url"] = None
    items = render_claimreview(d, publisher="Desk", publisher_url="https://desk.example")
    assert_publishable(items, d, validator)
    assert items[0]["url"] == f"https://desk.example/factchecks/{d['id']}#claim-{d['claims'][0]['id']}"
    work = items[0]["itemReviewed"]["appearance"][0]
    assert "url" not in work and work["headline"] == d["article"]["title"]


def test_report_without_author_date_or_title(validator, d):
    d["article"].update(url=None, author=None, source=None, published=None, title=None)
    for claim in d["claims"]:
        claim["attributed_to"] = None
    del d["created"]
    items = render_claimreview(d)
    assert_publishable(items, d, validator)
    for item in items:
        claim_ = item["itemReviewed"]
        assert claim_ == {"@type": "Claim"}  # nothing known is not invented
        assert len(item["datePublished"]) == 10  # today, as the review's date


def test_local_default_is_the_web_desk_page_of_the_report(validator, d):
    items = render_claimreview(d)
    assert_publishable(items, d, validator)
    for item, claim in zip(items, d["claims"]):
        assert item["url"] == f"http://127.0.0.1:8000/checks/{d['id']}#claim-{claim['id']}"
        assert item["author"] == {"@type": "Organization", "name": "factdesk", "url": "http://127.0.0.1:8000/"}
    moved = render_claimreview(d, desk_url="http://desk.lan:9000/factdesk/")
    assert moved[0]["url"] == f"http://desk.lan:9000/factdesk/checks/{d['id']}#claim-{d['claims'][0]['id']}"


# --- the review URL template ------------------------------------------------------------


def test_review_url_template(validator, d):
    d["claims"][0]["id"] = "c 1/#x"
    items = render_claimreview(d, publisher="Desk",
                               review_url="https://fc.example.org/checks/{report_id}/{claim_id}.html")
    assert_publishable(items, d, validator)
    assert items[0]["url"] == f"https://fc.example.org/checks/{d['id']}/c%201%2F%23x.html"
    # the template's site stands in for the publisher's home page when none is given ...
    assert items[0]["author"]["url"] == "https://fc.example.org/"
    # ... and the template wins over the publisher URL for the review's page
    both = render_claimreview(d, publisher_url="https://desk.example",
                              review_url="https://fc.example.org/{report_id}#claim-{claim_id}")
    assert both[1]["url"] == f"https://fc.example.org/{d['id']}#claim-{d['claims'][1]['id']}"
    assert both[1]["author"]["url"] == "https://desk.example"
    # a fixed URL is allowed, for one report published by hand
    fixed = render_claimreview(d, review_url="https://fc.example.org/2024/dam-fact-check")
    assert {i["url"] for i in fixed} == {"https://fc.example.org/2024/dam-fact-check"}
    assert_publishable(fixed, d, validator)


@pytest.mark.parametrize("template, problem", [
    ("{report_id}#claim-{claim_id}", "does not give an absolute http(s) URL"),
    ("urn:factdesk:report:{report_id}", "does not give an absolute http(s) URL"),
    ("ftp://fc.example.org/{report_id}", "does not give an absolute http(s) URL"),
    ("javascript:alert(1)//{report_id}", "does not give an absolute http(s) URL"),
    ("https:///{report_id}", "does not give an absolute http(s) URL"),
    ("https://fc.example.org/{id}", "unknown placeholder {id}"),
    ("https://fc.example.org/{report_id!r}", "unknown placeholder {report_id!r}"),
    ("https://fc.example.org/{claim_id:>9}", "unknown placeholder {claim_id:>9}"),
    ("https://fc.example.org/{0}", "unknown placeholder {0}"),
    ("https://fc.example.org/{report_id", "unbalanced braces"),
])
def test_bad_review_url_template(d, template, problem):
    with pytest.raises(ConfigError) as info:
        render_claimreview(d, review_url=template)
    assert problem in str(info.value) and "review URL template" in str(info.value)
    assert info.value.hint and "{report_id}" in info.value.hint


def test_bad_publisher_url(d):
    for url in ("desk.example", "javascript:alert(1)", "ftp://desk.example/"):
        with pytest.raises(ConfigError, match="publisher URL"):
            render_claimreview(d, publisher_url=url)
    # empty strings (an empty FACTDESK_PUBLISHER_URL) mean "not set"
    assert render_claimreview(d, publisher="", publisher_url="", review_url="") == render_claimreview(d)


# --- safe inside an HTML script element --------------------------------------------------


def test_hostile_text_is_escaped_in_the_json_ld_text(validator, d):
    d["claims"][0]["standalone"] = "The dam " + HOSTILE + " opened & closed"
    d["claims"][0]["verdict"]["explanation"] = "See " + HOSTILE
    d["claims"][0]["evidence"][0]["url"] = "https://registry.example.gov/a?<script>=1&b=2"
    d["claims"][0]["matches"] = [{"claim": HOSTILE, "url": "https://fc.example/x", "publisher": HOSTILE,
                                  "rating": HOSTILE, "date": "2024-01-01"}]
    d["article"]["title"] = HOSTILE
    d["claims"][1]["attributed_to"] = HOSTILE
    text = render(d, "claimreview", publisher=HOSTILE, publisher_url="https://desk.example")
    assert not set(text) & set("<>&\u2028\u2029")
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in text
    assert "opened \\u0026 closed" in text
    items = json.loads(text)  # the escapes are plain JSON: the same strings come back
    assert items == render_claimreview(d, publisher=HOSTILE, publisher_url="https://desk.example")
    assert items[0]["claimReviewed"] == "The dam " + HOSTILE + " opened & closed"
    assert_publishable(items, d, validator)
    # the HTML report carries no JSON-LD today; if it ever embeds it, it must be the escaped text
    page = render_html(d)
    if "application/ld+json" in page:
        assert HOSTILE not in page and "\\u003c/script\\u003e" in page


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def stored(tmp_path: Path, d: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    db = tmp_path / "fd.db"
    with Store.open(db) as store:
        store.save_report(d)
    return db, d


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_show_with_publisher(validator, stored):
    db, d = stored
    result = invoke("show", d["id"], "--db", str(db), "--format", "claimreview",
                    "--publisher", "Example Fact Desk", "--publisher-url", "https://factcheck.example.org/")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert_publishable(items, d, validator)
    assert items[0]["url"] == f"https://factcheck.example.org/factchecks/{d['id']}#claim-{d['claims'][0]['id']}"
    assert items[0]["author"] == {"@type": "Organization", "name": "Example Fact Desk",
                                  "url": "https://factcheck.example.org/"}


def test_cli_show_with_template_settings_and_flags(validator, stored, tmp_path, monkeypatch):
    db, d = stored
    (tmp_path / "factdesk.toml").write_text('publisher = "Toml Desk"\n'
                                            'review_url_template = "https://toml.example/{report_id}"\n')
    monkeypatch.setenv("FACTDESK_PUBLISHER_URL", "https://env.example/")
    result = invoke("show", d["id"][:8], "--db", str(db), "--format", "claimreview")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert_publishable(items, d, validator)
    assert items[0]["url"] == f"https://toml.example/{d['id']}"
    assert items[0]["author"] == {"@type": "Organization", "name": "Toml Desk", "url": "https://env.example/"}
    flagged = invoke("show", d["id"], "--db", str(db), "--format", "claimreview",
                     "--review-url", "https://flag.example/fc/{report_id}#claim-{claim_id}")
    items = json.loads(flagged.stdout)
    assert_publishable(items, d, validator)
    assert items[0]["url"] == f"https://flag.example/fc/{d['id']}#claim-{d['claims'][0]['id']}"


def test_cli_bad_template_is_a_clear_error(stored):
    db, d = stored
    result = invoke("show", d["id"], "--db", str(db), "--format", "claimreview", "--review-url", "fc/{report_id}")
    assert result.exit_code == ConfigError.exit_code
    assert result.stdout == ""
    assert result.stderr.startswith("error: the review URL template 'fc/{report_id}' does not give an absolute "
                                    "http(s) URL")
    assert "https://example.org/fact-checks/{report_id}#claim-{claim_id}" in result.stderr
    assert "Traceback" not in result.stderr
    bad_home = invoke("show", d["id"], "--db", str(db), "--format", "claimreview", "--publisher-url", "example.org")
    assert bad_home.exit_code == ConfigError.exit_code and "publisher URL" in bad_home.stderr
    # other formats do not use the options
    assert invoke("show", d["id"], "--db", str(db), "--review-url", "fc/{report_id}").exit_code == 0
    # check refuses before reading the article or running any model
    early = invoke("check", str(Path("no-such-article.txt")), "--db", str(db), "--format", "claimreview",
                   "--review-url", "https://fc.example/{nope}")
    assert early.exit_code == ConfigError.exit_code and "unknown placeholder {nope}" in early.stderr


# --- the web desk ----------------------------------------------------------------------------


def _desk(db: Path, **kwargs: Any) -> Any:
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from factdesk.web.app import create_app

    return TestClient(create_app(db, require_login=False, start_worker=False, warm_up=False, **kwargs))


def test_web_export_uses_the_settings_and_its_own_address(validator, stored):
    from factdesk.settings import Settings

    db, d = stored
    with _desk(db) as c:
        items = c.get(f"/checks/{d['id']}/export.claimreview.json").json()
        assert_publishable(items, d, validator)
        first = f"http://testserver/checks/{d['id']}#claim-{d['claims'][0]['id']}"
        assert items[0]["url"] == first and items[0]["author"]["url"] == "http://testserver/"
        # that URL is the desk's real page for the review, with the claim's anchor
        page = c.get(first.split("#")[0].removeprefix("http://testserver"), headers={"accept": "text/html"})
        assert page.status_code == 200 and f'id="claim-{d["claims"][0]["id"]}"' in page.text
        assert c.get(f"/api/checks/{d['id']}/export/claimreview").json() == items
    settings = Settings(publisher="Desk", review_url_template="https://fc.example.org/{report_id}#claim-{claim_id}")
    with _desk(db, settings=settings) as c:
        items = c.get(f"/checks/{d['id']}/export.claimreview.json").json()
        assert_publishable(items, d, validator)
        assert items[0]["url"] == f"https://fc.example.org/{d['id']}#claim-{d['claims'][0]['id']}"
        assert items[0]["author"] == {"@type": "Organization", "name": "Desk", "url": "https://fc.example.org/"}
    # the create_app arguments still work and override the settings
    with _desk(db, settings=Settings(publisher="Desk"), publisher="Other",
               publisher_url="https://other.example") as c:
        items = c.get(f"/checks/{d['id']}/export.claimreview.json").json()
        assert items[0]["author"] == {"@type": "Organization", "name": "Other", "url": "https://other.example"}
        assert items[0]["url"].startswith(f"https://other.example/factchecks/{d['id']}#claim-")


def test_web_desk_refuses_a_bad_template_at_start(stored):
    from factdesk.settings import Settings

    db, _ = stored
    with pytest.raises(ConfigError, match="review URL template"):
        _desk(db, settings=Settings(review_url_template="/checks/{report_id}"))
