"""Who is asking, and may they: identification for every route, and the login/logout router.

Every route starts with :func:`reader` (may read) or :func:`editor` (may change
things: reviewers only).  Both go through :func:`identify`: a bearer token,
else the signed session cookie (with its CSRF token on state-changing
requests), else, without ``require_login``, the local reviewer.  Refusals are
FactdeskErrors (401/403) in the one error shape.  See :mod:`factdesk.web.sessions`
for the cookie, CSRF and token rules.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from factdesk.errors import (
    AccountDisabledError,
    AuthError,
    CSRFError,
    DisabledTokenError,
    FactdeskError,
    ForbiddenError,
    InvalidTokenError,
    LoginFailedError,
)
from factdesk.web import accounts, sessions, throttle
from factdesk.web.errors import wants_html
from factdesk.web.sessions import User
from factdesk.web.state import desk_of
from factdesk.web.templating import render

DISABLED_MESSAGE = "this account is disabled; an administrator can run `factdesk user enable NAME`"

router = APIRouter(include_in_schema=False)


def _token_user(request: Request, authz: str) -> User:
    scheme, _, token = authz.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidTokenError("use `Authorization: Bearer <token>`")
    found = accounts.user_for_token(desk_of(request).store(), token.strip())
    if found is None:
        raise InvalidTokenError("unknown or revoked API token")
    if found["disabled"]:
        raise DisabledTokenError(DISABLED_MESSAGE)
    return User(found["name"], found["role"], "token", found["id"])


def _cookie_user(request: Request, csrf_token: str | None, login_flow: bool) -> User | None:
    desk = desk_of(request)
    data = desk.signer.load(request.cookies.get(sessions.COOKIE))
    user = None
    if data is not None:
        request.state.sid = data["sid"]
        if data.get("u"):
            found = desk.store().desk.user_for_session(data["sid"])
            if found is not None:
                user = User(found["name"], found["role"], "session", found["id"])
    if request.method in sessions.UNSAFE_METHODS:
        token = request.headers.get(sessions.CSRF_HEADER) or csrf_token
        if data is not None and not desk.signer.csrf_ok(data["sid"], token):
            raise CSRFError("missing or wrong CSRF token; reload the page and retry")
        if data is None and login_flow:
            raise CSRFError("cookies are needed to log in; reload the page")
    if user is None and not login_flow:
        if desk.require_login:
            raise AuthError("log in first (or send an API token)")
        user = User("local", "reviewer", "local")
    return user


def identify_sync(request: Request, csrf_token: str | None = None, *, login_flow: bool = False) -> User:
    """Who is asking (cached on the request); raises 401/403 in the error shape.

    With ``login_flow`` (the login and logout forms) an anonymous caller is allowed: the
    result is then None until a login succeeds.
    """
    cached = getattr(request.state, "user", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if request.method in sessions.UNSAFE_METHODS and sessions.cross_site(request.headers,
                                                                         request.headers.get("host")):
        raise CSRFError("cross-site request refused")
    authz = request.headers.get("authorization", "")
    user = _token_user(request, authz) if authz else _cookie_user(request, csrf_token, login_flow)
    if user is not None:
        request.state.user = user
    return user  # type: ignore[return-value]


async def identify(request: Request, *, login_flow: bool = False) -> User:
    token = None
    if request.method in sessions.UNSAFE_METHODS and "form" in request.headers.get("content-type", "") \
            and sessions.CSRF_HEADER not in request.headers:
        form = await request.form()
        value = form.get(sessions.CSRF_FIELD)
        token = value if isinstance(value, str) else None
    return await run_in_threadpool(lambda: identify_sync(request, token, login_flow=login_flow))


async def reader(request: Request) -> User:
    """Anyone the desk knows (or the local reviewer)."""
    return await identify(request)


async def editor(request: Request) -> User:
    """Reviewers only: viewers get 403."""
    user = await identify(request)
    if not user.can_edit:
        raise ForbiddenError(f"user {user.name!r} is a {user.role}: only reviewers can change things")
    return user


def safe_next(target: str) -> str:
    """Only local paths: never an absolute or scheme-relative URL (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target:
        return "/"
    return target


def check_login(request: Request, username: str, password: str) -> dict[str, Any]:
    """The user for a successful login; raises TooManyAttempts (429), LoginFailed (401), AccountDisabled (403).

    Runs whole in one threadpool thread (its own store connection): the throttle's count
    and the password check must not share a connection with another request.
    """
    desk = desk_of(request)
    store = desk.store()
    address = request.client.host if request.client else None
    attempt = throttle.begin_attempt(store, username, address, desk.login_limits)
    found = accounts.verify_password(store, username, password)
    if found is None:
        raise LoginFailedError("wrong user name or password")
    if found["disabled"]:
        raise AccountDisabledError(DISABLED_MESSAGE)
    throttle.login_succeeded(store, attempt)
    return found


@router.get("/login")
async def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"nav": "login", "next": safe_next(next), "error": None})


@router.post("/login")
async def login(request: Request, username: str = Form(...), password: str = Form(...),
                next: str = Form("/")) -> Response:
    await identify(request, login_flow=True)  # CSRF check on the pre-login cookie
    try:
        found = await run_in_threadpool(check_login, request, username, password)
    except FactdeskError as exc:
        if not wants_html(request):
            raise
        resp = render(request, "login.html", {"nav": "login", "next": safe_next(next), "error": exc.message},
                      status_code=exc.status)
        resp.headers.update(exc.headers)
        return resp
    desk = desk_of(request)
    sid = await run_in_threadpool(lambda: desk.store().desk.new_session(found["id"]))
    resp = RedirectResponse(safe_next(next), status_code=303)
    sessions.set_cookie(request, resp, desk.signer.dump(sid, True))
    return resp


@router.post("/logout")
async def logout(request: Request) -> Response:
    await identify(request, login_flow=True)
    desk = desk_of(request)
    sid = getattr(request.state, "sid", None)
    if sid:
        await run_in_threadpool(lambda: desk.store().desk.end_session(sid))
    resp = RedirectResponse("/login" if desk.require_login else "/", status_code=303)
    sessions.set_cookie(request, resp, desk.signer.dump(sessions.new_sid(), False))
    return resp
