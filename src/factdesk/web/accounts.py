"""Desk accounts: users, passwords (argon2), API tokens (only their SHA-256 is stored), sessions.

Every function takes an open :class:`~factdesk.store.Store` and keeps its rows
in ``store.desk`` (:mod:`factdesk.store.desk`); nothing here knows about HTTP.
The ``factdesk user`` commands and the desk's login both use these.

Example::

    with Store.open("desk.db") as store:
        accounts.add_user(store, "alice", "correct horse battery", "reviewer")
        token = accounts.new_token(store, "alice")      # "fdk_…", shown once
        accounts.user_for_token(store, token)["name"]   # "alice"
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from factdesk.errors import InputError
from factdesk.store import Store

ROLES = ("reviewer", "viewer")


def _hasher() -> Any:
    from argon2 import PasswordHasher  # the `web` extra: `factdesk --help` works without it

    return PasswordHasher()


# -- users ----------------------------------------------------------------------------------
def add_user(store: Store, name: str, password: str, role: str) -> int:
    name = (name or "").strip()
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise InputError("a user name must be 1-64 characters without spaces")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}", hint="choose reviewer or viewer")
    if len(password) < 8:
        raise InputError("the password must have at least 8 characters")
    if store.desk.user_exists(name):
        raise InputError(f"user {name!r} already exists")
    return store.desk.add_user(name, _hasher().hash(password), role)


def list_users(store: Store) -> list[dict[str, Any]]:
    return store.desk.list_users()


def set_disabled(store: Store, name: str, disabled: bool) -> dict[str, Any]:
    """Disable or re-enable an account; returns what changed.

    Disabling ends the user's browser sessions (deleted: they cannot come back) and suspends
    their API tokens: the tokens are kept but refused while the account is disabled, so
    re-enabling does not force every script to get a new token.  Revoke them for good with
    :func:`revoke_tokens`.
    """
    user = store.desk.get_user(name)
    was = user["disabled"] is not None
    ended = store.desk.set_disabled(user["id"], disabled) if disabled or was else 0
    return {"name": user["name"], "changed": was != disabled, "sessions_ended": ended,
            "tokens": store.desk.count_tokens(user["id"])}


def verify_password(store: Store, name: str, password: str) -> dict[str, Any] | None:
    """The user when the password is right, else None (same work either way).

    A disabled user with the right password is returned with ``disabled`` true: the caller
    refuses the login but can say why (only someone who knows the password learns it).
    """
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    row = store.desk.login_row(name or "")
    ph = _hasher()
    stored = row["password_hash"] if row else _DUMMY_HASH.get(ph)
    try:
        ph.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if ph.check_needs_rehash(stored):
        store.desk.set_password_hash(row["id"], ph.hash(password))
    return {"id": row["id"], "name": row["name"], "role": row["role"], "disabled": row["disabled"] is not None}


class _Dummy:
    """A hash to verify against for unknown users, so timing does not reveal who exists."""

    value: str | None = None

    def get(self, ph: Any) -> str:
        if self.value is None:
            self.value = ph.hash(secrets.token_urlsafe(16))
        return self.value


_DUMMY_HASH = _Dummy()


# -- API tokens -------------------------------------------------------------------------------
def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(store: Store, name: str) -> str:
    """A fresh bearer token for user ``name``; only its SHA-256 is stored."""
    user = store.desk.get_user(name)
    if user["disabled"] is not None:
        raise InputError(f"user {name!r} is disabled", hint=f"enable it first: `factdesk user enable {name}`")
    token = "fdk_" + secrets.token_urlsafe(32)
    store.desk.add_token(user["id"], _token_digest(token))
    return token


def revoke_tokens(store: Store, name: str) -> int:
    """Delete every API token of ``name``; returns how many there were."""
    return store.desk.delete_tokens(store.desk.get_user(name)["id"])


def user_for_token(store: Store, token: str) -> dict[str, Any] | None:
    """The token's user (``disabled`` says whether the account is disabled), or None for an unknown token."""
    row = store.desk.user_for_token(_token_digest(token))
    if row is None:
        return None
    return {"id": row["id"], "name": row["name"], "role": row["role"], "disabled": row["disabled"] is not None}

