"""Checks on the hand-written CT2021 claim variants (data/claim-matching/ct2021-hand-variants.jsonl).

The file stores only edits (offsets into a CheckThat! 2021 Task 2A verified claim plus our own
replacement text), so the source claims are needed to check it.  They are read from
``$FACTDESK_DATA/claim-retrieval-ct2021-2a-en`` when FACTDESK_DATA is set, otherwise from
``../shared/data`` beside the repository or /work/shared/data; the tests skip when none is there.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from factdesk.match.hardneg import apply_edits, load_variants

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ROOT / "data" / "claim-matching" / "ct2021-hand-variants.jsonl"
CT2021 = "claim-retrieval-ct2021-2a-en"
CLAIMS_FILE = "CT2021-Task2A-EN-Verified_Claims.txt"

HARD_KINDS = {"negation", "number", "year", "date", "place", "actor", "antonym", "role_swap", "quantifier", "scope"}
# minimum count per group of kinds (hard negatives), as asked for when the file was written
MINIMUMS = {("negation",): 8, ("number", "year", "date"): 8, ("place", "actor"): 8, ("antonym",): 8}
MIN_HARD, MIN_PARAPHRASE, MIN_TOTAL, MIN_SOURCES = 60, 20, 70, 40
MAX_SHARED_WORDS = 8  # a replacement may not share this many consecutive words with its source claim


def _ct2021_dir() -> Path | None:
    env = os.environ.get("FACTDESK_DATA")
    roots = [Path(env).expanduser()] if env else [ROOT.parent / "shared" / "data", Path("/work/shared/data")]
    for root in roots:
        if (root / CT2021 / CLAIMS_FILE).is_file():
            return root / CT2021
    return None


@pytest.fixture(scope="module")
def claims() -> dict[str, str]:
    folder = _ct2021_dir()
    if folder is None:
        pytest.skip(f"CheckThat! 2021 Task 2A data ({CT2021}) is not available; set FACTDESK_DATA")
    with (folder / CLAIMS_FILE).open(encoding="utf-8", newline="") as fh:
        return {row["vclaim_id"]: row["vclaim"] for row in csv.DictReader(fh, delimiter="\t")}


@pytest.fixture(scope="module")
def lines() -> list[dict]:
    return [json.loads(line) for line in VARIANTS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+(?:['’]\w+)*", text.lower())


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_every_line_loads_and_changes_its_source(claims, lines):
    variants = load_variants(VARIANTS, claims)
    assert len(variants) == len(lines) >= MIN_TOTAL
    for n, (obj, v) in enumerate(zip(lines, variants), 1):
        assert set(obj) == {"source", "kind", "edits", "same_claim"}, f"line {n}: unexpected keys"
        assert obj["edits"], f"line {n}: no edits"
        assert v.text == apply_edits(claims[obj["source"]], obj["edits"])
        assert v.text != claims[v.source], f"line {n}: the variant is the source claim"
        assert v.text.strip(), f"line {n}: empty variant"
        assert v.origin == "hand"


def test_kinds_and_labels(lines):
    for n, obj in enumerate(lines, 1):
        if obj["kind"] == "paraphrase":
            assert obj["same_claim"] is True, f"line {n}: a paraphrase must have same_claim true"
        else:
            assert obj["kind"] in HARD_KINDS, f"line {n}: unknown kind {obj['kind']!r}"
            assert obj["same_claim"] is False, f"line {n}: a hard negative must have same_claim false"
    kinds = Counter(obj["kind"] for obj in lines)
    for group, minimum in MINIMUMS.items():
        assert sum(kinds[k] for k in group) >= minimum, f"too few {'/'.join(group)} variants: {kinds}"
    assert sum(not obj["same_claim"] for obj in lines) >= MIN_HARD
    assert kinds["paraphrase"] >= MIN_PARAPHRASE
    assert len({obj["source"] for obj in lines}) >= MIN_SOURCES


def test_no_duplicate_variants(claims, lines):
    seen = set()
    for obj in lines:
        key = (obj["source"], apply_edits(claims[obj["source"]], obj["edits"]))
        assert key not in seen, f"duplicate variant of {obj['source']}"
        seen.add(key)


def test_replacements_are_our_own_words(claims, lines):
    """No replacement text repeats a long run of its source claim: the file holds offsets and our words only."""
    for n, obj in enumerate(lines, 1):
        source = _ngrams(_words(claims[obj["source"]]), MAX_SHARED_WORDS)
        for _start, _end, rep in obj["edits"]:
            shared = _ngrams(_words(rep), MAX_SHARED_WORDS) & source
            assert not shared, f"line {n}: replacement repeats source words {' '.join(next(iter(shared)))!r}"
        raw = json.dumps(obj, ensure_ascii=False)
        assert claims[obj["source"]] not in raw, f"line {n}: holds the source claim"


def test_offsets_point_inside_the_claim(claims, lines):
    for n, obj in enumerate(lines, 1):
        text = claims[obj["source"]]
        spans = sorted((s, e) for s, e, _ in obj["edits"])
        for (s, e), nxt in zip(spans, spans[1:] + [(len(text) + 1, len(text) + 1)]):
            assert 0 <= s <= e <= len(text) and e <= nxt[0], f"line {n}: bad or overlapping edit [{s}, {e}]"
