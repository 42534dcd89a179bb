"""Sessions, bearer tokens, CSRF and roles: the primitives :mod:`factdesk.web.auth` builds on.

* Every browser gets a signed ``fd_session`` cookie (HttpOnly, SameSite=Lax)
  holding a random session id: anonymous until login, then the id of a row
  in ``sessions``.  Logging in always starts a new id (no session fixation).
* The CSRF token is HMAC(secret, session id): forms carry it in a
  ``csrf_token`` field, scripts using the cookie send ``X-CSRF-Token``.  A
  state-changing request that carries the cookie but not the right token is
  refused (403), and so is any state-changing request whose ``Origin`` /
  ``Sec-Fetch-Site`` says it comes from another site.
* ``Authorization: Bearer <token>`` authenticates scripts (no cookie, no CSRF).
* Without ``require_login`` (loopback only) every caller is the local
  reviewer ``local``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "fd_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SESSION_MAX_AGE = 12 * 3600
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class User:
    name: str
    role: str
    via: str  # local | session | token
    id: int | None = None

    @property
    def can_edit(self) -> bool:
        return self.role == "reviewer"


class Signer:
    def __init__(self, secret: str) -> None:
        self.secret = secret.encode("utf-8")
        self.serializer = URLSafeTimedSerializer(secret, salt="factdesk-session")

    def dump(self, sid: str, logged_in: bool) -> str:
        return self.serializer.dumps({"sid": sid, "u": 1 if logged_in else 0})

    def load(self, cookie: str | None) -> dict[str, Any] | None:
        if not cookie:
            return None
        try:
            data = self.serializer.loads(cookie, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("sid"), str):
            return None
        return data

    def csrf_for(self, sid: str) -> str:
        return hmac.new(self.secret, b"csrf:" + sid.encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_ok(self, sid: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_for(sid), str(token))


def new_sid() -> str:
    return secrets.token_urlsafe(24)


def cross_site(headers: Any, host: str | None) -> bool:
    """True when the browser tells us the request comes from another origin."""
    site = headers.get("sec-fetch-site")
    if site and site not in ("same-origin", "none"):
        return True
    origin = headers.get("origin")
    if origin and origin != "null" and host:
        bare = origin.split("://", 1)[-1].rstrip("/")
        return bare.lower() != host.lower()
    return origin == "null"


def set_cookie(request: Request, resp: Response, value: str) -> None:
    """Set the signed session cookie (Secure when the desk is served over https)."""
    resp.set_cookie(COOKIE, value, max_age=SESSION_MAX_AGE, httponly=True, samesite="lax",
                    secure=request.url.scheme == "https", path="/")
