"""Which evidence sources a check uses: settings, the store's ``factdesk sources add`` list, ``--source``.

A source is written ``KIND`` or ``KIND=SPEC``: ``searxng=http://127.0.0.1:8888``, ``brave`` (the key
from ``$BRAVE_API_KEY``) or ``brave=MY_KEY_VAR``, ``zim=/data/wikipedia.zim``.  SPEC sets the one
option the kind's factory names (its ``spec_option`` attribute, else :data:`SPEC_OPTIONS`, else
``spec``).  In factdesk.toml a source may also be a table with its options::

    sources = ["searxng=http://127.0.0.1:8888"]

    [[sources]]
    name = "brave"
    api_key_env = "BRAVE_API_KEY"
    budget = 20
    deny = ["example.net"]

Example::

    >>> parse_spec("searxng=http://127.0.0.1:8888")
    SourceEntry(name='searxng', kind='searxng', options={'url': 'http://127.0.0.1:8888'})
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from factdesk import registry
from factdesk.errors import ConfigError

# what SPEC sets for the kinds factdesk knows of (a factory's own ``spec_option`` wins)
SPEC_OPTIONS = {"searxng": "url", "brave": "api_key_env", "zim": "path"}


@dataclass
class SourceEntry:
    name: str  # how the report names it (several of one kind get their own names)
    kind: str  # the registered source
    options: dict[str, Any] = field(default_factory=dict)


def spec_option(kind: str) -> str:
    """The option SPEC sets for ``kind``."""
    try:
        factory = registry.require("source", kind).load()
    except ConfigError:
        factory = None
    return str(getattr(factory, "spec_option", None) or SPEC_OPTIONS.get(kind, "spec"))


def looks_like_spec(value: str) -> bool:
    """Whether ``value`` names a registered source (``KIND`` or ``KIND=…``), not a file or URL."""
    kind = value.split("=", 1)[0].strip()
    return bool(kind) and kind in registry.names("source")


def parse_spec(value: str) -> SourceEntry:
    kind, sep, spec = value.partition("=")
    kind = kind.strip()
    if not kind:
        raise ConfigError(f"not a source: {value!r}", hint="write KIND=SPEC, e.g. searxng=http://127.0.0.1:8888")
    registry.require("source", kind)
    options = {spec_option(kind): spec.strip()} if sep and spec.strip() else {}
    return SourceEntry(name=kind, kind=kind, options=options)


def parse_entry(value: Any) -> SourceEntry:
    """One ``sources`` item: a ``KIND=SPEC`` string or a table ``{name, kind?, spec?, options?, …options}``."""
    if isinstance(value, SourceEntry):
        return value
    if isinstance(value, str):
        return parse_spec(value)
    if not isinstance(value, dict):
        raise ConfigError(f"a source is KIND=SPEC or a table with a name, not {value!r}")
    table = dict(value)
    name = str(table.pop("name", "") or "").strip()
    kind = str(table.pop("kind", "") or name).strip()
    if not kind:
        raise ConfigError("a [[sources]] table needs a name (the source's kind, e.g. searxng)")
    registry.require("source", kind)
    options = dict(table.pop("options", {}) or {})
    spec = table.pop("spec", None)
    options.update(table)
    if spec:
        options.setdefault(spec_option(kind), spec)
    return SourceEntry(name=name or kind, kind=kind, options=options)


def entries(*groups: Iterable[Any]) -> list[SourceEntry]:
    """Source entries from each group in turn; a later entry of the same name replaces an earlier one."""
    out: dict[str, SourceEntry] = {}
    for group in groups:
        for item in group or ():
            entry = parse_entry(item)
            out.pop(entry.name, None)
            out[entry.name] = entry
    return list(out.values())


def stored_entries(store: Any) -> list[SourceEntry]:
    """The sources ``factdesk sources add`` kept (none in a store without the sources tables)."""
    records = getattr(store, "sources", None)
    if records is None:
        return []
    out = []
    for row in records.configured():
        options = dict(row["options"])
        if row["spec"]:
            options.setdefault(spec_option(row["kind"]), row["spec"])
        out.append(SourceEntry(name=row["name"], kind=row["kind"], options=options))
    return out


__all__ = ["SPEC_OPTIONS", "SourceEntry", "entries", "looks_like_spec", "parse_entry", "parse_spec",
           "spec_option", "stored_entries"]
