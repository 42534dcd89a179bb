"""The web desk: a FastAPI app with server-rendered pages and a JSON API under ``/api/``.

``create_app(store_path, require_login=...)`` builds it; ``factdesk serve``
(:mod:`factdesk.web.commands`) runs it with uvicorn.  Checks run in one
background worker thread (:mod:`factdesk.web.worker`); jobs, users, tokens,
sessions and reviewer edits live in the store (migration 3); failed logins and
disabled accounts too (migration 4, see :mod:`factdesk.web.throttle`).

Every error, on every route, is ``{"error": {"code", "message", "status"}}``
(browser pages show the same fields as an HTML page).  Every response carries
a strict Content-Security-Policy: the pages use no inline script or style.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from factdesk.errors import FactdeskError, FetchError, InputError, NotFoundError, UnsafeURLError
from factdesk.settings import Settings
from factdesk.store import Store
from factdesk.web import auth, deskdb, review, throttle
from factdesk.web.pages import segments, template_env

log = logging.getLogger("factdesk.web")

HERE = Path(__file__).parent
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]", "testserver")
UPLOAD_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf"}
_BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x7fELF", b"MZ", b"\x1f\x8b", b"BZh",
                 b"7z\xbc\xaf", b"Rar!", b"\x00\x00\x01\x00", b"RIFF", b"OggS", b"ID3", b"\xd0\xcf\x11\xe0")
STATUS_CODES = {400: "bad_request", 401: "login_required", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_type",
                422: "invalid_request", 429: "too_many_requests", 500: "internal_error", 503: "unavailable"}


class DeskError(Exception):
    """An HTTP error with the desk's code; rendered in the one error shape."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


class _BodyTooLarge(Exception):
    pass


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


DISABLED_MESSAGE = "this account is disabled; an administrator can run `factdesk user enable NAME`"


# -- models for the OpenAPI schema --------------------------------------------------------------
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


class ErrorOut(BaseModel):
    error: dict[str, Any]


ERRORS = {code: {"model": ErrorOut} for code in (400, 401, 403, 404, 413, 415, 422)}


# -- per-thread store connections --------------------------------------------------------------------
class Stores:
    """One Store connection per thread (SQLite connections are not shared across threads)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[Store] = []
        self._lock = threading.Lock()

    def get(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = Store.open(self.path)
            self._local.store = store
            with self._lock:
                self._all.append(store)
        return store

    def close_all(self) -> None:
        with self._lock:
            for s in self._all:
                try:
                    s.close()
                except Exception:  # noqa: BLE001
                    pass
            self._all.clear()


class Embedders:
    """The embedding model, loaded once and shared by the worker and the search box."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._model: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._model is None:
                from factdesk import registry

                self._model = registry.create("embedder", self.settings.embedder)
                self._model.warm_up()
            return self._model


# -- the ASGI middleware: host check, body limit, security headers, last-resort errors ---------------
class DeskMiddleware:
    def __init__(self, app: Any, *, allowed_hosts: tuple[str, ...] | None, max_body: int) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.max_body = max_body

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                       send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [h for h in message.get("headers", []) if h[0].lower() not in dict(SECURITY_HEADERS)]
                message["headers"] = headers + SECURITY_HEADERS
            await send(message)

        async def fail(status: int, code: str, message: str) -> None:
            body = json.dumps(error_body(status, code, message)).encode()
            await send_with_headers({"type": "http.response.start", "status": status,
                                     "headers": [(b"content-type", b"application/json"),
                                                 (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.allowed_hosts is not None:
            host = headers.get("host", "")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name.lower() not in self.allowed_hosts:
                await fail(400, "bad_host", f"this desk answers only to {', '.join(self.allowed_hosts[:3])}; "
                           "run `factdesk serve --host 0.0.0.0` (with login) to serve other names")
                return
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > self.max_body:
            await fail(413, "too_large", f"the request body is larger than {self.max_body} bytes")
            return
        seen = 0

        async def counting_receive() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, counting_receive, send_with_headers)
        except _BodyTooLarge:
            if not started:
                await fail(413, "too_large", f"the request body is larger than {self.max_body} bytes")
        except Exception:  # noqa: BLE001 - the one error shape, never a traceback page
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await fail(500, "internal_error", "internal server error (see the server log)")


# -- the app ------------------------------------------------------------------------------------------
def create_app(store_path: str | Path, *, require_login: bool, allow_private_urls: bool = False,
               settings: Settings | None = None, start_worker: bool = True, warm_up: bool = True,
               max_upload_bytes: int = MAX_UPLOAD_BYTES, allowed_hosts: list[str] | None = None,
               publisher: str | None = None, publisher_url: str | None = None,
               login_limits: throttle.LoginLimits | None = None) -> FastAPI:
    """The desk app over the store at ``store_path``.

    ``require_login``: every request needs a session or a bearer token (use it whenever the
    server is reachable from other machines).  Without it the desk trusts every caller as the
    local reviewer and answers only to loopback host names (DNS-rebinding guard), unless
    ``allowed_hosts`` names others.  ``allow_private_urls`` lets URL checks reach private
    networks.  ``start_worker=False`` runs no checks (jobs stay queued), for tests.
    ``login_limits``: how many failed logins a user name / a client address may have in a
    window before ``/login`` answers 429 (default 5 and 20 in 15 minutes).  Checks run under
    ``settings.job_timeout`` seconds each (see :class:`~factdesk.web.worker.Worker`).
    The ClaimReview export uses the settings ``publisher``, ``publisher_url`` and
    ``review_url_template`` like ``factdesk show`` (``publisher`` / ``publisher_url`` given here
    override them); with neither URL set, each review's url is this desk's own page for the report,
    on the address the export was requested on.  A bad URL or template raises ConfigError here.
    """
    from factdesk.report.claimreview import publishing

    store_path = str(store_path)
    settings = (settings or Settings()).with_overrides(allow_private=allow_private_urls, publisher=publisher,
                                                       publisher_url=publisher_url)
    publishing(settings.publisher, settings.publisher_url, settings.review_url_template)  # fail at start
    limits = login_limits or throttle.LoginLimits()
    stores = Stores(store_path)
    embedders = Embedders(settings)
    boot = Store.open(store_path)  # migrate now, in this thread, and read the secret
    try:
        signer = auth.Signer(deskdb.session_secret(boot))
    finally:
        boot.close()
    worker_box: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        from factdesk.web.worker import Worker

        store = stores.get()
        recovered = deskdb.recover_jobs(store)
        if recovered["requeued"] or recovered["failed"]:
            log.warning("jobs interrupted by a stop: re-queued %s, failed %s", recovered["requeued"],
                        recovered["failed"])
        worker = None
        if start_worker:
            worker = Worker(store_path, settings, warm_up=warm_up, embedder_factory=embedders.get)
            worker_box["worker"] = worker
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            stores.close_all()

    hosts = None
    if not require_login:
        hosts = tuple(h.lower() for h in (allowed_hosts or LOOPBACK_HOSTS))
    elif allowed_hosts:
        hosts = tuple(h.lower() for h in allowed_hosts)

    app = FastAPI(title="factdesk", version=_version(), lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="The factdesk web desk API. Every error is "
                              '`{"error": {"code": "...", "message": "...", "status": 404}}`. Authenticate '
                              "scripts with `Authorization: Bearer <token>` (`factdesk user token NAME`).")
    app.state.stores = stores
    app.state.settings = settings
    app.state.require_login = require_login
    app.state.worker = worker_box
    env = template_env(HERE / "templates")
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_middleware(DeskMiddleware, allowed_hosts=hosts, max_body=max_upload_bytes + 256 * 1024)

    # -- errors ------------------------------------------------------------------------------------
    def wants_html(request: Request) -> bool:
        return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")

    def error_response(request: Request, status: int, code: str, message: str) -> Response:
        if wants_html(request):
            if status == 401:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
            return page(request, "error.html", {"status": status, "code": code, "message": message},
                        status_code=status)
        resp = JSONResponse(error_body(status, code, message), status_code=status)
        if status == 401:
            resp.headers["www-authenticate"] = 'Bearer realm="factdesk"'
        return resp

    @app.exception_handler(DeskError)
    async def _desk_error(request: Request, exc: DeskError) -> Response:
        resp = error_response(request, exc.status, exc.code, exc.message)
        resp.headers.update(exc.headers)
        return resp

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such page: {request.url.path}"
        return error_response(request, exc.status_code, code, message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body",)) or "request"
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        return error_response(request, 422, "invalid_request", "; ".join(parts) or "invalid request")

    @app.exception_handler(FactdeskError)
    async def _factdesk_error(request: Request, exc: FactdeskError) -> Response:
        if isinstance(exc, NotFoundError):
            return error_response(request, 404, "not_found", str(exc))
        if isinstance(exc, UnsafeURLError):
            return error_response(request, 400, "unsafe_url", str(exc))
        if isinstance(exc, FetchError):
            return error_response(request, 422, "fetch_failed", str(exc))
        if isinstance(exc, InputError):
            return error_response(request, 422, "invalid_input", str(exc))
        log.error("desk error on %s: %s", request.url.path, exc)
        return error_response(request, 500, "internal_error", str(exc))

    # -- who is asking -------------------------------------------------------------------------------
    def identify_sync(request: Request, csrf_token: str | None = None, *, login_flow: bool = False) -> auth.User:
        """Who is asking (cached on the request); raises 401/403 in the error shape."""
        cached = getattr(request.state, "user", None)
        if cached is not None:
            return cached
        unsafe = request.method in auth.UNSAFE_METHODS
        if unsafe and auth.cross_site(request.headers, request.headers.get("host")):
            raise DeskError(403, "csrf_failed", "cross-site request refused")
        authz = request.headers.get("authorization", "")
        user: auth.User | None = None
        if authz:
            scheme, _, token = authz.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise DeskError(401, "invalid_token", "use `Authorization: Bearer <token>`")
            found = deskdb.user_for_token(stores.get(), token.strip())
            if found is None:
                raise DeskError(401, "invalid_token", "unknown or revoked API token")
            if found["disabled"]:
                raise DeskError(401, "account_disabled", DISABLED_MESSAGE)
            user = auth.User(found["name"], found["role"], "token", found["id"])
        else:
            data = signer.load(request.cookies.get(auth.COOKIE))
            if data is not None:
                request.state.sid = data["sid"]
                if data.get("u"):
                    found = deskdb.user_for_session(stores.get(), data["sid"])
                    if found is not None:
                        user = auth.User(found["name"], found["role"], "session", found["id"])
            if unsafe:
                token = request.headers.get(auth.CSRF_HEADER) or csrf_token
                if data is not None and not signer.csrf_ok(data["sid"], token):
                    raise DeskError(403, "csrf_failed", "missing or wrong CSRF token; reload the page and retry")
                if data is None and login_flow:
                    raise DeskError(403, "csrf_failed", "cookies are needed to log in; reload the page")
            if user is None and not login_flow:
                if require_login:
                    raise DeskError(401, "login_required", "log in first (or send an API token)")
                user = auth.User("local", "reviewer", "local")
        if user is not None:
            request.state.user = user
        return user  # type: ignore[return-value]

    async def identify(request: Request, *, login_flow: bool = False) -> auth.User:
        token = None
        if request.method in auth.UNSAFE_METHODS and "form" in request.headers.get("content-type", "") \
                and auth.CSRF_HEADER not in request.headers:
            form = await request.form()
            value = form.get(auth.CSRF_FIELD)
            token = value if isinstance(value, str) else None
        return await run_in_threadpool(lambda: identify_sync(request, token, login_flow=login_flow))

    async def reader(request: Request) -> auth.User:
        return await identify(request)

    async def editor(request: Request) -> auth.User:
        user = await identify(request)
        if not user.can_edit:
            raise DeskError(403, "forbidden", f"user {user.name!r} is a {user.role}: only reviewers can change things")
        return user

    def page(request: Request, name: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
        sid = getattr(request.state, "sid", None)
        data = signer.load(request.cookies.get(auth.COOKIE)) if sid is None else {"sid": sid}
        new_cookie = None
        if data is None:
            sid = auth.new_sid()
            new_cookie = signer.dump(sid, False)
        else:
            sid = data["sid"]
        user = getattr(request.state, "user", None)
        html = env.get_template(name).render(request=request, user=user, csrf=signer.csrf_for(sid),
                                             require_login=require_login, **ctx)
        resp = Response(html, status_code=status_code, media_type="text/html; charset=utf-8")
        resp.headers["cache-control"] = "no-store"
        if new_cookie:
            set_cookie(request, resp, new_cookie)
        return resp

    def set_cookie(request: Request, resp: Response, value: str) -> None:
        resp.set_cookie(auth.COOKIE, value, max_age=auth.SESSION_MAX_AGE, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")

    # -- shared logic ------------------------------------------------------------------------------------
    def resolve(check_id: str) -> dict[str, Any]:
        store = stores.get()
        job = deskdb.get_job(store, check_id)
        if job is not None:
            return job
        row = store.conn.execute("SELECT id, title, created FROM reports WHERE id = ?", (check_id,)).fetchone()
        if row is None:
            raise DeskError(404, "not_found", f"no check {check_id!r}")
        job = deskdb.job_for_report(store, row["id"])
        if job is not None:
            return job
        return {"id": row["id"], "status": "done", "stage": "done", "progress": 1.0, "error": None,
                "report_id": row["id"], "input_kind": "cli", "filename": None, "title": row["title"],
                "submitted_by": None, "attempts": 0, "created": row["created"], "started": None,
                "finished": row["created"]}

    def done_report(check_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        job = resolve(check_id)
        if job["status"] != "done" or not job["report_id"]:
            raise DeskError(409, "not_ready", f"check {check_id} is {job['status']}, not done")
        return job, review.reviewed_report(stores.get(), job["report_id"])

    def job_json(job: dict[str, Any], include_report: bool) -> dict[str, Any]:
        out = {k: job.get(k) for k in ("id", "status", "stage", "progress", "error", "report_id", "title",
                                       "submitted_by", "created", "started", "finished")}
        out["input"] = job.get("input_kind")
        if include_report and job["status"] == "done" and job.get("report_id"):
            out["report"] = review.reviewed_report(stores.get(), job["report_id"])
        return out

    def check_upload(filename: str, data: bytes) -> None:
        if len(data) > max_upload_bytes:
            raise DeskError(413, "too_large", f"the file is larger than {max_upload_bytes} bytes")
        suffix = Path(filename or "").suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise DeskError(415, "unsupported_type",
                            f"unsupported file type {suffix or '(no extension)'}: use .txt, .md, .html or .pdf")
        if not data.strip():
            raise DeskError(422, "invalid_input", "the file is empty")
        head = data[:8192]
        looks_pdf = b"%PDF-" in data[:1024]
        if suffix == ".pdf":
            if not looks_pdf:
                raise DeskError(415, "unsupported_type", "the file is named .pdf but is not a PDF")
            return
        if looks_pdf:
            raise DeskError(415, "unsupported_type", f"the file is a PDF named {suffix}; rename it to .pdf")
        utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
        if head.startswith(_BINARY_MAGIC) or (b"\x00" in head and not utf16):
            raise DeskError(415, "unsupported_type", f"the file is binary data, not {suffix} text")

    def check_url(url: str) -> str:
        from factdesk.ingest.url import check_url as guard

        url = url.strip()
        if not url:
            raise DeskError(422, "invalid_input", "the URL is empty")
        if len(url) > 2000:
            raise DeskError(422, "invalid_input", "the URL is longer than 2000 characters")
        guard(url, allow_private=settings.allow_private)  # UnsafeURLError → 400 unsafe_url
        return url

    def submit(user: auth.User, *, text: str | None, url: str | None, filename: str | None,
               data: bytes | None, title: str | None) -> str:
        given = [x for x in (text and text.strip(), url and url.strip(), data is not None and filename) if x]
        if len(given) != 1:
            raise DeskError(422, "invalid_input", "give exactly one of: text, url, file")
        title = (title or "").strip()[:500] or None
        store = stores.get()
        if data is not None and filename:
            check_upload(filename, data)
            job = deskdb.create_job(store, kind="file", blob=data, filename=Path(filename).name[:200], title=title,
                                    user=user.name)
        elif url and url.strip():
            job = deskdb.create_job(store, kind="url", text=check_url(url), title=title, user=user.name)
        else:
            assert text is not None
            if len(text.encode("utf-8")) > max_upload_bytes:
                raise DeskError(413, "too_large", f"the text is larger than {max_upload_bytes} bytes")
            job = deskdb.create_job(store, kind="text", text=text, title=title, user=user.name)
        w = worker_box.get("worker")
        if w is not None:
            w.notify()
        return job

    def do_review(check_id: str, claim_id: str, user: auth.User, body: ReviewIn) -> dict[str, Any]:
        job, _ = done_report(check_id)
        reviewed = review.review_claim(stores.get(), job["report_id"], claim_id, user.name, label=body.label,
                                       explanation=body.explanation, note=body.note, approve=body.approve,
                                       irrelevant=body.irrelevant_evidence_ids)
        claim = next(c for c in reviewed["claims"] if c["id"] == claim_id)
        return {"check_id": job["id"], "report_id": reviewed["id"], "claim": claim, "review": reviewed["review"]}

    def export(check_id: str, fmt: str, approved_only: bool, desk_url: str) -> Response:
        from factdesk.report import render

        job, d = done_report(check_id)
        if approved_only:
            d = dict(d, claims=[c for c in d["claims"] if c.get("review", {}).get("approved")])
        name = f"factdesk-{d['id']}"
        if fmt == "claimreview":
            body = render(d, "claimreview", publisher=settings.publisher, publisher_url=settings.publisher_url,
                          review_url=settings.review_url_template, desk_url=desk_url)
            media, ext = "application/ld+json", "claimreview.json"
        elif fmt == "json":
            body, media, ext = render(d, "json"), "application/json", "json"
        elif fmt == "markdown":
            body, media, ext = render(d, "markdown") + review.review_markdown(d), "text/markdown", "md"
        elif fmt == "html":
            body, media, ext = render(d, "html"), "text/html", "html"
        else:
            raise DeskError(404, "not_found", f"unknown export format {fmt!r}: json, markdown, html, claimreview")
        disposition = "attachment" if fmt == "html" else "inline"
        return Response(body, media_type=media + "; charset=utf-8",
                        headers={"content-disposition": f'{disposition}; filename="{name}.{ext}"'})

    # -- API ---------------------------------------------------------------------------------------------
    @app.post("/api/checks", status_code=202, response_model=CheckQueued, responses=ERRORS, tags=["checks"],
              openapi_extra={"requestBody": {"content": {
                  "application/json": {"schema": CheckIn.model_json_schema()},
                  "multipart/form-data": {"schema": {"type": "object", "properties": {
                      "file": {"type": "string", "format": "binary"}, "title": {"type": "string"}}}}}}})
    async def api_submit(request: Request) -> Response:
        """Queue a check: JSON `{"text": …}` or `{"url": …}`, or a multipart `file` (.txt .md .html .pdf)."""
        user = await editor(request)
        ctype = request.headers.get("content-type", "")
        if "multipart/form-data" in ctype:
            form = await request.form()
            upload = form.get("file")
            if not hasattr(upload, "read"):
                raise DeskError(422, "invalid_input", "multipart requests need a `file` field")
            data = await upload.read()  # type: ignore[union-attr]
            title = form.get("title")
            job = await run_in_threadpool(lambda: submit(user, text=None, url=None, filename=upload.filename or "",
                                                         data=data, title=title if isinstance(title, str) else None))
        else:
            try:
                raw = await request.json()
            except ValueError:
                raise DeskError(422, "invalid_request", "the body must be JSON (or multipart with a file)") from None
            try:
                body = CheckIn.model_validate(raw)
            except Exception as exc:  # pydantic.ValidationError
                raise DeskError(422, "invalid_request", f"invalid check request: {exc}".splitlines()[0]) from None
            job = await run_in_threadpool(lambda: submit(user, text=body.text, url=body.url, filename=None,
                                                         data=None, title=body.title))
        return JSONResponse({"id": job, "status": "queued", "url": f"/api/checks/{job}"}, status_code=202,
                            headers={"location": f"/api/checks/{job}"})

    @app.get("/api/checks", tags=["checks"], responses=ERRORS)
    def api_list(request: Request, limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
        """Past and current checks, newest first."""
        _sync_identify(request)
        store = stores.get()
        reports = {r["id"]: r for r in store.list_reports(limit=max(limit, 200))}
        out = []
        for j in deskdb.list_jobs(store, limit):
            item = job_json(j, False)
            r = reports.get(j.get("report_id") or "")
            item["title"] = j.get("report_title") or j.get("title")
            item["verdicts"] = r["verdicts"] if r else {}
            out.append(item)
        return {"checks": out}

    @app.get("/api/checks/{check_id}", tags=["checks"], responses=ERRORS)
    def api_get(request: Request, check_id: str, include_report: bool = True) -> dict[str, Any]:
        """A check's status (`queued|running|done|failed`), progress and, when done, the reviewed JSON report."""
        _sync_identify(request)
        return job_json(resolve(check_id), include_report)

    @app.post("/api/checks/{check_id}/claims/{claim_id}/review", tags=["review"], responses=ERRORS)
    async def api_review(request: Request, check_id: str, claim_id: str, body: ReviewIn) -> dict[str, Any]:
        """Change a claim's verdict or explanation, mark evidence irrelevant, add a note, approve."""
        user = await editor(request)
        return await run_in_threadpool(do_review, check_id, claim_id, user, body)

    @app.get("/api/checks/{check_id}/audit", tags=["review"], responses=ERRORS)
    def api_audit(request: Request, check_id: str) -> dict[str, Any]:
        """Every reviewer edit of this check, oldest first, with who and when."""
        _sync_identify(request)
        job = resolve(check_id)
        edits = deskdb.list_edits(stores.get(), job["report_id"]) if job.get("report_id") else []
        return {"check_id": job["id"], "report_id": job.get("report_id"), "edits": edits}

    @app.get("/api/checks/{check_id}/export/{fmt}", tags=["checks"], responses=ERRORS)
    def api_export(request: Request, check_id: str, fmt: str, approved_only: bool = False) -> Response:
        """The reviewed report as `json`, `markdown`, `html` or `claimreview` (JSON-LD)."""
        _sync_identify(request)
        return export(check_id, fmt, approved_only, str(request.base_url))

    @app.get("/api/corpus/search", tags=["corpus"], responses=ERRORS)
    def api_search(request: Request, q: str = Query(..., min_length=1, max_length=500),
                   k: int = Query(10, ge=1, le=50), before: str | None = None,
                   mode: str = Query("hybrid", pattern="^(hybrid|lexical|dense)$")) -> dict[str, Any]:
        """Search the indexed corpus (the same index the checks use)."""
        _sync_identify(request)
        return {"query": q, "results": search(q, k, before, mode)}

    @app.get("/api/corpus", tags=["corpus"], responses=ERRORS)
    def api_corpus(request: Request) -> dict[str, Any]:
        """How much is indexed."""
        _sync_identify(request)
        return corpus_stats()

    @app.get("/api/me", tags=["auth"], responses=ERRORS)
    def api_me(request: Request) -> dict[str, Any]:
        """Who the desk thinks you are."""
        user = _sync_identify(request)
        return {"name": user.name, "role": user.role, "via": user.via}

    def _sync_identify(request: Request) -> auth.User:
        return identify_sync(request)

    def search(q: str, k: int, before: str | None, mode: str) -> list[dict[str, Any]]:
        from factdesk.retrieve import SqliteIndex

        store = stores.get()
        if store.count("passages") == 0:
            return []
        index = SqliteIndex(store, embedders.get() if mode != "lexical" else None)
        try:
            hits = index.search(q, k, mode=mode, before=before or None)  # type: ignore[arg-type]
        except ValueError as exc:
            raise DeskError(422, "invalid_request", str(exc)) from None
        return [{"passage_id": h.passage.id, "document_id": h.passage.document_id, "title": h.passage.title,
                 "url": h.passage.url, "published": h.passage.published, "source": h.passage.source,
                 "text": h.passage.text, "score": round(float(h.score), 4)} for h in hits]

    def corpus_stats() -> dict[str, Any]:
        c = stores.get().conn
        return {"documents": c.execute("SELECT count(*) FROM documents WHERE role = 'corpus'").fetchone()[0],
                "passages": c.execute("SELECT count(*) FROM passages").fetchone()[0],
                "articles": c.execute("SELECT count(*) FROM documents WHERE role = 'article'").fetchone()[0]}

    # -- pages ---------------------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def home(request: Request) -> Response:
        await reader(request)
        stats = await run_in_threadpool(corpus_stats)
        return page(request, "submit.html", {"nav": "submit", "stats": stats, "error": None, "form": {}})

    @app.post("/checks", include_in_schema=False)
    async def form_submit(request: Request, text: str = Form(""), url: str = Form(""), title: str = Form(""),
                          file: UploadFile | None = File(None)) -> Response:
        user = await editor(request)
        data, filename = None, None
        if file is not None and file.filename:
            data, filename = await file.read(), file.filename
        try:
            job = await run_in_threadpool(lambda: submit(user, text=text or None, url=url or None,
                                                         filename=filename, data=data, title=title))
        except (DeskError, FactdeskError) as exc:
            status = exc.status if isinstance(exc, DeskError) else (400 if isinstance(exc, UnsafeURLError) else 422)
            stats = await run_in_threadpool(corpus_stats)
            return page(request, "submit.html", {"nav": "submit", "stats": stats, "error": str(exc),
                                                 "form": {"text": text, "url": url, "title": title}},
                        status_code=status)
        return RedirectResponse(f"/checks/{job}", status_code=303)

    @app.get("/checks", include_in_schema=False)
    async def checks_page(request: Request) -> Response:
        await reader(request)

        def load() -> dict[str, Any]:
            store = stores.get()
            jobs = deskdb.list_jobs(store, 200)
            reports = store.list_reports(limit=200)
            by_id = {r["id"]: r for r in reports}
            approved = {r[0]: r[1] for r in store.conn.execute(
                """SELECT id, json_extract(json, '$.review.approved_claims') FROM reports
                   WHERE id IN (SELECT DISTINCT report_id FROM edits)""").fetchall()}
            linked = {j["report_id"] for j in jobs if j.get("report_id")}
            others = [r for r in reports if r["id"] not in linked]
            return {"jobs": jobs, "reports": by_id, "others": others, "approved": approved}

        data = await run_in_threadpool(load)
        return page(request, "checks.html", {"nav": "checks", **data})

    @app.get("/checks/{check_id}", include_in_schema=False)
    async def check_page(request: Request, check_id: str) -> Response:
        user = await reader(request)

        def load() -> dict[str, Any]:
            job = resolve(check_id)
            ctx: dict[str, Any] = {"job": job, "report": None}
            if job["status"] == "done" and job.get("report_id"):
                d = review.reviewed_report(stores.get(), job["report_id"])
                ctx["report"] = d
                ctx["segments"] = segments(d)
                ctx["edits"] = deskdb.list_edits(stores.get(), d["id"])
                ctx["claim_numbers"] = {c["id"]: i + 1 for i, c in enumerate(d.get("claims") or [])}
                ctx["passage_titles"] = {ev.get("passage_id"): ev.get("document") for c in d.get("claims") or []
                                         for ev in c.get("evidence") or [] if isinstance(ev, dict)}
            return ctx

        ctx = await run_in_threadpool(load)
        return page(request, "check.html", {"nav": "checks", "can_edit": user.can_edit, "labels": review.LABELS,
                                            **ctx})

    @app.post("/checks/{check_id}/claims/{claim_id}/review", include_in_schema=False)
    async def form_review(request: Request, check_id: str, claim_id: str) -> Response:
        user = await editor(request)
        form = await request.form()
        label = form.get("label")
        explanation = form.get("explanation")
        note = form.get("note")
        body = ReviewIn(label=label if isinstance(label, str) and label else None,
                        explanation=explanation if isinstance(explanation, str) else None,
                        note=note if isinstance(note, str) else None,
                        approve=True if form.get("approve") == "1" else (False if form.get("approve_field") == "1" else None),
                        irrelevant_evidence_ids=[v for v in form.getlist("irrelevant") if isinstance(v, str)]
                        if form.get("evidence_form") == "1" else None)
        await run_in_threadpool(do_review, check_id, claim_id, user, body)
        return RedirectResponse(f"/checks/{quote(check_id, safe='')}#claim-{quote(claim_id, safe='')}",
                                status_code=303)

    for fmt, ext in (("json", "json"), ("markdown", "md"), ("html", "html"), ("claimreview", "claimreview.json")):
        def make(fmt: str = fmt) -> Callable[..., Response]:
            def export_route(request: Request, check_id: str, approved_only: bool = False) -> Response:
                _sync_identify(request)
                return export(check_id, fmt, approved_only, str(request.base_url))
            return export_route
        app.add_api_route(f"/checks/{{check_id}}/export.{ext}", make(), methods=["GET"], include_in_schema=False)

    @app.get("/corpus", include_in_schema=False)
    async def corpus_page(request: Request, q: str = Query("", max_length=500), before: str = "") -> Response:
        await reader(request)

        def load() -> dict[str, Any]:
            store = stores.get()
            ctx: dict[str, Any] = {"stats": corpus_stats(), "q": q, "before": before, "results": None,
                                   "error": None}
            if q.strip():
                try:
                    ctx["results"] = search(q.strip(), 10, before.strip() or None, "hybrid")
                except (DeskError, FactdeskError, ValueError) as exc:
                    ctx["error"] = str(exc)
            ctx["documents"] = store.find_documents(limit=100)
            return ctx

        ctx = await run_in_threadpool(load)
        return page(request, "corpus.html", {"nav": "corpus", **ctx})

    @app.get("/login", include_in_schema=False)
    async def login_page(request: Request, next: str = "/") -> Response:
        return page(request, "login.html", {"nav": "login", "next": _safe_next(next), "error": None})

    def check_login(username: str, password: str, address: str | None) -> dict[str, Any]:
        """The user for a successful login; raises DeskError 429 / 401 / 403 otherwise.

        Runs whole in one threadpool thread (its own store connection): the throttle's count
        and the password check must not share a connection with another request.
        """
        store = stores.get()
        try:
            attempt = throttle.begin_attempt(store, username, address, limits)
        except throttle.TooManyAttempts as exc:
            raise DeskError(429, "too_many_requests", str(exc), {"retry-after": str(exc.retry_after)}) from None
        found = deskdb.verify_password(store, username, password)
        if found is None:
            raise DeskError(401, "login_failed", "wrong user name or password")
        if found["disabled"]:
            raise DeskError(403, "account_disabled", DISABLED_MESSAGE)
        throttle.login_succeeded(store, attempt)
        return found

    @app.post("/login", include_in_schema=False)
    async def login(request: Request, username: str = Form(...), password: str = Form(...),
                    next: str = Form("/")) -> Response:
        await identify(request, login_flow=True)  # CSRF check on the pre-login cookie
        address = request.client.host if request.client else None
        try:
            found = await run_in_threadpool(check_login, username, password, address)
        except DeskError as exc:
            if not wants_html(request):
                resp = JSONResponse(error_body(exc.status, exc.code, exc.message), status_code=exc.status)
            else:
                resp = page(request, "login.html", {"nav": "login", "next": _safe_next(next), "error": exc.message},
                            status_code=exc.status)
            resp.headers.update(exc.headers)
            return resp
        sid = await run_in_threadpool(deskdb.new_session, stores.get(), found["id"])
        resp = RedirectResponse(_safe_next(next), status_code=303)
        set_cookie(request, resp, signer.dump(sid, True))
        return resp

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        await identify(request, login_flow=True)
        sid = getattr(request.state, "sid", None)
        if sid:
            await run_in_threadpool(deskdb.end_session, stores.get(), sid)
        resp = RedirectResponse("/login" if require_login else "/", status_code=303)
        set_cookie(request, resp, signer.dump(auth.new_sid(), False))
        return resp

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok\n")

    return app


def _safe_next(target: str) -> str:
    """Only local paths: never an absolute or scheme-relative URL (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target:
        return "/"
    return target


def _version() -> str:
    try:
        from factdesk import __version__

        return str(__version__)
    except Exception:  # noqa: BLE001
        return "0"
