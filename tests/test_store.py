import sqlite3

import pytest

from factdesk.errors import NotFoundError, StoreError
from factdesk.store import Store, default_db_path
from factdesk.store.sqlite import MIGRATIONS
from factdesk.types import Document


def _report(rid: str, title: str = "T") -> dict:
    return {
        "id": rid, "created": "2024-01-01T00:00:00+00:00", "verifier": "baseline",
        "article": {"id": "d1", "title": title},
        "claims": [{"id": "c1", "text": "x", "kind": "assertion", "start": 0, "end": 1,
                    "evidence": [{"passage_id": "p1", "stance": "supports", "score": 0.1}],
                    "verdict": {"label": "supported", "confidence": 0.8, "explanation": "e"}}],
    }


def test_new_store_is_migrated_and_reopens(tmp_path):
    path = tmp_path / "sub" / "fd.db"
    with Store.open(path) as s:
        assert s.schema_version == len(MIGRATIONS)
        s.save_report(_report("r1"))
    with Store.open(path) as s:  # second open applies nothing, keeps data
        assert s.schema_version == len(MIGRATIONS)
        assert [r["id"] for r in s.list_reports()] == ["r1"]
        assert s.list_reports()[0]["verdicts"] == {"supported": 1}


def test_report_round_trip_and_prefix_lookup(tmp_path):
    with Store.open(tmp_path / "fd.db") as s:
        s.save_report(_report("rabc123"))
        s.save_report(_report("rabd456"))
        assert s.get_report("rabc")["id"] == "rabc123"
        with pytest.raises(NotFoundError, match="ambiguous"):
            s.get_report("rab")
        with pytest.raises(NotFoundError, match="factdesk list"):
            s.get_report("nope")
        s.save_report(_report("rabc123", title="again"))  # re-saving replaces, no duplicates
        assert s.count("reports") == 2
        assert s.get_report("rabc123")["article"]["title"] == "again"


def test_failed_transaction_keeps_earlier_commits(tmp_path):
    path = tmp_path / "fd.db"
    with Store.open(path) as s:
        with s.transaction():
            s.save_document(Document(text="kept"), role="corpus")
        with pytest.raises(RuntimeError):
            with s.transaction():
                s.save_document(Document(text="lost"), role="corpus")
                raise RuntimeError("interrupted")
    with Store.open(path) as s:
        assert [d.text for d in s.find_documents()] == ["kept"]


def test_remove_document_removes_passages_and_fts_rows(tmp_path):
    with Store.open(tmp_path / "fd.db") as s:
        doc = Document(text="The ferry runs hourly.", title="Ferry")
        with s.transaction():
            s.save_document(doc)
            s.conn.execute('INSERT INTO passages(id, document_id, position, start, "end", text, title) '
                           "VALUES ('p1', ?, 0, 0, 22, 'The ferry runs hourly.', 'Ferry')", (doc.id,))
        assert s.conn.execute("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH 'ferry'").fetchone()[0] == 1
        with s.transaction():
            s.remove_document(doc.id)
        assert s.conn.execute("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH 'ferry'").fetchone()[0] == 0
        assert s.count("documents") == 0


def test_not_a_database_gives_clear_error(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="factdesk database"):
        Store.open(junk)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "fd.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.close()
    with pytest.raises(StoreError, match="upgrade factdesk"):
        Store.open(path)


def test_default_path_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("FACTDESK_DB", str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"
    monkeypatch.delenv("FACTDESK_DB")
    assert default_db_path().name == "factdesk.db"
    assert "factdesk" in str(default_db_path().parent)
