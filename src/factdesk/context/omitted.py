"""Omitted context: relevant facts in the corpus that the article never states.

:func:`find_omitted` looks for corpus passages that

1. are **relevant** — retrieved for the article as a whole (its title and lead) and/or for its
   individual claims; a passage's relevance combines its rank in the article-level list with its
   best rank in any claim's list;
2. were **available** — published no later than the article, or undated (passages flagged
   ``after_claim_date`` by the index are dropped);
3. are **new** — the article does not already say them: each sentence of the passage is
   compared with the article's words and claims; a sentence whose content words (and numbers)
   are all, or nearly all, in the article restates it.  A passage counts as new only if at least
   one of its sentences brings enough content words and numbers the article never uses, and a
   passage that is close to one claim as a whole (a restatement) is dropped;
   A passage overlapping evidence that the report already shows as *supporting* a claim is
   stated too, and dropped;
4. **bear on** a claim (the verifier's stance on the claim is not neutral: the passage supports
   or refutes it), or on the article's main subject (a high article-level relevance).

Results are grouped by the claim they bear on (``related_claim_id``; ``None`` for the main
subject), one passage per overlapping stretch of a document, at most ``per_document`` per
document, ranked by score (relevance × novelty), at most ``limit``.

Nothing here knows about any particular corpus: every threshold is a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from factdesk.claims.segment import split_sentences
from factdesk.context.quotes import FUNCTION_WORDS
from factdesk.types import CheckedClaim, Claim, Document, Hit, Passage

_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['\u2019][^\W\d_]+)*", re.UNICODE)
_EXTRA_STOP = frozenset("""
said says say told according would could also about after before during while since until than more
most over under between into through per new one two three four five six seven eight nine ten
year years month months week weeks day days today yesterday tomorrow mr ms mrs dr
""".split())


@dataclass
class OmittedFact:
    """A passage the article leaves out, with the claim it bears on (``None``: the main subject)."""

    passage_id: str
    document: str
    document_id: str
    url: str | None
    published: str | None
    text: str
    related_claim_id: str | None
    stance: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _stem(w: str) -> str:
    w = w.lower().replace("\u2019", "'")
    if w.endswith("'s"):
        w = w[:-2]
    for suffix in ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "ers", "er", "es", "ed", "s", "ly"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def _number(w: str) -> str | None:
    return w.replace(",", "") if w[:1].isdigit() else None


def content_terms(text: str) -> tuple[set[str], set[str]]:
    """``(content word stems, numbers)`` of a text; function words and 1-letter words dropped."""
    words, nums = set(), set()
    for m in _WORD.finditer(text):
        w = m.group()
        n = _number(w)
        if n is not None:
            nums.add(n)
            continue
        low = w.lower()
        if len(low) < 2 or low in FUNCTION_WORDS or low in _EXTRA_STOP:
            continue
        words.add(_stem(low))
    return words, nums


def _claim_of(item: Claim | CheckedClaim) -> Claim:
    return item.claim if isinstance(item, CheckedClaim) else item


def _lead(article: Document, chars: int = 400) -> str:
    text = " ".join((article.text or "").split())
    title = (article.title or "").strip()
    if title and text.startswith(title):
        text = text[len(title):].strip()
    return f"{title}. {text[:chars]}" if title else text[:chars]


def _novelty(passage: str, art_words: set[str], art_nums: set[str]) -> tuple[float, str]:
    """The best sentence's share of new content terms (numbers count double), and that sentence."""
    best, best_sent = 0.0, ""
    for s in split_sentences(passage):
        sent = passage[s.start:s.end]
        words, nums = content_terms(sent)
        total = len(words) + 2 * len(nums)
        if len(words) < 3:
            continue
        new = len(words - art_words) + 2 * len(nums - art_nums)
        # short sentences cannot be very informative: damp them
        value = (new / total) * min(1.0, len(words) / 6)
        if value > best:
            best, best_sent = value, sent
    return best, best_sent


def _restates(passage: str, claim_terms: list[tuple[set[str], set[str]]], threshold: float) -> bool:
    """A sentence of the passage carries (nearly) all of one claim's content words and numbers."""
    for s in split_sentences(passage):
        words, nums = content_terms(passage[s.start:s.end])
        for cw, cn in claim_terms:
            if len(cw) < 3:
                continue
            cover = len(cw & words) / len(cw)
            if cover >= threshold and cn <= nums:
                return True
            # the same figure (not a bare year) said about much the same thing
            figures = {n for n in cn & nums if not (len(n) == 4 and n.isdigit() and n[:2] in ("19", "20"))}
            if figures and cover >= threshold * 0.5:
                return True
    return False


def find_omitted(
    article: Document,
    checked_claims: Iterable[Claim | CheckedClaim],
    index: Any,
    verifier: Any,
    *,
    limit: int = 10,
    min_score: float = 0.25,
    k: int = 15,
    min_novelty: float = 0.4,
    min_topic: float = 0.3,
    restate_threshold: float = 0.75,
    per_document: int = 2,
    mode: str = "hybrid",
) -> list[OmittedFact]:
    """Relevant, earlier corpus passages that no claim of ``article`` states (see the module doc).

    ``index`` needs ``search_many(queries, k, mode=, before=, exclude_documents=)`` (or ``search``);
    ``verifier`` needs ``stances([(claim, passage), ...])``.  ``k`` passages are retrieved per query.
    Scores lie in 0..1: relevance (the better of the article-level and claim-level rank scores,
    with a bonus when both retrieve it) times novelty.
    """
    items = list(checked_claims)
    claims = [_claim_of(c) for c in items]
    # passages the report already shows as supporting a claim are stated, not omitted
    stated: dict[str, list[tuple[int, int]]] = {}
    for it in items:
        for ev in getattr(it, "evidence", None) or []:
            if str(getattr(ev.stance, "value", ev.stance)) == "supports":
                stated.setdefault(ev.passage.document_id, []).append((ev.passage.start, ev.passage.end))
    queries = [_lead(article)] + [c.standalone or c.text for c in claims]
    kwargs = dict(mode=mode, before=article.published, exclude_documents={article.id})
    if hasattr(index, "search_many"):
        results: list[list[Hit]] = index.search_many(queries, k, **kwargs)
    else:
        results = [index.search(q, k, **kwargs) for q in queries]

    passages: dict[str, Passage] = {}
    topic: dict[str, float] = {}
    by_claim: dict[str, dict[int, float]] = {}
    for qi, hits in enumerate(results):
        for rank, h in enumerate(hits):
            if h.after_claim_date:
                continue
            p = h.passage
            if p.published and article.published and p.published[:10] > article.published[:10]:
                continue
            passages[p.id] = p
            r = 1.0 - rank / max(1, k)  # 1 for the top hit, falling linearly
            if qi == 0:
                topic[p.id] = r
            else:
                by_claim.setdefault(p.id, {})[qi - 1] = r

    art_words, art_nums = content_terms(article.text or "")
    title_words, title_nums = content_terms(article.title or "")
    art_words |= title_words
    art_nums |= title_nums
    claim_terms = [content_terms(c.standalone or c.text) for c in claims]

    scored: list[tuple[float, Passage, float, dict[int, float], float]] = []
    for pid, p in passages.items():
        t = topic.get(pid, 0.0)
        cl = by_claim.get(pid, {})
        best_claim = max(cl.values(), default=0.0)
        relevance = max(t, best_claim) * (1.0 + 0.25 * min(t, best_claim)) / 1.25 + 0.2 * min(1.0, len(cl) / 3)
        relevance = min(1.0, relevance)
        novelty, _ = _novelty(p.text, art_words, art_nums)
        if novelty < min_novelty:
            continue
        if _restates(p.text, claim_terms, restate_threshold):
            continue
        if any(a < p.end and p.start < b for a, b in stated.get(p.document_id, [])):
            continue
        scored.append((relevance * novelty, p, t, cl, novelty))

    # stance of each candidate towards the claims that retrieved it
    pairs, keys = [], []
    for _, p, _, cl, _ in scored:
        for ci in cl:
            pairs.append((claims[ci].standalone or claims[ci].text, p.text))
            keys.append((p.id, ci))
    stances = verifier.stances(pairs) if pairs else []
    stance_of: dict[tuple[str, int], tuple[str, float]] = {}
    for key, res in zip(keys, stances):
        stance_of[key] = (str(getattr(res.stance, "value", res.stance)), float(res.probability))

    facts: list[tuple[float, OmittedFact, Passage]] = []
    for score, p, t, cl, _ in scored:
        related, stance, best = None, "neutral", -1.0
        for ci, r in cl.items():
            st, prob = stance_of.get((p.id, ci), ("neutral", 0.0))
            if st != "neutral" and r * prob > best:
                related, stance, best = claims[ci].id, st, r * prob
        if related is None and t < min_topic:
            continue  # bears neither on a claim nor on the main subject
        if score < min_score:
            continue
        facts.append((score, OmittedFact(
            passage_id=p.id, document=p.title or p.url or p.document_id, document_id=p.document_id,
            url=p.url or None, published=(p.published or None) and p.published[:10], text=p.text,
            related_claim_id=related, stance=stance, score=round(score, 4)), p))

    facts.sort(key=lambda f: (-f[0], f[2].published or "", f[2].id))
    chosen: list[tuple[OmittedFact, Passage]] = []
    per_doc: dict[str, int] = {}
    for _, fact, p in facts:
        if per_doc.get(p.document_id, 0) >= per_document:
            continue
        if any(q.document_id == p.document_id and q.start < p.end and p.start < q.end for _, q in chosen):
            continue  # overlaps a better passage of the same document
        chosen.append((fact, p))
        per_doc[p.document_id] = per_doc.get(p.document_id, 0) + 1
        if len(chosen) >= limit:
            break
    return [f for f, _ in chosen]


def omitted_to_dicts(facts: Sequence[OmittedFact]) -> list[dict[str, Any]]:
    return [f.to_dict() for f in facts]
