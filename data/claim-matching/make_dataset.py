"""Generate the factdesk claim-matching evaluation set (deterministic; see README.md).

    python data/claim-matching/make_dataset.py            # writes reviews.jsonld, dev.jsonl, test.jsonl

Everything here (templates, names, places, numbers) was written for this file;
the people, towns, companies and products are invented (a few real city and
country names are used as places).  Nothing is copied from any data set.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

SEED = 20240611
HERE = Path(__file__).resolve().parent

PEOPLE = """Marta Kowal|Daniel Okafor|Ines Varga|Tomas Lindqvist|Priya Ramanathan|Owen Achterberg|Lucia Ferrante|
Kofi Mensah|Hannah Strand|Ravi Deshpande|Elena Sorokina|Jonas Brekke|Amara Nwosu|Felix Duarte|Sofia Marchetti|
Viktor Hale|Nadia Benali|Carlos Ibarra|Greta Holm|Samuel Adeyemi|Yuki Tanabe|Leonie Graf|Mateo Quiroga|
Aisha Karimi|Bruno Castell|Freya Lund|Ivan Petrov|Chloe Bernard|Rashid Haddad|Mira Jovanovic|Oscar Whitlow|
Paula Esposito|Henrik Dahl|Zainab Olatunji|Lorenzo Bassi|Agnes Fischer|Diego Salcedo|Ingrid Moe|Malik Farouk|
Rosa Villanueva|Pieter Janssen|Leila Nazari|Edgar Pommier|Selma Aydin|Cormac Doyle|Vera Novak|Anton Kessler|
Beatrix Lowe|Gideon Asante|Linnea Berg""".replace("\n", "").split("|")
PLACES = """Brackenford|Lowmere|Caston Vale|Redhaven|Milbridge|Ostrava Falls|Kelderwick|Ashgrove|Thornbury Bay|
Pellston|Dunmore|Harwick|Sablon|Quarry Hill|Eastwater|Fennick|Glenrock|Marisport|Nettlebed|Orlick|Paris|Rome|Lisbon|
Nairobi|Lima|Oslo|Krakow|Porto|Accra|Valencia|Hamburg|Seville|Lyon|Bergen|Tbilisi|Cork|Split|Antwerp|Turin|
Montevideo""".replace("\n", "").split("|")
COUNTRIES = """Norland|Estavia|Corrinth|Valdoria|Mirenia|Portugal|Kenya|Peru|Norway|Ghana|Chile|Ireland|Greece|
Belgium|Uruguay|Georgia|Croatia|Austria""".replace("\n", "").split("|")
COMPANIES = """Zentrix|Halvard Foods|Brightmoor Telecom|Ostwind Motors|Pellucid Pharma|Corvane Airlines|
Mistral Bank|Quillon Retail|Tessaro Energy|Lumenfield|Arkwright Steel|Nova Dairy""".replace("\n", "").split("|")
PRODUCTS = ["Zestra energy drink", "Crunchos cereal", "Velvo toothpaste", "Puremist baby wipes",
            "Glowberry yoghurt", "Fizzle cola", "Nimbus face cream", "Sunrise instant noodles",
            "Kora sparkling water", "Tundra ice cream"]
SUBSTANCES = ["mercury", "microplastics", "lead", "formaldehyde", "pork gelatin", "arsenic", "rat poison",
              "industrial bleach", "silicone", "opium extract"]
DISEASES = ["diabetes", "asthma", "malaria", "measles", "arthritis", "migraines", "kidney stones",
            "high blood pressure", "tuberculosis", "insomnia"]
REMEDIES = ["lemon water", "garlic tea", "turmeric milk", "baking soda", "ginger juice", "onion syrup",
            "apple cider vinegar", "cinnamon water", "raw honey", "coconut oil"]
EVENTS = ["Olympic Games", "World Cup final", "Eurovision Song Contest", "G20 summit", "World Expo",
          "Commonwealth Games", "Climate Summit", "Jazz World Festival"]
ANIMALS = ["dolphins", "wild boars", "deer", "flamingos", "brown bears", "wolves", "foxes", "sea lions"]
ROLES = ["mayor", "health minister", "finance minister", "party leader", "police chief", "central bank governor"]
BILLS = ["Clean Water Bill", "Housing Reform Bill", "Digital Privacy Act", "Pension Reform Bill",
         "Farm Subsidy Act", "Rent Control Bill", "Border Security Act", "Public Broadcasting Act"]
ITEMS = ["plastic bags", "petrol cars", "energy drinks", "fireworks", "cash payments", "short-term rentals",
         "facial recognition cameras", "disposable vapes"]
PUBLISHERS = [("FactLens", "factlens.example"), ("Verity Desk", "veritydesk.example"),
              ("CheckPoint Daily", "checkpoint-daily.example"), ("Claimwatch", "claimwatch.example"),
              ("The Sift", "thesift.example"), ("Truthmeter", "truthmeter.example")]
RATINGS = ["False", "False", "False", "Mostly false", "Misleading", "Unproven", "True", "Mostly true",
           "Half true", "Miscaptioned"]

TABLES = {"person": PEOPLE, "person2": PEOPLE, "place": PLACES, "country": COUNTRIES, "company": COMPANIES,
          "product": PRODUCTS, "substance": SUBSTANCES, "disease": DISEASES, "remedy": REMEDIES,
          "event": EVENTS, "animal": ANIMALS, "role": ROLES, "bill": BILLS, "item": ITEMS}


def num_value(slot: str, rng: random.Random) -> int | float:
    if slot == "year":
        return rng.randint(2004, 2024)
    if slot == "pct":
        return rng.choice(range(5, 96))
    if slot == "count":
        return rng.choice([rng.randint(12, 99), rng.randint(100, 999), rng.randint(1000, 9000)])
    if slot == "millions":
        return rng.choice([1.2, 2.5, 3, 4.8, 6, 7.5, 12, 15, 18, 25, 40, 60, 85, 120, 250, 480])
    if slot == "age":
        return rng.randint(62, 72)
    raise KeyError(slot)


NUMERIC = {"year", "pct", "count", "millions", "age"}
ENTITY = {"person", "person2", "place", "country", "company"}

# Each family: the record's claim, meaning-preserving query forms (paraphrases / reorderings), partial
# restatements (they keep every slot in `vary`), negated query forms, and the slots a hard negative changes.
F = [
    dict(rec="Drinking {remedy} every morning cures {disease}.",
         para=["You can get rid of {disease} by having {remedy} each morning.",
               "A morning glass of {remedy} is a cure for {disease}, a viral post says.",
               "{Remedy} taken daily before breakfast heals {disease}."],
         part=["{Remedy} cures {disease}."],
         neg=["Drinking {remedy} every morning does not cure {disease}.",
              "{Remedy} taken each morning will never cure {disease}."],
         vary=["remedy", "disease"]),
    dict(rec="{Product} contains {substance}.",
         para=["There is {substance} in {product}.", "{substance_cap} has been found in {product}, posts claim.",
               "Tests show {product} is made with {substance}."],
         part=["{Product} has {substance} in it."],
         neg=["{Product} does not contain {substance}.", "There is no {substance} in {product}."],
         vary=["product", "substance"]),
    dict(rec="{person} was really born in {place} in {country}.",
         para=["{person}'s real birthplace is {place}, {country}.",
               "Despite official records, {person} was actually born in the town of {place} in {country}."],
         part=["{person} was born in {place}."],
         neg=["{person} was not born in {place} in {country}."],
         vary=["person", "place"]),
    dict(rec="{place} will host the {event} in {year}.",
         para=["The {event} of {year} is going to be held in {place}.",
               "In {year} the {event} comes to {place}.",
               "{place} has been picked as the host city of the {year} {event}."],
         part=["{place} is hosting the {year} {event}."],
         neg=["{place} will not host the {event} in {year}.", "The {year} {event} will not be held in {place}."],
         vary=["place", "year"]),
    dict(rec="{person} voted for the {bill} in {year}.",
         para=["In {year}, {person} cast a vote in favour of the {bill}.",
               "{person} supported the {bill} when it came to a vote in {year}."],
         part=["{person} backed the {bill} in a {year} vote."],
         neg=["{person} did not vote for the {bill} in {year}.", "{person} voted against the {bill} in {year}."],
         vary=["person", "year"]),
    dict(rec="The city council of {place} approved a {pct}% tax on {item}.",
         para=["{place} councillors have voted through a {pct} percent levy on {item}.",
               "A {pct} per cent tax on {item} was approved by {place}'s city council.",
               "{item_cap} will now be taxed at {pct}% in {place} after a council vote."],
         part=["{place} approved a {pct}% tax on {item}."],
         neg=["The city council of {place} rejected a {pct}% tax on {item}."],
         vary=["place", "pct"]),
    dict(rec="{company} is closing all of its stores in {country} by {year}.",
         para=["By {year}, every {company} store in {country} will have shut down.",
               "{company} plans to shut all its {country} shops before the end of {year}."],
         part=["{company} is closing every store it has in {country}."],
         neg=["{company} is not closing its stores in {country} by {year}."],
         vary=["company", "country"]),
    dict(rec="{person} was arrested in {place} for smuggling {substance}.",
         para=["Police in {place} detained {person} on charges of smuggling {substance}.",
               "{person} has been taken into custody in {place}, accused of trafficking {substance}."],
         part=["{person} was arrested for smuggling {substance}."],
         neg=["{person} was not arrested in {place} for smuggling {substance}."],
         vary=["person", "place"]),
    dict(rec="Crime in {place} rose by {pct}% in {year}.",
         para=["In {year}, {place} saw a {pct} percent increase in crime.",
               "The crime rate of {place} went up {pct} per cent in {year}.",
               "Offences recorded in {place} climbed {pct}% during {year}."],
         part=["Crime in {place} rose {pct}%."],
         neg=["Crime in {place} fell by {pct}% in {year}."],
         vary=["pct", "year", "place"]),
    dict(rec="{person} earns ${millions} million a year as {role} of {country}.",
         para=["As {role} of {country}, {person} takes home {millions} million dollars annually.",
               "{person}'s yearly salary as {country}'s {role} is ${millions} million."],
         part=["{person} is paid ${millions} million a year."],
         neg=[],
         vary=["millions", "person"]),
    dict(rec="The {place} bridge collapsed in {year}, killing {count} people.",
         para=["{count} people died when the bridge in {place} fell down in {year}.",
               "In {year} a bridge collapse in {place} left {count} dead."],
         part=["{count} people were killed when the {place} bridge collapsed."],
         neg=[],
         vary=["count", "place", "year"]),
    dict(rec="{country} has banned the sale of {item}.",
         para=["Selling {item} is now illegal in {country}.", "{item_cap} can no longer be sold in {country}.",
               "A new law in {country} prohibits the sale of {item}."],
         part=["{country} banned {item}."],
         neg=["{country} has not banned the sale of {item}.", "Selling {item} is still legal in {country}."],
         vary=["country", "item"]),
    dict(rec="A photo shows {person} meeting {person2} in {place}.",
         para=["This picture captures {person} and {person2} meeting in {place}.",
               "{person} met {person2} in {place}, as an image shows."],
         part=["A photo shows {person} with {person2}."],
         neg=["{person} never met {person2} in {place}."],
         vary=["person2", "place"]),
    dict(rec="{person} resigned as {role} of {country} in {year}.",
         para=["In {year}, {person} stepped down from the post of {role} of {country}.",
               "{person} quit being {country}'s {role} in {year}."],
         part=["{person} resigned as {role}."],
         neg=["{person} did not resign as {role} of {country} in {year}."],
         vary=["person", "year"]),
    dict(rec="{pct}% of schools in {place} closed because of {disease}.",
         para=["{disease_cap} forced {pct} percent of {place}'s schools to shut.",
               "An outbreak of {disease} shut {pct} per cent of the schools in {place}."],
         part=["{pct}% of {place} schools were closed."],
         neg=["No schools in {place} closed because of {disease}."],
         vary=["pct", "place"]),
    dict(rec="A {company} study found that eating {remedy} causes {disease}.",
         para=["According to research by {company}, {remedy} consumption leads to {disease}.",
               "{company} scientists say {remedy} gives people {disease}."],
         part=["{Remedy} causes {disease}, says a study."],
         neg=["A {company} study found that eating {remedy} does not cause {disease}."],
         vary=["remedy", "disease"]),
    dict(rec="The government of {country} spent ${millions} million on {event} preparations in {year}.",
         para=["In {year}, {country} poured {millions} million dollars into getting ready for the {event}.",
               "{country}'s government paid ${millions} million in {year} to prepare for the {event}."],
         part=["{country} spent ${millions} million on the {event}."],
         neg=[],
         vary=["millions", "country"]),
    dict(rec="{person} said {place} has the lowest crime rate in {country}.",
         para=["According to {person}, no city in {country} has less crime than {place}.",
               "{place} is the safest city in {country}, {person} claimed."],
         part=["{place} has the lowest crime rate in {country}."],
         neg=["{person} said {place} does not have the lowest crime rate in {country}."],
         vary=["place", "country"]),
    dict(rec="Teachers in {country} earn an average of ${count} a month.",
         para=["The average monthly pay of a teacher in {country} is ${count}.",
               "A {country} schoolteacher makes ${count} per month on average."],
         part=["Teachers in {country} make ${count} a month."],
         neg=[],
         vary=["count", "country"]),
    dict(rec="{person} owns a mansion worth ${millions} million in {place}.",
         para=["{person} has a ${millions} million mansion in {place}.",
               "A {place} mansion valued at {millions} million dollars belongs to {person}."],
         part=["{person} owns a ${millions} million home."],
         neg=["{person} does not own a mansion in {place}."],
         vary=["millions", "place"]),
    dict(rec="The population of {place} grew to {count} thousand in {year}.",
         para=["In {year}, {place} reached a population of {count} thousand people.",
               "{place} had {count} thousand inhabitants by {year}."],
         part=["{place} has {count} thousand residents."],
         neg=[],
         vary=["count", "year"]),
    dict(rec="{company} will pay every customer ${count} in compensation after a data breach.",
         para=["After a data leak, {company} is giving each of its customers ${count} as compensation.",
               "Every {company} customer gets ${count} in damages for the hack of its data."],
         part=["{company} is paying customers ${count} each."],
         neg=["{company} will not pay customers any compensation after the data breach."],
         vary=["count", "company"]),
    dict(rec="Wild {animal} were seen walking the streets of {place} during the lockdown.",
         para=["During lockdown, {animal} roamed the empty streets of {place}.",
               "A video shows {animal} wandering through {place} while people stayed home."],
         part=["{animal_cap} were spotted in {place}."],
         neg=["No {animal} were seen in the streets of {place} during the lockdown."],
         vary=["animal", "place"]),
    dict(rec="Health officials confirmed {count} cases of {disease} in {place} in {year}.",
         para=["In {year}, {place} recorded {count} confirmed {disease} cases, officials say.",
               "There were {count} {disease} infections in {place} in {year}, health authorities confirmed."],
         part=["{place} had {count} cases of {disease}."],
         neg=["Health officials confirmed no cases of {disease} in {place} in {year}."],
         vary=["count", "disease", "year"]),
    dict(rec="{person} plans to raise the retirement age in {country} to {age}.",
         para=["{person} wants people in {country} to work until they are {age}.",
               "Under {person}'s plan, {country}'s pension age would go up to {age}."],
         part=["{person} wants a retirement age of {age}."],
         neg=["{person} does not plan to raise the retirement age in {country}."],
         vary=["age", "person"]),
    dict(rec="Tap water in {place} contains dangerous levels of {substance}.",
         para=["The drinking water from taps in {place} is contaminated with {substance}.",
               "Dangerous amounts of {substance} have been found in {place}'s tap water."],
         part=["{place} tap water has {substance} in it."],
         neg=["Tap water in {place} does not contain dangerous levels of {substance}."],
         vary=["place", "substance"]),
    dict(rec="{person} won the {year} election in {country} with {pct}% of the vote.",
         para=["With {pct} percent of ballots, {person} was elected in {country} in {year}.",
               "{person} took {pct}% of the vote to win {country}'s {year} election."],
         part=["{person} won with {pct}% of the vote."],
         neg=["{person} lost the {year} election in {country} with {pct}% of the vote."],
         vary=["pct", "year", "person"]),
    dict(rec="{company} cut {count} jobs in {place} in {year}.",
         para=["In {year}, {company} eliminated {count} positions in {place}.",
               "{count} workers lost their jobs at {company} in {place} in {year}."],
         part=["{company} laid off {count} people in {place}."],
         neg=["{company} did not cut any jobs in {place} in {year}."],
         vary=["count", "place"]),
    dict(rec="{place} made public transport free for all residents in {year}.",
         para=["Since {year}, buses and trams in {place} cost residents nothing.",
               "In {year}, {place} scrapped fares on public transport for everyone who lives there."],
         part=["Public transport in {place} is free."],
         neg=["{place} did not make public transport free in {year}."],
         vary=["place", "year"]),
    dict(rec="{person} admitted that the {bill} will cost taxpayers ${millions} million.",
         para=["The {bill} will cost taxpayers {millions} million dollars, {person} conceded.",
               "According to {person}, taxpayers will pay ${millions} million for the {bill}."],
         part=["The {bill} will cost ${millions} million."],
         neg=["{person} denied that the {bill} will cost taxpayers ${millions} million."],
         vary=["millions", "bill"]),
]


def fill(template: str, slots: dict[str, object]) -> str:
    def rep(m: re.Match) -> str:
        key = m.group(1)
        if key.endswith("_cap"):
            v = str(slots[key[:-4]])
            return v[:1].upper() + v[1:]
        if key[:1].isupper() and key.lower() in slots:
            v = str(slots[key.lower()])
            return v[:1].upper() + v[1:]
        v = slots[key]
        if isinstance(v, float):
            return f"{v:g}"
        if isinstance(v, int) and key == "count" and v >= 1000 and "$" not in template:
            return f"{v:,}"
        return str(v)

    return re.sub(r"\{(\w+)\}", rep, template)


def slot_names(fam: dict) -> list[str]:
    names: set[str] = set()
    for t in [fam["rec"]] + fam["para"] + fam["part"] + fam["neg"]:
        for k in re.findall(r"\{(\w+)\}", t):
            names.add(k[:-4] if k.endswith("_cap") else k.lower())
    return sorted(names)


def draw(fam: dict, rng: random.Random) -> dict[str, object]:
    slots: dict[str, object] = {}
    for s in slot_names(fam):
        slots[s] = num_value(s, rng) if s in NUMERIC else rng.choice(TABLES[s])
    if "person2" in slots:
        while slots["person2"] == slots["person"]:
            slots["person2"] = rng.choice(PEOPLE)
    return slots


def change(slots: dict[str, object], slot: str, rng: random.Random) -> dict[str, object]:
    new = dict(slots)
    while new[slot] == slots[slot] or (slot.startswith("person") and new.get("person") == new.get("person2")):
        new[slot] = num_value(slot, rng) if slot in NUMERIC else rng.choice(TABLES[slot])
    return new


def partial_key(fi: int, fam: dict, slots: dict[str, object]) -> tuple:
    names = set()
    for t in fam["part"]:
        for k in re.findall(r"\{(\w+)\}", t):
            names.add(k[:-4] if k.endswith("_cap") else k.lower())
    return (fi, tuple(sorted((k, str(slots[k])) for k in names)))


class Pool:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.records: list[dict] = []
        self.by_text: dict[str, str] = {}

    def add(self, claim: str) -> str:
        key = claim.lower()
        if key in self.by_text:
            return self.by_text[key]
        pub, site = self.rng.choice(PUBLISHERS)
        n = len(self.records)
        slug = re.sub(r"[^a-z0-9]+", "-", claim.lower()).strip("-")[:60]
        url = f"https://{site}/fact-check/{slug}-{n:05d}"
        year = self.rng.randint(2018, 2024)
        rec = {"@type": "ClaimReview", "url": url, "claimReviewed": claim,
               "datePublished": f"{year}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}",
               "author": {"@type": "Organization", "name": pub, "url": f"https://{site}/"},
               "reviewRating": {"@type": "Rating", "alternateName": self.rng.choice(RATINGS)},
               "itemReviewed": {"@type": "Claim", "author": {"@type": "Person",
                                                             "name": self.rng.choice(PEOPLE)}},
               "inLanguage": "en"}
        self.records.append(rec)
        self.by_text[key] = url
        return url


def main() -> None:
    rng = random.Random(SEED)
    pool = Pool(rng)
    queries: dict[str, list[dict]] = {"dev": [], "test": []}
    used_keys: set[tuple] = set()
    partial_keys: set[tuple] = set()
    per_family_targets = 8
    qn = 0
    for fi, fam in enumerate(F):
        split = "dev" if fi % 2 == 0 else "test"
        for t in range(per_family_targets):
            slots = draw(fam, rng)
            key = (fi, tuple(sorted((k, str(v)) for k, v in slots.items())))
            if key in used_keys:
                continue
            used_keys.add(key)
            target = pool.add(fill(fam["rec"], slots))
            partial_keys.add(partial_key(fi, fam, slots))
            # siblings: the same claim with one varied slot changed (strong distractors in the pool)
            siblings = []
            sib_slots = []
            for s in rng.sample(fam["vary"], k=min(2, len(fam["vary"]))):
                ss = change(slots, s, rng)
                used_keys.add((fi, tuple(sorted((k, str(v)) for k, v in ss.items()))))
                siblings.append(pool.add(fill(fam["rec"], ss)))
                sib_slots.append((s, ss))

            def q(text: str, kind: str, relevant: list[str], not_relevant: list[str]) -> None:
                nonlocal qn
                qn += 1
                queries[split].append({"id": f"q{qn:04d}", "query": text, "relevant": relevant,
                                       "not_relevant": not_relevant, "type": kind, "family": fi})

            # positives: a paraphrase, sometimes a second one or a partial restatement
            paras = rng.sample(fam["para"], k=min(2 if t % 2 == 0 else 1, len(fam["para"])))
            for p in paras:
                q(fill(p, slots), "paraphrase", [target], siblings)
            if t % 2 == 1:
                # a sibling whose changed slot the partial restatement leaves out matches it as well
                part = rng.choice(fam["part"])
                kept = {k[:-4] if k.endswith("_cap") else k.lower() for k in re.findall(r"\{(\w+)\}", part)}
                also = [u for u, (s, _) in zip(siblings, sib_slots) if s not in kept]
                q(fill(part, slots), "partial", [target] + also, [u for u in siblings if u not in also])
            # hard negatives, rotating through negation / changed number / changed entity
            kinds = []
            if fam["neg"]:
                kinds.append("negation")
            nums = [s for s in fam["vary"] if s in NUMERIC]
            ents = [s for s in fam["vary"] if s not in NUMERIC]
            if nums:
                kinds.append("changed_number")
            if ents:
                kinds.append("changed_entity")
            kind = kinds[t % len(kinds)]
            forms = fam["para"] + [fam["rec"]]
            if kind == "negation":
                q(fill(rng.choice(fam["neg"]), slots), "negation", [], [target])
            else:
                choices = nums if kind == "changed_number" else ents
                slot = rng.choice(choices)
                # half the time the changed value is a sibling that IS in the pool: then it is the right match
                same = [(s, ss) for s, ss in sib_slots if s == slot]
                if same and t % 4 < 2:
                    ss = same[0][1]
                    sib_url = siblings[sib_slots.index(same[0])]
                    q(fill(rng.choice(forms), ss), kind + "_in_pool", [sib_url],
                      [target] + [u for u in siblings if u != sib_url])
                else:
                    ss = change(slots, slot, rng)
                    while any(ss == x for _, x in sib_slots):
                        ss = change(slots, slot, rng)
                    used_keys.add((fi, tuple(sorted((k, str(v)) for k, v in ss.items()))))
                    q(fill(rng.choice(forms), ss), kind, [], [target] + siblings)
    # distractors: random fills of every family, never equal to a claim a query is about
    while len(pool.records) < 2400:
        fi = rng.randrange(len(F))
        slots = draw(F[fi], rng)
        key = (fi, tuple(sorted((k, str(v)) for k, v in slots.items())))
        # a distractor never restates a query's claim: not the same slots, nor the same slots of a
        # partial restatement (which leaves some slots out)
        if key in used_keys or partial_key(fi, F[fi], slots) in partial_keys:
            continue
        used_keys.add(key)
        pool.add(fill(F[fi]["rec"], slots))
    rng.shuffle(pool.records)
    doc = {"@context": "https://schema.org", "@graph": pool.records}
    (HERE / "reviews.jsonld").write_text(json.dumps(doc, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    for split, rows in queries.items():
        with (HERE / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    kinds: dict[str, dict[str, int]] = {}
    for split, rows in queries.items():
        for r in rows:
            kinds.setdefault(split, {}).setdefault(r["type"], 0)
            kinds[split][r["type"]] += 1
    print(f"records: {len(pool.records)}; queries: " + ", ".join(f"{s} {len(r)}" for s, r in queries.items()))
    print(json.dumps(kinds, indent=1))


if __name__ == "__main__":
    main()
