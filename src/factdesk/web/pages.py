"""The server-rendered pages: submit, the list of checks, one check (with its review forms), the corpus.

Pages are kept out of the API schema.  Forms post with their CSRF token; a
refused submission shows the form again with the message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from factdesk.errors import FactdeskError
from factdesk.web import checks, review
from factdesk.web.api import ReviewIn
from factdesk.web.auth import editor, identify_sync, reader
from factdesk.web.state import Desk, desk_of
from factdesk.web.templating import render, segments

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request) -> Response:
    await reader(request)
    stats = await run_in_threadpool(checks.corpus_stats, desk_of(request))
    return render(request, "submit.html", {"nav": "submit", "stats": stats, "error": None, "form": {}})


@router.post("/checks")
async def form_submit(request: Request, text: str = Form(""), url: str = Form(""), title: str = Form(""),
                      file: UploadFile | None = File(None)) -> Response:
    user = await editor(request)
    desk = desk_of(request)
    data, filename = None, None
    if file is not None and file.filename:
        data, filename = await file.read(), file.filename
    try:
        job = await run_in_threadpool(lambda: checks.submit(desk, user, text=text or None, url=url or None,
                                                            filename=filename, data=data, title=title))
    except FactdeskError as exc:
        stats = await run_in_threadpool(checks.corpus_stats, desk)
        return render(request, "submit.html", {"nav": "submit", "stats": stats, "error": str(exc),
                                               "form": {"text": text, "url": url, "title": title}},
                      status_code=exc.status)
    return RedirectResponse(f"/checks/{job}", status_code=303)


def _checks_context(desk: Desk) -> dict[str, Any]:
    store = desk.store()
    jobs = store.desk.list_jobs(200)
    reports = store.list_reports(limit=200)
    linked = {j["report_id"] for j in jobs if j.get("report_id")}
    return {"jobs": jobs, "reports": {r["id"]: r for r in reports},
            "others": [r for r in reports if r["id"] not in linked], "approved": store.desk.approved_counts()}


@router.get("/checks")
async def checks_page(request: Request) -> Response:
    await reader(request)
    ctx = await run_in_threadpool(_checks_context, desk_of(request))
    return render(request, "checks.html", {"nav": "checks", **ctx})


def _check_context(desk: Desk, check_id: str) -> dict[str, Any]:
    job = checks.resolve(desk, check_id)
    ctx: dict[str, Any] = {"job": job, "report": None}
    if job["status"] == "done" and job.get("report_id"):
        d = review.reviewed_report(desk.store(), job["report_id"])
        claims = d.get("claims") or []
        ctx.update(report=d, segments=segments(d), edits=desk.store().desk.list_edits(d["id"]),
                   claim_numbers={c["id"]: i + 1 for i, c in enumerate(claims)},
                   passage_titles={ev.get("passage_id"): ev.get("document") for c in claims
                                   for ev in c.get("evidence") or [] if isinstance(ev, dict)})
    return ctx


@router.get("/checks/{check_id}")
async def check_page(request: Request, check_id: str) -> Response:
    user = await reader(request)
    ctx = await run_in_threadpool(_check_context, desk_of(request), check_id)
    return render(request, "check.html", {"nav": "checks", "can_edit": user.can_edit, "labels": review.LABELS,
                                          **ctx})


@router.post("/checks/{check_id}/claims/{claim_id}/review")
async def form_review(request: Request, check_id: str, claim_id: str) -> Response:
    user = await editor(request)
    form = await request.form()
    label, explanation, note = form.get("label"), form.get("explanation"), form.get("note")
    approve = True if form.get("approve") == "1" else (False if form.get("approve_field") == "1" else None)
    body = ReviewIn(label=label if isinstance(label, str) and label else None,
                    explanation=explanation if isinstance(explanation, str) else None,
                    note=note if isinstance(note, str) else None, approve=approve,
                    irrelevant_evidence_ids=[v for v in form.getlist("irrelevant") if isinstance(v, str)]
                    if form.get("evidence_form") == "1" else None)
    await run_in_threadpool(checks.review_claim, desk_of(request), check_id, claim_id, user, body.changes())
    return RedirectResponse(f"/checks/{quote(check_id, safe='')}#claim-{quote(claim_id, safe='')}",
                            status_code=303)


def _export_route(fmt: str) -> Callable[..., Response]:
    def export_route(request: Request, check_id: str, approved_only: bool = False) -> Response:
        identify_sync(request)
        return checks.export(desk_of(request), check_id, fmt, approved_only, str(request.base_url))
    return export_route


for _fmt, (_, _ext) in checks.EXPORTS.items():
    router.add_api_route(f"/checks/{{check_id}}/export.{_ext}", _export_route(_fmt), methods=["GET"])


def _corpus_context(desk: Desk, q: str, before: str) -> dict[str, Any]:
    ctx: dict[str, Any] = {"stats": checks.corpus_stats(desk), "q": q, "before": before, "results": None,
                           "error": None}
    if q.strip():
        try:
            ctx["results"] = checks.search(desk, q.strip(), 10, before.strip() or None, "hybrid")
        except (FactdeskError, ValueError) as exc:
            ctx["error"] = str(exc)
    ctx["documents"] = desk.store().find_documents(limit=100)
    return ctx


@router.get("/corpus")
async def corpus_page(request: Request, q: str = Query("", max_length=500), before: str = "") -> Response:
    await reader(request)
    ctx = await run_in_threadpool(_corpus_context, desk_of(request), q, before)
    return render(request, "corpus.html", {"nav": "corpus", **ctx})


@router.get("/healthz")
def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok\n")
