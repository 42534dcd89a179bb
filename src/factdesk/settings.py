"""One typed settings object: defaults < factdesk.toml < environment < CLI flags.

``factdesk.toml`` is read from the current directory, else from the user's
config dir (``~/.config/factdesk/factdesk.toml``); ``$FACTDESK_CONFIG`` names
another file.  Environment variables are ``FACTDESK_<FIELD>`` in capitals,
e.g. ``FACTDESK_TOP_K=8``.

Example factdesk.toml::

    verifier = "baseline"
    top_k = 6
    max_per_document = 2   # evidence passages per document among a claim's top_k; 0 = no cap
    threshold = 0.4
    # ClaimReview export (factdesk show --format claimreview, the web desk's export)
    publisher = "Example Fact Desk"
    publisher_url = "https://factcheck.example.org/"
    review_url_template = "https://factcheck.example.org/checks/{report_id}#claim-{claim_id}"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from factdesk.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    db: str | None = None  # None: $FACTDESK_DB or the user data dir
    verifier: str = "auto"  # a registered verifier name; "auto": the trained one if shipped, else baseline
    checkworthiness: str = "auto"  # registered scorer; "auto": trained if shipped, else heuristic
    embedder: str = "minilm-int8"
    threshold: float = 0.5  # check-worthiness cut-off for claims
    max_claims: int = 40
    top_k: int = 5  # evidence passages per claim
    retrieval_mode: str = "hybrid"  # hybrid | lexical | dense
    # at most this many of a claim's top_k evidence passages from one document, so other documents get
    # slots too (slots the cap would leave empty are still filled); 0 = off
    max_per_document: int = 2
    # a passage bears on a claim at this stance probability; None: the verifier's calibrated value
    # (models/aggregation/<verifier>.json) or 0.55
    stance_threshold: float | None = None
    max_omitted: int = 10  # omitted-context facts listed per report
    allow_private: bool = False  # let URL fetching reach loopback/private addresses
    fetch_timeout: float = 20.0
    max_bytes: int = 20_000_000
    job_timeout: float = 600.0  # web desk: seconds one background check may run; 0 = no limit
    # ClaimReview export (see factdesk.report.claimreview): who publishes the fact-checks and where.
    publisher: str = "factdesk"  # author.name
    publisher_url: str | None = None  # the publisher's home page (author.url); reviews then default to
    # <publisher_url>/factchecks/<report_id>#claim-<claim_id>
    review_url_template: str | None = None  # the page of each review, with {report_id} and {claim_id};
    # unset with no publisher_url: the local web desk's page, http://127.0.0.1:8000/checks/<report_id>

    def with_overrides(self, **overrides: Any) -> "Settings":
        """Apply CLI flags; ``None`` means 'not given'."""
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(given) - {f.name for f in fields(self)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **{k: _coerce(k, v) for k, v in given.items()})


def _coerce(name: str, value: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if "bool" in str(kind):
            if isinstance(value, str):
                return value.strip().lower() in {"1", "true", "yes", "on"}
            return bool(value)
        if "int" in str(kind) and "str" not in str(kind):
            return int(value)
        if "float" in str(kind):
            return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name!r} must be {kind}, got {value!r}") from None
    return value


def _config_file() -> Path | None:
    env = os.environ.get("FACTDESK_CONFIG")
    if env:
        p = Path(env).expanduser()
        if not p.is_file():
            raise ConfigError(f"FACTDESK_CONFIG names {p}, which is not a file")
        return p
    local = Path("factdesk.toml")
    if local.is_file():
        return local
    from platformdirs import user_config_dir

    user = Path(user_config_dir("factdesk", appauthor=False)) / "factdesk.toml"
    return user if user.is_file() else None


def load_settings(**cli_overrides: Any) -> Settings:
    settings = Settings()
    path = _config_file()
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        settings = settings.with_overrides(**data)
    env = {f.name: os.environ[f"FACTDESK_{f.name.upper()}"] for f in fields(Settings)
           if f"FACTDESK_{f.name.upper()}" in os.environ}
    settings = settings.with_overrides(**env)
    return settings.with_overrides(**cli_overrides)
