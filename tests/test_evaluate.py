"""The evaluation harness: metrics (checked against values worked out by hand), readers,
sampling, each task end to end on tiny fixtures, and the table."""

from __future__ import annotations

import hashlib
import json
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from factdesk import registry
from factdesk.errors import ConfigError, InputError
from factdesk.evaluate import format_table, read_checkworthy, read_verify, resolve_data, run_eval
from factdesk.evaluate import metrics as M
from factdesk.evaluate.readers import map_label, read_corpus_jsonl, stratified_sample
from factdesk.evaluate.runner import evidence_found
from factdesk.types import Label
from factdesk.verify.base import StanceResult

FIX = Path(__file__).parent / "fixtures" / "evaluate"


# -- fakes ----------------------------------------------------------------------------
def _probs(stance: str, p: float) -> dict[str, float]:
    rest = round((1 - p) / 2, 6)
    out = {"supports": rest, "refutes": rest, "neutral": rest}
    out[stance] = p
    return out


class FakeVerifier:
    """Judges a pair by looking up (claim, passage), then the passage, in a table; else neutral 0.8."""

    name = "fake"

    def __init__(self, table: dict) -> None:
        self.table = table
        self.warmed = False
        self.seen: list[tuple[str, str]] = []

    def warm_up(self) -> None:
        self.warmed = True

    def stances(self, pairs: list[tuple[str, str]]) -> list[StanceResult]:
        self.seen += pairs
        return [StanceResult(_probs(*self.table.get((claim, passage), self.table.get(passage, ("neutral", 0.8)))))
                for claim, passage in pairs]


class FakeScorer:
    name = "fake-scorer"

    def __init__(self, table: dict[str, float]) -> None:
        self.table = table

    def warm_up(self) -> None:
        pass

    def score(self, sentences: list[str]) -> list[float]:
        return [self.table[s] for s in sentences]


class HashEmbedder:
    """Deterministic bag-of-words vectors: no model, so the open task runs in milliseconds."""

    name = "test-hash"
    dim = 64

    def warm_up(self) -> None:
        pass

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, int(hashlib.md5(w.strip(".,").encode()).hexdigest(), 16) % self.dim] += 1
        out[:, 0] += 1e-3
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _fever_evidence() -> list[str]:
    return [json.loads(line)["evidence"] for line in (FIX / "fever.jsonl").read_text().splitlines()]


# predictions for fever.jsonl, row by row: gold S S S R R R N N
FEVER_FAKE = dict(zip(_fever_evidence(), [
    ("supports", 0.9), ("supports", 0.7), ("neutral", 0.6),
    ("refutes", 0.8), ("supports", 0.6), ("refutes", 0.9),
    ("neutral", 0.8), ("refutes", 0.7),
]))


# -- metrics --------------------------------------------------------------------------
GOLD = ["S", "S", "S", "R", "R", "R", "N", "N"]
PRED = ["S", "S", "N", "R", "S", "R", "N", "R"]


def test_accuracy_and_confusion_by_hand():
    assert M.accuracy(GOLD, PRED) == 5 / 8
    assert M.confusion_matrix(GOLD, PRED, ["S", "R", "N"]) == {
        "S": {"S": 2, "R": 0, "N": 1}, "R": {"S": 1, "R": 2, "N": 0}, "N": {"S": 0, "R": 1, "N": 1}}
    assert M.accuracy([], []) == 0.0
    with pytest.raises(ValueError):
        M.accuracy(["a"], [])
    with pytest.raises(ValueError, match="not among"):
        M.confusion_matrix(["a"], ["b"], ["a"])


def test_precision_recall_f1_and_macro_by_hand():
    per = M.precision_recall_f1(GOLD, PRED)
    assert per["S"]["precision"] == pytest.approx(2 / 3) and per["S"]["recall"] == pytest.approx(2 / 3)
    assert per["N"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    # (2/3 + 2/3 + 1/2) / 3 = 11/18
    assert M.macro_f1(GOLD, PRED) == pytest.approx(float(Fraction(11, 18)))
    # a label only predicted, never gold: F1 0, counted only when asked for
    assert M.precision_recall_f1(["a", "a"], ["a", "b"])["b"]["f1"] == 0.0
    assert M.macro_f1(["a", "a"], ["a", "b"]) == pytest.approx(2 / 3)
    assert M.macro_f1(["a", "a"], ["a", "b"], ["a", "b"]) == pytest.approx(1 / 3)


def test_ece_by_hand():
    conf = [0.9, 0.7, 0.65, 0.8, 0.6, 0.9, 0.8, 0.7]
    ok = [True, True, False, True, False, True, True, False]
    # bins: 0.6-0.7 {0.65 x, 0.6 x}: |0 - 0.625|; 0.7 {✓ x}: |0.5 - 0.7|; 0.8 {✓ ✓}: 0.2; 0.9 {✓ ✓}: 0.1
    expected = 2 / 8 * (0.625 + 0.2 + 0.2 + 0.1)
    assert M.expected_calibration_error(conf, ok) == pytest.approx(expected)
    assert M.expected_calibration_error([1.0, 0.0], [True, False]) == 0.0  # edges land in the end bins
    assert M.expected_calibration_error([], []) == 0.0


def test_binary_threshold_and_average_precision_by_hand():
    gold = [True, True, True, False, False, False, False, False]
    scores = [0.9, 0.6, 0.3, 0.7, 0.2, 0.1, 0.4, 0.05]
    s = M.binary_scores(gold, [x >= 0.5 for x in scores])
    assert s == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "accuracy": 0.75})
    assert M.best_threshold(gold, scores) == (0.3, pytest.approx(0.75))
    assert M.average_precision(gold, scores) == pytest.approx(34 / 45)  # (1 + 2/3 + 3/5) / 3


def test_ranking_metrics_by_hand():
    ranked = [["a", "b", "c"], ["x", "y", "z"], ["p", "q"]]
    relevant = [{"b"}, {"z", "x"}, {"r"}]
    # AP@3: 1/2; (1 + 2/3) / 2 = 5/6; 0  -> MAP = 4/9
    assert M.map_at_k(ranked, relevant, 3) == pytest.approx(4 / 9)
    assert M.map_at_k(ranked, relevant, 1) == pytest.approx((0 + 1 + 0) / 3)  # x at 1, over min(2, 1) = 1
    assert M.recall_at_k(ranked, relevant, 1) == pytest.approx(1 / 6)
    assert M.recall_at_k(ranked, relevant, 3) == pytest.approx(2 / 3)
    assert M.recall_at_k([["a"]], [set()], 3) == 0.0  # no query with gold: nothing to average
    assert M.mrr(ranked, relevant) == pytest.approx(0.5)
    assert M.map_at_k([["a", "a", "b"]], [{"a", "b"}], 3) == pytest.approx((1 + 2 / 3) / 2)  # repeats count once


# -- readers --------------------------------------------------------------------------
def test_label_mappings():
    for raw, label in [("SUPPORTS", Label.SUPPORTED), ("entailment", Label.SUPPORTED), ("Supported", Label.SUPPORTED),
                       ("REFUTES", Label.REFUTED), ("contradiction", Label.REFUTED),
                       ("NOT ENOUGH INFO", Label.NOT_ENOUGH_EVIDENCE), ("NOT_ENOUGH_INFO", Label.NOT_ENOUGH_EVIDENCE),
                       ("neutral", Label.NOT_ENOUGH_EVIDENCE), ("Not Enough Evidence", Label.NOT_ENOUGH_EVIDENCE),
                       ("Conflicting Evidence/Cherrypicking", Label.CONFLICTING)]:
        assert map_label(raw) == label
    with pytest.raises(InputError, match="not_entailment"):
        map_label("not_entailment")


def test_read_formats():
    fever = read_verify(FIX / "fever.jsonl")
    assert (fever.format, fever.level, len(fever.examples)) == ("fever-jsonl", "pair", 8)
    assert fever.source_labels["NOT ENOUGH INFO"] == "not_enough_evidence"
    assert read_verify(FIX / "nli.jsonl").format == "nli-jsonl"
    ave = read_verify(FIX / "averitec.json")
    assert (ave.format, ave.level) == ("averitec-json", "claim")
    assert [e.label for e in ave.examples] == [Label.SUPPORTED, Label.REFUTED, Label.CONFLICTING]
    assert ave.examples[0].evidence == ["Did the city council vote on a tram line in 2021? Yes. "
                                        "The council approved the tram line on 12 April 2021."]
    assert len(ave.examples[2].evidence) == 2
    cl = read_verify(FIX / "claim_level.jsonl")
    assert (cl.format, cl.level, [len(e.evidence) for e in cl.examples]) == ("claim-level-jsonl", "claim", [2, 2, 2])


def test_rows_sharing_ids_group_into_claims_only_when_most_do(tmp_path):
    rows = [{"id": "w1", "claim": "A", "evidence": "chunk 1", "label": "SUPPORTS"},
            {"id": "w1", "claim": "A", "evidence": "chunk 2", "label": "SUPPORTS"},
            {"id": "w2", "claim": "B", "evidence": "chunk 3", "label": "NOT_ENOUGH_INFO"},
            {"id": "w2", "claim": "B", "evidence": "chunk 4", "label": "NOT_ENOUGH_INFO"}]
    f = tmp_path / "wice.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows))
    data = read_verify(f)
    assert (data.format, data.level) == ("grouped-jsonl", "claim")
    assert [e.evidence for e in data.examples] == [["chunk 1", "chunk 2"], ["chunk 3", "chunk 4"]]
    rows += [{"id": f"x{i}", "claim": f"C{i}", "evidence": "e", "label": "REFUTES"} for i in range(5)]
    f.write_text("\n".join(json.dumps(r) for r in rows))
    assert read_verify(f).level == "pair"  # a few repeated ids (as in FEVER dev) stay pair-level


def test_reader_errors(tmp_path):
    with pytest.raises(InputError, match="no such data file"):
        read_verify(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q", "answer": "a"}\n')
    with pytest.raises(InputError, match=r"found keys \['answer', 'question'\]"):
        read_verify(bad)
    bad.write_text('{"claim": "c", "evidence": "e", "label": "SUPPORTS"}\nnot json\n')
    with pytest.raises(InputError, match="line 2 is not JSON"):
        read_verify(bad)
    bad.write_text('{"claim": "c", "evidence": "e", "label": "maybe"}\n')
    with pytest.raises(InputError, match="'maybe' at bad.jsonl line 1"):
        read_verify(bad)
    txt = tmp_path / "plain.txt"
    txt.write_text("just words")
    with pytest.raises(InputError, match="neither JSON nor JSONL"):
        read_verify(txt)
    with pytest.raises(InputError, match="first line has no tab"):
        read_checkworthy(txt)


def test_resolve_data_under_factdesk_data(tmp_path, monkeypatch):
    (tmp_path / "set").mkdir()
    shutil.copy(FIX / "fever.jsonl", tmp_path / "set" / "dev.jsonl")
    monkeypatch.setenv("FACTDESK_DATA", str(tmp_path))
    assert resolve_data("set/dev.jsonl") == tmp_path / "set" / "dev.jsonl"
    with pytest.raises(InputError, match="FACTDESK_DATA"):
        resolve_data("set/nope.jsonl")


def test_read_checkworthy_with_and_without_header(tmp_path):
    rows = read_checkworthy(FIX / "checkworthy.tsv")
    assert len(rows) == 8 and sum(r.checkworthy for r in rows) == 3
    assert rows[2].text == 'The plant employed 2,000 people, "more than ever", in 2015.'  # CSV quoting undone
    assert rows[0].id == "101"
    debate = tmp_path / "debates"
    debate.mkdir()
    (debate / "a.tsv").write_text('1\tMODERATOR\t"Welcome," he said.\t0\n2\tSMITH\tTaxes rose 40% in 2012.\t1\n')
    (debate / "b.tsv").write_text("1\tSYSTEM\t(APPLAUSE)\t0\n")
    rows = read_checkworthy(debate)
    assert [(r.text, r.checkworthy) for r in rows] == [('"Welcome," he said.', False),
                                                       ("Taxes rose 40% in 2012.", True), ("(APPLAUSE)", False)]
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\ttext\tclass_label\n1\tHello\tPerhaps\n")
    with pytest.raises(InputError, match="'Perhaps'"):
        read_checkworthy(bad)


def test_read_corpus_jsonl():
    docs = read_corpus_jsonl(FIX / "corpus.jsonl")
    assert [i for i, _ in docs][:2] == ["p1", "p2"] and docs[0][1].title == "Harbor Bridge"


def test_stratified_sample_is_deterministic_and_keeps_label_shares():
    items = [("S", i) for i in range(30)] + [("R", i) for i in range(30)] + [("N", i) for i in range(20)]
    sample = stratified_sample(items, lambda x: x[0], 8, seed=0)
    counts = {lab: sum(1 for s in sample if s[0] == lab) for lab in "SRN"}
    assert counts == {"S": 3, "R": 3, "N": 2}
    assert sample == stratified_sample(items, lambda x: x[0], 8, seed=0)
    assert sample != stratified_sample(items, lambda x: x[0], 8, seed=1)
    assert sample != items[:8] and sample == sorted(sample, key=items.index)  # input order kept
    assert stratified_sample(items, lambda x: x[0], None) == items
    assert stratified_sample(items, lambda x: x[0], 500) == items
    # 3/3/2 into 4: floors 1/1/1, the spare seat goes to a tied largest remainder, deterministically
    small = stratified_sample(list("SSSRRRNN"), lambda x: x, 4)
    assert sorted(small) == sorted("SRRN")


# -- verify ---------------------------------------------------------------------------
def test_verify_pair_level_exact_with_fake_verifier():
    fake = FakeVerifier(FEVER_FAKE)
    r = run_eval("verify", FIX / "fever.jsonl", verifier_obj=fake)
    assert fake.warmed and len(fake.seen) == 8
    assert (r["task"], r["verifier"], r["level"], r["n"]) == ("verify", "fake", "pair", 8)
    assert r["label_accuracy"] == 5 / 8
    assert r["macro_f1"] == pytest.approx(11 / 18)
    assert r["f1_supported"] == pytest.approx(2 / 3) and r["f1_refuted"] == pytest.approx(2 / 3)
    assert r["f1_not_enough_evidence"] == 0.5
    assert "f1_conflicting" not in r
    assert r["labels"] == ["supported", "refuted", "not_enough_evidence"]
    assert r["confusion"] == {
        "supported": {"supported": 2, "refuted": 0, "not_enough_evidence": 1},
        "refuted": {"supported": 1, "refuted": 2, "not_enough_evidence": 0},
        "not_enough_evidence": {"supported": 0, "refuted": 1, "not_enough_evidence": 1}}
    # confidences 0.9 .7 .6 .8 .6 .9 .8 .7, correct ✓✓x✓x✓✓x
    assert r["ece"] == pytest.approx(2 / 8 * (0.6 + 0.2 + 0.2 + 0.1))
    assert r["pairs"] == 8 and r["pairs_per_second"] > 0


def test_verify_limit_takes_a_stratified_sample():
    r = run_eval("verify", FIX / "fever.jsonl", limit=4, verifier_obj=FakeVerifier(FEVER_FAKE))
    assert r["n"] == 4 and r["n_total"] == 8
    gold_counts = {g: sum(row.values()) for g, row in r["confusion"].items()}
    assert gold_counts == {"supported": 1, "refuted": 2, "not_enough_evidence": 1}
    again = run_eval("verify", FIX / "fever.jsonl", limit=4, verifier_obj=FakeVerifier(FEVER_FAKE))
    assert again["confusion"] == r["confusion"]


def test_verify_claim_level_aggregates_with_verdict_for():
    fake = FakeVerifier({
        "After renovation the museum reopened to visitors in May.": ("supports", 0.85),
        "The festival went ahead as planned and drew record crowds.": ("refutes", 0.9),
        "The mayor gave a speech in two languages.": ("supports", 0.6),  # above 0.55: a wrong "supported"
    })
    r = run_eval("verify", FIX / "claim_level.jsonl", verifier_obj=fake)
    assert r["level"] == "claim" and r["pairs"] == 6 and r["n"] == 3
    assert r["label_accuracy"] == pytest.approx(2 / 3)
    assert r["confusion"]["not_enough_evidence"]["supported"] == 1
    # supported: P 1/2 R 1 -> 2/3; refuted 1; nee 0 -> macro 5/9
    assert r["macro_f1"] == pytest.approx(5 / 9)
    # forcing pair level joins the units: the fake knows no joined text, so all neutral
    p = run_eval("verify", FIX / "claim_level.jsonl", verifier_obj=fake, level="pair")
    assert p["level"] == "pair" and p["pairs"] == 3 and p["label_accuracy"] == pytest.approx(1 / 3)


def test_verify_averitec_can_predict_conflicting():
    ave = read_verify(FIX / "averitec.json")
    units = [e.evidence for e in ave.examples]
    fake = FakeVerifier({units[0][0]: ("supports", 0.9), units[1][0]: ("refutes", 0.8),
                         units[2][0]: ("supports", 0.8), units[2][1]: ("refutes", 0.75)})
    r = run_eval("verify", FIX / "averitec.json", verifier_obj=fake)
    assert r["format"] == "averitec-json" and r["label_accuracy"] == 1.0 and r["f1_conflicting"] == 1.0
    assert r["label_mapping"]["Conflicting Evidence/Cherrypicking"] == "conflicting"


@pytest.mark.parametrize("name", ["fever.jsonl", "nli.jsonl", "averitec.json", "claim_level.jsonl"])
def test_verify_end_to_end_with_the_baseline(name):
    r = run_eval("verify", FIX / name, verifier="baseline")
    assert r["verifier"] == "baseline" and r["n"] == len(read_verify(FIX / name).examples)
    assert 0 <= r["label_accuracy"] <= 1 and 0 <= r["ece"] <= 1 and 0 <= r["macro_f1"] <= 1
    assert sum(sum(row.values()) for row in r["confusion"].values()) == r["n"]
    json.dumps(r)  # plain data only


def test_baseline_gets_the_easy_fever_rows_right():
    r = run_eval("verify", FIX / "fever.jsonl", verifier="baseline")
    assert r["confusion"]["supported"]["supported"] >= 1
    assert r["confusion"]["refuted"]["refuted"] >= 1


# -- checkworthy ----------------------------------------------------------------------
CW_SCORES = {
    "We cut taxes for 95 percent of working families.": 0.9,
    "Unemployment fell to 4 percent last year.": 0.6,
    'The plant employed 2,000 people, "more than ever", in 2015.': 0.3,
    "Thank you for having me tonight.": 0.7,
    "I think we can do better.": 0.2,
    "Good evening, everyone.": 0.1,
    "Let me answer that question.": 0.4,
    "We need to come together.": 0.05,
}


def test_checkworthy_exact_with_fake_scorer():
    r = run_eval("checkworthy", FIX / "checkworthy.tsv", scorer_obj=FakeScorer(CW_SCORES))
    assert (r["n"], r["positives"], r["threshold"], r["scorer"]) == (8, 3, 0.5, "fake-scorer")
    assert r["precision"] == pytest.approx(2 / 3) and r["recall"] == pytest.approx(2 / 3)
    assert r["f1"] == pytest.approx(2 / 3) and r["accuracy"] == 0.75
    assert r["best_threshold"] == 0.3 and r["best_f1"] == pytest.approx(0.75)
    assert "tuned on this data" in r["best_threshold_note"]
    assert r["average_precision"] == pytest.approx(34 / 45)
    assert r["confusion"] == {"yes": {"yes": 2, "no": 1}, "no": {"yes": 1, "no": 4}}
    r = run_eval("checkworthy", FIX / "checkworthy.tsv", scorer_obj=FakeScorer(CW_SCORES), threshold=0.25)
    assert r["recall"] == 1.0 and r["threshold"] == 0.25
    r = run_eval("checkworthy", FIX / "checkworthy.tsv", scorer_obj=FakeScorer(CW_SCORES), limit=4)
    assert r["n"] == 4 and r["positives"] in (1, 2)


def test_checkworthy_folder_reports_mean_ap_over_files(tmp_path):
    rows = (FIX / "checkworthy.tsv").read_text(encoding="utf-8").splitlines()
    header, body = rows[0], rows[1:]
    by_id = {r.split("\t", 1)[0]: r for r in body}
    (tmp_path / "a.tsv").write_text("\n".join([header] + [by_id[i] for i in ("101", "102", "104", "105")]) + "\n")
    (tmp_path / "b.tsv").write_text("\n".join([header] + [by_id[i] for i in ("103", "106", "107", "108")]) + "\n")
    r = run_eval("checkworthy", tmp_path, scorer_obj=FakeScorer(CW_SCORES))
    assert r["n"] == 8 and r["files"] == 2
    assert r["average_precision"] == pytest.approx(34 / 45)  # pooled: unchanged
    # a: yes .9, no .7, yes .6 -> (1 + 2/3) / 2;  b: no .4, yes .3 -> 1/2;  mean 2/3
    assert r["map_over_files"] == pytest.approx(2 / 3)
    assert "map_over_files" not in run_eval("checkworthy", FIX / "checkworthy.tsv", scorer_obj=FakeScorer(CW_SCORES))


def test_checkworthy_with_the_registered_heuristic():
    try:
        available = "heuristic" in registry.names("checkworthiness")
    except Exception as exc:  # noqa: BLE001 - the scorer module is someone else's work in progress
        pytest.skip(f"check-worthiness scorers cannot be loaded: {exc}")
    if not available:
        pytest.skip("the heuristic check-worthiness scorer is not registered yet")
    r = run_eval("checkworthy", FIX / "checkworthy.tsv", scorer="heuristic")
    assert r["n"] == 8 and 0 <= r["f1"] <= 1


# -- open -----------------------------------------------------------------------------
OPEN_FAKE = {  # keyed by (claim, passage): other claims retrieve these passages too
    ("The Harbor Bridge opened in 1932.", "The Harbor Bridge was opened to traffic in March 1932."): ("supports", 0.9),
    ("The novel Grey Orchard was published in 2003.", "Grey Orchard is a novel first published in 1997."):
        ("refutes", 0.85),
}


def test_open_with_a_passages_jsonl_exact():
    r = run_eval("open", FIX / "open_claims.jsonl", corpus=FIX / "corpus.jsonl", verifier_obj=FakeVerifier(OPEN_FAKE),
                 embedder_obj=HashEmbedder())
    assert r["task"] == "open" and r["n"] == 4 and r["corpus_documents"] == 8
    # gold evidence for claims 11 and 12 is in the corpus, 13's is not; 14 is NEI (not counted)
    assert r["claims_with_gold_evidence"] == 3 and r["evidence_recall_at_5"] == pytest.approx(2 / 3)
    assert r["label_accuracy"] == 0.75
    assert r["confusion"]["supported"] == {"supported": 1, "refuted": 0, "not_enough_evidence": 1}
    assert r["macro_f1"] == pytest.approx(7 / 9)  # (2/3 + 1 + 2/3) / 3
    assert r["pairs"] == 4 * 5


def test_open_with_a_folder_and_the_baseline(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i, line in enumerate((FIX / "corpus.jsonl").read_text().splitlines()):
        rec = json.loads(line)
        (folder / f"{rec['id']}.txt").write_text(f"{rec['title']}\n\n{rec['text']}\n")
    r = run_eval("open", FIX / "open_claims.jsonl", corpus=folder, embedder_obj=HashEmbedder(), k=3,
                 verifier="baseline")
    assert r["corpus_documents"] == 8 and r["verifier"] == "baseline"
    assert r["evidence_recall_at_3"] == pytest.approx(2 / 3)
    assert r["confusion"]["supported"]["supported"] == 1  # the bridge claim, from retrieved evidence


def test_open_fever_pool_is_built_once_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = tmp_path / "fever"
    data.mkdir()
    shutil.copy(FIX / "fever.jsonl", data / "dev.jsonl")
    shutil.copy(FIX / "open_claims.jsonl", data / "train.jsonl")
    shutil.copy(FIX / "nli.jsonl", data / "nli.jsonl")  # not FEVER-shaped: left out of the pool
    first = run_eval("open", data / "dev.jsonl", verifier_obj=FakeVerifier({}), embedder_obj=HashEmbedder())
    assert first["corpus_cache_built"] is True and first["corpus"].startswith("pool of 8 evidence sentences")
    assert first["evidence_recall_at_5"] == 1.0  # every claim's gold evidence is in the pool
    assert len(list((tmp_path / "cache" / "factdesk" / "eval").glob("pool-*.db"))) == 1
    second = run_eval("open", data / "dev.jsonl", verifier_obj=FakeVerifier({}), embedder_obj=HashEmbedder())
    assert "corpus_cache_built" not in second and second["corpus_cache"] == first["corpus_cache"]
    assert second["evidence_recall_at_5"] == 1.0


def test_open_needs_a_corpus_for_non_fever_data():
    with pytest.raises(InputError, match="needs a corpus"):
        run_eval("open", FIX / "nli.jsonl", verifier_obj=FakeVerifier({}), embedder_obj=HashEmbedder())


def test_evidence_found_rules():
    assert evidence_found(["The bridge opened in 1932."], "Intro. The bridge opened in 1932! More.", "")
    assert evidence_found(["A long gold evidence text with two sentences. The second one."],
                          "The second one here is not.", "a long gold evidence text with two sentences the second one")
    assert not evidence_found(["The bridge opened in 1932."], "The bridge closed.", "The bridge closed.")


# -- errors, match, table -------------------------------------------------------------
def test_unknown_task_match_and_bad_limit():
    with pytest.raises(ConfigError, match="unknown evaluation task"):
        run_eval("summarise", FIX / "fever.jsonl")
    with pytest.raises(ConfigError, match="needs --reviews"):
        run_eval("match", FIX / "fever.jsonl")
    with pytest.raises(ConfigError, match="at least 1"):
        run_eval("verify", FIX / "fever.jsonl", limit=0)
    with pytest.raises(InputError, match="no such data file"):
        run_eval("verify", FIX / "nope.jsonl")


def test_format_table():
    r = run_eval("verify", FIX / "fever.jsonl", verifier_obj=FakeVerifier(FEVER_FAKE))
    text = format_table(r)
    lines = text.splitlines()
    assert lines[0].startswith("evaluation: verify") and "verifier=fake" in lines[0]
    acc = next(line for line in lines if line.startswith("label_accuracy"))
    assert acc.split() == ["label_accuracy", "0.6250"]
    assert "confusion (rows: gold, columns: predicted)" in text
    header = next(line for line in lines if line.startswith("gold \\ pred"))
    assert header.split()[3:] == ["supported", "refuted", "not_enough_evidence"]
    row = next(line for line in lines if line.startswith("refuted "))
    assert row.split() == ["refuted", "1", "2", "0"]
    assert "NOT ENOUGH INFO -> not_enough_evidence" in text
    assert all(line == line.rstrip() for line in lines)
    cw = format_table(run_eval("checkworthy", FIX / "checkworthy.tsv", scorer_obj=FakeScorer(CW_SCORES)))
    assert "best_f1 (threshold tuned on this data)" in cw


# -- real data (optional) -------------------------------------------------------------
@pytest.mark.data
def test_real_fever_dev_sample():
    try:
        path = resolve_data("fever/dev.jsonl")
    except InputError:
        pytest.skip("shared data not available")
    r = run_eval("verify", path, limit=40)
    assert r["n"] == 40 and r["format"] == "fever-jsonl"
    assert {g: sum(row.values()) for g, row in r["confusion"].items()}["supported"] == 20


def test_match_task_through_run_eval():
    match_fix = Path(__file__).parent / "fixtures" / "match"
    result = run_eval("match", match_fix / "eval_queries.jsonl", reviews=match_fix / "eval_records.jsonld")
    assert result["task"] == "match" and result["n"] > 0
    for key in ("map_at_5", "mrr", "matched_precision", "matched_recall", "false_match_rate"):
        assert 0.0 <= result[key] <= 1.0


def test_verify_judges_with_the_shipped_calibration_unless_raw(tmp_path):
    """A verifier with a shipped calibration is scored as `factdesk check` would judge: pairs too."""
    from factdesk.verify.calibration import load_calibration

    shipped = load_calibration("baseline")
    assert shipped is not None  # models/aggregation/baseline.json ships with the package
    fake = FakeVerifier(FEVER_FAKE)
    fake.name = "baseline"  # borrow the baseline's calibration
    r = run_eval("verify", FIX / "fever.jsonl", verifier_obj=fake)
    assert r["aggregation"]["source"] == "models/aggregation/baseline.json"
    assert r["aggregation"]["threshold"] == shipped.threshold
    # every fake pair's top stance clears the threshold and the others (<= 0.2) do not: same labels
    assert shipped.threshold > 0.2 and r["label_accuracy"] == 5 / 8
    raw = run_eval("verify", FIX / "fever.jsonl", verifier_obj=FakeVerifier(FEVER_FAKE), aggregation="raw")
    assert raw["aggregation"]["source"] == "raw" and raw["label_accuracy"] == 5 / 8
    # the calibrated confidences are the rescaled verdict confidences, not the raw stance probabilities
    assert r["ece"] != raw["ece"]
    # a threshold above every fake probability turns every pair into "not enough evidence"
    high = run_eval("verify", FIX / "fever.jsonl", verifier_obj=FakeVerifier(FEVER_FAKE), stance_threshold=0.95)
    assert high["aggregation"]["source"] == "raw, threshold 0.95"
    assert high["confusion"]["supported"] == {"supported": 0, "refuted": 0, "not_enough_evidence": 3}
    with pytest.raises(ConfigError):
        run_eval("verify", FIX / "fever.jsonl", verifier_obj=fake, aggregation="tuned")


def test_eval_defaults_to_the_verifier_check_uses_and_takes_data_as_an_option(tmp_path):
    from click.testing import CliRunner

    from factdesk.cli import cli
    from factdesk.pipeline import resolve_name

    runner = CliRunner()
    out = tmp_path / "r.json"
    res = runner.invoke(cli, ["eval", "verify", "--data", str(FIX / "fever.jsonl"), "--format", "json", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["verifier"] == resolve_name("verifier", "auto")
    res = runner.invoke(cli, ["eval", "verify", "--format", "json"])
    assert res.exit_code != 0 and "--data" in res.output
    res = runner.invoke(cli, ["eval", "verify", str(FIX / "fever.jsonl"), "--data", str(FIX / "nli.jsonl")])
    assert res.exit_code != 0 and "once" in res.output


def test_predictions_file_has_one_line_per_item_matching_the_metrics(tmp_path):
    out = tmp_path / "preds" / "cw.jsonl"
    r = run_eval("checkworthy", FIX / "checkworthy.tsv", scorer_obj=FakeScorer(CW_SCORES), predictions=out)
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert r["predictions"] == str(out) and "_items" not in r and len(rows) == r["n"] == 8
    assert {x["text"]: x["score"] for x in rows} == {t: pytest.approx(s) for t, s in CW_SCORES.items()}
    assert sum(x["gold"] == "yes" and x["predicted"] == "yes" for x in rows) == r["confusion"]["yes"]["yes"]

    out = tmp_path / "verify.jsonl"
    r = run_eval("verify", FIX / "fever.jsonl", verifier="baseline", predictions=out)
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == r["n"] and {"id", "claim", "gold", "predicted", "confidence", "why"} <= set(rows[0])
    assert sum(x["gold"] == x["predicted"] for x in rows) == pytest.approx(r["label_accuracy"] * r["n"])

    folder = tmp_path / "corpus"
    folder.mkdir()
    for line in (FIX / "corpus.jsonl").read_text().splitlines():
        rec = json.loads(line)
        (folder / f"{rec['id']}.txt").write_text(f"{rec['title']}\n\n{rec['text']}\n")
    out = tmp_path / "open.jsonl"
    r = run_eval("open", FIX / "open_claims.jsonl", corpus=folder, embedder_obj=HashEmbedder(), k=3,
                 verifier="baseline", predictions=out)
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == r["n"] and all(len(x["evidence"]) <= 3 for x in rows)
    retrieved = [x["gold_evidence_retrieved"] for x in rows if x["gold_evidence_retrieved"] is not None]
    assert sum(retrieved) / len(retrieved) == pytest.approx(r["evidence_recall_at_3"])

    # match writes a TREC run (qid Q0 docid rank score tag), one line per ranked record
    match_fix = Path(__file__).parent / "fixtures" / "match"
    r = run_eval("match", match_fix / "eval_queries.jsonl", reviews=match_fix / "eval_records.jsonld",
                 predictions=tmp_path / "m.run")
    run = [line.split("\t") for line in (tmp_path / "m.run").read_text().splitlines()]
    assert r["predictions_lines"] == len(run) > 0 and all(len(cols) == 6 and cols[1] == "Q0" for cols in run)


def test_predictions_path_that_cannot_be_written_fails_before_the_work(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    scorer = FakeScorer(CW_SCORES)
    with pytest.raises(ConfigError, match="cannot write predictions"):
        run_eval("checkworthy", FIX / "checkworthy.tsv", scorer_obj=scorer, predictions=blocker / "p.jsonl")
    with pytest.raises(ConfigError, match="it is a folder"):
        run_eval("checkworthy", FIX / "checkworthy.tsv", scorer_obj=scorer, predictions=tmp_path)
    assert blocker.read_text() == "x" and not list(tmp_path.glob(".*.tmp"))


def test_several_data_files_are_read_as_one_set(tmp_path):
    one = run_eval("verify", FIX / "fever.jsonl", verifier="baseline")
    two = run_eval("verify", FIX / "nli.jsonl", verifier="baseline")
    both = run_eval("verify", [FIX / "fever.jsonl", FIX / "nli.jsonl"], verifier="baseline",
                    predictions=tmp_path / "p.jsonl")
    assert both["n"] == one["n"] + two["n"]
    assert both["data"] == f"{FIX / 'fever.jsonl'}, {FIX / 'nli.jsonl'}"
    ids = [json.loads(x)["id"] for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert len(set(ids)) == len(ids) and {i.split(":")[0] for i in ids} == {"fever", "nli"}
    for label in ("supported", "refuted"):
        assert both["confusion"][label][label] == one["confusion"][label][label] + two["confusion"][label][label]
    with pytest.raises(InputError, match="mix pair-level and claim-level"):
        run_eval("verify", [FIX / "fever.jsonl", FIX / "claim_level.jsonl"], verifier="baseline")
    with pytest.raises(ConfigError):
        run_eval("verify", [], verifier="baseline")
