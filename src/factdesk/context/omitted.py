"""Omitted context: relevant facts in the corpus that the article never states.

:func:`find_omitted` looks for corpus passages that

1. are **relevant** — retrieved for the article as a whole (its title and lead, ``k`` hits) and/or
   for its individual claims (``claim_k`` hits each, deeper than the evidence the report shows, so
   that facts outside a claim's top evidence are found); a passage's relevance combines its rank
   in the article-level list with its best rank in any claim's list and how many claims retrieve it;
2. were **available** — published no later than the article, or undated (passages flagged
   ``after_claim_date`` by the index are dropped);
3. are **new** — the article does not already say them: each sentence of the passage is
   compared with the article's words and numbers; the passage's novelty is the geometric mean of
   its best sentence's share of new content terms (numbers count double) and the whole passage's
   share, so one new sentence among restatements is not enough (``min_novelty``); a passage with a
   sentence close to one claim as a whole (a restatement) is dropped;
4. are **on topic** — the passage (or its document title) names at least ``min_entities`` of the
   article's people or multi-word organisations/places (:func:`factdesk.text.entities.find_mentions`,
   matched case-sensitively), which keeps passages about unrelated local matters out;
5. **bear on** a claim (the verifier's stance on one of the ``stance_claims`` claims that
   retrieved it best is not neutral, with probability at least ``min_stance_probability``) or on the
   article's main subject (it names a *main* entity: one in the title/lead or mentioned twice).

Score (0..1) = relevance × novelty × recency × bonus / max bonus, where

* recency halves every ``recency_years`` before the article's date (undated: 1) — an omitted fact
  is mostly a *development* the article should have caught up with, not old background;
* bonus = 1, + ``unseen_document_bonus`` when no claim's shown evidence comes from the passage's
  document (the report shows nothing of it yet), + ``stance_bonus`` × the stance probability for the
  claim it bears on, + ``later_bonus`` when it is newer than every non-neutral evidence passage
  shown for that claim (a later development than what the claim rests on).

Results carry the claim they bear on (``related_claim_id``; ``None`` for the main subject) for
grouping, at most ``per_document`` per document (default one) and no overlapping stretches,
ranked by score, at most ``limit``; scores below ``min_score`` are dropped.

Nothing here knows about any particular corpus: every threshold is a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from factdesk.context.quotes import FUNCTION_WORDS
from factdesk.text.entities import find_mentions
from factdesk.text.sentences import split_sentences
from factdesk.text.words import without_as_of
from factdesk.types import CheckedClaim, Claim, Document, Hit, Passage

def _claim_words(claim: Claim) -> str:
    """The claim as omitted context searches and compares it: its standalone form without the article's "As of"
    date (it says nothing about which passages are on topic, and its numbers would make any passage of that year
    look like a restatement)."""
    return without_as_of(claim.standalone or claim.text)


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


def _paragraphs(article: Document, *, max_paragraphs: int = 12, min_words: int = 12, chars: int = 600) -> list[str]:
    """The article's substantial paragraphs (short headings and bylines skipped), trimmed."""
    out = []
    for block in re.split(r"\n\s*\n", article.text or ""):
        block = " ".join(block.split())
        if len(block.split()) >= min_words:
            out.append(block[:chars])
    return out[:max_paragraphs]


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


def _years_between(earlier: str | None, later: str | None) -> float | None:
    """Years from ``earlier`` to ``later`` (ISO dates, years or months); None when either is unknown."""
    def parse(d: str | None) -> float | None:
        if not d:
            return None
        m = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", d)
        if not m:
            return None
        return int(m.group(1)) + (int(m.group(2) or 1) - 1) / 12 + (int(m.group(3) or 1) - 1) / 365
    a, b = parse(earlier), parse(later)
    return None if a is None or b is None else b - a


def _entity_names(article: Document) -> tuple[set[str], set[str]]:
    """``(all, main)`` named entities of the article: canonical names of multi-word entities and people.

    *main* entities are those in the title/lead or mentioned at least twice.  Matching is
    case-sensitive; single capitalised words other than people's names are left out.
    """
    text = article.text or ""
    lead = _lead(article)
    counts: dict[str, int] = {}
    surfaces: dict[str, set[str]] = {}
    for m in find_mentions(text):
        if " " not in m.name and m.kind != "person":
            continue  # a lone capitalised word ("City", "Light"): too ambiguous to stand for a topic
        key = m.name
        counts[key] = counts.get(key, 0) + 1
        surfaces.setdefault(key, set()).update({m.name})
    names, main = set(), set()
    for key, n in counts.items():
        forms = {f for f in surfaces[key] if len(f) >= 4}
        names |= forms
        if n >= 2 or any(f in lead for f in forms):
            main |= forms
    return names, main


def _mentions(text: str, names: set[str]) -> set[str]:
    return {n for n in names if re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", text)}


def _topic_queries(article: Document, claims: list[Claim]) -> list[str]:
    """The article as a whole: its lead and each of its paragraphs (opinion and all, since a topic
    the article raises without a check-worthy claim still has context), and its other sentences."""
    claim_spans = {(c.start, c.end) for c in claims}
    other_sentences = [sent.text for sent in split_sentences(article.text or "")
                       if len(sent.text.split()) >= 6 and (sent.start, sent.end) not in claim_spans]
    return [_lead(article)] + _paragraphs(article) + other_sentences[:40]


def planned_queries(article: Document, checked_claims: Iterable[Claim | CheckedClaim]) -> list[str]:
    """The texts :func:`find_omitted` will search for (so a retriever can embed them ahead, in one call)."""
    claims = [_claim_of(c) for c in checked_claims]
    return _topic_queries(article, claims) + [_claim_words(c) for c in claims]


def find_omitted(
    article: Document,
    checked_claims: Iterable[Claim | CheckedClaim],
    index: Any,
    verifier: Any,
    *,
    limit: int = 10,
    min_score: float = 0.05,
    k: int = 30,
    claim_k: int = 25,
    min_novelty: float = 0.4,
    min_topic: float = 0.3,
    restate_threshold: float = 0.75,
    per_document: int = 1,
    mode: str = "hybrid",
    recency_years: float = 2.0,
    min_entities: int = 1,
    stance_claims: int = 3,
    unseen_document_bonus: float = 0.5,
    later_bonus: float = 0.25,
    stance_bonus: float = 0.5,
    min_stance_probability: float = 0.0,
) -> list[OmittedFact]:
    """Relevant, earlier corpus passages that no claim of ``article`` states (see the module doc).

    ``index`` needs ``search_many(queries, k, mode=, before=, exclude_documents=)`` (or ``search``);
    ``verifier`` needs ``stances([(claim, passage), ...])``.  ``k`` passages are retrieved for the
    article, ``claim_k`` for each claim.  Scores lie in 0..1 (see the module doc for the factors).
    """
    items = list(checked_claims)
    claims = [_claim_of(c) for c in items]
    # what the report already draws on for each claim: documents and the newest evidence date
    evidence_docs: set[str] = set()
    newest_evidence: dict[int, str] = {}
    for ci, it in enumerate(items):
        for ev in getattr(it, "evidence", None) or []:
            evidence_docs.add(ev.passage.document_id)
            d = (ev.passage.published or "")[:10]
            if d and str(getattr(ev.stance, "value", ev.stance)) != "neutral" and d > newest_evidence.get(ci, ""):
                newest_evidence[ci] = d
    topic_queries = _topic_queries(article, claims)
    queries = topic_queries + [_claim_words(c) for c in claims]
    n_topic = len(topic_queries)
    kwargs = dict(mode=mode, before=article.published, exclude_documents={article.id})
    results: list[list[Hit]] = list(index.search_many(topic_queries, k, **kwargs))
    if claims:
        results += index.search_many(queries[n_topic:], claim_k, **kwargs)

    passages: dict[str, Passage] = {}
    topic: dict[str, float] = {}
    by_claim: dict[str, dict[int, float]] = {}
    for qi, hits in enumerate(results):
        depth = max(1, k if qi < n_topic else claim_k)
        for rank, h in enumerate(hits):
            if h.after_claim_date:
                continue
            p = h.passage
            if p.published and article.published and p.published[:10] > article.published[:10]:
                continue
            passages[p.id] = p
            r = 1.0 - rank / depth  # 1 for the top hit, falling linearly
            if qi < n_topic:
                topic[p.id] = max(topic.get(p.id, 0.0), r)
            else:
                by_claim.setdefault(p.id, {})[qi - n_topic] = r

    art_words, art_nums = content_terms(article.text or "")
    title_words, title_nums = content_terms(article.title or "")
    art_words |= title_words
    art_nums |= title_nums
    claim_terms = [content_terms(_claim_words(c)) for c in claims]
    names, main_names = _entity_names(article)

    # filters: new (not restating the article) and on the article's topic (shares its entities)
    cands: list[tuple[Passage, float, float, dict[int, float], float, set[str]]] = []
    for pid, p in passages.items():
        t = topic.get(pid, 0.0)
        cl = by_claim.get(pid, {})
        novelty, _ = _novelty(p.text, art_words, art_nums)
        if novelty < min_novelty:
            continue
        # the passage as a whole must be mostly new too, not one new sentence among restatements
        words, nums = content_terms(p.text)
        total = len(words) + 2 * len(nums)
        share = (len(words - art_words) + 2 * len(nums - art_nums)) / total if total else 0.0
        novelty = (novelty * share) ** 0.5
        if novelty < min_novelty:
            continue
        if _restates(p.text, claim_terms, restate_threshold):
            continue
        shared = _mentions(f"{p.title or ''}\n{p.text}", names) if names else set()
        if names and len(shared) < min_entities:
            continue  # off-topic: none of the article's people or organisations
        best_claim = max(cl.values(), default=0.0)
        relevance = max(t, best_claim) * (1.0 + 0.25 * min(t, best_claim)) / 1.25 + 0.2 * min(1.0, len(cl) / 3)
        cands.append((p, min(1.0, relevance), t, cl, novelty, shared))

    # stance of each candidate towards the claims that retrieved it best
    pairs, keys = [], []
    for p, _, _, cl, _, _ in cands:
        for ci in sorted(cl, key=lambda c: -cl[c])[:stance_claims]:
            pairs.append((claims[ci].standalone or claims[ci].text, p.text))
            keys.append((p.id, ci))
    stances = verifier.stances(pairs) if pairs else []
    stance_of: dict[tuple[str, int], tuple[str, float]] = {}
    for key, res in zip(keys, stances):
        stance_of[key] = (str(getattr(res.stance, "value", res.stance)), float(res.probability))

    facts: list[tuple[float, OmittedFact, Passage]] = []
    for p, relevance, t, cl, novelty, shared in cands:
        related, stance, best, prob = None, "neutral", -1.0, 0.0
        for ci, r in cl.items():
            st, pr = stance_of.get((p.id, ci), ("neutral", 0.0))
            if st != "neutral" and pr >= min_stance_probability and r * pr > best:
                related, stance, best, prob = ci, st, r * pr, pr
        on_subject = bool(shared & main_names) if main_names else t >= min_topic
        if related is None and not on_subject:
            continue  # bears neither on a claim nor on the main subject
        age = _years_between(p.published, article.published)
        recency = 1.0 if age is None else 0.5 ** (max(0.0, age) / max(1e-6, recency_years))
        bonus = 1.0
        if p.document_id not in evidence_docs:
            bonus += unseen_document_bonus
        if related is not None:
            bonus += stance_bonus * prob
            newest = newest_evidence.get(related)
            if newest and p.published and p.published[:10] > newest:
                bonus += later_bonus
        top_bonus = 1.0 + unseen_document_bonus + stance_bonus + later_bonus
        score = relevance * novelty * recency * bonus / top_bonus
        if score < min_score:
            continue
        facts.append((score, OmittedFact(
            passage_id=p.id, document=p.title or p.url or p.document_id, document_id=p.document_id,
            url=p.url or None, published=(p.published or None) and p.published[:10], text=p.text,
            related_claim_id=claims[related].id if related is not None else None, stance=stance,
            score=round(score, 4)), p))

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
