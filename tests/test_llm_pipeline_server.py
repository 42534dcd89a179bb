"""The demo article checked with a real LLM: SmolLM2-135M behind llama.cpp's OpenAI-compatible server.

Marked ``llm_server`` (run alone: ``pytest -m llm_server``); the ``llama_server`` fixture (conftest)
starts the server on 127.0.0.1 and skips when llama-cpp-python[server] or the GGUF is missing.
SmolLM2 is far too small to judge well: this checks the wiring end to end, not the verdicts.
"""

from __future__ import annotations

import pytest

from factdesk import demodata
from factdesk.pipeline import Pipeline
from factdesk.report import render, validate_report
from factdesk.settings import Settings
from factdesk.store import Store

pytestmark = pytest.mark.llm_server


def test_demo_article_with_the_llm_then_rerun_from_cache(llama_server, tmp_path):
    base_url, model = llama_server
    # the verdict stage only, over 3 passages, for the 6 most check-worthy claims: max_claims keeps the
    # CI step short (SmolLM2 answers a call in a few seconds on an idle 2-core machine)
    settings = Settings(verifier="baseline", llm_url=base_url, llm_model=model, llm_stages="verdict", top_k=3,
                        max_claims=6,
                        component_options={"llm": {"timeout": 90, "max_retries": 1, "max_tokens": 256}})
    with Store.open(tmp_path / "demo.db") as store:
        pipe = Pipeline.from_settings(settings, store=store)
        pipe.index_path(demodata.corpus_dir())
        first = pipe.check(demodata.article_path())
        second = Pipeline.from_settings(settings, store=store).check(demodata.article_path())
    validate_report(first)
    llm = first["llm"]
    assert llm["model"] == model
    assert llm["prompts"] == {"verdict": "verdict.v1"}
    assert llm["total"]["calls"] > 0 and llm["total"]["prompt_tokens"] > 0 and llm["total"]["completion_tokens"] > 0
    judged = [c for c in first["claims"] if c["llm"]["verdict"] is not None]
    assert judged, f"no claim got an LLM verdict: {llm['fallbacks'][:3]}"
    for c in judged:
        shown = {e["passage_id"] for e in c["evidence"]}
        assert set(c["llm"]["verdict"]["passage_ids"]) <= shown  # only passages it was shown
        assert c["verdict"]["label"] == c["llm"]["verdict"]["label"]
        assert c["llm"]["builtin_verdict"] is not None  # the small verifier's verdict beside it
        assert all(e["stance"] in ("supports", "refutes", "neutral") for e in c["evidence"])
    assert any(c["llm"]["verdict"]["passage_ids"] for c in judged), "no justification cites a shown passage"
    md = render(first, "markdown")
    assert "Verdict by the LLM" in md and "Built-in verifier" in md and "verdict.v1" in md
    # the same check again: every answer the first run got comes from the store's cache, at no cost
    again = second["llm"]["total"]
    assert again["cached"] == llm["total"]["calls"]
    for a, b in zip(first["claims"], second["claims"]):
        if a["llm"]["verdict"] is not None:
            assert b["llm"]["verdict"] == a["llm"]["verdict"]
    if not llm["fallbacks"]:  # nothing failed the first time: nothing new is asked
        assert again["calls"] == again["cached"] and again["prompt_tokens"] == again["completion_tokens"] == 0


def test_all_three_stages_run_end_to_end_on_the_real_server(llama_server, tmp_path):
    """Decomposition, verification questions and verdicts against the real server (3 claims, to stay short).

    SmolLM2 may garble an answer (a cut-off JSON string): that claim falls back, with the reason recorded,
    and the report is still whole."""
    base_url, model = llama_server
    settings = Settings(verifier="baseline", llm_url=base_url, llm_model=model,
                        llm_stages="decompose,questions,verdict", top_k=3, max_claims=3,
                        component_options={"llm": {"timeout": 90, "max_retries": 1, "max_tokens": 256}})
    with Store.open(tmp_path / "demo.db") as store:
        pipe = Pipeline.from_settings(settings, store=store)
        pipe.index_path(demodata.corpus_dir())
        report = pipe.check(demodata.article_path())
    validate_report(report)
    llm = report["llm"]
    assert llm["prompts"] == {"decompose": "decompose.v2", "questions": "questions.v1", "verdict": "verdict.v1"}
    assert llm["total"]["calls"] >= 3 and llm["total"]["completion_tokens"] > 0
    ran = {f["stage"] for f in llm["fallbacks"]}
    assert any(c["llm"]["questions"] for c in report["claims"]) or "questions" in ran
    assert any(c["llm"]["verdict"] is not None for c in report["claims"]) or "verdict" in ran
    for fallback in llm["fallbacks"]:
        assert fallback["code"].startswith("llm_") and fallback["reason"]
