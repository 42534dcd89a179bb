"""The factdesk web desk: submit articles, follow checks, review verdicts, export.

Run it with ``factdesk serve`` (see :mod:`factdesk.web.serve_cli`) or build the
ASGI app yourself::

    from factdesk.web import create_app
    app = create_app("factdesk.db", require_login=False)

Needs the ``web`` extra (fastapi, uvicorn, jinja2, python-multipart,
argon2-cffi, itsdangerous).
"""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any) -> Any:
    from factdesk.web.app import create_app as _create

    return _create(*args, **kwargs)


__all__ = ["create_app"]
