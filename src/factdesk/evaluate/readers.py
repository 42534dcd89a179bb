"""Read evaluation data sets: detect the format, map labels to factdesk's, sample.

Formats understood
------------------
**verify** (claim + gold evidence + label)

* ``jsonl`` pair-level: one ``{"claim", "evidence", "label"}`` object per line
  (FEVER, FM2, SciFact-RTE, HealthVer, sufficient-facts, the NLI sets).
  ``hypothesis``/``premise`` are accepted for ``claim``/``evidence``.
* ``jsonl`` claim-level, either ``evidence`` is a *list* of sentences, or most
  rows share an ``id`` with the same claim and label (WiCE's oracle chunks:
  one row per chunk).  Rows sharing an id become one claim with several
  evidence units.
* AVeriTeC ``json``: a list of claims with ``questions[{question, answers[{answer,
  boolean_explanation?}]}]``.  Each question with its answers becomes one
  evidence unit (``"Q? A1 A2"``) and the claim is claim-level.

**checkworthy**: a TSV (or a folder of TSVs) of sentences with a yes/no label.
With a header row (CheckThat! 2022/2024, ClaimBuster) the text column is
``Text``/``tweet_text``/``sentence`` and the label column ``class_label``/
``label``/``verdict``; without one (CheckThat! 2020 debates: ``line, speaker,
text, label``) the label is the last column and the text the one before it.

**corpus** for open evaluation: a JSONL of passages ``{"id"?, "title"?, "text"}``.

Label mapping (case and ``-``/space insensitive)
------------------------------------------------
==========================================================  =======================
source labels                                                factdesk label
==========================================================  =======================
SUPPORTS, SUPPORTED, Supported, entailment, support, true     supported
REFUTES, REFUTED, Refuted, contradiction, contradict, false   refuted
NOT ENOUGH INFO, NOT_ENOUGH_INFO, NEI, neutral,
Not Enough Evidence, not_enough_evidence                     not_enough_evidence
Conflicting Evidence/Cherrypicking, conflicting              conflicting
==========================================================  =======================

Anything else (e.g. ``not_entailment``, which merges two classes) is refused
with an :class:`~factdesk.errors.InputError` naming the value and the line.
"""

from __future__ import annotations

import csv
import json
import os
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from factdesk.jsonlines import iter_jsonl

from factdesk.errors import InputError
from factdesk.paths import DATA_ENV, data_roots
from factdesk.types import Document, Label

T = TypeVar("T")


_LABEL_MAP: dict[str, Label] = {}
for _names, _label in [
    (["supports", "supported", "support", "entailment", "entails", "entailed", "true"], Label.SUPPORTED),
    (["refutes", "refuted", "refute", "contradiction", "contradicts", "contradict", "contradicted", "false"],
     Label.REFUTED),
    (["not_enough_info", "not_enough_information", "not_enough_evidence", "nei", "neutral", "not_enough"],
     Label.NOT_ENOUGH_EVIDENCE),
    (["conflicting", "conflicting_evidence", "conflicting_evidence/cherrypicking", "cherrypicking",
      "cherry_picking"], Label.CONFLICTING),
]:
    for _n in _names:
        _LABEL_MAP[_n] = _label

NLI_LABELS = frozenset({"entailment", "neutral", "contradiction"})

_CLAIM_KEYS = ("claim", "hypothesis")
_EVIDENCE_KEYS = ("evidence", "premise", "evidences", "sentences")
_LABEL_KEYS = ("label", "gold_label", "verdict")
_ID_KEYS = ("id", "claim_id", "pairID")

_CW_TEXT_COLUMNS = ("text", "tweet_text", "sentence", "sentence_text", "claim")
_CW_LABEL_COLUMNS = ("class_label", "label", "check_worthiness", "checkworthy", "check_worthy", "verdict")
_CW_ID_COLUMNS = ("sentence_id", "tweet_id", "id", "line_number")
_CW_YES = frozenset({"yes", "y", "1", "true", "cfs", "checkworthy", "check-worthy"})
_CW_NO = frozenset({"no", "n", "0", "-1", "false", "ufs", "nfs"})


# -- data -----------------------------------------------------------------------------
@dataclass
class VerifyExample:
    """One claim with its gold evidence: one unit for pair-level data, several for claim-level."""

    claim: str
    evidence: list[str]
    label: Label
    id: str = ""
    source_label: str = ""


@dataclass
class VerifyData:
    examples: list[VerifyExample]
    # fever-jsonl (pair-level, FEVER-style labels SUPPORTS/REFUTES/NOT ENOUGH INFO: FEVER, FM2, SciFact,
    # HealthVer...) | nli-jsonl (entailment/neutral/contradiction) | jsonl (other labels) |
    # claim-level-jsonl (evidence lists) | grouped-jsonl (rows sharing ids) | averitec-json
    format: str
    level: str  # "pair" or "claim": how labels are predicted by default
    path: Path
    source_labels: dict[str, str] = field(default_factory=dict)  # source label -> factdesk label


@dataclass
class CheckworthyExample:
    text: str
    checkworthy: bool
    id: str = ""
    source: str = ""  # the file it came from (a debate, in CheckThat! 2020)


# -- paths ----------------------------------------------------------------------------
def resolve_data(path: str | os.PathLike[str]) -> Path:
    """A data file or folder: the path itself when it exists, else the name under a data root."""
    p = Path(path).expanduser()
    if p.exists():
        return p
    tried = [p]
    if not p.is_absolute():
        for root in data_roots():
            candidate = root / p
            if candidate.exists():
                return candidate
            tried.append(candidate)
    raise InputError(f"no such data file: {path}",
                     hint="looked at " + ", ".join(str(t) for t in tried)
                     + f"; give a path, or a name relative to ${DATA_ENV}")


# -- labels ---------------------------------------------------------------------------
def _norm_label(value: object) -> str:
    return str(value).strip().lower().replace(" ", "_").replace("-", "_")


def map_label(value: object, where: str = "") -> Label:
    """The factdesk label for a data set's label (see the module table); InputError if unknown."""
    key = _norm_label(value)
    if key in _LABEL_MAP:
        return _LABEL_MAP[key]
    raise InputError(f"unknown verification label {value!r}{' at ' + where if where else ''}",
                     hint="expected one of SUPPORTS/REFUTES/NOT ENOUGH INFO, entailment/neutral/contradiction, "
                          "Supported/Refuted/Not Enough Evidence/Conflicting Evidence/Cherrypicking")


# -- JSON / JSONL ---------------------------------------------------------------------
def _first_key(record: dict[str, Any], keys: Sequence[str]) -> str | None:
    return next((k for k in keys if k in record), None)


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    return iter_jsonl(path)


def _load_records(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], str]:
    """All records of a JSON array or JSONL file, with line/item numbers, and which it was."""
    if not path.is_file():
        raise InputError(f"not a file: {path}" if path.exists() else f"no such data file: {path}")
    with path.open(encoding="utf-8-sig") as fh:
        head = fh.read(4096).lstrip()
    if not head:
        raise InputError(f"{path} is empty")
    if head.startswith("["):
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path.name} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
        if not all(isinstance(x, dict) for x in data):
            raise InputError(f"{path.name}: expected a JSON array of objects")
        return list(enumerate(data, start=1)), "json"
    if head.startswith("{"):
        return list(_iter_jsonl(path)), "jsonl"
    raise InputError(f"cannot read {path.name} as verification data: it is neither JSON nor JSONL",
                     hint="expected {\"claim\", \"evidence\", \"label\"} objects, or AVeriTeC JSON")


def _evidence_units(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, dict):
                item = item.get("text") or item.get("sentence") or ""
            if isinstance(item, str) and item.strip():
                out.append(item.strip())
        return out
    return [str(value)]


def averitec_evidence(record: dict[str, Any]) -> list[str]:
    """One text per AVeriTeC question: the question followed by its answers (and boolean explanations)."""
    units = []
    for q in record.get("questions") or []:
        parts = [str(q.get("question", "")).strip()]
        for a in q.get("answers") or []:
            answer = str(a.get("answer", "")).strip()
            if answer and not answer.endswith((".", "!", "?")):
                answer += "."
            parts.append(answer)
            if a.get("boolean_explanation"):
                parts.append(str(a["boolean_explanation"]).strip())
        text = " ".join(p for p in parts if p)
        if text:
            units.append(text)
    return units


def read_verify(path: str | os.PathLike[str]) -> VerifyData:
    """Read a verification file in any supported format (see the module docstring)."""
    path = resolve_data(path)
    records, kind = _load_records(path)
    if not records:
        raise InputError(f"{path} holds no records")
    first = records[0][1]
    source_labels: dict[str, str] = {}

    if "questions" in first and _first_key(first, _LABEL_KEYS) and "claim" in first:
        examples = []
        for n, rec in records:
            raw = rec.get("label")
            label = map_label(raw, f"{path.name} item {n}")
            source_labels[str(raw)] = label.value
            examples.append(VerifyExample(str(rec.get("claim", "")).strip(), averitec_evidence(rec), label,
                                          id=str(rec.get("id", n)), source_label=str(raw)))
        return VerifyData(examples, "averitec-json", "claim", path, source_labels)

    ck, ek, lk = _first_key(first, _CLAIM_KEYS), _first_key(first, _EVIDENCE_KEYS), _first_key(first, _LABEL_KEYS)
    if not (ck and ek and lk):
        missing = [name for name, k in (("claim", ck), ("evidence", ek), ("label", lk)) if not k]
        raise InputError(
            f"unknown verification format in {path.name}: no {'/'.join(missing)} field",
            hint=f"found keys {sorted(first)}; expected claim, evidence and label "
                 "(FEVER/NLI-style JSONL) or AVeriTeC JSON with questions")
    idk = _first_key(first, _ID_KEYS)
    examples = []
    list_evidence = False
    for n, rec in records:
        if ck not in rec or lk not in rec:
            raise InputError(f"{path.name} {'line' if kind == 'jsonl' else 'item'} {n} lacks "
                             f"{ck if ck not in rec else lk!r}", hint=f"found keys {sorted(rec)}")
        raw = rec[lk]
        label = map_label(raw, f"{path.name} {'line' if kind == 'jsonl' else 'item'} {n}")
        source_labels[str(raw)] = label.value
        list_evidence |= isinstance(rec.get(ek), list)
        examples.append(VerifyExample(str(rec[ck]).strip(), _evidence_units(rec.get(ek)), label,
                                      id=str(rec[idk]) if idk and rec.get(idk) is not None else f"#{n}",
                                      source_label=str(raw)))
    if list_evidence:
        return VerifyData(examples, "claim-level-jsonl", "claim", path, source_labels)
    if idk:
        grouped = _group_by_id(examples)
        if grouped is not None:
            return VerifyData(grouped, "grouped-jsonl", "claim", path, source_labels)
    if {_norm_label(s) for s in source_labels} <= NLI_LABELS:
        fmt = "nli-jsonl"
    elif any(_norm_label(s) in {"supports", "refutes", "not_enough_info"} for s in source_labels):
        fmt = "fever-jsonl"
    else:
        fmt = "jsonl"
    return VerifyData(examples, fmt, "pair", path, source_labels)


def _group_by_id(examples: list[VerifyExample]) -> list[VerifyExample] | None:
    """Rows sharing an id → one claim-level example, when that is how most of the file is laid out.

    Grouping applies only when at least half the rows share their id with another row and every such
    group has one claim text and one label (FEVER dev repeats a few ids; that stays pair-level).
    """
    counts = Counter(e.id for e in examples)
    repeated = sum(c for c in counts.values() if c > 1)
    if repeated * 2 < len(examples):
        return None
    groups: dict[str, list[VerifyExample]] = defaultdict(list)
    for e in examples:
        groups[e.id].append(e)
    out = []
    for gid, members in groups.items():
        if len({(m.claim, m.label) for m in members}) > 1:
            return None
        units = [u for m in members for u in m.evidence]
        out.append(VerifyExample(members[0].claim, units, members[0].label, id=gid,
                                 source_label=members[0].source_label))
    return out


# -- checkworthy TSV ------------------------------------------------------------------
def _cw_label(value: str, where: str) -> bool:
    key = value.strip().lower()
    if key in _CW_YES:
        return True
    if key in _CW_NO:
        return False
    raise InputError(f"unknown check-worthiness label {value!r} at {where}",
                     hint="expected Yes/No, 1/0 (or ClaimBuster's 1/0/-1)")


def _find_column(header: list[str], names: Sequence[str]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _read_cw_file(path: Path) -> list[CheckworthyExample]:
    text = path.read_text(encoding="utf-8-sig")
    if not text.strip():
        raise InputError(f"{path} is empty")
    first_line = text.splitlines()[0].split("\t")
    has_header = (_find_column(first_line, _CW_LABEL_COLUMNS) is not None
                  and _find_column(first_line, _CW_TEXT_COLUMNS) is not None)
    if not has_header and len(first_line) < 2:
        raise InputError(f"unknown check-worthiness format in {path.name}: the first line has no tab",
                         hint="expected a TSV with a text and a Yes/No (or 1/0) label column")
    rows = list(csv.reader(text.splitlines(), delimiter="\t",
                           quoting=csv.QUOTE_MINIMAL if has_header else csv.QUOTE_NONE))
    out = []
    if has_header:
        header = rows[0]
        ti, li = _find_column(header, _CW_TEXT_COLUMNS), _find_column(header, _CW_LABEL_COLUMNS)
        ii = _find_column(header, _CW_ID_COLUMNS)
        assert ti is not None and li is not None
        body = rows[1:]
        start = 2
    else:
        ti, li, ii = -2, -1, 0
        body, start = rows, 1
    for lineno, row in enumerate(body, start=start):
        if not row or not any(c.strip() for c in row):
            continue
        need = max(ti, li, ii or 0) + 1 if has_header else 2
        if len(row) < need:
            raise InputError(f"{path.name} line {lineno} has {len(row)} column(s), expected {need}",
                             hint=f"header: {rows[0] if has_header else '(none)'}")
        ident = row[ii].strip() if ii is not None and len(row) > 2 else f"{path.stem}:{lineno}"
        out.append(CheckworthyExample(row[ti].strip(), _cw_label(row[li], f"{path.name} line {lineno}"),
                                      id=ident, source=path.name))
    return out


def read_verify_many(paths: list[Path]) -> VerifyData:
    """Several verification files read as one set (say FEVER's S/R and NEI files for a 3-label
    evaluation).  They must share a level; ids are prefixed with each file's name when there is
    more than one, so that they stay distinct."""
    if len(paths) == 1:
        return read_verify(paths[0])
    parts = [read_verify(p) for p in paths]
    levels = {vd.level for vd in parts}
    if len(levels) > 1:
        raise InputError("these data sets mix pair-level and claim-level files: " + ", ".join(str(p) for p in paths),
                         hint="evaluate them one at a time")
    examples = [replace(e, id=f"{vd.path.stem}:{e.id}") for vd in parts for e in vd.examples]
    formats = sorted({vd.format for vd in parts})
    labels: dict[str, str] = {}
    for vd in parts:
        labels.update(vd.source_labels)
    return VerifyData(examples, formats[0] if len(formats) == 1 else "+".join(formats), parts[0].level,
                      parts[0].path, labels)


def read_checkworthy(path: str | os.PathLike[str]) -> list[CheckworthyExample]:
    """Sentences and yes/no labels from a TSV, or from every ``*.tsv`` in a folder (sorted by name)."""
    path = resolve_data(path)
    files = sorted(path.glob("*.tsv")) if path.is_dir() else [path]
    if not files:
        raise InputError(f"no .tsv files in {path}")
    out: list[CheckworthyExample] = []
    for f in files:
        out += _read_cw_file(f)
    if not out:
        raise InputError(f"{path} holds no sentences")
    return out


# -- corpus JSONL ---------------------------------------------------------------------
def read_corpus_jsonl(path: str | os.PathLike[str]) -> list[tuple[str, Document]]:
    """``(given id, Document)`` per line of a passages JSONL: ``{"id"?, "title"?, "text"}``."""
    path = resolve_data(path)
    out = []
    for lineno, rec in _iter_jsonl(path):
        tk = _first_key(rec, ("text", "contents", "passage", "evidence"))
        if tk is None:
            raise InputError(f"{path.name} line {lineno} has no text field",
                             hint=f"found keys {sorted(rec)}; expected {{\"id\"?, \"title\"?, \"text\"}}")
        text = str(rec[tk]).strip()
        if not text:
            continue
        title = rec.get("title")
        doc = Document(text=text, title=str(title) if title else None, kind="text", source=path.name)
        out.append((str(rec.get("id", lineno)), doc))
    if not out:
        raise InputError(f"{path} holds no passages")
    return out


# -- sampling -------------------------------------------------------------------------
def stratified_sample(items: Sequence[T], key: Callable[[T], Hashable], n: int | None, seed: int = 0) -> list[T]:
    """A deterministic sample of ``n`` items keeping each stratum's share (largest remainder).

    Within a stratum the items are shuffled with ``random.Random(seed)``; the
    result keeps the input order.  ``n`` of None, or at least ``len(items)``,
    returns every item.
    """
    if n is None or n >= len(items):
        return list(items)
    if n <= 0:
        return []
    strata: dict[Hashable, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        strata[key(item)].append(i)
    total = len(items)
    names = sorted(strata, key=str)
    quotas = {s: n * len(strata[s]) / total for s in names}
    take = {s: int(quotas[s]) for s in names}
    left = n - sum(take.values())
    for s in sorted(names, key=lambda s: (-(quotas[s] - take[s]), -len(strata[s]), str(s)))[:left]:
        take[s] += 1
    rng = random.Random(seed)
    chosen: list[int] = []
    for s in names:
        idx = list(strata[s])
        rng.shuffle(idx)
        chosen += idx[: take[s]]
    return [items[i] for i in sorted(chosen)]
