"""Check-worthiness: how much a sentence states something specific and verifiable.

``CheckworthinessScorer`` is the protocol every scorer follows; the pipeline
only ever talks to it.  ``HeuristicCheckworthiness`` is the transparent
baseline: a weighted sum of hand-written features squashed to [0, 1] with a
logistic function.  ``explain()`` shows which features fired and how much
each contributed.

Specific statements score high: numbers, percentages, money, dates, named
entities, factual verbs ("increased", "approved", "was built"), comparisons
and superlatives ("the largest", "more than").  Opinions, questions,
rhetoric, hedges, first-person feelings, calls to action, headlines and short
fragments score low.

Example::

    >>> s = HeuristicCheckworthiness()
    >>> fact, opinion = s.score(["The dam opened in 1998 and cost $40 million.", "I think it is ugly."])
    >>> fact > 0.8 > 0.2 > opinion
    True
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from factdesk.protocols import CheckworthinessScorer  # noqa: F401 - defined once there, importable here


_MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_FACT_VERBS = r"""(?:increas|decreas|ris|ros|fell|fall|dropp|drop|declin|grew|grow|doubl|tripl|halv|soar|plung|surg|jump|slump|climb|
approv|reject|announc|pass|sign|vot|ban|built|build|open|clos|launch|found|establish|creat|elect|appoint|resign|fir|hir|
kill|die|died|injur|arrest|charg|convict|sentenc|su|fin|acquir|bought|buy|sold|sell|merg|invest|spent|spend|cost|pa[iy]|earn|
fund|receiv|won|win|lost|los|employ|contain|caus|locat|publish|measur|reach|exceed|record|report|confirm|deni|den|admit|
discover|detect|test|vaccinat|infect|produc|export|import|generat|consum|emit|cut|rais|lower|introduc|abolish|repeal|
rul|order|award|carr|serv|suppl|handl|hous|provid|treat|process|transport|complet|finish|start|began|begin|end|held|hold|host|visit|meet|met|rank|account|represent|total|
amount|estimat|forecast|project|predict|promis|pledg|allocat|budget|shut|demolish|renovat|expand|extend|delay|cancel|postpon)
(?:s|es|ed|d|ing|en|t|e|y|ies|ied|ying)?"""
_FACT_VERB_RE = re.compile(r"\b" + _FACT_VERBS.replace("\n", "") + r"\b", re.I)

# (name, pattern or predicate, weight); patterns are searched case-insensitively unless compiled otherwise
_Feature = tuple[str, "re.Pattern[str] | Callable[[str, list[str]], float]", float]


def _re(pattern: str, flags: int = re.I) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def _named_entities(sentence: str, words: list[str]) -> float:
    """Capitalised words that are not the sentence's first word: names, places, organisations."""
    count = 0
    for i, w in enumerate(words):
        w = w.strip("\"“”‘’'()[],.;:!?")
        if not w or not w[0].isupper():
            continue
        if i == 0:  # the first word counts only as part of a longer name: "Northwind Construction built"
            if len(words) > 1 and words[1][:1].isupper() and words[1] not in {"I", "I'm", "I've"}:
                count += 1
            continue
        if w.lower() in {"i", "i'm", "i've", "i'd"}:
            continue
        prev = words[i - 1]
        if prev.endswith((".", "!", "?", ":")) and not re.match(r"(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|St|[A-Z])\.$", prev):
            continue
        count += 1
    return min(count, 4) / 2.0


def _short(sentence: str, words: list[str]) -> float:
    n = len(words)
    return 1.0 if n < 4 else 0.4 if n < 6 else 0.0


def _long(sentence: str, words: list[str]) -> float:
    return 1.0 if len(words) > 60 else 0.0


def _headline(sentence: str, words: list[str]) -> float:
    s = sentence.strip()
    if not s or re.search(r"""[.!?…]["'”’)\]]*$""", s) or len(words) > 18:
        return 0.0
    caps = sum(1 for w in words if w[:1].isupper() or w[:1].isdigit())
    return 1.0 if caps * 2 >= len(words) or len(words) <= 10 else 0.5


_FEATURES: list[_Feature] = [
    # --- specific, verifiable content
    ("number", _re(r"\d"), 0.9),
    ("number_words", _re(r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds?|thousands?|millions?|billions?|dozens?|half|double|triple)\b"), 0.5),
    ("percentage", _re(r"\d\s?%|\bper ?cent\b|\bpercentage points?\b"), 0.7),
    ("money", _re(r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(?:million|billion|trillion|bn)\b|\b(?:dollars|euros|pounds|yen)\b"), 0.6),
    ("year", _re(r"\b(?:1[89]\d\d|20\d\d)\b"), 0.5),
    ("date_words", _re(rf"\b{_MONTHS}\s+\d|\b(?:yesterday|last (?:week|month|year)|this (?:week|month|year)|\d+ (?:years?|months?|weeks?|days?) ago|on (?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))\b", 0), 0.4),
    ("named_entities", _named_entities, 0.6),
    ("factual_verb", _FACT_VERB_RE, 0.8),
    ("passive_fact", _re(r"\b(?:was|were|has been|have been|had been|is|are)\s+(?:\w+ly\s+)?(?:built|founded|elected|approved|opened|closed|killed|arrested|convicted|banned|completed|established|located|owned|made|produced|designed|awarded|appointed|discovered|published|signed|passed)\b"), 0.5),
    ("comparison", _re(r"\b(?:more|less|fewer|higher|lower|larger|smaller|bigger|greater|older|newer) than\b|\b(?:the|its|their)\s+(?:\w+\s+)?(?:largest|biggest|highest|lowest|smallest|fastest|slowest|oldest|newest|first|only|last|longest|shortest|tallest|deepest|busiest|most|least|cheapest|richest|poorest)\b|\brecord\b|\b(?:twice|three times|half) as\b"), 0.6),
    ("quantity_units", _re(r"\b\d[\d,.]*\s?(?:km|kilomet\w+|miles?|metres?|meters?|feet|tonnes?|tons?|kg|kilograms?|litres?|liters?|gallons?|hectares?|acres?|mw|gw|kwh|people|residents|jobs|cases|deaths|votes|patients|students|homes|houses|cars|workers|employees|members|years|months|days|hours)\b"), 0.3),
    ("source_terms", _re(r"\baccording to\b|\b(?:data|statistics|figures|census|survey|study|report|records|audit|filings?)\b"), 0.3),
    # --- opinion, speculation and rhetoric
    ("question", _re(r"\?\s*[\"”’')\]]*\s*$"), -2.6),
    ("exclamation", _re(r"!\s*[\"”’')\]]*\s*$"), -1.2),
    ("first_person_opinion", _re(r"\b(?:I|we)\s+(?:really\s+|strongly\s+|truly\s+)?(?:think|believe|feel|hope|love|hate|wish|want|doubt|guess|suppose|fear|worry|am\s+(?:worried|sure|convinced|proud|sad|angry|glad|happy)|are\s+(?:worried|sure|convinced|proud|sad|angry|glad|happy))\b|\b(?:in my|in our) (?:opinion|view)\b|\b(?:personally|frankly|honestly)\b|\bmy (?:heart|feeling)\b"), -1.9),
    ("opinion_words", _re(r"\b(?:beautiful|ugly|terrible|wonderful|awful|amazing|disgrace\w*|shameful|ridiculous|absurd|outrageous|brilliant|great|fantastic|horrible|disgusting|pathetic|stupid|silly|sad|tragic|heartbreaking|inspiring|embarrassing|insane|crazy|boring|exciting|lovely|nice|best|worst|scandalous|appalling|incredible|unacceptable|wrong-headed|misguided|foolish|brave|cowardly|deserves?|betray\w*)\b"), -1.0),
    ("normative", _re(r"\b(?:should|shouldn't|must|mustn't|ought to|need to|needs to|have to|has to|it is time|it's time)\b"), -1.0),
    ("hedge", _re(r"\b(?:may|might|could|perhaps|possibly|probably|maybe|arguably|seems?|seemed|appears? to|apparently|allegedly|supposedly|it is unclear|remains to be seen|some say|rumou?red|speculat\w+|likely|unlikely)\b"), -0.7),
    ("rhetoric", _re(r"^\W*(?:Who|Why|How|What|Imagine|Think about|Isn't|Aren't|Shouldn't|Can you|Is it|Did you know|Let's face it|Make no mistake|The question is|Time will tell)\b"), -1.0),
    ("call_to_action", _re(r"^\W*(?:Please\s+)?(?:Sign|Share|Join|Click|Subscribe|Read|Follow|Contact|Tell|Call|Donate|Vote|Visit|Support|Help|Stand|Demand|Write|Register|Download|Watch|Listen|Don't|Do not|Let's|Let us|Stop|Act|Take|Find out|Learn|Check out|Get|Make sure|Remember)\b|\b(?:click here|sign up|subscribe|follow us|share this|donate now|act now|find out more|read more)\b", 0), -2.0),
    ("vague", _re(r"\b(?:many people|some people|everyone|everybody|nobody|no one|always|never|so many|a lot of|lots of|things|stuff)\b"), -0.4),
    ("future", _re(r"\b(?:will|going to|gonna)\b"), -0.3),
    ("first_person", _re(r"^\W*(?:I|We|My|Our)\b", 0), -0.6),
    ("short_fragment", _short, -2.4),
    ("very_long", _long, -0.4),
    ("headline", _headline, -1.6),
]
_BIAS = -0.7


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class HeuristicCheckworthiness:
    """Rule-based check-worthiness, transparent and instant: ``explain()`` tells why."""

    name = "heuristic"

    def __init__(self, **settings: object) -> None:
        self.settings = settings

    def warm_up(self) -> None:  # nothing to load
        return None

    def _contributions(self, sentence: str) -> dict[str, float]:
        words = sentence.split()
        out: dict[str, float] = {}
        for name, feature, weight in _FEATURES:
            if isinstance(feature, re.Pattern):
                value = 1.0 if feature.search(sentence) else 0.0
            else:
                value = feature(sentence, words)
            if value:
                out[name] = round(weight * value, 4)
        return out

    def explain(self, sentence: str) -> dict[str, object]:
        """The score and each feature that fired with its contribution to the logit."""
        contributions = self._contributions(sentence)
        logit = _BIAS + sum(contributions.values())
        return {"score": round(_sigmoid(logit), 4), "bias": _BIAS, "logit": round(logit, 4), "features": contributions}

    def score_one(self, sentence: str) -> float:
        return _sigmoid(_BIAS + sum(self._contributions(sentence).values()))

    def score(self, sentences: list[str]) -> list[float]:
        return [self.score_one(s) for s in sentences]


# News reporting, beside the features above (which the trained head also reads, so they stay fixed):
# what a fact-checker of news checks that a debate-trained model underrates (dated, timed events, ages,
# people charged or hurt), and quoted or reported views with nothing in them to verify.
_QUOTED = re.compile(r"""^\W{0,3}["“‘]""")
_SAID_TAIL = re.compile(r"""["”’]\s*,?\s*(?:(?:said|says|added|told)\b|[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*){0,3}\s+(?:said|says|added)\b)""")
_SPECIFIC = re.compile(rf"\d|\b{_MONTHS}\b|\b(?:first|last|only|record|percent)\b", re.I)
_REPORTING: list[tuple[str, re.Pattern[str] | Callable[[str], bool], float]] = [
    ("quoted_view", lambda s: bool(_QUOTED.search(s) and _SAID_TAIL.search(s) and not _SPECIFIC.search(
        _SAID_TAIL.split(s)[0])), -1.2),
    ("reported_view", _re(r"\b(?:emphasi[sz](?:es|ed)|urg(?:es|ed)|calls? for|called for|liken(?:s|ed)|underscor\w+|"
                          r"stresse[sd] the need|hopes? that|wants? to|believes? that)\b"), -0.8),
    ("clock_or_age", _re(r"\b\d{1,2}(?::\d\d)?\s?[ap]\.?\s?m\b|\b\d{1,3}[- ]years?[- ]old\b|,\s\d{1,3},\s(?:of\s)?[A-Z]", 0), 0.9),
    # a limit or a scheduled, dated event is checkable even in the future tense ("capped at 85 decibels",
    # "is due to meet the president on 14 March")
    ("numeric_limit", _re(r"\b(?:capped|limited|restricted)\s+(?:at|to)\s+\d|\b(?:no more than|not exceed|at most|a maximum of|"
                          r"a minimum of|at least)\s+\$?\d"), 1.2),
    ("dated_plan", _re(rf"\b(?:is|are|was|were)\s+(?:due|scheduled|set|expected)\s+to\s+\w+.{{0,60}}?\b(?:on|by|in)\s+"
                       rf"(?:\d{{1,2}}\s+{_MONTHS}|{_MONTHS}\s+\d{{1,2}}|(?:Monday|Tuesday|Wednesday|Thursday|Friday|"
                       rf"Saturday|Sunday))"), 0.6),
    ("event_outcome", _re(r"\b(?:was|were|has been|have been|had been)\s+(?:\w+ly\s+)?(?:arraigned|charged|arrested|"
                          r"injured|hospitali[sz]ed|admitted|killed|sentenced|convicted|indicted|jailed|fined|released|"
                          r"evacuated|rescued|detained|identified|named|taken)\b"), 0.9),
]


def feature_names() -> list[str]:
    """The heuristic's feature names in order (the trained head reads them as inputs)."""
    return [name for name, _, _ in _FEATURES]


def reporting_adjustment(sentence: str) -> dict[str, float]:
    """Logit changes for news reporting that fired on ``sentence`` (name -> weight)."""
    out: dict[str, float] = {}
    for name, feature, weight in _REPORTING:
        hit = feature.search(sentence) if isinstance(feature, re.Pattern) else feature(sentence)
        if hit:
            out[name] = weight
    return out


def make_heuristic(**settings: object) -> HeuristicCheckworthiness:
    return HeuristicCheckworthiness(**settings)
