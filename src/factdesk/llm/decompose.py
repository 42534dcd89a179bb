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
from factdesk.text.sentences import split_sentences
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
# what the prompt shows besides the sentences to split: the article's opening, and the sentence before each
# sentence that has a reference to resolve, within a budget (a 2,048-token server context must still fit)
OPENING_CHARS = 300
BEFORE_CHARS = 300
CONTEXT_BUDGET_CHARS = 2000
# a pronoun, "this/these/those", or "that" opening the sentence ("That figure …", not "the surge that swamped")
_NEEDS_CONTEXT = re.compile(r"\b(?:he|she|it|they|him|her|his|its|their|them|this|these|those)\b|^\W*that\b", re.I)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _context(text: str, claim: Claim) -> tuple[str, str]:
    """("in", the whole sentence) for a claim that is part of one ("X says the line will open …, but …"),
    else ("before", the sentence before it) when it has a reference to resolve; ("", "") for neither."""
    base = max(0, claim.start - 4 * BEFORE_CHARS)
    parts = split_sentences(text[base:claim.end + BEFORE_CHARS])
    if base > 0:
        parts = parts[1:]  # the window may have cut the first one: a fragment is no context
    at = claim.start - base
    holder = next((i for i, s in enumerate(parts) if s.start <= at < s.end), None)
    lead = text[base + parts[holder].start:claim.start].strip(" \"“‘'([") if holder is not None else ""
    if lead and not re.fullmatch(r"(?:\w+\s*){1,3}:", lead):  # a "Claim:" label is no context
        return "in", parts[holder].text
    if holder and _NEEDS_CONTEXT.search(claim.text):
        return "before", parts[holder - 1].text
    return "", ""


def numbered_sentences(doc: Document, parents: list[Claim]) -> tuple[str, str]:
    """The article's opening and the numbered sentences, each with the sentence before it when it needs one."""
    text = doc.text or ""
    body = text.lstrip()
    title = " ".join((doc.title or "").split())
    if title and " ".join(body[:len(title) + 20].split()).startswith(title):  # the headline is given as the title
        at = body.find(title.split()[-1]) + len(title.split()[-1])
        body = body[at:] if at > 0 else body
    opening = ""
    for s in split_sentences(body[:4 * OPENING_CHARS]):
        if opening and len(opening) + len(s.text) > OPENING_CHARS:
            break
        opening = f"{opening} {s.text}".strip()
    opening = _clip(opening, OPENING_CHARS)
    budget = CONTEXT_BUDGET_CHARS - len(opening)
    lines = []
    for i, c in enumerate(parents, 1):
        lines.append(f"{i}. {' '.join(c.text.split())}")
        kind, sentence = _context(text, c)
        sentence = _clip(sentence, BEFORE_CHARS)
        if kind and len(sentence) <= budget:
            lines.append(f"   {kind}: {sentence}")
            budget -= len(sentence)
    return opening or "(none)", "\n".join(lines)


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
        opening, sentences = numbered_sentences(doc, parents)
        try:
            data = ask(self.client, self.prompt, {"title": doc.title or "(untitled)",
                                                  "published": doc.published or "unknown",
                                                  "opening": opening,
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


__all__ = ["ClaimDecomposer", "SCHEMA", "locate", "numbered_sentences"]
