"""PDF reading: a hand-written PDF's text and metadata, and every kind of bad PDF."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from factdesk.errors import InputError
from factdesk.ingest import load
from factdesk.ingest.pdf import document_from_pdf

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def make_pdf(pages: list[list[str]], title: str | None = None, author: str | None = None,
             creation_date: str | None = None) -> bytes:
    """A minimal valid PDF with one Helvetica text line per string, correct xref offsets."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    page_ids, content_ids = [], []
    for lines in pages:
        ops = [b"BT", b"/F1 12 Tf", b"14 TL", b"72 720 Td"]
        for line in lines:
            esc = line.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
            ops.append(b"(" + esc + b") Tj T*")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        content_ids.append(add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"))
        page_ids.append(add(b""))  # written below, once the /Pages id is known
    pages_id = add(b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % p for p in page_ids)
                   + b"] /Count %d >>" % len(page_ids))
    for pid, cid in zip(page_ids, content_ids):
        objects[pid - 1] = (b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
                            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                            % (pages_id, font, cid))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    items = [b"/" + key + b" (" + value.encode("latin-1") + b")"
             for key, value in ((b"Title", title), (b"Author", author), (b"CreationDate", creation_date))
             if value is not None]
    info = add(b"<< " + b" ".join(items) + b" >>") if items else None

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info:
        trailer += b" /Info %d 0 R" % info
    out.write(b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


REPORT = make_pdf(
    [["Port Aldine dam annual report", "The dam opened in 1998 (after six years of work)."],
     ["The reservoir was 80 percent full in March."]],
    title="Port Aldine dam report", author="Aldine Water Board", creation_date="D:20240303120000+01'00'",
)


def test_fixture_pdf_matches_generator():
    # tests/fixtures/ingest/report.pdf is this generator's output, kept for the URL tests
    assert (FIXTURES / "report.pdf").read_bytes() == REPORT


def test_pdf_text_and_metadata(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(REPORT)
    doc = load(path)
    assert doc.kind == "pdf"
    assert doc.title == "Port Aldine dam report"
    assert doc.author == "Aldine Water Board"
    assert doc.published == "2024-03-03"
    assert doc.path == str(path.resolve())
    assert "The dam opened in 1998 (after six years of work)." in doc.text
    assert "The reservoir was 80 percent full in March." in doc.text
    # pages are separate paragraphs, in order
    assert doc.text.index("1998") < doc.text.index("reservoir")
    assert "\n\n" in doc.text


def test_pdf_without_metadata_gets_heading_title():
    doc = document_from_pdf(make_pdf([["Dam report", "The dam opened in 1998."]]))
    assert doc.title == "Dam report"
    assert doc.published is None


@pytest.mark.parametrize("data, message", [
    (b"%PDF-1.4\ngarbage garbage garbage", "malformed PDF"),
    (REPORT[:300], "malformed PDF"),
    (REPORT.replace(b"startxref", b"startxxxx"), "malformed PDF"),
    (b"%PDF-1.4\n" + bytes(range(256)) * 20, "malformed PDF"),
    (make_pdf([[]]), "no extractable text"),
])
def test_bad_pdf_is_input_error(data, message):
    with pytest.raises(InputError) as info:
        document_from_pdf(data, path="bad.pdf")
    assert message in str(info.value)
    assert "bad.pdf" in str(info.value)
    assert "\n" not in str(info.value)


def test_pdf_suffix_without_pdf_marker(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_text("just some text pretending to be a PDF\n")
    with pytest.raises(InputError, match="not a PDF file"):
        load(path)


def test_encrypted_pdf():
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(REPORT)))
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(InputError, match="password-protected|encrypted"):
        document_from_pdf(out.getvalue(), path="locked.pdf")


def test_pdf_encrypted_with_empty_password_opens():
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(REPORT)))
    writer.encrypt("", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    doc = document_from_pdf(out.getvalue())
    assert "opened in 1998" in doc.text
