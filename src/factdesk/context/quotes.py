"""Quote provenance: is the text an article quotes (or rebuts) really in its source?

:func:`check_quote` finds the span of a source document that best matches a
quoted claim and says how faithful the quote is:

``verbatim``
    the same text after normalising curly/straight quotes, dashes, whitespace
    and case (edge punctuation of the quote is ignored);
``close``
    a paraphrase: the quote's content words are all in the span; it differs
    in function words, word order, inflection ("line"/"lines") or at most a
    few plain word substitutions ("bill"/"cost"), none of them touching a
    number, a negation, an opposite, a name or a quantifier;
``altered``
    most words match a source span, but content words were added, dropped or
    changed — a number changed, a "not" inserted, "rose" turned into "fell",
    a name swapped, or more substitutions than a paraphrase allows;
``not_found``
    no source span matches well enough.

How the span is found: the quote and each source are cut into word tokens
(with character offsets).  The quote's rarest words that also occur in the
source anchor candidate windows (a window is placed where the quote would sit
if that occurrence were the anchor, padded on both sides); each window is
aligned with the quote token by token with :class:`difflib.SequenceMatcher`
and trimmed to its first and last matching token.  The best window over all
sources wins.  The work per source is proportional to (anchors × occurrences
× window²), not to the source's length squared, so long sources are cheap.

``source_start``/``source_end`` are character offsets into the source
document's ``text``; ``source_text`` is exactly that slice.

Only the quoted words are compared: :func:`quoted_part` keeps the text inside
quotation marks when there is any, and otherwise strips an attribution
("…, said X", "X says …", "according to X, …").

Example::

    >>> src = Document(text='The mayor said: "Crime fell by 20% last year." Then she left.')
    >>> check_quote('"Crime rose by 20% last year," the mayor said.', [src]).status
    'altered'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from typing import Any

from factdesk.text.quotes import TOKEN, quoted_part
from factdesk.types import CheckedClaim, Claim, ClaimKind, Document

QUOTE_KINDS = (ClaimKind.QUOTED, ClaimKind.REBUTTED)

# thresholds (similarity is the Dice ratio of the aligned token sequences)
MIN_FOUND_SIMILARITY = 0.5  # below this no span counts as the source of the quote
MIN_CONTENT_COVERAGE = 0.5  # share of the quote's content words the span must contain
MAX_PARAPHRASE_SUBSTITUTIONS = 1 / 3  # plain 1:1 substitutions a paraphrase may have, per content word

FUNCTION_WORDS = frozenset("""
a an the this that these those it its it's of in on at to for from by with as into onto about over than then
and or but nor so yet if is are was were be been being am has have had having do does did will would shall
should can could may might must i we you he she they me us him her them my our your his their mine ours
yours theirs who whom whose which what there here also just very really quite such own same each
""".split())
NEGATIONS = frozenset("no not never none nobody nothing neither nor without cannot n't isn't aren't wasn't "
                      "weren't don't doesn't didn't won't wouldn't can't couldn't shouldn't hasn't haven't "
                      "hadn't".split())
QUANTIFIERS = frozenset("all every each some most many few several any only both half none more less fewer "
                        "least always sometimes often rarely".split())
_OPPOSITES = [
    ("rose", "fell"), ("rise", "fall"), ("rises", "falls"), ("risen", "fallen"), ("rising", "falling"),
    ("increase", "decrease"), ("increased", "decreased"), ("increases", "decreases"), ("up", "down"),
    ("higher", "lower"), ("more", "less"), ("more", "fewer"), ("above", "below"), ("over", "under"),
    ("gain", "loss"), ("won", "lost"), ("win", "lose"), ("approved", "rejected"), ("approve", "reject"),
    ("support", "oppose"), ("supported", "opposed"), ("open", "closed"), ("opened", "closed"),
    ("before", "after"), ("early", "late"), ("earlier", "later"), ("ahead", "behind"), ("surplus", "deficit"),
    ("profit", "loss"), ("legal", "illegal"), ("allowed", "banned"), ("passed", "failed"), ("accept", "refuse"),
    ("accepted", "rejected"), ("true", "false"), ("safe", "unsafe"), ("success", "failure"), ("best", "worst"),
    ("good", "bad"), ("always", "never"), ("all", "none"), ("largest", "smallest"), ("biggest", "smallest"),
    ("expanded", "reduced"), ("hired", "fired"), ("guilty", "innocent"), ("upheld", "overturned"),
]
OPPOSITES: dict[str, set[str]] = {}
for _a, _b in _OPPOSITES:
    OPPOSITES.setdefault(_a, set()).add(_b)
    OPPOSITES.setdefault(_b, set()).add(_a)

_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ",
})


@dataclass
class QuoteCheck:
    """How a quote compares with its best-matching source span."""

    status: str  # verbatim | close | altered | not_found
    quote: str = ""  # the quoted words that were compared
    source_document: str | None = None
    source_title: str | None = None
    source_start: int | None = None
    source_end: int | None = None
    source_text: str | None = None
    similarity: float = 0.0
    diff: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report's ``quote`` object (``quote`` itself is left out: it is the claim's text)."""
        d = asdict(self)
        d.pop("quote")
        return d


@dataclass
class _Tok:
    norm: str
    start: int
    end: int


def normalize(text: str) -> str:
    """Curly quotes and dashes made straight, whitespace collapsed, lower case."""
    return " ".join(text.translate(_TRANSLATE).split()).lower()


def _normalized_with_map(text: str) -> tuple[str, list[int]]:
    """:func:`normalize` plus, for each output character, its offset in ``text``."""
    out: list[str] = []
    pos: list[int] = []
    pending_space = False
    for i, ch in enumerate(text.translate(_TRANSLATE)):
        if ch.isspace():
            pending_space = bool(out)
            continue
        if pending_space:
            out.append(" ")
            pos.append(i - 1)
            pending_space = False
        low = ch.lower()
        for c in low:  # lower() may expand a character; keep the map aligned
            out.append(c)
            pos.append(i)
    return "".join(out), pos


def tokens(text: str) -> list[_Tok]:
    """Word tokens with their offsets; numbers lose thousands commas ("42,000" → "42000")."""
    out = []
    for m in TOKEN.finditer(text):
        raw = m.group().translate(_TRANSLATE).lower()
        if raw[0].isdigit():
            raw = raw.replace(",", "")
        out.append(_Tok(raw, m.start(), m.end()))
    return out


def _stem(w: str) -> str:
    if w.endswith("'s"):
        w = w[:-2]
    for suffix in ("ments", "ment", "ings", "ing", "ies", "ied", "es", "ed", "s"):
        if len(w) > len(suffix) + 2 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def _is_number(w: str) -> bool:
    return w[:1].isdigit()


def _is_content(w: str) -> bool:
    return w not in FUNCTION_WORDS


# -- alignment ---------------------------------------------------------------------------------
@dataclass
class _Span:
    similarity: float
    src_lo: int  # token indices into the source tokens, inclusive..exclusive
    src_hi: int
    opcodes: list[tuple[str, int, int, int, int]]


def _dice(q: list[str], span: list[str]) -> float:
    sm = SequenceMatcher(None, q, span, autojunk=False)
    lcs = 2.0 * sum(b.size for b in sm.get_matching_blocks()) / (len(q) + len(span))
    bag = 2.0 * sum((Counter(q) & Counter(span)).values()) / (len(q) + len(span))
    return (lcs + bag) / 2  # order counts, but a moved phrase is not a lost one


def _align(q: list[str], window: list[str], offset: int) -> _Span | None:
    sm = SequenceMatcher(None, q, window, autojunk=False)
    blocks = [b for b in sm.get_matching_blocks() if b.size]
    if not blocks:
        return None
    lo, hi = blocks[0].b, blocks[-1].b + blocks[-1].size
    # quote words the alignment left out (moved phrases) may sit just outside the span: take them in
    left = Counter(q)
    left.subtract(Counter(window[lo:hi]))
    missing = {w for w, n in left.items() if n > 0}
    if missing:
        j, best = hi, hi
        while j < len(window) and j < hi + len(q) and (window[j] in missing or not _is_content(window[j])):
            j += 1
            if window[j - 1] in missing:
                best = j
        hi = best
        j, best = lo, lo
        while j > 0 and j > lo - len(q) and (window[j - 1] in missing or not _is_content(window[j - 1])):
            j -= 1
            if window[j] in missing:
                best = j
        lo = best
    span = window[lo:hi]
    ops = SequenceMatcher(None, q, span, autojunk=False).get_opcodes()
    ops = [(tag, i1, i2, j1 + lo + offset, j2 + lo + offset) for tag, i1, i2, j1, j2 in ops]
    return _Span(_dice(q, span), lo + offset, hi + offset, ops)


def best_span(q: list[str], src: list[str], *, max_anchors: int = 6, max_occurrences: int = 40) -> _Span | None:
    """The source token span that aligns best with the quote tokens ``q``."""
    if not q or not src:
        return None
    where: dict[str, list[int]] = {}
    for i, w in enumerate(src):
        where.setdefault(w, []).append(i)
    shared = [(i, w) for i, w in enumerate(q) if w in where]
    if not shared:
        return None
    # rarest shared words first (content words before function words)
    shared.sort(key=lambda t: (not _is_content(t[1]), len(where[t[1]]), t[0]))
    anchors, seen = [], set()
    for i, w in shared:
        if w not in seen:
            anchors.append((i, w))
            seen.add(w)
        if len(anchors) >= max_anchors:
            break
    pad = max(4, len(q) // 2)
    starts: set[int] = set()
    for qi, w in anchors:
        for si in where[w][:max_occurrences]:
            starts.add(max(0, si - qi))
    best: _Span | None = None
    done: set[tuple[int, int]] = set()
    for s0 in sorted(starts):
        lo, hi = max(0, s0 - pad), min(len(src), s0 + len(q) + pad)
        if (lo, hi) in done:
            continue
        done.add((lo, hi))
        span = _align(q, src[lo:hi], lo)
        if span and (best is None or span.similarity > best.similarity + 1e-9):
            best = span
    return best


# -- classification ------------------------------------------------------------------------------
def _edits(q_toks: list[_Tok], s_toks: list[_Tok], quote: str, source: str, span: _Span) -> list[dict[str, str]]:
    out = []
    for tag, i1, i2, j1, j2 in span.opcodes:
        if tag == "equal":
            continue
        qt = quote[q_toks[i1].start:q_toks[i2 - 1].end] if i2 > i1 else ""
        st = source[s_toks[j1].start:s_toks[j2 - 1].end] if j2 > j1 else ""
        # SequenceMatcher edits the quote into the source; the report says what the quote did to the source
        op = {"delete": "insert", "insert": "delete"}.get(tag, tag)
        out.append({"op": op, "quote": " ".join(qt.split()), "source": " ".join(st.split())})
    return out


def _classify(q: list[str], q_raw: list[_Tok], quote: str, src: list[str], span: _Span) -> tuple[str, int]:
    """``(status, number of plain substitutions)`` for a found span (verbatim is decided before)."""
    added: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    pairs: list[tuple[list[str], list[str]]] = []
    for tag, i1, i2, j1, j2 in span.opcodes:
        if tag == "equal":
            continue
        qw, sw = q[i1:i2], src[j1:j2]
        added.update(qw)
        dropped.update(sw)
        pairs.append((qw, sw))
    # words moved elsewhere (word order) and inflections are not changes
    moved = added & dropped
    added -= moved
    dropped -= moved
    a_stems = Counter(_stem(w) for w in added.elements())
    d_stems = Counter(_stem(w) for w in dropped.elements())
    same = a_stems & d_stems
    added = Counter(w for w in added.elements() if not same.get(_stem(w)))
    dropped = Counter(w for w in dropped.elements() if not same.get(_stem(w)))

    capitalised = {t.norm for t in q_raw[1:] if quote[t.start:t.start + 1].isupper()}
    critical = False
    for w in list(added) + list(dropped):
        if _is_number(w) or w in NEGATIONS or w.endswith("n't") or w in QUANTIFIERS or w in capitalised:
            critical = True
    for w in added:
        if OPPOSITES.get(w, set()) & set(dropped):
            critical = True
    content_added = [w for w in added.elements() if _is_content(w)]
    content_dropped = [w for w in dropped.elements() if _is_content(w)]
    q_content = [w for w in q if _is_content(w)] or q
    substitutions = max(len(content_added), len(content_dropped))
    if critical:
        return "altered", substitutions
    if not content_added and not content_dropped:
        return "close", 0
    # content words only added or only dropped change what is said; 1:1 swaps may be synonyms
    if len(content_added) != len(content_dropped):
        return "altered", substitutions
    if substitutions <= max(1, int(MAX_PARAPHRASE_SUBSTITUTIONS * len(q_content) + 1e-9)):
        return "close", substitutions
    return "altered", substitutions


def _check_one(quote: str, q_toks: list[_Tok], doc: Document) -> tuple[QuoteCheck, float] | None:
    source = doc.text or ""
    # verbatim: the normalised quote occurs in the normalised source
    nq = normalize(quote)
    ns, pos = _normalized_with_map(source)
    if nq:
        at = ns.find(nq)
        if at >= 0:
            start, end = pos[at], pos[at + len(nq) - 1] + 1
            return QuoteCheck("verbatim", quote, doc.id, doc.title, start, end, source[start:end], 1.0, []), 2.0
    s_toks = tokens(source)
    q = [t.norm for t in q_toks]
    src = [t.norm for t in s_toks]
    span = best_span(q, src)
    if span is None:
        return None
    start, end = s_toks[span.src_lo].start, s_toks[span.src_hi - 1].end
    span_words = src[span.src_lo:span.src_hi]
    q_content = {_stem(w) for w in q if _is_content(w)} or {_stem(w) for w in q}
    s_content = {_stem(w) for w in span_words}
    coverage = len(q_content & s_content) / len(q_content)
    sim = round(min(1.0, span.similarity), 4)
    check = QuoteCheck("not_found", quote, doc.id, doc.title, start, end, source[start:end], sim,
                       _edits(q_toks, s_toks, quote, source, span))
    if sim < MIN_FOUND_SIMILARITY or coverage < MIN_CONTENT_COVERAGE:
        return check, sim
    if q == span_words:  # the same words; only punctuation differs
        check.status = "close"
        check.similarity = 1.0
        return check, 1.5
    check.status, _ = _classify(q, q_toks, quote, src, span)
    return check, sim + (0.001 if check.status == "close" else 0.0)


def check_quote(claim_text: str, sources: Sequence[Document], *, speaker: str | None = None) -> QuoteCheck:
    """Compare the quoted part of ``claim_text`` with the best-matching span among ``sources``.

    ``speaker`` (the claim's ``attributed_to``) helps strip a leading attribution.
    A ``not_found`` result still names the closest span, if any shared words were found.
    """
    quote = quoted_part(claim_text, speaker)
    q_toks = tokens(quote)
    if not q_toks:
        return QuoteCheck("not_found", quote)
    best: tuple[QuoteCheck, float] | None = None
    for doc in sources:
        got = _check_one(quote, q_toks, doc)
        if got and (best is None or got[1] > best[1]):
            best = got
    if best is None:
        return QuoteCheck("not_found", quote)
    check = best[0]
    if check.status == "not_found":
        # keep the similarity for the curious, but do not point at a span that is not the source
        return QuoteCheck("not_found", quote, similarity=check.similarity)
    return check


# -- claims of an article --------------------------------------------------------------------------
def _claim_of(item: Claim | CheckedClaim) -> Claim:
    return item.claim if isinstance(item, CheckedClaim) else item


def _before_or_same(doc: Document, article: Document) -> bool:
    return not (doc.published and article.published and doc.published[:10] > article.published[:10])


def _query_of(claim: Claim) -> str:
    return quoted_part(claim.text, claim.attributed_to) or claim.standalone


def planned_queries(claims: Iterable[Claim | CheckedClaim]) -> list[str]:
    """The texts :func:`provenance_for_claims` will search for without given sources (quoted words)."""
    out = []
    for item in claims:
        claim = _claim_of(item)
        if ClaimKind(claim.kind) in QUOTE_KINDS:
            query = _query_of(claim)
            if query:
                out.append(query)
    return out


def _candidate_documents(claim: Claim, article: Document, store: Any, index: Any, limit: int,
                         by_speaker: dict[tuple[str, str], list[Document]] | None = None) -> list[Document]:
    docs: dict[str, Document] = {}
    who = (claim.attributed_to or "").strip()
    if store is not None and who:
        for kw in ({"author": who}, {"title": who}):
            key = (next(iter(kw)), who)  # one article often quotes one speaker several times
            found = by_speaker.get(key) if by_speaker is not None else None
            if found is None:
                found = store.find_documents(**kw, limit=limit)
                if by_speaker is not None:
                    by_speaker[key] = found
            for d in found:
                docs.setdefault(d.id, d)
    if index is not None and store is not None:
        query = _query_of(claim)
        hits = index.search(query, k=limit, before=article.published, exclude_documents={article.id})
        for h in hits:
            did = h.passage.document_id
            if did not in docs and not h.after_claim_date:
                try:
                    docs[did] = store.get_document(did)
                except Exception:  # noqa: BLE001 - a passage whose document is gone
                    continue
    return [d for d in docs.values() if d.id != article.id and _before_or_same(d, article)]


def provenance_for_claims(
    claims: Iterable[Claim | CheckedClaim], article: Document, *, sources: Sequence[Document] | None = None,
    store: Any = None, index: Any = None, limit: int = 8,
) -> dict[str, QuoteCheck]:
    """Quote checks for the article's ``quoted`` and ``rebutted`` claims, keyed by claim id.

    With ``sources``, every such claim is checked against them.  Without, and with a ``store``:
    the corpus documents whose author or title contains the claim's ``attributed_to``, plus the
    documents of the top passages the ``index`` retrieves for the quoted words (published no later
    than the article).  Without sources or a store the result is empty.
    """
    out: dict[str, QuoteCheck] = {}
    by_speaker: dict[tuple[str, str], list[Document]] = {}
    claims = list(claims)
    if (sources is None or not len(sources)) and store is not None:
        speakers = [(_claim_of(c).attributed_to or "").strip() for c in claims
                    if ClaimKind(_claim_of(c).kind) in QUOTE_KINDS]
        by_speaker.update(store.find_documents_by_names([s for s in speakers if s], limit=limit))  # one scan
    for item in claims:
        claim = _claim_of(item)
        if ClaimKind(claim.kind) not in QUOTE_KINDS:
            continue
        if sources is not None and len(sources):
            docs = [d for d in sources if d.id != article.id]
        elif store is not None:
            docs = _candidate_documents(claim, article, store, index, limit, by_speaker)
        else:
            continue
        out[claim.id] = check_quote(claim.text, docs, speaker=claim.attributed_to)
    return out
