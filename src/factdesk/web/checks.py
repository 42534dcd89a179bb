"""What the desk does with checks, shared by the API and the pages: submit, look up, review, export, search.

Each function takes the :class:`~factdesk.web.state.Desk` and plain values,
runs in a worker thread (it uses ``desk.store()``, this thread's connection)
and raises FactdeskErrors; the routers only turn requests into calls and
results into responses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import Response

from factdesk import ingest, registry
from factdesk.errors import (
    InputError,
    NotFoundError,
    NotReadyError,
    RequestError,
    TooLargeError,
    UnsupportedTypeError,
)
from factdesk.ingest.url import check_url as guard_url
from factdesk.report import render
from factdesk.web import review
from factdesk.web.sessions import User
from factdesk.web.state import Desk

_BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x7fELF", b"MZ", b"\x1f\x8b", b"BZh",
                 b"7z\xbc\xaf", b"Rar!", b"\x00\x00\x01\x00", b"RIFF", b"OggS", b"ID3", b"\xd0\xcf\x11\xe0")
_JOB_FIELDS = ("id", "status", "stage", "progress", "error", "report_id", "title", "submitted_by", "created",
               "started", "finished")
# export format -> (media type, file extension)
EXPORTS = {"json": ("application/json", "json"), "markdown": ("text/markdown", "md"),
           "html": ("text/html", "html"), "claimreview": ("application/ld+json", "claimreview.json")}


# -- looking checks up ---------------------------------------------------------------------------------
def resolve(desk: Desk, check_id: str) -> dict[str, Any]:
    """The job of ``check_id``; a report made with the CLI (no job) is shown as a finished one."""
    tables = desk.store().desk
    job = tables.get_job(check_id)
    if job is not None:
        return job
    head = tables.report_head(check_id)
    if head is None:
        raise NotFoundError(f"no check {check_id!r}")
    job = tables.job_for_report(head["id"])
    if job is not None:
        return job
    return {"id": head["id"], "status": "done", "stage": "done", "progress": 1.0, "error": None,
            "report_id": head["id"], "input_kind": "cli", "filename": None, "title": head["title"],
            "submitted_by": None, "attempts": 0, "created": head["created"], "started": None,
            "finished": head["created"]}


def done_report(desk: Desk, check_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The job and its reviewed report; NotReadyError (409) while the check is not done."""
    job = resolve(desk, check_id)
    if job["status"] != "done" or not job["report_id"]:
        raise NotReadyError(f"check {check_id} is {job['status']}, not done")
    return job, review.reviewed_report(desk.store(), job["report_id"])


def job_json(desk: Desk, job: dict[str, Any], include_report: bool) -> dict[str, Any]:
    out = {k: job.get(k) for k in _JOB_FIELDS}
    out["input"] = job.get("input_kind")
    if include_report and job["status"] == "done" and job.get("report_id"):
        out["report"] = review.reviewed_report(desk.store(), job["report_id"])
    return out


def list_checks(desk: Desk, limit: int) -> list[dict[str, Any]]:
    """Jobs newest first, each with its report's title and verdict counts once done."""
    store = desk.store()
    reports = {r["id"]: r for r in store.list_reports(limit=max(limit, 200))}
    out = []
    for j in store.desk.list_jobs(limit):
        item = job_json(desk, j, False)
        r = reports.get(j.get("report_id") or "")
        item["title"] = j.get("report_title") or j.get("title")
        item["verdicts"] = r["verdicts"] if r else {}
        out.append(item)
    return out


# -- submitting ----------------------------------------------------------------------------------------
def check_upload(desk: Desk, filename: str, data: bytes) -> None:
    """Refuse, before queueing, an upload the worker could not read (with the right status)."""
    if len(data) > desk.max_upload_bytes:
        raise TooLargeError(f"the file is larger than {desk.max_upload_bytes} bytes")
    suffix = Path(filename or "").suffix.lower()
    if suffix not in ingest.SUPPORTED_SUFFIXES:
        raise UnsupportedTypeError(f"unsupported file type {suffix or '(no extension)'}: "
                                   "use .txt, .md, .html or .pdf")
    if not data.strip():
        raise InputError("the file is empty")
    head = data[:8192]
    looks_pdf = b"%PDF-" in data[:1024]
    if suffix == ".pdf":
        if not looks_pdf:
            raise UnsupportedTypeError("the file is named .pdf but is not a PDF")
        return
    if looks_pdf:
        raise UnsupportedTypeError(f"the file is a PDF named {suffix}; rename it to .pdf")
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if head.startswith(_BINARY_MAGIC) or (b"\x00" in head and not utf16):
        raise UnsupportedTypeError(f"the file is binary data, not {suffix} text")


def check_url(desk: Desk, url: str) -> str:
    url = url.strip()
    if not url:
        raise InputError("the URL is empty")
    if len(url) > 2000:
        raise InputError("the URL is longer than 2000 characters")
    guard_url(url, allow_private=desk.settings.allow_private)  # UnsafeURLError: 400 unsafe_url
    return url


def submit(desk: Desk, user: User, *, text: str | None, url: str | None, filename: str | None,
           data: bytes | None, title: str | None) -> str:
    """Queue a check of exactly one of text, URL or file; returns the job id."""
    given = [x for x in (text and text.strip(), url and url.strip(), data is not None and filename) if x]
    if len(given) != 1:
        raise InputError("give exactly one of: text, url, file")
    title = (title or "").strip()[:500] or None
    tables = desk.store().desk
    if data is not None and filename:
        check_upload(desk, filename, data)
        job = tables.create_job(kind="file", blob=data, filename=Path(filename).name[:200], title=title,
                                user=user.name)
    elif url and url.strip():
        job = tables.create_job(kind="url", text=check_url(desk, url), title=title, user=user.name)
    else:
        assert text is not None
        if len(text.encode("utf-8")) > desk.max_upload_bytes:
            raise TooLargeError(f"the text is larger than {desk.max_upload_bytes} bytes")
        job = tables.create_job(kind="text", text=text, title=title, user=user.name)
    desk.notify_worker()
    return job


# -- reviewing and exporting -----------------------------------------------------------------------------
def review_claim(desk: Desk, check_id: str, claim_id: str, user: User, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply a reviewer's ``changes`` (label, explanation, note, approve, irrelevant) to one claim."""
    job, _ = done_report(desk, check_id)
    reviewed = review.review_claim(desk.store(), job["report_id"], claim_id, user.name, **changes)
    claim = next(c for c in reviewed["claims"] if c["id"] == claim_id)
    return {"check_id": job["id"], "report_id": reviewed["id"], "claim": claim, "review": reviewed["review"]}


def export(desk: Desk, check_id: str, fmt: str, approved_only: bool, desk_url: str) -> Response:
    """The reviewed report as a download in ``fmt`` (see :data:`EXPORTS`)."""
    _, d = done_report(desk, check_id)
    if fmt not in EXPORTS:
        raise NotFoundError(f"unknown export format {fmt!r}: json, markdown, html, claimreview")
    if approved_only:
        d = dict(d, claims=[c for c in d["claims"] if c.get("review", {}).get("approved")])
    s = desk.settings
    if fmt == "claimreview":
        body = render(d, "claimreview", publisher=s.publisher, publisher_url=s.publisher_url,
                      review_url=s.review_url_template, desk_url=desk_url)
    elif fmt == "markdown":
        body = render(d, "markdown") + review.review_markdown(d)
    else:
        body = render(d, fmt)
    media, ext = EXPORTS[fmt]
    disposition = "attachment" if fmt == "html" else "inline"
    return Response(body, media_type=media + "; charset=utf-8",
                    headers={"content-disposition": f'{disposition}; filename="factdesk-{d["id"]}.{ext}"'})


# -- the corpus ------------------------------------------------------------------------------------------
def search(desk: Desk, q: str, k: int, before: str | None, mode: str) -> list[dict[str, Any]]:
    """Search the indexed corpus with the retriever the checks use (setting ``retriever``)."""
    store = desk.store()
    if store.count("passages") == 0:
        return []
    embedder = desk.embedders.get if mode != "lexical" else lambda: None  # lexical: no model to load
    retriever = registry.create("retriever", desk.settings.retriever, parts={"store": lambda: store,
                                "embedder": embedder}, **desk.settings.options_for("retriever"))
    try:
        hits = retriever.search(q, k, mode=mode, before=before or None,
                                max_per_document=desk.settings.max_per_document)
    except ValueError as exc:
        raise RequestError(str(exc)) from None
    return [h.to_dict() for h in hits]


def corpus_stats(desk: Desk) -> dict[str, int]:
    return desk.store().desk.corpus_counts()
