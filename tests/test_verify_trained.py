"""The trained verifier: the --quick training path end to end, and the shipped model."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from factdesk import registry
from factdesk.train import synth
from factdesk.train.verifier import main as train_main
from factdesk.verify.pair_head import LABELS, TrainedVerifier, model_available


@pytest.fixture(scope="module")
def quick_model(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("verifier")
    assert train_main(["--quick", "--out", str(out), "--cache", str(out / "cache")]) == 0
    return out


def test_quick_training_writes_small_files(quick_model) -> None:
    cfg = json.loads((quick_model / "config.json").read_text())
    assert cfg["labels"] == list(LABELS)
    assert cfg["head"]["kind"] in ("mlp", "logreg")
    assert 0.05 < cfg["temperature"] < 20
    assert len(cfg["features"]) == 768 + len(cfg["lexical_features"])
    assert (quick_model / "head.npz").stat().st_size < 5_000_000
    with np.load(quick_model / "head.npz") as z:
        assert all(z[k].dtype == np.float32 for k in z.files)


def test_quick_model_beats_chance_on_its_task(quick_model) -> None:
    v = TrainedVerifier(model_dir=quick_model)
    v.warm_up()
    held_out = synth.quick_task(150, seed=7)  # a different draw than the training one
    results = v.stances([(c, p) for c, p, _ in held_out])
    acc = np.mean([r.stance.value == lab for r, (_, _, lab) in zip(results, held_out)])
    assert acc > 0.6, acc  # chance is about 0.33
    for r in results:
        assert abs(sum(r.probabilities.values()) - 1.0) < 1e-3
        assert r.reasons


def test_empty_input(quick_model) -> None:
    assert TrainedVerifier(model_dir=quick_model).stances([]) == []


def test_mutations_change_the_claim() -> None:
    rng = random.Random(0)
    assert synth.swap_number("The bridge opened in 1998.", rng) != "The bridge opened in 1998."
    assert synth.insert_negation("Paris is the capital of France.", rng) == "Paris is not the capital of France."
    assert "fell" in (synth.swap_antonym("Prices rose last year.", rng) or "")
    assert synth.swap_number("No digits here.", rng) is None


def test_registered_only_with_model_files() -> None:
    assert ("trained" in registry.names("verifier")) == model_available()


@pytest.mark.skipif(not model_available(), reason="no shipped verifier model in this checkout")
def test_shipped_model_loads_and_sums_to_one() -> None:
    v = registry.create("verifier", "trained")
    v.warm_up()
    pairs = [("The dam opened in 1998.", "The dam opened in 2001 after years of delays."),
             ("The dam opened in 2001.", "The dam opened in 2001 after years of delays."),
             ("The mayor banned cars downtown.", "Migratory birds return to the wetlands every spring.")]
    results = v.stances(pairs)
    assert len(results) == 3
    for r in results:
        assert set(r.probabilities) == set(LABELS)
        assert abs(sum(r.probabilities.values()) - 1.0) < 1e-3
    assert results[2].stance.value == "neutral"
