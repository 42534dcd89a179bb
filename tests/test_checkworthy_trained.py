"""The trained check-worthiness scorer: the --quick training path end to end, and the shipped model."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from factdesk import registry
from factdesk.claims.checkworthy import CheckworthinessScorer
from factdesk.claims.checkworthy_head import TrainedCheckworthiness, feature_names, model_available
from factdesk.errors import ConfigError
from factdesk.train.checkworthy import main as train_main
from factdesk.train.checkworthy import quick_task

FACT = "The city council approved a $40 million budget for the new bridge in 2019."
OPINION = "I think this is a wonderful night for all of us."


@pytest.fixture(scope="module")
def shared_embedder():
    from factdesk.retrieve.embed import OnnxMiniLMEmbedder

    emb = OnnxMiniLMEmbedder(threads=1)
    emb.warm_up()
    return emb


@pytest.fixture(scope="module")
def quick_model(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("checkworthy")
    assert train_main(["--quick", "--out", str(out), "--cache", str(out / "cache"), "--threads", "1"]) == 0
    return out


def test_quick_training_writes_small_complete_files(quick_model) -> None:
    cfg = json.loads((quick_model / "config.json").read_text())
    assert cfg["features"] == feature_names()
    assert cfg["head"]["kind"] in ("mlp", "logreg")
    assert 0.05 < cfg["temperature"] < 20
    assert 0.0 < cfg["threshold"] < 1.0
    assert math.isclose(cfg["logit_shift"], math.log(cfg["threshold"] / (1 - cfg["threshold"])), rel_tol=1e-6)
    assert "threshold_choice" in cfg["training"]
    assert (quick_model / "head.npz").stat().st_size < 2_000_000
    with np.load(quick_model / "head.npz") as z:
        assert all(z[k].dtype == np.float32 for k in z.files)
        assert len(z["mean"]) == len(cfg["features"])


def test_quick_model_loads_back_and_learns_its_task(quick_model, shared_embedder) -> None:
    s = TrainedCheckworthiness(model_dir=quick_model, embedder=shared_embedder)
    assert isinstance(s, CheckworthinessScorer)
    held_out = quick_task(60, seed=99)  # a different draw than training and threshold choice
    scores = s.score([t for t, _ in held_out])
    assert len(scores) == len(held_out) and all(0.0 <= x <= 1.0 for x in scores)
    acc = np.mean([(x >= 0.5) == lab for x, (_, lab) in zip(scores, held_out)])
    assert acc > 0.85
    assert s.score([]) == []


def test_shift_maps_threshold_to_one_half(quick_model, shared_embedder) -> None:
    s = TrainedCheckworthiness(model_dir=quick_model, embedder=shared_embedder)
    texts = [t for t, _ in quick_task(30, seed=5)]
    probs, scores = s.probabilities(texts), s.score(texts)
    t = s.threshold
    for p, x in zip(probs, scores):
        assert (p >= t) == (x >= 0.5) or abs(p - t) < 1e-5
    order = np.argsort(probs, kind="stable")
    assert np.all(np.diff(np.asarray(scores)[order]) >= -1e-6)  # a monotone shift: the same ranking


def test_missing_files_fail_clearly(tmp_path) -> None:
    s = TrainedCheckworthiness(model_dir=tmp_path)  # light init: nothing read yet
    with pytest.raises(ConfigError):
        s.warm_up()


@pytest.mark.skipif(not model_available(), reason="no shipped check-worthiness model")
def test_shipped_model_is_registered_and_ranks_fact_above_opinion(shared_embedder) -> None:
    assert "trained" in registry.names("checkworthiness")
    s = registry.create("checkworthiness", "trained", embedder=shared_embedder)
    s.warm_up()
    fact, opinion = s.score([FACT, OPINION])
    assert fact > opinion
    assert fact >= 0.5 > opinion
    ex = s.explain(FACT)
    assert ex["score"] >= 0.5 and "number" in ex["features"]
    cfg = s.config
    assert cfg["head"]["kind"] in ("mlp", "logreg") and 0.0 < cfg["threshold"] < 1.0


def test_blended_scorer_is_the_mean_and_the_auto_default():
    from factdesk import registry
    from factdesk.pipeline import resolve_name

    if "trained+heuristic" not in registry.names("checkworthiness"):
        pytest.skip("the trained check-worthiness model is not shipped in this checkout")
    assert resolve_name("checkworthiness", "auto") == "trained+heuristic"
    blend = registry.create("checkworthiness", "trained+heuristic")
    blend.warm_up()
    sentences = ["The council approved a $1.45 billion budget in June 2021.", "I think this is all very sad."]
    mixed = blend.score(sentences)
    learned, rules = blend.trained.score(sentences), blend.heuristic.score(sentences)
    for m, a, b in zip(mixed, learned, rules):
        assert m == pytest.approx((a + b) / 2)
    assert mixed[0] > 0.5 > mixed[1]
