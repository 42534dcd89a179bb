import sqlite3
from pathlib import Path

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


def test_transaction_yields_the_store_not_a_connection(tmp_path):
    with Store.open(tmp_path / "fd.db") as s:
        assert not s.in_transaction
        with s.transaction() as unit:
            assert unit is s and s.in_transaction
            unit.save_document(Document(text="A", title="a", path="/corpus/a.txt"))
            unit.save_document(Document(text="B", title="b"))
        assert not s.in_transaction
        assert sorted(s.document_paths().values()) == ["/corpus/a.txt"]


def test_passage_records(tmp_path):
    from factdesk.types import Passage

    with Store.open(tmp_path / "fd.db") as s:
        doc = Document(text="The ferry runs hourly. The bridge opened in 2001.", title="Ferry", published="2020-05-01")
        ps = [Passage(document_id=doc.id, text="The ferry runs hourly.", start=0, end=22, position=0, title="Ferry",
                      published=doc.published),
              Passage(document_id=doc.id, text="The bridge opened in 2001.", start=23, end=49, position=1,
                      title="Ferry", published=doc.published)]
        with pytest.raises(NotFoundError, match="save it first"):
            s.passages.replace(doc.id, ps, [None, None])
        before = s.passages.version()
        with s.transaction():
            s.save_document(doc)
            s.passages.replace(doc.id, ps, [b"\0" * 8, None])
        assert s.passages.version() != before
        assert s.passages.get(ps[1].id).text == "The bridge opened in 2001."
        [(rowid, score)] = s.passages.lexical('"bridge"', 5)
        assert score > 0 and s.passages.by_rowids([rowid])[rowid].id == ps[1].id
        assert s.passages.document_ids([rowid]) == {rowid: doc.id}
        assert s.passages.lexical('"bridge"', 5, exclude_documents={doc.id}) == []
        assert s.passages.lexical('"bridge"', 5, published_after="2019-12-31") == []
        assert len(s.passages.lexical('"bridge"', 5, published_after="2019-12-31", after=True)) == 1
        assert [r[0] for r in s.passages.vector_rows()] == [s.passages.lexical('"ferry"', 1)[0][0]]
        with s.transaction():
            s.passages.remove_document(doc.id)
        assert s.count("passages") == 0 and s.count("documents") == 1
        with pytest.raises(NotFoundError):
            s.passages.get(ps[0].id)


def test_claimreview_records(tmp_path):
    from factdesk.store.claimreviews import fts_stems

    with Store.open(tmp_path / "fd.db") as s:
        reviews = s.claimreviews
        assert reviews.count() == 0 and reviews.max_rowid() == 0
        before = reviews.version()
        with s.transaction():
            reviews.add([{"id": "fc-1", "claim": "Crime rose in Porto.", "url": "https://fc.example/1",
                          "date": "2024-01-02", "vector": b"\0" * 8},
                         {"id": "fc-2", "claim": "Crimes fell in Lisbon.", "url": "https://fc.example/2"}])
            reviews.add([{"id": "fc-1", "claim": "changed", "url": "https://fc.example/1"}])  # id kept: ignored
        assert reviews.version() != before and reviews.count() == 2
        assert reviews.existing_ids(["fc-1", "fc-3"]) == {"fc-1"}
        assert [r["id"] for r in reviews.page()] == ["fc-1", "fc-2"]  # dated first
        assert reviews.page(limit=1, offset=1)[0]["claim"] == "Crimes fell in Lisbon."
        found = reviews.lexical('"porto"', 5)
        assert len(found) == 1
        record = reviews.by_rowids([found[0][0]])[found[0][0]]
        assert record["id"] == "fc-1" and record["vector"] == b"\0" * 8 and record["title_vector"] is None
        assert [len(b) for b in reviews.vector_batches(1)] == [1]
        assert fts_stems(["crimes", "rising"]) == ["crime", "rise"]
        assert reviews.document_frequency("crime") == 2 and reviews.document_frequency("zzyzx") == 0


def test_the_store_and_its_wal_files_are_private(tmp_path: Path) -> None:
    """The store holds the desk's signing secret and sessions: owner-only, and tightened if it was not (issue 17)."""
    import stat as stat_mod

    path = tmp_path / "private" / "fd.db"
    with Store.open(path) as store:
        store.save_document(Document(text="The dam opened in 1998.", title="Dam"))
        for f in (path, path.with_name("fd.db-wal"), path.with_name("fd.db-shm")):
            if f.exists():
                assert stat_mod.S_IMODE(f.stat().st_mode) & 0o077 == 0, f
    loose = tmp_path / "loose.db"
    with Store.open(loose):
        pass
    loose.chmod(0o644)
    with Store.open(loose):
        pass
    assert stat_mod.S_IMODE(loose.stat().st_mode) == 0o600


def test_the_names_scan_reads_a_covering_index_not_the_documents_text(tmp_path):
    """Quote provenance's one scan (find_documents_by_names) is answered from the documents_names index
    (migration 10): at a million documents read from disk the table scan, text and all, took 12 s."""
    with Store.open(tmp_path / "fd.db") as s:
        s.save_document(Document(text="x" * 5000, title="Ann Lee on crime", author="Desk"), role="corpus")
        plans: list[str] = []
        s.conn.set_trace_callback(lambda sql: plans.append(sql) if "instr(" in sql else None)
        s.find_documents_by_names(["Ann Lee"])
        s.conn.set_trace_callback(None)
        assert len(plans) == 1
        sql = plans[0]
        detail = " ".join(r[3] for r in s.conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "COVERING INDEX documents_names" in detail, detail


def test_the_passage_version_is_counted_again_only_when_something_may_have_changed(tmp_path):
    """store.passages.version() keeps its count(*) until a commit elsewhere, a change on this connection
    (raw SQL included) or a passage write in this process; then it sees the change."""
    import sqlite3

    from factdesk.types import Passage

    db = tmp_path / "fd.db"
    with Store.open(db) as s:
        doc = Document(text="The harbor dam opened in 1998.", title="Dam")
        with s.transaction():
            s.save_document(doc, role="corpus")
            s.passages.replace(doc.id, [Passage(document_id=doc.id, text=doc.text, start=0, end=len(doc.text))], [None])
        counted: list[str] = []
        s.conn.set_trace_callback(lambda sql: counted.append(sql) if "count(*)" in sql else None)
        first = s.passages.version()
        assert first[0] == 1 and s.passages.version() == first and len(counted) == 1  # kept
        other = sqlite3.connect(db)  # another connection commits a passage
        other.execute("INSERT INTO passages(id, document_id, position, start, \"end\", text) "
                      "VALUES ('p-other', ?, 1, 0, 5, 'Other')", (doc.id,))
        other.commit()
        other.close()
        second = s.passages.version()
        assert second[0] == 2 and second != first
        s.conn.execute("DELETE FROM passages WHERE id = 'p-other'")  # raw SQL on this connection
        s.conn.commit()
        third = s.passages.version()
        assert third[0] == 1
        s.conn.execute("BEGIN")  # a write through the store, rolled back: counted again, same answer
        s.passages.remove_document(doc.id)
        assert s.passages.version()[0] == 0
        s.conn.execute("ROLLBACK")
        assert s.passages.version()[0] == 1
        s.conn.set_trace_callback(None)
