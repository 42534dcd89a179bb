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

from factdesk.errors import TooManyAttempts
from factdesk.store import Store

__all__ = ["Attempt", "LoginLimits", "TooManyAttempts", "begin_attempt", "failures", "login_succeeded"]


@dataclass(frozen=True)
class LoginLimits:
    """How many failed logins a name / an address may have within ``window_s`` seconds."""

    per_name: int = 5
    per_address: int = 20
    window_s: float = 15 * 60.0


@dataclass(frozen=True)
class Attempt:
    """A login attempt counted as a failure until :func:`login_succeeded` takes it back."""

    name_key: str
    address_row: int


def _key(scope: str, value: str) -> str:
    return hashlib.sha256(f"{scope}:{value}".encode("utf-8")).hexdigest()


def begin_attempt(store: Store, name: str, address: str | None, limits: LoginLimits,
                  now: float | None = None) -> Attempt:
    """Count a login attempt, or raise :class:`TooManyAttempts` when its name or address is over the limit."""
    now = time.time() if now is None else now
    name_key, address_key = _key("name", name or ""), _key("address", address or "unknown")
    # the address comes last: its row is the one a successful login takes back
    wait, address_row = store.desk.count_login_attempt(
        [("name", name_key, limits.per_name), ("address", address_key, limits.per_address)], now, limits.window_s)
    if wait > 0:
        raise TooManyAttempts(math.ceil(wait))
    return Attempt(name_key=name_key, address_row=address_row)


def login_succeeded(store: Store, attempt: Attempt) -> None:
    """Forget the name's failures and take back this attempt's address row."""
    store.desk.forget_login_failures(attempt.name_key, attempt.address_row)


def failures(store: Store, scope: str, value: str, window_s: float, now: float | None = None) -> int:
    """How many failures ``value`` (a name or an address) has in the window: for tests and diagnostics."""
    now = time.time() if now is None else now
    return store.desk.login_failures(scope, _key(scope, value), now - window_s)
