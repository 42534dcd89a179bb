"""Names for the short forms and references inside a claim, so that it can be read alone.

:func:`factdesk.claims.decontextualize.decontextualize` rewrites a pronoun or a role that *opens* a
claim ("He said …", "The company …").  A claim read alone still fails when the reference sits
further in ("… his support among the state's black voters fell …", "… the former mayor argued …")
or when a person is named by a short form the article introduced earlier ("Hartley", "Mr. Marcus",
"Zoe").  :func:`name_references` rewrites those, each at most once per claim, and only when the
article makes the referent clear:

* a surname, a titled surname or a first name that the article's mentions map to exactly one full
  name ("Mr. Marcus" → "David Marcus", "Zoe's family" → "Zoe Anderson's family");
* the first third-person pronoun ("he", "his", "him", "she", "her") that no person named earlier in
  the claim can take, resolved strictly (:func:`factdesk.text.entities.resolve_reference`: two
  candidates in the nearest sentence, or a person of the other gender named in between, and it is
  left alone);
* a definite role ("the former mayor", "the company's") that the article has attached to one
  person or organisation: a person keeps the role as a title ("former mayor Michael Bloomberg"),
  an organisation is named instead ("CVS Health's").

Nothing inside quotation marks is touched: a quotation stays the speaker's words.

Example::

    >>> from factdesk.text.entities import find_mentions
    >>> text = "David Marcus, an energy consultant, spoke. Demand fell, Mr. Marcus said."
    >>> start = text.index("Demand")
    >>> name_references(text[start:], start, text, find_mentions(text))
    'Demand fell, David Marcus said.'
"""

from __future__ import annotations

import functools
import re

from factdesk.text.entities import (
    COMPANY_NOUNS,
    PERSON_ROLE_NOUNS,
    STOPWORDS,
    US_STATES,
    Mention,
    person_gender,
    pronoun_gender,
    resolve_reference,
)

_PRONOUN = re.compile(r"\b(?:he|him|his|she|her)\b")
# what people are called in news copy besides their titles ("billionaire Michael R. Bloomberg")
DESCRIPTION_NOUNS = {
    "billionaire", "businessman", "businesswoman", "tycoon", "magnate", "candidate", "actor", "actress", "singer",
    "rapper", "footballer", "striker", "manager", "owner", "lawyer", "doctor", "pastor", "priest", "activist",
    "journalist", "reporter", "commentator", "host", "plumber", "consultant", "suspect", "defendant", "victim",
    "boss", "entrepreneur", "investor", "nominee", "incumbent", "challenger", "congressman", "congresswoman",
}
_PERSON_NOUNS = (PERSON_ROLE_NOUNS - {"chief", "executive"}) | DESCRIPTION_NOUNS
_ORG_NOUNS = (COMPANY_NOUNS - {"group", "bank"}) | {"chain", "business"}
# "the court" is the one court the article named nearby ("Bristol Crown Court")
_ORG_HEADS = {"court", "council", "agency", "department", "ministry", "commission", "committee", "board",
              "university", "hospital", "authority", "government", "union", "bureau", "institute", "foundation",
              "administration", "parliament", "senate", "tribunal", "regulator"}
_ROLE = re.compile(
    r"\b(?P<the>[Tt]he|[Tt]his|[Tt]hat)\s+(?P<mods>(?:(?:former|then|new|acting|deputy|outgoing|incoming|current|late|ex|vice)[\s-]+)*)"
    r"(?P<place>(?:[A-Z][\w.]*\s+){0,3}?)"
    rf"(?P<noun>{'|'.join(sorted(_PERSON_NOUNS | _ORG_NOUNS | _ORG_HEADS))})"
    r"(?P<poss>[’']s)?\b(?![-\w])"
)


# an office a person holds ("President Trump") keeps them from taking another ("the former mayor")
_OFFICES = PERSON_ROLE_NOUNS - {"chief", "executive", "leader", "author", "writer"}
_STATE_NAMES = re.compile(r"\b(?:" + "|".join(sorted(US_STATES, key=len, reverse=True)) + r")\b(?!\s+(?:City|Post|Times))")
# "the state" (not "the state of …", "the State Department", "the state-run …")
_THE_STATE = re.compile(r"\b(?P<the>[Tt]he)\s+state(?P<poss>[’']s)?\b(?![-\w])(?!\s+(?:of\b|[A-Z]))")
# "the grid operator" / "the salon chain's": a common noun that heads one organisation's name
_THE_NOUNS = re.compile(r"\b(?P<the>[Tt]he)\s+(?P<words>[a-z][a-z-]+(?:\s+[a-z][a-z-]+){0,2})(?P<poss>[’']s)?\b")
_GENERIC_HEADS = {
    "news", "times", "post", "media", "state", "states", "united", "national", "international", "city", "county",
    "world", "health", "people", "public", "service", "services", "system", "center", "centre", "office", "house",
    "area", "party", "home", "press", "journal", "daily", "network", "channel", "association", "online", "team",
    "club", "league", "family", "trust", "fund", "project", "program", "programme", "plan", "act", "bill", "law",
    "report", "review", "index", "market", "exchange", "street", "road", "square", "park", "building", "tower",
}
_OTHER_ONE = {"other", "another", "rival", "new", "same", "second", "first", "next", "former", "each", "every",
              "nearest", "local", "largest", "biggest", "smallest", "older", "newer", "previous", "latest"}
_CHAIN_NOUNS = {"chain", "company", "firm", "group", "brand", "business", "franchise"}
_VERB_AGREEMENT = {"have": "has", "are": "is", "were": "was", "’re": " is", "'re": " is", "’ve": " has", "'ve": " has"}


def _role_holders(text: str, mentions: list[Mention]) -> dict[str, set[str]]:
    """Role noun → the people the article gives it: by title ("Mayor Lena Ortiz"), in front of the
    name ("billionaire Michael R. Bloomberg") or in apposition ("Hartley, a gas fitter," is not a
    role noun; "Joshua Levy, the acting attorney,")."""
    out: dict[str, set[str]] = {}
    for m in mentions:
        if m.kind != "person" or len(m.name.split()) < 2:
            continue
        words = set((m.title or "").split())
        before = re.search(r"(?:^|[\s(])([a-z][a-z-]+)\s+$", text[max(0, m.start - 30):m.start])
        if before:
            words.add(before.group(1))
        after = re.match(r",\s+(?:the|a|an)\s+(?:[\w-]+\s+){0,3}?([a-z][a-z-]+)\b", text[m.end:m.end + 60])
        if after:
            words.add(after.group(1))
        for w in words & _PERSON_NOUNS:
            out.setdefault(w, set()).add(m.name)
    return out


def _sentence_before_start(text: str, pos: int) -> int:
    """Where the sentence before the one holding ``pos`` begins (within 600 characters)."""
    base = max(0, pos - 600)
    cuts = [base + m.end() for m in re.finditer(r"[.!?][\"”’)]*\s+|\n+", text[base:pos])]
    cuts = [c for c in cuts if c < pos]
    if len(cuts) >= 2:
        return cuts[-2]
    return base if base == 0 or len(cuts) == 1 and cuts[0] - base > 0 else pos


def _nearby_holder(noun: str, pos: int, text: str, mentions: list[Mention]) -> str | None:
    """The one person the sentence before ``pos`` (or this one, before it) names, when no other office of theirs
    rules out ``noun``: "… high for Joe Biden. The former vice president had a lead …" is Biden."""
    start = _sentence_before_start(text, pos)
    near = [m for m in mentions if m.kind == "person" and start <= m.start and m.end <= pos and len(m.name.split()) >= 2]
    names = {m.name for m in near}
    if len(names) != 1:
        return None
    name = next(iter(names))
    offices = {w for m in mentions if m.name == name for w in (m.title or "").split()} & _OFFICES
    if noun in _OFFICES and offices - {noun}:
        return None  # "President Trump" is not "the former mayor"
    return name


def _main_person(noun: str, mentions: list[Mention], before: int) -> str | None:
    """The person an article is about, for a former office nobody else is given ("the former mayor" in a profile
    of Michael Bloomberg): named at least four times before ``before`` and three times as often as anyone else,
    and holding no other office by title."""
    counts: dict[str, int] = {}
    for m in mentions:
        if m.kind == "person" and m.end <= before and len(m.name.split()) >= 2:
            counts[m.name] = counts.get(m.name, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < 4 or (len(ranked) > 1 and ranked[0][1] < 3 * ranked[1][1]):
        return None
    name = ranked[0][0]
    offices = {w for m in mentions if m.name == name for w in (m.title or "").split()} & _OFFICES
    return None if noun in _OFFICES and offices - {noun} else name


_AFTER_A_NOUN_PHRASE = {"is", "was", "are", "were", "has", "had", "have", "will", "would", "could", "can", "may", "might",
                        "must", "should", "did", "does", "do", "said", "says", "also", "then", "now", "still", "again",
                        "already", "later", "first", "last", "never", "not", "itself", "alone", "only", "as", "than",
                        "which", "who", "whose", "where", "because", "until", "through", "under", "over", "since",
                        "how", "what", "why", "whether"}


def _verb_or_function_word(word: str, following: str = "") -> bool:
    """Whether ``word`` after "the state" / "the salon" ends the noun phrase (a verb or a function word) rather
    than continuing it ("the state line"); a word in -s counts as a verb before a determiner ("shows the")."""
    if word in STOPWORDS or word in _AFTER_A_NOUN_PHRASE or re.fullmatch(r"[a-z]+(?:ed|ly|ing)", word):
        return True
    return bool(word.endswith("s") and following in {"the", "a", "an", "that", "its", "their", "his", "her", "no"})


# "the crash" with nothing after it that says which ("the crash in …", "the crash's …" say it already)
_THE_THING = re.compile(r"\b[Tt]he\s+(?P<noun>[a-z]{3,})\b(?![’'-])(?!\s+(?:of|in|at|near|on|off|from|that|which|who|where)\b)")
_PLACE_AFTER = re.compile(
    r"\s+(?P<place>(?:(?:being|been)\s+[a-z]+(?:ed|en)\s+(?:[a-z]+\s+){0,4})?(?:in|at|near|off|outside|on)\s+(?:the\s+)?"
    r"(?P<name>[A-Z][\w’'-]*)(?:\s+[A-Z][\w’'-]*){0,3}(?:,\s+[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*){0,2})?"
    r"(?:\s+(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))?)(?=[\s,.;:!?)]|$)")


def _introduced_at(noun: str, text: str, before: int) -> str | None:
    """Where the article placed the thing it first called "a <noun>" (before ``before``): "a crash in Osborne
    Store, Clarendon Tuesday" gives "in Osborne Store, Clarendon Tuesday" (the weekday is resolved with the
    claim's other dates); None when its first mention has no place (or names a weekday or month for one)."""
    at, place = _first_introduction(noun, text)
    return place if at < before else None


@functools.lru_cache(maxsize=128)
def _first_introduction(noun: str, text: str) -> tuple[int, str | None]:
    """(end of the article's first "a/an … <noun>", the place it gives), searched once per article and noun."""
    m = re.search(rf"\b(?:[Aa]n?)\s+(?:[a-z][\w-]*\s+){{0,2}}?{re.escape(noun)}\b", text)
    if not m:
        return len(text) + 1, None
    after = _PLACE_AFTER.match(text, m.end())
    if not after:
        return m.end(), None
    place = after.group("place")
    if after.group("name").lower() in STOPWORDS or len(place.split()) > 12:
        return m.end(), None  # "on Tuesday", "in May": a time, not a place
    return m.end(), place


@functools.lru_cache(maxsize=8)
def _state_of_article(text: str) -> str | None:
    """The US state an article is about: the one it names, or names at least twice as often as any other."""
    counts: dict[str, int] = {}
    for m in _STATE_NAMES.finditer(text):
        counts[m.group()] = counts.get(m.group(), 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    if not ranked or len(ranked) > 1 and ranked[0][1] < 2 * ranked[1][1]:
        return None
    return ranked[0][0]


def _org_heads(mentions: list[Mention], text: str) -> dict[str, set[str]]:
    """Head noun → organisations named with it: "operator" for "California Independent System Operator",
    "salon" and "spa" for "Aisha's Salon and Spa", "court" for "Constitutional Court of Turkey".  A name that
    is a whole line is a title-case headline ("Riverton Opens New Harbour Crossing"), not an organisation."""
    out: dict[str, set[str]] = {}
    for m in mentions:
        words = m.name.split()
        if m.kind != "org" or len(words) < 2:
            continue
        line_start = text.rfind("\n", 0, m.start) + 1
        line_end = text.find("\n", m.end)
        if not text[line_start:m.start].strip(" #*\t") and not text[m.end:len(text) if line_end < 0 else line_end].strip(" .\t"):
            continue
        heads = [words[-1]] + [w for w, nxt in zip(words, words[1:]) if nxt in ("and", "of", "&", "for")]
        for h in heads:
            h = h.lower()
            if h.isalpha() and len(h) >= 4 and h not in _GENERIC_HEADS and h not in STOPWORDS:
                out.setdefault(h, set()).add(m.name)
    # "CVS" and "CVS Health" are one organisation
    return {h: {n for n in names if not any(o != n and o.startswith(n + " ") for o in names)} for h, names in out.items()}


@functools.lru_cache(maxsize=8)
def _said_with_the(name: str, text: str) -> bool:
    """Whether the article writes "the <name>" ("the Wikimedia Foundation")."""
    return re.search(r"\bthe\s+" + re.escape(name), text) is not None


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.findall(r"[A-Z][\w’'&-]*", name))


def spelled_out(name: str, mentions: list[Mention], before: int | None = None) -> str | None:
    """The organisation an acronym stands for, when the article names exactly one that fits.

    "HCSO" -> "Harris County Sheriff's Office"; "California ISO" -> "California Independent System
    Operator" (the words before the acronym are shared).  ``before`` only looks at mentions ending there.
    """
    words = name.split()
    if not words or not re.fullmatch(r"[A-Z]{2,6}", words[-1]):
        return None
    head, acronym = " ".join(words[:-1]), words[-1]
    fits = set()
    for m in mentions:
        size = len(m.name.split())
        if (before is not None and m.end > before) or size < 2 or m.name == name or (m.kind != "org" and size < 3):
            continue  # (a name of three or more words spelling the acronym is the organisation, whatever its kind)
        if head:
            if m.name.startswith(head + " ") and _initials(m.name[len(head) + 1:]) == acronym:
                fits.add(m.name)
        elif _initials(m.name) == acronym:
            fits.add(m.name)
    return next(iter(fits)) if len(fits) == 1 else None


# after "her" these words show an object pronoun ("revive her and", "told her that"), not a possessive
_NOT_A_NOUN_AFTER_HER = {
    "and", "or", "but", "to", "that", "as", "in", "on", "at", "for", "with", "from", "by", "about", "of", "into",
    "after", "before", "when", "while", "because", "if", "than", "so", "the", "a", "an", "up", "down", "out",
    "off", "back", "over", "again", "too", "also", "is", "was", "were", "had", "has", "would", "will", "could",
}


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"“[^”]*”?|\"[^\"]*\"?|‘[^’]*’(?!\w)", text)]


def _inside(spans: list[tuple[int, int]], a: int, b: int) -> bool:
    return any(s <= a and b <= e for s, e in spans)


def possessive_form(name: str, mark: str = "'") -> str:
    """"Hartley" -> "Hartley's", "Davis" -> "Davis'"."""
    return name + (mark if name.endswith("s") else mark + "s")


def _first_name_index(mentions: list[Mention]) -> dict[str, str]:
    """First name → the one full person name that starts with it (names shared by two people are left out)."""
    seen: dict[str, set[str]] = {}
    surnames = set()
    for m in mentions:
        words = m.name.split()
        if m.kind == "person" and len(words) >= 2:
            seen.setdefault(words[0], set()).add(m.name)
            surnames.add(words[-1])
    return {first: next(iter(names)) for first, names in seen.items()
            if len(names) == 1 and first not in surnames and len(first) > 2}


def full_name(name: str, mentions: list[Mention]) -> str:
    """The one full name a first name stands for in this article ("Zoe" -> "Zoe Anderson"), else ``name``."""
    if " " in name:
        return name
    return _first_name_index(mentions).get(name, name)


def name_references(claim_text: str, claim_start: int, doc_text: str, mentions: list[Mention],
                    *, skip_until: int = 0, pronouns: bool = True, already: str = "", narrator: str | None = None) -> str:
    """``claim_text`` (which is ``doc_text[claim_start:…]``) with short names and references named.

    ``skip_until`` leaves the claim's first characters alone (an opening reference already rewritten);
    ``pronouns=False`` leaves pronouns alone (a quotation whose speaker the attribution stage named);
    ``already`` is text that replaces those first characters (names it gives count as given);
    ``narrator`` is the organisation an article speaks for in the first person ("we", "our"), when known.
    """
    end = claim_start + len(claim_text)
    quotes = _quoted_spans(claim_text)
    inside = [m for m in mentions if claim_start <= m.start and m.end <= end]
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), claim-relative
    named: set[str] = {m.name for m in mentions if m.name in already}  # names given in full (or to be, by the edits)
    person_edits: list[str] = []  # the people the edits name

    def free(a: int, b: int) -> bool:
        return a >= skip_until and not _inside(quotes, a, b) and not any(a < e and s < b for s, e, _ in edits)

    # 1. short forms of people named in full elsewhere: "Mr. Marcus" -> "David Marcus"
    for m in inside:
        a, b = m.start - claim_start, m.end - claim_start
        if m.kind != "person":
            continue
        if m.name in claim_text[:b] or m.name in named or m.name in already:
            named.add(m.name)
            continue
        words = m.name.split()
        surface_words = [w for w in m.surface.split() if w.lower().rstrip(".") not in {"mr", "mrs", "ms", "dr", "miss"}]
        if len(words) < 2 or len(surface_words) != 1 or surface_words[0] != words[-1]:
            named.add(m.name)
            continue
        title = (m.title or "").split()
        gender = person_gender(Mention(0, 0, words[0], m.name, "person"))
        if {"mr", "mr."} & set(title) and gender == "f" or {"mrs", "mrs.", "ms", "ms."} & set(title) and gender == "m":
            continue  # "Mr Anderson" is not Zoe Anderson: the father, not named in full
        if free(a, b):
            edits.append((a, b, m.name))
            person_edits.append(m.name)
            named.add(m.name)

    # first names alone: "Zoe had flown" -> "Zoe Anderson had flown"
    firsts = _first_name_index(mentions)
    for w in re.finditer(r"\b([A-Z][a-z]+)\b(?!\s+[A-Z])", claim_text):
        full = firsts.get(w.group(1))
        if not full or full in named or full in claim_text or full in already:
            continue
        before = claim_text[:w.start()].rstrip()
        if before.endswith(("Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Dr", "Dr.")) or re.search(r"[A-Z][a-z]*$", before):
            continue  # part of another name or a titled surname
        if free(w.start(), w.end()):
            edits.append((w.start(), w.end(), full))
            person_edits.append(full)
            named.add(full)

    # acronyms the article spells out: "HCSO said" -> "Harris County Sheriff's Office said"
    for a_m in re.finditer(r"\b[A-Z]{3,6}\b", claim_text):
        acronym = a_m.group()
        if any(m.start - claim_start <= a_m.start() < m.end - claim_start and m.name != acronym for m in inside):
            continue  # already a mention with its full name
        full = spelled_out(acronym, mentions, before=claim_start)
        if full and free(a_m.start(), a_m.end()):
            if full not in claim_text:
                edits.append((a_m.start(), a_m.end(), full))
                named.add(full)

    # 2. definite roles: "the former mayor" -> "former mayor Michael Bloomberg"
    holders = _role_holders(doc_text[:claim_start], [m for m in mentions if m.end <= claim_start])
    for r in _ROLE.finditer(claim_text):
        if not free(r.start(), r.end()):
            continue
        noun = r.group("noun")
        if r.group("place") and noun not in _PERSON_NOUNS:
            continue  # "the Boston company": a company, but which one is not said
        if noun in _PERSON_NOUNS:
            known = holders.get(noun, set())
            name = (next(iter(known)) if len(known) == 1 else
                    None if known else
                    resolve_reference("the " + noun, claim_start + r.start(), doc_text, mentions, strict=True)
                    or _nearby_holder(noun, claim_start + r.start(), doc_text, mentions)
                    or (_main_person(noun, mentions, claim_start)
                        if re.search(r"\b(?:former|ex|then)\b", r.group("mods")) else None))
        elif noun in _ORG_HEADS:
            if r.group("mods"):
                continue  # "the new council": maybe not the one named before
            name = resolve_reference("the " + noun, claim_start + r.start(), doc_text, mentions, strict=True)
        else:
            name = resolve_reference("the company", claim_start + r.start(), doc_text, mentions, strict=True)
        if not name or name in claim_text or name in named or name in already:
            continue
        mark = (r.group("poss") or "")[:1]
        if noun in _PERSON_NOUNS:
            new = f"{r.group('mods')}{r.group('place')}{noun} {name}"
            person_edits.append(name)
            if r.start() == 0 or r.group("the")[0] == "T":
                new = new[0].upper() + new[1:]
        else:
            new = name
            earlier = [m for m in mentions if m.name == name and m.end <= claim_start]
            if noun in _ORG_HEADS and earlier and re.search(r"\b[Tt]he\s+$", doc_text[max(0, earlier[-1].start - 5):earlier[-1].start]):
                new = r.group("the")[0] + "he " + name  # "the Supreme Court" keeps its article
        edits.append((r.start(), r.end(), possessive_form(new, mark) if mark else new))
        named.add(name)

    # "the state" of an article about one US state; "the grid operator", "the salon" for the one organisation
    # whose name that noun heads
    state = _state_of_article(doc_text)  # the article as a whole: its lead may come before the name
    for r in _THE_STATE.finditer(claim_text) if state and state not in claim_text else ():
        nxt = re.match(r"\s+([a-z][\w-]*)(?:\s+(\w+))?", claim_text[r.end():])
        if nxt and not r.group("poss") and not _verb_or_function_word(nxt.group(1), (nxt.group(2) or "").lower()):
            continue  # "the state line", "the state budget": a compound, not the state itself
        if free(r.start(), r.end()):
            mark = (r.group("poss") or "")[:1]
            edits.append((r.start(), r.end(), possessive_form(state, mark) if mark else state))
    heads = _org_heads([m for m in mentions if m.end <= claim_start], doc_text)
    for r in _THE_NOUNS.finditer(claim_text) if heads else ():
        words = r.group("words").split()
        at = next((i for i, w in enumerate(words) if w in heads), None)
        if at is None or set(words[:at]) & _OTHER_ONE or words[at] in _PERSON_NOUNS:
            continue
        names = heads[words[at]]
        name = next(iter(names)) if len(names) == 1 else None
        if not name or name in claim_text or name in named or name in already:
            continue
        stop = at + 1 + (at + 1 < len(words) and words[at + 1] in _CHAIN_NOUNS)
        after = words[stop + 1] if stop + 1 < len(words) else (re.match(r"\s*(\w*)", claim_text[r.end():]).group(1).lower())
        if stop < len(words) and not _verb_or_function_word(words[stop], after):
            continue  # "the salon namesake": another noun heads the phrase
        end = r.start("words") + len(" ".join(words[:stop]))
        mark = (r.group("poss") or "")[:1] if stop == len(words) else ""
        if stop == len(words) and r.group("poss"):
            end = r.end()
        if not free(r.start(), end):
            continue
        new = name
        earlier = [m for m in mentions if m.name == name and m.end <= claim_start]
        if earlier and re.search(r"\b[Tt]he\s+$", doc_text[max(0, earlier[-1].start - 5):earlier[-1].start]):
            new = r.group("the")[0] + "he " + name
        edits.append((r.start(), end, possessive_form(new, mark) if mark else new))
        named.add(name)

    # "the vessel" -> "the vessel being removed from the water in Las Croabas": a thing the article introduced
    # with "a"/"an" and a place, once per claim
    for r in _THE_THING.finditer(claim_text):
        noun = r.group("noun")
        if noun in _PERSON_NOUNS or noun in STOPWORDS or noun in _GENERIC_HEADS or not free(r.start(), r.end()):
            continue
        nxt = re.match(r"\s+([a-z][\w-]*)(?:\s+(\w+))?", claim_text[r.end():])
        if nxt and not _verb_or_function_word(nxt.group(1), (nxt.group(2) or "").lower()):
            continue  # "the vessel operator": another noun heads the phrase
        place = _introduced_at(noun, doc_text, claim_start)
        if place and place not in claim_text:
            edits.append((r.start(), r.end(), f"{r.group(0)} {place}"))
            break

    # an organisation's own first person: "We filed a petition" -> "The Wikimedia Foundation filed a petition"
    if narrator and narrator not in claim_text:
        for w in re.finditer(r"\b(?P<word>[Ww]e|[Oo]ur|us)\b(?P<verb>\s+(?:have|are|were)\b|[’'](?:re|ve)\b)?", claim_text):
            if not free(w.start(), w.end()):
                continue
            word, verb = w.group("word").lower(), w.group("verb") or ""
            if verb:
                verb = (" " if verb[0].isspace() else "") + _VERB_AGREEMENT[verb.strip()].strip()
            name = narrator
            if _said_with_the(narrator, doc_text):
                opening = not re.search(r"\w", claim_text[:w.start()]) or re.search(r"[.!?:]\s*[\"“]?\s*$", claim_text[:w.start()])
                name = ("The " if opening else "the ") + narrator
            new = possessive_form(name) if word == "our" else name
            edits.append((w.start(), w.end(), new + verb))

    # 3. the first pronoun no person named earlier in the claim can take
    people_before = [m for m in inside if m.kind == "person"]  # anywhere in the claim
    for p in _PRONOUN.finditer(claim_text) if pronouns else ():
        a, b = p.start(), p.end()
        if a < skip_until:
            continue
        word = p.group(0)
        gender = pronoun_gender(word)
        named_here = [person_gender(m) for m in people_before] + [
            person_gender(Mention(0, 0, n.split()[0], n, "person")) for n in person_edits]
        if any(g in (None, gender) for g in named_here):
            break  # the claim names someone it can stand for, before or after it ("Since he entered …, Bloomberg's …")
        words = list(re.finditer(r"[^\W\d_][\w’'-]*", claim_text[:a]))
        if words and (words[0].group().lower() in STOPWORDS or re.search(r"(?:ing|ly|ed)$", words[0].group())
                      or re.search(rf"(?<![\w’']){re.escape(words[0].group().lower())}\b", doc_text)):
            words = words[1:]  # "But", "Explaining": capitalised only because the sentence starts there
        if any(w.group()[0].isupper() for w in words):
            break  # a capitalised word before it may be a name the mentions missed ("Velázquez changed her …")
        if not free(a, b):
            break
        name = resolve_reference(word, claim_start + a, doc_text, [
            x for x in mentions if x.kind != "person" or person_gender(x) in (None, gender)], strict=True)
        if not name or name in claim_text or name in named or name in already:
            break
        if word in ("his",):
            new = possessive_form(name)
        elif word == "her":
            nxt = re.match(r"\s+([a-z][\w-]*)", claim_text[b:])
            new = possessive_form(name) if nxt and nxt.group(1) not in _NOT_A_NOUN_AFTER_HER else name
        else:
            new = name
        edits.append((a, b, new))
        break

    if not edits:
        return claim_text
    out = claim_text
    for a, b, new in sorted(edits, reverse=True):
        out = out[:a] + new + out[b:]
    return out


__all__ = ["full_name", "name_references", "possessive_form", "spelled_out"]
