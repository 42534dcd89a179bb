"""The trained check-worthiness scorer: MiniLM sentence embedding + the heuristic's features + a small head.

For each sentence it builds one feature vector:

* the all-MiniLM-L6-v2 (int8 ONNX) sentence embedding, 384 values, unit length;
* the contribution of every named feature of :class:`~factdesk.claims.checkworthy.HeuristicCheckworthiness`
  (``explain()``: number, money, factual_verb, question, first_person_opinion, …; 0 when it did not fire)
  and the heuristic's logit;

standardises it with the training statistics and runs a logistic regression or a one-hidden-layer MLP
(``config.json`` says which) with two outputs, not-worthy / worthy.  The score is

    sigmoid((z_worthy - z_not) / temperature - logit_shift)

``temperature`` is fitted on a 10 % hold-out of the training data, so that
``sigmoid((z_worthy - z_not) / temperature)`` is a calibrated probability.  ``logit_shift`` is
``logit(threshold)``, where ``threshold`` is the decision threshold on that calibrated probability
chosen on the CheckThat! 2024 English dev half; subtracting it moves the chosen operating point to 0.5,
the pipeline's default cut-off (``settings.threshold``).  So ``score >= 0.5`` is exactly the tuned
decision, the ranking is unchanged, and :meth:`TrainedCheckworthiness.probabilities` gives the unshifted,
calibrated probability when that is wanted.

The weights live in ``factdesk/models/checkworthy/`` (``head.npz`` + ``config.json``), produced by
``python -m factdesk.train.checkworthy`` (see ``docs/models/checkworthy.md``).  The name ``trained`` is
registered only when those files exist, so a checkout without them falls back to the heuristic.

Example::

    s = TrainedCheckworthiness()
    s.warm_up()
    fact, opinion = s.score(["The dam opened in 1998 and cost $40 million.", "I think it is ugly."])
"""

from __future__ import annotations

import math
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.claims.checkworthy import HeuristicCheckworthiness, reporting_adjustment
from factdesk.claims.checkworthy import feature_names as rule_feature_names
from factdesk.errors import ConfigError
from factdesk.heads import EmbeddingHeadModel, SavedHead, head_files_present, model_dir
from factdesk.registry import available_when

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "checkworthy"
ENV_MODEL_DIR = "FACTDESK_CHECKWORTHY_DIR"
EMBED_DIM = 384
_HEURISTIC = HeuristicCheckworthiness()


def heuristic_feature_names() -> list[str]:
    """The heuristic's named features (in its own order) and its logit."""
    return [f"h_{name}" for name in rule_feature_names()] + ["h_logit"]


def heuristic_features(sentences: list[str], names: list[str]) -> np.ndarray:
    """One row per sentence: the heuristic contribution named by each ``h_*`` entry of ``names``.

    Names the current heuristic no longer produces read 0, so a model trained against an older
    heuristic still loads (its scores would drift; retrain when the heuristic changes).
    """
    out = np.zeros((len(sentences), len(names)), dtype=np.float32)
    col = {n: j for j, n in enumerate(names)}
    for i, s in enumerate(sentences):
        ex = _HEURISTIC.explain(s)
        for fname, value in ex["features"].items():  # type: ignore[union-attr]
            j = col.get(f"h_{fname}")
            if j is not None:
                out[i, j] = float(value)
        j = col.get("h_logit")
        if j is not None:
            out[i, j] = float(ex["logit"])  # type: ignore[arg-type]
    return out


def sentence_features(embeddings: np.ndarray, sentences: list[str], names: list[str]) -> np.ndarray:
    """The full feature matrix: embedding columns ``emb_*`` then the heuristic columns of ``names``."""
    emb = np.asarray(embeddings, dtype=np.float32).reshape(len(sentences), -1)
    h_names = [n for n in names if not n.startswith("emb_")]
    n_emb = len(names) - len(h_names)
    if emb.shape[1] != n_emb:
        raise ConfigError(f"check-worthiness model expects {n_emb}-d embeddings, the embedder gave {emb.shape[1]}")
    return np.concatenate([emb, heuristic_features(sentences, h_names)], axis=1)


def feature_names(dim: int = EMBED_DIM) -> list[str]:
    return [f"emb_{i}" for i in range(dim)] + heuristic_feature_names()


class Head(SavedHead):
    """The check-worthiness head: two-class logits turned into a temperature-scaled margin."""

    def __init__(self, arrays: dict[str, np.ndarray], config: dict[str, Any]) -> None:
        super().__init__(arrays, config)
        self.features = list(config["features"])
        self.logit_shift = float(config.get("logit_shift", 0.0))
        if len(self.mean) != len(self.features):
            raise ConfigError(f"check-worthiness head has {len(self.mean)} inputs but config.json names "
                              f"{len(self.features)} features", hint="retrain: factdesk train checkworthy")

    @classmethod
    def load(cls, model_dir: Path, **_: Any) -> Head:
        return super().load(model_dir, what="check-worthiness", train_command="factdesk train checkworthy")

    def margin(self, x: np.ndarray) -> np.ndarray:
        """Temperature-scaled log-odds of check-worthy (before the shift)."""
        logits = self.logits(x)
        return (logits[:, 1] - logits[:, 0]) / self.temperature


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def _model_dir(explicit: str | os.PathLike[str] | None) -> Path:
    return model_dir(explicit, ENV_MODEL_DIR, DEFAULT_MODEL_DIR)


def model_available(folder: str | os.PathLike[str] | None = None) -> bool:
    return head_files_present(_model_dir(folder))


class TrainedCheckworthiness(EmbeddingHeadModel):
    """Embedding + heuristic features + trained head; registered as ``trained`` when its files exist.

    ``embedder`` lets a caller share an already-loaded embedder (anything with
    ``embed(texts, batch_size=) -> (n, 384)`` unit rows, e.g. the retrieval one); otherwise the packaged
    MiniLM is loaded in :meth:`warm_up`.  ``__init__`` reads nothing.
    """

    name = "trained"
    head_class = Head

    def __init__(self, model_dir: str | os.PathLike[str] | None = None, embedder: Any = None, *,
                 threads: int = 2, batch_size: int = 32, **settings: object) -> None:
        self.model_dir = _model_dir(model_dir)
        self.threads = threads
        self.batch_size = max(1, int(batch_size))
        self.settings = settings
        self._embedder = embedder
        self._head: Head | None = None
        self._lock = threading.Lock()

    @property
    def config(self) -> dict[str, Any]:
        self.warm_up()
        assert self._head is not None
        return self._head.config

    @property
    def threshold(self) -> float:
        """The dev-chosen threshold on the calibrated probability (maps to a score of 0.5)."""
        return float(self.config.get("threshold", 0.5))

    def _margins(self, sentences: list[str]) -> np.ndarray:
        self.warm_up()
        assert self._head is not None
        vecs = np.asarray(self._embedder.embed(sentences, batch_size=self.batch_size), dtype=np.float32)
        return self._head.margin(sentence_features(vecs, sentences, self._head.features))

    def probabilities(self, sentences: list[str]) -> list[float]:
        """Calibrated probability of check-worthy (hold-out temperature), without the threshold shift."""
        sentences = list(sentences)
        if not sentences:
            return []
        return [float(p) for p in _sigmoid(self._margins(sentences))]

    def score(self, sentences: list[str]) -> list[float]:
        """Scores in [0, 1]; 0.5 is the dev-tuned decision threshold."""
        sentences = list(sentences)
        if not sentences:
            return []
        margins = self._margins(sentences)
        assert self._head is not None
        return [float(p) for p in _sigmoid(margins - self._head.logit_shift)]

    def explain(self, sentence: str) -> dict[str, object]:
        """The score, the calibrated probability and the heuristic features that fired (the head is not
        itself interpretable; the heuristic features are what it saw besides the embedding)."""
        [margin] = self._margins([sentence])
        assert self._head is not None
        h = _HEURISTIC.explain(sentence)
        return {"score": round(float(_sigmoid(margin - self._head.logit_shift)), 4),
                "probability": round(float(_sigmoid(margin)), 4),
                "threshold": round(self.threshold, 4),
                "heuristic_score": h["score"], "features": h["features"]}


def logit(p: float) -> float:
    p = min(max(float(p), 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


@available_when(model_available)
def make_trained(*, embedder: Any = None, **settings: object) -> TrainedCheckworthiness:
    """The trained scorer (entry point ``checkworthiness.trained``); settings: model_dir, threads, batch_size."""
    return TrainedCheckworthiness(embedder=embedder, **settings)  # type: ignore[arg-type]


class BlendedCheckworthiness:
    """The mean of the trained scorer and the transparent heuristic; the default when shipped.

    The trained head learned ClaimBuster's debate-style notion of check-worthiness: precise
    against opinion, but it misses plain local-news facts ("Construction began in 2021").
    The heuristic has the opposite bias.  Averaging the two keeps most of the trained model's
    precision and the heuristic's recall (figures in docs/models/checkworthy.md).  The weight is
    the plain 0.5, not a tuned value.
    """

    name = "trained+heuristic"

    def __init__(self, weight: float = 0.5, news: bool = True, **trained_settings: object) -> None:
        self.weight = weight
        self.news = news  # the news-reporting adjustment (checkworthy.reporting_adjustment)
        self.trained = TrainedCheckworthiness(**trained_settings)  # type: ignore[arg-type]
        self.heuristic = HeuristicCheckworthiness()

    def warm_up(self) -> None:
        self.trained.warm_up()
        self.heuristic.warm_up()

    def score(self, sentences: list[str]) -> list[float]:
        learned = self.trained.score(sentences)
        rules = self.heuristic.score(sentences)
        out = []
        for sentence, a, b in zip(sentences, learned, rules):
            p = min(max(self.weight * a + (1 - self.weight) * b, 1e-6), 1 - 1e-6)
            shift = sum(reporting_adjustment(sentence).values()) if self.news else 0.0
            out.append(1.0 / (1.0 + math.exp(-(math.log(p / (1 - p)) + shift))))
        return out


@available_when(model_available)
def make_blended(*, embedder: Any = None, **settings: object) -> BlendedCheckworthiness:
    """Mean of the trained scorer and the heuristic; settings: weight, and the trained scorer's."""
    return BlendedCheckworthiness(embedder=embedder, **settings)  # type: ignore[arg-type]
