"""The verifier contract: a stance per (claim, passage), a verdict per claim.

Any verifier — the transparent baseline, the trained model, an LLM endpoint —
implements :class:`Verifier` and registers a name in :mod:`factdesk.registry`.

Example::

    from factdesk.registry import create
    verifier = create("verifier", "baseline")
    verifier.warm_up()
    [result] = verifier.stances([("The dam opened in 1998.", "The dam opened in 2001.")])
    result.stance  # Stance.REFUTES
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from factdesk.types import Stance


@dataclass
class StanceResult:
    """Probabilities over supports / refutes / neutral for one (claim, passage) pair."""

    probabilities: dict[str, float]
    reasons: list[str] = field(default_factory=list)
    # the sentence of the passage the judgement rests on, when the verifier can say (None: the whole)
    key_sentence: str | None = None

    @property
    def stance(self) -> Stance:
        return Stance(max(self.probabilities, key=lambda k: self.probabilities[k]))

    @property
    def probability(self) -> float:
        return self.probabilities[self.stance.value]


@runtime_checkable
class Verifier(Protocol):
    name: str

    def warm_up(self) -> None:
        """Load models; cheap to call twice."""

    def stances(self, pairs: list[tuple[str, str]]) -> list[StanceResult]:
        """Judge each (claim, passage) pair."""
        ...
