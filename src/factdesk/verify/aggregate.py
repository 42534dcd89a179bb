"""From passage stances to one verdict per claim.

Rules, in order (thresholds are settings, calibrated later on dev data):

1. Only evidence a reader could have had when the claim was made counts
   first: passages published after the claim date are set aside, and used
   only when nothing earlier bears on the claim — the explanation then says so.
2. A passage *bears* on the claim when its supports or refutes probability
   reaches ``threshold``; passages marked irrelevant by a reviewer are ignored.
3. Each document speaks once, on the side of its strongest passage.  When one side outweighs
   the other ``dominance`` times over (summed per-document strength), that side wins.
   Otherwise, with support and refutation both present:
   - if every refuting passage is newer than every supporting one, the claim
     was true once and is now **refuted (outdated)**;
   - if every supporting passage is newer, the later record **supports** it;
   - otherwise **conflicting**.
4. Otherwise the stronger side wins; nothing bearing → **not_enough_evidence**.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from factdesk.types import Evidence, Label, Stance, Verdict


@dataclass
class AggregationSettings:
    threshold: float = 0.55
    max_cited: int = 3
    # one side outweighing the other this many times over (summed per-document strength) decides
    dominance: float = 2.0
    # (a, b): confidence -> sigmoid(a * logit(confidence) + b), fitted by factdesk.evaluate.fit_aggregation
    confidence_scale: tuple[float, float] | None = None


def _rescale(confidence: float, scale: tuple[float, float] | None) -> float:
    if scale is None:
        return confidence
    c = min(max(confidence, 1e-4), 1 - 1e-4)
    z = scale[0] * math.log(c / (1 - c)) + scale[1]
    return round(1 / (1 + math.exp(-z)), 4)


def _snippet(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _cite(ev: Evidence) -> str:
    p = ev.passage
    name = p.title or p.url or p.document_id
    when = f", {p.published}" if p.published else ""
    return f"“{_snippet(p.text)}” ({name}{when})"


def verdict_for(evidence: list[Evidence], settings: AggregationSettings | None = None) -> Verdict:
    """Aggregate judged evidence into a :class:`Verdict` with the deciding passages cited."""
    s = settings or AggregationSettings()
    verdict = _verdict(evidence, s)
    if s.confidence_scale is not None:
        verdict = replace(verdict, confidence=_rescale(verdict.confidence, s.confidence_scale))
    return verdict


def _verdict(evidence: list[Evidence], s: AggregationSettings) -> Verdict:
    usable = [e for e in evidence if not e.irrelevant]
    timely = [e for e in usable if not e.after_claim_date]
    late_note = ""

    def bearing(pool: list[Evidence], stance: Stance) -> list[Evidence]:
        out = [e for e in pool if e.probabilities.get(stance.value, 0.0) >= s.threshold]
        return sorted(out, key=lambda e: -e.probabilities.get(stance.value, 0.0))

    sup, ref = bearing(timely, Stance.SUPPORTS), bearing(timely, Stance.REFUTES)
    if not sup and not ref:
        late = [e for e in usable if e.after_claim_date]
        sup, ref = bearing(late, Stance.SUPPORTS), bearing(late, Stance.REFUTES)
        if sup or ref:
            late_note = " Note: this rests only on evidence published after the claim was made."

    if not sup and not ref:
        considered = len(usable)
        return Verdict(
            Label.NOT_ENOUGH_EVIDENCE,
            confidence=round(0.5 + 0.4 * (1 - _best(usable)), 4) if usable else 0.9,
            explanation=((f"None of the {considered} passages retrieved supports or refutes this claim."
                          if considered > 1 else "The one passage retrieved neither supports nor refutes this claim.")
                         if considered else "No passages in the corpus relate to this claim."),
            evidence_ids=[],
        )

    sup, ref = _by_document(sup, ref)
    p_sup = sup[0].probabilities[Stance.SUPPORTS.value] if sup else 0.0
    p_ref = ref[0].probabilities[Stance.REFUTES.value] if ref else 0.0
    w_sup, w_ref = _weight(sup, Stance.SUPPORTS), _weight(ref, Stance.REFUTES)
    if sup and ref and min(w_sup, w_ref) * s.dominance <= max(w_sup, w_ref):
        # one side clearly outweighs the other across documents: not a real conflict
        if w_ref > w_sup:
            return Verdict(Label.REFUTED, confidence=round(p_ref * w_ref / (w_ref + w_sup), 4),
                           explanation=(f"Contradicted by {_cite(ref[0])}; a weaker source agrees with the "
                                        f"claim: {_cite(sup[0])}.{late_note}"),
                           evidence_ids=_ids(ref, s) + _ids(sup, s, 1))
        return Verdict(Label.SUPPORTED, confidence=round(p_sup * w_sup / (w_ref + w_sup), 4),
                       explanation=(f"Supported by {_cite(sup[0])}; a weaker source disagrees: "
                                    f"{_cite(ref[0])}.{late_note}"),
                       evidence_ids=_ids(sup, s) + _ids(ref, s, 1))

    if sup and ref:
        newest_sup, oldest_sup = _newest(sup), _oldest(sup)
        newest_ref, oldest_ref = _newest(ref), _oldest(ref)
        if newest_sup and oldest_ref and oldest_ref > newest_sup:
            return Verdict(
                Label.REFUTED, confidence=round(p_ref * 0.9, 4),
                explanation=(f"Outdated: it matched earlier records ({_cite(sup[0])}) but later evidence "
                             f"contradicts it: {_cite(ref[0])}.{late_note}"),
                evidence_ids=_ids(ref, s) + _ids(sup, s, 1),
            )
        if newest_ref and oldest_sup and oldest_sup > newest_ref:
            return Verdict(
                Label.SUPPORTED, confidence=round(p_sup * 0.9, 4),
                explanation=(f"Supported by the most recent evidence: {_cite(sup[0])}; an older record "
                             f"said otherwise: {_cite(ref[0])}.{late_note}"),
                evidence_ids=_ids(sup, s) + _ids(ref, s, 1),
            )
        return Verdict(
            Label.CONFLICTING, confidence=round(min(p_sup, p_ref), 4),
            explanation=(f"Credible sources disagree. For: {_cite(sup[0])}. Against: {_cite(ref[0])}."
                         f"{late_note}"),
            evidence_ids=_ids(sup, s, 2) + _ids(ref, s, 2),
        )

    if p_ref >= p_sup:
        return Verdict(Label.REFUTED, confidence=round(p_ref, 4),
                       explanation=f"Contradicted by {_cite(ref[0])}.{late_note}", evidence_ids=_ids(ref, s))
    return Verdict(Label.SUPPORTED, confidence=round(p_sup, 4),
                   explanation=f"Supported by {_cite(sup[0])}.{late_note}", evidence_ids=_ids(sup, s))


def _ids(pool: list[Evidence], s: AggregationSettings, n: int | None = None) -> list[str]:
    return [e.passage.id for e in pool[: n or s.max_cited]]


def _best(pool: list[Evidence]) -> float:
    return max((max(e.probabilities.get("supports", 0), e.probabilities.get("refutes", 0)) for e in pool),
               default=0.0)


def _by_document(sup: list[Evidence], ref: list[Evidence]) -> tuple[list[Evidence], list[Evidence]]:
    """Each document speaks once: its passages count only on the side of its strongest passage.

    One document both "supporting" and "refuting" a claim is the verifier's noise, not two
    credible sources disagreeing.
    """
    best: dict[str, tuple[float, str]] = {}
    for stance, pool in ((Stance.SUPPORTS, sup), (Stance.REFUTES, ref)):
        for e in pool:
            p = e.probabilities.get(stance.value, 0.0)
            doc = e.passage.document_id
            if p > best.get(doc, (-1.0, ""))[0]:
                best[doc] = (p, stance.value)
    keep = {doc: side for doc, (_, side) in best.items()}
    return ([e for e in sup if keep[e.passage.document_id] == Stance.SUPPORTS.value],
            [e for e in ref if keep[e.passage.document_id] == Stance.REFUTES.value])


def _weight(pool: list[Evidence], stance: Stance) -> float:
    """The summed strength of a side: each document's strongest passage."""
    per_doc: dict[str, float] = {}
    for e in pool:
        doc = e.passage.document_id
        per_doc[doc] = max(per_doc.get(doc, 0.0), e.probabilities.get(stance.value, 0.0))
    return sum(per_doc.values())


def _newest(pool: list[Evidence]) -> str | None:
    dates = [e.passage.published for e in pool if e.passage.published]
    return max(dates) if len(dates) == len(pool) and dates else None


def _oldest(pool: list[Evidence]) -> str | None:
    dates = [e.passage.published for e in pool if e.passage.published]
    return min(dates) if len(dates) == len(pool) and dates else None
