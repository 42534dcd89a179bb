"""The passage cutter, now in :mod:`factdesk.text.passages` (shared by retrieve and sources); kept here by name."""

from __future__ import annotations

from factdesk.text.passages import make_passages

__all__ = ["make_passages"]
