"""The cross-encoder verifier: pair encoding, the --quick training path (needs torch), the shipped model."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from factdesk.verify.cross_encoder import SHIPPED_DIR, CrossEncoderVerifier, encode_pair, has_model

HAS_TORCH = all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers", "onnx"))
HAS_ORT = all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "tokenizers"))


def test_encode_pair_cuts_the_evidence_first() -> None:
    claim, evid = list(range(10, 20)), list(range(100, 200))
    ids, types = encode_pair(claim, evid, max_length=32, max_claim_tokens=16, cls_id=1, sep_id=2)
    assert len(ids) == len(types) == 32
    assert ids[:12] == [1, *claim, 2]  # the whole claim survives
    assert ids[-1] == 2 and ids[12:31] == evid[:19]
    assert types == [0] * 12 + [1] * 20


def test_encode_pair_caps_a_very_long_claim() -> None:
    ids, _ = encode_pair(list(range(100)), list(range(500, 600)), max_length=64, max_claim_tokens=24,
                         cls_id=1, sep_id=2)
    assert len(ids) == 64
    assert ids[25] == 2  # claim cut to its cap, the evidence gets the rest
    short, _ = encode_pair([5, 6], [7], max_length=64, max_claim_tokens=24, cls_id=1, sep_id=2)
    assert short == [1, 5, 6, 2, 7, 2]


def test_missing_model_folder_is_a_clear_error(tmp_path) -> None:
    from factdesk.errors import ConfigError

    v = CrossEncoderVerifier(model_dir=tmp_path)
    assert v.stances([]) == []
    with pytest.raises(ConfigError, match="model.onnx"):
        v.warm_up()


@pytest.mark.skipif(not (HAS_TORCH and HAS_ORT),
                    reason="the --quick training path needs the training extra (torch, transformers, onnx)")
def test_quick_training_exports_a_loadable_model(tmp_path) -> None:
    out = tmp_path / "ce"
    proc = subprocess.run([sys.executable, "-m", "factdesk.train.cross_encoder", "--quick", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["labels"] == ["supports", "refutes", "neutral"]
    assert cfg["scores"]["int8_fp32_agreement"] >= 0.8
    v = CrossEncoderVerifier(model_dir=out)
    v.warm_up()
    pairs = [("Ada opened the bridge in Oslo in 1990.", "The bridge in Oslo was opened by Ada in 1990."),
             ("x", ""), ("The mayor of Lima likes tunnels. " * 40, "The school in Pune was opened by Ben in 1970.")]
    results = v.stances(pairs)
    assert len(results) == 3
    for r in results:
        assert set(r.probabilities) == {"supports", "refutes", "neutral"}
        assert abs(sum(r.probabilities.values()) - 1.0) < 1e-4


@pytest.mark.skipif(not (HAS_ORT and has_model(SHIPPED_DIR)), reason="no shipped cross-encoder model in this tree")
def test_shipped_model_loads_without_torch_and_separates_stances() -> None:
    code = """
import sys, time
from factdesk.verify.cross_encoder import CrossEncoderVerifier, SHIPPED_DIR
v = CrossEncoderVerifier(model_dir=SHIPPED_DIR)
t = time.perf_counter(); v.warm_up(); load = time.perf_counter() - t
ev = "The Golden Gate Bridge opened to traffic in 1937 after four years of construction."
s, r = v.stances([("The Golden Gate Bridge opened in 1937.", ev), ("The Golden Gate Bridge opened in 1962.", ev)])
assert "torch" not in sys.modules, "torch was imported"
print(s.probabilities["supports"], r.probabilities["refutes"], s.stance.value, r.stance.value, load)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    p_sup, p_ref, s_stance, r_stance, load = proc.stdout.split()
    assert s_stance == "supports" and r_stance == "refutes"
    assert float(p_sup) > 0.5 and float(p_ref) > 0.5
    assert float(load) < 2.0


def _write_jsonl(path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _write_fever(root, sr_rows, n_nei: int = 300) -> list[dict]:
    """A toy FEVER train folder: the given SUPPORTS/REFUTES rows and ``n_nei`` retrieved-NEI rows (returned)."""
    nei = [{"claim": f"Lake {i} is deep.", "evidence": f"Lake {i} is popular with anglers.",
            "label": "NOT_ENOUGH_INFO"} for i in range(n_nei)]
    _write_jsonl(root / "fever" / "train.jsonl", sr_rows)
    _write_jsonl(root / "fever" / "train_nei_retrieved.jsonl", nei)
    return nei


def test_training_mix_adds_nli_and_keeps_the_holdout_apart(tmp_path) -> None:
    from factdesk.train import ce_data

    sup = [{"claim": f"Town {i} has a bridge built in {1900 + i}.", "evidence": f"The bridge of town {i} opened in "
            f"{1900 + i}.", "label": "SUPPORTS"} for i in range(300)]
    ref = [{"claim": f"City {i} is not in Chile.", "evidence": f"City {i} is in Chile.", "label": "REFUTES"}
           for i in range(300)]
    nei = _write_fever(tmp_path, sup + ref)
    _write_jsonl(tmp_path / "mnli-taxinli" / "all.jsonl",
                 [{"claim": f"h{i}", "evidence": f"p{i}", "label": "entailment"} for i in range(30)])
    _write_jsonl(tmp_path / "esnli" / "dev.jsonl",
                 [{"claim": f"eh{i}", "evidence": f"ep{i}", "label": "contradiction"} for i in range(100)])
    # an evaluation-only set lying beside them must never be read
    _write_jsonl(tmp_path / "averitec" / "dev.jsonl", [{"claim": "AVERITEC", "evidence": "x", "label": "SUPPORTS"}])

    plain, calib, summary = ce_data.build_mix(500, seed=3, root=tmp_path, holdout=50)
    # FEVER-derived shares fill 92 % of the mix; CAD-SNLI and SciFact (absent here) the rest
    assert 450 <= len(plain) <= 500 and len(calib) == 50
    assert "mnli" not in summary["sources"] and "esnli" not in summary["sources"]
    mixed, calib2, summary2 = ce_data.build_mix(500, seed=3, root=tmp_path, holdout=50, nli_share=0.1)
    assert len(mixed) == 500
    # 50 NLI pairs: all 30 MultiNLI first, the other 20 from e-SNLI
    assert summary2["sources"]["mnli"] == 30 and summary2["sources"]["esnli"] == 20
    assert ("h0", "p0", "supports") in mixed and any(lab == "refutes" and c.startswith("eh") for c, _, lab in mixed)
    assert not {(c, e) for c, e, _ in calib2} & {(c, e) for c, e, _ in mixed if not c.startswith(("h", "eh"))}
    assert all(c != "AVERITEC" for c, _, _ in plain + mixed + calib + calib2)
    qa, _, summary3 = ce_data.build_mix(500, seed=3, root=tmp_path, holdout=50, qa_share=0.2)
    rewritten = [(c, e, lab) for c, e, lab in qa if c.rstrip(".") in e and e != c]
    assert sum(n for src, n in summary3["sources"].items() if src.endswith("_qa")) == 100 == len(rewritten)
    # labels are kept, and the answer (the original evidence) follows the question
    originals = {(r["claim"], r["evidence"]): r["label"] for r in sup + ref + nei}
    names = {"SUPPORTS": "supports", "REFUTES": "refutes", "NOT_ENOUGH_INFO": "neutral"}
    for c, e, lab in rewritten:
        if (c, e.split("? ", 1)[-1].removeprefix("Answer: ")) in originals:
            assert names[originals[(c, e.split("? ", 1)[-1].removeprefix("Answer: "))]] == lab


def test_question_answer_evidence_restates_the_claim_then_answers() -> None:
    import random

    from factdesk.train.ce_data import as_question_answer

    out = as_question_answer("NASA launched Apollo 11 in 1969.", "Apollo 11 launched on July 16, 1969.",
                             random.Random(0))
    assert "NASA launched Apollo 11 in 1969?" in out and out.endswith("Apollo 11 launched on July 16, 1969.")


@pytest.mark.skipif(not (HAS_TORCH and HAS_ORT),
                    reason="the --quick training path needs the training extra (torch, transformers, onnx)")
def test_init_from_a_missing_checkpoint_fails_clearly(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "factdesk.train.cross_encoder", "--quick", "--out", str(tmp_path),
                           "--init-from", str(tmp_path / "nope.pt")], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "no checkpoint at" in proc.stderr


def test_window_spans_pack_whole_sentences_with_one_shared() -> None:
    from factdesk.verify.cross_encoder import window_spans

    # five sentences of 30 tokens: a 70-token budget holds two at a time, sharing one
    sentences = [(i * 30, i * 30 + 30) for i in range(5)]
    assert window_spans(sentences, 70, 32) == [(0, 60), (30, 90), (60, 120), (90, 150)]
    # a sentence longer than the budget is cut into pieces that each fit
    assert window_spans([(0, 10), (10, 160)], 64, 32) == [(0, 10), (10, 74), (74, 138), (138, 160)]
    assert window_spans(sentences, 70, 2) == [(0, 60), (30, 90)]
    assert window_spans([(0, 20)], 70, 32) == [(0, 20)]


@pytest.mark.skipif(not (HAS_ORT and has_model()), reason="needs onnxruntime and the shipped model")
def test_long_passage_is_read_where_it_is_about_the_claim() -> None:
    filler = " ".join(f"The harbour festival in year {y} drew crowds of visitors to the old quay and its market "
                      f"stalls, which sold fish, bread and painted pottery." for y in range(1990, 1996))
    fact = "The museum's new wing was designed by the architect Ilse Marten and opened in 2011."
    passage = filler + " " + fact
    v = CrossEncoderVerifier()
    v.warm_up()
    assert v._encoder is not None
    claim = "The museum's new wing was designed by Ilse Marten."
    [((ids, _types), span, n)] = v._encoder.encode_focused([(claim, passage)])
    assert n > 2 and span is not None
    assert fact in passage[span[0]:span[1]]          # the window read holds the fact, far past the head
    [(head_ids, _)] = v._encoder.encode([(claim, passage)])
    assert ids != head_ids
    [read] = v.stances([(claim, passage)])
    [head] = CrossEncoderVerifier(windows=False).stances([(claim, passage)])
    assert read.stance.value == "supports" and read.probabilities["supports"] > head.probabilities["supports"]
    assert "Ilse Marten" in read.reasons[0] and read.key_sentence == fact
    assert head.key_sentence is None
    # a short passage is read whole, exactly as before
    [((short_ids, _), short_span, one)] = v._encoder.encode_focused([(claim, fact)])
    assert short_span is None and one == 1 and short_ids == v._encoder.encode([(claim, fact)])[0][0]


def test_dropping_the_key_sentence_leaves_related_but_silent_evidence() -> None:
    from factdesk.train.ce_data import drop_key_sentence

    claim = "The Arlen Bridge opened to traffic in 1931."
    evidence = ("The Arlen Bridge opened to traffic in 1931 after four years of work. "
                "It crosses the river Arl near the old mill of the town.")
    assert drop_key_sentence(claim, evidence) == "It crosses the river Arl near the old mill of the town."
    # the claim's number still in what is left: it could still decide, so no pair
    assert drop_key_sentence(claim, "The Arlen Bridge opened to traffic in 1931 after work. By 1931 cars used it.") is None
    assert drop_key_sentence(claim, "The Arlen Bridge opened to traffic in 1931 after work. By 1935 the cars used it.") \
        == "By 1935 the cars used it."
    # no single sentence clearly carries the claim, or one sentence only: no pair
    assert drop_key_sentence(claim, "The Arlen Bridge is long. The Arlen Bridge is old.") is None
    assert drop_key_sentence(claim, "The Arlen Bridge opened to traffic in 1931.") is None
    # nothing related left: that would be an 'unrelated' pair, which the mix makes elsewhere
    assert drop_key_sentence(claim, "The Arlen Bridge opened to traffic in 1931. Cats sleep a lot.") is None


def test_training_mix_drop_share_makes_neutral_pairs_from_unused_rows(tmp_path) -> None:
    from factdesk.train import ce_data

    sup = [{"claim": f"The Hollin tower {i} was finished in {1800 + i}.",
            "evidence": f"The Hollin tower {i} was finished in {1800 + i} by masons. It stands above the "
                        f"harbour of Hollin on a hill.", "label": "SUPPORTS"} for i in range(400)]
    _write_fever(tmp_path, sup)
    train, calib, summary = ce_data.build_mix(300, seed=4, root=tmp_path, holdout=30, drop_share=0.1)
    dropped = [(c, e, lab) for c, e, lab in train if e.startswith("It stands above")]
    assert summary["sources"]["synth_dropped"] == 30 == len(dropped)
    assert {lab for _, _, lab in dropped} == {"neutral"}
    # made from rows that are in the mix nowhere else
    assert not {c for c, _, _ in dropped} & {c for c, e, _ in train + calib if not e.startswith("It stands above")}


def test_paraphrase_share_keeps_labels_and_picks_low_overlap_evidence(tmp_path) -> None:
    from factdesk.train import ce_data

    # claim words: the, tower, was, finished, 1820 -> one of five shared
    assert ce_data.word_coverage("The tower was finished in 1820.", "Masons completed it in 1820.") == 0.2
    assert ce_data.word_coverage("", "anything") == 1.0
    close = [{"claim": f"The Hollin tower {i} was finished in {1800 + i}.",
              "evidence": f"The Hollin tower {i} was finished in {1800 + i} by masons.", "label": "SUPPORTS"}
             for i in range(300)]
    far = [{"claim": f"Brenna {i} never married.", "evidence": f"Her husband, met in {1900 + i}, was a baker.",
            "label": "REFUTES"} for i in range(300)]
    _write_fever(tmp_path, close + far)
    train, calib, summary = ce_data.build_mix(300, seed=5, root=tmp_path, holdout=30, paraphrase_share=0.1)
    assert summary["sources"]["fever_paraphrase"] == 30
    plain, _, _ = ce_data.build_mix(300, seed=5, root=tmp_path, holdout=30)
    own = {(r["claim"], r["evidence"]) for r in far}
    picked = [(c, e, lab) for c, e, lab in train if (c, e) in own]
    # the added pairs are low-overlap ones (the close rows cover every claim word), from rows not
    # otherwise in the mix (no claim twice), labels kept
    assert len(picked) > len([c for c, e, _ in plain if (c, e) in own]) + 10
    assert len({c for c, _, _ in picked}) == len(picked)
    assert all(lab == "refutes" for _, _, lab in picked)


def test_precision_auto_picks_bf16_only_where_the_cpu_has_it() -> None:
    from factdesk.train.cross_encoder import cpu_has_bf16, resolve_precision

    zen5 = "flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni"
    sapphire = "flags\t\t: fpu avx512f amx_bf16 amx_tile amx_int8"
    older = "flags\t\t: fpu sse2 avx2 fma avx512f avx512_vnni"
    assert cpu_has_bf16(zen5) and cpu_has_bf16(sapphire)
    assert not cpu_has_bf16(older) and not cpu_has_bf16("")
    # a flag's name inside another word is not the flag
    assert not cpu_has_bf16("flags : no_avx512_bf16_here")
    assert resolve_precision("fp32") == "fp32" and resolve_precision("bf16") == "bf16"
    assert resolve_precision("auto") == ("bf16" if cpu_has_bf16() else "fp32")


@pytest.mark.skipif(not (HAS_TORCH and HAS_ORT),
                    reason="the --quick training path needs the training extra (torch, transformers, onnx)")
def test_quick_training_in_bf16_exports_an_fp32_then_int8_model(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "factdesk.train.cross_encoder", "--quick", "--precision", "bf16",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["training"]["precision"] == "bf16"
    # the export is traced in fp32 after training: ONNX fp32 and torch agree, and int8 mostly agrees
    assert cfg["scores"]["onnx_torch_max_abs_diff"] < 1e-3
    assert cfg["scores"]["int8_fp32_agreement"] >= 0.8


def test_distractor_is_the_nearest_sentence_outside_the_claims_own_evidence() -> None:
    from factdesk.train.ce_data import DistractorIndex

    filler = [f"The village of Norbek {i} holds a market every week in the summer months." for i in range(200)]
    shane = "Shane Black is an American screenwriter who was born on December 16, 1961."
    jack = "Thomas Jacob Black, known as Jack Black, is an American actor and musician."
    jack_born = "Jack Black was born in Santa Monica, California, in 1961."
    idx = DistractorIndex(filler + [shane + " He directed the film Iron Man 3.", jack, jack_born])
    claim = "Shane Black was born in 1961."
    # its own evidence is never the distractor, and a sentence with the claim's year could settle
    # it, so the other Black without the year is chosen
    assert idx.find(claim, shane) == jack
    # a claim none of whose indexed words is rare enough has no distractor
    assert idx.find("The market every week.", "x") is None
    # a sentence sharing more than three quarters of the claim's words is skipped for the next one
    assert idx.find("Jack Black is an actor.", "Nothing here.") == jack_born


def test_build_mix_distractor_share_makes_neutral_pairs_from_unused_claims(tmp_path) -> None:
    from factdesk.train import ce_data

    # two rows share each writer's name: each is the other's nearest sentence outside its own evidence
    sup = [{"claim": f"Lind{i // 2} wrote Harbour{i}.", "evidence": f"Lind{i // 2} wrote Harbour{i}. "
            f"Lind{i // 2} lived in Town{i}.", "label": "SUPPORTS"} for i in range(400)]
    ref = [{"claim": f"Orvik{i} is not in Chile.", "evidence": f"Orvik{i} is a port in Chile.",
            "label": "REFUTES"} for i in range(200)]
    _write_fever(tmp_path, sup + ref, n_nei=200)
    mix, calib, summary = ce_data.build_mix(300, seed=5, root=tmp_path, holdout=30, distractor_share=0.1)
    assert summary["sources"]["synth_distractor"] == 30
    own = {r["claim"]: r["evidence"] for r in sup + ref}
    # (the mix's "unrelated" pairs give a claim another row's whole evidence; a distractor is one sentence)
    whole = set(own.values())
    distractors = [(c, e) for c, e, lab in mix if lab == "neutral" and c in own and e not in whole]
    assert len(distractors) == 30
    for c, e in distractors:
        assert e not in own[c] and c.split()[0] in e     # the same name, never its own evidence
    others = {c for c, _, lab in mix if lab != "neutral"} | {c for c, _, _ in calib}
    assert not {c for c, _ in distractors} & others      # made from claims not otherwise used


@pytest.mark.skipif(not has_model(), reason="shipped cross-encoder model missing")
def test_a_pairs_stance_does_not_depend_on_the_pairs_judged_with_it() -> None:
    """The int8 model scales activations over the whole batch; the default (one pair a call) keeps each pair's
    logits its own, bit for bit, whatever else is judged with it."""
    pair = ("The Harbor Creek dam holds 35 million cubic metres of water.",
            "A 2024 review found the Harbor Creek dam reservoir holds only 35 million cubic metres of water.")
    others = [("Unemployment fell to 4 percent.", "word " * 90),
              ("The council met on Tuesday.", "The council, which meets monthly, approved 1,234,567 dollars "
                                               "for roads, bridges and 98 kilometres of cycle lanes in 2023.")]
    verifier = CrossEncoderVerifier()
    assert verifier.batch_size == 1
    alone = verifier.logits([pair])[0]
    together = verifier.logits([others[0], pair, others[1]])[1]
    assert (alone == together).all()
    batched = CrossEncoderVerifier(batch_size=32)  # the faster setting still works, partners and all
    assert batched.logits([others[0], pair, others[1]]).shape == (3, 3)
