"""Who said it: reported speech and the speaker it is attributed to.

Recognised shapes (the speaker is cleaned: titles dropped, surnames and
pronouns resolved to the full name named earlier, "the ministry" to the
"Ministry of Health" named earlier)::

    "…," said Mayor Lena Ortiz.        "…," Ortiz said.        "…", she told reporters.
    Ortiz said "…".                     Ortiz said that …       Ortiz told Reuters that …
    Lena Ortiz, the mayor, claimed …    In a statement, the agency said …
    According to the ministry, …        …, according to the ministry.
    Researchers like Ana Ruiz said …    …, according to the agency's 2022 report.  (the agency)
    A company report showed that …      Police released the names of …

``attribute()`` returns an ``Attribution`` with the speaker and where the
reported content sits (document offsets), or ``None`` for a sentence in the
article's own voice.

Example::

    >>> from factdesk.text.entities import find_mentions
    >>> text = '"We cut crime by 20%," said Mayor Lena Ortiz.'
    >>> attribute(text, 0, text, find_mentions(text)).speaker
    'Lena Ortiz'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from factdesk.claims.decontextualize import previous_subject  # one copy of the centering rule
from factdesk.text.entities import (
    COMPANY_NOUNS,
    Mention,
    TITLES,
    clean_speaker,
    find_mentions,
    name_with_and,
    person_gender,
    pronoun_gender,
    resolve_reference,
)
from factdesk.text.quotes import attribution_parts

VERBS = (
    "said|says|say|told|tells|added|adds|stated|states|claimed|claims|claim|argued|argues|insisted|insists|"
    "alleged|alleges|asserted|asserts|contended|contends|maintained|maintains|wrote|writes|posted|tweeted|"
    "announced|announces|explained|explains|noted|notes|warned|warns|predicted|predicts|suggested|suggests|"
    "acknowledged|acknowledges|admitted|admits|confirmed|confirms|denied|denies|estimated|estimates|testified|"
    "stressed|emphasised|emphasized|revealed|reveals|declared|declares|conceded|concedes|recalled|disclosed|"
    "insisted|boasted|boasts|promised|promises|pledged|reported|reports|concluded|concludes|found|finds|shows|showed|"
    "attribute|attributes|attributed|released|releases|"
    "accused|accuses|note|argue|insist|allege|assert|contend|maintain|warn|predict|suggest|acknowledge|admit|"
    "confirm|deny|estimate|stress|reveal|declare|concede|report|conclude|find|show|state|explain|announce|add|tell"
)
# verbs that present a claim as contestable (used by rebuttal detection)
CLAIM_VERBS = {
    "claimed", "claims", "claim", "argued", "argues", "insisted", "insists", "alleged", "alleges", "asserted",
    "asserts", "contended", "contends", "maintained", "maintains", "suggested", "suggests", "boasted", "boasts",
    "wrote", "writes", "posted", "tweeted",
}
# verbs that report speech only with a clause after them: "found that …", not "found the body"
_NEED_THAT = {
    "found", "finds", "showed", "shows", "reported", "reports", "concluded", "concludes", "denied", "denies",
    "wrote", "writes", "posted", "estimated", "estimates", "revealed", "reveals", "recalled", "disclosed",
    "promised", "promises", "pledged", "declared", "declares", "confirmed", "confirms", "announced", "announces",
    "admitted", "admits", "maintained", "maintains", "predicted", "predicts", "noted", "notes", "stated", "states",
    "note", "maintain", "predict", "reveal", "declare", "confirm", "deny", "estimate", "report", "conclude", "find",
    "show", "state", "announce", "admit",
}
# ... unless a document is the subject: "The audit found 40 faults."
_DOCUMENTS = {"report", "study", "survey", "audit", "review", "analysis", "inquiry", "investigation", "poll",
              "census", "data", "figures", "records", "paper", "statement", "filing", "filings", "minutes"}
# verbs that double as nouns ("insurance claims rose"): a clause must follow
_NEED_CLAUSE = re.compile(
    r"""\s*(?:\w+ly\s+)?(?:that\b|["“:,]|(?:the|a|an|it|he|she|they|we|its|his|her|their|there|this|these|those|no|"""
    r"""not|every|all|some|many|most|one|two|three|four|five|six|seven|eight|nine|ten|dozens|hundreds|thousands|"""
    r"""millions|more|fewer|less|only|about|nearly|almost|over|under|after|before|when|while|during|since|"""
    r"""someone|somebody|nobody|people|men|women)\b|[A-Z0-9$€£])"""
)
# "… confirms with high certainty that …", "… stated to “Expect …”"
_THAT_AFTER = re.compile(r"""\s*(?:,\s*)?(?:(?:with|in|on|at|for|from|to)\s+(?:[\w’'-]+\s+){1,3})?(?:that\b|[:"“])""")
_RELEASED_INFORMATION = re.compile(
    r"\s*(?:(?:the|a|an|its|their|new|further|more|preliminary|official)\s+)*"
    r"(?:identities|identity|names|name|details|figures|data|statistics|results|findings|statement)\b")
_STATED_TO = re.compile(r"""\s*to\s+["“]""")
_ADVERBS = r"(?:(?:has|had|have|now|just|already|also|previously|repeatedly|again|later|then|once|falsely|wrongly|recently|publicly|initially|originally|earlier|often|even|\w+ly)\s+)*"
_QUOTE_FIRST = re.compile(r"""^\s*(?P<oq>["“])(?P<q>.+?)(?P<cq>["”])\s*,?\s*(?P<tail>.+)$""", re.S)
_TAIL_VERB_FIRST = re.compile(rf"^(?P<verb>{VERBS})\s+(?P<who>[^,.;!?\"“”]+?)\s*(?:,.*)?[.!?]?\s*$", re.S)
_TAIL_WHO_FIRST = re.compile(rf"^(?P<who>[^,.;!?\"“”]+?)\s+{_ADVERBS}(?P<verb>{VERBS})\b(?P<rest>[^\"“”]*)$", re.S)
_SUBJECT_FIRST = re.compile(
    rf"""(?P<who>[^,"“”:;]{{1,90}}?)(?:\s*\([A-Z]{{2,8}}\))?(?P<appos>,\s[^,"“”]{{1,90}},)?\s+{_ADVERBS}(?P<verb>{VERBS})\b(?P<rest>.*)$""",
    re.S,
)


@functools.lru_cache(maxsize=None)
def _subject_first_from(min_who: int) -> re.Pattern[str]:
    """``_SUBJECT_FIRST`` with a subject of at least ``min_who`` characters."""
    return re.compile(_SUBJECT_FIRST.pattern.replace("{1,90}?", f"{{{min_who},90}}?", 1), re.S)


def _subject_candidates(sentence: str, skip: int) -> Iterator[re.Match[str]]:
    """Every "subject + reporting verb" reading from ``skip``, shortest subject first: a noun that looks
    like a verb ("A company report revealed that …") gives way to the next verb."""
    min_who = 1
    while min_who <= 90:
        m = _subject_first_from(min_who).match(sentence, skip)
        if m is None:
            return
        yield m
        min_who = len(m.group("who")) + 1


_INTRO = re.compile(
    r"""^(?:In|On|At|During|After|Before|Speaking|Last|Earlier|Later|Meanwhile|However|But|Separately|Asked|When|"""
    r"""Yesterday|Today|Since|Following|Responding|Writing|Addressing|Also|Previously|Then|Now|Still|And|From|Soon|"""
    r"""With|Thus|Overall|Instead|Likewise|Similarly|For|Under|Because|Although|While|As)\b[^,"“”]{0,60},\s+"""
)
_SAYS_TAIL = re.compile(
    r"""^(?P<content>[^"“”]+?),\s+(?P<verb>says|said|claims|claimed|writes|wrote|argues|argued|according\s+to)\s+(?P<who>[^,.;!?"“”]{2,80}?)\s*(?:,.*)?[.!?]?\s*$""",
    re.S,
)
_SAID_END = re.compile(
    rf"""^(?P<content>.+),\s+(?P<who>[^,"“”]{{1,60}}?)\s+{_ADVERBS}(?P<verb>said|says|added|adds|told\s+[\w ]{{1,30}}?|wrote|claimed|claims|argued|insisted|warned|noted|stated|announced|announces|confirmed|reported|explained|estimated|declared)(?:\s+(?:on\s+)?\w+day(?:\s+(?:morning|afternoon|evening|night))?|\s+in\s+a\s+\w+|\s+(?:yesterday|today|last\s+\w+|recently|earlier))?\s*[.!?]?\s*$""",
    re.S,
)
_SAID_MID = re.compile(
    rf"""^(?P<content>[^"“”]+?),\s+(?P<who>[^,"“”]{{1,50}}?)\s+{_ADVERBS}(?P<verb>said|says|say|added|noted|argued|explained|stated|claimed|claims|reported)(?:\s+(?:on\s+)?\w+day)?,\s+(?P<more>(?:and|but|while|as|which|with)\b.+)$""",
    re.S,
)
# "… by 0.1°C (Copernicus Climate Change Service, 2023)." — a source cited in brackets, with a year or place
_CITED = re.compile(r"""^(?P<content>.+?)\s*\((?P<who>[A-Z][^(),]{1,70}?),\s*[^()]{1,60}\)\s*[.!?]?\s*$""", re.S)
_ACCORDING_MID = re.compile(
    r"""^(?P<c1>[^"“”]+?),\s+according to (?P<who>(?:(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|St)\.\s|[^,.;!?"“”]){1,60}),\s+(?P<c2>.+)$""",
    re.S | re.I,
)
_ACCORDING_START = re.compile(r"""^\s*According to (?P<who>[^,]{1,90}),\s*(?P<content>.+)$""", re.S | re.I)
_ACCORDING_END = re.compile(r"""^(?P<content>.+?),?\s+according to (?P<who>[^,.;!?]{1,90})(?:,[^.]*)?[.!?]?["”]?\s*$""", re.S | re.I)

_DOCUMENT_NOUN_SET = _DOCUMENTS | {"assessment", "release", "forecast", "outlook", "estimate", "estimates", "website",
                                    "budget", "accounts", "results", "reports", "studies"}
_DOCUMENT_NOUNS = "|".join(sorted(_DOCUMENT_NOUN_SET))
# "the grid operator’s 2019 resource assessment", "Acme's annual report"
_OWNED_DOCUMENT = re.compile(rf"^(?P<owner>[^’']{{2,60}}?)(?:[’']s|s[’'])\s+(?:[\w-]+\s+){{0,3}}(?:{_DOCUMENT_NOUNS})$", re.I)
# "a recent company financial report", "the firm's filings" — the company the article names
_COMPANY_DOCUMENT = re.compile(
    rf"^(?:the|a|an|its|this|that)\s+(?:[\w-]+\s+){{0,2}}(?P<noun>{'|'.join(sorted(COMPANY_NOUNS))})(?:[’']s)?\s+"
    rf"(?:[\w-]+\s+){{0,2}}(?:{_DOCUMENT_NOUNS})$", re.I)

_PRONOUNS = {"he", "she", "it", "they"}
_GROUPS = {
    "officials", "police", "experts", "researchers", "scientists", "critics", "analysts", "residents",
    "witnesses", "authorities", "doctors", "lawyers", "prosecutors", "investigators", "organisers", "organizers",
    "campaigners", "activists", "economists", "sources", "opponents", "supporters", "locals", "engineers",
    "historians", "regulators", "inspectors", "firefighters", "parents", "teachers",
}
# "Researchers like Ana Ruiz from Leeds University", "experts such as Dr. Tom Hale": a group by one named member
_EXAMPLE_OF_GROUP = re.compile(
    rf"^(?:[A-Za-z-]+\s+)?(?i:{'|'.join(sorted(_GROUPS))})\s+(?:like|such\s+as|including)\s+"
    r"(?P<name>(?:(?:Dr|Prof|Mr|Mrs|Ms)\.?\s+)?[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){1,3})"
    r"(?:\s+(?:from|of|at)\s+[^,;]{2,60})?$"
)
# a subject that only counts ("Another, Pelco, announced …"): the name in apposition speaks
_ONE_OF = {"another", "one", "others", "the other", "the first", "the second", "the third", "the latter", "the former"}
_AUXILIARIES = {"is", "was", "are", "were", "be", "been", "has", "have", "had", "will", "would", "can", "could"}
_DETERMINERS = {"the", "a", "an", "its", "his", "her", "their", "this", "that", "one", "two", "several", "some"}
_CONNECTORS = {"of", "for", "the", "at", "and", "de", "van", "von"}
_TIME = (
    r"(?:\s+(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
    r"|\s+(?:yesterday|today|last\s+\w+|earlier\s+this\s+\w+|this\s+week|this\s+month|recently|previously|earlier|later)"
    r"|\s+(?:in|on|during)\s+(?:a|an|the|his|her|their|its)\s+(?:\w+\s+){0,2}(?:statement|interview|post|letter|video|speech|briefing|report|conference|release|hearing|op-ed|column|article|tweet)"
    r"(?:\s+on\s+\w+)?)*"
)
_TIME_RE = re.compile(_TIME)
_TOLD_OBJECT = re.compile(r"^\s+(?:reporters|journalists|lawmakers|parliament|him|her|them|us|me|the\s+\w+(?:\s+\w+)?|[A-Z][\w.&]*(?:\s+[A-Z][\w.&]*)*)")
_CONTENT_LEAD = re.compile(_TIME + r"""\s*[,:]?\s*(?:that\s+)?["“]?""")


@dataclass(frozen=True)
class Attribution:
    speaker: str | None  # a clean name, or a generic phrase ("officials") when nobody is named
    speaker_phrase: str  # as written ("Mayor Lena Ortiz", "she", "the agency")
    verb: str
    content_start: int  # document offsets of what was reported
    content_end: int
    pattern: str  # quote_first | subject_first | according_to | … | quote_continued | document_continued


def _valid_who(who: str) -> bool:
    example = _EXAMPLE_OF_GROUP.match(who)
    if example:
        return True
    words = who.split()
    if not words or len(words) > 10:
        return False
    lower = [w.lower().strip("’'") for w in words]
    if len(words) == 1 and (lower[0] in _PRONOUNS or lower[0] in _GROUPS):
        return True
    if lower[0] in {"i", "we", "you"}:
        return False
    if lower[0] in _DETERMINERS:
        if lower[0] == "the" and len(words) >= 3 and all(w[:1].isupper() or lw in _CONNECTORS
                                                           for w, lw in zip(words[1:], lower[1:])):
            return True  # a long proper name: "The National Institute of Alcohol Abuse and Alcoholism"
        # "the foundation has received reports that …": a subject holds no verb of its own
        return len(words) <= 7 and not any(w in _AUXILIARIES for w in lower)
    if lower[-1] in _GROUPS:
        return True
    # a name, perhaps after lower-case roles: "former mayor Tom Banks", "Acme spokesperson Jo Park"
    if not words[-1][:1].isupper():
        return False
    # a role description ending in a full name: "Transit authority chief executive Priya Lassiter"
    if (len(words) <= 7 and len(words) >= 3 and words[-2][:1].isupper() and words[0][:1].isupper()
            and not any(lw in {"is", "was", "are", "were", "be", "been", "has", "have", "had"} for lw in lower)):
        return True
    for w, lw in zip(words, lower):
        if not (w[:1].isupper() or lw in TITLES or lw in _CONNECTORS or lw.endswith("'s") or lw.endswith("’s")):
            return False
    return True


def _opens_sentence(text: str, pos: int) -> bool:
    before = text[max(0, pos - 5):pos].rstrip(" \t\"“")
    return not before or before.endswith("\n") or bool(re.search(r"[.!?][\"”’)]*$", before))


def _pronoun_speaker(pronoun: str, pos: int, text: str, mentions: list[Mention],
                     previous: Attribution | None) -> str | None:
    """Who "he" / "she" at ``pos`` is: the nearest speaker or person the pronoun can refer to, or None.

    The last attributed speaker comes first when no other person it could be is named after that
    attribution; a person whose title or first name says otherwise is never chosen ("he" is not
    "Maria Lopez"); two candidates in the same sentence, or none, leave the quote unattributed.
    """
    want = pronoun_gender(pronoun)
    since = previous.content_end if previous is not None else -1

    def compatible(m: Mention) -> bool:
        g = person_gender(m)
        return want is None or g is None or g == want

    between = [m for m in mentions if m.kind == "person" and since <= m.start < pos and compatible(m)]
    if previous is not None and previous.speaker and not between and pos - since <= 1500:
        prev_gender = next((person_gender(m) for m in mentions if m.kind == "person" and m.name == previous.speaker),
                           None)
        if want is None or prev_gender is None or prev_gender == want:
            return previous.speaker
    if pronoun.lower() in {"he", "she"} and _opens_sentence(text, pos):
        # centering: a pronoun that opens a sentence continues the previous sentence's subject ("Mr Anderson,
        # who …, had testified at Hartley's trial. He told the jury …" is Anderson, not the nearer Hartley)
        subject = previous_subject(pos, text, mentions, {"person"})
        if subject is not None and compatible(subject):
            return subject.name
    people = [m for m in mentions if m.kind == "person" and m.end <= pos and pos - m.end <= 1500 and compatible(m)]
    if pronoun.lower() in {"he", "she"}:
        others = [m for m in mentions if m.kind != "person"]
        resolved = resolve_reference(pronoun, pos, text, sorted(people + others, key=lambda m: m.start), strict=True)
        return resolved
    return resolve_reference(pronoun, pos, text, mentions)


def _named_by_head(noun: str, pos: int, mentions: list[Mention]) -> str | None:
    """"the grid operator" is the one long name the article gave before that ends in "Operator"
    ("California Independent System Operator"); a name of two words may be a person's ("John Baker")."""
    names = {m.name for m in mentions if m.end <= pos and len(m.name.split()) >= 3
             and m.name.split()[-1].lower() == noun and not m.title}
    return next(iter(names)) if len(names) == 1 else None


def _owner_of_document(phrase: str, who_start: int, text: str, mentions: list[Mention],
                       previous: Attribution | None) -> str | None:
    """Who speaks through a document: "the grid operator's 2019 assessment" is the grid operator (named
    as the article named it), "a recent company financial report" is the company the article is about."""
    m = _OWNED_DOCUMENT.match(phrase)
    if m:
        return _speaker_name(m.group("owner"), who_start, text, mentions, previous)
    m = _COMPANY_DOCUMENT.match(phrase)
    if m:
        return _longest_form(resolve_reference("the " + m.group("noun").lower(), who_start, text, mentions), mentions)
    return None


def _longest_form(name: str | None, mentions: list[Mention]) -> str | None:
    """An organisation named short and long ("CVS", "CVS Health") by its one long name."""
    if not name:
        return name
    longer = {m.name for m in mentions if m.kind == "org" and m.name.startswith(name + " ")}
    return next(iter(longer)) if len(longer) == 1 else name


def _speaker_name(who: str, who_start: int, text: str, mentions: list[Mention],
                  previous: Attribution | None = None) -> str | None:
    phrase = who.strip()
    lower = phrase.lower()
    if lower in {"he", "she"}:
        return _pronoun_speaker(lower, who_start, text, mentions, previous)
    if lower == "they" and previous is not None and previous.speaker and previous.speaker[:1].islower() \
            and previous.speaker.endswith("s") and who_start - previous.content_end <= 1500:
        return previous.speaker  # "The energy experts noted … They also said …"
    if lower in _PRONOUNS:
        return resolve_reference(lower, who_start, text, mentions, strict=True) or lower
    if lower in _GROUPS:
        return lower
    example = _EXAMPLE_OF_GROUP.match(phrase)
    if example:  # "Researchers like Ana Ruiz from Leeds University": the one named speaks
        return clean_speaker(example.group("name"), mentions, who_start + example.start("name"))
    owner = _owner_of_document(phrase, who_start, text, mentions, previous)
    if owner:
        return owner
    if lower.split()[0] in _DETERMINERS and not any(w[:1].isupper() for w in phrase.split()[1:]):
        # "the agency", "a ministry spokesperson", "the mayor"
        resolved = resolve_reference(lower, who_start, text, mentions)
        if resolved:
            return resolved
        # "a spokesperson for the ministry" -> the ministry's name
        tail = re.search(r"\b(?:for|of|at)\s+(the\s+\w+)$", lower)
        if tail:
            resolved = resolve_reference(tail.group(1), who_start, text, mentions)
            if resolved:
                return resolved
        if lower.split()[0] == "the":
            resolved = _named_by_head(lower.split()[-1], who_start, mentions)
            if resolved:
                return resolved
        return lower
    named = phrase[4:] if lower.startswith("the ") else phrase
    named_start = who_start + len(phrase) - len(named)
    whole = [m for m in mentions if m.start <= named_start and named_start + len(named) <= m.end + 1]
    if whole:
        return whole[0].name
    if re.search(r"\s(?:and|&)\s", phrase) and not name_with_and(phrase):
        # several sources ("Levy and authorities from the police"): the first one named speaks
        first = re.split(r"\s(?:and|&)\s", phrase, maxsplit=1)[0].strip(" ,")
        if first and first[:1].isupper() and first.lower() not in _PRONOUNS and _valid_who(first):
            name = clean_speaker(first, mentions, who_start)
            if name:
                return name
    return clean_speaker(phrase, mentions, who_start)


def _content_after(rest: str, rest_start: int, verb: str, sent_end: int) -> tuple[int, int]:
    offset = 0
    if verb in {"told", "tells"}:
        m = _TOLD_OBJECT.match(rest)
        if m:
            offset = m.end()
    m = _CONTENT_LEAD.match(rest, offset)
    lead = m.end() if m else offset
    start = rest_start + lead
    if lead and rest[lead - 1] in "\"“":  # a quotation: drop its closing mark
        tail = rest.rstrip()
        if tail.endswith(("\"", "”")):
            sent_end = rest_start + len(tail) - 1
    return start, sent_end


def attribute(sentence: str, start: int, text: str, mentions: list[Mention] | None = None,
              previous: Attribution | None = None) -> Attribution | None:
    """Find reported speech in ``sentence`` (which sits at ``start`` in ``text``).

    ``previous`` is the last attribution before this sentence (see :func:`attribute_all`): "he said"
    then means that speaker when nobody else it could be was named in between.
    """
    if mentions is None:
        mentions = find_mentions(text)
    end = start + len(sentence)

    m = _QUOTE_FIRST.match(sentence)
    if m:
        tail = m.group("tail")
        tail_start = start + m.start("tail")
        q_start, q_end = start + m.start("q"), start + m.end("q")
        while q_end > q_start and text[q_end - 1] in ", ":
            q_end -= 1
        t = _TAIL_VERB_FIRST.match(tail)
        if t and _valid_who(t.group("who")):
            who = t.group("who")
            name = _speaker_name(who, tail_start + t.start("who"), text, mentions, previous)
            return Attribution(name, who, t.group("verb"), q_start, q_end, "quote_first")
        t = _TAIL_WHO_FIRST.match(tail)
        if t and _valid_who(t.group("who")):
            who = t.group("who")
            name = _speaker_name(who, tail_start + t.start("who"), text, mentions, previous)
            return Attribution(name, who, t.group("verb"), q_start, q_end, "quote_first")

    m = _ACCORDING_START.match(sentence)
    if m:
        who = m.group("who")
        name = _speaker_name(who, start + m.start("who"), text, mentions, previous)
        return Attribution(name, who, "according to", start + m.start("content"), end, "according_to")
    m = _ACCORDING_END.match(sentence)
    if m:
        who = m.group("who")
        name = _speaker_name(who, start + m.start("who"), text, mentions, previous)
        c_end = start + m.end("content")
        return Attribution(name, who, "according to", start + m.start("content"), c_end, "according_to")

    m = _ACCORDING_MID.match(sentence)
    if m and not _QUOTE_FIRST.match(sentence):
        who = m.group("who")
        name = _speaker_name(who, start + m.start("who"), text, mentions, previous)
        return Attribution(name, who, "according to", start, end, "according_to")

    m = _SAID_END.match(sentence)
    if m and _valid_who(m.group("who")) and not _QUOTE_FIRST.match(sentence):
        who = m.group("who")
        name = _speaker_name(who, start + m.start("who"), text, mentions, previous)
        verb = m.group("verb").split()[0]
        return Attribution(name, who, verb, start + m.start("content"), start + m.end("content"), "said_end")

    m = _SAID_MID.match(sentence)
    if m and _valid_who(m.group("who")) and not _QUOTE_FIRST.match(sentence):
        who = m.group("who")
        name = _speaker_name(who, start + m.start("who"), text, mentions, previous)
        return Attribution(name, who, m.group("verb"), start, end, "said_mid")

    found: Attribution | None = None
    intro = _INTRO.match(sentence)
    # the subject may follow an opening clause: "With 1,800 agents and 240 aircraft, AMO says it …"
    after_commas = [c.end() for c in re.finditer(r""",\s+(?:(?:but|and|while|so|yet)\s+)?(?=[A-Z]|the\s+[A-Z])""", sentence[:250])]
    skips = list(dict.fromkeys([0] + ([intro.end()] if intro else []) + after_commas))
    for m in (m for skip in skips for m in _subject_candidates(sentence, skip)):
        if not _valid_who(m.group("who")):
            continue
        verb, rest = m.group("verb"), m.group("rest")
        lead = _TIME_RE.match(rest).end()
        if verb in _NEED_THAT and not (_THAT_AFTER.match(rest[lead:])
                                       or (verb in {"stated", "states"} and _STATED_TO.match(rest[lead:]))):
            if m.group("who").lower().split()[-1] not in _DOCUMENTS:
                continue
        if verb in {"released", "releases"} and not _RELEASED_INFORMATION.match(rest[lead:]):
            continue  # "released the names of …" reports; "released the hostages" does not
        if verb not in {"told", "tells"} and not (_NEED_CLAUSE.match(rest[lead:]) or _THAT_AFTER.match(rest[lead:])
                                                  or _STATED_TO.match(rest[lead:])):
            continue
        who, who_at = m.group("who"), m.start("who")
        if who.lower() in _ONE_OF and m.group("appos"):  # "Another, Pelco, announced …": the name in commas
            who, who_at = m.group("appos").strip(", "), m.start("appos") + 2
        name = _speaker_name(who, start + who_at, text, mentions, previous)
        c_start, c_end = _content_after(m.group("rest"), start + m.start("rest"), m.group("verb"), end)
        found = Attribution(name, who, m.group("verb"), c_start, c_end, "subject_first")
        break
    if found is None or not (found.speaker or "")[:1].isupper():
        # "…, says the article penned by Jane Doe." names the speaker better than a generic subject
        m = _SAYS_TAIL.match(sentence)
        if m:
            who = m.group("who")
            name = _speaker_name(who, start + m.start("who"), text, mentions, previous)
            if name and (name[:1].isupper() or found is None) and (_valid_who(who) or name[:1].isupper()):
                return Attribution(name, who, m.group("verb"), start + m.start("content"), start + m.end("content"), "says_tail")
    if found is None:
        m = _CITED.match(sentence)
        if m and _valid_who(m.group("who")) and m.group("who").split()[0].lower() not in _DETERMINERS:
            who = m.group("who")
            name = _speaker_name(who, start + m.start("who"), text, mentions, previous)
            return Attribution(name, who, "cited", start + m.start("content"), start + m.end("content"), "cited")
    return found


_OPEN = "\"“"
_CLOSE = "\"”"


def _quote_depth_after(sentence: str, depth: int) -> int:
    """Inside a quotation (1) or not (0) after the sentence, given the state before it.

    A straight mark that opens the sentence opens a quotation whatever came before: a quotation of several
    paragraphs opens each of them again and closes only the last ('"… gangs.\\n\\n"Also, …').
    """
    first = len(sentence) - len(sentence.lstrip())
    for i, ch in enumerate(sentence):
        if ch == "“":
            depth = 1
        elif ch == "”":
            depth = 0
        elif ch == '"':
            depth = 1 if i == first else 1 - depth
    return depth


def _quoted_span(sentence: str, start: int) -> tuple[int, int]:
    """Document offsets of the sentence without its quotation marks and attribution tail."""
    body = sentence
    m = re.search(r"""[”"]\s*,?\s*[^”"]*$""", body)
    end = m.start() if m and m.start() > 0 else len(body.rstrip())
    lead = len(body) - len(body.lstrip(" \"“"))
    while end > lead and body[end - 1] in ", ":
        end -= 1
    return start + lead, start + end


# a sentence that opens by referring back to what the previous one was about
_BACK_REFERENCE = re.compile(
    rf"(?:Its|They|Their|The\s+(?:{'|'.join(sorted(COMPANY_NOUNS))}|agency|department|ministry|authority)[’']s)\b")


def _reports_a_document(att: Attribution) -> bool:
    """What a report, a release or a set of figures says, as opposed to what a person says."""
    if att.pattern == "document_continued" or att.verb in {"released", "releases"}:
        return True
    words = att.speaker_phrase.lower().split()
    return bool(words) and words[-1] in _DOCUMENT_NOUN_SET


def attribute_all(sentences: list[tuple[str, int]], text: str, mentions: list[Mention] | None = None
                  ) -> list[Attribution | None]:
    """:func:`attribute` for a document's sentences in order, with what one sentence says about the next.

    * "he said" / "she said" means the last speaker when nobody else it could be was named since;
    * a quotation that runs over several sentences has one speaker: a sentence inside it with no
      attribution of its own gets the speaker named anywhere in the quotation ("“First. Second,” she said.");
    * a sentence that is all quotation right after an attributed quotation continues it
      ("“First,” she said. “Second.”"), and so does a quotation of several sentences that names no one;
    * a sentence that opens inside a quotation takes the speaker named after its closing mark, not a
      "he said" the quotation reports;
    * a document's findings run on: the sentence right after "A company report showed that …" that opens
      by referring back ("Its", "They", "The company's") is still the report's.
    """
    if mentions is None:
        mentions = find_mentions(text)
    out: list[Attribution | None] = []
    previous: Attribution | None = None
    runs: list[list[int]] = []
    depth = 0
    for i, (sent, start) in enumerate(sentences):
        att = attribute(sent, start, text, mentions, previous)
        if depth == 1 and start > 0 and (att is None or att.pattern != "quote_first"):
            # the sentence opens inside a quotation: read it as if its opening mark were here
            # ("…. Fares will stay,” said Mayor Ortiz." is the end of a quotation with its speaker); the
            # speaker after the closing mark wins over a "he said" the quotation itself reports
            inside = attribute("“" + sent, start - 1, text, mentions, previous)
            if inside is not None and (att is None or inside.pattern == "quote_first"):
                att = inside
        stripped = sent.strip()
        if (att is None and previous is not None and out and out[-1] is previous
                and previous.pattern in {"quote_first", "said_end", "quote_continued"}
                and stripped[:1] in _OPEN and stripped.rstrip(".!?")[-1:] in _CLOSE
                and _quote_depth_after(stripped, 0) == 0):
            c_start, c_end = _quoted_span(sent, start)
            att = Attribution(previous.speaker, previous.speaker_phrase, previous.verb, c_start, c_end,
                              "quote_continued")
        if (att is None and previous is not None and out and out[-1] is previous and depth == 0
                and _reports_a_document(previous) and _BACK_REFERENCE.match(stripped)):
            # a document's findings run on: "A company report showed that sales grew. Its profit rose 8%."
            att = Attribution(previous.speaker, previous.speaker_phrase, previous.verb, start, start + len(sent.rstrip()),
                              "document_continued")
        if depth == 1 and runs:
            runs[-1].append(i)
        new_depth = _quote_depth_after(sent, depth)
        if depth == 0 and new_depth == 1:
            runs.append([i])
        depth = new_depth
        out.append(att)
        if att is not None:
            previous = att
    for run in runs:
        named = next((out[i] for i in run if out[i] is not None and out[i].pattern != "quote_continued"), None)
        before = out[run[0] - 1] if run[0] > 0 else None
        if (named is None and before is not None and before.pattern in {"quote_first", "said_end", "quote_continued"}
                and sentences[run[0]][0].strip()[:1] in _OPEN):
            # a quotation of several sentences, none attributed, right after an attributed one continues it
            # ("“…,” said Trevor Houser. “In the power sector we had a banner year. … flat.”")
            named = before
        if named is None:
            continue
        for i in run:
            if out[i] is None:
                sent, start = sentences[i]
                c_start, c_end = _quoted_span(sent, start)
                out[i] = Attribution(named.speaker, named.speaker_phrase, named.verb, c_start, c_end,
                                     "quote_continued")
    return out


_FIRST_PERSON = re.compile(r"\b(?:I|we|We|our|Our|us|my|My|me)\b")
_OPENING_PRONOUN = re.compile(r"(?:he|she|it|they|his|her|its|their|him|them|this|that|these|those)\b", re.I)


def proposition(standalone: str, speaker: str | None) -> str:
    """What an attributed claim asserts, without the attribution, when that stands on its own.

    >>> proposition('"Ridership doubled in 2023," said Mayor Lena Ortiz.', 'Lena Ortiz')
    'Ridership doubled in 2023.'
    >>> proposition('"We doubled ridership," said Mayor Lena Ortiz.', 'Lena Ortiz')  # needs its speaker
    '"We doubled ridership," said Mayor Lena Ortiz.'

    The whole standalone is checked, too, when what was said opens with a pronoun ("The agency, which runs
    the grid, said it acted after …": "it" may or may not be the agency) or is a quotation that continues
    the sentence ("she said she would “seek to remove …”").
    """
    if not speaker:
        return standalone
    part, _, quotation = attribution_parts(standalone, speaker)
    part = part.strip()
    if len(part.split()) < 4 or part == standalone.strip() or _FIRST_PERSON.search(part):
        return standalone
    if not quotation and _OPENING_PRONOUN.match(part):
        return standalone
    if quotation and part[:1].islower() and re.search(r"\w[\s,]*[\"“‘«]\s*" + re.escape(part.split()[0]), standalone):
        return standalone
    part = part[0].upper() + part[1:]
    return part if part[-1] in ".!?" else part + "."
