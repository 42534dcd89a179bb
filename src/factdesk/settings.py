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

A part's name may instead be a table with options for its factory (see :mod:`factdesk.registry`);
secrets are named by environment variable, read when the part is created and never stored::

    [verifier]
    name = "cross-encoder"
    [verifier.options]
    threads = 4
    # api_key = { "$env" = "MY_VERIFIER_KEY" }

An LLM (off unless a URL and a model are given; docs/llm.md) is its own table: any
OpenAI-compatible server (Ollama, llama.cpp server, vLLM), the stages that use it, and the client's
options::

    [llm]
    url = "http://127.0.0.1:11434/v1"
    model = "qwen2.5:7b-instruct"
    stages = ["decompose", "questions", "verdict"]
    [llm.options]
    api_key_env = "MY_LLM_KEY"   # the variable's name; the key itself is never stored
    timeout = 60
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from factdesk.errors import ConfigError
from factdesk.paths import user_data_dir

# Kinds whose name may be given as a table: [verifier] name = "…" plus [verifier.options].
# options the retriever and the indexer share (one choice of lexical engine; see Settings.options_for)
SHARED_INDEX_OPTIONS = ("lexical_engine", "tantivy_threshold")
COMPONENT_KINDS = ("verifier", "checkworthiness", "embedder", "retriever", "indexer", "store")
# The stages that can use an LLM, in the order the pipeline runs them.
LLM_STAGES = ("decompose", "questions", "verdict")
# [llm] keys and the settings they set.
_LLM_KEYS = {"name": "llm", "url": "llm_url", "model": "llm_model", "stages": "llm_stages"}


@dataclass(frozen=True)
class Settings:
    verifier: str = "auto"  # a registered verifier name; "auto": the trained one if shipped, else baseline
    checkworthiness: str = "auto"  # registered scorer; "auto": trained if shipped, else heuristic
    embedder: str = "minilm-int8"
    retriever: str = "sqlite"  # registered retriever (searches the index)
    indexer: str = "sqlite"  # registered indexer (writes the index)
    store: str = "sqlite"  # registered store, when the caller does not hand one over
    # per-kind factory options: kind -> {option: value}; a value {"$env": "NAME"} is read from the
    # environment when the part is created, never kept here ([verifier.options] in factdesk.toml)
    component_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    # where factdesk writes its own state (calibration fitted by the user …); None: the platform's
    # user data dir (~/.local/share/factdesk); the package's shipped files are only ever read
    user_dir: str | None = None
    threshold: float = 0.5  # check-worthiness cut-off for claims
    max_claims: int = 40  # claims kept per article, the most check-worthy first (a report says how many it left out); 0 = all
    top_k: int = 5  # evidence passages per claim
    retrieval_mode: str = "hybrid"  # hybrid | lexical | dense
    # at most this many of a claim's top_k evidence passages from one document, so other documents get
    # slots too (slots the cap would leave empty are still filled); 0 = off
    max_per_document: int = 2
    # a passage bears on a claim at this stance probability; None: the verifier's calibrated value
    # (models/aggregation/<verifier>.json) or 0.55
    stance_threshold: float | None = None
    max_omitted: int = 10  # omitted-context facts listed per report
    # the verifier that judges omitted-context candidates: they are many (hundreds of pairs), the
    # transparent baseline judges them in milliseconds and found more of the demo's omitted facts than
    # the trained v1 verifier did (docs/benchmarks.md), so it is used whatever the claim verifier is
    omitted_verifier: str = "baseline"
    allow_private: bool = False  # let URL fetching reach loopback/private addresses
    fetch_timeout: float = 20.0
    # the one size cap on any input the pipeline reads (a file to check or index, a fetched URL); the web
    # desk has its own, smaller cap on uploads (web_max_upload_bytes)
    max_bytes: int = 50_000_000
    job_timeout: float = 600.0  # web desk: seconds one background check may run; 0 = no limit
    # web desk: "process" runs checks in a child process the worker kills at job_timeout (a hard limit);
    # "thread" runs them in the worker thread, stopped only between stages (no second copy of the models)
    job_isolation: str = "process"
    # web desk, job_isolation "process": a check process holding more than this (MB resident, models included)
    # is stopped and its job failed; 0 = no limit
    job_memory_mb: float = 4096.0
    # web desk (factdesk serve): where it listens, its own cap on one upload or pasted text (URLs it
    # fetches keep max_bytes), and how many failed logins a user name / a client address may have
    # within web_login_window_s seconds before /login answers 429
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    web_max_upload_bytes: int = 10 * 1024 * 1024
    web_login_per_name: int = 5
    web_login_per_address: int = 20
    web_login_window_s: float = 900.0
    # the LLM (issue 14; docs/llm.md): a registered client ("openai": any OpenAI-compatible server), used
    # only when llm_url and llm_model are both set; llm_stages: which of decompose, questions, verdict use it
    # (comma-separated); the client's own options (api_key_env, timeout …) are [llm.options]
    llm: str = "openai"
    llm_url: str | None = None
    llm_model: str | None = None
    llm_stages: str = ",".join(LLM_STAGES)
    # evidence sources beyond the local index (issue 16; docs/sources.md): each "KIND" or "KIND=SPEC"
    # ("searxng=http://127.0.0.1:8888", "brave", "zim=/data/wiki.zim") or a [[sources]] table with a name
    # and its options; sources added with `factdesk sources add` run too. None configured: nothing leaves
    # the machine. refresh_sources: ask the APIs and fetch the pages again instead of reusing the store's
    sources: tuple[Any, ...] = ()
    refresh_sources: bool = False
    # ClaimReview export (see factdesk.report.claimreview): who publishes the fact-checks and where.
    publisher: str = "factdesk"  # author.name
    publisher_url: str | None = None  # the publisher's home page (author.url); reviews then default to
    # <publisher_url>/factchecks/<report_id>#claim-<claim_id>
    review_url_template: str | None = None  # the page of each review, with {report_id} and {claim_id};
    # unset with no publisher_url: the local web desk's page, http://127.0.0.1:8000/checks/<report_id>

    def options_for(self, kind: str) -> dict[str, Any]:
        """The factory options given for ``kind`` (secrets still as ``{"$env": NAME}`` references).

        The lexical engine's choice (``lexical_engine``, ``tantivy_threshold``) is one decision for the
        retriever that searches and the indexer that keeps the index beside the store: set under either
        table it holds for both, so ``[retriever.options] lexical_engine = "fts5"`` also stops ``factdesk
        index`` building a tantivy index.  Set under both tables with different values it is a
        :class:`ConfigError`.
        """
        options = dict(self.component_options.get(kind, {}))
        other = {"retriever": "indexer", "indexer": "retriever"}.get(kind)
        if other is None:
            return options
        theirs = self.component_options.get(other, {})
        for key in SHARED_INDEX_OPTIONS:
            if key not in theirs:
                continue
            if key in options and options[key] != theirs[key]:
                raise ConfigError(f"[retriever.options] and [indexer.options] give {key} different values "
                                  f"({self.component_options['retriever'][key]!r} and "
                                  f"{self.component_options['indexer'][key]!r})",
                                  hint="set it once, under either table: it holds for both")
            options[key] = theirs[key]
        return options

    def claim_cap(self) -> int | None:
        """``max_claims`` as extraction takes it: None for 0 or None (no cap); a negative value is a
        :class:`ConfigError`."""
        if self.max_claims is None:
            return None
        if self.max_claims < 0:
            raise ConfigError(f"max_claims must be 0 (no cap) or more, got {self.max_claims}")
        return self.max_claims or None

    @property
    def llm_configured(self) -> bool:
        """Whether an LLM is to be used (a URL and a model are both set)."""
        return bool(self.llm_url and self.llm_model)

    def llm_stage_list(self) -> tuple[str, ...]:
        """The stages that use the LLM, in pipeline order; an unknown name is a :class:`ConfigError`."""
        names = [n.strip().lower() for n in str(self.llm_stages or "").split(",") if n.strip()]
        unknown = sorted(set(names) - set(LLM_STAGES))
        if unknown:
            raise ConfigError(f"unknown LLM stage(s): {', '.join(unknown)}",
                              hint=f"llm_stages takes {', '.join(LLM_STAGES)} (comma-separated)")
        return tuple(n for n in LLM_STAGES if n in names)

    def writable_dir(self) -> Path:
        """The folder factdesk may write state into (:attr:`user_dir`, else the user data dir)."""
        return Path(self.user_dir).expanduser() if self.user_dir else user_data_dir()

    def with_overrides(self, **overrides: Any) -> "Settings":
        """Apply CLI flags; ``None`` means 'not given'."""
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(given) - {f.name for f in fields(self)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **{k: _coerce(k, v) for k, v in given.items()})


def _coerce(name: str, value: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if name == "sources":  # FACTDESK_SOURCES="searxng=http://…, brave": comma-separated specs
        items = value.split(",") if isinstance(value, str) else value
        return tuple(v.strip() if isinstance(v, str) else v for v in items if not isinstance(v, str) or v.strip())
    if name == "llm_stages" and isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
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


def _component_tables(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """``[verifier] name = …`` / ``[verifier.options]`` tables folded into plain settings."""
    out = dict(data)
    options = dict(out.get("component_options") or {})
    for kind in COMPONENT_KINDS:
        table = out.get(kind)
        if not isinstance(table, dict):
            continue
        unknown = set(table) - {"name", "options"}
        if unknown:
            raise ConfigError(f"{path}: [{kind}] takes name and options, not {', '.join(sorted(unknown))}")
        if "name" in table:
            out[kind] = table["name"]
        else:
            del out[kind]
        if not isinstance(table.get("options", {}), dict):
            raise ConfigError(f"{path}: [{kind}.options] must be a table")
        options[kind] = {**options.get(kind, {}), **table.get("options", {})}
    llm = out.pop("llm", None)
    if isinstance(llm, dict):
        unknown = set(llm) - set(_LLM_KEYS) - {"options"}
        if unknown:
            raise ConfigError(f"{path}: [llm] takes {', '.join(_LLM_KEYS)} and options, "
                              f"not {', '.join(sorted(unknown))}")
        if not isinstance(llm.get("options", {}), dict):
            raise ConfigError(f"{path}: [llm.options] must be a table")
        out.update({setting: llm[key] for key, setting in _LLM_KEYS.items() if key in llm})
        if llm.get("options"):
            options["llm"] = {**options.get("llm", {}), **llm["options"]}
    elif llm is not None:
        out["llm"] = llm
    if options:
        out["component_options"] = options
    return out


def load_settings(**cli_overrides: Any) -> Settings:
    settings = Settings()
    path = _config_file()
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        settings = settings.with_overrides(**_component_tables(data, path))
    env = {f.name: os.environ[f"FACTDESK_{f.name.upper()}"] for f in fields(Settings)
           if f"FACTDESK_{f.name.upper()}" in os.environ and f.name != "component_options"}
    settings = settings.with_overrides(**env)
    return settings.with_overrides(**cli_overrides)
