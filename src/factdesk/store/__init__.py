"""Storage backends. SQLite is the embedded default."""

from factdesk.store.sqlite import Store, default_db_path

__all__ = ["Store", "default_db_path"]
