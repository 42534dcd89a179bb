"""The LLM stages with a scripted FakeLLM: parsing, offsets, citations, fallbacks, report, renderings, CLI."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from factdesk import registry
from factdesk.cli import cli
from factdesk.errors import LLMError, LLMOutputError, LLMTimeout
from factdesk.llm.decompose import ClaimDecomposer, locate, numbered_sentences
from factdesk.llm.judge import LLMJudge, normalise_label, resolve_citation
from factdesk.llm.prompt_files import PROMPT_NAMES, available_prompts, load_prompt
from factdesk.llm.questions import QuestionWriter, merge_hits
from factdesk.llm.record import FAILURES_BEFORE_SKIPPING, LLMRecord
from factdesk.pipeline import Pipeline
from factdesk.report import load_schema, render
from factdesk.settings import Settings, load_settings
from factdesk.store import Store
from factdesk.testing import FakeLLM, FakeRetriever, FakeScorer, FakeVerifier
from factdesk.types import Claim, ClaimSet, Document, Evidence, Hit, Label, Passage, TimelineEvent, Verdict

ARTICLE = Document(
    text=("Harbour Dam opened in 1998 after a decade of work. "
          "The dam cost 40 million dollars and was built by Ferro Construction. "
          "Locals love walking there."),
    title="The dam at twenty-five", published="2024-03-01")
CORPUS = [
    Document(text="Harbour Dam opened in 1998.", title="Opening", published="1998-05-01"),
    Document(text="The dam cost 40 million dollars.", title="Budget", published="1999-01-01"),
    Document(text="Ferro Construction built the dam not alone.", title="Builders", published="2000-01-01"),
]
HOSTILE = '<script>alert(1)</script> **bold** [x](javascript:alert(1))'


def _pipeline(store: Store, llm: Any, **settings: Any) -> Pipeline:
    retriever = FakeRetriever(CORPUS)
    return Pipeline(store, Settings(verifier="baseline", **settings), verifier=FakeVerifier(), scorer=FakeScorer(),
                    retriever=retriever, indexer=retriever, omitted_verifier=FakeVerifier(), llm=llm)


def _first_passage_verdict(label: str = "supported", justification: str = "The archive says so [E1].") -> Any:
    return {"verdict": label, "confidence": 0.9, "justification": justification, "passages": ["E1"]}


def scripted(messages: list[dict[str, str]], schema: Any, stage: str) -> Any:
    """Decompose each numbered sentence into one claim quoting its first three words; two questions; verdicts."""
    user = messages[-1]["content"]
    if stage == "decompose":
        items = []
        for line in user.splitlines():
            if line[:1].isdigit() and ". " in line:
                n, sentence = line.split(". ", 1)
                items.append({"sentence": int(n), "claim": sentence.split(" and ")[0].rstrip(".") + ".",
                              "quote": " ".join(sentence.split()[:3])})
        return {"claims": items}
    if stage == "questions":
        return {"questions": ["When did Harbour Dam open?", "Who built the dam?"]}
    return _first_passage_verdict()


# --- prompts ----------------------------------------------------------------------


def test_prompts_are_versioned_files_with_both_sections() -> None:
    assert set(PROMPT_NAMES) <= set(available_prompts())
    for name in PROMPT_NAMES:
        p = load_prompt(name)
        assert p.version == f"{name}.v{available_prompts()[name][-1]}"
        assert p.system and "$" in p.user and "<!--" not in p.system + p.user
    msgs = load_prompt("verdict").messages(claim="C", published="2024-01-01", passages="[E1] x")
    assert [m["role"] for m in msgs] == ["system", "user"] and "Claim: C" in msgs[1]["content"]


# --- decomposition: offsets ---------------------------------------------------------


def _claims(doc: Document) -> ClaimSet:
    first = doc.text.index("The dam")
    c1 = Claim(text=doc.text[:first - 1], start=0, end=first - 1, checkworthiness=0.9, dates=["1998"])
    c2 = Claim(text=doc.text[first:doc.text.index("Locals") - 1], start=first, end=doc.text.index("Locals") - 1,
               checkworthiness=0.8, sentence_index=1)
    return ClaimSet(claims=[c1, c2], timeline=[TimelineEvent("1998", "opened", c1.id)], sentences=3)


def test_locate_exact_then_loose_then_absent() -> None:
    text = "The dam cost 40   million dollars."
    assert locate(text, "cost 40") == (8, 15)
    assert locate(text, "COST 40 million") == (8, 25)
    assert locate(text, "“cost 40”") == (8, 15)
    assert locate(text, "cost 50") is None and locate(text, "  ") is None
    assert locate(text, "The dam", 5) is None  # outside the window


def test_decompose_prompt_shows_the_context_a_reference_needs() -> None:
    text = ("Harbour Dam at twenty-five\n\nThe Harbour Dam turns 25 this year. Engineer Ana Ruiz led its design. "
            "She said the dam cost 40 million dollars. Ferro Construction built the spillway. "
            "Mayor Tom Hale says the dam paid for itself by 2010, but auditors found a 12 million dollar overrun.")
    doc = Document(text=text, title="Harbour Dam at twenty-five", published="2024-03-01")
    she = text.index("She said")
    ferro = text.index("Ferro")
    paid = text.index("the dam paid")
    claims = [Claim(text=text[she:text.index(".", she) + 1], start=she, end=text.index(".", she) + 1, checkworthiness=0.9),
              Claim(text=text[ferro:text.index(".", ferro) + 1], start=ferro, end=text.index(".", ferro) + 1, checkworthiness=0.9),
              Claim(text="the dam paid for itself by 2010", start=paid, end=paid + 31, checkworthiness=0.9)]
    opening, numbered = numbered_sentences(doc, claims)
    assert opening.startswith("The Harbour Dam turns 25 this year.") and "twenty-five" not in opening
    assert numbered.splitlines() == [
        "1. She said the dam cost 40 million dollars.",
        "   before: Engineer Ana Ruiz led its design.",  # "She" needs the sentence before
        "2. Ferro Construction built the spillway.",  # nothing to resolve: no context
        "3. the dam paid for itself by 2010",
        "   in: Mayor Tom Hale says the dam paid for itself by 2010, but auditors found a 12 million dollar overrun.",
    ]
    messages = load_prompt("decompose").messages(title=doc.title, published=doc.published, opening=opening,
                                                 sentences=numbered, max_per_sentence=4)
    assert "before: Engineer Ana Ruiz" in messages[1]["content"] and load_prompt("decompose").version == "decompose.v2"


def test_decompose_maps_items_to_offsets_and_drops_what_it_cannot_place() -> None:
    claim_set = _claims(ARTICLE)
    record = LLMRecord(model="m", stages=("decompose",))
    items = [
        {"sentence": 2, "claim": "The Harbour Dam cost 40 million dollars.", "quote": "cost 40 million dollars"},
        {"sentence": 2, "claim": "Ferro Construction built Harbour Dam.", "quote": "built by ferro construction"},
        {"sentence": 9, "claim": "Harbour Dam opened in 1998.", "quote": "opened in 1998"},  # wrong number, quote found
        {"sentence": 7, "claim": "Pigs fly.", "quote": "pigs fly"},  # nowhere: dropped
        {"sentence": 2, "claim": "", "quote": "cost"},  # empty: dropped
    ]
    out = ClaimDecomposer(FakeLLM()).apply(ARTICLE, claim_set, items, record)
    assert [c.standalone for c in out.claims] == ["Harbour Dam opened in 1998.",
                                                  "The Harbour Dam cost 40 million dollars.",
                                                  "Ferro Construction built Harbour Dam."]
    for c in out.claims:
        assert ARTICLE.text[c.start:c.end] == c.text and c.checked_as == c.standalone
    assert out.claims[1].text == "cost 40 million dollars" and out.claims[2].text == "built by Ferro Construction"
    assert len({c.id for c in out.claims}) == 3
    assert record.claims[out.claims[1].id].decomposed_from == claim_set.claims[1].id
    assert out.claims[0].dates == ["1998"] and out.timeline[0].claim_id == out.claims[0].id


def test_decompose_quote_not_in_sentence_uses_the_sentence_and_empty_answer_keeps_claims() -> None:
    claim_set = _claims(ARTICLE)
    record = LLMRecord(model="m", stages=("decompose",))
    out = ClaimDecomposer(FakeLLM()).apply(
        ARTICLE, claim_set, [{"sentence": 1, "claim": "Harbour Dam took ten years.", "quote": "not there"}], record)
    assert (out.claims[0].start, out.claims[0].end) == (claim_set.claims[0].start, claim_set.claims[0].end)
    assert out.claims[1] is claim_set.claims[1]  # nothing returned for it: kept as it was
    assert ClaimDecomposer(FakeLLM()).apply(ARTICLE, claim_set, [], record) is claim_set


def test_decompose_failure_keeps_builtin_claims_with_reason() -> None:
    claim_set = _claims(ARTICLE)
    record = LLMRecord(model="m", stages=("decompose",))
    out = ClaimDecomposer(FakeLLM({"decompose": "this is not json"})).run(ARTICLE, claim_set, record)
    assert out is claim_set
    assert record.fallbacks[0]["stage"] == "decompose" and record.fallbacks[0]["code"] == "llm_bad_output"


# --- questions ------------------------------------------------------------------------


def _hit(doc: str, n: int, score: float = 1.0) -> Hit:
    return Hit(passage=Passage(document_id=doc, text=f"{doc} passage {n}", start=n, end=n + 1), score=score)


def test_merge_hits_fuses_ranks_keeps_cap_and_k() -> None:
    own = [_hit("a", 1, 0.9), _hit("a", 2, 0.8), _hit("a", 3, 0.7), _hit("b", 1, 0.6)]
    extra = [[_hit("c", 1, 0.5), _hit("a", 1, 0.95)], [_hit("c", 1, 0.4)]]
    merged = merge_hits(own, extra, k=4, max_per_document=2)
    docs = [h.passage.document_id for h in merged]
    assert len(merged) == 4 and docs.count("a") == 2 and "c" in docs
    assert merged[0].passage.id == own[0].passage.id and merged[0].score == 0.95
    assert len({h.passage.id for h in merged}) == 4
    # the cap leaves slots empty only when nothing else is there
    assert len(merge_hits(own[:3], [], k=3, max_per_document=1)) == 3


def test_questions_parse_and_fallback() -> None:
    claim = Claim(text="Harbour Dam opened in 1998.", start=0, end=10, checkworthiness=1.0)
    record = LLMRecord(model="m", stages=("questions",))
    writer = QuestionWriter(FakeLLM({"questions": {"questions": ["When?", "when?", " Who  built it? ", "", "4", "5"]}}))
    assert writer.run(claim, None, record) == ["When?", "Who built it?", "4"]
    assert record.claims[claim.id].questions == ["When?", "Who built it?", "4"]
    failing = QuestionWriter(FakeLLM({"questions": LLMTimeout("no answer in 1 s")}))
    assert failing.run(claim, None, record) == []
    assert record.claims[claim.id].fallbacks[-1]["code"] == "llm_timeout"


# --- verdicts ---------------------------------------------------------------------------


def _evidence() -> list[Evidence]:
    return [Evidence(passage=Passage(document_id=d.id, text=d.text, start=0, end=len(d.text), title=d.title),
                     score=1.0) for d in CORPUS]


def test_citations_are_validated_and_rewritten_to_passage_ids() -> None:
    ev = _evidence()
    handles = {f"E{i}": e.passage.id for i, e in enumerate(ev, 1)}
    assert resolve_citation("[E2]", handles) == ev[1].passage.id and resolve_citation("3", handles) == ev[2].passage.id
    assert resolve_citation(ev[0].passage.id, handles) == ev[0].passage.id
    assert resolve_citation("E9", handles) is None and resolve_citation("p000", handles) is None
    verdict, unknown = LLMJudge.parse({"verdict": "refutes", "confidence": 7, "passages": ["E2", "E9", "pfake"],
                                       "justification": "The budget [E2] contradicts it; see also [E7]."}, handles)
    assert verdict.label is Label.REFUTED and verdict.confidence == 1.0
    assert verdict.evidence_ids == [ev[1].passage.id]
    assert unknown == ["E9", "pfake", "E7"]
    assert f"[{ev[1].passage.id}]" in verdict.explanation and "[E7]" in verdict.explanation
    assert normalise_label("Not enough info") == "not_enough_evidence"
    with pytest.raises(LLMOutputError):
        LLMJudge.parse({"verdict": "maybe"}, handles)


def test_judge_keeps_builtin_beside_and_flags_disagreement() -> None:
    claim = Claim(text="Harbour Dam opened in 1998.", start=0, end=10, checkworthiness=1.0)
    builtin = Verdict(Label.NOT_ENOUGH_EVIDENCE, 0.4, "nothing decisive")
    record = LLMRecord(model="m", stages=("verdict",))
    v = LLMJudge(FakeLLM({"verdict": _first_passage_verdict()})).run(claim, _evidence(), "2024-03-01", record,
                                                                     builtin=builtin)
    assert v is not None and v.label is Label.SUPPORTED
    info = record.claims[claim.id].to_dict()
    assert info["disagreement"] and info["verdict_source"] == "llm"
    assert info["builtin_verdict"]["label"] == "not_enough_evidence"
    # no evidence: nothing to ask
    assert LLMJudge(FakeLLM()).run(claim, [], None, record) is None


def test_repeated_server_failures_skip_the_rest() -> None:
    llm = FakeLLM({"verdict": LLMError("connection refused")})
    record = LLMRecord(model="m", stages=("verdict",))
    judge = LLMJudge(llm)
    for i in range(FAILURES_BEFORE_SKIPPING + 2):
        claim = Claim(text=f"claim {i}", start=0, end=1, checkworthiness=1.0)
        assert judge.run(claim, _evidence(), None, record) is None
    assert len(llm.calls) == FAILURES_BEFORE_SKIPPING  # later claims fell back without a call
    assert record.fallbacks[-1]["reason"].startswith("skipped")


# --- the pipeline and the report ----------------------------------------------------------


@pytest.fixture
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(load_schema())


def test_no_llm_means_no_llm_keys(validator) -> None:
    with Store.open(":memory:") as store:
        pipe = _pipeline(store, None)
        assert pipe.llm is None and pipe.llm_stages == () and pipe.llm_record() is None
        report = pipe.check(ARTICLE, save=False)
    assert "llm" not in report and all("llm" not in c for c in report["claims"])
    validator.validate(report)


def test_pipeline_with_llm_report_fields_schema_and_cache(validator) -> None:
    llm = FakeLLM(scripted, cache=True)
    with Store.open(":memory:") as store:
        report = _pipeline(store, llm).check(ARTICLE, save=False)
        validator.validate(report)
        info = report["llm"]
        assert info["model"] == "fake-llm" and info["stages"] == ["decompose", "questions", "verdict"]
        assert info["prompts"] == {"decompose": "decompose.v2", "questions": "questions.v1", "verdict": "verdict.v1"}
        assert info["usage"]["verdict"]["calls"] == len(report["claims"]) and info["total"]["prompt_tokens"] > 0
        for c in report["claims"]:
            assert report["article"]["text"][c["start"]:c["end"]] == c["text"]
            assert c["llm"]["decomposed_from"] and c["llm"]["questions"]
            assert c["llm"]["verdict_source"] == "llm" and c["verdict"]["label"] == "supported"
            shown = {e["passage_id"] for e in c["evidence"]}
            assert c["llm"]["verdict"]["passage_ids"] and set(c["llm"]["verdict"]["passage_ids"]) <= shown
            assert c["llm"]["builtin_verdict"] is not None
            assert all(e["stance"] in ("supports", "refutes", "neutral") for e in c["evidence"])
        calls = len(llm.calls)
        again = _pipeline(store, llm).check(ARTICLE, save=False)
    assert len(llm.calls) == calls  # every answer from the cache
    assert again["llm"]["total"]["calls"] == again["llm"]["total"]["cached"] > 0
    assert again["llm"]["total"]["prompt_tokens"] == again["llm"]["total"]["completion_tokens"] == 0


@pytest.mark.parametrize("failure", [LLMTimeout("no answer in 1 s"), "{not json", {"verdict": "maybe so"}])
def test_verdict_failure_falls_back_per_claim(failure: Any, validator) -> None:
    answers = iter([_first_passage_verdict("refuted"), failure])

    def replies(messages, schema, stage):
        return next(answers, failure)

    with Store.open(":memory:") as store:
        report = _pipeline(store, FakeLLM(replies), llm_stages="verdict").check(ARTICLE, save=False)
    validator.validate(report)
    sources = [c["llm"]["verdict_source"] for c in report["claims"]]
    assert sources[0] == "llm" and set(sources[1:]) == {"builtin"}
    fell = report["claims"][1]["llm"]
    assert fell["verdict"] is None and fell["fallbacks"][0]["stage"] == "verdict"
    assert report["claims"][1]["verdict"] == fell["builtin_verdict"]
    assert report["llm"]["fallbacks"] and report["llm"]["fallbacks"][0]["claim_id"] == report["claims"][1]["id"]
    assert report["claims"][0]["llm"]["disagreement"] == (report["claims"][0]["llm"]["builtin_verdict"]["label"] != "refuted")


def test_server_down_at_start_still_gives_a_report(validator) -> None:
    class Down(FakeLLM):
        def warm_up(self) -> None:
            raise LLMError("cannot reach http://127.0.0.1:9/v1")

    llm = Down(scripted)
    with Store.open(":memory:") as store:
        report = _pipeline(store, llm).check(ARTICLE, save=False)
    validator.validate(report)
    assert not llm.calls and report["llm"]["fallbacks"][0]["stage"] == "connect"
    assert all(c["llm"]["verdict_source"] == "builtin" for c in report["claims"])
    assert all(c["verdict"] is not None for c in report["claims"])


def test_markdown_and_html_escape_model_text() -> None:
    def hostile(messages, schema, stage):
        if stage == "questions":
            return {"questions": [HOSTILE]}
        return _first_passage_verdict("supported", HOSTILE + " [E1] [<img src=x onerror=alert(1)>]")

    with Store.open(":memory:") as store:
        report = _pipeline(store, FakeLLM(hostile), llm_stages="questions,verdict").check(ARTICLE, save=False)
    html = render(report, "html")
    md = render(report, "markdown")
    assert "<script>" not in html and "&lt;script&gt;" in html and "<img" not in html
    assert "LLM verdict" in html and "Built-in verifier" in html and "verdict.v1" in html
    assert "<script>" not in md and "&lt;script>" in md and "[x](javascript" not in md and "\\[x\\](javascript" in md and "\\*\\*bold\\*\\*" in md
    assert "Verdict by the LLM" in md and "Built-in verifier" in md and "| verdict | verdict.v1 |" in md
    pid = report["claims"][0]["llm"]["verdict"]["passage_ids"][0]
    assert pid in md and pid in html


# --- settings and CLI -----------------------------------------------------------------------


def test_settings_llm_table_and_stages(tmp_path, monkeypatch) -> None:
    (tmp_path / "factdesk.toml").write_text(
        '[llm]\nurl = "http://127.0.0.1:8080/v1"\nmodel = "smollm2"\nstages = ["verdict", "questions"]\n'
        '[llm.options]\ntimeout = 5\napi_key_env = "MY_KEY"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.llm_configured and s.llm_model == "smollm2" and s.llm_stage_list() == ("questions", "verdict")
    assert s.options_for("llm") == {"timeout": 5, "api_key_env": "MY_KEY"}
    assert not Settings().llm_configured and Settings(llm_url="http://x").llm_configured is False
    with pytest.raises(Exception, match="unknown LLM stage"):
        Settings(llm_stages="verdict,judge").llm_stage_list()


@pytest.fixture
def fake_llm_registered(monkeypatch):
    made: list[FakeLLM] = []

    def factory(*, base_url=None, model=None, store=None, **options):
        made.append(FakeLLM(scripted, model=model or "?", cache=True))
        return made[-1]

    monkeypatch.setitem(registry._REGISTERED, ("llm", "scripted"),
                        registry.Component("llm", "scripted", "tests:factory", origin="test", _factory=factory))
    monkeypatch.setenv("FACTDESK_LLM", "scripted")
    return made


def test_cli_check_with_llm_flags_and_ping(tmp_path, fake_llm_registered) -> None:
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE.text, encoding="utf-8")
    runner = CliRunner()
    db = str(tmp_path / "fd.db")
    res = runner.invoke(cli, ["check", str(article), "--db", db, "--format", "json", "--verifier", "baseline",
                              "--llm", "http://127.0.0.1:1/v1", "--llm-model", "tiny", "--llm-stages", "verdict"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["llm"]["model"] == "tiny" and report["llm"]["stages"] == ["verdict"]
    assert "LLM tiny:" in res.stderr
    ping = runner.invoke(cli, ["llm", "ping", "--llm", "http://127.0.0.1:1/v1", "--llm-model", "tiny", "--json"])
    assert ping.exit_code == 0 and json.loads(ping.stdout)["ok"] is True
    text = runner.invoke(cli, ["llm", "ping", "--llm", "http://127.0.0.1:1/v1", "--llm-model", "tiny"])
    assert "reachable" in text.stdout and "structured output: yes" in text.stdout
    none = runner.invoke(cli, ["llm", "ping"])
    assert none.exit_code != 0 and "no LLM configured" in none.output
    info = runner.invoke(cli, ["info", "--db", db, "--json"], env={"FACTDESK_LLM_URL": "http://h/v1",
                                                                   "FACTDESK_LLM_MODEL": "tiny"})
    assert "tiny at http://h/v1" in json.loads(info.stdout)["llm"]


def test_web_desk_marks_llm_verdicts_and_escapes_them(tmp_path) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from factdesk.web.app import create_app

    def hostile(messages, schema, stage):
        label = "refuted" if "1998" in messages[-1]["content"] else "supported"
        return _first_passage_verdict(label, HOSTILE + " [E1]")

    db = tmp_path / "desk.db"
    with Store.open(db) as store:
        report = _pipeline(store, FakeLLM(hostile), llm_stages="verdict").check(ARTICLE)
    with TestClient(create_app(db, require_login=False, settings=Settings(verifier="baseline"))) as client:
        page = client.get(f"/checks/{report['id']}", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.text.count('class="badge llm"') == len(report["claims"])
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert ('class="badge disagree"' in page.text) == any(c["llm"]["disagreement"] for c in report["claims"])
    assert "Built-in verifier:" in page.text


def test_eval_verify_scores_the_llm_beside_the_builtin_verifier() -> None:
    from pathlib import Path

    from factdesk.evaluate import format_table, run_eval

    data = Path(__file__).parent / "fixtures" / "evaluate" / "claim_level.jsonl"

    def replies(messages, schema, stage):
        if "museum" in messages[-1]["content"]:
            return LLMTimeout("no answer in 1 s")
        return _first_passage_verdict("refuted")

    plain = run_eval("verify", data, verifier_obj=FakeVerifier())
    r = run_eval("verify", data, verifier_obj=FakeVerifier(), llm_obj=FakeLLM(replies))
    assert "llm" not in plain and "_llm_inputs" not in plain and "_llm_inputs" not in r
    llm = r["llm"]
    assert llm["claims"] == r["n"] == 3 and llm["answered"] == 2 and llm["fallbacks"] == 1
    assert llm["fallback_codes"] == ["llm_timeout"] and llm["prompts"] == {"verdict": "verdict.v1"}
    assert llm["tokens_per_claim"] > 0 and 0 <= llm["label_accuracy"] <= 1 and "macro_f1" in llm
    assert {k: v for k, v in r.items() if k not in ("llm", "seconds", "pairs_per_second")} == \
        {k: v for k, v in plain.items() if k not in ("seconds", "pairs_per_second")}
    table = format_table(r)
    assert "beside the built-in verifier" in table and "tokens per claim" in table
