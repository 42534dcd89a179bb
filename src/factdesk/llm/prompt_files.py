"""The prompts the LLM stages send, read from versioned files shipped in the package.

Each prompt is ``prompts/<name>.v<N>.md``: a ``## system`` and a ``## user`` section, the user part a
:class:`string.Template` (``$claim``, ``$passages`` …; JSON examples in the text need no escaping).
A changed wording is a new file, never an edit: the version (``verdict.v1``) is part of the LLM
cache key and is recorded in every report, so a report says exactly which words produced it.

Example::

    prompt = load_prompt("verdict")            # the newest version shipped
    prompt.version                             # 'verdict.v1'
    messages = prompt.messages(claim="The dam opened in 1998.", published="2024-03-01", passages="[E1] …")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from string import Template

from factdesk.errors import ConfigError

PROMPT_NAMES = ("decompose", "questions", "verdict")
_FILE = re.compile(r"^(?P<name>[a-z_]+)\.v(?P<n>\d+)\.md$")
_SECTION = re.compile(r"^## (system|user)\s*$", re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class Prompt:
    """One versioned prompt: a system message and a user template.

    Example::

        p = load_prompt("questions")
        p.messages(claim="…", published="2024-03-01", max_questions=3)
        # [{'role': 'system', 'content': …}, {'role': 'user', 'content': …}]
    """

    name: str
    version: str  # "<name>.v<N>", as recorded in reports and cache keys
    system: str
    user: str

    def messages(self, **values: object) -> list[dict[str, str]]:
        """The chat messages with ``values`` filled in; a missing value is a bug, so it raises."""
        try:
            user = Template(self.user).substitute({k: str(v) for k, v in values.items()})
        except KeyError as exc:
            raise ConfigError(f"prompt {self.version} needs a value for {exc.args[0]}") from None
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


def _parse(name: str, version: str, text: str) -> Prompt:
    parts = _SECTION.split(_COMMENT.sub("", text))
    sections = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    if set(sections) != {"system", "user"}:
        raise ConfigError(f"prompt file {version} needs a '## system' and a '## user' section")
    return Prompt(name=name, version=version, system=sections["system"], user=sections["user"])


def available_prompts() -> dict[str, list[int]]:
    """Each shipped prompt name with its versions, ascending."""
    found: dict[str, list[int]] = {}
    for entry in resources.files("factdesk.llm").joinpath("prompts").iterdir():
        m = _FILE.match(entry.name)
        if m:
            found.setdefault(m["name"], []).append(int(m["n"]))
    return {k: sorted(v) for k, v in found.items()}


@lru_cache(maxsize=None)
def load_prompt(name: str, version: int | None = None) -> Prompt:
    """The prompt ``name`` at ``version`` (default: the newest shipped)."""
    versions = available_prompts().get(name)
    if not versions:
        raise ConfigError(f"no prompt named {name!r}", hint=f"shipped: {', '.join(sorted(available_prompts()))}")
    n = versions[-1] if version is None else version
    if n not in versions:
        raise ConfigError(f"no version {n} of prompt {name!r}", hint=f"shipped: {versions}")
    label = f"{name}.v{n}"
    text = resources.files("factdesk.llm").joinpath("prompts", f"{label}.md").read_text(encoding="utf-8")
    return _parse(name, label, text)


__all__ = ["PROMPT_NAMES", "Prompt", "available_prompts", "load_prompt"]
