"""Ingestion of files: text, Markdown, HTML, and everything that must be refused."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from factdesk.errors import FetchError, InputError, UnsafeURLError
from factdesk.ingest import SUPPORTED_SUFFIXES, file_sha256, find_files, load, load_file
from factdesk.ingest._common import decode_bytes, normalize_text, parse_date
from factdesk.ingest.html import document_from_html
from factdesk.ingest.text import document_from_markdown, document_from_text
from factdesk.types import Document

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def fixture(name: str) -> Path:
    return FIXTURES / name


def one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# ---------------------------------------------------------------- plain text

def test_text_date_line():
    doc = load(fixture("dated.txt"))
    assert doc.published == "2024-03-01"
    assert doc.kind == "text"
    assert doc.text.startswith("The Port Aldine dam opened in 1998")
    assert "date 2024" not in doc.text
    assert doc.path == str(fixture("dated.txt").resolve())


def test_document_from_text_reads_the_date_header():
    doc = document_from_text("date 2024-03-01\nThe dam opened in 1998.")
    assert (doc.published, doc.text) == ("2024-03-01", "The dam opened in 1998.")
    assert doc.id == Document(text="The dam opened in 1998.", published="2024-03-01", kind=doc.kind).id


def test_text_header_keys_and_normalisation():
    doc = load(fixture("header.txt"))
    assert doc.title == "Port Aldine dam turns 25"
    assert doc.author == "Jane Roe"
    assert doc.published == "2024-03-05"
    assert doc.source == "Aldine Gazette"
    assert doc.url == "https://gazette.example/dam-25"
    assert doc.text.startswith("The Port Aldine dam, which opened in 1998")
    assert "Title:" not in doc.text and "Author:" not in doc.text
    assert "this year.\n" in doc.text  # trailing spaces stripped
    assert "\n\n\n" not in doc.text  # blank-line runs collapsed
    assert doc.text.endswith("A ceremony is planned for June.")


def test_text_dateline_gives_date_and_stays_in_text():
    doc = load(fixture("dateline.txt"))
    assert doc.published == "2024-03-03"
    assert doc.title == "Dam spillway reopens after repairs"
    assert "PORT ALDINE, March 3, 2024 — The spillway" in doc.text
    assert doc.text.startswith("Dam spillway reopens after repairs\n\n")


@pytest.mark.parametrize("text, date", [
    ("LONDON (Reuters), 3 March 2024 - Prices rose.", "2024-03-03"),
    ("WASHINGTON, Jan. 5, 2023 — Senators met.", "2023-01-05"),
    ("SAN JOSE, Calif., Feb 29, 2024 - Chips sold.", "2024-02-29"),
    ("NEW YORK, March 3 (Reuters) - No year here.", None),
    ("London was busy on March 3, 2024 - it rained.", None),
    ("The dam opened on 3 March 2024 - officials said.", None),
])
def test_datelines(text, date):
    assert document_from_text(text).published == date


def test_header_date_beats_dateline_and_meta_beats_both():
    text = "date 2024-01-01\nLONDON, 3 March 2024 - Rain fell."
    assert document_from_text(text).published == "2024-01-01"
    doc = document_from_text(text, published="2020-02-02", title="Given", path="/x/y.txt", url=None)
    assert (doc.published, doc.title, doc.path, doc.url) == ("2020-02-02", "Given", "/x/y.txt", None)


def test_meta_bad_date_and_unknown_field():
    with pytest.raises(InputError, match="not a date"):
        document_from_text("Some text.", published="someday")
    with pytest.raises(TypeError):
        document_from_text("Some text.", colour="red")


def test_text_without_header_is_untouched():
    text = "Note: this is not a header.\nThe dam opened in 1998."
    doc = document_from_text(text)
    assert doc.text == text
    assert doc.published is None and doc.title is None


def test_title_guess_needs_a_heading_like_first_line():
    assert document_from_text("The dam opened in 1998. It is big.\n\nMore.").title is None
    assert document_from_text("Dam opens\n\nThe dam opened in 1998.").title == "Dam opens"
    assert document_from_text("Only one line").title is None


def test_normalisation_keeps_other_text():
    raw = "Cafe\u0301 opened.  \r\nSecond line\t\r\n\r\n\r\n\r\nThird \u201cquoted\u201d."
    assert normalize_text(raw) == "Caf\u00e9 opened.\nSecond line\n\nThird \u201cquoted\u201d."


@pytest.mark.parametrize("value, iso", [
    ("2024-03-03T09:30:00+00:00", "2024-03-03"),
    ("March 3, 2024", "2024-03-03"),
    ("Sun, 03 Mar 2024 10:00:00 GMT", "2024-03-03"),
    ("D:20240303120000+01'00'", "2024-03-03"),
    ("20240303", "2024-03-03"),
    ("2024", None),
    ("March 2024", None),
    ("2024-02-30", None),
    ("not a date", None),
    (None, None),
])
def test_parse_date(value, iso):
    assert parse_date(value) == iso


# ------------------------------------------------------------------ Markdown

def test_markdown_front_matter_and_stripping():
    doc = load(fixture("front_matter.md"))
    assert doc.kind == "markdown"
    assert doc.title == "Water board budget, explained"
    assert doc.author == "Sam Lee"
    assert doc.published == "2024-02-10"
    assert doc.text.startswith("Where the money goes\n\n")
    assert "The water board spent 41 million dollars on the spillway repair." in doc.text
    for syntax in ("**", "](", "# ", "> ", "`", "---", "tags"):
        assert syntax not in doc.text
    assert "The dam opened in 1998." in doc.text


def test_markdown_heading_is_title_without_front_matter():
    doc = document_from_markdown("Intro line.\n\n# The *real* title\n\nBody with snake_case and 2*3*4.")
    assert doc.title == "The real title"
    assert "snake_case" in doc.text and "2*3*4" in doc.text


def test_markdown_offsets_refer_to_returned_text():
    doc = document_from_markdown("# Dam\n\nThe [dam](http://x.example/d) opened in **1998**.")
    start = doc.text.index("opened in 1998")
    assert doc.text[start:start + len("opened in 1998")] == "opened in 1998"
    assert doc.text == "Dam\n\nThe dam opened in 1998."


# ---------------------------------------------------------------------- HTML

def test_html_news_page():
    doc = load(fixture("news.html"))
    assert doc.kind == "html"
    assert doc.title == "Port Aldine dam reopens after repairs"
    assert doc.author == "Jane Roe"
    assert doc.published == "2024-03-03"
    assert doc.source == "Aldine Gazette"
    assert "reopened on Sunday after a two-year repair programme" in doc.text
    assert "“a relief for farmers”" in doc.text
    for leak in ("MUST_NOT_LEAK", "trackingSecret", "document.write", "All rights reserved", "Sport"):
        assert leak not in doc.text
    assert "\n\n" in doc.text  # paragraphs stay paragraphs


def test_html_hostile_markup():
    doc = load(fixture("hostile.html"))
    assert "The reservoir held 80 percent of its capacity in March" in doc.text
    assert "Inspectors found no cracks" in doc.text
    for leak in ("alert", "onerror", "SCRIPT_IN_TABLE", "BODY_ONLOAD", "<"):
        assert leak not in doc.text


@pytest.mark.parametrize("name", ["cp1252_declared_utf8.html", "cp1252_no_charset.html",
                                  "utf8_declared_latin1.html"])
def test_html_wrong_or_missing_charset(name):
    doc = load(fixture(name))
    assert "après deux ans de travaux, a déclaré le syndicat" in doc.text
    assert "41 millions d’euros — un «" in doc.text and "soulagement" in doc.text
    assert "\ufffd" not in doc.text and "Ã" not in doc.text
    assert "SCRIPT_CP1252" not in doc.text
    assert doc.title == "Barrage rouvert à Port Aldine"


def test_decode_bytes_order():
    assert decode_bytes("é".encode("utf-8"), ["latin-1"]) == ("é", "utf-8")
    assert decode_bytes("é".encode("cp1252"), ["utf-8"])[0] == "é"
    assert decode_bytes(b"\xef\xbb\xbfok", ["cp1252"]) == ("ok", "utf-8")
    assert decode_bytes("x".encode("utf-16"), ["nonsense-charset"])[0] == "x"


def test_html_fallback_when_trafilatura_finds_nothing(monkeypatch):
    import factdesk.ingest.html as html_reader

    monkeypatch.setattr(html_reader, "_trafilatura", lambda html, url: {})
    html = ("<html><head><title>Tiny</title><script>SECRET()</script>"
            '<meta name="author" content="Ann Bee"><meta property="article:published_time" content="2024-03-03">'
            "</head><body><nav>Menu</nav><div>Dam <b>open</b>.<p>Second <i>para</div><style>.x{}</style>"
            "<footer>Copyright</footer><script>never()</script></body></html>")
    doc = document_from_html(html)
    assert doc.text == "Dam open.\n\nSecond para"
    assert (doc.title, doc.author, doc.published) == ("Tiny", "Ann Bee", "2024-03-03")
    # nothing but furniture: the furniture is better than nothing
    assert document_from_html("<nav>Only the menu</nav><script>x()</script>").text == "Only the menu"


@pytest.mark.parametrize("html", [
    "<html><body><script>only_script()</script></body></html>",
    "<html><head><title>Empty</title></head><body>   </body></html>",
    "",
])
def test_html_without_text(html):
    with pytest.raises(InputError, match="no readable text"):
        document_from_html(html.encode(), path="page.html")


def test_html_broken_bytes_do_not_crash():
    junk = b"<html><body><p>Valid start \xff\xfe\xfa</p><div><<<>>><p>More text here.</div" + b"\x81" * 20
    doc = document_from_html(junk)
    assert "Valid start" in doc.text


def test_html_with_xml_declaration():
    html = ('<?xml version="1.0" encoding="iso-8859-1"?>\n<html><body><p>Caf\xe9 prices rose in 2024.'
            '</p></body></html>').encode("latin-1")
    assert "Café prices rose in 2024." in document_from_html(html).text


# ------------------------------------------------------------- bad file input

def test_missing_file():
    with pytest.raises(InputError) as info:
        load("/no/such/dir/article.txt")
    assert one_line(info).startswith("no such file: /no/such/dir/article.txt")


def test_missing_file_that_looks_like_a_web_address():
    with pytest.raises(InputError) as info:
        load("example.org/news/dam")
    assert "https://example.org/news/dam" in one_line(info)


@pytest.mark.parametrize("content", [b"", b"   \n\n\t  \n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load(path)
    assert one_line(info) == f"{path} is empty"


def test_header_only_file_is_empty(tmp_path):
    path = tmp_path / "header-only.txt"
    path.write_text("date 2024-03-01\n")
    with pytest.raises(InputError, match="is empty"):
        load(path)


@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_binary_junk(tmp_path, suffix):
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(InputError) as info:
        load(path)
    assert "looks like binary data, not text" in one_line(info)


def test_binary_without_nul_bytes(tmp_path):
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(b for b in range(1, 256) if b not in (9, 10, 13)) * 8)
    with pytest.raises(InputError, match="binary data"):
        load(path)


def test_legacy_encoded_text_file_reads(tmp_path):
    path = tmp_path / "old.txt"
    path.write_bytes("Le barrage a rouvert après deux ans de travaux, a déclaré le syndicat.\n".encode("cp1252"))
    assert "après deux ans" in load(path).text


def test_utf16_text_file_with_bom_reads(tmp_path):
    path = tmp_path / "wide.txt"
    path.write_bytes("The dam opened in 1998.".encode("utf-16"))
    assert load(path).text == "The dam opened in 1998."


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "report.docx"
    path.write_bytes(b"PK\x03\x04 not really a docx")
    with pytest.raises(InputError) as info:
        load(path)
    message = one_line(info)
    assert "unsupported file type '.docx'" in message
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in message


def test_directory(tmp_path):
    with pytest.raises(InputError) as info:
        load(tmp_path)
    assert "is a directory" in one_line(info) and "factdesk index" in one_line(info)


def test_too_large(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("The dam opened in 1998. " * 100)
    with pytest.raises(InputError, match="larger than 1000 bytes"):
        load(path, max_bytes=1000)


def test_txt_that_is_html_reads_as_text(tmp_path):
    path = tmp_path / "saved.txt"
    path.write_text("<p>The dam opened in 1998.</p>\n")
    doc = load(path)
    assert doc.kind == "text" and "The dam opened in 1998." in doc.text


def test_html_suffix_goes_through_html_reader(tmp_path):
    path = tmp_path / "page.HTM"
    path.write_bytes(b"<html><body><p>The dam opened in 1998.</p><script>x()</script></body></html>")
    doc = load(path)
    assert doc.kind == "html" and doc.text == "The dam opened in 1998."


@pytest.mark.parametrize("url, error", [
    ("file:///etc/passwd", UnsafeURLError),
    ("ftp://ftp.example.org/pub/article.txt", UnsafeURLError),
    ("gopher://example.org/1", UnsafeURLError),
    ("http://169.254.169.254/latest/meta-data/", UnsafeURLError),
    ("http://localhost/", UnsafeURLError),
    ("http://[::1]/", UnsafeURLError),
    ("http://2130706433/", UnsafeURLError),
    ("http://127.0.0.1:9/", UnsafeURLError),
])
def test_refused_urls_via_load(url, error):
    with pytest.raises(error) as info:
        load(url)
    assert isinstance(info.value, FetchError) and isinstance(info.value, InputError)
    message = one_line(info)
    assert message.startswith(f"refusing {url}")


# ------------------------------------------------------------ finding files

def test_find_files(tmp_path):
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "a.MD").write_text("a")
    (tmp_path / "skip.docx").write_text("x")
    (tmp_path / ".hidden.txt").write_text("h")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "c.txt").write_text("c")
    sub = tmp_path / "sub" / "deeper"
    sub.mkdir(parents=True)
    (sub / "d.html").write_text("<p>d</p>")
    (sub / "e.pdf").write_bytes(b"%PDF-1.4")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    os.symlink(outside / "secret.txt", tmp_path / "link-out.txt")
    os.symlink(outside, tmp_path / "dir-out")
    os.symlink(tmp_path / "b.txt", tmp_path / "link-in.txt")
    found = find_files(tmp_path)
    names = [p.relative_to(tmp_path).as_posix() for p in found]
    assert names == ["a.MD", "b.txt", "link-in.txt", "sub/deeper/d.html", "sub/deeper/e.pdf"]
    assert found == sorted(found)


def test_find_files_missing_folder(tmp_path):
    with pytest.raises(InputError, match="no such folder"):
        find_files(tmp_path / "nope")


def test_load_file_and_sha256(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"date 2024-03-01\nThe dam opened in 1998.\n")
    doc = load_file(path)
    assert doc.published == "2024-03-01" and doc.path == str(path.resolve())
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_file_same_id():
    assert load(fixture("news.html")).id == load(fixture("news.html")).id


def test_a_subfolder_that_cannot_be_listed_is_reported_not_skipped_silently(tmp_path: Path, monkeypatch) -> None:
    """Issue 17: index named nothing when a subfolder was unreadable (we simulate the permission error: tests
    may run as root, who can list anything)."""
    import os

    from factdesk.ingest import find_files

    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.txt").write_text("The dam opened in 1998.")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "b.txt").write_text("Tolls rose 12% in 2023.")
    real = os.scandir

    def scandir(path=".", *a, **kw):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *a, **kw)

    monkeypatch.setattr(os, "scandir", scandir)
    problems: list[tuple[str, str]] = []
    files = find_files(tmp_path, unreadable=problems)
    assert [f.name for f in files] == ["a.txt"]
    assert len(problems) == 1 and problems[0][0].endswith("locked") and "Permission denied" in problems[0][1]


def test_a_tag_with_thousands_of_attributes_is_read_quickly(tmp_path: Path) -> None:
    """Issue 17: 200,000 attributes on one tag kept the HTML parsers busy for minutes."""
    import time

    from factdesk.ingest import load_file

    page = tmp_path / "attrs.html"
    attrs = " ".join(f'data-x{i}="y"' for i in range(100_000))
    page.write_text(f"<html><head><title>Dam</title></head><body><p {attrs}>The dam opened in 1998 after "
                    "six years of work by the regional authority.</p></body></html>")
    started = time.perf_counter()
    doc = load_file(page)
    assert "The dam opened in 1998" in doc.text
    assert time.perf_counter() - started < 20
