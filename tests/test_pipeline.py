"""End to end on the shipped demo: real SQLite files, the real packaged embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from factdesk import demodata
from factdesk.errors import InputError
from factdesk.pipeline import Pipeline
from factdesk.report import validate_report
from factdesk.settings import Settings
from factdesk.store import Store
from factdesk.types import Document


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo corpus indexed once; tests get their own copy of the file."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with Store.open(path) as store:
        stats = Pipeline(store, Settings(verifier="baseline")).index_path(demodata.corpus_dir())
    assert stats.added == len(list(demodata.corpus_dir().iterdir()))
    assert not stats.failed
    return path


@pytest.fixture(scope="module")
def demo_report(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    path = tmp_path_factory.mktemp("demo-report") / "demo.db"
    shutil.copy(demo_store, path)
    with Store.open(path) as store:
        report = Pipeline(store, Settings(verifier="baseline")).check(demodata.article_path())
        files = demodata.document_files(store)
    return report, files


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy.db"
    shutil.copy(src, dst)
    return dst


def test_reindex_is_idempotent(demo_store: Path, tmp_path: Path) -> None:
    with Store.open(_copy(demo_store, tmp_path)) as store:
        before = (store.count("documents"), store.count("passages"))
        fts = store.conn.execute("SELECT count(*) FROM passages_fts").fetchone()[0]
        stats = Pipeline(store).index_path(demodata.corpus_dir())
        assert stats.added == stats.updated == 0 and stats.unchanged == before[0]
        assert (store.count("documents"), store.count("passages")) == before
        assert store.conn.execute("SELECT count(*) FROM passages_fts").fetchone()[0] == fts


def test_changed_and_removed_files(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(demodata.corpus_dir(), corpus)
    with Store.open(tmp_path / "fd.db") as store:
        pipe = Pipeline(store)
        first = pipe.index_path(corpus)
        victim = sorted(corpus.glob("*.txt"))[0]
        victim.write_text(victim.read_text(encoding="utf-8") + "\nA new closing sentence about zebra crossings.\n",
                          encoding="utf-8")
        gone = sorted(corpus.glob("*.md"))[0]
        gone.unlink()
        second = pipe.index_path(corpus, prune=True)
        assert (second.updated, second.removed, second.added) == (1, 1, 0)
        assert store.count("documents") == first.added - 1
        hits = pipe.retriever.search("zebra crossings", k=1, mode="lexical")
        assert hits and "zebra" in hits[0].passage.text
        # the old version of the changed file left nothing behind
        assert store.conn.execute("SELECT count(*) FROM documents WHERE path = ?",
                                  (str(victim.resolve()),)).fetchone()[0] == 1


def test_interrupted_index_keeps_committed_chunks_and_resumes(tmp_path: Path, monkeypatch) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(demodata.corpus_dir(), corpus)
    db = tmp_path / "fd.db"
    with Store.open(db) as store:
        pipe = Pipeline(store)
        real = pipe.indexer.add_documents
        calls = {"n": 0}

        def flaky(docs, *a, **kw):
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt
            return real(docs, *a, **kw)

        monkeypatch.setattr(pipe.indexer, "add_documents", flaky)
        with pytest.raises(KeyboardInterrupt):
            pipe.index_path(corpus, chunk=8)
    with Store.open(db) as store:
        assert len(store.indexed_files()) == 8  # the first chunk survived
        # ... whole: no document of the interrupted chunk is stored without its passages (issue 17)
        assert store.count("documents") == 8
        assert store.conn.execute("SELECT count(DISTINCT document_id) FROM passages").fetchone()[0] == 8
        stats = Pipeline(store).index_path(corpus)
        total = len(list(corpus.iterdir()))
        assert stats.unchanged == 8 and stats.added == total - 8
        assert len(store.indexed_files()) == total
        ids = [r[0] for r in store.conn.execute("SELECT id FROM passages")]
        assert len(ids) == len(set(ids))


def test_demo_report_contract_and_content(demo_report: tuple[dict, dict]) -> None:
    report, files = demo_report
    validate_report(report)
    score = demodata.score_report(report, files=files)
    assert score["claims_found"] >= 0.85 * score["gold_claims"]
    assert score["evidence_recall"] >= 0.8
    kinds = {c["kind"] for c in report["claims"]}
    assert {"assertion", "quoted", "rebutted", "rebuttal"} <= kinds
    by_id = {c["id"]: c for c in report["claims"]}
    for c in report["claims"]:
        if c["kind"] == "rebuttal":
            assert by_id[c["responds_to"]]["kind"] == "rebutted"
        assert report["article"]["text"][c["start"]:c["end"]] == c["text"]
        assert c["verdict"] is not None
    # evidence published after the article is flagged wherever it appears, and never outranks timely evidence
    gold = demodata.load_gold()
    for c in report["claims"]:
        flags = [e["after_claim_date"] for e in c["evidence"]]
        assert flags == sorted(flags)  # all False before any True
        for e in c["evidence"]:
            late = e["published"] and e["published"] > gold["article_date"]
            assert bool(e["after_claim_date"]) == bool(late)
    assert report["timeline"] == sorted(report["timeline"], key=lambda t: t["date"])


def test_check_is_stored_and_listed(demo_report: tuple[dict, dict], demo_store: Path, tmp_path: Path) -> None:
    with Store.open(_copy(demo_store, tmp_path)) as store:
        report = Pipeline(store, Settings(verifier="baseline")).check(demodata.article_path())
        listed = store.list_reports()
        assert listed[0]["id"] == report["id"] and listed[0]["claims"] == len(report["claims"])
        assert store.get_report(report["id"][:8])["claims"] == report["claims"]


def test_bad_article_raises_input_error_and_stores_nothing(demo_store: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    with Store.open(_copy(demo_store, tmp_path)) as store:
        with pytest.raises(InputError, match="empty"):
            Pipeline(store).check(empty)
        assert store.count("reports") == 0


def test_prune_removes_documents_an_older_killed_run_left_without_a_file_record(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The Harbour dam opened in 1998 after six years of work.")
    (corpus / "b.txt").write_text("Tolls on the Harbour bridge rose 12% in 2023, the authority said.")
    with Store.open(tmp_path / "fd.db") as store:
        Pipeline(store, Settings(verifier="baseline")).index_path(corpus)
        # what a run killed between its writes used to leave: a document without its file record
        orphan = Document(text="A half-indexed note about the dam.", path=str(corpus / "gone.txt"), title="gone")
        elsewhere = Document(text="A document read from another folder.", path=str(tmp_path / "x.txt"), title="x")
        with store.transaction():
            store.save_document(orphan)
            store.save_document(elsewhere)
        stats = Pipeline(store, Settings(verifier="baseline")).index_path(corpus, prune=True)
        assert stats.removed == 1
        ids = {r[0] for r in store.conn.execute("SELECT id FROM documents")}
        assert orphan.id not in ids and elsewhere.id in ids and len(ids) == 3


def test_index_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with Store.open(tmp_path / "fd.db") as store:
        with pytest.raises(InputError, match="no such file"):
            Pipeline(store).index_path(tmp_path / "nope")
        (tmp_path / "empty").mkdir()
        with pytest.raises(InputError, match="no supported files"):
            Pipeline(store).index_path(tmp_path / "empty")


HOSTILE = b"""<html><head><meta charset="utf-8"><title>Budget <script>alert('t')</script> row</title>
<meta name="author" content="&lt;img src=x onerror=alert(1)&gt;"></head>
<body><nav>Home | News</nav><article><h1>Budget row</h1>
<p>The council approved a \xe2\x80\x9c$1.45 billion\xe2\x80\x9d budget in 2021 <script>document.title='pwned'</script>
<img src=x onerror="alert(2)"> according to the minutes.</p>
<p>Officials said "<b onmouseover=alert(3)>the line opened in 2019</b>" at the meeting on June 14, 2021.</p>
<p>Unclosed <div><span>tags everywhere and a javascript:alert(4) link <a href="javascript:alert(5)">here</a>.
</article></body></html>"""


def test_hostile_article_is_checked_and_rendered_safely(demo_store: Path, tmp_path: Path) -> None:
    from html.parser import HTMLParser

    from factdesk.report import render

    page = tmp_path / "hostile.html"
    page.write_bytes(HOSTILE)
    with Store.open(_copy(demo_store, tmp_path)) as store:
        report = Pipeline(store, Settings(verifier="baseline")).check(page)
    assert report["claims"], "the factual sentences survive extraction"
    assert "document.title" not in report["article"]["text"]
    html_out = render(report, "html")

    class Audit(HTMLParser):
        bad: list[str] = []

        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag == "script":
                self.bad.append("script tag")
            for name, value in attrs:
                if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                    self.bad.append(f"{tag} {name}={value}")

    audit = Audit()
    audit.feed(html_out)
    assert audit.bad == []
    md = render(report, "markdown")
    assert "<script" not in md and "<img" not in md


def test_earlier_fact_checks_are_matched_per_claim(demo_store: Path, tmp_path: Path) -> None:
    from factdesk.match.importer import import_reviews

    records = tmp_path / "reviews.json"
    records.write_text("""[
      {"@context": "https://schema.org", "@type": "ClaimReview",
       "url": "https://checkers.example/fare-275",
       "claimReviewed": "Port Aldine council set the standard adult light rail fare at $2.75, the same as the bus.",
       "author": {"@type": "Organization", "name": "Checkers"}, "datePublished": "2024-11-10",
       "reviewRating": {"@type": "Rating", "ratingValue": 5, "bestRating": 5, "worstRating": 1,
                        "alternateName": "True"}},
      {"@context": "https://schema.org", "@type": "ClaimReview",
       "url": "https://checkers.example/ferry",
       "claimReviewed": "The Gull Island ferry will stop running in winter.",
       "author": {"@type": "Organization", "name": "Checkers"}, "datePublished": "2024-01-10",
       "reviewRating": {"@type": "Rating", "ratingValue": 1, "alternateName": "False"}}
    ]""", encoding="utf-8")
    with Store.open(_copy(demo_store, tmp_path)) as store:
        assert import_reviews(store, [records]).imported == 2
        report = Pipeline(store, Settings(verifier="baseline")).check(demodata.article_path(), save=False)
    matched = {c["text"]: c["matches"] for c in report["claims"] if c["matches"]}
    fare = [t for t in matched if "$2.75" in t]
    assert fare, "the fare claim matches the earlier fact-check"
    assert matched[fare[0]][0]["url"] == "https://checkers.example/fare-275"
    assert all(m["url"] != "https://checkers.example/ferry" for ms in matched.values() for m in ms)
    validate_report(report)


def test_evidence_names_its_key_sentence(demo_report: tuple[dict, dict]) -> None:
    from factdesk.text.sentences import split_sentences

    report, _ = demo_report
    evidence = [(c, ev) for c in report["claims"] for ev in c["evidence"]]
    keyed = [(c, ev) for c, ev in evidence if ev["key_sentence"]]
    assert keyed, "the demo's three-sentence passages should name a key sentence"
    for c, ev in keyed:
        sentences = [s.text for s in split_sentences(ev["text"])]
        assert len(sentences) > 1 and ev["key_sentence"] in sentences
    for _, ev in evidence:
        if not ev["key_sentence"]:
            assert len(split_sentences(ev["text"])) < 2


def test_from_settings_checks_every_name_before_any_work(tmp_path: Path) -> None:
    from factdesk.errors import ConfigError

    with Store.open(tmp_path / "fd.db") as store:
        with pytest.raises(ConfigError, match="unknown retriever 'nope'"):
            Pipeline.from_settings(Settings(retriever="nope"), store=store)
        pipe = Pipeline.from_settings(Settings(verifier="baseline"), store=store)
        assert pipe.verifier.name == "baseline"


def test_the_pipeline_runs_on_fakes_only(tmp_path: Path) -> None:
    """Every part injected: no model loads, and the fakes' answers reach the report."""
    from factdesk.testing import FakeEmbedder, FakeRetriever, FakeScorer, FakeVerifier
    from factdesk.types import Document

    corpus = [Document(text="Records show the Ridgeway dam opened in 1998.", title="Dam history")]
    retriever = FakeRetriever(corpus)
    with Store.open(tmp_path / "fd.db") as store:
        pipe = Pipeline.from_settings(Settings(), store=store, verifier=FakeVerifier(label="refutes"),
                                      embedder=FakeEmbedder(), scorer=FakeScorer(), retriever=retriever,
                                      indexer=retriever)
        report = pipe.check(Document(text="The Ridgeway dam opened in 1998, officials said on Monday."),
                            save=False)
    assert report["verifier"] == "fake"
    ev = report["claims"][0]["evidence"][0]
    assert ev["stance"] == "refutes" and "Ridgeway" in ev["text"]
