"""The contracts of factdesk's swappable parts, in one place.

The pipeline holds these protocols only; every concrete part (the SQLite store,
the cross-encoder verifier, a plugin's retriever …) is built by
:mod:`factdesk.registry` from a registered name and handed to it.  Each part
has a light ``__init__`` and loads anything heavy in ``warm_up()``, which is
cheap to call twice.  :mod:`factdesk.testing` holds a conformance suite per
protocol that every registered implementation must pass.

Example::

    from factdesk.protocols import Verifier
    from factdesk.registry import create

    verifier = create("verifier", "baseline")
    assert isinstance(verifier, Verifier)
    verifier.warm_up()
    [result] = verifier.stances([("The dam opened in 1998.", "The dam opened in 2001.")])
    result.stance  # Stance.REFUTES
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from factdesk.types import Document, Hit, Passage, Stance

# The labels a verifier may put probability on, in a fixed order.
STANCE_LABELS: tuple[str, ...] = tuple(s.value for s in Stance)


@dataclass
class StanceResult:
    """Probabilities over supports / refutes / neutral for one (claim, passage) pair.

    Example::

        r = StanceResult({"supports": 0.7, "refutes": 0.1, "neutral": 0.2})
        r.stance, r.probability  # (Stance.SUPPORTS, 0.7)
    """

    probabilities: dict[str, float]
    reasons: list[str] = field(default_factory=list)
    # the sentence of the passage the judgement rests on, when the verifier can say (None: the whole)
    key_sentence: str | None = None

    @property
    def stance(self) -> Stance:
        return Stance(max(self.probabilities, key=lambda k: self.probabilities[k]))

    @property
    def probability(self) -> float:
        return self.probabilities[self.stance.value]


@runtime_checkable
class Verifier(Protocol):
    """A stance per (claim, passage) pair: one :class:`StanceResult` per pair, in order.

    Probabilities are over :data:`STANCE_LABELS` and sum to 1; an empty list in gives an
    empty list out.
    """

    name: str

    def warm_up(self) -> None:
        """Load models; cheap to call twice."""

    def stances(self, pairs: list[tuple[str, str]]) -> list[StanceResult]:
        """Judge each (claim, passage) pair."""
        ...


@runtime_checkable
class Embedder(Protocol):
    """What retrieval needs from an embedder.

    ``embed`` returns a float32 array of shape ``(len(texts), dim)`` whose rows have unit L2
    norm, the same rows for the same texts.
    """

    name: str
    dim: int

    def warm_up(self) -> None: ...

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...


@runtime_checkable
class CheckworthinessScorer(Protocol):
    """Scores sentences for check-worthiness, each in [0, 1] (higher: more worth checking)."""

    name: str

    def warm_up(self) -> None:
        """Load whatever the scorer needs (models, tables); cheap to call twice."""
        ...

    def score(self, sentences: list[str]) -> list[float]:
        """One score in [0, 1] per sentence, in order."""
        ...


@runtime_checkable
class Retriever(Protocol):
    """Search over indexed passages.

    ``mode`` is ``hybrid`` (lexical + vector, fused), ``lexical`` or ``dense`` (vector search over
    the embedder's space).  ``before`` is an ISO date: passages published after it are flagged
    ``after_claim_date`` and ranked down; in :meth:`search_many` it may be one date per query.
    Passages of ``exclude_documents`` are never returned; ``max_per_document`` (0 = off) caps the
    hits one document may take while others still have some.
    """

    def search(self, query: str, k: int = 10, *, mode: str = "hybrid", before: str | None = None,
               exclude_documents: set[str] | None = None, max_per_document: int = 0) -> list[Hit]: ...

    def search_many(self, queries: Sequence[str], k: int = 10, *, mode: str = "hybrid",
                    before: str | None | Sequence[str | None] = None,
                    exclude_documents: set[str] | None = None, max_per_document: int = 0) -> list[list[Hit]]:
        """:meth:`search` for each query, in order (one embedding call where the backend can)."""
        ...


@runtime_checkable
class Indexer(Protocol):
    """Writes documents into the index a :class:`Retriever` searches; returns passages written."""

    def add_documents(self, docs: Iterable[Document], progress: bool = False) -> int: ...


@runtime_checkable
class Store(Protocol):
    """Where documents, passages, reports and files indexed are kept.

    The conformance suite (:class:`factdesk.testing.StoreSuite`) covers these methods; the SQLite
    store has more (reviews, the web desk's tables) that later backends add as they arrive.
    """

    path: Path | None

    def transaction(self) -> AbstractContextManager[Any]: ...

    def save_document(self, doc: Document, *, role: str = "corpus") -> None: ...

    def get_document(self, document_id: str) -> Document: ...

    def remove_document(self, document_id: str) -> None: ...

    def indexed_files(self, under: str | None = None) -> dict[str, str]: ...

    def file_hash(self, path: str) -> str | None: ...

    def file_record(self, path: str) -> tuple[str, str] | None:
        """``(content_hash, document_id)`` of one indexed file, or None."""
        ...

    def record_file(self, path: str, content_hash: str, document_id: str) -> None: ...

    def find_documents(self, *, title: str | None = None, author: str | None = None,
                       role: str = "corpus", limit: int = 20) -> list[Document]:
        """Documents whose title or author contains the text (case-insensitive, literally), newest first."""
        ...

    def find_documents_by_names(self, names: list[str], *, role: str = "corpus",
                                limit: int = 20) -> dict[tuple[str, str], list[Document]]:
        """``find_documents(author=name)`` and ``(title=name)`` for every name at once, keyed ``(field, name)``."""
        ...

    def save_report(self, report_json: dict[str, Any]) -> str: ...

    def get_report(self, report_id: str) -> dict[str, Any]: ...

    def list_reports(self, limit: int = 50) -> list[dict[str, Any]]: ...

    def count(self, table: str) -> int: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class LLMReply:
    """One answer of an :class:`LLMClient`.

    ``data`` is the parsed JSON, already checked against the schema, when one was asked for.
    A ``cached`` reply made no server call; its token counts are those of the call that
    first produced it (the client's usage ledger counts only what the server spent).

    Example::

        reply = client.complete(messages, schema=VERDICT_SCHEMA, stage="verdict", prompt_version="verdict.v1")
        reply.data["label"], reply.cached  # ('supported', False)
    """

    text: str  # the message content as returned
    data: Any | None  # parsed, validated JSON when a schema was requested, else None
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    cached: bool  # True when served from the cache (no server call)


@runtime_checkable
class LLMClient(Protocol):
    """A chat model behind an OpenAI-compatible API, or a stand-in (:class:`factdesk.testing.FakeLLM`).

    ``complete`` sends chat ``messages`` (``{"role": ..., "content": ...}`` dicts); with a JSON
    ``schema`` it returns the parsed answer in ``reply.data`` or raises
    :class:`~factdesk.errors.LLMOutputError`.  Every failure is an :class:`~factdesk.errors.LLMError`
    (timeouts :class:`~factdesk.errors.LLMTimeout`), so a stage can fall back claim by claim.
    ``stage`` and ``prompt_version`` name the request for the cache and the per-stage ``usage``
    ledger (``usage.to_dict()``, ``usage.total()``).  ``ping`` never raises: it reports
    ``{"ok", "base_url", "model", "models", "json_schema", "seconds", "error"?}``.
    """

    model: str
    usage: Any  # factdesk.llm.usage.UsageLedger

    def warm_up(self) -> None: ...

    def complete(self, messages: list[dict[str, str]], *, schema: dict[str, Any] | None = None, stage: str,
                 prompt_version: str) -> LLMReply: ...

    def ping(self) -> dict[str, Any]: ...


@runtime_checkable
class EvidenceSource(Protocol):
    """Evidence from somewhere other than the local index: a web search API, a Kiwix ZIM file …

    Registered by name as kind ``source`` (:mod:`factdesk.registry`).  ``search`` returns at most
    ``k`` :class:`~factdesk.types.Hit` s, best first; each hit's ``provenance`` says where it came
    from (``source``, ``query``, ``url``, ``fetched_at``, ``content_hash`` and, for fetched pages,
    ``snapshot_id``).  ``before`` (ISO date) is passed to the backend where it can filter, and a
    hit whose page is dated after it is flagged ``after_claim_date``.  A source that cannot answer
    (server down, quota spent, bad reply) raises :class:`~factdesk.errors.SourceError`; the pipeline
    then skips that source for the claim and says so in the report.
    """

    name: str

    def warm_up(self) -> None: ...

    def search(self, query: str, k: int = 5, *, before: str | None = None) -> list[Hit]: ...


__all__ = ["STANCE_LABELS", "StanceResult", "Verifier", "Embedder", "CheckworthinessScorer", "Retriever",
           "Indexer", "Store", "LLMReply", "LLMClient", "EvidenceSource"]
