"""The LLM response cache (store migration 6): one row per distinct request, so a re-run costs nothing.

A row is keyed by the SHA-256 the LLM client computes over everything that decides the answer
(model, prompt version, stage, messages, schema, max_tokens, temperature; see
:func:`factdesk.llm.client.cache_key`).  Only validated answers are written; API keys never
reach this table (they are not part of a request's messages).  Reach it through the store:
``store.llm_cache`` is an :class:`LLMCache`.

Example::

    with Store.open("fd.db") as store:
        store.llm_cache.put(key, model="smollm2", stage="verdict", prompt_version="verdict.v1",
                            text='{"label": "supported"}', data={"label": "supported"},
                            prompt_tokens=120, completion_tokens=8, seconds=0.4)
        store.llm_cache.get(key)["data"]  # {'label': 'supported'}
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from typing import TYPE_CHECKING, Any

from factdesk.store.clock import now_iso

if TYPE_CHECKING:  # the Store imports this module (store.llm_cache); no cycle at run time
    from factdesk.store.sqlite import Store

log = logging.getLogger(__name__)

SQL = """
CREATE TABLE llm_cache (
    key TEXT PRIMARY KEY,                       -- sha256 hex of the request (factdesk.llm.client.cache_key)
    model TEXT NOT NULL,
    stage TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    text TEXT NOT NULL,                         -- the message content as the server returned it
    data TEXT,                                  -- the parsed, validated JSON (NULL without a schema)
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    seconds REAL NOT NULL DEFAULT 0,            -- what the original call took
    created TEXT NOT NULL
);
CREATE INDEX llm_cache_model ON llm_cache(model, stage);
"""

# Several client threads write through one shared connection: a lock per database keeps each
# insert-and-commit whole.
_LOCKS: dict[object, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(key: object) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


class LLMCache:
    """Reads and writes of the ``llm_cache`` table of one open store (``store.llm_cache``).

    Example::

        store.llm_cache.count(model="smollm2")  # answers kept for that model
        store.llm_cache.clear(model="smollm2")  # forget them: the next check asks the server again
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._store.conn

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached answer for ``key`` (text, data, token counts, seconds), or None."""
        with _lock_for(self._store.key):
            row = self._conn.execute(
                "SELECT text, data, prompt_tokens, completion_tokens, seconds FROM llm_cache WHERE key = ?",
                (key,)).fetchone()
        if row is None:
            return None
        return {"text": row[0], "data": json.loads(row[1]) if row[1] is not None else None,
                "prompt_tokens": int(row[2]), "completion_tokens": int(row[3]), "seconds": float(row[4])}

    def put(self, key: str, *, model: str, stage: str, prompt_version: str, text: str, data: Any,
            prompt_tokens: int, completion_tokens: int, seconds: float) -> bool:
        """Keep one answer; True when written.

        Inside a caller's open transaction the row joins it; otherwise it commits on its own.  A
        failure to write (a locked or read-only database) is logged, never raised: the answer
        itself is good, only the saving of it failed.
        """
        row = (key, model, stage, prompt_version, text, json.dumps(data) if data is not None else None,
               int(prompt_tokens), int(completion_tokens), float(seconds), now_iso())
        with _lock_for(self._store.key):
            conn = self._conn
            own = not conn.in_transaction
            try:
                conn.execute(
                    """INSERT OR REPLACE INTO llm_cache(key, model, stage, prompt_version, text, data,
                           prompt_tokens, completion_tokens, seconds, created) VALUES (?,?,?,?,?,?,?,?,?,?)""",
                    row)
                if own:
                    conn.commit()
            except sqlite3.DatabaseError as exc:
                if own and conn.in_transaction:
                    conn.rollback()
                log.warning("could not cache an LLM answer: %s", exc)
                return False
        return True

    def count(self, *, model: str | None = None, stage: str | None = None) -> int:
        """How many answers are cached (of ``model`` / ``stage`` when given)."""
        sql, args = "SELECT count(*) FROM llm_cache WHERE 1=1", []
        if model is not None:
            sql, args = sql + " AND model = ?", [*args, model]
        if stage is not None:
            sql, args = sql + " AND stage = ?", [*args, stage]
        with _lock_for(self._store.key):
            return int(self._conn.execute(sql, args).fetchone()[0])

    def clear(self, *, model: str | None = None) -> int:
        """Forget cached answers (of ``model`` when given); returns how many were removed."""
        with _lock_for(self._store.key):
            conn = self._conn
            own = not conn.in_transaction
            cur = conn.execute("DELETE FROM llm_cache WHERE model = ?", (model,)) if model is not None \
                else conn.execute("DELETE FROM llm_cache")
            if own:
                conn.commit()
            return cur.rowcount


__all__ = ["LLMCache", "SQL"]
