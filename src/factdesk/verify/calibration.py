"""Read the calibrated verdict aggregation for a verifier (the fitting lives offline).

A calibration file holds the stance threshold, the dominance ratio and a confidence scaling
fitted for one verifier by :mod:`factdesk.evaluate.fit_aggregation`.  The files fitted by the
user are in ``<user data dir>/aggregation/<verifier>.json`` (see ``Settings.writable_dir``) and
take precedence over the ones shipped, read-only, in the package's ``models/aggregation/``.

Example::

    agg, source = aggregation_for("cross-encoder")
    agg.threshold, source   # (0.5, 'models/aggregation/cross-encoder.json')
"""

from __future__ import annotations

import json
from pathlib import Path

from factdesk.verify.aggregate import AggregationSettings

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "models" / "aggregation"
USER_SUBDIR = "aggregation"


def calibration_path(verifier: str, user_dir: Path | None = None) -> Path:
    """The file read for ``verifier``: the user's (when there is one), else the shipped one."""
    if user_dir is not None:
        own = user_dir / USER_SUBDIR / f"{verifier}.json"
        if own.is_file():
            return own
    return SHIPPED_DIR / f"{verifier}.json"


def read_calibration(path: Path) -> AggregationSettings:
    data = json.loads(path.read_text(encoding="utf-8"))
    scale = data.get("confidence_scale")
    return AggregationSettings(threshold=float(data["threshold"]),
                               dominance=float(data.get("dominance", AggregationSettings.dominance)),
                               confidence_scale=(float(scale[0]), float(scale[1])) if scale else None)


def load_calibration(verifier: str, user_dir: Path | None = None) -> AggregationSettings | None:
    """The calibrated aggregation settings for ``verifier``, if any."""
    path = calibration_path(verifier, user_dir)
    return read_calibration(path) if path.is_file() else None


def aggregation_for(verifier: str, stance_threshold: float | None = None, *, shipped: bool = True,
                    user_dir: Path | None = None) -> tuple[AggregationSettings, str]:
    """The settings ``factdesk check`` judges with for ``verifier``, and where they came from.

    The calibration when there is one (and ``shipped``), else the uncalibrated defaults ("raw");
    a ``stance_threshold`` given by the user goes on top either way.
    """
    agg, source = AggregationSettings(), "raw"
    if shipped:
        path = calibration_path(verifier, user_dir)
        if path.is_file():
            agg = read_calibration(path)
            source = f"models/aggregation/{path.name}" if path.parent == SHIPPED_DIR else str(path)
    if stance_threshold is not None:
        agg.threshold = stance_threshold
        source = f"{source}, threshold {stance_threshold}"
    return agg, source
