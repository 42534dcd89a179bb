"""Synthetic hard cases made from supported (claim, evidence) pairs.

Each generator takes a claim that the evidence supports and returns a changed
claim that the same evidence now refutes (a different number or year, an
inserted negation, an antonym), or ``None`` when the claim offers no handle.
:func:`quick_task` builds a tiny self-contained three-way task for tests.
"""

from __future__ import annotations

import random
import re

from factdesk.text.words import ANTONYMS

_YEAR_OR_NUM = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w])")
_NEG_AUX = re.compile(r"\b(is|was|are|were|has|have|had|can|could|will|would|does|did)\b(?! not\b| never\b)")
_ANT = {}
for _a, _b in ANTONYMS:
    if " " not in _a:
        _ANT.setdefault(_a, _b)
        _ANT.setdefault(_b, _a)


def swap_number(claim: str, rng: random.Random) -> str | None:
    matches = list(_YEAR_OR_NUM.finditer(claim))
    if not matches:
        return None
    m = rng.choice(matches)
    raw = m.group(1)
    value = int(raw.replace(",", ""))
    if 1800 <= value <= 2100 and "," not in raw:
        new = value + rng.choice([-1, 1]) * rng.randint(1, 12)
    elif value < 10:
        new = rng.choice([x for x in range(0, 13) if x != value])
    else:
        factor = rng.choice([0.5, 0.7, 1.3, 1.5, 2, 3])
        new = max(1, int(round(value * factor)))
        if new == value:
            new = value + 1
    text = f"{new:,}" if "," in raw else str(new)
    return claim[: m.start(1)] + text + claim[m.end(1):]


def insert_negation(claim: str, rng: random.Random) -> str | None:
    matches = list(_NEG_AUX.finditer(claim))
    if matches:
        m = matches[0]
        return claim[: m.end()] + " not" + claim[m.end():]
    # "X directed Y" -> "X never directed Y" (a past-tense verb after the subject)
    m = re.search(r"\b([a-z]+ed)\b", claim)
    if m:
        return claim[: m.start()] + "never " + claim[m.start():]
    return None


def swap_antonym(claim: str, rng: random.Random) -> str | None:
    words = list(re.finditer(r"[A-Za-z]+", claim))
    cands = [w for w in words if w.group(0).lower() in _ANT]
    if not cands:
        return None
    w = rng.choice(cands)
    new = _ANT[w.group(0).lower()]
    if w.group(0)[0].isupper():
        new = new.capitalize()
    return claim[: w.start()] + new + claim[w.end():]


MUTATIONS = {"number_swap": swap_number, "negation": insert_negation, "antonym": swap_antonym}

# -- a tiny self-contained task for --quick and the tests ------------------------------
_PEOPLE = ["Anna Berg", "Tomas Lind", "Maria Costa", "John Okafor", "Li Wei", "Sara Novak", "Omar Haddad",
           "Eva Larsen", "Paul Kim", "Rosa Diaz", "Ivan Petrov", "Nina Sato"]
_PLACES = ["Oslo", "Lagos", "Lima", "Hanoi", "Dublin", "Quito", "Perth", "Tunis", "Riga", "Porto", "Cork", "Graz"]
_ROLES = ["mayor", "director", "coach", "editor", "chairman", "ambassador"]
_THINGS = ["the bridge", "the museum", "the stadium", "the library", "the airport", "the hospital", "the tower"]
_UNRELATED = ["Heavy rain is expected across the region on Tuesday, the weather service said.",
              "The recipe calls for two cups of flour and a pinch of salt.",
              "Migratory birds return to the wetlands every spring.",
              "The chess tournament drew players from twenty countries.",
              "Volcanic soil is rich in minerals that help crops grow.",
              "The orchestra rehearsed the symphony for three weeks."]


def quick_task(n: int = 600, seed: int = 0) -> list[tuple[str, str, str]]:
    """``n`` (claim, passage, label) triples: supports, refutes by mutation, neutral by mismatch."""
    rng = random.Random(seed)
    out: list[tuple[str, str, str]] = []
    while len(out) < n:
        person, place, role, thing = (rng.choice(_PEOPLE), rng.choice(_PLACES), rng.choice(_ROLES),
                                      rng.choice(_THINGS))
        year = rng.randint(1950, 2020)
        passage = (f"{person} was the {role} of {place}. In {year}, {person} opened {thing} "
                   f"in {place} after a long debate.")
        claim = rng.choice([f"{person} opened {thing} in {place} in {year}.",
                            f"In {year}, {thing} in {place} was opened by {person}.",
                            f"{person} was the {role} of {place}."])
        kind = rng.randrange(3)
        if kind == 0:
            out.append((claim, passage, "supports"))
        elif kind == 1:
            mut = rng.choice([swap_number, insert_negation])
            changed = mut(claim, rng) or insert_negation(claim, rng)
            if changed is None or changed == claim:
                continue
            out.append((changed, passage, "refutes"))
        else:
            out.append((claim, rng.choice(_UNRELATED), "neutral"))
    return out
