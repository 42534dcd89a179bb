"""Browser tests: registers the ``e2e`` marker (pyproject may list it too)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser tests (headless Chromium via Playwright; skipped without them)")
