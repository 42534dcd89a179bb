"""The verifier contract: a stance per (claim, passage), a verdict per claim.

:class:`Verifier` and :class:`StanceResult` are defined in :mod:`factdesk.protocols` and
re-exported here, where verifiers have always imported them from.

Example::

    from factdesk.registry import create
    verifier = create("verifier", "baseline")
    verifier.warm_up()
    [result] = verifier.stances([("The dam opened in 1998.", "The dam opened in 2001.")])
    result.stance  # Stance.REFUTES
"""

from __future__ import annotations

from factdesk.protocols import StanceResult, Verifier

__all__ = ["StanceResult", "Verifier"]
