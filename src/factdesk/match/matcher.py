"""Match a claim against earlier fact-checks: hybrid retrieval, a readable ranking, a same-claim score.

1. **Normalising** (:func:`factdesk.match.posts.normalise_post`): links,
   handles, hashtags, emoji and a pasted tweet's signature are cleaned out of
   the claim first (a no-op for an article's sentences).
2. **Retrieval** (:func:`factdesk.match.reviews.search_reviews_many`): FTS5 BM25
   over the stored claims (+ review titles) and a dense scan over their MiniLM
   vectors, each ``CANDIDATES`` deep, fused by reciprocal rank.
3. **Ranking** by *relevance*, three readable terms::

       relevance = (1 - TITLE_SHARE) * cosine(claim, record claim)
                 + TITLE_SHARE * cosine(claim, record title)        # claim cosine when untitled
                 + LEX_BONUS * (LEX_K + 1) / (LEX_K + BM25 rank)    # 0 when BM25 did not find it

4. **Same claim?** ``score = sigmoid(SLOPE * (relevance - CENTER) - VETO * veto)``
   in [0, 1]; a match is ``score >= THRESHOLD`` (0.5, i.e. relevance >= CENTER
   and no veto).  ``veto`` is 1 for a mismatch (below) or when the record is
   more than ``MARGIN`` behind the best record without a mismatch: a related
   claim about the same product or person scores a little lower than the
   claim itself.  ``mismatch`` is 1 when the two say different things
   about the same matter: negated on one side only, an antonym (rose/fell,
   approved/rejected …), a year / date / percentage / amount that differs, or
   a different person or place on each side.  These rules count only when
   the record is mostly restated by the claim (``restated >= VETO_MIN_RESTATED[rule]``,
   the share of the record's content words other than names found in the
   claim; the record's word of an antonym pair counts as found, and a word
   capitalised only because it opens a sentence is a name only when the other
   text lacks it) or the two are near-identical (``cosine >= VETO_MIN_COSINE``): a post's stray name,
   number or "not" says little about a fact-check worded quite differently.
   A vetoed record stays in the ranked list (it is still the fact-check a
   reader wants to see for the opposite claim), below every record with no
   mismatch that is also a match.

No weight here was fitted by a learning algorithm; ``SLOPE``, ``VETO`` and
``MARGIN`` are set by hand.  ``TITLE_SHARE``,
``LEX_BONUS`` and ``LEX_K`` were chosen by a small grid search for MAP@5 on
the *train* tweets of CheckThat! 2021 Task 2A (English); ``CENTER`` and the
veto gates by ``python -m factdesk.match.calibrate`` on those train tweets
and on hard negatives built from the Task 2A verified claims (negations,
changed numbers, dates, places, people, antonyms; see
:mod:`factdesk.match.hardneg`).  CheckThat! 2021 may choose thresholds and
such settings but not train shipped weights (see its MANIFEST).  The dev
tweets and the AVeriTeC-based negatives only *measure* the result
(``benchmarks/match_quality.py``); data/claim-matching, our own generated
set, is a regression test.

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


from factdesk.match.reviews import Candidate, Review, search_reviews_many
from factdesk.store.sqlite import Store
from factdesk.match.posts import normalise_post
from factdesk.text.words import ANTONYMS as _VERDICT_ANTONYMS
from factdesk.text.words import NEGATORS, STOPWORDS, content_words, numbers, stem

FEATURES = ("relevance", "cosine", "title_cosine", "lexical", "cover_q", "cover_r", "restated", "negation",
            "antonym", "num_clash", "num_agree", "ent_clash", "scope_clash", "mismatch")
MISMATCH_FEATURES = ("negation", "antonym", "num_clash", "ent_clash", "scope_clash")

# Ranking (chosen on CheckThat! 2021 2A *train* tweets: benchmarks/match_quality.py --grid; see the docstring)
TITLE_SHARE = 0.4
LEX_BONUS = 0.15
LEX_K = 3
# Same-claim score (python -m factdesk.match.calibrate; see the docstring)
CENTER = 0.58  # relevance at which score = 0.5
SLOPE = 12.0
VETO = 8.0
# a mismatch rule counts when the claim restates at least this share of the record's words (names aside) …
VETO_MIN_RESTATED: dict[str, float] = {"negation": 0.7, "antonym": 0.4, "num_clash": 0.7, "ent_clash": 0.8,
                                       "scope_clash": 0.5}
VETO_MIN_COSINE = 1.01  # … or when the two are this close in meaning (above 1: calibration found no use for it)
# a match must also be within this much relevance of the claim's best record without a mismatch (hand-set:
# several fact-checks of one claim score alike, a related claim about the same thing scores lower;
# benchmarks/match_quality.py shows the effect of other values)
MARGIN = 0.05
THRESHOLD = 0.5
CANDIDATES = 50  # depth of each retrieval list

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


# the verifier's negators plus verbs that deny what follows ("refused to publish" vs "published")
MATCH_NEGATORS = NEGATORS | {"refused", "refuses", "refusing", "declined", "declines", "denying", "nobody's"}
# words that set how far a claim reaches, by class: "all" vs "some" vs "only", "worldwide" vs "in Texas"
QUANTIFIERS: dict[str, str] = {
    **dict.fromkeys(("all", "every", "each", "entirely", "completely", "fully", "everyone", "everybody", "always"),
                    "all"),
    **dict.fromkeys(("some", "several", "many", "few", "partly", "partially", "most", "majority", "minority",
                     "handful", "sometimes"), "some"),
    "only": "only", "solely": "only", "exclusively": "only",
    **dict.fromkeys(("worldwide", "globally", "nationwide", "everywhere"), "everywhere"),
}
_EVERYWHERE = re.compile(r"\b(?:(?:around|all over|across) the (?:world|globe|country|nation)|"
                         r"(?:the )?(?:whole|entire) (?:world|country|nation))\b", re.I)

# a nationality and its country are one name ("a Chinese teenager" = "a teenager in China")
DEMONYMS = {"american": "america", "british": "britain", "canadian": "canada", "chinese": "china",
            "cuban": "cuba", "french": "france", "german": "germany", "indian": "india", "iranian": "iran",
            "iraqi": "iraq", "irish": "ireland", "israeli": "israel", "italian": "italy", "japanese": "japan",
            "mexican": "mexico", "nigerian": "nigeria", "pakistani": "pakistan", "russian": "russia",
            "saudi": "saudi", "spanish": "spain", "swedish": "sweden", "syrian": "syria", "turkish": "turkey",
            "ukrainian": "ukraine", "venezuelan": "venezuela", "australian": "australia", "brazilian": "brazil",
            "egyptian": "egypt", "korean": "korea", "african": "africa", "european": "europe", "danish": "denmark",
            "dutch": "netherlands", "greek": "greece", "polish": "poland", "afghan": "afghanistan",
            "palestinian": "palestine", "texan": "texas", "californian": "california", "floridian": "florida"}


def negations(text: str) -> int:
    """How many negating words the text has ("not", "never", "no", "denied", "refused", "isn't" …)."""
    return sum(1 for w in _words(text) if w in MATCH_NEGATORS or w.endswith("n't"))


def negated(text: str) -> bool:
    """An odd number of negations: "It is not true that he did not vote" is not negated."""
    return negations(text) % 2 == 1


def _opens_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:\"“"


def names(text: str) -> set[str]:
    """Lower-cased capitalised words that look like names (people, places, organisations).

    A capitalised word opening a sentence counts only when the next word is capitalised too or when it
    does not end like a plural or a gerund ("Offences", "Drinking" are not names; "Paris" is).
    """
    return {n for group in name_groups(text) for n in group}


def name_groups(text: str) -> list[frozenset[str]]:
    """:func:`names` grouped into runs of adjacent words: "Donald Trump" is one name, found by "Trump" alone."""
    groups: list[set[str]] = []
    last_end = -10
    for m in _CAP.finditer(text):
        w = m.group(1)
        if w in _NOT_NAMES or w.lower() in STOPWORDS or len(w) < 2:
            continue
        bare = re.sub(r"['’]s$", "", w)  # "Louisiana's" opening a sentence is still a name
        if _opens_sentence(text, m.start()):
            nxt = text[m.end():m.end() + 2]
            if not (len(nxt) == 2 and nxt[0] == " " and nxt[1].isupper()) and re.search(r"(?:[^ius]s|ing)$",
                                                                                          bare):
                continue
        name = w.lower().replace("’", "'").removesuffix("'s")
        name = DEMONYMS.get(name, name)
        if groups and re.fullmatch(r"\s+|\s*[A-Z]\.\s*", text[last_end:m.start()]):
            groups[-1].add(name)
        else:
            groups.append({name})
        last_end = m.end()
    return [frozenset(g) for g in groups]


def opening_names(text: str, groups: Sequence[frozenset[str]]) -> set[str]:
    """The one-word :func:`names` whose every capitalised use opens a sentence ("Crime in Fennick rose"):
    capitalised because of where they stand, as likely a common noun as a name."""
    out = set()
    for (name,) in (g for g in groups if len(g) == 1):
        uses = [m for m in _CAP.finditer(text)
                if DEMONYMS.get(k := m.group(1).lower().replace("’", "'").removesuffix("'s"), k) == name]
        if uses and all(_opens_sentence(text, m.start()) for m in uses):
            out.add(name)
    return out


# text.words.numbers() reads a scale letter glued to the next word ("2006 killing" -> 2006 thousand), so the
# text goes through it with a word boundary enforced: digits followed by a space and a word that only
# starts with a scale letter get a comma in between (which numbers() does not join across).
_SCALE_GLITCH = re.compile(r"(\d),?(\s+)(?=(?:k|m|bn)[a-z])(?!(?:million|thousand|billion)\b)", re.I)


_MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                        "september", "october", "november", "december"), 1)}
_MONTH = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)"
                    r"\b(?P<num>\s+\d)?", re.I)
_HYPHEN_WORDS = re.compile(r"(?<=[A-Za-z])-(?=[A-Za-z])")
_DAY_SLASH = re.compile(r"(?<![\d/])\d{1,2}/\d{1,2}(?![\d/])")


def _months(text: str) -> set[float]:
    """Months named in the text ("May" only beside a number: otherwise it is mostly the verb)."""
    out = set()
    for m in _MONTH.finditer(text):
        name = m.group(1)
        if name.lower() == "may" and not (m.group("num") or re.search(r"\d\s*$", text[:m.start()])):
            continue
        if name[0].isupper():
            out.add(float(_MONTHS[name.lower()]))
    return out


# rough amounts: "dozens" and "hundreds" of students are different claims
_VAGUE_AMOUNTS = {"dozens": 24.0, "hundreds": 200.0, "thousands": 2e3, "millions": 2e6, "billions": 2e9}


def _number_sets(text: str) -> dict[str, set[float]]:
    # "nine-year-old" holds the number word "nine"
    # "9/11" names an event, not two amounts
    plain = _DAY_SLASH.sub(" ", _HYPHEN_WORDS.sub(" ", text))
    n = numbers(_SCALE_GLITCH.sub(r"\1 ;\2", plain))
    vague = {_VAGUE_AMOUNTS[w] for w in _words(text) if w in _VAGUE_AMOUNTS}
    return {"year": n["year"], "month": _months(text), "date": n["date"], "percent": n["percent"],
            "amount": n["money"] | n["count"] | vague}


def _close(a: float, values: set[float], kind: str) -> bool:
    tol = 0.0 if kind in ("year", "month", "date") else 0.005
    return any(abs(a - b) <= tol * max(abs(a), 1.0) for b in values)


@dataclass
class _Parsed:
    text: str
    words: set[str]
    content: set[str]
    neg: int  # how many negating words
    names: set[str]
    nums: dict[str, set[float]]
    quantifiers: set[str] = field(default_factory=set)
    groups: list[frozenset[str]] = field(default_factory=list)  # names as runs of adjacent words
    name_order: list[str] = field(default_factory=list)  # names by first appearance
    positions: dict[str, int] = field(default_factory=dict)  # content-word stem -> first word index
    passive: bool = False  # has "by" ("B was mocked by A")
    openers: set[str] = field(default_factory=set)  # names only ever seen opening a sentence


def parse(text: str) -> _Parsed:
    """The parts of a text the mismatch rules compare (content words, negation, names, numbers by kind)."""
    words = _words(text)
    groups = name_groups(text)
    found = {n for g in groups for n in g}
    bare = [DEMONYMS.get(w.removesuffix("'s"), w.removesuffix("'s")) for w in words]
    order = list(dict.fromkeys(w for w in bare if w in found))
    return _Parsed(text, set(words) | set(bare), content_words(text), negations(text), found, _number_sets(text),
                   {QUANTIFIERS[w] for w in words if w in QUANTIFIERS} | ({"everywhere"} if _EVERYWHERE.search(text)
                                                                          else set()), groups, order,
                   _first_positions(text), bool(_PASSIVE.search(text)), opening_names(text, groups))


# the verifier's opposites plus ones that fact-checked claims turn on
_MATCH_ANTONYMS = [
    ("increases", "decreases"), ("rising", "falling"), ("rises", "falls"), ("grew", "shrank"), ("growing", "shrinking"),
    ("largest", "smallest"), ("biggest", "smallest"), ("most", "least"), ("more", "less"), ("many", "few"),
    ("highest", "lowest"), ("best", "worst"), ("richest", "poorest"), ("oldest", "youngest"), ("first", "last"),
    ("dead", "alive"), ("died", "survived"), ("killed", "saved"), ("ban", "legalize"), ("ban", "allow"),
    ("banned", "legalized"), ("banned", "legalised"), ("banned", "permitted"), ("bans", "allows"),
    ("male", "female"), ("men", "women"), ("man", "woman"), ("boy", "girl"), ("boys", "girls"),
    ("husband", "wife"), ("father", "mother"), ("son", "daughter"), ("brother", "sister"),
    ("wins", "loses"), ("winning", "losing"), ("lowered", "raised"), ("true", "fake"), ("real", "fake"),
    ("praised", "criticized"), ("praised", "criticised"), ("praised", "condemned"), ("praises", "criticizes"),
    ("supports", "opposes"), ("endorsed", "opposed"), ("voted", "abstained"), ("signed", "vetoed"),
    ("approved", "vetoed"), ("accepted", "refused"), ("agreed", "refused"), ("admitted", "denied"),
    ("confirmed", "denied"), ("arrested", "released"), ("convicted", "acquitted"), ("guilty", "acquitted"),
    ("hired", "fired"), ("joined", "left"), ("entered", "left"), ("added", "removed"), ("gave", "took"),
    ("bought", "sold"), ("buying", "selling"), ("import", "export"), ("imports", "exports"),
    ("cure", "cause"), ("cures", "causes"), ("prevents", "causes"), ("prevent", "cause"),
    ("safe", "dangerous"), ("healthy", "harmful"), ("positive", "negative"), ("always", "never"),
    ("all", "none"), ("everyone", "nobody"), ("inside", "outside"), ("north", "south"), ("east", "west"),
    ("up", "down"), ("cheaper", "costlier"), ("cheapest", "costliest"), ("expensive", "cheap"),
    ("legal", "illegal"), ("lawful", "unlawful"), ("public", "private"), ("citizens", "immigrants"),
    ("democrat", "republican"), ("democrats", "republicans"), ("democratic", "republican"),
    ("liberal", "conservative"), ("left-wing", "right-wing"), ("minimum", "maximum"), ("won", "lost"),
    ("better", "worse"), ("improve", "worsen"), ("accelerate", "slow"), ("slashed", "hiked"), ("slashed", "raised"),
    ("cut", "hiked"), ("opening", "closing"), ("opens", "closes"), ("harmless", "harmful"), ("returning", "leaving"),
    ("prohibition", "legalization"), ("resigned", "stayed"), ("success", "failure"), ("succeeded", "failed"),
    ("peaceful", "violent"), ("increased", "reduced"), ("strengthen", "weaken"), ("young", "old"),
]
ANTONYMS: dict[str, set[str]] = {}
for _a, _b in [*_VERDICT_ANTONYMS, *_MATCH_ANTONYMS]:
    ANTONYMS.setdefault(_a, set()).add(_b)
    ANTONYMS.setdefault(_b, set()).add(_a)

ANTONYM_PHRASES = [("voted for", "voted against"), ("in favour of", "against"), ("highest", "lowest"),
                   ("still legal", "banned"), ("lost", "won"), ("voted down", "passed"), ("voted down", "approved"),
                   ("speed up", "slow"), ("step down", "stay")]


def mismatch_features(query: _Parsed, record: _Parsed) -> tuple[dict[str, float], list[str]]:
    """Coverage both ways and the mismatch rules for one (claim, record) pair, with readable reasons.

    The rules are not gated here (see :func:`features`).
    """
    reasons: list[str] = []
    shared = query.content & record.content
    cover_q = len(shared) / len(query.content) if query.content else 0.0
    cover_r = len(shared) / len(record.content) if record.content else 0.0
    # an unequal count: "did not" vs "did", but also "It is false that he did not" vs "he did not"
    neg = float(query.neg != record.neg)
    if neg:
        reasons.append("negated on one side only" if min(query.neg, record.neg) == 0 else
                       f"negations differ ({query.neg} vs {record.neg})")
    ant = 0.0
    opposed = set()  # the record's side of the antonym pair found
    for a, b in ((query.words, record.words), (record.words, query.words)):
        for w in sorted(a):
            opp = ANTONYMS.get(w)
            if opp and (opp & b) and w not in b:
                ant = 1.0
                reasons.append(f"'{w}' vs '{sorted(opp & b)[0]}'")
                opposed = opp & b if a is query.words else {w}
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
                    opposed = {y}
                    break
            if ant:
                break
    # the same without names: does the claim restate everything *but* who and where?  Two things count as
    # restated that a plain word overlap misses (else "Crime in Fennick fell by 12%" restates 0 % of "Crime
    # in Fennick rose by 12% last year" and no gate lets its antonym veto count):
    # * the record's word of an antonym pair: the claim fills the same slot of the statement, opposed;
    # * a word capitalised only because it opens a sentence ("Crime") that the other text also has and does
    #   not capitalise mid-sentence: a name on one side only stays a name ("Rome will host …" vs "Paris will
    #   host …"), and so does one the other side shows to be a name ("Trump said …" vs "Donald Trump said …").
    common = (query.openers | (query.words - query.names)) & (record.openers | (record.words - record.names))
    plain = record.content - content_words(" ".join((query.names | record.names) - common))
    said = (plain & query.content) | (plain & content_words(" ".join(opposed)))
    restated = len(said) / len(plain) if plain else cover_r
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
    # a name on one side only: the other side has no name that is part of it or that it is part of
    # ("Trump" is in "Donald Trump"; "Bill Clinton" is not "Hillary Clinton") and does not spell it out
    def found(g: frozenset[str], other: _Parsed) -> bool:
        return all(n in other.words for n in g) or any(g <= h or h <= g for h in other.groups)

    q_only = [min(g) for g in query.groups if not found(g, record)]
    r_only = [min(g) for g in record.groups if not found(g, query)]
    ent = float(bool(q_only) and bool(r_only))
    if ent:
        reasons.append(f"names differ: {', '.join(sorted(q_only)[:3])} vs {', '.join(sorted(r_only)[:3])}")
    else:
        # the same two names in the other order, neither text passive ("A sued B" vs "B sued A")
        both = [n for n in query.name_order if n in record.name_order]
        if len(both) >= 2 and not (query.passive or record.passive):
            a, b = both[0], both[1]
            if record.name_order.index(a) > record.name_order.index(b):
                ent = 1.0
                reasons.append(f"roles swapped: {a} and {b}")
    if not ent:
        swap = swapped_around(query, record)
        if swap:
            ent = 1.0
            reasons.append(f"roles swapped: '{swap[0]}' and '{swap[2]}' around '{swap[1]}'")
    scope = 0.0
    q_quant, r_quant = query.quantifiers - record.quantifiers, record.quantifiers - query.quantifiers
    # a quantifier replaced by one of another class ("every" -> "only"), or a reach or a limit only one
    # side claims ("worldwide", "around the world"; "only")
    if (q_quant or r_quant) and ((query.quantifiers and record.quantifiers) or
                                 {"everywhere", "only"} & (query.quantifiers ^ record.quantifiers)):
        scope = 1.0
        reasons.append(f"scope differs: {', '.join(sorted(q_quant)) or '-'} vs {', '.join(sorted(r_quant)) or '-'}")
    return ({"cover_q": cover_q, "cover_r": cover_r, "restated": restated, "negation": neg, "antonym": ant,
             "num_clash": clash, "num_agree": agree, "ent_clash": ent, "scope_clash": scope}, reasons)


_PASSIVE = re.compile(r"\bby\b", re.I)


def _first_positions(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, w in enumerate(_WORD.findall(text)):
        if w.lower() in STOPWORDS or w[0].isdigit():
            continue
        out.setdefault(stem(w), i)
    return out


def swapped_around(query: _Parsed, record: _Parsed) -> tuple[str, str, str] | None:
    """Two shared words on either side of a shared word, in the other order ("a drone catching an eagle"
    vs "an eagle catching a drone"); None when there is none or either text is passive ("by")."""
    if query.passive or record.passive:  # "B was mocked by A" restates "A mocked B"
        return None
    qp, rp = query.positions, record.positions
    shared = sorted(set(qp) & set(rp), key=qp.__getitem__)
    if len(shared) < 3 or len(shared) > 40:
        return None
    for i, a in enumerate(shared):
        for j in range(i + 1, len(shared)):
            p = shared[j]
            for b in shared[j + 1:]:
                if rp[b] < rp[p] < rp[a]:
                    return a, p, b
    return None


def relevance(cosine: float, title_cosine: float | None, lexical_rank: int | None) -> tuple[float, float]:
    """``(relevance, lexical bonus)`` of a candidate (the ranking formula in the module docstring)."""
    tcos = cosine if title_cosine is None else title_cosine
    lex = LEX_BONUS * (LEX_K + 1) / (LEX_K + lexical_rank) if lexical_rank else 0.0
    return (1.0 - TITLE_SHARE) * cosine + TITLE_SHARE * tcos + lex, lex


def applied_mismatches(feats: dict[str, float], cosine: float, gates: dict[str, float] | None = None,
                       cosine_gate: float | None = None) -> list[str]:
    """The mismatch rules that fire *and* count: the claim restates enough of the record for that rule
    (``gates``, default :data:`VETO_MIN_RESTATED`) or the two are near-identical (``cosine_gate``)."""
    gates = VETO_MIN_RESTATED if gates is None else gates
    cosine_gate = VETO_MIN_COSINE if cosine_gate is None else cosine_gate
    return [f for f in MISMATCH_FEATURES
            if feats[f] and (feats["restated"] >= gates[f] or cosine >= cosine_gate)]


def features(query: _Parsed | None, record: _Parsed | None, cosine: float, title_cosine: float | None = None,
             lexical_rank: int | None = None) -> tuple[dict[str, float], list[str]]:
    """Every feature of one (claim, record) pair (:data:`FEATURES`), with human-readable reasons.

    ``mismatch`` is 1 when a mismatch rule fires *and* the gate lets it count.  Without the parsed
    texts (None) only the relevance features are filled in (the text rules read as not firing).
    """
    if query is None or record is None:
        feats: dict[str, float] = dict.fromkeys(("cover_q", "cover_r", "restated", "num_agree",
                                                 *MISMATCH_FEATURES), 0.0)
        reasons: list[str] = []
    else:
        feats, reasons = mismatch_features(query, record)
    rel, lex = relevance(cosine, title_cosine, lexical_rank)
    fired = [f for f in MISMATCH_FEATURES if feats[f]]
    applied = applied_mismatches(feats, cosine)
    if fired and not applied:
        reasons.append(f"mismatch rules not applied: record words restated {feats['restated']:.0%}, "
                       f"cosine {cosine:.2f} < {VETO_MIN_COSINE:.2f}")
    feats.update({"relevance": rel, "cosine": float(cosine),
                  "title_cosine": float(cosine if title_cosine is None else title_cosine), "lexical": lex,
                  "mismatch": float(bool(applied))})
    return feats, reasons


def _fmt(values: set[float]) -> str:
    return "/".join(f"{v:g}" for v in sorted(values)[:3])


def score(feats: dict[str, float], center: float | None = None) -> float:
    """The same-claim score in [0, 1] of a pair's :func:`features` (0.5 at relevance = ``center``)."""
    c = CENTER if center is None else center
    behind = float(feats.get("behind_best", 0.0) > MARGIN)
    z = SLOPE * (feats["relevance"] - c) - VETO * max(feats["mismatch"], behind)
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
    ``threshold`` (on the score) and ``center`` (the relevance at which the
    score is 0.5) default to the calibrated module constants.
    """

    def __init__(self, store: Store, embedder: Any = None, *, threshold: float | None = None,
                 center: float | None = None, candidates: int = CANDIDATES) -> None:
        self.store = store
        self.embedder = default_embedder() if embedder is None else (embedder or None)
        self.threshold = THRESHOLD if threshold is None else float(threshold)
        self.center = CENTER if center is None else float(center)
        self.candidates = int(candidates)

    def match(self, claim_text: str, k: int = 5) -> list[Match]:
        """Up to k fact-checks of this claim scoring at least the threshold, best first."""
        return self.match_many([claim_text], k)[0]

    def match_many(self, texts: Sequence[str], k: int = 5) -> list[list[Match]]:
        """:meth:`match` for many claims (one embedding call)."""
        return [[m for m in ranked if m.score >= self.threshold][:k] for ranked in self.rank_many(texts, k)]

    def rank_many(self, texts: Sequence[str], k: int = 5) -> list[list[Match]]:
        """The k best candidates per claim, *without* the threshold: matches first, then by relevance."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        # who posted it helps find the record; what the post says is what must not contradict it
        cands = search_reviews_many(self.store, [normalise_post(t) for t in texts], k=2 * self.candidates,
                                    embedder=self.embedder, depth=self.candidates)
        return [self._rank(normalise_post(t, keep_poster=False), c, k)[:k] for t, c in zip(texts, cands)]

    def _rank(self, text: str, cands: list[Candidate], k: int) -> list[Match]:
        q = parse(text)
        rels = [relevance(c.cosine, c.title_cosine, c.lexical_rank)[0] for c in cands]
        # the text rules are read only where they can change what is shown: candidates that could be
        # matches (relevance >= center) and the k most relevant (at 1 M records this halves the time)
        order = sorted(range(len(cands)), key=lambda i: -rels[i])
        full = set(order[:k]) | {i for i, r in enumerate(rels) if r >= self.center}
        pairs = []
        for i, c in enumerate(cands):
            if i in full:
                pairs.append(features(q, parse(c.review.claim), c.cosine, c.title_cosine, c.lexical_rank))
            else:
                pairs.append(features(None, None, c.cosine, c.title_cosine, c.lexical_rank))
        best = max((f["relevance"] for f, _ in pairs if not f["mismatch"]), default=0.0)
        out = []
        for c, (feats, reasons) in zip(cands, pairs):
            feats["behind_best"] = best - feats["relevance"]
            if feats["behind_best"] > MARGIN and not feats["mismatch"]:
                reasons.append(f"relevance {feats['relevance']:.2f} is more than {MARGIN:.2f} behind the best "
                               f"record's {best:.2f}")
            out.append(Match.from_review(c.review, score(feats, self.center), feats, reasons))
        # a record vetoed by a mismatch rule drops below the matches but keeps its place among the rest
        out.sort(key=lambda m: (m.score < self.threshold, -m.features["relevance"]))
        return out

    def pair_features(self, texts: Sequence[str]) -> list[list[tuple[str, dict[str, float]]]]:
        """For calibration and evaluation: ``(url, features)`` of every retrieved candidate per text."""
        cands = search_reviews_many(self.store, [normalise_post(t) for t in texts], k=2 * self.candidates,
                                    embedder=self.embedder, depth=self.candidates)
        out = []
        for t, cs in zip(texts, cands):
            q = parse(normalise_post(t, keep_poster=False))
            out.append([(c.review.url, features(q, parse(c.review.claim), c.cosine, c.title_cosine,
                                                c.lexical_rank)[0]) for c in cs])
        return out
