"""Match a claim against earlier fact-checks: hybrid retrieval, a transparent re-ranker, a calibrated threshold.

1. **Retrieval** (:func:`factdesk.match.store.search_reviews_many`): FTS5 BM25
   over the stored claims (+ review titles) and a dense scan over their MiniLM
   vectors, each ``CANDIDATES`` deep, fused by reciprocal rank; the union is
   re-ranked.
2. **Re-ranking**: a logistic model over a handful of features you can read
   (each :class:`Match` carries them and the reasons):

   ============== ===========================================================
   ``cosine``      exact cosine of the two MiniLM embeddings (paraphrase)
   ``cos_gap``     cosine minus the best cosine among this claim's candidates
                   (0 for the closest record; separates near-duplicates)
   ``cover_q``     share of the claim's content words (stemmed) in the record
   ``cover_r``     share of the record's content words in the claim
   ``negation``    1 when exactly one side is negated ("is not", "never" …)
   ``antonym``     1 when one side says approved/rose/won … and the other the
                   opposite
   ``num_clash``   1 when the claim gives a year / percentage / amount that
                   the record, giving values of the same kind, does not have
   ``num_agree``   1 when they share such a value and none clashes
   ``ent_clash``   1 when the claim names someone/somewhere absent from the
                   record while the record names someone/somewhere absent
                   from the claim (Paris vs Rome, Ortiz vs Lamb)
   ============== ===========================================================

   ``score = sigmoid(bias + sum(weight * feature))`` in [0, 1].
3. **Threshold**: only matches with ``score >= THRESHOLD`` are returned.

The weights and the threshold were fitted on the *dev* split of
``data/claim-matching`` (logistic regression over the retrieved candidates of
each dev query, then the threshold maximising ``MAP@5 - 3 * false_match_rate``
on dev) with ``python -m factdesk.match.calibrate``; the test split was not
used.  See data/claim-matching/README.md and docs for the figures.

Example::

    with Store.open("fd.db") as store:
        m = ClaimMatcher(store)
        for hit in m.match("Vaccines do not cause autism", k=5):
            print(f"{hit.score:.2f} {hit.rating} {hit.publisher} {hit.url}")
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from factdesk.match.store import Candidate, Review, search_reviews_many
from factdesk.store.sqlite import Store
from factdesk.verify.baseline import _ANTONYM_MAP, NEGATORS, STOPWORDS, content_words, numbers

FEATURES = ("cosine", "cos_gap", "cover_q", "cover_r", "negation", "antonym", "num_clash", "num_agree",
            "ent_clash")

# Fitted by `python -m factdesk.match.calibrate` on data/claim-matching/dev.jsonl (see the module docstring).
WEIGHTS: dict[str, float] = {
    "bias": -10.024, "cosine": 7.092, "cos_gap": 8.425, "cover_q": 2.841, "cover_r": 2.935, "num_agree": 2.661,
    # hand-set vetoes (see factdesk.match.calibrate.FIXED)
    "negation": -6.0, "antonym": -6.0, "num_clash": -6.0, "ent_clash": -6.0,
}
THRESHOLD = 0.5
CANDIDATES = 50  # depth of each retrieval list
VETO_MIN_COVER = 0.5  # mismatch features count only when the claim covers this share of the record's words

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,]*(?:\.\d+)?")
_CAP = re.compile(r"(?<![\w@#])([A-Z][a-zA-Z'’-]+)")
_NOT_NAMES = frozenset(STOPWORDS | {w.capitalize() for w in STOPWORDS} | {
    "A", "An", "The", "This", "That", "These", "Those", "There", "It", "In", "On", "At", "By", "For", "From",
    "He", "She", "They", "We", "You", "I", "His", "Her", "Their", "Our", "My", "Says", "Said", "Claim",
    "Claims", "Photo", "Video", "Image", "Breaking", "New", "No", "Not", "Yes", "Mr", "Mrs", "Ms", "Dr",
    "President", "Former", "Mayor", "Governor", "Senator", "Minister", "Prime", "Sen", "Rep", "Gov", "Rt",
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "If", "When", "After", "Before", "Why", "How", "What", "Who", "According", "All", "Every", "Some",
})


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def negated(text: str) -> bool:
    return any(w in NEGATORS or w.endswith("n't") for w in _words(text))


def names(text: str) -> set[str]:
    """Lower-cased capitalised words that look like names (people, places, organisations).

    A capitalised word opening a sentence counts only when the next word is capitalised too or when it
    does not end like a plural or a gerund ("Offences", "Drinking" are not names; "Paris" is).
    """
    out = set()
    for m in _CAP.finditer(text):
        w = m.group(1)
        if w in _NOT_NAMES or w.lower() in STOPWORDS or len(w) < 2:
            continue
        before = text[:m.start()].rstrip()
        if not before or before[-1] in ".!?:\"“":
            nxt = text[m.end():m.end() + 2]
            if not (len(nxt) == 2 and nxt[0] == " " and nxt[1].isupper()) and re.search(r"(?:[^ius]s|ing)$", w):
                continue
        out.add(w.lower().replace("’", "'").removesuffix("'s"))
    return out


# baseline.numbers() reads a scale letter glued to the next word ("2006 killing" -> 2006 thousand), so the
# text goes through it with a word boundary enforced: digits followed by a space and a word that only
# starts with a scale letter get a comma in between (which numbers() does not join across).
_SCALE_GLITCH = re.compile(r"(\d),?(\s+)(?=(?:k|m|bn)[a-z])(?!(?:million|thousand|billion)\b)", re.I)


def _number_sets(text: str) -> dict[str, set[float]]:
    n = numbers(_SCALE_GLITCH.sub(r"\1 ;\2", text))
    return {"year": n["year"], "percent": n["percent"], "amount": n["money"] | n["count"]}


def _close(a: float, values: set[float], kind: str) -> bool:
    tol = 0.005 if kind != "year" else 0.0
    return any(abs(a - b) <= tol * max(abs(a), 1.0) for b in values)


@dataclass
class _Parsed:
    text: str
    words: set[str]
    content: set[str]
    neg: bool
    names: set[str]
    nums: dict[str, set[float]]


def parse(text: str) -> _Parsed:
    return _Parsed(text, set(_words(text)), content_words(text), negated(text), names(text), _number_sets(text))


ANTONYM_PHRASES = [("voted for", "voted against"), ("in favour of", "against"), ("highest", "lowest"),
                   ("still legal", "banned"), ("lost", "won")]


def features(query: _Parsed, record: _Parsed, cosine: float, best_cosine: float | None = None
             ) -> tuple[dict[str, float], list[str]]:
    """The re-ranker's features for one (claim, record) pair, with human-readable reasons."""
    reasons: list[str] = []
    shared = query.content & record.content
    cover_q = len(shared) / len(query.content) if query.content else 0.0
    cover_r = len(shared) / len(record.content) if record.content else 0.0
    neg = float(query.neg != record.neg)
    if neg:
        reasons.append("negated on one side only")
    ant = 0.0
    for a, b in ((query.words, record.words), (record.words, query.words)):
        for w in a:
            opp = _ANTONYM_MAP.get(w)
            if opp and (opp & b) and w not in b:
                ant = 1.0
                reasons.append(f"'{w}' vs '{sorted(opp & b)[0]}'")
                break
        if ant:
            break
    if not ant:
        ql, rl = query.text.lower(), record.text.lower()
        for a, b in ANTONYM_PHRASES:
            for x, y, u, v in ((a, b, ql, rl), (b, a, ql, rl)):
                if x in u and y in v and x not in v and y not in u:
                    ant = 1.0
                    reasons.append(f"'{x}' vs '{y}'")
                    break
            if ant:
                break
    clash = agree = 0.0
    for kind, qv in query.nums.items():
        rv = record.nums[kind]
        if not qv or not rv:
            continue
        missing = sorted(a for a in qv if not _close(a, rv, kind))
        if missing:
            clash = 1.0
            reasons.append(f"{kind} differs: {_fmt(qv)} vs {_fmt(rv)}")
        else:
            agree = 1.0
    if clash:
        agree = 0.0
    q_only = {n for n in query.names if n not in record.words and n not in record.names}
    r_only = {n for n in record.names if n not in query.words and n not in query.names}
    ent = float(bool(q_only) and bool(r_only))
    if ent:
        reasons.append(f"names differ: {', '.join(sorted(q_only)[:3])} vs {', '.join(sorted(r_only)[:3])}")
    # the mismatch rules are vetoes for near-restatements only: when the record's own words are mostly
    # absent from the claim (a tweet vs a fact-check's wording), a stray name, number or "not" says little
    # (on CT2021 2A dev, ungated name clashes fired on 145 of 199 correct pairs)
    if cover_r < VETO_MIN_COVER:
        if neg or ant or clash or ent:
            reasons.append(f"mismatch rules not applied: record words covered {cover_r:.0%} < "
                           f"{VETO_MIN_COVER:.0%}")
        neg = ant = clash = ent = 0.0
    gap = float(cosine) - float(best_cosine if best_cosine is not None else cosine)
    feats = {"cosine": float(cosine), "cos_gap": gap, "cover_q": cover_q, "cover_r": cover_r, "negation": neg, "antonym": ant,
             "num_clash": clash, "num_agree": agree, "ent_clash": ent}
    return feats, reasons


def _fmt(values: set[float]) -> str:
    return "/".join(f"{v:g}" for v in sorted(values)[:3])


def score(feats: dict[str, float], weights: dict[str, float] | None = None) -> float:
    w = weights or WEIGHTS
    z = w.get("bias", 0.0) + sum(w.get(k, 0.0) * v for k, v in feats.items())
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass
class Match:
    """A stored fact-check that matches a claim, with a score in [0, 1]."""

    claim: str  # the fact-checked claim as stored
    url: str
    score: float
    rating: str | None = None
    publisher: str | None = None
    date: str | None = None  # review date
    language: str | None = None
    claimant: str | None = None
    claim_date: str | None = None
    title: str | None = None
    review_id: str = ""
    features: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @classmethod
    def from_review(cls, r: Review, score_: float, feats: dict[str, float], reasons: list[str]) -> "Match":
        return cls(claim=r.claim, url=r.url, score=score_, rating=r.rating, publisher=r.publisher, date=r.date,
                   language=r.language, claimant=r.claimant, claim_date=r.claim_date, title=r.title,
                   review_id=r.id, features=feats, reasons=reasons)

    def to_dict(self) -> dict[str, Any]:
        """The shape for a report's per-claim ``"matches"`` list."""
        return {"score": round(self.score, 4), "claim": self.claim, "rating": self.rating,
                "publisher": self.publisher, "date": self.date, "url": self.url, "language": self.language,
                "claimant": self.claimant, "review_id": self.review_id,
                "features": {k: round(v, 4) for k, v in self.features.items()}, "reasons": self.reasons}


_EMBEDDER: Any = None
_EMB_LOCK = threading.Lock()


def default_embedder() -> Any:
    """The packaged MiniLM embedder, one per process."""
    global _EMBEDDER
    with _EMB_LOCK:
        if _EMBEDDER is None:
            from factdesk.retrieve.embed import OnnxMiniLMEmbedder

            _EMBEDDER = OnnxMiniLMEmbedder()
        return _EMBEDDER


class ClaimMatcher:
    """Finds earlier fact-checks of a claim in the store's ``reviews``.

    ``embedder``: None means the packaged MiniLM (the one the records were
    imported with); ``False`` disables dense retrieval (cosine feature 0).
    ``threshold`` and ``weights`` default to the calibrated module constants.
    """

    def __init__(self, store: Store, embedder: Any = None, *, threshold: float | None = None,
                 weights: dict[str, float] | None = None, candidates: int = CANDIDATES) -> None:
        self.store = store
        self.embedder = default_embedder() if embedder is None else (embedder or None)
        self.threshold = THRESHOLD if threshold is None else float(threshold)
        self.weights = dict(weights or WEIGHTS)
        self.candidates = int(candidates)

    def match(self, claim_text: str, k: int = 5) -> list[Match]:
        """Up to k fact-checks of this claim scoring at least the threshold, best first."""
        return self.match_many([claim_text], k)[0]

    def match_many(self, texts: Sequence[str], k: int = 5) -> list[list[Match]]:
        """:meth:`match` for many claims (one embedding call)."""
        return [[m for m in ranked if m.score >= self.threshold][:k] for ranked in self.rank_many(texts, k)]

    def rank_many(self, texts: Sequence[str], k: int = 5) -> list[list[Match]]:
        """The k best re-ranked candidates per claim, *without* the threshold."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        cands = search_reviews_many(self.store, texts, k=2 * self.candidates, embedder=self.embedder,
                                    depth=self.candidates)
        return [self._rerank(t, c)[:k] for t, c in zip(texts, cands)]

    def _rerank(self, text: str, cands: list[Candidate]) -> list[Match]:
        q = parse(text)
        best = max((c.cosine for c in cands), default=0.0)
        out = []
        for c in cands:
            feats, reasons = features(q, parse(c.review.claim), c.cosine, best)
            out.append(Match.from_review(c.review, score(feats, self.weights), feats, reasons))
        out.sort(key=lambda m: -m.score)
        return out

    def pair_features(self, texts: Sequence[str]) -> list[list[tuple[str, dict[str, float]]]]:
        """For calibration: ``(url, features)`` of every retrieved candidate per text."""
        cands = search_reviews_many(self.store, list(texts), k=2 * self.candidates, embedder=self.embedder,
                                    depth=self.candidates)
        out = []
        for t, cs in zip(texts, cands):
            q = parse(t)
            best = max((c.cosine for c in cs), default=0.0)
            out.append([(c.review.url, features(q, parse(c.review.claim), c.cosine, best)[0]) for c in cs])
        return out


def feature_matrix(rows: Sequence[dict[str, float]]) -> np.ndarray:
    return np.array([[r[f] for f in FEATURES] for r in rows], dtype=np.float64).reshape(-1, len(FEATURES))
