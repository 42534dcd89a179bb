"""Where factdesk reads and writes files: every path-like environment variable is read here, once.

Settings (``FACTDESK_<FIELD>``, ``FACTDESK_CONFIG``) are read in :mod:`factdesk.settings`; the
variables below name folders and files, and each has exactly one reader in this module, so a
variable's meaning cannot drift between the store, the evaluation harness and the trainers.

=========================  ==============================================================
``FACTDESK_DB``            the default SQLite store file (else the user data dir's factdesk.db)
``FACTDESK_DATA``          the shared data sets (FEVER, AVeriTeC, CheckThat! …) for eval/train
``FACTDESK_VERIFIER_DIR``  a verifier model folder to load instead of the shipped one
``FACTDESK_CHECKWORTHY_DIR`` a check-worthiness model folder instead of the shipped one
``FACTDESK_EMBEDDER_DIR``  an embedding model folder (model.onnx + tokenizer.json) instead of MiniLM
``XDG_CACHE_HOME``         the base of factdesk's caches (evaluation pools, training embeddings)
=========================  ==============================================================

Example::

    from factdesk import paths
    paths.default_db_path()       # ~/.local/share/factdesk/factdesk.db unless $FACTDESK_DB
    paths.user_data_dir()         # where calibration files written by the user go
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir as _platform_data_dir

DB_ENV = "FACTDESK_DB"
DATA_ENV = "FACTDESK_DATA"
VERIFIER_DIR_ENV = "FACTDESK_VERIFIER_DIR"
CHECKWORTHY_DIR_ENV = "FACTDESK_CHECKWORTHY_DIR"
EMBEDDER_DIR_ENV = "FACTDESK_EMBEDDER_DIR"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


def user_data_dir() -> Path:
    """The user's writable factdesk folder (``~/.local/share/factdesk`` on Linux)."""
    return Path(_platform_data_dir("factdesk", appauthor=False))


def default_db_path() -> Path:
    """``$FACTDESK_DB``, else the user's data dir (``~/.local/share/factdesk/factdesk.db``)."""
    return _env_path(DB_ENV) or user_data_dir() / "factdesk.db"


def default_db_target() -> str | Path:
    """Like :func:`default_db_path`, but a ``postgresql://`` URL in ``$FACTDESK_DB`` is returned as is."""
    value = os.environ.get(DB_ENV, "")
    if value.strip().lower().startswith(("postgresql://", "postgres://")):
        return value.strip()  # a Path would fold the URL's "//"
    return default_db_path()


def shared_data_dir() -> Path | None:
    """``$FACTDESK_DATA``: the folder of shared data sets, when set."""
    return _env_path(DATA_ENV)


def data_roots() -> list[Path]:
    """Where names like ``fever/dev.jsonl`` are looked up: ``$FACTDESK_DATA``, ``../shared/data``, /work/shared/data."""
    roots = []
    env = shared_data_dir()
    if env is not None:
        roots.append(env)
    roots += [Path.cwd().parent / "shared" / "data", Path("/work/shared/data")]
    return roots


def model_dir_override(env_var: str) -> Path | None:
    """A model folder named by ``env_var`` (one of the ``*_DIR_ENV`` names above), when set."""
    return _env_path(env_var)


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/factdesk`` (default ``~/.cache/factdesk``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "factdesk"
