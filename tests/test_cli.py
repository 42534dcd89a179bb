"""The command line as a user meets it: real processes, real store files, a real HTTP server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from factdesk import demodata
from factdesk.report import validate_report

FACTDESK = [sys.executable, "-m", "factdesk.cli"]


def run(*args: str, db: Path, check: bool = False) -> subprocess.CompletedProcess:
    env = dict(os.environ, FACTDESK_DB=str(db), FACTDESK_VERIFIER="baseline")
    proc = subprocess.run([*FACTDESK, *args], capture_output=True, text=True, env=env, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"factdesk {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def store_with_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("cli") / "fd.db"
    run("index", str(demodata.corpus_dir()), "--json", db=db, check=True)
    proc = run("check", str(demodata.article_path()), "--format", "json", db=db, check=True)
    report = json.loads(proc.stdout)
    return db, report["id"]


def test_check_json_report_and_show_list(store_with_report: tuple[Path, str], tmp_path: Path) -> None:
    db, rid = store_with_report
    listed = json.loads(run("list", "--format", "json", db=db, check=True).stdout)
    assert rid in [r["id"] for r in listed]
    shown = json.loads(run("show", rid[:9], "--format", "json", db=db, check=True).stdout)
    validate_report(shown)
    out = tmp_path / "r.html"
    run("show", rid, "--format", "html", "-o", str(out), db=db, check=True)
    assert out.read_text().startswith("<!DOCTYPE html>") and "<script" not in out.read_text()
    cr = json.loads(run("show", rid, "--format", "claimreview", db=db, check=True).stdout)
    assert cr and all(item["@type"] == "ClaimReview" for item in cr)
    md = run("show", rid, db=db, check=True).stdout
    assert "Harrow Bay" in md


def test_claims_command_outputs_claims_without_evidence(tmp_path: Path) -> None:
    proc = run("claims", str(demodata.article_path()), db=tmp_path / "unused.db", check=True)
    data = json.loads(proc.stdout)
    validate_report(data)
    assert data["claims"] and all(c["evidence"] == [] and c["verdict"] is None for c in data["claims"])
    assert not (tmp_path / "unused.db").exists()  # claims never touches the store


def test_the_max_claims_cap_says_what_it_left_out(tmp_path: Path) -> None:
    article = str(demodata.article_path())
    db = tmp_path / "unused.db"
    every = json.loads(run("claims", article, "--max-claims", "0", db=db, check=True).stdout)
    assert every["summary"]["left_out"] == 0 and len(every["claims"]) > 5
    capped = json.loads(run("claims", article, "--max-claims", "8", db=db, check=True).stdout)
    validate_report(capped)
    assert len(capped["claims"]) == 8 and capped["summary"]["left_out"] == len(every["claims"]) - 8
    # rebuttal pairs are kept first, then the most check-worthy of the others
    kept = {c["id"] for c in capped["claims"]}
    assert {c["id"] for c in every["claims"] if c["kind"] == "rebutted"} <= kept
    plain = [c for c in every["claims"] if c["kind"] not in ("rebutted", "rebuttal")]
    assert min(c["checkworthiness"] for c in plain if c["id"] in kept) >= max(
        c["checkworthiness"] for c in plain if c["id"] not in kept)
    md = run("claims", article, "--max-claims", "8", "--format", "markdown", db=db, check=True).stdout
    assert f"{len(every['claims']) - 8} more check-worthy claims left out by the max\\_claims cap" in md
    bad = run("claims", article, "--max-claims", "-1", db=db)
    assert bad.returncode != 0 and "max_claims must be 0 (no cap) or more" in bad.stderr


def test_check_reports_the_claims_its_cap_left_out(store_with_report: tuple[Path, str]) -> None:
    db, _ = store_with_report
    report = json.loads(run("check", str(demodata.article_path()), "--max-claims", "6", "--no-save", "--format", "json",
                            db=db, check=True).stdout)
    validate_report(report)
    assert report["summary"]["claims"] == 6 and report["summary"]["left_out"] >= 10
    html = run("check", str(demodata.article_path()), "--max-claims", "6", "--no-save", "--format", "html",
               db=db, check=True).stdout
    assert f'<p class="left-out">{report["summary"]["left_out"]} more check-worthy claims left out' in html


def test_index_is_idempotent_from_the_cli(store_with_report: tuple[Path, str]) -> None:
    db, _ = store_with_report
    stats = json.loads(run("index", str(demodata.corpus_dir()), "--json", db=db, check=True).stdout)
    assert stats["added"] == 0 and stats["unchanged"] > 30


def _bad_inputs(tmp_path: Path) -> list[tuple[list[str], str]]:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    junk = tmp_path / "junk.txt"
    junk.write_bytes(bytes(range(256)) * 20)
    docx = tmp_path / "letter.docx"
    docx.write_bytes(b"PK\x03\x04 not really")
    return [
        (["check", str(tmp_path / "missing.html")], "no such file"),
        (["check", str(empty)], "empty"),
        (["check", str(junk)], "binary"),
        (["check", str(docx)], "unsupported"),
        (["check", "http://127.0.0.1:9/nothing-listens-here", "--allow-private"], "127.0.0.1"),
        (["check", "file:///etc/passwd"], "file"),
        (["check", "http://169.254.169.254/latest/meta-data/"], "169.254.169.254"),
        (["check", "http://127.0.0.1:8080/"], "127.0.0.1"),
        (["show", "no-such-report"], "no report"),
        (["index", str(tmp_path / "nowhere")], "no such file"),
    ]


def test_bad_input_gives_one_line_error_and_keeps_the_store(store_with_report: tuple[Path, str],
                                                           tmp_path: Path) -> None:
    db, rid = store_with_report
    for args, needle in _bad_inputs(tmp_path):
        proc = run(*args, db=db)
        assert proc.returncode != 0, args
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
        assert len(lines) == 1, (args, proc.stderr)
        assert needle.lower() in lines[0].lower(), (args, lines[0])
    listed = json.loads(run("list", "--format", "json", db=db, check=True).stdout)
    assert rid in [r["id"] for r in listed]


class _ArticleHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/article.html")
            self.end_headers()
            return
        body = demodata.article_path().read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def article_server() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ArticleHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_check_url_on_local_server_needs_allow_private(store_with_report: tuple[Path, str],
                                                       article_server: str) -> None:
    db, _ = store_with_report
    refused = run("check", f"{article_server}/article.html", db=db)
    assert refused.returncode != 0 and "--allow-private" in refused.stderr
    proc = run("check", f"{article_server}/redirect", "--allow-private", "--format", "json", "--no-save",
               db=db, check=True)
    report = json.loads(proc.stdout)
    assert report["article"]["published"] == demodata.load_gold()["article_date"]
    assert report["article"]["url"].endswith("/article.html") or report["article"]["url"].startswith("https://")
    assert len(report["claims"]) >= 15


def test_help_explains_commands() -> None:
    proc = subprocess.run([*FACTDESK, "--help"], capture_output=True, text=True, check=True)
    for command in ("index", "check", "claims", "list", "show", "demo"):
        assert command in proc.stdout
    proc = subprocess.run([*FACTDESK, "check", "--help"], capture_output=True, text=True, check=True)
    assert "--format" in proc.stdout and "--allow-private" in proc.stdout


def test_eval_command_prints_json_metrics(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "evaluate" / "fever.jsonl"
    proc = run("eval", "verify", str(fixture), "--format", "json", db=tmp_path / "x.db", check=True)
    result = json.loads(proc.stdout)
    assert result["n"] > 0 and 0 <= result["label_accuracy"] <= 1 and "confusion" in result
    missing = run("eval", "verify", str(tmp_path / "none.jsonl"), db=tmp_path / "x.db")
    assert missing.returncode != 0 and missing.stderr.startswith("error:")
    # the module entry point is the same command
    mod = subprocess.run([sys.executable, "-m", "factdesk", "eval", "verify", str(fixture), "--format", "json"],
                         capture_output=True, text=True, check=True)
    assert json.loads(mod.stdout)["confusion"] == result["confusion"]
    bad = subprocess.run([sys.executable, "-m", "factdesk", "eval", "verify", str(tmp_path / "none.jsonl")],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr


def test_train_command_runs_a_quick_training(tmp_path: Path) -> None:
    proc = run("train", "checkworthy", "--quick", "--out", str(tmp_path / "cw"), db=tmp_path / "x.db", check=True)
    assert (tmp_path / "cw" / "head.npz").exists() and (tmp_path / "cw" / "config.json").exists(), proc.stdout
    unknown = run("train", "nothing", db=tmp_path / "x.db")
    assert unknown.returncode != 0 and "choose one of" in unknown.stderr


def test_index_of_a_single_unreadable_file_fails(tmp_path: Path) -> None:
    """Issue 17: `index FILE` exited 0 when its only file was skipped."""
    bad = tmp_path / "report.pdf"
    bad.write_bytes(b"%PDF-1.7 this is not really a pdf")
    proc = run("index", str(bad), db=tmp_path / "x.db")
    assert proc.returncode != 0
    assert "nothing indexed" in proc.stderr and "Traceback" not in proc.stderr
