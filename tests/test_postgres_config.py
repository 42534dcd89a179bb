"""Choosing the PostgreSQL store, without a server (default run): URLs, the missing extra, the registry."""

from __future__ import annotations

import pytest

from factdesk.errors import ConfigError


def test_a_postgres_url_without_psycopg_says_how_to_install_it(monkeypatch):
    import factdesk.store.postgres as pgmod
    from factdesk.store import Store

    monkeypatch.setattr(pgmod, "psycopg_available", lambda: False)
    for url in ("postgresql://me@db.example/factdesk", "postgres://me@db.example/factdesk"):
        with pytest.raises(ConfigError) as info:
            Store.open(url)
        assert "pip install 'factdesk[postgres]'" in (info.value.hint or "")


def test_factdesk_db_keeps_a_url_and_a_path_keeps_sqlite(monkeypatch, tmp_path):
    from factdesk import paths
    from factdesk.store import Store

    monkeypatch.setenv("FACTDESK_DB", "postgresql://me@db.example:5433/factdesk")
    assert paths.default_db_target() == "postgresql://me@db.example:5433/factdesk"
    monkeypatch.setenv("FACTDESK_DB", str(tmp_path / "x.db"))
    assert paths.default_db_target() == tmp_path / "x.db"
    with Store.open() as store:
        assert isinstance(store, Store) and store.path == tmp_path / "x.db"


def test_url_detection_and_password_redaction():
    from factdesk.store.postgres import _redact, is_postgres_url

    assert is_postgres_url("postgresql://u@h/d") and is_postgres_url("POSTGRES://u@h/d")
    assert not is_postgres_url("/var/lib/factdesk.db") and not is_postgres_url("postgresql.db")
    assert _redact("postgresql://u:s3cret@h:5432/d") == "postgresql://u:***@h:5432/d"


def test_the_postgres_factory_wants_a_url(tmp_path):
    from factdesk.store.postgres import postgres_store

    with pytest.raises(ConfigError, match="postgresql:// URL"):
        postgres_store(path=str(tmp_path / "store.db"))


def test_postgres_parts_refuse_a_sqlite_store(tmp_path):
    from factdesk.retrieve.postgres import PostgresRetriever
    from factdesk.store import Store
    from factdesk.testing import FakeEmbedder

    with Store.open(tmp_path / "s.db") as store, pytest.raises(ConfigError, match="PostgreSQL store"):
        PostgresRetriever(store, FakeEmbedder())
