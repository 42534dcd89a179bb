"""The one place swappable parts are registered, built-ins like any plugin.

Kinds: ``verifier``, ``checkworthiness``, ``embedder``.  A factory takes
keyword settings and returns an object with a light ``__init__``; heavy
loading happens in its ``warm_up()``.

Example::

    from factdesk.registry import register, create

    @register("verifier", "my-verifier.v1")
    def make(**settings):
        return MyVerifier(**settings)

    verifier = create("verifier", "my-verifier.v1")
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from factdesk.errors import ConfigError

_REGISTRY: dict[str, dict[str, Callable[..., Any]]] = {}

# Built-ins live in these modules; importing one registers its names.
_BUILTIN_MODULES = {
    "verifier": ["factdesk.verify.baseline", "factdesk.verify.trained", "factdesk.verify.cross_encoder"],
    "checkworthiness": ["factdesk.claims.checkworthy", "factdesk.claims.trained"],
    "embedder": ["factdesk.retrieve.embed"],
}
_loaded: set[str] = set()


def register(kind: str, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def deco(factory: Callable[..., Any]) -> Callable[..., Any]:
        _REGISTRY.setdefault(kind, {})[name] = factory
        return factory

    return deco


def _load_builtins(kind: str) -> None:
    if kind in _loaded:
        return
    _loaded.add(kind)
    for module in _BUILTIN_MODULES.get(kind, []):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # a real missing dependency inside the module: surface it
                raise


def names(kind: str) -> list[str]:
    _load_builtins(kind)
    return sorted(_REGISTRY.get(kind, {}))


def create(kind: str, name: str, **settings: Any) -> Any:
    _load_builtins(kind)
    try:
        factory = _REGISTRY[kind][name]
    except KeyError:
        raise ConfigError(
            f"unknown {kind} {name!r}", hint=f"choose one of: {', '.join(names(kind)) or '(none registered)'}"
        ) from None
    return factory(**settings)
