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

import re

from factdesk.text.entities import (
    COMPANY_NOUNS,
    PERSON_ROLE_NOUNS,
    STOPWORDS,
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
                    *, skip_until: int = 0, pronouns: bool = True, already: str = "") -> str:
    """``claim_text`` (which is ``doc_text[claim_start:…]``) with short names and references named.

    ``skip_until`` leaves the claim's first characters alone (an opening reference already rewritten);
    ``pronouns=False`` leaves pronouns alone (a quotation whose speaker the attribution stage named);
    ``already`` is text that replaces those first characters (names it gives count as given).
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
                    resolve_reference("the " + noun, claim_start + r.start(), doc_text, mentions, strict=True))
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
