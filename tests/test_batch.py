"""factdesk batch with the local engine: real articles, a real SQLite store, real worker processes.

The articles are four parts of the shipped demo article, checked against the indexed demo corpus
(baseline verifier, to keep the suite fast).  The Spark engine's test is tests/test_batch_spark.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from factdesk import demodata, ingest
from factdesk.cli import cli
from factdesk.errors import InputError
from factdesk.pipeline import Pipeline
from factdesk.report import validate_report
from factdesk.scale import ReportDir, read_articles, run_batch, write_atomic
from factdesk.scale.articles import safe_id
from factdesk.settings import load_settings
from factdesk.store import Store

# the command as a user runs it (on its own: the same command `factdesk batch` registers)
BATCH = [sys.executable, "-m", "factdesk.scale.batch_cli"]
# paragraph ranges of the demo article: four short articles with checkable claims
PARTS = [(2, 4), (6, 9), (10, 14), (15, 20)]


def demo_parts() -> list[str]:
    """Four article texts cut from the demo article, each with its publication date."""
    doc = ingest.load(demodata.article_path())
    paras = [p for p in doc.text.split("\n\n") if p.strip()]
    return ["date 2024-11-20\n" + "\n\n".join(paras[a:b]) + "\n" for a, b in PARTS]


def write_articles(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(demo_parts()):
        (folder / f"part{i}.txt").write_text(text, encoding="utf-8")
    return folder


def index_demo(db: Path) -> Path:
    """The demo corpus indexed into a fresh SQLite store at ``db``."""
    with Store.open(db) as store:
        Pipeline.from_settings(load_settings(verifier="baseline"), store=store).index_path(demodata.corpus_dir())
    return db


def verdicts(report_file: Path) -> list[str | None]:
    data = json.loads(report_file.read_text(encoding="utf-8"))
    return [c["verdict"]["label"] if c["verdict"] else None for c in data["claims"]]


def temp_files(out: Path) -> list[Path]:
    return [p for p in out.rglob(".*") if p.is_file()]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_demo(tmp_path_factory.mktemp("batchstore") / "demo.db")


@pytest.fixture()
def articles(tmp_path: Path) -> Path:
    return write_articles(tmp_path / "articles")


def baseline() -> object:
    return load_settings(verifier="baseline")


def test_local_engine_one_report_per_article_then_a_rerun_skips_them(demo_db: Path, articles: Path,
                                                                      tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Store.open(demo_db) as store:
        stored = store.count("reports")
    summary = run_batch(articles, out=out, engine="local", workers=2, formats=["json", "markdown"], db=str(demo_db),
                        settings=baseline())
    with Store.open(demo_db) as store:
        assert store.count("reports") == stored  # batch reports go to files, never into the store
    assert (summary.articles, summary.done, summary.failed, summary.skipped) == (4, 4, 0, 0)
    ids = {a.id for a in read_articles(articles)}
    assert {p.stem for p in out.glob("*.json")} == ids and {p.stem for p in out.glob("*.md")} == ids
    for f in out.glob("*.json"):
        validate_report(json.loads(f.read_text()))
    assert any(v == "refuted" for f in out.glob("*.json") for v in verdicts(f))  # real evidence was found
    assert temp_files(out) == []
    again = run_batch(articles, out=out, engine="local", workers=2, formats=["json", "markdown"], db=str(demo_db),
                      settings=baseline())
    assert (again.skipped, again.done, again.failed) == (4, 0, 0)
    # asking for one more format re-checks every article for it, the others are rewritten whole
    html = run_batch(articles, out=out, engine="local", workers=1, formats=["json", "html"], db=str(demo_db),
                     settings=baseline())
    assert (html.skipped, html.done) == (0, 4) and len(list(out.glob("*.html"))) == 4


def _batch_process(articles: Path, out: Path, db: Path) -> subprocess.Popen:
    env = dict(os.environ, FACTDESK_VERIFIER="baseline")
    # its own session (process group), so a failing test can still kill the pool's workers
    return subprocess.Popen([*BATCH, str(articles), "--out", str(out),
                             "--db", str(db), "--workers", "1", "--json"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:  # a zombie has exited; only its entry waits to be reaped
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_kill_then_resume_gives_exactly_one_complete_report_per_article(demo_db: Path, articles: Path,
                                                                         tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _batch_process(articles, out, demo_db)
    deadline = time.monotonic() + 120
    while not list(out.glob("*.json")):
        assert proc.poll() is None, f"the batch ended before it was killed: {proc.communicate()}"
        assert time.monotonic() < deadline, "no report after 120 s"
        time.sleep(0.02)
    workers = _children(proc.pid)
    assert workers, "the pool has worker processes"
    os.kill(proc.pid, signal.SIGKILL)  # the batch process only, as `kill -9 PID` does
    proc.wait(timeout=30)  # not communicate(): a worker left running would hold its pipes open
    try:
        deadline = time.monotonic() + 15
        while any(_running(w) for w in workers):  # orphaned workers notice and stop
            assert time.monotonic() < deadline, "a worker outlived the killed batch by 15 s"
            time.sleep(0.1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    finished = list(out.glob("*.json"))
    assert 1 <= len(finished) < 4, "the kill should land mid-run"
    for f in finished:  # whatever is there is whole
        validate_report(json.loads(f.read_text()))
    # what a kill during a write leaves behind: a temporary file, never a partial report
    (out / ".a0.json.x1y2.tmp").write_text('{"id": "half')
    # the kill itself may have caught a worker mid-write: its temporary file is there too
    leftovers = temp_files(out)

    resumed = _batch_process(articles, out, demo_db)
    stdout, stderr = resumed.communicate(timeout=180)
    assert resumed.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["skipped"] == len(finished) and summary["done"] == 4 - len(finished)
    assert summary["temp_files_removed"] == len(leftovers) >= 1
    ids = sorted(a.id for a in read_articles(articles))
    assert sorted(p.stem for p in out.glob("*.json")) == ids
    assert temp_files(out) == [] and list((out / "errors").iterdir()) == []
    for f in out.glob("*.json"):
        validate_report(json.loads(f.read_text()))


def test_a_failing_article_leaves_an_error_record_and_the_others_finish(demo_db: Path, tmp_path: Path) -> None:
    parts = demo_parts()
    manifest = tmp_path / "articles.jsonl"
    rows = [{"id": f"good-{i}", "text": t} for i, t in enumerate(parts[:3])]
    rows.insert(1, {"id": "gone", "path": "missing/article.html"})
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["batch", str(manifest), "--out", str(out), "--db", str(demo_db),
                                      "--workers", "2", "--verifier", "baseline", "--json"])
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    assert (summary["done"], summary["failed"]) == (3, 1)
    assert summary["failures"][0]["id"] == "gone" and "no such file" in summary["failures"][0]["error"]
    record = json.loads((out / "errors" / "gone.json").read_text())
    assert record["id"] == "gone" and record["error"] == "InputError" and "no such file" in record["message"]
    assert sorted(p.stem for p in out.glob("*.json")) == ["good-0", "good-1", "good-2"]

    # the file turns up; the re-run checks only that article and clears its error record
    (tmp_path / "missing").mkdir()
    (tmp_path / "missing" / "article.html").write_text(
        "<html><body><article><p>" + parts[3].split("\n", 1)[1] + "</p></article></body></html>")
    again = run_batch(manifest, out=out, workers=1, db=str(demo_db), settings=baseline())
    assert (again.skipped, again.done, again.failed) == (3, 1, 0)
    assert not (out / "errors" / "gone.json").exists()


def test_a_missing_store_is_one_error_line(articles: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["batch", str(articles), "--out", str(tmp_path / "out"),
                                      "--db", str(tmp_path / "no.db")])
    assert result.exit_code == 2 and result.stderr.startswith("error: no store at")
    assert not (tmp_path / "no.db").exists()


def test_manifest_ids_titles_and_dates(demo_db: Path, tmp_path: Path) -> None:
    parts = demo_parts()
    manifest = tmp_path / "m.jsonl"
    body = parts[0].split("\n", 1)[1]
    manifest.write_text(json.dumps({"id": "fare/1", "text": body, "title": "Fares", "published": "2024-11-20"}) + "\n")
    out = tmp_path / "out"
    summary = run_batch(manifest, out=out, workers=1, db=str(demo_db), settings=baseline())
    assert summary.done == 1
    [report_file] = out.glob("*.json")
    assert report_file.stem == safe_id("fare/1") and report_file.stem.startswith("fare_1-")
    report = json.loads(report_file.read_text())
    assert report["article"]["title"] == "Fares" and report["article"]["published"] == "2024-11-20"


def test_parquet_manifest_gives_the_same_articles_as_jsonl(demo_db: Path, articles: Path, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [{"id": f"p{i}", "path": str(p), "title": None, "published": None}
            for i, p in enumerate(sorted(articles.glob("*.txt"))[:2])]
    rows.append({"id": "t0", "path": None, "title": "Inline", "published": "2024-11-20",
                 "text": demo_parts()[1].split("\n", 1)[1]})
    for r in rows:
        r.setdefault("text", None)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "articles.parquet")
    jsonl = tmp_path / "articles.jsonl"
    jsonl.write_text("".join(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n" for r in rows))
    assert read_articles(tmp_path / "articles.parquet") == read_articles(jsonl)
    out = tmp_path / "out"
    summary = run_batch(tmp_path / "articles.parquet", out=out, workers=1, db=str(demo_db), settings=baseline())
    assert (summary.done, summary.failed) == (3, 0)
    assert sorted(p.stem for p in out.glob("*.json")) == ["p0", "p1", "t0"]


# -- articles and output, without running checks -----------------------------------------------
def test_folder_ids_are_content_hashes_and_duplicates_are_one_article(tmp_path: Path) -> None:
    folder = write_articles(tmp_path / "a")
    (folder / "sub").mkdir()
    (folder / "sub" / "copy.txt").write_bytes((folder / "part0.txt").read_bytes())
    found = read_articles(folder)
    assert len(found) == 4 and all(a.id.startswith("a") and len(a.id) == 17 for a in found)
    (folder / "part0.txt").rename(folder / "renamed.txt")
    assert {a.id for a in read_articles(folder)} == {a.id for a in found}  # a rename keeps the id


@pytest.mark.parametrize("row, message", [
    ({"id": "x"}, "exactly one of path, url or text"),
    ({"id": "x", "text": "a", "url": "https://example.org/"}, "exactly one"),
    ({"id": "x", "text": "a", "published": "20 Nov 2024"}, "not an ISO date"),
    ({"id": "x", "text": "a", "author": "me"}, "unknown field"),
])
def test_bad_manifest_rows_are_refused_with_their_line(tmp_path: Path, row: dict, message: str) -> None:
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "ok", "text": "fine"}) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(InputError, match=message) as info:
        read_articles(manifest)
    assert "line 2" in str(info.value)


def test_duplicate_manifest_ids_are_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "a", "text": "x"}) + "\n" + json.dumps({"id": "a", "text": "y"}) + "\n")
    with pytest.raises(InputError, match="duplicate article id"):
        read_articles(manifest)


def test_write_atomic_never_leaves_a_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    write_atomic(target, b'{"v": 1}')

    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type] - fails inside the write
    assert target.read_bytes() == b'{"v": 1}' and temp_files(tmp_path) == []
    out = ReportDir(tmp_path / "out", ["json"])
    out.prepare()
    assert not out.is_done("n1") and out.finished() == set()
