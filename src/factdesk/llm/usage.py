"""Token and time accounting per pipeline stage, for the report and the benchmarks.

``calls`` counts answers the server produced (a repair attempt is a call of its own),
``cached`` counts answers served from the cache; tokens and seconds are only what the
server spent, so a fully cached re-run shows ``calls == 0`` and zero tokens.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class StageUsage:
    """What one stage (or the total) cost.

    Example::

        StageUsage(calls=2, prompt_tokens=300, completion_tokens=40).to_dict()["tokens"]  # 340
    """

    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    retries: int = 0  # requests sent again after a 429, a 5xx or a dropped connection
    repairs: int = 0  # answers that needed the one repair attempt
    failures: int = 0  # complete() calls that ended in an LLMError

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: StageUsage) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["seconds"] = round(self.seconds, 3)
        out["tokens"] = self.tokens
        return out


class UsageLedger:
    """Thread-safe per-stage totals of an LLM client's work.

    Example::

        ledger = UsageLedger()
        ledger.record("verdict", calls=1, prompt_tokens=120, completion_tokens=9, seconds=0.8)
        ledger.record("verdict", cached=1)
        ledger.to_dict()["verdict"]["cached"]  # 1
        ledger.total().tokens                   # 129
    """

    def __init__(self) -> None:
        self._stages: dict[str, StageUsage] = {}
        self._lock = threading.Lock()

    def record(self, stage: str, **amounts: float) -> None:
        """Add ``amounts`` (any :class:`StageUsage` field) to ``stage``."""
        with self._lock:
            self._stages.setdefault(stage, StageUsage()).add(StageUsage(**amounts))  # type: ignore[arg-type]

    def stage(self, name: str) -> StageUsage:
        """A copy of one stage's totals (zeros when it never ran)."""
        with self._lock:
            out = StageUsage()
            if name in self._stages:
                out.add(self._stages[name])
            return out

    def total(self) -> StageUsage:
        """The sum over every stage."""
        with self._lock:
            out = StageUsage()
            for usage in self._stages.values():
                out.add(usage)
            return out

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """``{stage: {calls, cached, prompt_tokens, completion_tokens, tokens, seconds, …}}``, by stage name."""
        with self._lock:
            return {name: self._stages[name].to_dict() for name in sorted(self._stages)}

    def reset(self) -> None:
        """Start counting again from zero (e.g. per check when one client serves many)."""
        with self._lock:
            self._stages.clear()


__all__ = ["StageUsage", "UsageLedger"]
