"""`factdesk index FILE.jsonl|.parquet`: passages as a stream of records, resumable after a kill (issue 15 item 4)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from factdesk.cli import cli
from factdesk.ingest import find_files, iter_files
from factdesk.ingest.records import iter_records
from factdesk.pipeline import Pipeline
from factdesk.settings import Settings
from factdesk.store import Store

TOWNS = ["Harrow Bay", "Port Aldine", "Kestrel Falls", "Mirren", "Oldcastle", "Varna Point", "Lowmoor"]


def record(i: int) -> dict[str, object]:
    town = TOWNS[i % len(TOWNS)]
    return {"id": f"rec-{i}", "title": f"{town} bulletin {i}", "published": f"2021-{1 + i % 12:02d}-14",
            "url": f"https://news.example/{i}",
            "text": f"The {town} council approved budget item {i} worth {1000 + i} thousand dollars for "
                    f"ward {i % 9}. The vote passed {5 + i % 4} to {i % 3}."}


def write_jsonl(path: Path, n: int, start: int = 0, *, junk: bool = False) -> Path:
    with path.open("a", encoding="utf-8") as fh:
        for i in range(start, start + n):
            fh.write(json.dumps(record(i)) + "\n")
            if junk and i == start + 3:
                fh.write("{not json\n")
                fh.write(json.dumps({"id": "no-text", "title": "empty"}) + "\n")
                fh.write("\n")
    return path


def documents(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT id, title FROM documents ORDER BY title").fetchall()
    finally:
        conn.close()


def test_records_stream_with_positions_and_errors_for_bad_lines(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "p.jsonl", 6, junk=True)
    items = list(iter_records(src))
    errors = [item for _, _, item in items if isinstance(item, str)]
    assert errors == ["not JSON (JSONDecodeError)", "no text"]
    docs = [item for _, _, item in items if not isinstance(item, str)]
    assert [d.title for d in docs] == [f"{TOWNS[i % 7]} bulletin {i}" for i in range(6)]
    assert docs[0].published == "2021-01-14" and docs[0].url == "https://news.example/0" and docs[0].path is None
    # a resumed read from a position given before yields exactly the rest
    pos_of_third = items[2][0]
    rest = [item.title for _, _, item in iter_records(src, pos_of_third) if not isinstance(item, str)]
    assert rest == [d.title for d in docs[2:]]


def test_index_a_jsonl_file_then_rerun_skips_and_a_changed_file_replaces(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "passages.jsonl", 40, junk=True)
    db = tmp_path / "fd.db"
    settings = Settings(verifier="baseline")
    with Store.open(db) as store:
        stats = Pipeline.from_settings(settings, store=store).index_records(src, chunk=16)
        assert stats.added == 40 and stats.passages >= 40 and len(stats.failed) == 2
        hits = Pipeline.from_settings(settings, store=store).retriever.search(
            "Kestrel Falls council budget item 16", k=3, mode="lexical")
        assert "Kestrel Falls bulletin 16" in [h.passage.title for h in hits]
        again = Pipeline.from_settings(settings, store=store).index_records(src)
        assert (again.added, again.unchanged) == (0, 40)
    write_jsonl(src, 5, start=40)  # the file grows: read again from the start, ids replace
    with Store.open(db) as store:
        grown = Pipeline.from_settings(settings, store=store).index_records(src)
        assert grown.added == 45
    titles = [t for _, t in documents(db)]
    assert len(titles) == len(set(titles)) == 45


def test_a_killed_index_run_resumes_with_each_record_once(tmp_path: Path) -> None:
    """A real `factdesk index` process killed with SIGKILL after its first checkpoints; the re-run finishes the
    file and every record is stored exactly once."""
    n = 1400  # checkpoints every 512 records
    src = write_jsonl(tmp_path / "big.jsonl", n)
    db = tmp_path / "fd.db"
    exe = Path(sys.executable).parent / "factdesk"
    env = {**os.environ, "FACTDESK_VERIFIER": "baseline"}
    proc = subprocess.Popen([str(exe), "index", str(src), "--db", str(db), "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, "the run ended before it could be killed: make the file bigger"
            assert time.monotonic() < deadline
            try:
                conn = sqlite3.connect(db, timeout=1)
                row = conn.execute("SELECT content_hash FROM files WHERE path LIKE 'records://%'").fetchone()
                conn.close()
            except sqlite3.Error:
                row = None
            if row and int(row[0].split(":")[1]) >= 128:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    partial = len(documents(db))
    assert 128 <= partial < n
    result = CliRunner().invoke(cli, ["index", str(src), "--db", str(db), "--json"], env=env)
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["unchanged"] >= 128 and stats["unchanged"] + stats["added"] == n
    rows = documents(db)
    assert len(rows) == n and len({t for _, t in rows}) == n


def test_index_limit_and_prune_rules_for_record_files(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "p.jsonl", 30)
    db = tmp_path / "fd.db"
    r = CliRunner().invoke(cli, ["index", str(src), "--db", str(db), "--limit", "10", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["added"] == 10
    r = CliRunner().invoke(cli, ["index", str(src), "--db", str(db), "--json"])
    assert json.loads(r.output)["added"] == 20, "the limited run is resumed"
    r = CliRunner().invoke(cli, ["index", str(src), "--db", str(db), "--prune"])
    assert r.exit_code != 0 and "--prune does not apply" in r.output


def test_parquet_records(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [record(i) for i in range(25)]
    table = pa.table({k: [r[k] for r in rows] for k in ("id", "title", "published", "url", "text")})
    src = tmp_path / "p.parquet"
    pq.write_table(table, src, row_group_size=7)
    items = list(iter_records(src, 9))
    assert [d.title for _, _, d in items] == [f"{TOWNS[i % 7]} bulletin {i}" for i in range(9, 25)]
    with Store.open(tmp_path / "fd.db") as store:
        stats = Pipeline.from_settings(Settings(verifier="baseline"), store=store).index_records(src, chunk=8)
        assert stats.added == 25
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    r = CliRunner().invoke(cli, ["index", str(bad), "--db", str(tmp_path / "fd.db")])
    assert r.exit_code != 0 and "Parquet" in r.output and "Traceback" not in r.output


def test_folders_are_walked_as_a_stream_in_a_fixed_order(tmp_path: Path) -> None:
    for rel in ["b/2.txt", "b/1.md", "a.txt", "c/d/e.html", ".hidden/x.txt", "b/skip.bin"]:
        f = tmp_path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("The bridge opened in 1998.", encoding="utf-8")
    walked = list(iter_files(tmp_path))
    assert [p.relative_to(tmp_path).as_posix() for p in walked] == ["a.txt", "b/1.md", "b/2.txt", "c/d/e.html"]
    assert sorted(walked) == find_files(tmp_path)
