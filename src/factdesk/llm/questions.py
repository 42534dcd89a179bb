"""Verification questions: the LLM asks what would settle each claim; the questions become extra searches.

AVeriTeC-style: a claim's own wording often misses the passage that settles it ("the project is
over budget" vs "council approved a revised budget of $185 million"); questions about who, when and
how much reach it.  The hits of the questions are merged with the claim's own hits by weighted
reciprocal rank (the claim's own ranking counts double a question's), and the per-document cap is
applied again, so a claim still gets ``k`` passages from several sources.

Example::

    writer = QuestionWriter(client, max_questions=3)
    questions = writer.run(claim, "2025-03-18", record)          # [] when the LLM fails
    hits = merge_hits(own_hits, [retriever.search(q) for q in questions], k=5, max_per_document=2)
"""

from __future__ import annotations

from typing import Any

from factdesk.errors import LLMError, LLMOutputError
from factdesk.llm.prompt_files import load_prompt
from factdesk.llm.record import CompletionClient, LLMRecord, ask
from factdesk.types import Claim, Hit

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"questions": {"type": "array", "items": {"type": "string"}}},
    "required": ["questions"],
}
MAX_QUESTION_CHARS = 300
RANK_OFFSET = 10  # reciprocal rank 1/(10 + rank): the top few hits of each list matter most
QUESTION_WEIGHT = 0.5


class QuestionWriter:
    """Up to ``max_questions`` verification questions per claim, one LLM call each.

    Example::

        QuestionWriter(client).run(claim, "2024-10-01", record)
        # ['When did the council approve the light-rail budget?', …]
    """

    stage = "questions"

    def __init__(self, client: CompletionClient, *, max_questions: int = 3) -> None:
        self.client = client
        self.max_questions = max_questions
        self.prompt = load_prompt("questions")

    def run(self, claim: Claim, published: str | None, record: LLMRecord) -> list[str]:
        """The claim's questions (also kept in ``record``); ``[]`` with the reason recorded on failure."""
        try:
            data = ask(self.client, self.prompt, {"claim": claim.to_check, "published": published or "unknown",
                                                  "max_questions": self.max_questions},
                       schema=SCHEMA, record=record)
            questions = self.parse(data)
        except LLMError as exc:
            record.fallback(self.stage, claim.id, exc)
            return []
        record.claim(claim.id).questions = questions
        return questions

    def parse(self, data: Any) -> list[str]:
        raw = data.get("questions") if isinstance(data, dict) else data
        if not isinstance(raw, list):
            raise LLMOutputError("the answer has no 'questions' list")
        out: list[str] = []
        for q in raw:
            text = " ".join(str(q).split())[:MAX_QUESTION_CHARS] if isinstance(q, (str, int, float)) else ""
            if text and text.lower() not in {o.lower() for o in out}:
                out.append(text)
        return out[: self.max_questions]


def merge_hits(own: list[Hit], extra: list[list[Hit]], *, k: int, max_per_document: int = 0) -> list[Hit]:
    """The claim's own hits and its questions' hits as one ranked list of at most ``k``.

    Weighted reciprocal rank fusion; each passage keeps its best retrieval score and is flagged
    after the claim date if any search flagged it.  ``max_per_document`` (0 = off) caps one
    document's share while others have passages to offer; slots left empty are filled anyway.
    """
    fused: dict[str, float] = {}
    best: dict[str, Hit] = {}
    for weight, hits in [(1.0, own)] + [(QUESTION_WEIGHT, h) for h in extra]:
        for rank, hit in enumerate(hits, 1):
            pid = hit.passage.id
            fused[pid] = fused.get(pid, 0.0) + weight / (RANK_OFFSET + rank)
            if pid not in best or hit.score > best[pid].score:
                flagged = hit.after_claim_date or (pid in best and best[pid].after_claim_date)
                best[pid] = Hit(passage=hit.passage, score=hit.score, lexical_rank=hit.lexical_rank,
                                dense_rank=hit.dense_rank, dense_similarity=hit.dense_similarity,
                                after_claim_date=flagged)
            elif hit.after_claim_date:
                best[pid].after_claim_date = True
    ranked = sorted(fused, key=lambda pid: (-fused[pid], pid))
    chosen: list[str] = []
    skipped: list[str] = []
    per_doc: dict[str, int] = {}
    for pid in ranked:
        doc = best[pid].passage.document_id
        if max_per_document and per_doc.get(doc, 0) >= max_per_document:
            skipped.append(pid)
            continue
        per_doc[doc] = per_doc.get(doc, 0) + 1
        chosen.append(pid)
    chosen += skipped[: max(0, k - len(chosen))]
    order = {pid: i for i, pid in enumerate(ranked)}
    return [best[pid] for pid in sorted(chosen[:k], key=order.__getitem__)]


__all__ = ["QuestionWriter", "SCHEMA", "merge_hits"]
