"""Hostile inputs through check, index and reviews import (issue 17): a report or a clear refusal, never a
traceback; bounded time; the store intact and earlier work unchanged.  benchmarks/fuzz.py runs the same
generators by the thousand."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from factdesk.errors import FactdeskError
from factdesk.match.importer import import_reviews
from factdesk.pipeline import Pipeline
from factdesk.settings import Settings
from factdesk.store import Store
from factdesk.testing.hostile import ARTICLE_GENERATORS, REVIEW_GENERATORS, article_inputs, review_inputs

PER_INPUT_SECONDS = 30  # generous for a loaded CI machine; typical inputs take well under 3 s


@pytest.fixture(scope="module")
def pipe(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("fuzz") / "fd.db"
    with Store.open(path) as store:
        pipeline = Pipeline(store, Settings(verifier="baseline", checkworthiness="heuristic"))
        yield pipeline


def test_hostile_articles_get_a_report_or_a_clear_refusal(pipe: Pipeline, tmp_path: Path) -> None:
    baseline = tmp_path / "ok.txt"
    baseline.write_text("The Harbour dam opened in 1998 and cost $40 million, the council said.")
    earlier = pipe.check(baseline)
    saved = json.dumps(pipe.store.get_report(earlier["id"]), sort_keys=True)
    for name, data in article_inputs(2 * len(ARTICLE_GENERATORS), seed=7):
        path = tmp_path / name
        path.write_bytes(data)
        started = time.perf_counter()
        try:
            report = pipe.check(path)
            assert report["article"]["text"] is not None
        except FactdeskError as exc:
            assert str(exc) and "Traceback" not in str(exc)
        assert time.perf_counter() - started < PER_INPUT_SECONDS, name
    assert pipe.store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert json.dumps(pipe.store.get_report(earlier["id"]), sort_keys=True) == saved


def test_a_folder_of_hostile_files_indexes_what_it_can(pipe: Pipeline, tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.txt").write_text("Tolls on the Harbour bridge rose 12% in 2023, the authority said.")
    # the big-but-valid texts are left to benchmarks/fuzz.py: indexing them is real embedding work
    light = [(n, d) for n, d in article_inputs(len(ARTICLE_GENERATORS), seed=11) if len(d) < 150_000]
    for name, data in light:
        (folder / name).write_bytes(data)
    stats = pipe.index_path(folder)
    assert stats.added >= 1 and stats.added + len(stats.failed) == len(light) + 1
    assert all(reason for _, reason in stats.failed)
    again = pipe.index_path(folder)  # re-run: nothing new, nothing lost
    assert again.added == 0 and again.unchanged == stats.added


def test_hostile_fact_check_exports_never_raise_anything_but_a_clear_error(tmp_path: Path) -> None:
    with Store.open(tmp_path / "fd.db") as store:
        for name, data in review_inputs(2 * len(REVIEW_GENERATORS), seed=3):
            path = tmp_path / name
            path.write_bytes(data)
            try:
                stats = import_reviews(store, path, embedder=None)
                assert all(reason for _, reason in stats.invalid)
            except FactdeskError as exc:
                assert str(exc)
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
