"""Watched feeds (``factdesk watch``) on the desk: a read-only page and its JSON twin.

The desk only reads what the watcher keeps in the store (``store.watch``); it does not import
:mod:`factdesk.watch` (a sibling face) and starts no polling itself.  Any user the desk knows may
read them (viewers included); nothing here changes anything.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from factdesk.web.auth import identify_sync, reader
from factdesk.web.state import Desk, desk_of
from factdesk.web.templating import render

router = APIRouter()


def _feeds(desk: Desk, limit: int) -> dict[str, Any]:
    tables = desk.store().watch
    return {"feeds": tables.list_feeds(), "alerts": tables.list_alerts(limit), "counts": tables.counts()}


@router.get("/feeds", include_in_schema=False)
async def feeds_page(request: Request) -> Response:
    await reader(request)
    ctx = await run_in_threadpool(_feeds, desk_of(request), 200)
    return render(request, "feeds.html", {"nav": "feeds", **ctx})


@router.get("/api/feeds", tags=["feeds"])
def api_feeds(request: Request, limit: int = Query(200, ge=1, le=1000)) -> dict[str, Any]:
    """Watched feeds (last poll, its error, item counts by status) and their latest alerts, newest first."""
    identify_sync(request)
    data = _feeds(desk_of(request), limit)
    for feed in data["feeds"]:
        feed.pop("etag", None)
        feed.pop("last_modified", None)
    return data
