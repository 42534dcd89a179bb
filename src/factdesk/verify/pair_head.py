"""The trained verifier: frozen sentence embeddings + mismatch flags + a small head.

For each (claim, passage) pair it builds one feature vector:

* ``u*v`` and ``|u-v|`` of the all-MiniLM-L6-v2 (int8 ONNX) embeddings of the
  claim ``u`` and the passage ``v`` (768 values), plus their cosine;
* the baseline's transparent signals (:mod:`factdesk.verify.baseline`):
  content-word coverage, numbers of each kind present / agreeing / differing,
  negation on one side only, an antonym across the pair, capitalised names in
  the claim that the passage lacks, lengths, and the baseline's own
  probabilities;

standardises it with the training statistics and runs a one-hidden-layer MLP
(or a multinomial logistic regression; ``config.json`` says which) with a
temperature-scaled softmax over supports / refutes / neutral.

The weights live in ``factdesk/models/verifier/`` (``head.npz`` + ``config.json``);
they are produced by ``python -m factdesk.train.verifier`` (see
``docs/models/verifier.md``).  The name ``trained`` is registered only when
those files exist, so a checkout without them falls back to the baseline.

Example::

    v = TrainedVerifier()
    v.warm_up()
    [r] = v.stances([("The dam opened in 1998.", "The dam opened in 2001.")])
    r.stance, r.probabilities
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.heads import EmbeddingHeadModel, SavedHead, head_files_present, model_dir
from factdesk.registry import available_when
from factdesk.verify.base import StanceResult
from factdesk.text.words import ANTONYM_MAP, WORD, content_words, negation_count, numbers
from factdesk.verify.baseline import BaselineVerifier

LABELS = ("supports", "refutes", "neutral")
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "verifier"
ENV_MODEL_DIR = "FACTDESK_VERIFIER_DIR"
NUMBER_KINDS = ("money", "percent", "year", "count")

LEXICAL_FEATURES = (
    ["cosine", "coverage", "uncovered_words_log", "claim_words_log", "passage_words_log",
     "new_names", "new_names_frac", "claim_names"]
    + [f"{k}_{what}" for k in NUMBER_KINDS for what in ("in_claim", "agree", "differ")]
    + ["numbers_agree", "number_absent_from_passage", "claim_negated", "passage_negated",
       "negation_one_side", "antonym", "baseline_supports", "baseline_refutes"]
)
_BASELINE = BaselineVerifier()
_CAP = re.compile(r"\b[A-Z][\w'’-]*")


def lexical_features(claim: str, passage: str, cosine: float) -> list[float]:
    """The transparent part of the feature vector, in :data:`LEXICAL_FEATURES` order."""
    cw, pw = content_words(claim), content_words(passage)
    coverage = len(cw & pw) / len(cw) if cw else 0.0
    claim_words = WORD.findall(claim)
    passage_words = WORD.findall(passage)
    passage_lower = {w.lower() for w in passage_words}
    # capitalised words after the first word: names, places, titles
    names = {m.group(0).lower() for m in _CAP.finditer(claim) if m.start() > 0}
    names = {n for n in names if n not in _STOP_CAPS}
    new_names = {n for n in names if n not in passage_lower and n.rstrip("'s’") not in passage_lower}
    cn, pn = numbers(claim), numbers(passage)
    num_feats: list[float] = []
    any_agree = 0.0
    absent = 0.0
    for kind in NUMBER_KINDS:
        has = 1.0 if cn[kind] else 0.0
        agree = 1.0 if cn[kind] & pn[kind] else 0.0
        differ = 0.0
        if cn[kind] and pn[kind] and not cn[kind] <= pn[kind]:
            tol = 0.005 if kind in ("money", "percent") else 0.0
            if not all(any(abs(a - b) <= tol * max(abs(a), 1) for b in pn[kind]) for a in cn[kind]):
                differ = 1.0
        if cn[kind] and not pn[kind]:
            absent = 1.0
        any_agree = max(any_agree, agree)
        num_feats += [has, agree, differ]
    neg_c, neg_p = negation_count(claim) > 0, negation_count(passage) > 0
    claim_lower = {w.lower() for w in claim_words}
    antonym = 0.0
    for w in claim_lower:
        if w not in passage_lower and ANTONYM_MAP.get(w, set()) & passage_lower:
            antonym = 1.0
            break
    base = _BASELINE._judge(claim, passage).probabilities
    return ([cosine, coverage, math.log1p(len(cw - pw)), math.log1p(len(claim_words)),
             math.log1p(len(passage_words)), float(len(new_names)), len(new_names) / max(1, len(names)),
             float(len(names))]
            + num_feats
            + [any_agree, absent, float(neg_c), float(neg_p), float(neg_c != neg_p), antonym,
               float(base["supports"]), float(base["refutes"])])


_STOP_CAPS = frozenset({"the", "a", "an", "in", "on", "it", "he", "she", "they", "this", "that", "i", "there",
                        "and", "of", "for", "by", "is", "was"})


def pair_features(u: np.ndarray, v: np.ndarray, claims: list[str], passages: list[str]) -> np.ndarray:
    """Feature matrix for pairs whose claim / passage embeddings are rows of ``u`` / ``v``."""
    cos = np.einsum("ij,ij->i", u, v)
    lex = np.asarray([lexical_features(c, p, float(s)) for c, p, s in zip(claims, passages, cos)],
                     dtype=np.float32).reshape(len(claims), len(LEXICAL_FEATURES))
    return np.concatenate([u * v, np.abs(u - v), lex], axis=1).astype(np.float32)


def feature_names(dim: int = 384) -> list[str]:
    return [f"uv_{i}" for i in range(dim)] + [f"absdiff_{i}" for i in range(dim)] + list(LEXICAL_FEATURES)


class Head(SavedHead):
    """The verifier head: three-class probabilities with temperature scaling."""

    @classmethod
    def load(cls, model_dir: Path, **_: Any) -> Head:
        return super().load(model_dir, what="verifier", train_command="factdesk train verifier-head")

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        logits = self.logits(x) / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)


def _model_dir(explicit: str | os.PathLike[str] | None) -> Path:
    return model_dir(explicit, ENV_MODEL_DIR, DEFAULT_MODEL_DIR)


def model_available(folder: str | os.PathLike[str] | None = None) -> bool:
    return head_files_present(_model_dir(folder))


class TrainedVerifier(EmbeddingHeadModel):
    """Embeddings + mismatch flags + trained head. Registered as ``trained`` when its files exist.

    ``embedder`` lets a caller share an already-loaded embedder (anything with
    ``embed(texts) -> (n, 384)`` unit rows); otherwise the packaged MiniLM is
    loaded in :meth:`warm_up`.  ``cache_size`` bounds an in-memory cache of text
    embeddings (the same claim is judged against many passages, the same
    passage against many claims); 0 turns it off.
    """

    name = "trained"
    head_class = Head

    def __init__(self, model_dir: str | os.PathLike[str] | None = None, *, embedder: Any = None,
                 threads: int = 2, batch_size: int = 32, cache_size: int = 4096, reasons: bool = True) -> None:
        self.model_dir = _model_dir(model_dir)
        self.threads = threads
        self.batch_size = batch_size
        self.cache_size = max(0, int(cache_size))
        self.reasons = reasons
        self._embedder = embedder
        self._head: Head | None = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def config(self) -> dict[str, Any]:
        self.warm_up()
        assert self._head is not None
        return self._head.config

    def _embed(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Embeddings of the distinct ``texts``, from the cache where possible."""
        out: dict[str, np.ndarray] = {}
        todo = []
        for t in dict.fromkeys(texts):
            hit = self._cache.get(t) if self.cache_size else None
            if hit is not None:
                self._cache.move_to_end(t)
                out[t] = hit
            else:
                todo.append(t)
        if todo:
            vecs = np.asarray(self._embedder.embed(todo, batch_size=self.batch_size), dtype=np.float32)
            for t, vec in zip(todo, vecs):
                out[t] = vec
                if self.cache_size:
                    self._cache[t] = vec
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return out

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """(n, 3) probabilities in :data:`LABELS` order."""
        self.warm_up()
        assert self._head is not None
        if not pairs:
            return np.zeros((0, 3), dtype=np.float32)
        claims = [c for c, _ in pairs]
        passages = [p for _, p in pairs]
        emb = self._embed(claims + passages)
        u = np.stack([emb[c] for c in claims])
        v = np.stack([emb[p] for p in passages])
        return self._head.probabilities(pair_features(u, v, claims, passages))

    def stances(self, pairs: list[tuple[str, str]]) -> list[StanceResult]:
        probs = self.probabilities(pairs)
        results = []
        for (claim, passage), row in zip(pairs, probs):
            p = {lab: round(float(x), 4) for lab, x in zip(LABELS, row)}
            results.append(StanceResult(p, self._explain(claim, passage, p) if self.reasons else []))
        return results

    @staticmethod
    def _explain(claim: str, passage: str, p: dict[str, float]) -> list[str]:
        """Human-readable signals behind the number (the head itself is not interpretable)."""
        reasons = [f"trained verifier: supports {p['supports']:.0%}, refutes {p['refutes']:.0%}, "
                   f"neutral {p['neutral']:.0%}"]
        # reuse the baseline's transparent mismatch reasons (numbers, negation, antonyms)
        reasons += [r for r in _BASELINE._judge(claim, passage).reasons if not r.startswith("passage covers")]
        return reasons


@available_when(model_available)
def make_trained(*, embedder: Any = None, **settings: object) -> TrainedVerifier:
    """The trained verifier (entry point ``verifier.trained``), sharing the pipeline's embedder.

    Settings: model_dir, threads, batch_size, cache_size.
    """
    return TrainedVerifier(embedder=embedder, **settings)  # type: ignore[arg-type]
