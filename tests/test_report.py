"""factdesk.report: the JSON contract, its schema and the four renderings."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from factdesk.errors import ConfigError, InputError
from factdesk.report import (
    FORMATS,
    claims_to_dict,
    load_schema,
    render,
    render_claimreview,
    render_html,
    render_markdown,
    report_to_dict,
    validate_report,
)
from factdesk.report.html import highlight_spans
from factdesk.report.markdown import escape as md_escape
from factdesk.types import (
    CheckedClaim,
    Claim,
    ClaimKind,
    ClaimSet,
    Document,
    Evidence,
    Label,
    Passage,
    Report,
    Stance,
    TimelineEvent,
    Verdict,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "report"

HOSTILE_IMG = '"><img src=x onerror=alert(1)>'

ARTICLE_TEXT = (
    "# Breaking <script>alert('x')</script> news\n\n"
    "The Ridgeway dam opened in 1998 and cost $40 million. "
    "Mayor Jane Doe said the reservoir supplies 80% of the city's water. "
    "Claim: the dam caused the 2019 floods. "
    "Fact: the 2019 floods came from the river upstream of the dam. "
    "Officials say | the spillway `was` rebuilt in 2021 " + HOSTILE_IMG + ".\n"
)


def _span(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return start, start + len(needle)


def _claim(needle: str, **kw) -> Claim:
    start, end = _span(ARTICLE_TEXT, needle)
    return Claim(text=ARTICLE_TEXT[start:end], start=start, end=end, **kw)


def _passage(doc: str, text: str, *, url: str | None, title: str | None, published: str | None) -> Passage:
    return Passage(document_id=doc, text=text, start=0, end=len(text), title=title, url=url, published=published)


def build_report() -> Report:
    """A realistic report: every claim kind and label, hostile strings throughout."""
    article = Document(
        text=ARTICLE_TEXT,
        title="Dam <b>facts</b> " + HOSTILE_IMG,
        author="Sam <i>Writer</i>",
        published="2024-03-01",
        url="https://news.example.org/dam?x=1&y=2",
        source="Example News",
        kind="html",
    )
    c1 = _claim(
        "The Ridgeway dam opened in 1998 and cost $40 million.",
        checkworthiness=0.91234567,
        dates=["1998"],
        standalone="The Ridgeway dam opened in 1998 and cost $40 million.",
    )
    c2 = _claim(
        "Mayor Jane Doe said the reservoir supplies 80% of the city's water.",
        checkworthiness=0.8,
        kind=ClaimKind.QUOTED,
        attributed_to="Jane Doe",
        standalone="The Ridgeway reservoir supplies 80% of the city's water.",
    )
    c3 = _claim(
        "the dam caused the 2019 floods.",
        checkworthiness=0.7,
        kind=ClaimKind.REBUTTED,
        attributed_to="Jane Doe",
        dates=["2019"],
        standalone="The Ridgeway dam caused the 2019 floods.",
    )
    c4 = _claim(
        "the 2019 floods came from the river upstream of the dam.",
        checkworthiness=0.66,
        kind=ClaimKind.REBUTTAL,
        responds_to=c3.id,
        dates=["2019"],
        standalone="The 2019 floods came from the river upstream of the Ridgeway dam.",
    )
    c5 = _claim(
        "the spillway `was` rebuilt in 2021 " + HOSTILE_IMG,
        checkworthiness=0.5,
        kind=ClaimKind.QUOTED,
        attributed_to="Officials <script>x</script>",
        dates=["2021-06", "not a date"],
        checked_as="The spillway was rebuilt in 2021 " + HOSTILE_IMG,
    )
    p1 = _passage(
        "d-registry",
        "The Ridgeway dam was completed and opened to the public in 1998.",
        url="https://registry.example.gov/dams/ridgeway",
        title="National dam registry",
        published="2020-01-15",
    )
    p2 = _passage(
        "d-evil",
        "Totally legit <script>alert(1)</script> onerror=alert(2) " + HOSTILE_IMG,
        url="javascript:alert(document.cookie)",
        title="Evil <script>doc</script>",
        published="2023-07-04",
    )
    p3 = _passage(
        "d-water",
        "Only about a third of the city's water comes from the Ridgeway reservoir.",
        url="https://water.example.org/report-2023",
        title=None,
        published="2023-05-02",
    )
    p4 = _passage(
        "d-floods",
        "Hydrologists traced the 2019 floods to heavy rain upstream; the dam held.",
        url="https://science.example.edu/floods",
        title="Flood study",
        published="2020-02-10",
    )
    p5 = _passage("d-nourl", "Some say the dam made it worse.", url=None, title=None, published=None)
    checked = [
        CheckedClaim(
            c1,
            [Evidence(p1, score=0.033123456, stance=Stance.SUPPORTS, stance_probability=0.93456789)],
            Verdict(Label.SUPPORTED, 0.87654321, "The registry confirms the 1998 opening.", [p1.id]),
        ),
        CheckedClaim(
            c2,
            [
                Evidence(p3, score=0.02, stance=Stance.REFUTES, stance_probability=0.8, after_claim_date=True),
                Evidence(p2, score=0.01, stance=Stance.NEUTRAL, stance_probability=0.4, irrelevant=True,
                         key_sentence="Totally legit <script>alert(1)</script> onerror=alert(2)"),
            ],
            Verdict(Label.REFUTED, 0.7, "A 2023 water report puts it at <b>a third</b>.", [p3.id]),
        ),
        CheckedClaim(
            c3,
            [
                Evidence(p4, score=0.03, stance=Stance.REFUTES, stance_probability=0.75),
                Evidence(p5, score=0.02, stance=Stance.SUPPORTS, stance_probability=0.6),
            ],
            Verdict(Label.CONFLICTING, 0.5, "Sources disagree " + HOSTILE_IMG, [p4.id, p5.id]),
        ),
        CheckedClaim(
            c4,
            [Evidence(p4, score=0.03, stance=Stance.SUPPORTS, stance_probability=0.7)],
            Verdict(Label.NOT_ENOUGH_EVIDENCE, 0.3, "Only one study; not enough to decide.", []),
        ),
        CheckedClaim(c5, [], None),
    ]
    timeline = [
        TimelineEvent("1998", "The Ridgeway dam opens.", c1.id),
        TimelineEvent("2019", "Floods <script>alert(1)</script> | hit the city.", c3.id),
        TimelineEvent("2021-06", "Spillway rebuilt.", c5.id),
        TimelineEvent("someday", "Unplaceable event.", None),
    ]
    return Report(
        article=article,
        claims=checked,
        timeline=timeline,
        created="2024-03-02T10:00:00+00:00",
        verifier="baseline.v1",
    )


@pytest.fixture
def report() -> Report:
    return build_report()


@pytest.fixture
def d(report: Report) -> dict:
    return report_to_dict(report)


@pytest.fixture
def validator() -> jsonschema.Draft202012Validator:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# --- JSON contract and schema -------------------------------------------------


def test_schema_copies_are_identical():
    docs = (ROOT / "docs" / "report-schema.json").read_bytes()
    pkg = (ROOT / "src" / "factdesk" / "report" / "report-schema.json").read_bytes()
    assert docs == pkg
    assert json.loads(docs) == load_schema()
    assert load_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_report_to_dict_validates(d, validator):
    errors = list(validator.iter_errors(d))
    assert not errors, [e.message for e in errors]
    validate_report(d)
    json.dumps(d, allow_nan=False)  # strictly serialisable


def test_report_to_dict_contract(d, report):
    assert d["id"] == report.id
    assert d["verifier"] == "baseline.v1"
    assert d["factdesk_version"]
    a = d["article"]
    assert a["published"] == "2024-03-01" and a["url"].startswith("https://")
    assert a["text"] == ARTICLE_TEXT
    c1, c2, c3, c4, c5 = d["claims"]
    assert c1["checkworthiness"] == 0.9123
    assert c1["verdict"] == {
        "label": "supported",
        "confidence": 0.8765,
        "explanation": "The registry confirms the 1998 opening.",
        "evidence_ids": [report.claims[0].evidence[0].passage.id],
    }
    ev = c1["evidence"][0]
    assert ev["document"] == "National dam registry" and ev["document_id"] == "d-registry"
    assert ev["score"] == 0.0331 and ev["stance_probability"] == 0.9346 and ev["stance"] == "supports"
    assert ev["after_claim_date"] is False and ev["irrelevant"] is False
    # document falls back to the url, then to the document id
    assert c2["evidence"][0]["document"] == "https://water.example.org/report-2023"
    assert c2["evidence"][0]["after_claim_date"] is True
    assert c2["evidence"][1]["irrelevant"] is True
    assert c3["evidence"][1]["document"] == "d-nourl" and c3["evidence"][1]["url"] is None
    assert [c["kind"] for c in d["claims"]] == ["assertion", "quoted", "rebutted", "rebuttal", "quoted"]
    assert c2["attributed_to"] == "Jane Doe" and c1["attributed_to"] is None
    assert c4["responds_to"] == c3["id"] and c1["responds_to"] is None
    assert c5["dates"] == ["2021-06"]  # the unreadable date is dropped
    assert c5["verdict"] is None and c5["evidence"] == []
    assert d["summary"] == {
        "claims": 5,
        "supported": 1,
        "refuted": 1,
        "not_enough_evidence": 1,
        "conflicting": 1,
        "unchecked": 1,
        "left_out": 0,
    }
    assert [e["date"] for e in d["timeline"]] == ["1998", "2019", "2021-06"]
    assert d["timeline"][0]["claim_id"] == c1["id"]
    for c in d["claims"]:
        assert ARTICLE_TEXT[c["start"] : c["end"]] == c["text"]


def test_report_to_dict_normalises_numbers_and_dates(report, validator):
    report.article.published = "2024-03-01T08:30:00Z"
    report.claims[0].verdict.confidence = 1.7
    report.claims[0].evidence[0].score = float("nan")
    report.claims[0].evidence[0].passage.published = "sometime"
    d = report_to_dict(report)
    assert d["article"]["published"] == "2024-03-01"
    assert d["claims"][0]["verdict"]["confidence"] == 1.0
    assert d["claims"][0]["evidence"][0]["score"] == 0.0
    assert d["claims"][0]["evidence"][0]["published"] is None
    assert not list(validator.iter_errors(d))
    json.dumps(d, allow_nan=False)


def test_claims_to_dict_validates(report, validator):
    claim_set = ClaimSet(claims=[cc.claim for cc in report.claims], timeline=report.timeline, sentences=6)
    d = claims_to_dict(report.article, claim_set, created="2024-03-02T10:00:00+00:00")
    assert not [e.message for e in validator.iter_errors(d)]
    assert all(c["evidence"] == [] and c["verdict"] is None for c in d["claims"])
    assert d["summary"]["unchecked"] == 5 and d["summary"]["claims"] == 5
    assert d["verifier"] == ""
    # reproducible with a fixed time, and a fresh time otherwise
    assert d == claims_to_dict(report.article, claim_set, created="2024-03-02T10:00:00+00:00")
    assert claims_to_dict(report.article, claim_set)["created"]
    for fmt in FORMATS:
        assert render(d, fmt)
    assert json.loads(render(d, "claimreview")) == []


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("summary"),
        lambda d: d["article"].pop("title"),
        lambda d: d["claims"][0].pop("kind"),
        lambda d: d["claims"][0]["evidence"][0].pop("stance"),
        lambda d: d["claims"][0]["verdict"].pop("label"),
        lambda d: d["claims"][0].__setitem__("kind", "opinion"),
        lambda d: d["claims"][0]["verdict"].__setitem__("label", "true"),
        lambda d: d["claims"][0]["evidence"][0].__setitem__("stance", "agrees"),
        lambda d: d["claims"][0]["verdict"].__setitem__("confidence", 1.5),
        lambda d: d["claims"][0].__setitem__("start", "12"),
        lambda d: d["claims"][0]["evidence"][0].__setitem__("after_claim_date", "yes"),
        lambda d: d["article"].__setitem__("published", "March 2024"),
        lambda d: d["claims"][0].__setitem__("dates", ["the nineties"]),
        lambda d: d["timeline"][0].pop("claim_id"),
        lambda d: d["summary"].__setitem__("refuted", -1),
    ],
)
def test_schema_rejects_bad_reports(d, validator, mutate):
    mutate(d)
    assert list(validator.iter_errors(d))
    with pytest.raises(InputError):
        validate_report(d)


def test_schema_allows_nulls_and_extra_fields(d, validator):
    d["article"].update(title=None, author=None, published=None, url=None, source=None)
    d["claims"][0]["verdict"] = None
    d["claims"][0]["attributed_to"] = None
    d["claims"][0]["evidence"][0]["url"] = None
    d["extra"] = {"anything": True}
    d["claims"][0]["reviewer_note"] = "ok"
    assert not list(validator.iter_errors(d))


# --- Markdown -------------------------------------------------------------------


def test_markdown_lists_every_claim_and_label(d):
    md = render_markdown(d)
    assert md == render(d, "markdown")
    assert md.startswith("# Fact-check: ")
    for label in ("SUPPORTED (88%)", "REFUTED (70%)", "CONFLICTING (50%)", "NOT ENOUGH EVIDENCE (30%)", "UNCHECKED"):
        assert label in md
    for i in range(1, 6):
        assert f"### {i}. " in md
    assert "The Ridgeway dam opened in 1998 and cost $40 million." in md
    assert "Standalone: The Ridgeway reservoir supplies 80% of the city's water." in md
    assert "**5 claims**: 1 supported · 1 refuted · 1 conflicting · 1 not enough evidence · 1 unchecked" in md
    assert "*quoted — attributed to Jane Doe*" in md
    assert "*rebutted — attributed to Jane Doe*" in md
    assert "*rebuttal of claim 3*" in md
    assert "⚠ published after the claim" in md
    assert "<https://registry.example.gov/dams/ridgeway>" in md
    assert "The registry confirms the 1998 opening." in md
    assert "## Timeline" in md and "| 1998 | The Ridgeway dam opens. | 1 |" in md
    assert "by Sam &lt;i>Writer&lt;/i>" in md


def test_markdown_escapes_untrusted_text(d):
    md = render_markdown(d)
    assert "<script" not in md.lower()
    assert "<img" not in md.lower() and "<b>" not in md
    # the javascript: url is shown as text, never as an autolink
    assert "<javascript:" not in md and "](javascript:" not in md
    # backticks and pipes from the article cannot open code spans or table cells
    assert "\\`was\\`" in md
    assert "Floods &lt;script>alert(1)&lt;/script> \\| hit the city." in md
    # every table row still has exactly four unescaped pipes
    for line in md.splitlines():
        if line.startswith("| ") and "---" not in line:
            assert line.replace("\\|", "").count("|") == 4, line


def test_markdown_escape_helper():
    assert md_escape("# not a heading") == "\\# not a heading"
    assert md_escape("1. not a list") == "1\\. not a list"
    assert md_escape("- nor this") == "\\- nor this"
    assert md_escape("> nor a quote") == "\\> nor a quote"
    assert md_escape("a\nb\n# c") == "a b # c"
    assert md_escape("[x](javascript:y)") == "\\[x\\](javascript:y)"
    assert md_escape("<img src=x>") == "&lt;img src=x>"
    assert md_escape("&lt;b&gt;") == "&amp;lt;b&amp;gt;"
    assert md_escape("AT&T") == "AT&T"
    assert md_escape(None) == ""


# --- HTML -----------------------------------------------------------------------


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[tuple[str, dict]] = []
        self.marks: list[tuple[str, str]] = []  # (href, text)
        self._mark: list[str] | None = None
        self._mark_href = ""
        self.meta: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "meta":
            self.meta.append(a)
        if tag == "mark":
            self._mark = []
        if tag == "a" and self._mark is not None:
            self._mark_href = a.get("href") or ""

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "a" and self._mark is not None:
            self.marks.append((self._mark_href, "".join(self._mark)))
            self._mark = None

    def handle_data(self, data):
        if self._mark is not None:
            self._mark.append(data)


def _parse(page: str) -> _Collector:
    p = _Collector()
    p.feed(page)
    p.close()
    return p


def test_html_is_safe(d):
    page = render_html(d)
    assert page == render(d, "html")
    low = page.lower()
    assert "<script" not in low
    assert "<img" not in low and "<b>" not in low and "<i>" not in low
    assert "javascript:" not in low.replace("javascript:alert(document.cookie)", "")  # only as escaped text
    parsed = _parse(page)
    tags = {t for t, _ in parsed.tags}
    assert "script" not in tags and "img" not in tags and "iframe" not in tags and "link" not in tags
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            assert not name.lower().startswith("on"), (tag, name)
            if name in ("href", "src", "action", "formaction"):
                v = (value or "").strip().lower()
                assert not v.startswith("javascript:"), (tag, value)
                assert v.startswith(("https://", "http://", "#")), (tag, value)
    # the hostile url still appears, escaped, as text
    assert "javascript:alert(document.cookie)" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def test_html_is_self_contained_with_csp(d):
    page = render_html(d)
    parsed = _parse(page)
    csp = [m for m in parsed.meta if (m.get("http-equiv") or "").lower() == "content-security-policy"]
    assert csp and csp[0]["content"] == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert "<style>" in page
    assert "@import" not in page and "url(" not in page and "fonts.googleapis" not in page
    hrefs = [a.get("href") for t, a in parsed.tags if t == "a"]
    external = [h for h in hrefs if h and not h.startswith("#")]
    assert set(external) <= {
        "https://news.example.org/dam?x=1&y=2",
        "https://registry.example.gov/dams/ridgeway",
        "https://water.example.org/report-2023",
        "https://science.example.edu/floods",
    }
    assert "https://registry.example.gov/dams/ridgeway" in external


def test_html_highlights_claims_in_place(d):
    page = render_html(d)
    parsed = _parse(page)
    ids = {a.get("id") for _, a in parsed.tags if a.get("id")}
    assert len(parsed.marks) == 5
    for claim, (href, shown) in zip(d["claims"], parsed.marks):
        assert shown == ARTICLE_TEXT[claim["start"] : claim["end"]]
        assert href == f"#claim-{claim['id']}"
        assert f"claim-{claim['id']}" in ids  # the card the highlight links to
    # the text between highlights is intact: unescaping the article block gives back the text
    import html as _html
    import re

    block = page.split('<div class="article-text">', 1)[1].split("</div>", 1)[0]
    plain = _html.unescape(re.sub(r"<[^<>]*>", "", re.sub(r"<sup>\d+</sup>", "", block)))
    assert plain == ARTICLE_TEXT
    # verdict classes on the highlights
    assert 'class="hl l-supported"' in page and 'class="hl l-unchecked"' in page


def test_html_cards_show_verdict_confidence_and_evidence(d):
    page = render_html(d)
    assert page.count('<article class="card') == 5
    assert 'style="width:87.' in page  # confidence 0.8765
    assert "after claim date" in page
    assert "marked irrelevant" in page
    assert "rebuttal of claim 3" in page
    assert "Timeline" in page and "The Ridgeway dam opens." in page
    assert "Dam &lt;b&gt;facts&lt;/b&gt;" in page  # title escaped


def test_highlight_spans_clip_and_skip():
    claims = [
        {"start": -5, "end": 3},  # clipped to 0..3
        {"start": 2, "end": 6},  # overlaps the first: skipped
        {"start": 8, "end": 500},  # clipped to the end
        {"start": 9, "end": 4},  # inverted: skipped
        {"start": "x", "end": None},  # unreadable: skipped
        {"start": 50, "end": 60},  # wholly out of range: skipped
    ]
    assert highlight_spans(12, claims) == [(0, 3, 0), (8, 12, 2)]


def test_html_survives_bad_offsets_and_odd_dicts(d):
    d["claims"][0]["start"], d["claims"][0]["end"] = -10, 10**6
    d["claims"][1]["start"], d["claims"][1]["end"] = 5, 2
    d["claims"][2]["verdict"]["label"] = "made-up\" onclick=\"x"
    d["claims"][3]["id"] = '"><script>alert(1)</script>'
    page = render_html(d)
    assert "<script" not in page.lower()
    parsed = _parse(page)
    for _, attrs in parsed.tags:
        assert not any(k.startswith("on") for k in attrs)
    assert page.count("<mark") == 1  # the first claim now covers the whole text
    # and the bare minimum dict renders in every format
    for fmt in FORMATS:
        assert render({"id": "r1", "article": {"text": "x"}, "claims": [], "timeline": []}, fmt)


def test_stored_hostile_report_renders_safely():
    stored = json.loads((FIXTURES / "hostile.json").read_text(encoding="utf-8"))
    page = render_html(stored)
    assert "<script" not in page.lower() and "<svg" not in page.lower()
    for _, attrs in _parse(page).tags:
        assert not any(k.startswith("on") for k in attrs)
        href = (attrs.get("href") or "").strip().lower()
        assert not href.startswith(("javascript:", "data:", "vbscript:", "file:"))
    md = render_markdown(stored)
    assert "<script" not in md.lower() and "<svg" not in md.lower()
    items = render_claimreview(stored)
    # the review's own page on the local desk, with the hostile ids percent-encoded; never a urn:
    assert items and all(i["url"].startswith("http://127.0.0.1:8000/checks/r-hostile%22%3E%3Cscript%3E")
                         for i in items)
    assert not any(set(i["url"]) & set('<>"\' ') for i in items)
    assert all(c == "https://ok.example.com/a" for i in items for c in i["citation"])


# --- ClaimReview -------------------------------------------------------------------


def test_claimreview_items(d):
    items = render_claimreview(d, publisher="Desk <Org>", publisher_url="https://desk.example")
    assert len(items) == 4  # the unchecked claim is left out
    by_label = {}
    for item, claim in zip(items, d["claims"]):
        for key in ("@context", "@type", "claimReviewed", "datePublished", "url", "author", "reviewRating",
                    "itemReviewed", "reviewBody", "citation"):
            assert key in item, key
        assert item["@context"] == "https://schema.org" and item["@type"] == "ClaimReview"
        assert item["claimReviewed"] == claim["standalone"]
        assert item["datePublished"] == "2024-03-02"
        # the fact-check's own page on the publisher's site, not the reviewed article
        assert item["url"] == f"https://desk.example/factchecks/{d['id']}#claim-{claim['id']}"
        assert item["author"] == {"@type": "Organization", "name": "Desk <Org>", "url": "https://desk.example"}
        r = item["reviewRating"]
        assert r["@type"] == "Rating"
        assert r["worstRating"] <= r["ratingValue"] <= r["bestRating"]
        assert (r["worstRating"], r["bestRating"]) == (1, 5)
        by_label[claim["verdict"]["label"]] = (r["ratingValue"], r["alternateName"])
        ir = item["itemReviewed"]
        assert ir["@type"] == "Claim" and ir["datePublished"] == "2024-03-01"
        assert ir["appearance"][0]["url"] == "https://news.example.org/dam?x=1&y=2"
        assert ir["appearance"][0]["headline"] == d["article"]["title"]
        assert ir["appearance"][0]["datePublished"] == "2024-03-01"
        assert ir["appearance"][0]["author"] == {"@type": "Person", "name": "Sam <i>Writer</i>"}
        assert ir["firstAppearance"] == ir["appearance"][0]
        assert item["reviewBody"] == claim["verdict"]["explanation"]
        assert all(u.startswith("https://") for u in item["citation"])
    assert by_label == {
        "supported": (5, "Supported"),
        "refuted": (1, "Refuted"),
        "conflicting": (3, "Conflicting evidence"),
        "not_enough_evidence": (3, "Not enough evidence"),
    }
    # claim authors: the article's author for its own assertion, the speaker for quotes
    assert items[0]["itemReviewed"]["author"] == {"@type": "Person", "name": "Sam <i>Writer</i>"}
    assert items[1]["itemReviewed"]["author"] == {"@type": "Person", "name": "Jane Doe"}
    # the javascript: evidence url and the irrelevant one are not cited
    assert items[1]["citation"] == ["https://water.example.org/report-2023"]
    assert items[0]["citation"] == ["https://registry.example.gov/dams/ridgeway"]


def test_claimreview_without_article_url(d):
    d["article"]["url"] = None
    d["article"]["author"] = None
    d["claims"][2]["attributed_to"] = None
    items = render_claimreview(d)
    # no publisher set: the local web desk's page for this report, never a urn:
    assert items[0]["url"] == f"http://127.0.0.1:8000/checks/{d['id']}#claim-{d['claims'][0]['id']}"
    assert items[0]["author"] == {"@type": "Organization", "name": "factdesk", "url": "http://127.0.0.1:8000/"}
    assert items[0]["itemReviewed"]["author"] == {"@type": "Organization", "name": "Example News"}
    assert items[0]["itemReviewed"]["appearance"][0]["author"] == {"@type": "Organization", "name": "Example News"}
    assert "author" not in items[2]["itemReviewed"]  # an unattributed rebutted claim is not pinned on anyone
    assert "url" not in items[0]["itemReviewed"]["appearance"][0]


def test_render_claimreview_text(d):
    text = render(d, "claimreview", publisher="Desk")
    items = json.loads(text)
    assert isinstance(items, list) and len(items) == 4
    assert items[0]["author"]["name"] == "Desk"
    assert items == render_claimreview(d, publisher="Desk")


# --- dispatcher -------------------------------------------------------------------


def test_render_json_round_trips(d, validator):
    text = render(d, "json")
    assert "\n  " in text  # pretty-printed
    assert "“" not in text or "\\u201c" not in text
    back = json.loads(text)
    assert back == d
    assert not list(validator.iter_errors(back))
    # a stored report re-renders without the objects
    assert render(back, "markdown") == render(d, "markdown")
    assert render(back, "html") == render(d, "html")


def test_render_json_keeps_unicode():
    d = {"id": "r", "article": {"text": "Zürich – ☃"}, "claims": [], "timeline": []}
    assert "Zürich – ☃" in render(d, "json")


def test_render_unknown_format(d):
    assert FORMATS == ("markdown", "json", "html", "claimreview")
    with pytest.raises(ConfigError) as info:
        render(d, "pdf")
    assert all(f in str(info.value) for f in FORMATS)
    assert render(d, " HTML ") == render(d, "html")
    with pytest.raises(ConfigError):
        render(d, "markdown", publisher="x")


def test_checked_as_is_shown_when_it_differs_and_escaped(d):
    c5 = d["claims"][4]
    assert c5["checked_as"] == "The spillway was rebuilt in 2021 " + HOSTILE_IMG
    assert d["claims"][0]["checked_as"] == d["claims"][0]["standalone"]  # defaults to the standalone form
    md = render_markdown(d)
    assert md.count("Checked as: ") == 1 and "Checked as: The spillway was rebuilt in 2021" in md
    html = render_html(d)
    assert html.count("Checked as: ") == 1
    assert "Checked as: The spillway was rebuilt in 2021 &quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_key_sentence_is_shown_escaped_only_when_a_passage_has_one(d, validator):
    evidence = [ev for c in d["claims"] for ev in c["evidence"]]
    keyed = [ev for ev in evidence if ev["key_sentence"]]
    assert len(keyed) == 1 and keyed[0]["key_sentence"].startswith("Totally legit <script>")
    assert all(ev["key_sentence"] is None for ev in evidence if ev is not keyed[0])
    validator.validate(d)
    md = render_markdown(d)
    assert md.count("key sentence: ") == 1 and "<script" not in md.lower()
    html = render_html(d)
    assert html.count("key sentence: ") == 1
    assert "key sentence: “Totally legit &lt;script&gt;alert(1)&lt;/script&gt; onerror=alert(2)”" in html
