"""What every route of the desk shares, built once by ``create_app`` and kept on ``app.state.desk``.

Routes reach it with :func:`desk_of` (``desk_of(request).store()`` is this
thread's store connection); nothing is captured in closures, so each router
module stands alone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jinja2
from fastapi import Request

from factdesk import registry
from factdesk.settings import Settings
from factdesk.store import Store
from factdesk.web.sessions import Signer
from factdesk.web.throttle import LoginLimits

if TYPE_CHECKING:  # the worker imports the pipeline; the state needs only its type
    from factdesk.web.worker import Worker


class Stores:
    """One Store connection per thread (neither SQLite nor psycopg connections are shared across threads).

    ``path`` is a SQLite file or a ``postgresql://`` URL: :meth:`Store.open` opens either.
    """

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
                except Exception:  # noqa: BLE001 - closing at shutdown; nothing left to tell
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
                self._model = registry.create("embedder", self.settings.embedder)
                self._model.warm_up()
            return self._model


@dataclass
class Desk:
    """The desk's shared state: settings, store connections, the cookie signer, the worker."""

    settings: Settings
    stores: Stores
    signer: Signer
    templates: jinja2.Environment
    require_login: bool
    max_upload_bytes: int
    login_limits: LoginLimits
    start_worker: bool = True  # False: checks stay queued (tests)
    warm_up: bool = True  # load the models when the worker starts, not on the first check
    embedders: Embedders = field(init=False)
    worker: Worker | None = None  # while the app runs with one

    def __post_init__(self) -> None:
        self.embedders = Embedders(self.settings)

    def store(self) -> Store:
        """This thread's connection to the desk's store."""
        return self.stores.get()

    def notify_worker(self) -> None:
        if self.worker is not None:
            self.worker.notify()


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk
