"""The web desk: a FastAPI app with server-rendered pages and a JSON API under ``/api/``.

``create_app(store_path, require_login=...)`` builds it; ``factdesk serve``
(:mod:`factdesk.web.serve_cli`) runs it with uvicorn.  The app is assembled from
routers, each a module of its own that reaches the shared state through
``app.state.desk`` (:mod:`factdesk.web.state`):

* :mod:`factdesk.web.api`: the JSON API; :mod:`factdesk.web.pages`: the pages;
  :mod:`factdesk.web.feeds`: watched feeds and their alerts (read from the store);
  :mod:`factdesk.web.auth`: who is asking, login and logout;
* :mod:`factdesk.web.errors`: the one error shape, ``{"error": {"code", "message", "status"}}``
  on every route (browser pages show the same fields as an HTML page);
* :mod:`factdesk.web.middleware`: Host check, body cap, and a strict Content-Security-Policy
  on every response (the pages use no inline script or style).

Checks run in one background worker thread (:mod:`factdesk.web.worker`); jobs, users,
tokens, sessions, failed logins and reviewer edits live in the store (``store.desk``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from factdesk import __version__
from factdesk.report.claimreview import publishing
from factdesk.settings import Settings
from factdesk.store import Store
from factdesk.web import api, auth, errors, feeds, pages
from factdesk.web.middleware import DeskMiddleware
from factdesk.web.sessions import Signer
from factdesk.web.state import Desk, Stores
from factdesk.web.templating import template_env
from factdesk.web.throttle import LoginLimits
from factdesk.web.worker import Worker

log = logging.getLogger("factdesk.web")

HERE = Path(__file__).parent
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]", "testserver")
BODY_OVERHEAD = 256 * 1024  # multipart framing and form fields around an upload of the maximum size
DESCRIPTION = ('The factdesk web desk API. Every error is `{"error": {"code": "...", "message": "...", '
               '"status": 404}}`. Authenticate scripts with `Authorization: Bearer <token>` '
               "(`factdesk user token NAME`).")


def create_app(store_path: str | Path, *, require_login: bool, allow_private_urls: bool = False,
               settings: Settings | None = None, start_worker: bool = True, warm_up: bool = True,
               max_upload_bytes: int | None = None, allowed_hosts: list[str] | None = None,
               publisher: str | None = None, publisher_url: str | None = None,
               login_limits: LoginLimits | None = None) -> FastAPI:
    """The desk app over the store at ``store_path``.

    ``require_login``: every request needs a session or a bearer token (use it whenever the
    server is reachable from other machines).  Without it the desk trusts every caller as the
    local reviewer and answers only to loopback host names (DNS-rebinding guard), unless
    ``allowed_hosts`` names others.  ``allow_private_urls`` lets URL checks reach private
    networks.  ``start_worker=False`` runs no checks (jobs stay queued), for tests.
    ``max_upload_bytes`` (default: setting ``web_max_upload_bytes``) caps one upload or text;
    ``login_limits``: how many failed logins a user name / a client address may have in a
    window before ``/login`` answers 429 (default: settings ``web_login_*``, 5 and 20 in 15
    minutes).  Checks run under ``settings.job_timeout`` seconds each (see
    :class:`~factdesk.web.worker.Worker`).  The ClaimReview export uses the settings
    ``publisher``, ``publisher_url`` and ``review_url_template`` like ``factdesk show``
    (``publisher`` / ``publisher_url`` given here override them); with neither URL set, each
    review's url is this desk's own page for the report, on the address the export was
    requested on.  A bad URL or template raises ConfigError here.
    """
    settings = (settings or Settings()).with_overrides(allow_private=allow_private_urls, publisher=publisher,
                                                       publisher_url=publisher_url)
    publishing(settings.publisher, settings.publisher_url, settings.review_url_template)  # fail at start
    with Store.open(store_path) as boot:  # migrate now, in this thread, and read the secret
        secret = boot.desk.session_secret()
    cap = settings.web_max_upload_bytes if max_upload_bytes is None else max_upload_bytes
    limits = login_limits or LoginLimits(settings.web_login_per_name, settings.web_login_per_address,
                                         settings.web_login_window_s)
    desk = Desk(settings=settings, stores=Stores(str(store_path)), signer=Signer(secret),
                templates=template_env(HERE / "templates"), require_login=require_login,
                max_upload_bytes=cap, login_limits=limits, start_worker=start_worker, warm_up=warm_up)
    app = FastAPI(title="factdesk", version=__version__, lifespan=_lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json", description=DESCRIPTION)
    app.state.desk = desk
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_middleware(DeskMiddleware, allowed_hosts=_hosts(require_login, allowed_hosts),
                       max_body=cap + BODY_OVERHEAD)
    errors.install(app)
    for router in (api.router, pages.router, feeds.router, auth.router):
        app.include_router(router)
    return app


def _hosts(require_login: bool, allowed_hosts: list[str] | None) -> tuple[str, ...] | None:
    """The Host names answered: loopback only without login (DNS rebinding), any with it."""
    if not require_login:
        return tuple(h.lower() for h in (allowed_hosts or LOOPBACK_HOSTS))
    return tuple(h.lower() for h in allowed_hosts) if allowed_hosts else None


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Recover jobs a stopped server left behind, run the worker while the app runs."""
    desk: Desk = app.state.desk
    recovered = desk.store().desk.recover_jobs()
    if recovered["requeued"] or recovered["failed"]:
        log.warning("jobs interrupted by a stop: re-queued %s, failed %s", recovered["requeued"],
                    recovered["failed"])
    if desk.start_worker:
        desk.worker = Worker(desk.stores.path, desk.settings, warm_up=desk.warm_up,
                             embedder_factory=desk.embedders.get)
        desk.worker.start()
    try:
        yield
    finally:
        if desk.worker is not None:
            desk.worker.stop()
            desk.worker = None
        desk.stores.close_all()
