"""Login throttling: too many failed logins for one user name or from one address get a 429.

Failures are rows in the store (``login_failures``, store migration 4), so a
restart does not give a password guesser a fresh allowance.  The window
slides: an attempt is refused while ``limit`` failures for its name (or its
address) are younger than ``window_s`` seconds.

Each attempt is counted as a failure *before* the password is checked, in the
same transaction as the count, and taken back when the login succeeds: two
guesses sent in parallel cannot both slip under the limit.  Unknown and known
names go through exactly the same steps, so the answer (and its timing) says
nothing about which names exist.  A refused attempt is not counted and costs
no password hash, so hammering neither extends the wait nor burns CPU.

A successful login clears the failures of its *name* only: clearing the
address's count too would let someone with one valid account reset the
counter they guess other accounts' passwords under.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from factdesk.store import Store


@dataclass(frozen=True)
class LoginLimits:
    """How many failed logins a name / an address may have within ``window_s`` seconds."""

    per_name: int = 5
    per_address: int = 20
    window_s: float = 15 * 60.0


class TooManyAttempts(Exception):
    """The login was refused without checking the password; retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(f"too many failed logins: try again in {_human(self.retry_after)} "
                         f"(Retry-After: {self.retry_after} s)")


@dataclass(frozen=True)
class Attempt:
    """A login attempt counted as a failure until :func:`login_succeeded` takes it back."""

    name_key: str
    address_row: int


def _key(scope: str, value: str) -> str:
    return hashlib.sha256(f"{scope}:{value}".encode("utf-8")).hexdigest()


def _human(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    return f"{math.ceil(seconds / 60)} min"


def _wait(rows: list[float], limit: int, window_s: float, now: float) -> float:
    """Seconds until fewer than ``limit`` of these failure times (ascending) are in the window."""
    if len(rows) < limit:
        return 0.0
    return rows[len(rows) - limit] + window_s - now


def begin_attempt(store: Store, name: str, address: str | None, limits: LoginLimits,
                  now: float | None = None) -> Attempt:
    """Count a login attempt, or raise :class:`TooManyAttempts` when its name or address is over the limit."""
    now = time.time() if now is None else now
    since = now - limits.window_s
    name_key, address_key = _key("name", name or ""), _key("address", address or "unknown")
    with store.transaction() as c:
        c.execute("DELETE FROM login_failures WHERE at <= ?", (since,))
        wait = 0.0
        for scope, key, limit in (("name", name_key, limits.per_name), ("address", address_key, limits.per_address)):
            rows = [r[0] for r in c.execute(
                "SELECT at FROM login_failures WHERE scope = ? AND key = ? AND at > ? ORDER BY at",
                (scope, key, since)).fetchall()]
            wait = max(wait, _wait(rows, limit, limits.window_s, now))
        if wait <= 0:
            c.execute("INSERT INTO login_failures(scope, key, at) VALUES ('name', ?, ?)", (name_key, now))
            cur = c.execute("INSERT INTO login_failures(scope, key, at) VALUES ('address', ?, ?)",
                            (address_key, now))
    if wait > 0:
        raise TooManyAttempts(math.ceil(wait))
    return Attempt(name_key=name_key, address_row=int(cur.lastrowid or 0))


def login_succeeded(store: Store, attempt: Attempt) -> None:
    """Forget the name's failures and take back this attempt's address row."""
    with store.transaction() as c:
        c.execute("DELETE FROM login_failures WHERE scope = 'name' AND key = ?", (attempt.name_key,))
        c.execute("DELETE FROM login_failures WHERE id = ?", (attempt.address_row,))


def failures(store: Store, scope: str, value: str, window_s: float, now: float | None = None) -> int:
    """How many failures ``value`` (a name or an address) has in the window: for tests and diagnostics."""
    now = time.time() if now is None else now
    row = store.conn.execute("SELECT count(*) FROM login_failures WHERE scope = ? AND key = ? AND at > ?",
                             (scope, _key(scope, value), now - window_s)).fetchone()
    return int(row[0])
