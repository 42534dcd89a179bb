"""The one error shape, on every route: ``{"error": {"code", "message", "status"}}``.

Every refusal is a :class:`~factdesk.errors.FactdeskError`, whose class gives
the HTTP status and the stable code; one handler turns it into the response.
The framework's own refusals (no such route, wrong method, a request that
fails validation) are translated into FactdeskErrors first, so they come out
the same way.  A browser asking for HTML gets the same fields as a page (and
a 401 becomes a redirect to the login page).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from factdesk.errors import FactdeskError, HTTPError, RequestError
from factdesk.web.templating import render

log = logging.getLogger("factdesk.web")

# codes for the framework's own HTTP answers (FactdeskError classes carry their own)
STATUS_CODES = {400: "bad_request", 401: "login_required", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_type",
                422: "invalid_request", 429: "too_many_requests", 500: "internal_error", 503: "unavailable"}


def error_body(exc: FactdeskError) -> dict[str, Any]:
    return {"error": {"code": exc.code, "message": str(exc), "status": exc.status}}


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def error_response(request: Request, exc: FactdeskError) -> Response:
    """The one error shape for ``exc``: JSON, or an HTML page for a browser."""
    if exc.status >= 500:
        log.error("desk error on %s: %s", request.url.path, exc)
    resp: Response
    if wants_html(request):
        if exc.status == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
        resp = render(request, "error.html", {"status": exc.status, "code": exc.code, "message": str(exc)},
                      status_code=exc.status)
    else:
        resp = JSONResponse(error_body(exc), status_code=exc.status)
        if exc.status == 401:
            resp.headers["www-authenticate"] = 'Bearer realm="factdesk"'
    resp.headers.update(exc.headers)
    return resp


async def _factdesk_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FactdeskError)
    return error_response(request, exc)


async def _framework_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such page: {request.url.path}"
    return error_response(request, HTTPError(exc.status_code, code, message))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for e in exc.errors()[:5]:
        where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body",)) or "request"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return error_response(request, RequestError("; ".join(parts) or "invalid request"))


def install(app: FastAPI) -> None:
    """Route every error of ``app`` through :func:`error_response`."""
    app.add_exception_handler(FactdeskError, _factdesk_error)
    app.add_exception_handler(StarletteHTTPException, _framework_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
