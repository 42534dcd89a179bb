"""One error family for everything factdesk refuses to do, each with a hint, an HTTP status and a code.

The CLI prints ``error: <message>`` (plus the hint) and exits with
``exit_code``; it never shows a traceback for a FactdeskError.  The web desk
answers every FactdeskError with one JSON shape built from the same object::

    {"error": {"code": exc.code, "message": str(exc), "status": exc.status}}

``code`` is a short stable string per class that scripts can match on (it
never changes with the wording of the message).  Example::

    >>> raise InputError("the URL is empty")        # doctest: +SKIP
    # CLI: "error: the URL is empty", exit 2; web: 422 {"error": {"code": "invalid_input", ...}}
"""

from __future__ import annotations


class FactdeskError(Exception):
    """Base class. ``hint`` tells the user what to do next."""

    exit_code = 1
    status = 500  # the HTTP status the web desk answers with
    code = "internal_error"  # stable, searchable; one per class

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"

    @property
    def headers(self) -> dict[str, str]:
        """Extra HTTP response headers (e.g. Retry-After) for this error."""
        return {}


class InputError(FactdeskError):
    """The input cannot be read: missing, empty, binary, unsupported, malformed."""

    exit_code = 2
    status = 422
    code = "invalid_input"


class FetchError(InputError):
    """A URL could not be fetched: refused target, unreachable, too large, too slow."""

    code = "fetch_failed"


class UnsafeURLError(FetchError):
    """A URL points at a target factdesk refuses (loopback, private, metadata, non-http)."""

    status = 400
    code = "unsafe_url"


class RequestError(InputError):
    """A request is malformed (not JSON, wrong field types, a bad query parameter)."""

    code = "invalid_request"


class TooLargeError(InputError):
    """An upload, a pasted text or a request body is over the size cap."""

    status = 413
    code = "too_large"


class UnsupportedTypeError(InputError):
    """A file is not one of the readable types (or its content does not match its name)."""

    status = 415
    code = "unsupported_type"


class ConfigError(FactdeskError):
    """A setting is wrong or a needed optional component is not installed."""

    exit_code = 3
    code = "config_error"


class BackendError(FactdeskError):
    """A model or store backend failed."""

    exit_code = 4
    code = "backend_failed"


class StoreError(BackendError):
    """The SQLite store cannot be opened or written."""

    code = "store_failed"


class LLMError(BackendError):
    """The LLM server failed: unreachable, refused the request, or kept answering 429/5xx.

    Stages catch this family to fall back, claim by claim, to the built-in verifier.
    """

    status = 502
    code = "llm_failed"


class LLMTimeout(LLMError):
    """The LLM server did not answer within the client's timeout."""

    status = 504
    code = "llm_timeout"


class LLMOutputError(LLMError):
    """The model's answer is not valid JSON for the requested schema, even after one repair attempt."""

    code = "llm_bad_output"


class SourceError(BackendError):
    """An evidence source (web search, ZIM file …) could not answer: refused, rate-limited, down or junk.

    The pipeline skips that source for the claim and records why in the report; the check goes on.
    """

    status = 502
    code = "source_failed"


class NotFoundError(FactdeskError):
    """A report, document or other stored object does not exist."""

    exit_code = 5
    status = 404
    code = "not_found"


class NotReadyError(FactdeskError):
    """The object exists but is not in a state for this (a check still queued or running)."""

    status = 409
    code = "not_ready"


class StageError(FactdeskError):
    """A pipeline stage failed; the message names the stage."""

    code = "stage_failed"

    def __init__(self, stage: str, cause: BaseException) -> None:
        super().__init__(f"stage '{stage}' failed: {cause}")
        self.stage = stage
        self.cause = cause


class JobTimeout(FactdeskError):
    """A web desk check ran past its time limit: stopped between stages, or its process killed mid-stage."""

    status = 504
    code = "timed_out"

    def __init__(self, limit: float, stage: str, *, during: bool = False) -> None:
        where = "in" if during else "before"
        super().__init__(f"timed out after {limit:g} s; try a shorter document or raise --job-timeout "
                         f"(stopped {where} stage '{stage}')")
        self.limit, self.stage = limit, stage


# -- who may do what (the web desk) ----------------------------------------------------------------
class AuthError(FactdeskError):
    """The caller is not known: no session or token (401)."""

    status = 401
    code = "login_required"


class InvalidTokenError(AuthError):
    """An ``Authorization`` header that is malformed, unknown or revoked."""

    code = "invalid_token"


class LoginFailedError(AuthError):
    """Wrong user name or password."""

    code = "login_failed"


class DisabledTokenError(AuthError):
    """An API token of a disabled account (suspended, not revoked)."""

    code = "account_disabled"


class ForbiddenError(FactdeskError):
    """The caller is known but may not do this (403)."""

    status = 403
    code = "forbidden"


class CSRFError(ForbiddenError):
    """A state-changing request from another site, or without the right CSRF token."""

    code = "csrf_failed"


class AccountDisabledError(ForbiddenError):
    """A login with the right password to a disabled account."""

    code = "account_disabled"


class TooManyAttempts(FactdeskError):
    """A login refused without checking the password; retry after ``retry_after`` seconds."""

    status = 429
    code = "too_many_requests"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(f"too many failed logins: try again in {_human(self.retry_after)} "
                         f"(Retry-After: {self.retry_after} s)")

    @property
    def headers(self) -> dict[str, str]:
        return {"retry-after": str(self.retry_after)}


class HTTPError(FactdeskError):
    """A refusal made by the web framework itself (no such route, wrong method, bad Host)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code  # instance values: one class for the framework's answers


def _human(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    return f"{-(-seconds // 60)} min"
