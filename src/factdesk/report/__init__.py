"""Reports: the JSON contract and its renderings (Markdown, HTML, ClaimReview).

Every renderer works from the JSON report dict, so a stored report can be
re-rendered without the objects that made it::

    from factdesk.report import report_to_dict, render

    d = report_to_dict(report)
    print(render(d, "markdown"))
    open("report.html", "w").write(render(d, "html"))

The dict's shape is fixed by ``docs/report-schema.json`` (a copy ships in
the package: :func:`load_schema`).  Each ClaimReview item's shape is fixed by
``claimreview-schema.json`` in this package (:func:`load_claimreview_schema`,
:func:`validate_claimreview`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from factdesk.errors import ConfigError, InputError
from factdesk.report.claimreview import (
    load_claimreview_schema,
    render_claimreview,
    render_claimreview_json,
    validate_claimreview,
)
from factdesk.report.html import render_html
from factdesk.report.jsonreport import claims_to_dict, report_to_dict
from factdesk.report.markdown import render_markdown

FORMATS = ("markdown", "json", "html", "claimreview")

__all__ = [
    "FORMATS",
    "claims_to_dict",
    "load_claimreview_schema",
    "load_schema",
    "render",
    "render_claimreview",
    "render_html",
    "render_json",
    "render_markdown",
    "report_to_dict",
    "validate_claimreview",
    "validate_report",
]


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return resources.files("factdesk.report").joinpath("report-schema.json").read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """The report JSON Schema (draft 2020-12), as a fresh dict."""
    return json.loads(_schema_text())


def validate_report(d: dict[str, Any]) -> None:
    """Check a report dict against the schema; :class:`InputError` names the first problem.

    Needs the optional ``jsonschema`` package (``pip install factdesk[test]``).
    """
    try:
        import jsonschema
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "validating a report needs the jsonschema package", hint="pip install jsonschema"
        ) from exc
    validator = jsonschema.Draft202012Validator(load_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(d))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(f"not a valid factdesk report at {where}: {error.message}")


def render_json(d: dict[str, Any]) -> str:
    """The report dict as pretty-printed JSON (UTF-8 kept as is)."""
    return json.dumps(d, indent=2, ensure_ascii=False) + "\n"


def render(d: dict[str, Any], fmt: str, **options: Any) -> str:
    """The report dict rendered as ``fmt``, one of :data:`FORMATS`.

    ``options`` go to the renderer; only ``claimreview`` takes any
    (``publisher``, ``publisher_url``, ``review_url``, ``desk_url``: see
    :mod:`factdesk.report.claimreview`).  An unknown format, or options for
    another format, raise :class:`~factdesk.errors.ConfigError`.
    """
    name = (fmt or "").strip().lower()
    if name not in FORMATS:
        raise ConfigError(
            f"unknown report format {fmt!r}", hint="choose one of: " + ", ".join(FORMATS)
        )
    if name == "claimreview":
        return render_claimreview_json(d, **options)
    if options:
        raise ConfigError(f"the {name} format takes no options (got {', '.join(sorted(options))})")
    if name == "json":
        return render_json(d)
    if name == "html":
        return render_html(d)
    return render_markdown(d)
