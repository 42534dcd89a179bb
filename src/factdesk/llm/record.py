"""What the LLM stages did during one check: calls, tokens, prompt versions, fallbacks, per-claim results.

The client keeps its own running ledger for its whole life (a web desk serves many checks with
one client); a report needs the figures of *its* check, so each check gets a fresh
:class:`LLMRecord` that counts the replies its stages received.  A reply served from the cache
counts as a call and as cached, and costs no tokens: a re-run shows ``cached == calls`` and zero
tokens.

Example::

    record = LLMRecord(model="qwen2.5:7b", stages=("verdict",))
    data = ask(client, load_prompt("verdict"), {"claim": …}, schema=VERDICT_SCHEMA, record=record)
    record.to_report()["usage"]["verdict"]  # {'calls': 1, 'cached': 0, 'prompt_tokens': 812, …}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from factdesk.errors import LLMError, LLMOutputError
from factdesk.llm.prompt_files import Prompt

# After this many failures in a row that are not about the answer's content (server down, timeouts),
# the remaining calls of the check are skipped: each claim falls back at once instead of waiting
# for its own timeout.
FAILURES_BEFORE_SKIPPING = 3
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)


class CompletionClient(Protocol):
    """What the stages need from an LLM client (see ``factdesk.llm.client``)."""

    model: str

    def complete(self, messages: list[dict[str, str]], *, schema: dict[str, Any] | None = None, stage: str,
                 prompt_version: str) -> Any: ...


def _zero() -> dict[str, Any]:
    return {"calls": 0, "cached": 0, "prompt_tokens": 0, "completion_tokens": 0, "seconds": 0.0}


@dataclass
class ClaimLLM:
    """The LLM's part in one claim's check (the report's per-claim ``llm`` object)."""

    decomposed_from: str | None = None
    questions: list[str] = field(default_factory=list)
    verdict: dict[str, Any] | None = None  # label, confidence, justification, passage_ids, unknown_ids
    builtin_verdict: dict[str, Any] | None = None  # the small verifier's verdict, kept beside it
    fallbacks: list[dict[str, str]] = field(default_factory=list)

    @property
    def disagreement(self) -> bool:
        return (self.verdict is not None and self.builtin_verdict is not None
                and self.verdict.get("label") != self.builtin_verdict.get("label"))

    def to_dict(self) -> dict[str, Any]:
        return {"decomposed_from": self.decomposed_from, "questions": list(self.questions),
                "verdict": self.verdict, "builtin_verdict": self.builtin_verdict,
                "verdict_source": "llm" if self.verdict is not None else "builtin",
                "disagreement": self.disagreement, "fallbacks": list(self.fallbacks)}


@dataclass
class LLMRecord:
    """Usage, prompt versions, fallbacks and per-claim results of the LLM stages in one check.

    Example::

        record = LLMRecord(model="smollm2", stages=("questions", "verdict"))
        record.fallback("verdict", "c1", LLMTimeout("no answer in 30 s"))
        record.to_report()["fallbacks"]  # [{'stage': 'verdict', 'claim_id': 'c1', 'code': 'llm_timeout', …}]
    """

    model: str
    stages: tuple[str, ...]
    prompts: dict[str, str] = field(default_factory=dict)  # stage -> prompt version used
    usage: dict[str, dict[str, Any]] = field(default_factory=dict)
    claims: dict[str, ClaimLLM] = field(default_factory=dict)
    fallbacks: list[dict[str, Any]] = field(default_factory=list)
    failures_in_a_row: int = 0
    skip_reason: str | None = None

    def claim(self, claim_id: str) -> ClaimLLM:
        return self.claims.setdefault(claim_id, ClaimLLM())

    def count(self, prompt: Prompt, reply: Any) -> None:
        self.prompts[prompt.name] = prompt.version
        u = self.usage.setdefault(prompt.name, _zero())
        u["calls"] += 1
        if getattr(reply, "cached", False):
            u["cached"] += 1
        else:  # a cached answer cost nothing this time
            u["prompt_tokens"] += int(getattr(reply, "prompt_tokens", 0) or 0)
            u["completion_tokens"] += int(getattr(reply, "completion_tokens", 0) or 0)
            u["seconds"] += float(getattr(reply, "seconds", 0.0) or 0.0)

    def fallback(self, stage: str, claim_id: str | None, exc: BaseException) -> None:
        """Record that ``stage`` fell back to the built-in path (for one claim, or the article)."""
        entry = {"stage": stage, "code": str(getattr(exc, "code", "llm_failed")), "reason": str(exc)}
        self.fallbacks.append({**entry, "claim_id": claim_id})
        if claim_id is not None:
            self.claim(claim_id).fallbacks.append(entry)

    def total(self) -> dict[str, Any]:
        out = _zero()
        for u in self.usage.values():
            for k in out:
                out[k] += u[k]
        out["seconds"] = round(out["seconds"], 3)
        return out

    def to_report(self) -> dict[str, Any]:
        """The report's top-level ``llm`` object."""
        return {"model": self.model, "stages": list(self.stages), "prompts": dict(sorted(self.prompts.items())),
                "usage": {k: {**v, "seconds": round(v["seconds"], 3)} for k, v in sorted(self.usage.items())},
                "total": self.total(), "fallbacks": list(self.fallbacks),
                "disagreements": sum(1 for c in self.claims.values() if c.disagreement)}


def reply_data(reply: Any) -> Any:
    """The parsed JSON of a reply: the client's ``data``, else its text read as JSON (code fences allowed)."""
    data = getattr(reply, "data", None)
    if data is not None:
        return data
    text = _FENCE.sub("", str(getattr(reply, "text", "") or "").strip())
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LLMOutputError(f"the model's answer is not JSON: {text[:120]!r}") from exc


def ask(client: CompletionClient, prompt: Prompt, values: dict[str, Any], *, schema: dict[str, Any],
        record: LLMRecord) -> Any:
    """One completion for ``prompt``, counted in ``record``; returns the parsed JSON answer.

    Raises the :class:`~factdesk.errors.LLMError` family: the caller falls back.  After
    :data:`FAILURES_BEFORE_SKIPPING` failures in a row the call is not even tried.
    """
    if record.skip_reason:
        raise LLMError(record.skip_reason)
    try:
        reply = client.complete(prompt.messages(**values), schema=schema, stage=prompt.name,
                                prompt_version=prompt.version)
    except LLMOutputError:
        record.failures_in_a_row = 0  # the server works; this answer was bad
        raise
    except LLMError as exc:
        record.failures_in_a_row += 1
        if record.failures_in_a_row >= FAILURES_BEFORE_SKIPPING:
            record.skip_reason = (f"skipped: the LLM failed {record.failures_in_a_row} times in a row "
                                  f"(last: {exc.code})")
        raise
    record.failures_in_a_row = 0
    record.count(prompt, reply)
    return reply_data(reply)


__all__ = ["FAILURES_BEFORE_SKIPPING", "ClaimLLM", "CompletionClient", "LLMRecord", "ask", "reply_data"]
