"""The LLM's verdict on one claim over its retrieved passages, with a justification citing them.

Passages are shown to the model as ``[E1]`` … ``[Ek]`` (short handles a small model copies
reliably); the cited handles — or real passage ids — are checked against the passages it was
shown, unknown ones dropped (and listed as ``unknown_ids``), and the justification's handles are
rewritten to the passage ids, so a reader can find each cited passage in the report.  A label
outside the four verdicts is a bad answer (:class:`~factdesk.errors.LLMOutputError`): the claim
keeps the built-in verdict.

Example::

    judge = LLMJudge(client)
    verdict = judge.run(claim, evidence, "2025-03-18", record)  # a Verdict, or None (built-in kept)
"""

from __future__ import annotations

import re
from typing import Any

from factdesk.errors import LLMError, LLMOutputError
from factdesk.llm.prompt_files import load_prompt
from factdesk.llm.record import CompletionClient, LLMRecord, ask
from factdesk.types import Claim, Evidence, Label, Verdict

LABELS = tuple(label.value for label in Label)
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "verdict": {"type": "string", "enum": list(LABELS)},
        "confidence": {"type": "number"},
        "justification": {"type": "string"},
        "passages": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["verdict", "confidence", "justification", "passages"],
}
# What small models write instead of the four labels
_SYNONYMS = {"supports": "supported", "support": "supported", "true": "supported",
             "refutes": "refuted", "refute": "refuted", "false": "refuted",
             "not_enough_info": "not_enough_evidence", "not_enough_information": "not_enough_evidence",
             "nei": "not_enough_evidence", "unverified": "not_enough_evidence",
             "conflicting_evidence": "conflicting", "mixed": "conflicting"}
MAX_PASSAGE_CHARS = 800  # five passages and the answer fit a 2,048-token context (llama.cpp default)
MAX_JUSTIFICATION_CHARS = 1000
_CITATION = re.compile(r"\[([^\[\]\s]{1,40})\]")
_HANDLE = re.compile(r"^\[?\s*(?:E|e)?\s*(\d{1,3})\s*\]?$")


def normalise_label(value: Any) -> str:
    """One of the four verdict labels, or :class:`LLMOutputError`."""
    key = "_".join(str(value or "").strip().lower().replace("-", " ").split())
    key = _SYNONYMS.get(key, key)
    if key not in LABELS:
        raise LLMOutputError(f"the model gave no usable verdict ({str(value)[:40]!r})")
    return key


def resolve_citation(ref: Any, handles: dict[str, str]) -> str | None:
    """A passage id for ``E2``, ``[E2]``, ``2`` or a passage id itself; None when it names no passage shown."""
    s = str(ref).strip()
    if s in handles.values():
        return s
    m = _HANDLE.match(s)
    if m:
        return handles.get(f"E{int(m.group(1))}")
    return None


def passages_block(evidence: list[Evidence], published: str | None) -> tuple[str, dict[str, str]]:
    """The passages as the prompt shows them, and handle → passage id."""
    lines: list[str] = []
    handles: dict[str, str] = {}
    for i, ev in enumerate(evidence, 1):
        p = ev.passage
        handle = f"E{i}"
        handles[handle] = p.id
        head = f"[{handle}] {p.title or p.document_id}" + (f" ({p.published})" if p.published else "")
        if ev.after_claim_date or (published and p.published and p.published > published):
            head += " — published after the claim"
        body = " ".join(p.text.split())
        if len(body) > MAX_PASSAGE_CHARS:
            body = body[:MAX_PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
        lines.append(f"{head}\n{body}")
    return "\n\n".join(lines), handles


class LLMJudge:
    """A verdict per claim from the LLM over the passages the built-in retrieval found.

    Example::

        v = LLMJudge(client).run(claim, evidence, "2025-03-18", record)
        v.label, v.evidence_ids  # (Label.REFUTED, ['p3f…'])
    """

    stage = "verdict"

    def __init__(self, client: CompletionClient) -> None:
        self.client = client
        self.prompt = load_prompt("verdict")

    def run(self, claim: Claim, evidence: list[Evidence], published: str | None, record: LLMRecord,
            builtin: Verdict | None = None) -> Verdict | None:
        """The LLM's verdict (recorded with ``builtin`` beside it), or None: the caller keeps the built-in one.

        A claim without evidence is not sent: there is nothing to judge it on.
        """
        if builtin is not None:
            record.claim(claim.id).builtin_verdict = verdict_dict(builtin)
        if not evidence:
            return None
        block, handles = passages_block(evidence, published)
        try:
            data = ask(self.client, self.prompt, {"claim": claim.to_check, "published": published or "unknown",
                                                  "passages": block}, schema=SCHEMA, record=record)
            verdict, unknown = self.parse(data, handles)
        except LLMError as exc:
            record.fallback(self.stage, claim.id, exc)
            return None
        record.claim(claim.id).verdict = {
            "label": verdict.label.value, "confidence": verdict.confidence, "justification": verdict.explanation,
            "passage_ids": list(verdict.evidence_ids), "unknown_ids": unknown}
        return verdict

    @staticmethod
    def parse(data: Any, handles: dict[str, str]) -> tuple[Verdict, list[str]]:
        """The verdict and the cited ids that name no passage shown (dropped)."""
        if not isinstance(data, dict):
            raise LLMOutputError("the verdict answer is not a JSON object")
        label = normalise_label(data.get("verdict", data.get("label")))
        try:
            confidence = min(1.0, max(0.0, float(data.get("confidence", 0.5))))
        except (TypeError, ValueError):
            confidence = 0.5
        if confidence != confidence:  # NaN
            confidence = 0.5
        justification = " ".join(str(data.get("justification") or "").split())[:MAX_JUSTIFICATION_CHARS]
        raw = data.get("passages")
        refs = [str(r) for r in raw] if isinstance(raw, list) else []
        refs += _CITATION.findall(justification)
        cited: list[str] = []
        unknown: list[str] = []
        for ref in refs:
            pid = resolve_citation(ref, handles)
            if pid is None:
                if ref.strip() and ref.strip() not in unknown:
                    unknown.append(ref.strip()[:40])
            elif pid not in cited:
                cited.append(pid)

        def to_id(m: re.Match[str]) -> str:
            pid = resolve_citation(m.group(1), handles)
            return f"[{pid}]" if pid else m.group(0)

        justification = _CITATION.sub(to_id, justification)
        return Verdict(label=Label(label), confidence=confidence, explanation=justification,
                       evidence_ids=cited), unknown


def verdict_dict(v: Verdict) -> dict[str, Any]:
    """A verdict as the report writes it (label, confidence, explanation, evidence_ids)."""
    return {"label": v.label.value, "confidence": round(float(v.confidence), 4), "explanation": v.explanation,
            "evidence_ids": list(v.evidence_ids)}


__all__ = ["LLMJudge", "SCHEMA", "normalise_label", "passages_block", "resolve_citation", "verdict_dict"]
