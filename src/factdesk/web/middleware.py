"""The ASGI middleware around the whole desk: Host check, body size cap, security headers, last-resort errors.

It runs outside FastAPI's exception handlers, so its own refusals are written
here in the same error shape (:func:`factdesk.web.errors.error_body`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from factdesk.errors import FactdeskError, HTTPError, TooLargeError
from factdesk.web.errors import error_body

log = logging.getLogger("factdesk.web")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_REPLACED = {name for name, _ in SECURITY_HEADERS}

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class _BodyTooLarge(Exception):
    pass


class DeskMiddleware:
    """``allowed_hosts``: the Host names answered (None: any); ``max_body``: the request body cap in bytes."""

    def __init__(self, app: Any, *, allowed_hosts: tuple[str, ...] | None, max_body: int) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.max_body = max_body

    def _refusal(self, headers: dict[str, str]) -> FactdeskError | None:
        if self.allowed_hosts is not None:
            host = headers.get("host", "")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name.lower() not in self.allowed_hosts:
                return HTTPError(400, "bad_host", f"this desk answers only to {', '.join(self.allowed_hosts[:3])}; "
                                 "run `factdesk serve --host 0.0.0.0` (with login) to serve other names")
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > self.max_body:
            return self._too_large()
        return None

    def _too_large(self) -> FactdeskError:
        return TooLargeError(f"the request body is larger than {self.max_body} bytes")

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        seen = 0

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [h for h in message.get("headers", []) if h[0].lower() not in _REPLACED]
                message["headers"] = headers + SECURITY_HEADERS
            await send(message)

        async def counting_receive() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _BodyTooLarge()
            return message

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        refusal = self._refusal(headers)
        if refusal is not None:
            await _fail(send_with_headers, refusal)
            return
        try:
            await self.app(scope, counting_receive, send_with_headers)
        except _BodyTooLarge:
            if not started:
                await _fail(send_with_headers, self._too_large())
        except Exception:  # noqa: BLE001 - the one error shape, never a traceback page
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await _fail(send_with_headers, FactdeskError("internal server error (see the server log)"))


async def _fail(send: Send, exc: FactdeskError) -> None:
    body = json.dumps(error_body(exc)).encode()
    await send({"type": "http.response.start", "status": exc.status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
