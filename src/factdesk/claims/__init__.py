"""Claims: find the check-worthy statements of an article.

``extract_claims(doc)`` segments the text, scores every sentence for
check-worthiness, keeps those at or above ``threshold`` plus every part of an
explicit rebuttal ("Claim: … / Fact: …", "X says …, but …"), labels each claim
(assertion, quoted, rebutted, rebuttal) with who said it, rewrites it to stand
alone and orders its dated events into a timeline.

Example::

    >>> from factdesk.types import Document
    >>> doc = Document(text="Claim: The dam leaks.\\nFact: Inspectors found no leak in 2023.", published="2024-03-15")
    >>> [(c.kind.value, c.text) for c in extract_claims(doc).claims]
    [('rebutted', 'The dam leaks.'), ('rebuttal', 'Inspectors found no leak in 2023.')]
"""

from __future__ import annotations

import re

from factdesk import registry
from factdesk.claims.attribution import Attribution, attribute, attribute_all, proposition
from factdesk.claims.checkworthy import CheckworthinessScorer, HeuristicCheckworthiness
from factdesk.claims.decontextualize import decontextualize, resolve_relative_dates
from factdesk.claims.references import spelled_out
from factdesk.text.entities import find_mentions
from factdesk.text.quotes import double_quoted
from factdesk.claims.rebuttal import _LABEL, _RATING, RebuttalSpan, find_rebuttals, rebutted_author
from factdesk.text.sentences import Sentence, split_sentences
from factdesk.claims.timeline import build_timeline
from factdesk.types import Claim, ClaimKind, ClaimSet, Document

__all__ = [
    "Attribution",
    "CheckworthinessScorer",
    "HeuristicCheckworthiness",
    "RebuttalSpan",
    "Sentence",
    "attribute",
    "build_timeline",
    "decontextualize",
    "extract_claims",
    "find_rebuttals",
    "rebutted_author",
    "resolve_relative_dates",
    "split_sentences",
]


def _is_label_only(sentence: str) -> bool:
    m = _LABEL.match(sentence)
    if not m:
        return False
    rest = sentence[m.end():].strip()
    return not rest or bool(_RATING.match(rest))


_SMALL_WORDS = {"a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "for", "by", "with", "as", "vs", "from"}


def _not_a_claim(sentence: str) -> bool:
    """Sentences whose form says they are not a statement to check, whatever their words score.

    * a lead-in to a list ("There are four main areas where …:");
    * a headline in title case ("2023 on Track to Break Temperature Records");
    * the writer's own hedged impression ("It seems …", "It appears that …");
    * a teaser for another article, tagged in capitals at its end ("Family win £392k on Postcode Lottery [REVEAL]")
      or led in ("READ MORE: Guns seized in police raid");
    * the page's own update note ("Updated 11.02.23, 11:52 EST: This article has been updated to …").
    """
    s = sentence.strip().strip("\"“”'’ ")
    if s.endswith(":"):
        return True
    words = [w for w in s.split() if w[:1].isalpha()]
    content = [w for w in words if w.lower() not in _SMALL_WORDS]
    if (len(content) >= 4 and s[-1:] not in ".!?" and sum(w[0].isupper() for w in content) >= 0.8 * len(content)
            and any(w[0].isupper() for w in words[1:] if w.lower() not in _SMALL_WORDS)):
        return True
    if re.search(r"\[[A-Z]{3,}(?:\s[A-Z]+)*\]\W*$", s) or _UPDATE_NOTE.match(s) or _TEASER.match(s):
        return True
    return bool(re.match(r"It\s+(?:seems|appears|looks)\b", s))


_TEASER = re.compile(r"(?:READ MORE|Read more|RELATED|Related|SEE ALSO|See also|MORE|WATCH|Watch|LISTEN|Listen)\s*:")
_UPDATE_NOTE = re.compile(r"(?:Updated?|Correction|Clarification|Editor[’']s note)\b[^:]{0,40}:|"
                          r"(?:This|The) (?:article|story|post) (?:has been|was) (?:updated|corrected|amended)\b", re.I)
MAX_SENTENCE_CHARS = 3000  # longer "sentences" are never claims (and are not scored)
MAX_SENTENCES = 6000  # sentences read per article (about 120,000 words); the rest is not scored


def extract_claims(
    doc: Document,
    *,
    scorer: CheckworthinessScorer | None = None,
    threshold: float = 0.5,
    max_claims: int | None = None,
) -> ClaimSet:
    """The claims of ``doc`` in document order, with a timeline of their dated events."""
    text = doc.text or ""
    # Bounded work whatever the input: a "sentence" of thousands of characters is a table or a dump, not a
    # claim, and the rules below are not linear in its length; past MAX_SENTENCES it is not an article.
    sentences = [s for s in split_sentences(text) if len(s.text) <= MAX_SENTENCE_CHARS][:MAX_SENTENCES]
    if not sentences:
        return ClaimSet(claims=[], timeline=[], sentences=0)
    if scorer is None:
        scorer = registry.create("checkworthiness", "heuristic")
        scorer.warm_up()
    scores = [float(x) for x in scorer.score([s.text for s in sentences])]
    mentions = find_mentions(text)
    spans = find_rebuttals(text, sentences, mentions)

    # spans that are not whole sentences get their own score
    def is_whole(span: RebuttalSpan) -> bool:
        s = sentences[span.sentence_index]
        return span.start == s.start and span.end == s.end

    partial = [sp for sp in spans if not is_whole(sp)]
    partial_scores = dict(zip(((sp.start, sp.end) for sp in partial),
                              scorer.score([text[sp.start:sp.end] for sp in partial]) if partial else []))

    def span_score(span: RebuttalSpan) -> float:
        return float(partial_scores.get((span.start, span.end), scores[span.sentence_index]))

    claims: list[Claim] = []
    forced: set[str] = set()
    rebutted_by_group: dict[int, Claim] = {}
    used: set[int] = set()
    for span in spans:
        for i in range(span.sentence_index, len(sentences)):
            if sentences[i].start >= span.end:
                break
            if sentences[i].end > span.start:
                used.add(i)
        used.add(span.sentence_index)
    for span in (sp for sp in spans if sp.role == "rebutted"):
        claim = Claim(text=text[span.start:span.end], start=span.start, end=span.end,
                      checkworthiness=round(span_score(span), 4), kind=ClaimKind.REBUTTED,
                      attributed_to=span.speaker, sentence_index=span.sentence_index)
        rebutted_by_group[span.group] = claim
        claims.append(claim)
        forced.add(claim.id)
    for span in (sp for sp in spans if sp.role == "rebuttal"):
        score = span_score(span)
        if not span.primary and score < threshold:
            continue
        target = rebutted_by_group.get(span.group)
        att = attribute(text[span.start:span.end], span.start, text, mentions)
        claim = Claim(text=text[span.start:span.end], start=span.start, end=span.end,
                      checkworthiness=round(score, 4), kind=ClaimKind.REBUTTAL if target else ClaimKind.ASSERTION,
                      attributed_to=att.speaker if att else None,
                      responds_to=target.id if target else None, sentence_index=span.sentence_index)
        claims.append(claim)
        if span.primary:
            forced.add(claim.id)

    # attributed in order: "he said" and a quotation's later sentences depend on what came before; British
    # ‘…,’ she said is read as “…,” she said (the same offsets)
    quoted_text = double_quoted(text)
    attributions = attribute_all([(quoted_text[s.start:s.end], s.start) for s in sentences], quoted_text, mentions)
    for i, s in enumerate(sentences):
        if i in used or scores[i] < threshold or _is_label_only(s.text) or _not_a_claim(s.text):
            continue
        att = attributions[i]
        claims.append(Claim(text=s.text, start=s.start, end=s.end, checkworthiness=round(scores[i], 4),
                            kind=ClaimKind.QUOTED if att else ClaimKind.ASSERTION,
                            attributed_to=att.speaker if att else None, sentence_index=i))

    left_out = 0
    if max_claims is not None and len(claims) > max_claims:
        kept = _cap(claims, forced, max(0, max_claims))
        left_out, claims = len(claims) - len(kept), kept
    claims.sort(key=lambda c: (c.start, c.end))
    decontextualize(claims, doc, mentions=mentions)
    for c in claims:
        if c.attributed_to:  # "HCSO said" is the Harris County Sheriff's Office the article named before
            c.attributed_to = spelled_out(c.attributed_to, mentions) or c.attributed_to
        c.checked_as = proposition(c.standalone, c.attributed_to)
    return ClaimSet(claims=claims, timeline=build_timeline(claims), sentences=len(sentences), left_out=left_out)


def _cap(claims: list[Claim], forced: set[str], limit: int) -> list[Claim]:
    """The ``limit`` most important claims: rebuttal pairs first, then by score; a rebuttal keeps its target."""
    by_id = {c.id: c for c in claims}
    order = sorted(claims, key=lambda c: (c.id not in forced, -c.checkworthiness, c.start))
    chosen: dict[str, Claim] = {}
    for claim in order:
        if claim.id in chosen:
            continue
        need = [claim]
        target = by_id.get(claim.responds_to or "")
        if target is not None and target.id not in chosen:
            need.append(target)
        if len(chosen) + len(need) <= limit:
            for c in need:
                chosen[c.id] = c
    return list(chosen.values())
