"""Capitalised-name spotting: people, organisations and other named things.

Rule-based and deliberately small.  A *mention* is a run of capitalised words
("Mayor Lena Ortiz", "Ministry of Health", "Harbour Bridge").  Leading titles
are stripped from people ("Mayor Lena Ortiz" -> "Lena Ortiz", title "mayor"),
and a bare surname ("Ortiz") is mapped to the full name seen elsewhere in the
text, so every mention of one person carries the same canonical ``name``.

Kinds: ``person``, ``org`` (organisations, and named things such as a bridge,
a project or a place: whatever "it" or "they" may stand for).

Example::

    >>> [(m.name, m.kind) for m in find_mentions("Mayor Lena Ortiz met the Ministry of Health. Ortiz left.")]
    [('Lena Ortiz', 'person'), ('Ministry of Health', 'org'), ('Lena Ortiz', 'person')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = r"(?:(?!(?:Q&A|R&D|M&A|B&B)\b)[A-Z]{1,3}&[A-Z]{1,3}\b|(?:[A-Z]\.){2,}|(?:Dr|Mr|Mrs|Ms|Sen|Rep|Gov|Gen|Col|Lt|Capt|Sgt|Prof|Rev|St|Mt|Jr|Sr)\.|[A-Z]\.|[A-Z][a-zA-Z]*(?:[’'\-][A-Za-z]+)*|[A-Z]{2,})"
_CONNECT = r"(?:of the|for the|of|for|de|da|del|van|von|der|la|le|al|bin|&)"
_SEQ = re.compile(rf"(?<![\w’'])({_WORD}(?:[ \t]+(?:{_CONNECT}[ \t]+)?{_WORD})*)")

TITLES = {
    "mayor", "president", "vice", "prime", "minister", "senator", "sen.", "rep.", "representative",
    "congressman", "congresswoman", "governor", "gov.", "dr.", "prof.", "professor", "mr.", "mrs.", "ms.",
    "chief", "executive", "ceo", "cfo", "director", "judge", "justice", "general", "gen.", "colonel", "col.",
    "captain", "capt.", "lt.", "lieutenant", "sergeant", "sgt.", "officer", "inspector", "detective",
    "commissioner", "sheriff", "councillor", "councilor", "councilman", "councilwoman", "alderman",
    "secretary", "chancellor", "spokesperson", "spokesman", "spokeswoman", "chairman", "chairwoman", "chair",
    "king", "queen", "prince", "princess", "pope", "rev.", "reverend", "bishop", "archbishop", "coach",
    "deputy", "assistant", "associate", "acting", "former", "health", "finance", "foreign", "defence",
    "defense", "education", "transport", "interior", "economy", "environment", "state", "city", "county",
    "district", "attorney", "auditor", "treasurer", "premier", "ambassador", "mp", "lawmaker", "economist",
    "scientist", "researcher", "analyst", "founder", "owner", "editor", "columnist", "lord", "lady", "sir",
    "dame", "mx.", "st.", "mr", "mrs", "ms", "dr", "superintendent", "principal", "dean", "head", "leader", "opposition", "labour",
    "police", "fire", "energy", "housing", "trade", "agriculture", "science", "works", "public",
}
# a name whose last word (or the word before "of") is one of these names an organisation or a thing
ORG_WORDS = {
    "ministry", "department", "agency", "council", "company", "inc", "inc.", "corp", "corp.", "corporation",
    "ltd", "ltd.", "llc", "plc", "co.", "group", "university", "college", "school", "bank", "office",
    "authority", "commission", "institute", "institution", "association", "party", "committee", "board",
    "service", "services", "police", "court", "bureau", "foundation", "fund", "organization", "organisation",
    "union", "hospital", "network", "times", "news", "post", "herald", "guardian", "journal", "tribune",
    "government", "federation", "society", "trust", "center", "centre", "project", "programme", "program",
    "airlines", "airways", "motors", "energy", "systems", "technologies", "labs", "holdings", "industries",
    "pharmaceuticals", "partners", "media", "press", "club", "league", "army", "navy", "force", "forces",
    "parliament", "congress", "senate", "assembly", "cabinet", "administration", "bridge", "dam", "tower",
    "tunnel", "railway", "line", "station", "airport", "port", "stadium", "park", "museum", "library",
    "city", "county", "river", "lake", "street", "road", "avenue", "island", "valley", "bay", "mountain",
    "mount", "plant", "mine", "factory", "works", "reservoir", "canal", "highway", "motorway", "square",
    "hall", "initiative", "plan", "act", "bill", "scheme", "fire", "brigade", "corps", "mission", "cup",
    "prize", "festival", "summit", "alliance", "coalition", "movement", "campaign", "institute", "lab",
    "laboratory", "observatory", "reserve", "system", "authority", "region", "province", "state", "district",
}
ORG_COMPANY_WORDS = {
    "company", "inc", "inc.", "corp", "corp.", "corporation", "ltd", "ltd.", "llc", "plc", "co.", "group",
    "airlines", "airways", "motors", "energy", "systems", "technologies", "labs", "holdings", "industries",
    "pharmaceuticals", "partners", "media", "bank",
}
KNOWN_ORGS = {"Reuters", "Bloomberg", "Google", "Facebook", "Meta", "Apple", "Amazon", "Microsoft", "Twitter",
              "YouTube", "TikTok", "Instagram", "Tesla", "Boeing", "Airbus", "Pfizer", "Moderna", "Nato", "Unicef"}

# Capitalised words that start sentences or name times, never entities by themselves.
STOPWORDS = {
    "the", "a", "an", "in", "on", "at", "by", "for", "from", "to", "of", "and", "or", "but", "however", "if",
    "he", "she", "it", "they", "we", "i", "you", "this", "that", "these", "those", "his", "her", "their",
    "its", "our", "my", "your", "according", "after", "before", "despite", "when", "while", "since", "last",
    "next", "earlier", "later", "yesterday", "today", "tomorrow", "contrary", "meanwhile", "also", "still",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
    "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.", "sep.", "sept.", "oct.", "nov.", "dec.",
    "claim", "claims", "fact", "facts", "myth", "verdict", "reality", "truth", "false", "true", "misleading",
    "there", "here", "what", "who", "why", "how", "where", "which", "as", "with", "no", "not", "yes", "all",
    "some", "many", "most", "more", "every", "each", "both", "one", "two", "three", "about", "than", "so",
    "then", "now", "just", "only", "even", "in", "during", "under", "over", "into", "between", "among",
    "first", "second", "third", "finally", "instead", "indeed", "still", "yet", "although", "though",
    "because", "until", "unless", "whether", "do", "does", "did", "is", "was", "are", "were", "be", "been",
    "has", "have", "had", "will", "would", "can", "could", "should", "must", "might", "let", "please", "mr",
    "mrs", "ms", "dr", "note", "update", "correction", "editor", "sources", "source", "read", "share",
}
# A short list of given names: a name starting with one is a person.
FIRST_NAMES_ORDER = list(dict.fromkeys("""
james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony mark
donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary
nicholas eric jonathan stephen larry justin scott brandon benjamin samuel gregory alexander frank patrick
raymond jack dennis jerry tyler aaron jose adam nathan henry douglas zachary peter kyle noah ethan jeremy
walter christian keith roger terry austin sean gerald carl harold dylan arthur lawrence jordan jesse bryan
billy bruce gabriel joe logan albert willie alan eugene russell vincent philip bobby johnny bradley tom tim
ben sam dan mike bob bill jim tony nick alex max leo omar ali ahmed mohammed muhammad hassan ivan igor carlos
luis juan miguel pedro diego javier pablo marco luca giovanni pierre jean hans klaus lars sven rahul amit
raj arjun vikram wei li chen hiroshi kenji yuki kofi kwame
boris gareth liam oliver harry charlie freddie alfie archie oscar theo finn rory callum connor declan kieran niall
owen rhys ewan angus hamish fraser graham gordon ian neil nigel colin trevor clive derek malcolm martin simon
stuart stewart duncan alistair alastair rupert hugh giles dominic edmund julian sebastian toby tobias felix hugo
jasper rishi keir matt dave steve pete andy rob rick ricky ron don jeff greg doug ken kenny ted fred ed eddie ray
roy howard herbert leonard luke elijah lucas levi isaac caleb nathaniel glenn wayne craig shane brett todd chad
cody travis derrick marcus darren curtis victor vladimir dmitry sergei sergey alexei mikhail nikolai andrei oleg
yuri volodymyr viktor emmanuel francois francis jacques michel philippe nicolas olivier antoine laurent thierry
didier benoit jurgen wolfgang helmut olaf friedrich karl heinz dieter stefan markus matthias florian piotr tomasz
pawel andrzej mateusz giuseppe antonio francesco alessandro matteo lorenzo roberto sergio mario silvio paolo
enrico fernando manuel rafael alejandro jorge ricardo eduardo andres felipe joao mohamed mohammad abdul abdullah
ibrahim mustafa yusuf khalid hamid tariq imran narendra sanjay anil sunil vijay ravi rajesh suresh ramesh ashok
akira takeshi shinzo fumio nelson cyril thabo emeka uhuru barack mitt mitch chuck bernie beto elon sundar satya
jared vivek asa rudy newt
mary patricia jennifer linda elizabeth barbara
susan jessica sarah karen lisa nancy betty margaret sandra ashley kimberly emily donna michelle carol amanda
dorothy melissa deborah stephanie rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela
emma nicole helen samantha katherine christine debra rachel carolyn janet catherine maria heather diane ruth
julie olivia joyce virginia victoria kelly lauren christina joan evelyn judith megan andrea cheryl hannah
jacqueline martha gloria teresa ann sara madison frances kathryn janice jean abigail alice judy sophia grace
denise amber doris marilyn danielle beverly isabella theresa diana natalie brittany charlotte marie kayla
alexis lori jane lena ana sofia elena irina olga priya anika mei yuna aisha fatima amina leila nadia zara
chloe ella lucy jo kate kim eva nina rosa clara julia ines marta ingrid astrid freya zoe chris
jamie caroline liz beth katie kathy cathy jenny jess becky kamala nikki hillary marjorie ilhan rashida suella priti
giorgia melania ivanka annalena ursula kristen kirsten kristi elise monique brigitte amelia ava mia isla lily evie
holly phoebe imogen harriet georgina fiona kirsty gemma jade leanne tracey stacey claire joanne louise nicola sally
sue gillian jill maureen pauline sheila eleanor rosie anne annie jackie maggie sian niamh siobhan caitlin bridget
isabelle camille nathalie sabine katrin heike anja greta agnieszka katarzyna magdalena giulia francesca chiara
valentina alessandra carmen isabel beatriz gabriela camila natalia svetlana tatiana yulia natasha oksana keiko
akiko sunita anita kavita neha pooja sonia indira malala yasmin layla maryam mariam ngozi winnie oprah serena
simone naomi jacinda millie molly ellie poppy
""".split()))
FIRST_NAMES = set(FIRST_NAMES_ORDER)

# first names and titles that say whether "he" or "she" can refer to a person (names used for both are
# left out: "Jean", "Kim", "Jo", "Alex", "Sam" …)
_AMBIGUOUS_FIRST = {"jean", "kim", "jo", "alex", "sam", "li", "wei", "yuki", "max", "jesse", "jordan", "kelly", "chris",
                    "terry", "willie", "taylor", "morgan", "ali", "mei", "jamie", "andrea", "nicola", "simone"}
_FEMALE_FROM = "mary"  # FIRST_NAMES lists men's names first, then women's from "mary" on
MALE_TITLES = {"mr.", "mr", "sir", "lord", "king", "prince", "spokesman", "chairman", "congressman", "councilman",
               "alderman", "father", "brother"}
FEMALE_TITLES = {"mrs.", "mrs", "ms.", "ms", "miss", "dame", "lady", "queen", "princess", "spokeswoman",
                 "chairwoman", "congresswoman", "councilwoman", "sister", "mother"}


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    surface: str  # as written, title included
    name: str  # canonical: full name for a person, without title
    kind: str  # "person" | "org"
    title: str | None = None  # lower-case title words, e.g. "mayor"


def _is_sentence_start(text: str, pos: int) -> bool:
    i = pos - 1
    while i >= 0 and text[i] in " \t\"“‘'(*#>-–—•_":
        i -= 1
    return i < 0 or text[i] in ".!?:\n;"


def _classify(words: list[str], text: str, start: int, end: int) -> tuple[str, str, str | None] | None:
    """(kind, canonical name, title) for a run of capitalised words, or None when it is no entity."""
    lower = [w.lower() for w in words]
    if len(words) >= 2 and lower[0] == "the":
        words, lower = words[1:], lower[1:]
    of_index = lower.index("of") if "of" in lower else -1
    head = lower[of_index - 1] if of_index > 0 else lower[-1]
    name = " ".join(words)
    # "Acting U.S. Attorney for the District of Massachusetts Joshua Levy": a role ending in a full name
    if (len(words) >= 3 and words[-1][:1].isupper() and words[-2][:1].isupper()
            and any(w.rstrip(".") in TITLES for w in lower[:-2])
            and (lower[-2] in FIRST_NAMES
                 or re.search(rf"(?<![\w’']){re.escape(words[-1])}{_SPEECH_AFTER}", text))):
        title = " ".join(w for w in lower[:-2] if w.rstrip(".") in TITLES)
        return "person", " ".join(words[-2:]), title
    # "Elizabeth Warren of Massachusetts": a person and where they come from
    lead = 0
    while lead < len(words) - 1 and (lower[lead] in TITLES or lower[lead].rstrip(".") in TITLES):
        lead += 1
    if (of_index - lead in (2, 3) and lower[lead] in FIRST_NAMES and lower[of_index - 1] not in ORG_WORDS):
        return "person", " ".join(words[lead:of_index]), " ".join(lower[:lead]) or None
    if head in ORG_WORDS or lower[-1] in ORG_WORDS or name in KNOWN_ORGS:
        return "org", name, None
    if len(words) == 1 and words[0].isupper() and 2 <= len(words[0]) <= 6:  # NASA, WHO
        return "org", name, None
    # strip leading titles: "Health Minister Tom Banks" -> "Tom Banks"
    i = 0
    while i < len(words) - 1 and (lower[i] in TITLES or lower[i].rstrip(".") in TITLES):
        i += 1
    title = " ".join(lower[:i]) or None
    rest = words[i:]
    if any(w.lower() in {"of", "for", "of the", "for the"} for w in rest):
        return "org", " ".join(rest), None
    if title or rest[0].lower() in FIRST_NAMES:
        return "person", " ".join(rest), title
    if len(rest) >= 2:
        # a person when a speech verb or an appositive follows, or "by" precedes
        after = text[end:end + 40]
        before = text[max(0, start - 6):start]
        before_role = text[max(0, start - 30):start].lower()
        if (re.match(r"\s*(?:,\s*(?:a|an|the|who|\d)|said|says|told|wrote|claimed|argued|added|\()", after)
                or re.search(r"\bby\s+$", before) or _ROLE_BEFORE.search(before_role)):
            return "person", " ".join(rest), title
        return "org", " ".join(rest), None
    return "unknown", " ".join(rest), title


# a lower-case role just before a name says it is a person: "co-host Gayle King", "its founder, Bernice Scott"
_ROLE_BEFORE = re.compile(
    r"\b(?:co-host|host|anchor|founder|co-founder|owner|son|daughter|wife|husband|mother|father|brother|sister|"
    r"spokesperson|spokesman|spokeswoman|reporter|correspondent|director|manager|lawyer|attorney|professor|"
    r"resident|student|author|chairman|chairwoman|president|ceo|candidate|senator|congressman|congresswoman|"
    r"boyfriend|girlfriend|partner|fianc[eé]e?|friend|neighbou?r|colleague|uncle|aunt|cousin|nephew|niece|"
    r"grandson|granddaughter|grandfather|grandmother|widow|widower|boss|teacher|coach|doctor|nurse|victim|"
    r"suspect|defendant|driver|plumber|pastor|actor|actress|singer|billionaire|businessman|businesswoman)"
    r",?\s+$"
)
_ABBREVIATION = re.compile(r"\s*\(([A-Z]{2,8})\)")
_SPEECH_AFTER = r"\s+(?:said|says|told|added|wrote|explained|noted|argued|declared)\b"
# ", spokesperson for …", ", a senior fellow at …", ", the company's chief executive": a person's role
_ROLE_APPOSITION = re.compile(r",\s+(?:(?:the|a|an)\s+)?(?:[\w’'-]+\s+){0,3}?(?:spokesperson|spokesman|spokeswoman|director|"
                              r"professor|economist|scientist|researcher|fellow|founder|chairman|chairwoman|"
                              r"president|minister|secretary|senator|lawyer|attorney|analyst|executive|head)\b")


def _acronym_spans(text: str, raw: list[tuple[int, int, str, str, str, str | None]]
                   ) -> list[tuple[int, int, str, str, str, str | None]]:
    """Merge "National Oceanic and Atmospheric Administration (NOAA)" into one organisation.

    The words before a bracketed acronym whose initials spell it form one name, even across
    "and", which otherwise splits names ("Trump and Biden" stay two).
    """
    merged: set[str] = set()
    for m in _ABBREVIATION.finditer(text):
        acronym = m.group(1)
        words = list(re.finditer(r"[A-Za-z][\w’'.-]*", text[max(0, m.start() - 120):m.start()]))
        base = max(0, m.start() - 120)
        initials, first = "", None
        for w in reversed(words):
            token = w.group()
            if token.lower() in {"and", "of", "for", "the", "&"}:
                continue
            if not token[:1].isupper():
                break
            initials = token[0] + initials
            first = base + w.start()
            if len(initials) >= len(acronym):
                break
        if initials != acronym or first is None:
            continue
        end = m.start()
        while end > first and text[end - 1] in " ,":
            end -= 1
        name = text[first:end]
        if name.lower().startswith("the "):
            first, name = first + 4, name[4:]
        raw = [r for r in raw if r[1] <= first or r[0] >= end]
        raw.append((first, end, name, name, "org", None))
        merged.add(name)
    # the same name written again without its acronym is the same one organisation
    for name in merged:
        for m in re.finditer(rf"(?<![\w’']){re.escape(name)}(?![\w’'])", text):
            if not any(r[0] == m.start() and r[3] == name for r in raw):
                raw = [r for r in raw if r[1] <= m.start() or r[0] >= m.end()]
                raw.append((m.start(), m.end(), name, name, "org", None))
    return sorted(raw)


def _title_contradicts(title: str | None, full_name: str) -> bool:
    """A gendered title and a full name of the other gender: "Mr Johnson" is not "Caroline Johnson"."""
    words = set((title or "").split())
    first = full_name.split()[0].lower()
    return bool(words & MALE_TITLES and first in FEMALE_FIRST_NAMES or words & FEMALE_TITLES and first in MALE_FIRST_NAMES)


def _title_fits_first_name(title: str | None, full_name: str) -> bool:
    """True when a gendered title ("mr", "mrs") does not contradict the full name's first name; False without one."""
    return bool(set((title or "").split()) & (MALE_TITLES | FEMALE_TITLES)) and not _title_contradicts(title, full_name)


def find_mentions(text: str) -> list[Mention]:
    """Every named person/organisation mention in ``text``, in order, with canonical names."""
    raw: list[tuple[int, int, str, str, str, str | None]] = []
    mid_sentence_cache: dict[str, bool] = {}
    for m in _SEQ.finditer(text):
        tokens = [(t.start() + m.start(1), t.group()) for t in re.finditer(r"\S+", m.group(1))]
        last_start, last = tokens[-1]
        poss = re.search(r"[’']s$", last)  # possessive: "Doe's" -> "Doe"
        if poss:
            tokens[-1] = (last_start, last[: poss.start()])
        # drop leading stop words ("The", "However", "On") and trailing connectors
        while (tokens and tokens[0][1].lower().rstrip(".") in STOPWORDS
               and tokens[0][1].lower().rstrip(".") not in {"mr", "mrs", "ms", "dr"}):  # "Mr Anderson" (British: no dot)
            tokens.pop(0)
        while tokens and tokens[-1][1].lower() in {"of", "for", "de", "the", "la", "le", "al"}:
            tokens.pop()
        if not tokens or not tokens[-1][1]:
            continue
        start, end = tokens[0][0], tokens[-1][0] + len(tokens[-1][1])
        words = [t for _, t in tokens]
        surface = text[start:end]
        if len(words) == 1 and _is_sentence_start(text, start) and words[0] not in KNOWN_ORGS:
            # "Prices rose": capitalised only because it starts the sentence, unless seen capitalised mid-sentence
            word = words[0]
            if word not in mid_sentence_cache:
                mid_sentence_cache[word] = any(
                    not _is_sentence_start(text, o.start()) for o in re.finditer(rf"(?<![\w’']){re.escape(word)}\b", text)
                )
            if not mid_sentence_cache[word]:
                continue
        kind_name_title = _classify(words, text, start, end)
        if kind_name_title is None:
            continue
        kind, name, title = kind_name_title
        raw.append((start, end, surface, name, kind, title))

    raw = _acronym_spans(text, raw)
    # acronyms defined in brackets stand for the full name: "NOAA" -> "National Oceanic and ..."
    acronyms = {m.group(1): r[3] for r in raw for m in [_ABBREVIATION.match(text, r[1])]
                if m and r[4] == "org" and len(r[3].split()) >= 2}
    # a name whose surname alone is later the subject of "said" is a person ("Gayle King" … "King said"), and
    # so is one given a role in apposition ("says Tobias Judin, spokesperson for Norway's watchdog")
    speakers = {r[3] for r in raw if len(r[3].split()) == 1 and re.match(_SPEECH_AFTER, text[r[1]:r[1] + 20])}
    speakers |= {r[3].split()[-1] for r in raw if 2 <= len(r[3].split()) <= 3 and _ROLE_APPOSITION.match(text, r[1])}
    raw = [(s, e, sf, n, "person", t) if (k in {"org", "unknown"} and 2 <= len(n.split()) <= 3
                                          and n.split()[-1] in speakers and n.split()[0][:1].isupper()
                                          and n.split()[-1].lower() not in ORG_WORDS
                                          and n.split()[0].lower() not in ORG_WORDS and n not in acronyms.values())
           else (s, e, sf, n, k, t) for s, e, sf, n, k, t in raw]
    # "Tom Banks and Dale Brant": a two-word name joined to a person by "and" is a person too
    for i in range(1, len(raw)):
        prev, cur = raw[i - 1], raw[i]
        if (prev[4] == "person" and cur[4] in {"org", "unknown"} and len(cur[3].split()) == 2
                and re.fullmatch(r"\s+and\s+", text[prev[1]:cur[0]])
                and not any(w.lower() in ORG_WORDS for w in cur[3].split()) and cur[3] not in KNOWN_ORGS):
            raw[i] = (cur[0], cur[1], cur[2], cur[3], "person", cur[5])
    # surnames and other short forms -> full names
    persons = [r[3] for r in raw if r[4] == "person" and len(r[3].split()) >= 2]
    by_last: dict[str, set[str]] = {}
    for full in persons:
        by_last.setdefault(full.split()[-1], set()).add(full)
    # "convicted Hartley of Zoe's manslaughter": a known surname, then "of" and a possessive, is the person
    for i, (start, end, surface, name, kind, title) in enumerate(raw):
        head, sep, _ = surface.partition(" of ")
        if (sep and kind != "person" and " " not in head and len(by_last.get(head, ())) == 1
                and re.match(r"[’']s\b", text[end:end + 2])):
            raw[i] = (start, start + len(head), head, head, "person", None)
    orgs = {r[3] for r in raw if r[4] == "org"}
    out: list[Mention] = []
    for start, end, surface, name, kind, title in raw:
        if name in acronyms:
            name, kind = acronyms[name], "org"
        elif name in KNOWN_ORGS and len(by_last.get(name, ())) == 1:
            kind = "person"  # "Bloomberg" in an article about Michael Bloomberg
        if (kind in {"person", "unknown"} and len(name.split()) == 1 and len(by_last.get(name, ())) == 1
                and not _title_contradicts(title, next(iter(by_last[name])))
                # "Linda" is not the surname of "Mirror Linda" ("Writing in The Mirror Linda said", no comma)
                and not (name.lower() in FIRST_NAMES
                         and re.search(r"\b[Tt]he\s+" + re.escape(next(iter(by_last[name]))), text))):
            name, kind = next(iter(by_last[name])), "person"
        elif kind == "person" and len(name.split()) == 1 and len(by_last.get(name, ())) > 1:
            # two people share the surname: "Mr Anderson" is still the one who is not a woman by first name
            fits = [full for full in by_last[name] if _title_fits_first_name(title, full)]
            if title and len(fits) == 1:
                name = fits[0]
            else:
                kind = "unknown"
        if kind == "unknown":
            if name in orgs:
                kind = "org"
            elif len(name.split()) == 1 and not title:
                kind = "org" if name in KNOWN_ORGS else "unknown"
            else:
                kind = "person" if title else "org"
        if kind == "org" and name not in KNOWN_ORGS and (name.split()[-1] in GEOGRAPHIC_HEADS or name in _STATES):
            kind = "unknown"  # "the North Sea", "Hudson River", "New York": a place, which no "it" or "they" stands for
        out.append(Mention(start, end, surface, name, kind, title))
    return out


US_STATES = (
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware", "Florida",
    "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine",
    "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska",
    "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota", "Ohio",
    "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas",
    "Utah", "Vermont", "Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming",
)
# "Washington" stays: news copy uses it for the US government ("Washington said it would …")
_STATES = frozenset(US_STATES) - {"Washington"}
GEOGRAPHIC_HEADS = frozenset({
    "Sea", "Ocean", "River", "Lake", "Bay", "Gulf", "Island", "Islands", "Mountain", "Mountains", "Valley",
    "Desert", "Peninsula", "Coast", "Strait", "Canyon", "Creek", "Falls", "Glacier", "Volcano", "Basin", "Delta",
})


def name_with_and(phrase: str) -> str | None:
    """An organisation's name with "and" inside it, without its "The" ("The National Institute of Alcohol Abuse
    and Alcoholism", "Department of Health and Human Services"); None for anything else ("Tom Banks and Ann Lee")."""
    words = phrase.strip(" ,").split()
    name = words[1:] if words[:1] in (["The"], ["the"]) else words
    if (len(name) >= 3 and "and" in name and any(w.lower() in ORG_WORDS for w in name)
            and all(w[:1].isupper() or w in ("of", "for", "and", "the", "on") for w in name)):
        return " ".join(name)
    return None


def clean_speaker(phrase: str, mentions: list[Mention] | None = None, offset: int = 0) -> str | None:
    """A clean name for a speaker phrase ("Mayor Lena Ortiz" -> "Lena Ortiz").

    Uses the document's mentions (positions relative to the document, ``offset``
    is where ``phrase`` starts) when given, so surnames resolve to full names.
    Generic phrases ("the agency", "officials") come back lower-cased as written.
    """
    phrase = phrase.strip(" ,\t\n\"“”'")
    if not phrase:
        return None
    joined = name_with_and(phrase)
    if joined:
        return joined
    if mentions is not None:
        inside = [m for m in mentions if offset <= m.start and m.end <= offset + len(phrase) + 1]
        people = [m for m in inside if m.kind == "person"]
        if people:
            return people[-1].name
        orgs = [m for m in inside if m.kind in {"org", "unknown"}]
        if orgs:
            return orgs[-1].name
    found = [m for m in find_mentions(phrase)]
    people = [m for m in found if m.kind == "person"]
    if people:
        return people[-1].name
    if found:
        return found[-1].name
    words = phrase.split()
    if words[0].lower() in STOPWORDS or not words[0][:1].isupper():  # "the agency", "officials"
        return phrase[0].lower() + phrase[1:] if not phrase[:2].isupper() else phrase
    while len(words) > 1 and words[0].lower().rstrip(".") in {t.rstrip(".") for t in TITLES}:
        words = words[1:]
    return " ".join(words)


def org_is_company(name: str, text: str = "", start: int = -1) -> bool:
    words = name.lower().split()
    if words and words[-1] in ORG_COMPANY_WORDS:
        return True
    if name in KNOWN_ORGS:
        return True
    if text and start >= 0:
        near = text[max(0, start - 40): start + len(name) + 40].lower()
        return bool(re.search(r"\b(?:company|firm|maker|manufacturer|startup|start-up|retailer|operator|developer|contractor|supplier)\b", near))
    return False


PERSON_ROLE_NOUNS = {
    "mayor", "minister", "senator", "governor", "president", "spokesperson", "spokesman", "spokeswoman",
    "chief", "director", "judge", "secretary", "chancellor", "premier", "ambassador", "commissioner",
    "sheriff", "councillor", "councilor", "chairman", "chairwoman", "chair", "executive", "ceo", "founder",
    "professor", "economist", "scientist", "researcher", "lawmaker", "mp", "coach", "officer", "inspector",
    "detective", "attorney", "auditor", "treasurer", "columnist", "editor", "author", "writer", "leader",
}
COMPANY_NOUNS = {"company", "firm", "group", "maker", "manufacturer", "carmaker", "retailer", "operator",
                 "developer", "startup", "start-up", "insurer", "lender", "airline", "bank", "contractor", "supplier"}
_SENTENCE_END = re.compile(r"[.!?][\"”’')\]]*\s|\n")


def _sentence_start_before(text: str, pos: int) -> int:
    last = 0
    for m in _SENTENCE_END.finditer(text, max(0, pos - 400), pos):
        last = m.end()
    return last


def resolve_reference(
    phrase: str, pos: int, text: str, mentions: list[Mention], *, strict: bool = False, window: int = 1500
) -> str | None:
    """The entity a pronoun or a role ("she", "it", "the mayor", "the company") at ``pos`` most likely means.

    ``strict`` (for rewriting claims) gives up when the nearest sentence with a
    candidate names two different ones, or, for "they", also names a person.
    """
    p = phrase.lower().strip(" ,")
    if p.startswith(("the ", "this ", "that ")):
        p = p.split(" ", 1)[1]
    before = [m for m in mentions if m.end <= pos and pos - m.end <= window]
    if p in {"he", "she", "him", "her", "his"}:
        candidates = [m for m in before if m.kind == "person"]
        if strict:
            candidates = [m for m in candidates if pos - m.end <= 600]
    elif p in {"it", "they", "its", "their", "them"}:
        candidates = [m for m in before if m.kind == "org"]
        if strict:
            candidates = [m for m in candidates if pos - m.end <= 600]
    else:
        noun = p.split()[-1] if p.split() else ""
        if noun in PERSON_ROLE_NOUNS:
            candidates = [m for m in before if m.kind == "person" and m.title and noun in m.title.split()]
        elif noun in COMPANY_NOUNS:
            candidates = [m for m in before if m.kind == "org" and org_is_company(m.name, text, m.start)]
        else:
            candidates = [m for m in before if m.kind == "org" and noun and noun in m.name.lower().split()]
    if not candidates:
        return None
    last = candidates[-1]
    if strict:
        sent_start = _sentence_start_before(text, last.start)
        same_sentence = [m for m in before if m.start >= sent_start]
        names = {m.name for m in candidates if m.start >= sent_start}
        # "CVS" and "CVS Health" in one sentence are one organisation, named short and long
        names = {n for n in names if not any(o != n and o.startswith(n + " ") for o in names)}
        if len(names) > 1:
            return None
        if names and last.name not in names:
            return next(iter(names))
        if p in {"they", "their", "them"} and any(m.kind == "person" for m in same_sentence):
            return None
        if p in {"he", "she", "him", "her", "his"}:
            # another person named later than the antecedent but before the pronoun: ambiguous
            later_people = {m.name for m in before if m.kind == "person" and m.start > last.start}
            if later_people - {last.name}:
                return None
    return last.name


def _gendered_first_names() -> tuple[set[str], set[str]]:
    names = FIRST_NAMES_ORDER
    cut = names.index(_FEMALE_FROM)
    male = set(names[:cut]) - _AMBIGUOUS_FIRST
    female = set(names[cut:]) - _AMBIGUOUS_FIRST - male
    return male - female, female


def person_gender(mention: Mention) -> str | None:
    """"m", "f" or None (unknown) for a person mention, from its title or its first name."""
    words = set((mention.title or "").split()) | {w.lower() for w in mention.surface.split()[:1]}
    if words & MALE_TITLES:
        return "m"
    if words & FEMALE_TITLES:
        return "f"
    first = mention.name.split()[0].lower() if mention.name.split() else ""
    if first in MALE_FIRST_NAMES:
        return "m"
    if first in FEMALE_FIRST_NAMES:
        return "f"
    return None


def pronoun_gender(pronoun: str) -> str | None:
    p = pronoun.lower()
    return "m" if p in {"he", "him", "his"} else "f" if p in {"she", "her", "hers"} else None


MALE_FIRST_NAMES, FEMALE_FIRST_NAMES = _gendered_first_names()
