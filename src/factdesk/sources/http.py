"""The search APIs' side of a web source: one JSON GET with a whole-request deadline and a size cap,
a per-endpoint rate limit and concurrency cap, and retries on 429/503 that honour ``Retry-After``.

The API endpoint is one the user configured (often a SearxNG on their own machine or network), so
it is not put through the page fetcher's private-address guard; the result *pages* are
(:mod:`factdesk.sources.snapshot`).

Example::

    limiter = limiter_for("searxng http://127.0.0.1:8888", rate=2.0, concurrency=2)
    data = get_json("http://127.0.0.1:8888/search?q=dam&format=json", headers={}, timeout=10,
                    limiter=limiter, what="SearxNG")
"""

from __future__ import annotations

import email.utils
import http.client
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from factdesk import __version__
from factdesk.errors import SourceError

USER_AGENT = "factdesk/" + ".".join(__version__.split(".")[:2])
MAX_API_BYTES = 5_000_000  # a search answer is a few KB; anything this big is not one
RETRY_STATUSES = {429, 502, 503, 504}


class RateLimiter:
    """At most ``rate`` requests a second and ``concurrency`` at once, across threads.

    ``clock`` and ``sleep`` are replaceable (tests move time instead of waiting).
    """

    def __init__(self, rate: float, concurrency: int, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self._slots = threading.BoundedSemaphore(max(1, int(concurrency)))
        self._lock = threading.Lock()
        self._next = 0.0
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0  # seconds spent waiting for the rate limit, in total

    def __enter__(self) -> "RateLimiter":
        self._slots.acquire()
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self.waited += start - now
            self._sleep(start - now)
        return self

    def __exit__(self, *exc: object) -> None:
        self._slots.release()

    def hold_off(self, seconds: float) -> None:
        """No request before ``seconds`` from now (after a 429 told us to wait)."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


_LIMITERS: dict[str, RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(key: str, *, rate: float, concurrency: int) -> RateLimiter:
    """The process-wide limiter for one endpoint, so every check in a process (the web desk's too) shares it."""
    with _LIMITERS_LOCK:
        lim = _LIMITERS.get(key)
        if lim is None or lim.interval != (1.0 / rate if rate and rate > 0 else 0.0):
            lim = _LIMITERS[key] = RateLimiter(rate, concurrency)
        return lim


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    retries: int = 0
    waited: float = 0.0
    notes: list[str] = field(default_factory=list)


def _once(url: str, headers: dict[str, str], timeout: float) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(f"not an http(s) URL: {url!r}")
    deadline = time.monotonic() + timeout
    conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_cls(parts.hostname, parts.port, timeout=timeout)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers})
        resp = conn.getresponse()
        chunks: list[bytes] = []
        size = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if conn.sock is not None:
                conn.sock.settimeout(left)
            chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_API_BYTES:
                raise SourceError(f"the answer from {parts.hostname} is larger than {MAX_API_BYTES} bytes")
            chunks.append(chunk)
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, b"".join(chunks)
    finally:
        conn.close()


def get(url: str, *, headers: dict[str, str], timeout: float, limiter: RateLimiter, what: str,
        max_retries: int = 2, max_wait: float = 30.0, sleep: Callable[[float], None] = time.sleep) -> Answer:
    """GET ``url`` under ``limiter``; retries 429/502/503/504 up to ``max_retries`` times.

    The wait before a retry is ``Retry-After`` when the server gives one, else 1, 2, 4 … seconds;
    a wait longer than ``max_wait`` is not waited for: the source fails now with the time to wait.
    Any other failure is a :class:`SourceError` naming ``what`` (the service) and the reason.
    """
    retries = 0
    waited = 0.0
    while True:
        try:
            with limiter:
                status, resp_headers, body = _once(url, headers, timeout)
        except SourceError:
            raise
        except (TimeoutError, socket.timeout) as exc:
            raise SourceError(f"{what} did not answer within {timeout:g} s",
                              hint="is the server up? raise the source's timeout option if it is slow") from exc
        except ConnectionRefusedError as exc:
            raise SourceError(f"{what} refused the connection ({urlsplit(url).netloc})",
                              hint="is the server running at that address?") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise SourceError(f"{what} could not be reached: {type(exc).__name__}: {exc}") from exc
        if status not in RETRY_STATUSES:
            return Answer(status, resp_headers, body, retries=retries, waited=waited)
        hinted = retry_after_seconds(resp_headers.get("retry-after"))
        wait = hinted if hinted is not None else float(2 ** retries)
        if retries >= max_retries or wait > max_wait:
            after = f"; it asks to wait {wait:g} s" if hinted is not None else ""
            raise SourceError(f"{what} is rate-limited or unavailable (HTTP {status}) after {retries} "
                              f"retr{'y' if retries == 1 else 'ies'}{after}",
                              hint="lower the source's rate option, raise max_wait, or try again later")
        limiter.hold_off(wait)
        sleep(wait)
        waited += wait
        retries += 1


def parse_json(answer: Answer, what: str) -> Any:
    try:
        return json.loads(answer.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        start = answer.body[:60].decode("utf-8", "replace").replace("\n", " ")
        raise SourceError(f"{what} answered with something that is not JSON (starts {start!r})",
                          hint="is the URL the service's API root?") from exc


__all__ = ["Answer", "RateLimiter", "get", "limiter_for", "parse_json", "retry_after_seconds", "USER_AGENT"]
