"""Training pairs for the cross-encoder verifier: FEVER + synthetic hard cases + a little NLI.

Everything is read from the shared data folder (``FACTDESK_DATA`` or
``../shared/data``), never copied into the repository.  Labels are the stance
names ``supports`` / ``refutes`` / ``neutral``.

Mix for ``n`` pairs (:func:`build_mix`; counts are capped by what exists):

====================================================  ========  =========
source                                                 share     label
====================================================  ========  =========
FEVER train SUPPORTS, gold evidence                    27 %      supports
FEVER train REFUTES, gold evidence                     27 %      refutes
FEVER train NOT_ENOUGH_INFO, retrieved evidence        22 %      neutral
synthetic: FEVER supports claim with a number/year
  swapped, negation inserted/removed, antonym swapped  11 %      refutes
synthetic: FEVER claim + another claim's evidence       5 %      neutral
SciFact-RTE train (all 564)                            ~1.5 %    supports/refutes
CAD-SNLI train (entail/contradict/neutral)             ~6.5 %    all three
====================================================  ========  =========

AVeriTeC, HealthVer and CheckThat! are evaluation-only and never read here.
FEVER dev is never read here either.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from factdesk.text.sentences import split_sentences
from factdesk.paths import shared_data_dir
from factdesk.verify.focus import focus_terms

Pair = tuple[str, str, str]  # claim, evidence, stance label

FEVER_LABELS = {"SUPPORTS": "supports", "REFUTES": "refutes", "NOT_ENOUGH_INFO": "neutral"}
NLI_LABELS = {"entailment": "supports", "contradiction": "refutes", "neutral": "neutral",
              "SUPPORTS": "supports", "REFUTES": "refutes"}


def data_root() -> Path:
    env = shared_data_dir()
    if env is not None:
        return env
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent.parent / "shared" / "data"
        if cand.is_dir():
            return cand
    return Path("../shared/data")


def read_jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                yield json.loads(line)


# -- synthetic perturbations ----------------------------------------------------------
ANTONYM_PAIRS = [
    ("won", "lost"), ("win", "lose"), ("wins", "loses"), ("before", "after"), ("first", "last"),
    ("increased", "decreased"), ("rose", "fell"), ("higher", "lower"), ("larger", "smaller"),
    ("largest", "smallest"), ("more", "fewer"), ("older", "younger"), ("oldest", "youngest"),
    ("born", "died"), ("male", "female"), ("north", "south"), ("east", "west"), ("northern", "southern"),
    ("eastern", "western"), ("married", "divorced"), ("started", "ended"), ("began", "ended"),
    ("opened", "closed"), ("approved", "rejected"), ("accepted", "declined"), ("success", "failure"),
    ("successful", "unsuccessful"), ("popular", "unpopular"), ("alive", "dead"), ("public", "private"),
    ("American", "British"), ("English", "French"), ("actor", "actress"), ("best", "worst"),
    ("positive", "negative"), ("only", "never"), ("always", "never"), ("entire", "partial"),
    ("legal", "illegal"), ("released", "unreleased"), ("fiction", "nonfiction"), ("comedy", "drama"),
]
_ANT: dict[str, str] = {}
for _a, _b in ANTONYM_PAIRS:
    _ANT.setdefault(_a, _b)
    _ANT.setdefault(_b, _a)
_ANT_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in _ANT) + r")\b")
_AUX_RE = re.compile(r"\b(is|was|are|were|has|have|had|can|could|will|would|did|does)\b(?! not\b)")
_NOT_RE = re.compile(r"\b(is|was|are|were|has|have|had|can|could|will|would|did|does) not\b|\b(\w+)n't\b")
_NUM_RE = re.compile(r"\b\d{1,4}(?:,\d{3})*(?:\.\d+)?\b")
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_MONTH_RE = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b")


def _swap_number(claim: str, rng: random.Random) -> str | None:
    nums = list(_NUM_RE.finditer(claim))
    if not nums:
        return None
    m = rng.choice(nums)
    raw = m.group(0)
    try:
        val = float(raw.replace(",", ""))
    except ValueError:
        return None
    if raw.isdigit() and len(raw) == 4 and 1000 <= val <= 2100:  # a year
        new = str(int(val) + rng.choice([-11, -7, -3, -2, -1, 1, 2, 3, 5, 10]))
    elif val < 10 and raw.isdigit():
        new = str(int(val) + rng.choice([1, 2, 3]))
    else:
        factor = rng.choice([0.5, 0.7, 1.5, 2, 3])
        new = f"{val * factor:,.0f}" if "," in raw else str(int(val * factor) if raw.isdigit() else round(val * factor, 1))
    if new == raw:
        return None
    return claim[: m.start()] + new + claim[m.end():]


def _swap_month(claim: str, rng: random.Random) -> str | None:
    m = _MONTH_RE.search(claim)
    if not m:
        return None
    other = rng.choice([x for x in _MONTHS if x != m.group(1)])
    return claim[: m.start()] + other + claim[m.end():]


def _negate(claim: str, rng: random.Random) -> str | None:
    m = _NOT_RE.search(claim)
    if m:  # remove an existing negation
        if m.group(1):
            return claim[: m.start()] + m.group(1) + claim[m.end():]
        return None
    hits = list(_AUX_RE.finditer(claim))
    if not hits:
        return None
    m = hits[0]
    return claim[: m.end()] + " not" + claim[m.end():]


def _antonym(claim: str, rng: random.Random) -> str | None:
    hits = list(_ANT_RE.finditer(claim))
    if not hits:
        return None
    m = rng.choice(hits)
    return claim[: m.start()] + _ANT[m.group(1)] + claim[m.end():]


PERTURBATIONS = {"number": _swap_number, "month": _swap_month, "negation": _negate, "antonym": _antonym}


def perturb(claim: str, rng: random.Random) -> tuple[str, str] | None:
    """A refuted variant of a supported claim and the rule used, or None when none applies."""
    kinds = list(PERTURBATIONS)
    rng.shuffle(kinds)
    # prefer the sharp ones (numbers, antonyms) when they apply
    kinds.sort(key=lambda k: {"number": 0, "month": 0, "antonym": 1, "negation": 2}[k] + rng.random())
    for kind in kinds:
        out = PERTURBATIONS[kind](claim, rng)
        if out and out != claim:
            return out, kind
    return None


def _fever_sourced(tagged: list[tuple[Pair, str]]) -> list[int]:
    """Positions of the FEVER-derived pairs (real or synthetic) in a tagged mix."""
    return [i for i, (_, src) in enumerate(tagged) if src.startswith(("fever_", "synth_"))]


def word_coverage(claim: str, evidence: str) -> float:
    """Share of the claim's words (three letters or more, and numbers) found in the evidence."""
    want = focus_terms(claim)
    return len(want & focus_terms(evidence)) / len(want) if want else 1.0


def drop_key_sentence(claim: str, evidence: str) -> str | None:
    """The evidence without the sentence that settles the claim: related text that no longer
    decides it (a "neutral" pair of the kind the verifier most often over-reads).

    Applies when the evidence has two or more sentences, one of them shares clearly more words
    with the claim than every other, and what is left still shares a word with the claim but
    none of its numbers.  Returns None otherwise (so as not to make a pair that still decides).
    """
    sentences = [s.text for s in split_sentences(evidence)]
    if len(sentences) < 2:
        return None
    want = focus_terms(claim)
    overlap = [len(want & focus_terms(t)) for t in sentences]
    key = max(range(len(sentences)), key=lambda i: overlap[i])
    rest_overlap = max(o for i, o in enumerate(overlap) if i != key)
    if overlap[key] < 2 or rest_overlap < 1 or rest_overlap * 2 > overlap[key]:
        return None
    rest = " ".join(t for i, t in enumerate(sentences) if i != key)
    numbers = {w for w in want if w.isdigit()}
    if numbers & focus_terms(rest):
        return None
    return rest


class DistractorIndex:
    """The sentences of FEVER train evidence, searchable by a claim's words weighted by rarity.

    :meth:`find` returns, for a claim, the sentence most like it that is not one of the claim's
    own evidence sentences: what a search engine puts before the verifier in the open setting —
    the same name or topic, usually another person of that name or another fact — which does not
    settle the claim.  The verifier's commonest error there is to read such a sentence as a
    contradiction ("Thomas Jacob 'Jack' Black (born 1969)" against "Shane Black was born in
    1961").  Words in more than ``max_df_share`` of the sentences are not indexed.
    """

    def __init__(self, evidences: Iterable[str], max_df_share: float = 0.02):
        seen: dict[str, None] = {}
        for ev in evidences:
            for sent in split_sentences(ev):
                text = sent.text.strip()
                if len(text) >= 20:
                    seen.setdefault(text, None)
        self.texts = list(seen)
        postings: dict[str, list[int]] = defaultdict(list)
        for i, text in enumerate(self.texts):
            for w in focus_terms(text):
                postings[w].append(i)
        n = len(self.texts)
        cap = max(1, int(max_df_share * n))
        self.postings = {w: ids for w, ids in postings.items() if len(ids) <= cap}
        self.idf = {w: math.log((1 + n) / (1 + len(ids))) + 1.0 for w, ids in self.postings.items()}

    def find(self, claim: str, own_evidence: str, candidates: int = 10) -> str | None:
        """The best-scoring sentence that is not in ``own_evidence``, shares at most 3/4 of the
        claim's words and none of its numbers (so that it cannot settle the claim by them); None
        when no indexed word of the claim is rare enough."""
        want = focus_terms(claim)
        scores: dict[int, float] = defaultdict(float)
        for w in want:
            for i in self.postings.get(w, ()):
                scores[i] += self.idf[w]
        if not scores:
            return None
        own = {s.text.strip() for s in split_sentences(own_evidence)}
        numbers = {w for w in want if w.isdigit()}
        for i in sorted(scores, key=lambda k: (-scores[k], k))[:candidates]:
            text = self.texts[i]
            terms = focus_terms(text)
            if text in own or numbers & terms or len(want & terms) > 0.75 * len(want):
                continue
            return text
        return None


# -- the mix --------------------------------------------------------------------------
def _sample(rows: list, k: int, rng: random.Random) -> list:
    return rows if k >= len(rows) else rng.sample(rows, k)


_QA_TEMPLATES = ("Is it true that {c}? {e}", "Did it happen that {c}? {e}", "Question: is it so that {c}? Answer: {e}")


def as_question_answer(claim: str, evidence: str, rng: random.Random) -> str:
    """Evidence in the shape of a fact-checker's question and its answer (as AVeriTeC's evidence is).

    The question restates the claim whatever the label, so the model learns that the question
    is no evidence and only the answer decides.
    """
    c = claim.strip().rstrip(".!?")  # the tokenizer is uncased: no need to lower "The"
    return rng.choice(_QA_TEMPLATES).format(c=c, e=evidence.strip())


def build_mix(n: int, seed: int = 13, root: Path | None = None, holdout: int = 1000, nli_share: float = 0.0,
              qa_share: float = 0.0, drop_share: float = 0.0, paraphrase_share: float = 0.0,
              distractor_share: float = 0.0) -> tuple[list[Pair], list[Pair], dict]:
    """``(train, calibration, summary)``: ``n`` training pairs and a disjoint held-out slice.

    ``nli_share`` > 0 adds that share of general NLI pairs (MultiNLI via TaxiNLI,
    all of it first, then e-SNLI dev/test) to make the model less Wikipedia-bound.
    ``qa_share`` > 0 rewrites that share of the FEVER-sourced training pairs (labels unchanged)
    into question-and-answer evidence (:func:`as_question_answer`).
    ``drop_share`` > 0 replaces that share of the FEVER-sourced training pairs by "neutral" pairs
    whose evidence lost the sentence that settled the claim (:func:`drop_key_sentence`), made
    from SUPPORTS and REFUTES rows not otherwise in the mix.
    ``paraphrase_share`` > 0 replaces that share by SUPPORTS and REFUTES pairs whose evidence
    shares at most half of the claim's words (:func:`word_coverage`), also from unused rows:
    evidence that settles a claim in other words, so that "few shared words" is not read as
    "neutral".
    ``distractor_share`` > 0 replaces that share by "neutral" pairs of an unused SUPPORTS or
    REFUTES claim and the FEVER train sentence most like it outside its own evidence
    (:class:`DistractorIndex`): related text about another entity or fact, as retrieval finds it.

    The held-out slice (FEVER train claims not trained on, same mix) is for the
    temperature fit and the fp32/int8 agreement check.
    """
    root = root or data_root()
    rng = random.Random(seed)
    fever = list(read_jsonl(root / "fever" / "train.jsonl"))
    sup = [r for r in fever if r["label"] == "SUPPORTS" and r.get("evidence")]
    ref = [r for r in fever if r["label"] == "REFUTES" and r.get("evidence")]
    nei = [r for r in read_jsonl(root / "fever" / "train_nei_retrieved.jsonl") if r.get("evidence")]
    for rows in (sup, ref, nei):
        rng.shuffle(rows)

    total = n + holdout
    shares = {"fever_supports": 0.27, "fever_refutes": 0.27, "fever_nei": 0.22, "synth_refutes": 0.11,
              "synth_unrelated": 0.05}
    want = {k: int(round(v * total)) for k, v in shares.items()}
    # supports rows feed both the supports pairs and the synthetic refutes: keep them disjoint
    sup_pairs = sup[: want["fever_supports"]]
    sup_pool = sup[want["fever_supports"]:]
    pairs: list[tuple[Pair, str]] = []
    pairs += [((r["claim"], r["evidence"], "supports"), "fever_supports") for r in sup_pairs]
    pairs += [((r["claim"], r["evidence"], "refutes"), "fever_refutes") for r in ref[: want["fever_refutes"]]]
    pairs += [((r["claim"], r["evidence"], "neutral"), "fever_nei") for r in nei[: want["fever_nei"]]]
    kinds: dict[str, int] = {}
    made = 0
    for r in sup_pool:
        if made >= want["synth_refutes"]:
            break
        got = perturb(r["claim"], rng)
        if got is None:
            continue
        claim, kind = got
        kinds[kind] = kinds.get(kind, 0) + 1
        pairs.append(((claim, r["evidence"], "refutes"), "synth_refutes"))
        made += 1
    # unrelated evidence: another claim's evidence (from a different FEVER claim at random)
    pool = sup_pool[-20000:] + ref[-5000:]
    for _ in range(want["synth_unrelated"]):
        a, b = rng.sample(pool, 2)
        pairs.append(((a["claim"], b["evidence"], "neutral"), "synth_unrelated"))

    rng.shuffle(pairs)
    calib = [p for p, _ in pairs[:holdout]]
    train_tagged = pairs[holdout:]

    extra: list[tuple[Pair, str]] = []
    sci = root / "scifact-rte" / "train.jsonl"
    if sci.is_file():
        extra += [((r["claim"], r["evidence"], NLI_LABELS[r["label"]]), "scifact") for r in read_jsonl(sci)
                  if r.get("label") in NLI_LABELS]
    cad = root / "cad-snli" / "all_combined_train.jsonl"
    if cad.is_file():
        rows = [r for r in read_jsonl(cad) if r.get("label") in NLI_LABELS]
        k = int(round(0.065 * n))
        extra += [((r["claim"], r["evidence"], NLI_LABELS[r["label"]]), "cad_snli") for r in _sample(rows, k, rng)]
    if nli_share > 0:
        k = int(round(nli_share * n))
        mnli = [r for r in read_jsonl(root / "mnli-taxinli" / "all.jsonl") if r.get("label") in NLI_LABELS] \
            if (root / "mnli-taxinli" / "all.jsonl").is_file() else []
        got = _sample(mnli, k, rng)
        extra += [((r["claim"], r["evidence"], NLI_LABELS[r["label"]]), "mnli") for r in got]
        esnli: list[dict] = []
        for name in ("dev.jsonl", "test.jsonl"):
            if (root / "esnli" / name).is_file():
                esnli += [r for r in read_jsonl(root / "esnli" / name) if r.get("label") in NLI_LABELS]
        extra += [((r["claim"], r["evidence"], NLI_LABELS[r["label"]]), "esnli")
                  for r in _sample(esnli, max(0, k - len(got)), rng)]
    # keep n in total: drop FEVER-sourced rows to make room for the extras
    room = max(0, n - len(extra))
    train_tagged = train_tagged[:room] + extra
    if qa_share > 0:
        fever_idx = _fever_sourced(train_tagged)
        for i in rng.sample(fever_idx, min(len(fever_idx), int(round(qa_share * n)))):
            (claim, evidence, label), src = train_tagged[i]
            train_tagged[i] = ((claim, as_question_answer(claim, evidence, rng), label), src + "_qa")
    if drop_share > 0 or paraphrase_share > 0 or distractor_share > 0:
        used = {c for (c, _, _), _ in train_tagged} | {c for c, _, _ in calib}
        spare = [r for r in sup[want["fever_supports"]:] + ref[want["fever_refutes"]:] if r["claim"] not in used]
        rng.shuffle(spare)
        made: list[tuple[Pair, str]] = []
        k_drop, k_para = int(round(drop_share * n)), int(round(paraphrase_share * n))
        k_dis = int(round(distractor_share * n))
        index = DistractorIndex(r["evidence"] for r in sup + ref) if k_dis else None
        n_drop = n_para = n_dis = 0
        for r in spare:
            if n_drop >= k_drop and n_para >= k_para and n_dis >= k_dis:
                break
            if index is not None and n_dis < k_dis and n_dis * (k_drop + k_para) <= (n_drop + n_para) * k_dis:
                other = index.find(r["claim"], r["evidence"])
                if other:
                    made.append(((r["claim"], other, "neutral"), "synth_distractor"))
                    n_dis += 1
                    continue
            if n_para < k_para and word_coverage(r["claim"], r["evidence"]) <= 0.5:
                made.append(((r["claim"], r["evidence"], FEVER_LABELS[r["label"]]), "fever_paraphrase"))
                n_para += 1
                continue
            rest = drop_key_sentence(r["claim"], r["evidence"]) if n_drop < k_drop else None
            if rest:
                made.append(((r["claim"], rest, "neutral"), "synth_dropped"))
                n_drop += 1
        fever_idx = _fever_sourced(train_tagged)
        for i, pair in zip(rng.sample(fever_idx, min(len(fever_idx), len(made))), made):
            train_tagged[i] = pair
    rng.shuffle(train_tagged)
    train = [p for p, _ in train_tagged]

    counts: dict[str, int] = {}
    labels: dict[str, int] = {}
    for (_, _, lab), src in train_tagged:
        counts[src] = counts.get(src, 0) + 1
        labels[lab] = labels.get(lab, 0) + 1
    summary = {"n_train": len(train), "n_calibration": len(calib), "sources": counts, "labels": labels,
               "synthetic_refutes_by_rule": kinds, "seed": seed}
    return train, calib, summary


# -- the --quick toy data -------------------------------------------------------------
_NAMES = ["Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "June"]
_TOWNS = ["Oslo", "Lima", "Pune", "Kiev", "Bonn", "Nice", "Cork", "Graz"]
_THINGS = ["bridge", "library", "stadium", "museum", "tunnel", "school"]


def quick_pairs(n: int = 200, seed: int = 0) -> list[Pair]:
    """Tiny templated pairs for the test path: same facts (supports), changed year/negation (refutes), unrelated (neutral)."""
    rng = random.Random(seed)
    out: list[Pair] = []
    for i in range(n):
        who, town, thing = rng.choice(_NAMES), rng.choice(_TOWNS), rng.choice(_THINGS)
        year = rng.randint(1950, 2020)
        evidence = f"The {thing} in {town} was opened by {who} in {year}."
        kind = i % 3
        if kind == 0:
            claim, lab = f"{who} opened the {thing} in {town} in {year}.", "supports"
        elif kind == 1:
            claim, lab = f"{who} opened the {thing} in {town} in {year + rng.randint(1, 9)}.", "refutes"
        else:
            other = rng.choice([t for t in _TOWNS if t != town])
            claim, lab = f"The mayor of {other} likes {rng.choice(_THINGS)}s.", "neutral"
        out.append((claim, evidence, lab))
    return out
