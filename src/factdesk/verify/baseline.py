"""A transparent baseline verifier: word coverage plus mismatch rules.

For each (claim, passage) pair it measures how much of the claim's content
the passage covers, then looks for signs that the passage says something
*different* about the same thing: other numbers or years of the same kind,
negation on one side only, an antonym (approved/rejected, rose/fell).

* covered and no mismatch → supports
* covered and a mismatch  → refutes
* not covered             → neutral

Every judgement carries its reasons, so a reviewer sees why.  It is a
baseline: it knows no paraphrase beyond light stemming and no world
knowledge.  The trained verifier replaces it as the default; it stays
registered as ``baseline`` for comparison.

Example::

    >>> v = BaselineVerifier()
    >>> v.stances([("The bridge opened in 2019.", "The bridge opened in 2021 after delays.")])[0].stance.value
    'refutes'
"""

from __future__ import annotations

from factdesk.text.words import ANTONYM_MAP, WORD, content_words, negation_count, numbers
from factdesk.verify.base import StanceResult


class BaselineVerifier:
    """Coverage + mismatch rules. Registered as ``baseline``."""

    name = "baseline"

    def __init__(self, relevance_floor: float = 0.3) -> None:
        self.relevance_floor = relevance_floor

    def warm_up(self) -> None:  # nothing to load
        return None

    def stances(self, pairs: list[tuple[str, str]]) -> list[StanceResult]:
        return [self._judge(claim, passage) for claim, passage in pairs]

    def _judge(self, claim: str, passage: str) -> StanceResult:
        cw, pw = content_words(claim), content_words(passage)
        if not cw:
            return StanceResult({"supports": 0.0, "refutes": 0.0, "neutral": 1.0}, ["claim has no content words"])
        coverage = len(cw & pw) / len(cw)
        reasons = [f"passage covers {coverage:.0%} of the claim's content words"]
        relevance = max(0.0, min(1.0, (coverage - self.relevance_floor) / (0.85 - self.relevance_floor)))

        mismatch = 0.0
        cn, pn = numbers(claim), numbers(passage)
        matched_numbers = 0
        for kind in cn:
            if not cn[kind]:
                continue
            if cn[kind] & pn[kind]:
                matched_numbers += 1
            if pn[kind] and not cn[kind] <= pn[kind]:
                # a claim value absent from a passage that gives values of the same kind
                # rounding tolerance only for money and percentages; years and counts must be equal
                tol = 0.005 if kind in ("money", "percent") else 0.0
                close = all(any(abs(a - b) <= tol * max(abs(a), 1) for b in pn[kind]) for a in cn[kind])
                if not close:
                    mismatch = max(mismatch, 0.6 if kind in ("count", "date") else 0.8)
                    reasons.append(f"{kind} differs: claim {sorted(cn[kind])} vs passage {sorted(pn[kind])}")
        if (negation_count(claim) > 0) != (negation_count(passage) > 0):
            mismatch = max(mismatch, 0.55)
            reasons.append("negation on one side only")
        claim_lower = {w.lower() for w in WORD.findall(claim)}
        passage_lower = {w.lower() for w in WORD.findall(passage)}
        for w in claim_lower:
            opposite = ANTONYM_MAP.get(w, set()) & passage_lower
            if opposite and w not in passage_lower:
                mismatch = max(mismatch, 0.7)
                reasons.append(f"'{w}' in the claim, '{sorted(opposite)[0]}' in the passage")

        if matched_numbers and not mismatch:
            relevance = min(1.0, relevance + 0.15)
            reasons.append("numbers agree")
        if relevance <= 0:
            return StanceResult({"supports": 0.05, "refutes": 0.05, "neutral": 0.9}, reasons)
        if mismatch:
            p_ref = 0.15 + 0.8 * relevance * mismatch
            p_sup = 0.05
        else:
            p_sup = 0.1 + 0.85 * relevance
            p_ref = 0.05
        p_neu = max(0.0, 1.0 - p_sup - p_ref)
        return StanceResult({"supports": round(p_sup, 4), "refutes": round(p_ref, 4), "neutral": round(p_neu, 4)},
                            reasons)


def make_baseline(**settings: object) -> BaselineVerifier:
    return BaselineVerifier(**settings)  # type: ignore[arg-type]
