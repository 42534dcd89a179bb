"""The hand annotations behind benchmarks/claims_real.py (issue 12) are well formed and ours.

``data/claims-real/annotations.jsonl`` (the dev split) and ``data/claims-real/heldout.jsonl`` (the held-out
split, never to be tuned on) keep only (file, character offsets) into the third-party pages of
``real-pages`` plus our own speaker labels and standalone rewrites.  The pages are read from
``$FACTDESK_DATA/real-pages`` when FACTDESK_DATA is set, otherwise from ``../shared/data`` beside the
repository or /work/shared/data; the page-dependent tests skip when none is there.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ANNOTATIONS = ROOT / "data" / "claims-real" / "annotations.jsonl"
HELDOUT = ROOT / "data" / "claims-real" / "heldout.jsonl"
SPLITS = {"dev": (ANNOTATIONS, 12), "heldout": (HELDOUT, 10)}  # file, minimum number of pages
MIN_WORDS = 5
MAX_COPIED = 12  # a rewrite may not repeat this many consecutive words of its page


def _pages_dir() -> Path | None:
    env = os.environ.get("FACTDESK_DATA")
    roots = [Path(env).expanduser()] if env else [ROOT.parent / "shared" / "data", Path("/work/shared/data")]
    for root in roots:
        if (root / "real-pages" / "gold.jsonl").is_file():
            return root / "real-pages"
    return None


def _strip(raw: str) -> str:
    raw = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", raw, flags=re.S | re.I)
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", raw)).split())


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module", params=sorted(SPLITS))
def rows(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    path, min_pages = SPLITS[request.param]
    loaded = _load(path)
    assert len(loaded) >= min_pages, path.name
    return loaded


def test_the_heldout_split_shares_no_page_with_the_dev_split() -> None:
    dev = {r["file"] for r in _load(ANNOTATIONS)}
    held = {r["file"] for r in _load(HELDOUT)}
    assert len(held) >= SPLITS["heldout"][1]
    assert not dev & held, sorted(dev & held)


@pytest.fixture(scope="module")
def folder() -> Path:
    found = _pages_dir()
    if found is None:
        pytest.skip("real-pages is not available; set FACTDESK_DATA")
    return found


def test_every_line_loads_with_the_documented_fields(rows: list[dict[str, Any]]) -> None:
    assert len({r["file"] for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == {"file", "url", "claims", "non_claims_checked"}, r["file"]
        assert r["file"].startswith("pages/") and r["url"]
        assert isinstance(r["non_claims_checked"], int) and r["non_claims_checked"] >= 0
        assert r["claims"], r["file"]
        for c in r["claims"]:
            assert set(c) == {"start", "end", "speaker", "standalone"}
            assert isinstance(c["start"], int) and isinstance(c["end"], int) and 0 <= c["start"] < c["end"]
            assert c["speaker"] is None or (isinstance(c["speaker"], str) and c["speaker"].strip())
            assert isinstance(c["standalone"], str) and len(c["standalone"].split()) >= MIN_WORDS
        spans = sorted((c["start"], c["end"]) for c in r["claims"])
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), f"overlapping spans in {r['file']}"


def test_pages_are_text_pages_of_the_shared_set(rows: list[dict[str, Any]], folder: Path) -> None:
    gold = {}
    for line in (folder / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        g = json.loads(line)
        gold[g["file"]] = g
    for r in rows:
        assert r["file"] in gold, r["file"]
        assert gold[r["file"]]["kind"] == "text" and gold[r["file"]]["url"] == r["url"]


def test_spans_are_inside_the_page_and_strip_to_sentences(rows: list[dict[str, Any]], folder: Path) -> None:
    for r in rows:
        raw = (folder / r["file"]).read_text(encoding="utf-8", errors="replace")
        for c in r["claims"]:
            assert c["end"] <= len(raw), (r["file"], c["start"])
            sentence = _strip(raw[c["start"]:c["end"]])
            assert len(sentence.split()) >= MIN_WORDS, (r["file"], c["start"], sentence)
            assert "<" not in sentence and "{" not in sentence, (r["file"], c["start"], sentence)


def test_rewrites_are_our_own_words(rows: list[dict[str, Any]], folder: Path) -> None:
    for r in rows:
        words = _words(_strip((folder / r["file"]).read_text(encoding="utf-8", errors="replace")))
        grams = {tuple(words[i:i + MAX_COPIED]) for i in range(len(words) - MAX_COPIED + 1)}
        for c in r["claims"]:
            mine = _words(c["standalone"])
            copied = [mine[i:i + MAX_COPIED] for i in range(len(mine) - MAX_COPIED + 1)
                      if tuple(mine[i:i + MAX_COPIED]) in grams]
            assert not copied, (r["file"], c["start"], " ".join(copied[0]))


def test_rewrite_judgements_point_at_gold_spans_of_their_split() -> None:
    """Hand judgements of factdesk's rewrites: one per (page, gold span, rewrite hash), on a real gold span."""
    path = ROOT / "data" / "claims-real" / "rewrite_judgements.jsonl"
    spans = {split: {(r["file"], c["start"]) for r in _load(file) for c in r["claims"]}
             for split, (file, _) in SPLITS.items()}
    seen = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        j = json.loads(line)
        assert set(j) == {"split", "file", "gold_start", "rewrite_sha1", "right", "why"}
        assert (j["file"], j["gold_start"]) in spans[j["split"]]
        assert re.fullmatch(r"[0-9a-f]{16}", j["rewrite_sha1"]) and isinstance(j["right"], bool)
        assert (j["why"] is None) == j["right"]
        key = (j["file"], j["gold_start"], j["rewrite_sha1"])
        assert key not in seen
        seen.add(key)
