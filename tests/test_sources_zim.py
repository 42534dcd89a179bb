"""Kiwix ZIM files (issue 16 item 4): real ZIMs built here with libzim's writer, a real SQLite store.

Both ways: ``factdesk index FILE.zim`` (resumable, re-runs skip) and the ``zim`` evidence source
that searches the ZIM's own full-text index (or its title index) at check time.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from factdesk.errors import ConfigError, FactdeskError, SourceError
from factdesk.pipeline import Pipeline
from factdesk.protocols import EvidenceSource
from factdesk.registry import create
from factdesk.settings import Settings
from factdesk.sources import zim
from factdesk.store import Store
from factdesk.testing import CORPUS, EvidenceSourceSuite

FACTDESK = [sys.executable, "-m", "factdesk.cli"]
# every test but the last needs the extra; .ci/run installs it for this file in a step of its own
requires_libzim = pytest.mark.skipif(importlib.util.find_spec("libzim") is None,
                                     reason="the zim extra is not installed: pip install '.[zim]'")


def _page(title: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><h1>{title}</h1>{body}</body></html>")


ARTICLES = {
    "Riverside_light_rail": ("Riverside light rail", _page(
        "Riverside light rail",
        "The Riverside light rail line opened to passengers in September 2019 after four years of construction.",
        "The line has 14 stations and runs 22 kilometres from the harbour to the airport.",
        "Construction cost 1.2 billion dollars, about 300 million dollars over the original budget.")),
    "Harbour_Bridge": ("Harbour Bridge", _page(
        "Harbour Bridge",
        "The Harbour Bridge is a steel arch bridge that opened in 1932.",
        "It carries rail, vehicle, bicycle and pedestrian traffic across the harbour.")),
    "Mount_Ember": ("Mount Ember", _page(
        "Mount Ember",
        "Mount Ember is a dormant volcano whose last eruption was recorded in 1781.",
        "Its summit reaches 2,310 metres and is covered in snow for half of the year.")),
    "Greenfield_library": ("Greenfield library", _page(
        "Greenfield library",
        "The Greenfield public library holds about 180,000 books and lends them free of charge.",
        "It was founded in 1905 with a gift from a local shipping merchant.")),
    "Tidewater_dam": ("Tidewater dam", _page(
        "Tidewater dam",
        "The Tidewater dam was completed in 1998 and supplies drinking water to the region.",
        "Its reservoir holds 40 million cubic metres of water when full.")),
}


def build_zim(path: Path, articles: dict[str, tuple[str, str]] = ARTICLES, *, indexing: bool = True,
              date: str = "2024-01-15") -> Path:
    """A real ZIM: the articles, a redirect, a stylesheet, a page without text, Title/Date/Language."""
    from libzim.writer import Creator, Hint, Item, StringProvider

    class Page(Item):
        def __init__(self, path: str, title: str, mimetype: str, content: str, front: bool) -> None:
            super().__init__()
            self._path, self._title, self._mimetype, self._content, self._front = (
                path, title, mimetype, content, front)

        def get_path(self) -> str:
            return self._path

        def get_title(self) -> str:
            return self._title

        def get_mimetype(self) -> str:
            return self._mimetype

        def get_contentprovider(self) -> StringProvider:
            return StringProvider(self._content)

        def get_hints(self) -> dict:
            return {Hint.FRONT_ARTICLE: self._front}

    with Creator(str(path)).config_indexing(indexing, "eng").config_verbose(False) as creator:
        creator.set_mainpath(next(iter(articles)))
        for key, value in (("Title", "Test Wikipedia"), ("Date", date), ("Language", "eng"),
                           ("Name", "test_wikipedia"), ("Description", "A small test wiki")):
            creator.add_metadata(key, value)
        for entry_path, (title, html) in articles.items():
            creator.add_item(Page(entry_path, title, "text/html", html, True))
        creator.add_item(Page("style.css", "", "text/css", "body { font-family: serif; }", False))
        creator.add_item(Page("Empty_page", "Empty page", "text/html",  # an HTML entry with no text to read
                              "<html><body><script>render()</script></body></html>", True))
        if "Riverside_light_rail" in articles:
            creator.add_redirection("LRT", "LRT", "Riverside_light_rail", {Hint.FRONT_ARTICLE: True})
    return path


@pytest.fixture
def wiki(tmp_path: Path) -> Path:
    return build_zim(tmp_path / "wiki.zim")


def _run(*args: str, db: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, FACTDESK_DB=str(db), FACTDESK_VERIFIER="baseline")
    return subprocess.run([*FACTDESK, *args], capture_output=True, text=True, env=env, timeout=300)


def _zim_documents(store: Store) -> list[tuple[str, str]]:
    rows = store.conn.execute("SELECT url, title FROM documents WHERE url LIKE 'zim://%' ORDER BY url").fetchall()
    return [(r[0], r[1]) for r in rows]


# -- factdesk index FILE.zim ------------------------------------------------------------------------
@requires_libzim
def test_index_zim_from_the_cli_then_search_and_reindex(wiki: Path, tmp_path: Path) -> None:
    db = tmp_path / "fd.db"
    first = _run("index", str(wiki), "--json", db=db)
    assert first.returncode == 0, first.stderr
    stats = json.loads(first.stdout)
    assert (stats["added"], stats["redirects"], stats["not_html"]) == (5, 1, 1)
    assert [f["path"] for f in stats["failed"]] == ["zim://wiki/Empty_page"]
    assert "no readable text" in stats["failed"][0]["error"]
    assert stats["passages"] >= 5

    found = _run("search", "How many stations does the Riverside light rail have?", "--json", "-k", "3", db=db)
    assert found.returncode == 0, found.stderr
    top = json.loads(found.stdout)[0]
    assert top["url"] == "zim://wiki/Riverside_light_rail"
    assert top["title"] == "Riverside light rail"
    assert top["published"] == "2024-01-15"  # the dump's date
    assert top["source"] == "Test Wikipedia"
    assert "14 stations" in top["text"]

    again = json.loads(_run("index", str(wiki), "--json", db=db).stdout)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 5)
    assert again["entries"] == 0  # the checkpoint says the whole file is done: no entry is read again
    with Store.open(db) as store:
        assert len(_zim_documents(store)) == 5


@requires_libzim
def test_an_interrupted_index_resumes_and_keeps_each_article_once(wiki: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real = zim.entry_document
    calls: list[str] = []

    def dies_on_the_fourth(zf, entry, data):
        calls.append(entry.path)
        if len(calls) == 4:
            raise KeyboardInterrupt  # a kill in the middle of the second chunk
        return real(zf, entry, data)

    with Store.open(tmp_path / "fd.db") as store:
        pipe = Pipeline(store, Settings(verifier="baseline"))
        monkeypatch.setattr(zim, "entry_document", dies_on_the_fourth)
        with pytest.raises(KeyboardInterrupt):
            pipe.index_zim(wiki, chunk=2)
        kept = _zim_documents(store)
        assert len(kept) == 2  # the first chunk was committed, the half-done second one was not
        passages_kept = store.count("passages")

        calls.clear()
        monkeypatch.setattr(zim, "entry_document", lambda zf, e, d: (calls.append(e.path), real(zf, e, d))[1])
        stats = pipe.index_zim(wiki, chunk=2)
        assert stats.resumed_from > 0
        assert (stats.added, stats.unchanged) == (3, 2)
        assert not set(calls) & {url.rsplit("/", 1)[1] for url, _ in kept}  # done articles were not read again
        docs = _zim_documents(store)
        assert [u for u, _ in docs] == sorted(f"zim://wiki/{p}" for p in ARTICLES)  # each exactly once
        assert store.count("passages") > passages_kept
        # every passage belongs to one of those documents, none twice
        dupes = store.conn.execute("SELECT count(*) FROM (SELECT document_id, start FROM passages "
                                   "GROUP BY document_id, start HAVING count(*) > 1)").fetchone()[0]
        assert dupes == 0


@requires_libzim
def test_limit_then_the_rest(wiki: Path, tmp_path: Path) -> None:
    with Store.open(tmp_path / "fd.db") as store:
        pipe = Pipeline(store, Settings(verifier="baseline"))
        first = pipe.index_zim(wiki, limit=2)
        assert (first.added, first.limited) == (2, True)
        assert len(_zim_documents(store)) == 2
        rest = pipe.index_zim(wiki)
        assert (rest.added, rest.unchanged, rest.limited) == (3, 2, False)
        assert len(_zim_documents(store)) == 5


@requires_libzim
def test_a_new_build_of_the_zim_updates_only_what_changed(tmp_path: Path) -> None:
    (tmp_path / "v1").mkdir()
    first = build_zim(tmp_path / "v1" / "wiki.zim")
    changed = dict(ARTICLES)
    changed["Mount_Ember"] = ("Mount Ember", _page(
        "Mount Ember", "Mount Ember is an active volcano that erupted again in March 2023.",
        "Ash from the eruption closed the regional airport for nine days."))
    (tmp_path / "v2").mkdir()
    second = build_zim(tmp_path / "v2" / "wiki.zim", changed, date="2024-06-01")
    with Store.open(tmp_path / "fd.db") as store:
        pipe = Pipeline(store, Settings(verifier="baseline"))
        pipe.index_zim(first)
        stats = pipe.index_zim(second)  # same name, another build (UUID): every article compared by hash
        assert (stats.added, stats.updated, stats.unchanged) == (0, 1, 4)
        texts = [t for (t,) in store.conn.execute(
            "SELECT text FROM documents WHERE url = 'zim://wiki/Mount_Ember'").fetchall()]
        assert len(texts) == 1 and "erupted again in March 2023" in texts[0]
        hits = pipe.retriever.search("dormant volcano last eruption 1781", k=5, mode="lexical")
        assert all("1781" not in h.passage.text for h in hits)  # the old article's passages are gone


@requires_libzim
def test_bad_zim_files_are_refused_clearly(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zim"
    junk.write_bytes(b"not a zim file at all\n" * 200)
    db = tmp_path / "fd.db"
    for path, words in ((tmp_path / "missing.zim", "no such ZIM file"), (junk, "not a readable ZIM file")):
        proc = _run("index", str(path), db=db)
        assert proc.returncode == 2, proc.stderr
        assert words in proc.stderr and "Traceback" not in proc.stderr
    proc = _run("index", str(junk), "--prune", db=db)
    assert proc.returncode == 2 and "--prune does not apply" in proc.stderr


# -- the zim evidence source ------------------------------------------------------------------------
@requires_libzim
def test_check_with_a_zim_source_added_from_the_cli(wiki: Path, tmp_path: Path) -> None:
    db = tmp_path / "fd.db"
    added = _run("sources", "add", "zim", str(wiki), db=db)
    assert added.returncode == 0, added.stderr
    article = tmp_path / "article.txt"
    article.write_text("Rail line ran over budget\n\ndate 2024-03-01\n\n"
                       "The Riverside light rail line has 20 stations, the transport minister said on Monday.\n",
                       encoding="utf-8")
    proc = _run("check", str(article), "--format", "json", db=db)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    evidence = [e for c in report["claims"] for e in c.get("evidence", [])]
    from_zim = [e for e in evidence if (e.get("provenance") or {}).get("source") == "zim"]
    assert from_zim, evidence
    assert from_zim[0]["provenance"]["url"] == "zim://wiki/Riverside_light_rail"
    assert "14 stations" in from_zim[0]["text"]
    used = {u["name"]: u for u in report["sources"]["used"]}
    assert used["zim"]["hits"] >= 1 and used["zim"]["failures"] == 0


@requires_libzim
def test_registered_source_conforms(wiki: Path) -> None:
    source = create("source", "zim", path=str(wiki))
    assert isinstance(source, EvidenceSource)
    assert source.name == "zim"
    source.warm_up()
    source.warm_up()  # cheap to call twice


@requires_libzim
class TestZimSourceConformance(EvidenceSourceSuite):
    """factdesk.testing's suite over a ZIM of its CORPUS, searched both ways."""

    @pytest.fixture(params=["full_text", "title"])
    def source(self, request: pytest.FixtureRequest, tmp_path: Path):
        articles = {d.title.replace(" ", "_"): (d.title, _page(d.title, d.text)) for d in CORPUS}
        path = build_zim(tmp_path / "corpus.zim", articles, indexing=request.param == "full_text")
        source = create("source", "zim", path=str(path))
        source.warm_up()
        assert source.uses_full_text == (request.param == "full_text")
        return source


@requires_libzim
def test_full_text_search_returns_passages_with_provenance(wiki: Path) -> None:
    source = zim.make_zim(str(wiki))
    assert source.uses_full_text
    hits = source.search("The Riverside light rail line has 14 stations", k=2)
    assert source.last_mode == "full_text"
    assert 1 <= len(hits) <= 2
    top = hits[0]
    assert "14 stations" in top.passage.text
    assert top.passage.title == "Riverside light rail" and top.passage.published == "2024-01-15"
    assert top.provenance is not None
    assert top.provenance["source"] == "zim"
    assert top.provenance["query"] == "The Riverside light rail line has 14 stations"
    assert top.provenance["url"] == top.passage.url == "zim://wiki/Riverside_light_rail"
    assert top.provenance["fetched_at"] == "2024-01-15"
    assert len(top.provenance["content_hash"]) == 64 and top.provenance["snapshot_id"] is None
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@requires_libzim
def test_full_text_finds_articles_when_not_every_word_matches(wiki: Path) -> None:
    # no article holds all these words, so libzim's every-word query finds nothing; each word alone does
    source = zim.make_zim(str(wiki))
    hits = source.search("Did the volcano erupt in 1781 near the library?", k=3)
    assert hits and hits[0].provenance["url"] == "zim://wiki/Mount_Ember"
    assert "1781" in hits[0].passage.text


@requires_libzim
def test_title_search_when_the_zim_has_no_full_text_index(tmp_path: Path) -> None:
    bare = build_zim(tmp_path / "titles-only.zim", indexing=False)
    source = zim.make_zim(str(bare))
    assert not source.uses_full_text
    hits = source.search("The Harbour Bridge opened in 1932", k=3)
    assert source.last_mode == "title"
    assert hits[0].provenance["url"] == "zim://titles-only/Harbour_Bridge"
    assert "1932" in hits[0].passage.text
    # a redirect's title leads to its target article
    via_redirect = source.search("LRT", k=1)
    assert via_redirect[0].provenance["url"] == "zim://titles-only/Riverside_light_rail"


@requires_libzim
def test_a_split_zim_opens_by_its_first_name(wiki: Path, tmp_path: Path) -> None:
    # Kiwix splits big ZIMs for FAT32 into FILE.zimaa, FILE.zimab …; libzim opens them as FILE.zim
    data = wiki.read_bytes()
    size = len(data) // 3 + 1
    for n, suffix in enumerate(("aa", "ab", "ac")):
        (tmp_path / f"split.zim{suffix}").write_bytes(data[n * size:(n + 1) * size])
    source = zim.make_zim(str(tmp_path / "split.zim"))
    hits = source.search("Harbour Bridge", k=1)
    assert hits and hits[0].provenance["url"] == "zim://split/Harbour_Bridge"
    with Store.open(tmp_path / "fd.db") as store:
        stats = Pipeline(store, Settings(verifier="baseline")).index_zim(tmp_path / "split.zim")
    assert stats.added == 5


@requires_libzim
def test_title_search_can_be_chosen_on_an_indexed_zim(wiki: Path) -> None:
    source = zim.make_zim(str(wiki), full_text=False)
    hits = source.search("When was Tidewater dam completed?", k=1)
    assert source.last_mode == "title"
    assert hits[0].provenance["url"] == "zim://wiki/Tidewater_dam"


@requires_libzim
def test_before_flags_passages_from_a_newer_dump(wiki: Path) -> None:
    source = zim.make_zim(str(wiki))
    older_claim = source.search("Harbour Bridge steel arch 1932", k=1, before="2023-05-01")
    newer_claim = source.search("Harbour Bridge steel arch 1932", k=1, before="2024-06-01")
    assert older_claim[0].after_claim_date is True
    assert newer_claim[0].after_claim_date is False


@requires_libzim
def test_source_errors_for_missing_and_damaged_files(tmp_path: Path, wiki: Path) -> None:
    with pytest.raises(SourceError, match="no such ZIM file"):
        zim.make_zim(str(tmp_path / "gone.zim")).search("anything")
    junk = tmp_path / "junk.zim"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(SourceError, match="not a readable ZIM file"):
        zim.make_zim(str(junk)).warm_up()
    truncated = tmp_path / "truncated.zim"
    truncated.write_bytes(wiki.read_bytes()[: wiki.stat().st_size // 3])
    with pytest.raises(SourceError):
        zim.make_zim(str(truncated)).search("Riverside light rail stations")


def test_without_libzim_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    wiki = tmp_path / "wiki.zim"
    wiki.write_bytes(b"ZIM\x04")  # never read: the missing library is reported first
    for name in ("libzim", "libzim.reader", "libzim.search", "libzim.suggestion"):
        monkeypatch.setitem(sys.modules, name, None)  # import libzim now fails as if it were not installed
    with pytest.raises(ConfigError) as made:
        zim.make_zim(str(wiki))
    assert "factdesk[zim]" in str(made.value)
    with pytest.raises(ConfigError) as opened:
        zim.open_zim(wiki)
    assert "factdesk[zim]" in str(opened.value)
    assert isinstance(opened.value, FactdeskError)


def test_a_zim_whose_every_article_fails_exits_non_zero(tmp_path: Path) -> None:
    """Like `index PATH` (issue 17 item 7): nothing readable is not a success a script could take for one."""
    pytest.importorskip("libzim")
    empty = {"Blank_one": ("Blank one", "<html><body><script>x()</script></body></html>")}
    zim = build_zim(tmp_path / "blank.zim", empty)
    done = _run("index", str(zim), db=tmp_path / "fd.db")
    assert done.returncode != 0
    assert "nothing indexed" in done.stderr and "2 article(s) failed" in done.stderr and "Traceback" not in done.stderr
