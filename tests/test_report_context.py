"""The report's context fields: quote provenance, earlier fact-checks and omitted context."""

from __future__ import annotations

import json

import jsonschema
import pytest

from factdesk.context.quotes import QuoteCheck
from factdesk.report import load_schema, render, render_claimreview, render_html, render_markdown, report_to_dict
from test_report import HOSTILE_IMG, build_report

EVIL = "<script>alert(1)</script> **bold** [x](javascript:alert(1)) | `code` " + HOSTILE_IMG


@pytest.fixture
def parts():
    report = build_report()
    c1, c2, c3 = (cc.claim for cc in report.claims[:3])
    quotes = {
        c2.id: QuoteCheck("altered", "q", "d-src", "Source " + EVIL, 10, 42, "reservoir " + EVIL, 0.8,
                          [{"op": "replace", "quote": "80% " + EVIL, "source": "30%"},
                           {"op": "insert", "quote": "not", "source": ""}]),
        c3.id: {"status": "close", "source_document": "d1", "source_title": None, "source_start": 0,
                "source_end": 5, "source_text": "Dam X", "similarity": 0.9, "diff": []},
    }
    matches = {c1.id: [{"claim": "The dam opened in 1998 " + EVIL, "rating": "True " + EVIL,
                        "publisher": "Checkers " + EVIL, "date": "2020-05-01",
                        "url": "https://checks.example.org/dam", "score": 0.91234},
                       {"claim": "Dam", "rating": None, "publisher": None, "date": None,
                        "url": "javascript:alert(1)", "score": 0.5}]}
    omitted = [{"passage_id": "p9", "document": "Audit " + EVIL, "document_id": "d9", "url": "javascript:x",
                "published": "2023-01-02", "text": "Cost overruns " + EVIL, "related_claim_id": c1.id,
                "stance": "refutes", "score": 0.7},
               {"passage_id": "p8", "document": "Court", "document_id": "d8", "url": "https://court.example/r",
                "published": None, "text": "Noise barriers ordered.", "related_claim_id": None,
                "stance": "neutral", "score": 0.6}]
    return report, quotes, matches, omitted


@pytest.fixture
def validator():
    return jsonschema.Draft202012Validator(load_schema())


def test_defaults_when_absent(validator):
    d = report_to_dict(build_report())
    assert all(c["quote"] is None and c["matches"] == [] for c in d["claims"])
    assert d["omitted"] == []
    assert not list(validator.iter_errors(d))


def test_fields_filled_and_valid(parts, validator):
    report, quotes, matches, omitted = parts
    d = report_to_dict(report, quotes=quotes, matches=matches, omitted=omitted)
    assert not [e.message for e in validator.iter_errors(d)]
    json.dumps(d, allow_nan=False)
    c1, c2, c3 = d["claims"][:3]
    assert c2["quote"]["status"] == "altered" and c2["quote"]["source_start"] == 10
    assert c2["quote"]["diff"][1] == {"op": "insert", "quote": "not", "source": ""}
    assert c3["quote"]["status"] == "close"
    assert c1["matches"][0]["score"] == 0.9123 and c1["matches"][1]["rating"] is None
    assert [f["passage_id"] for f in d["omitted"]] == ["p9", "p8"]


@pytest.mark.parametrize("mutate", [
    lambda d: d["claims"][1]["quote"].__setitem__("status", "fake"),
    lambda d: d["claims"][1]["quote"]["diff"][0].__setitem__("op", "swap"),
    lambda d: d["claims"][1]["quote"].__setitem__("similarity", 2),
    lambda d: d["claims"][0]["matches"][0].pop("rating"),
    lambda d: d["omitted"][0].__setitem__("stance", "agrees"),
    lambda d: d["omitted"][0].pop("related_claim_id"),
])
def test_schema_rejects_bad_context(parts, validator, mutate):
    report, quotes, matches, omitted = parts
    d = report_to_dict(report, quotes=quotes, matches=matches, omitted=omitted)
    mutate(d)
    assert list(validator.iter_errors(d))


def test_markdown_renders_and_escapes_context(parts):
    report, quotes, matches, omitted = parts
    md = render_markdown(report_to_dict(report, quotes=quotes, matches=matches, omitted=omitted))
    assert "Quote check: **altered**" in md and "Earlier fact-checks:" in md
    assert "## Omitted context" in md and "### On the article's main subject" in md and "### On claim 1" in md
    assert md.index("main subject") < md.index("### On claim 1")
    assert "<script>" not in md and "<img" not in md and " [x](" not in md and r"\[x\](javascript:" in md
    assert "\\*\\*bold\\*\\*" in md and "<https://checks.example.org/dam>" in md


def test_html_renders_and_escapes_context(parts):
    report, quotes, matches, omitted = parts
    page = render_html(report_to_dict(report, quotes=quotes, matches=matches, omitted=omitted))
    assert "<h2>Omitted context</h2>" in page and 'class="qs q-altered"' in page
    assert "<script>" not in page and "<img" not in page and 'href="javascript' not in page
    assert "&lt;script&gt;" in page and 'href="https://checks.example.org/dam"' in page
    assert "<del>30%</del>" in page


def test_claimreview_cites_earlier_fact_checks(parts):
    report, quotes, matches, omitted = parts
    d = report_to_dict(report, quotes=quotes, matches=matches, omitted=omitted)
    first = render_claimreview(d)[0]
    nested = [c for c in first["citation"] if isinstance(c, dict)]
    assert nested[0]["@type"] == "ClaimReview" and nested[0]["url"] == "https://checks.example.org/dam"
    assert "url" not in nested[1]  # unsafe URL left out
    assert all(isinstance(c, str) for c in first["citation"][: len(first["citation"]) - len(nested)])
    assert json.loads(render(d, "claimreview"))
