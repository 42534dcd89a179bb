"""Deterministic stand-ins for factdesk's parts: fast, model-free, the same answer every run.

Each fake satisfies its protocol in :mod:`factdesk.protocols` (and passes its conformance suite in
:mod:`factdesk.testing.conformance`), so a test can build a whole pipeline without loading a model.

Example::

    from factdesk.pipeline import Pipeline
    from factdesk.testing import FakeEmbedder, FakeRetriever, FakeVerifier

    retriever = FakeRetriever()
    pipe = Pipeline(store, verifier=FakeVerifier(), embedder=FakeEmbedder(), retriever=retriever,
                    indexer=retriever)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from factdesk.errors import LLMOutputError
from factdesk.llm.client import cache_key
from factdesk.llm.structured import JSONAnswerError, parse_json
from factdesk.llm.usage import UsageLedger
from factdesk.protocols import LLMReply, StanceResult
from factdesk.types import Document, Hit, Passage

_WORD = re.compile(r"[a-z0-9]+")
_NEGATIONS = {"not", "no", "never", "denies", "denied", "false"}


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


class FakeVerifier:
    """Supports when the passage holds every word of the claim, refutes when it also negates, else neutral.

    Example::

        [r] = FakeVerifier().stances([("dam opened", "The dam opened.")])
        r.stance.value  # 'supports'
    """

    name = "fake"

    def __init__(self, label: str | None = None) -> None:
        self.label = label  # always this stance, when given
        self.warm_ups = 0

    def warm_up(self) -> None:
        self.warm_ups += 1

    def stances(self, pairs: list[tuple[str, str]]) -> list[StanceResult]:
        return [self._judge(claim, passage) for claim, passage in pairs]

    def _judge(self, claim: str, passage: str) -> StanceResult:
        if self.label is not None:
            top = self.label
        else:
            c, p = _words(claim), _words(passage)
            top = "neutral"
            if c and c - _NEGATIONS <= p:
                top = "refutes" if (p & _NEGATIONS) - c else "supports"
        probabilities = {s: 0.1 for s in ("supports", "refutes", "neutral")}
        probabilities[top] = 0.8
        return StanceResult(probabilities, reasons=[f"fake: {top}"])


class FakeEmbedder:
    """Hashed bag of words, L2-normalised: texts sharing words get similar vectors.

    Example::

        FakeEmbedder(dim=16).embed(["a dam", "the dam"]).shape  # (2, 16)
    """

    name = "fake-embedder"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def warm_up(self) -> None:
        pass

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for w in _WORD.findall(text.lower()) or ["<empty>"]:
                out[i, int(hashlib.sha1(w.encode()).hexdigest(), 16) % self.dim] += 1.0
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


class FakeScorer:
    """Check-worthiness from surface cues: a number or a capitalised word mid-sentence scores high.

    Example::

        FakeScorer().score(["The dam cost 40 million.", "Lovely weather."])  # [0.9, 0.1]
    """

    name = "fake-scorer"

    def warm_up(self) -> None:
        pass

    def score(self, sentences: list[str]) -> list[float]:
        return [0.9 if re.search(r"\d|\s[A-Z]", s) else 0.1 for s in sentences]


class FakeRetriever:
    """An in-memory retriever and indexer: one passage per document, ranked by shared words.

    ``mode`` is accepted and ignored (there are no vectors); ``before`` flags and ranks down
    passages published after it, as the :class:`~factdesk.protocols.Retriever` contract says.

    Example::

        r = FakeRetriever([Document(text="The dam opened in 1998.")])
        r.search("dam opened")[0].passage.text  # 'The dam opened in 1998.'
    """

    name = "fake-retriever"

    def __init__(self, documents: Iterable[Document] = ()) -> None:
        self.passages: list[Passage] = []
        self.add_documents(documents)

    def add_documents(self, docs: Iterable[Document], progress: bool = False, **_: Any) -> int:
        added = [Passage(document_id=d.id, text=d.text, start=0, end=len(d.text), title=d.title,
                         published=d.published, url=d.url) for d in docs]
        known = {p.document_id for p in added}
        self.passages = [p for p in self.passages if p.document_id not in known] + added
        return len(added)

    def search(self, query: str, k: int = 10, *, mode: str = "hybrid", before: str | None = None,
               exclude_documents: set[str] | None = None, max_per_document: int = 0) -> list[Hit]:
        words = _words(query)
        scored = []
        for p in self.passages:
            if exclude_documents and p.document_id in exclude_documents:
                continue
            shared = len(words & _words(p.text))
            if shared:
                after = bool(before and p.published and p.published > before)
                scored.append(Hit(passage=p, score=shared / (len(words) or 1) * (0.5 if after else 1.0),
                                  after_claim_date=after))
        scored.sort(key=lambda h: (-h.score, h.passage.id))
        return scored[:k]

    def search_many(self, queries: Sequence[str], k: int = 10, *, mode: str = "hybrid",
                    before: str | None | Sequence[str | None] = None,
                    exclude_documents: set[str] | None = None, max_per_document: int = 0) -> list[list[Hit]]:
        dates = list(before) if isinstance(before, (list, tuple)) else [before] * len(queries)
        return [self.search(q, k, mode=mode, before=d, exclude_documents=exclude_documents,
                            max_per_document=max_per_document) for q, d in zip(queries, dates)]


class FakeLLM:
    """A scripted :class:`~factdesk.protocols.LLMClient`: the same ``complete()/ping()/usage`` as the real one.

    ``replies`` says what to answer, checked in this order for each call:

    * a mapping: the first key found in the last user message (or equal to the ``stage``) gives
      the reply; a list under a key is consumed one reply per call (the last one then repeats;
      wrap a JSON array answer in a list of its own);
    * a callable ``(messages, schema, stage) -> reply``;
    * otherwise ``default``.

    A reply is a string (the raw answer: parsed and checked strictly when a ``schema`` is asked
    for, so malformed JSON raises :class:`~factdesk.errors.LLMOutputError` as the real client
    does after its repair), a dict or list (the JSON answer), or an exception instance (raised:
    e.g. ``LLMTimeout("…")`` to test a stage's fallback).  Token counts are word counts; with
    ``cache=True`` a repeated request is answered as cached, as a store-backed client would.

    Example::

        llm = FakeLLM({"verdict": {"label": "supported", "justification": "[p1] says so"},
                       "capital of France": "Paris"})
        llm.complete([{"role": "user", "content": "The capital of France?"}],
                     stage="demo", prompt_version="demo.v1").text           # 'Paris'
        llm.complete(messages, schema=VERDICT_SCHEMA, stage="verdict", prompt_version="verdict.v1").data
        llm.usage.to_dict()["verdict"]["calls"]                             # 1
    """

    name = "fake-llm"

    def __init__(self, replies: Any = None, default: Any = "", *, model: str = "fake-llm",
                 cache: bool = False, json_schema: bool = True) -> None:
        self.replies = replies if replies is not None else {}
        self.default = default
        self.model = model
        self.usage = UsageLedger()
        self.calls: list[dict[str, Any]] = []  # every complete() call: messages, schema, stage, prompt_version
        self.cache = cache
        self.json_schema = json_schema
        self._cached: dict[str, Any] = {}
        self._consumed: dict[str, int] = {}

    @property
    def prompts(self) -> list[str]:
        """The last user message of each call, in order."""
        return [_last_user(c["messages"]) for c in self.calls]

    def warm_up(self) -> None:
        pass

    def ping(self) -> dict[str, Any]:
        return {"ok": True, "base_url": "fake://llm", "model": self.model, "models": [self.model],
                "model_listed": True, "json_schema": self.json_schema,
                "structured_output": "json_schema" if self.json_schema else "prompt", "seconds": 0.0}

    def complete(self, messages: list[dict[str, str]], *, schema: dict[str, Any] | None = None, stage: str,
                 prompt_version: str) -> Any:
        key = cache_key(self.model, prompt_version, stage, messages, schema, 0, 0.0)
        if self.cache and key in self._cached:
            self.usage.record(stage, cached=1)
            return LLMReply(**{**self._cached[key], "cached": True})
        self.calls.append({"messages": messages, "schema": schema, "stage": stage, "prompt_version": prompt_version})
        reply = self._script(messages, schema, stage)
        if isinstance(reply, BaseException):
            self.usage.record(stage, failures=1)
            raise reply
        text = reply if isinstance(reply, str) else json.dumps(reply)
        data = None
        if schema is not None:
            try:
                data = parse_json(text, schema)
            except JSONAnswerError as exc:
                self.usage.record(stage, failures=1)
                raise LLMOutputError(f"model {self.model!r} gave no usable JSON for stage {stage!r}: {exc}") from None
        prompt_tokens = sum(len(m.get("content", "").split()) for m in messages)
        completion_tokens = len(text.split())
        self.usage.record(stage, calls=1, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
        out = LLMReply(text, data, prompt_tokens, completion_tokens, 0.0, False)
        if self.cache:
            self._cached[key] = {"text": text, "data": data, "prompt_tokens": prompt_tokens,
                                 "completion_tokens": completion_tokens, "seconds": 0.0}
        return out

    def _script(self, messages: list[dict[str, str]], schema: dict[str, Any] | None, stage: str) -> Any:
        if callable(self.replies):
            return self.replies(messages, schema, stage)
        asked = _last_user(messages)
        for key, reply in self.replies.items():
            if key == stage or key in asked:
                if isinstance(reply, list):
                    n = self._consumed.get(key, 0)
                    self._consumed[key] = n + 1
                    return reply[min(n, len(reply) - 1)]
                return reply
        return self.default


def _last_user(messages: list[dict[str, str]]) -> str:
    return next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")


__all__ = ["FakeVerifier", "FakeEmbedder", "FakeScorer", "FakeRetriever", "FakeLLM"]
