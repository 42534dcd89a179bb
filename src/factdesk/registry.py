"""The one place swappable parts are registered; built-ins register like any plugin.

A part is found by kind and name.  Kinds: ``store``, ``embedder``, ``retriever``,
``indexer``, ``verifier``, ``checkworthiness``, ``llm`` (``evidence`` arrives with
issue 16).  Every part comes from a factory, and every factory is declared
the same way: an entry point in the ``factdesk.components`` group, named
``<kind>.<name>`` with the value ``module:factory`` — factdesk's own built-ins are
declared in its ``pyproject.toml`` exactly as a plugin package declares its parts::

    [project.entry-points."factdesk.components"]
    "verifier.my-verifier" = "my_package.verify:make_verifier"

A factory takes keyword options (``[verifier.options]`` in factdesk.toml) and returns an
object with a light ``__init__`` whose heavy loading happens in ``warm_up()``.  A factory
that needs a part the caller already built asks for it by parameter name — ``store``,
``embedder`` — and :func:`create` fills it in (see :data:`SHARED_PARTS`).  An option
``{"$env": "NAME"}`` is replaced by the environment variable ``NAME`` when the part is
created, so secrets stay out of factdesk.toml and out of every printout.

:func:`register` adds a factory in-process (for tests and notebooks).

Example::

    from factdesk import registry

    @registry.register("verifier", "my-verifier")
    def make(threshold: float = 0.5, *, embedder=None):
        return MyVerifier(threshold, embedder)

    verifier = registry.create("verifier", "my-verifier", threshold=0.7,
                               parts={"embedder": lambda: shared_embedder})
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module, metadata
from typing import Any

from factdesk.errors import ConfigError

GROUP = "factdesk.components"
KINDS = ("store", "embedder", "retriever", "indexer", "verifier", "checkworthiness", "llm", "source")
# Parts a factory may ask for by parameter name; the caller supplies them lazily.
SHARED_PARTS = ("store", "embedder")
_OWN_DISTRIBUTION = "factdesk"


@dataclass
class Component:
    """One registered factory: where it comes from and, once loaded, the factory itself.

    Example::

        [c] = [c for c in registry.components("verifier") if c.name == "baseline"]
        c.origin  # 'factdesk 0.1.0 (built-in)'
    """

    kind: str
    name: str
    target: str  # "module:attribute"
    origin: str  # the distribution (and version) that declares it, or the registering module
    builtin: bool = False
    _factory: Callable[..., Any] | None = field(default=None, repr=False)
    error: str | None = None  # why loading failed (a plugin's broken import)

    def load(self) -> Callable[..., Any]:
        if self._factory is None:
            module_name, _, attr = self.target.partition(":")
            obj: Any = import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
            self._factory = obj
        return self._factory

    @property
    def available(self) -> bool:
        """Whether the part can be created here (a model-backed built-in needs its files)."""
        check = getattr(self.load(), "factdesk_available", None)
        return bool(check()) if check is not None else True


_REGISTERED: dict[tuple[str, str], Component] = {}
_FROM_ENTRY_POINTS: dict[tuple[str, str], Component] | None = None


def register(kind: str, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``factory`` in this process (it wins over an entry point of the same name)."""

    def deco(factory: Callable[..., Any]) -> Callable[..., Any]:
        _REGISTERED[(kind, name)] = Component(kind, name, f"{factory.__module__}:{factory.__qualname__}",
                                              origin=f"register() in {factory.__module__}",
                                              _factory=factory)
        return factory

    return deco


def available_when(check: Callable[[], bool]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a factory as usable only when ``check()`` holds (e.g. its model files are present)."""

    def deco(factory: Callable[..., Any]) -> Callable[..., Any]:
        factory.factdesk_available = check  # type: ignore[attr-defined]
        return factory

    return deco


def _entry_point_components() -> dict[tuple[str, str], Component]:
    global _FROM_ENTRY_POINTS
    if _FROM_ENTRY_POINTS is None:
        found: dict[tuple[str, str], Component] = {}
        for ep in metadata.entry_points(group=GROUP):
            kind, sep, name = ep.name.partition(".")
            if not sep or not name:
                continue  # not "<kind>.<name>": not ours to interpret
            dist = getattr(ep, "dist", None)
            dist_name = dist.metadata["Name"] if dist is not None else "?"
            builtin = dist_name == _OWN_DISTRIBUTION
            comp = Component(kind, name, ep.value, origin=f"{dist_name} {dist.version if dist else ''}".strip()
                             + (" (built-in)" if builtin else ""), builtin=builtin)
            # a plugin cannot shadow a built-in name; between plugins the first found wins
            if (kind, name) not in found or (builtin and not found[(kind, name)].builtin):
                found[(kind, name)] = comp
        _FROM_ENTRY_POINTS = found
    return _FROM_ENTRY_POINTS


def refresh() -> None:
    """Forget the entry points read so far (after installing a plugin in this process)."""
    global _FROM_ENTRY_POINTS
    _FROM_ENTRY_POINTS = None


def components(kind: str | None = None) -> list[Component]:
    """Every declared component (of ``kind``), whether or not it is available here, by kind then name."""
    merged = {**_entry_point_components(), **_REGISTERED}
    return sorted((c for c in merged.values() if kind is None or c.kind == kind), key=lambda c: (c.kind, c.name))


def _usable(comp: Component) -> bool:
    try:
        return comp.available
    except Exception as exc:  # noqa: BLE001 - a plugin's import error is reported, not fatal
        if comp.builtin:
            raise  # a broken built-in is a bug in factdesk: surface it
        comp.error = f"{type(exc).__name__}: {exc}"
        return False


def names(kind: str) -> list[str]:
    """The names of ``kind`` that can be created here, sorted."""
    return [c.name for c in components(kind) if _usable(c)]


def resolve_secrets(value: Any) -> Any:
    """``{"$env": "NAME"}`` (at any depth) replaced by ``$NAME``; everything else as is."""
    if isinstance(value, Mapping):
        if set(value) == {"$env"}:
            var = str(value["$env"])
            if var not in os.environ:
                raise ConfigError(f"the environment variable {var} is not set",
                                  hint=f"an option refers to it with {{\"$env\": \"{var}\"}}; export it first")
            return os.environ[var]
        return {k: resolve_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_secrets(v) for v in value]
    return value


def wants(factory: Callable[..., Any]) -> set[str]:
    """The shared parts ``factory`` asks for by parameter name."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return set()
    return {p for p in SHARED_PARTS if p in params}


def require(kind: str, name: str) -> Component:
    """The component ``kind``/``name``, or a :class:`ConfigError` that lists the names there are."""
    comp = next((c for c in components(kind) if c.name == name), None)
    if comp is None or not _usable(comp):
        why = f" ({comp.error})" if comp is not None and comp.error else ""
        raise ConfigError(f"unknown {kind} {name!r}{why}",
                          hint=f"choose one of: {', '.join(names(kind)) or '(none registered)'}")
    return comp


def create(kind: str, name: str, /, *, parts: Mapping[str, Callable[[], Any]] | None = None,
           **options: Any) -> Any:
    """Build the ``kind`` part registered as ``name`` with ``options`` (secrets resolved now).

    ``parts`` maps a shared part's name to a function returning it; it is called only when the
    factory asks for that part and the options do not already give it.
    """
    factory = require(kind, name).load()
    kwargs = {k: resolve_secrets(v) for k, v in options.items()}
    for part in wants(factory):
        if part not in kwargs and parts and part in parts:
            kwargs[part] = parts[part]()
    return factory(**kwargs)
