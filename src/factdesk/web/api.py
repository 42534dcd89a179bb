"""The JSON API under ``/api/`` (documented at ``/api/openapi.json``).

Scripts authenticate with ``Authorization: Bearer <token>`` (``factdesk user
token NAME``); every error is the one shape of :mod:`factdesk.web.errors`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from factdesk.errors import HTTPError, InputError, RequestError
from factdesk.web import checks
from factdesk.web.auth import editor, identify_sync
from factdesk.web.state import desk_of


class CheckIn(BaseModel):
    """Exactly one of ``text`` and ``url`` (files go as multipart ``file``)."""

    text: str | None = Field(None, description="article text (plain text; a `date YYYY-MM-DD` line is read)")
    url: str | None = Field(None, description="an http(s) URL, fetched through the SSRF guard")
    title: str | None = Field(None, max_length=500)


class CheckQueued(BaseModel):
    id: str
    status: str
    url: str


class ReviewIn(BaseModel):
    label: str | None = Field(None, description="supported | refuted | not_enough_evidence | conflicting")
    explanation: str | None = None
    note: str | None = None
    approve: bool | None = Field(None, description="true approves, false withdraws an approval")
    irrelevant_evidence_ids: list[str] | None = Field(
        None, description="the complete set of evidence passage ids marked irrelevant (omit: leave as is)")

    def changes(self) -> dict[str, Any]:
        """The keyword arguments of :func:`factdesk.web.review.review_claim`."""
        return {"label": self.label, "explanation": self.explanation, "note": self.note, "approve": self.approve,
                "irrelevant": self.irrelevant_evidence_ids}


class ErrorOut(BaseModel):
    error: dict[str, Any]


ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (400, 401, 403, 404, 413, 415, 422)}
SUBMIT_BODY = {"requestBody": {"content": {
    "application/json": {"schema": CheckIn.model_json_schema()},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}, "title": {"type": "string"}}}}}}}

router = APIRouter(prefix="/api", responses=ERRORS)


async def _submission(request: Request) -> dict[str, Any]:
    """The keyword arguments of :func:`checks.submit` from a JSON or multipart body."""
    if "multipart/form-data" in request.headers.get("content-type", ""):
        form = await request.form()
        upload = form.get("file")
        if not hasattr(upload, "read"):
            raise InputError("multipart requests need a `file` field")
        title = form.get("title")
        return {"text": None, "url": None, "filename": upload.filename or "",  # type: ignore[union-attr]
                "data": await upload.read(), "title": title if isinstance(title, str) else None}  # type: ignore[union-attr]
    try:
        raw = await request.json()
    except RecursionError:  # nested deeper than the JSON parser goes: a bad request, as for review bodies
        raise HTTPError(400, "bad_request", "the JSON body is nested too deeply") from None
    except ValueError:
        raise RequestError("the body must be JSON (or multipart with a file)") from None
    try:
        body = CheckIn.model_validate(raw)
    except ValidationError as exc:
        raise RequestError(f"invalid check request: {exc}".splitlines()[0]) from None
    return {"text": body.text, "url": body.url, "filename": None, "data": None, "title": body.title}


@router.post("/checks", status_code=202, response_model=CheckQueued, tags=["checks"], openapi_extra=SUBMIT_BODY)
async def api_submit(request: Request) -> Response:
    """Queue a check: JSON `{"text": …}` or `{"url": …}`, or a multipart `file` (.txt .md .html .pdf)."""
    user = await editor(request)
    given = await _submission(request)
    job = await run_in_threadpool(lambda: checks.submit(desk_of(request), user, **given))
    return JSONResponse({"id": job, "status": "queued", "url": f"/api/checks/{job}"}, status_code=202,
                        headers={"location": f"/api/checks/{job}"})


@router.get("/checks", tags=["checks"])
def api_list(request: Request, limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
    """Past and current checks, newest first."""
    identify_sync(request)
    return {"checks": checks.list_checks(desk_of(request), limit)}


@router.get("/checks/{check_id}", tags=["checks"])
def api_get(request: Request, check_id: str, include_report: bool = True) -> dict[str, Any]:
    """A check's status (`queued|running|done|failed`), progress and, when done, the reviewed JSON report."""
    identify_sync(request)
    desk = desk_of(request)
    return checks.job_json(desk, checks.resolve(desk, check_id), include_report)


@router.post("/checks/{check_id}/claims/{claim_id}/review", tags=["review"])
async def api_review(request: Request, check_id: str, claim_id: str, body: ReviewIn) -> dict[str, Any]:
    """Change a claim's verdict or explanation, mark evidence irrelevant, add a note, approve."""
    user = await editor(request)
    return await run_in_threadpool(checks.review_claim, desk_of(request), check_id, claim_id, user, body.changes())


@router.get("/checks/{check_id}/audit", tags=["review"])
def api_audit(request: Request, check_id: str) -> dict[str, Any]:
    """Every reviewer edit of this check, oldest first, with who and when."""
    identify_sync(request)
    desk = desk_of(request)
    job = checks.resolve(desk, check_id)
    edits = desk.store().desk.list_edits(job["report_id"]) if job.get("report_id") else []
    return {"check_id": job["id"], "report_id": job.get("report_id"), "edits": edits}


@router.get("/checks/{check_id}/export/{fmt}", tags=["checks"])
def api_export(request: Request, check_id: str, fmt: str, approved_only: bool = False) -> Response:
    """The reviewed report as `json`, `markdown`, `html` or `claimreview` (JSON-LD)."""
    identify_sync(request)
    return checks.export(desk_of(request), check_id, fmt, approved_only, str(request.base_url))


@router.get("/corpus/search", tags=["corpus"])
def api_search(request: Request, q: str = Query(..., min_length=1, max_length=500),
               k: int = Query(10, ge=1, le=50), before: str | None = None,
               mode: str = Query("hybrid", pattern="^(hybrid|lexical|dense)$")) -> dict[str, Any]:
    """Search the indexed corpus (the same index the checks use)."""
    identify_sync(request)
    return {"query": q, "results": checks.search(desk_of(request), q, k, before, mode)}


@router.get("/corpus", tags=["corpus"])
def api_corpus(request: Request) -> dict[str, Any]:
    """How much is indexed."""
    identify_sync(request)
    return checks.corpus_stats(desk_of(request))


@router.get("/me", tags=["auth"])
def api_me(request: Request) -> dict[str, Any]:
    """Who the desk thinks you are."""
    user = identify_sync(request)
    return {"name": user.name, "role": user.role, "via": user.via}
