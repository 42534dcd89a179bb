"""Claim decomposition: the LLM splits each check-worthy sentence into atomic, standalone claims.

The built-in extractor still chooses which sentences are worth checking (its check-worthiness
score and ``max_claims`` cap); the LLM only splits them, so a weak model cannot flood a report
with trivia.  It answers with the sentence number and an exact quote for each claim; the quote is
looked up in that sentence (exactly, then ignoring case and spacing) to give the claim its own
character offsets, and the whole sentence's offsets are used when the quote cannot be found there.
A claim whose sentence number is unknown and whose quote is nowhere in a checked sentence is
dropped.  A sentence the LLM returns nothing for keeps its built-in claim.

Example::

    decomposer = ClaimDecomposer(client)
    claim_set = decomposer.run(doc, claim_set, record)   # the same shape, more and smaller claims
"""

from __future__ import annotations

import re
from typing import Any

from factdesk.errors import LLMError, LLMOutputError
from factdesk.llm.prompt_files import load_prompt
from factdesk.llm.record import CompletionClient, LLMRecord, ask
from factdesk.types import Claim, ClaimSet, Document, TimelineEvent, content_id

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"claims": {"type": "array", "items": {
        "type": "object",
        "properties": {"sentence": {"type": "integer"}, "claim": {"type": "string"}, "quote": {"type": "string"}},
        "required": ["sentence", "claim", "quote"]}}},
    "required": ["claims"],
}
MAX_CLAIM_CHARS = 400


def locate(text: str, quote: str, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
    """Where ``quote`` lies in ``text[start:end]``: exactly, else ignoring case and spacing; None if absent."""
    end = len(text) if end is None else end
    quote = quote.strip().strip("\"'“”‘’").strip()
    if not quote:
        return None
    at = text.find(quote, start, end)
    if at >= 0:
        return at, at + len(quote)
    words = quote.split()
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words), re.IGNORECASE)
    m = pattern.search(text, start, end)
    return (m.start(), m.end()) if m else None


class ClaimDecomposer:
    """Splits the built-in claims' sentences into atomic claims with one LLM call per article.

    Example::

        claim_set = ClaimDecomposer(client, max_per_sentence=4).run(doc, claim_set, record)
        [c.standalone for c in claim_set.claims]
    """

    stage = "decompose"

    def __init__(self, client: CompletionClient, *, max_per_sentence: int = 4, max_claims: int = 40) -> None:
        self.client = client
        self.max_per_sentence = max_per_sentence
        self.max_claims = max_claims
        self.prompt = load_prompt("decompose")

    def run(self, doc: Document, claim_set: ClaimSet, record: LLMRecord) -> ClaimSet:
        """The claims decomposed; the built-in ones unchanged (reason recorded) if the LLM fails."""
        parents = claim_set.claims
        if not parents:
            return claim_set
        sentences = "\n".join(f"{i}. {' '.join(c.text.split())}" for i, c in enumerate(parents, 1))
        try:
            data = ask(self.client, self.prompt, {"title": doc.title or "(untitled)",
                                                  "published": doc.published or "unknown",
                                                  "sentences": sentences,
                                                  "max_per_sentence": self.max_per_sentence},
                       schema=SCHEMA, record=record)
            items = self._items(data)
        except LLMError as exc:
            record.fallback(self.stage, None, exc)
            return claim_set
        return self.apply(doc, claim_set, items, record)

    @staticmethod
    def _items(data: Any) -> list[dict[str, Any]]:
        items = data.get("claims") if isinstance(data, dict) else data if isinstance(data, list) else None
        if not isinstance(items, list):
            raise LLMOutputError("the decomposition has no 'claims' list")
        return [i for i in items if isinstance(i, dict)]

    def apply(self, doc: Document, claim_set: ClaimSet, items: list[dict[str, Any]],
              record: LLMRecord) -> ClaimSet:
        """Map the LLM's items to offsets and build the new claim list (public for tests)."""
        parents = claim_set.claims
        children: dict[int, list[Claim]] = {}
        seen: set[tuple[int, str]] = set()
        for item in items:
            statement = " ".join(str(item.get("claim") or "").split())[:MAX_CLAIM_CHARS]
            if not statement:
                continue
            quote = str(item.get("quote") or "")
            index, span = self._place(doc.text, parents, item.get("sentence"), quote)
            if index is None or span is None:
                continue  # cannot be tied to a place in the article: dropped
            key = (index, statement.lower())
            if key in seen or len(children.get(index, [])) >= self.max_per_sentence:
                continue
            seen.add(key)
            parent = parents[index]
            start, end = span
            text = doc.text[start:end]
            children.setdefault(index, []).append(Claim(
                text=text, start=start, end=end, checkworthiness=parent.checkworthiness, kind=parent.kind,
                attributed_to=parent.attributed_to, responds_to=parent.responds_to, standalone=statement,
                dates=list(parent.dates), sentence_index=parent.sentence_index, checked_as=statement,
                id=content_id(start, end, text, statement, prefix="c", length=12)))
        if not children:
            return claim_set
        out: list[Claim] = []
        first_child: dict[str, str] = {}
        for i, parent in enumerate(parents):
            kids = children.get(i) or [parent]
            first_child[parent.id] = kids[0].id
            for kid in kids:
                if kid is not parent:
                    record.claim(kid.id).decomposed_from = parent.id
                out.append(kid)
        out = out[: max(self.max_claims, len(parents))]
        for c in out:  # a rebuttal points at the first claim its rebutted sentence became
            if c.responds_to in first_child:
                c.responds_to = first_child[c.responds_to]
        timeline = [TimelineEvent(ev.date, ev.text, first_child.get(ev.claim_id or "", ev.claim_id))
                    for ev in claim_set.timeline]
        return ClaimSet(claims=out, timeline=timeline, sentences=claim_set.sentences, left_out=claim_set.left_out)

    @staticmethod
    def _place(text: str, parents: list[Claim], sentence: Any, quote: str) -> tuple[int | None, tuple[int, int] | None]:
        """The parent claim's index and the span for one item (``(None, None)``: cannot be placed)."""
        try:
            index = int(sentence) - 1
        except (TypeError, ValueError):
            index = -1
        if 0 <= index < len(parents):
            p = parents[index]
            return index, locate(text, quote, p.start, p.end) or (p.start, p.end)
        for i, p in enumerate(parents):  # a wrong number: the quote may still name its sentence
            span = locate(text, quote, p.start, p.end)
            if span:
                return i, span
        return None, None


__all__ = ["ClaimDecomposer", "SCHEMA", "locate"]
