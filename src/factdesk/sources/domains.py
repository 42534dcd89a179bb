"""Which result domains a web source may use as evidence, and which are earlier fact-checks.

A page that fact-checks the claim is not evidence *for* it: it repeats the claim, and a verifier
would read "the claim says X" as support.  So fact-check sites are denied as evidence by default
and listed as earlier fact-checks in the report instead (``deny_factcheckers = false`` turns that
off).  An entry is a host name (``snopes.com`` matches it and every subdomain) or a host with a path
prefix (``reuters.com/fact-check``) for news sites whose fact-checks live in one section.

Example::

    >>> rules = DomainRules(allow=(), deny=("example.net",))
    >>> rules.verdict("https://www.snopes.com/fact-check/x/")
    'factcheck'
    >>> rules.verdict("https://news.example.net/a")
    'denied'
    >>> rules.verdict("https://example.org/a")
    'allowed'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

# Fact-checking organisations (most are IFCN signatories) and fact-check sections of news sites.
FACTCHECK_DOMAINS: tuple[str, ...] = (
    "snopes.com", "politifact.com", "factcheck.org", "fullfact.org", "leadstories.com", "checkyourfact.com",
    "africacheck.org", "factcheck.afp.com", "healthfeedback.org", "climatefeedback.org", "sciencefeedback.co",
    "truthorfiction.com", "correctiv.org", "maldita.es", "newtral.es", "boomlive.in", "altnews.in",
    "factly.in", "vishvasnews.com", "teyit.org", "aosfatos.org", "chequeado.com", "pagellapolitica.it",
    "facta.news", "dpa-factchecking.com", "logicallyfacts.com", "misbar.com", "verafiles.org",
    "factcheckni.org", "polygraph.info", "euvsdisinfo.eu", "hoax-slayer.net", "mythdetector.com",
    "reuters.com/fact-check", "apnews.com/ap-fact-check", "usatoday.com/story/news/factcheck",
    "washingtonpost.com/politics/fact-checker", "rappler.com/newsbreak/fact-check",
    "piaui.folha.uol.com.br/lupa", "bbc.co.uk/news/reality_check", "factuel.afp.com",
)


def _split_rule(rule: str) -> tuple[str, str]:
    rule = rule.strip().lower()
    if "://" in rule:
        parts = urlsplit(rule)
        host, path = parts.hostname or "", parts.path
    else:
        host, _, path = rule.partition("/")
        path = "/" + path if path else ""
    return host.strip(".").removeprefix("www."), path.rstrip("/")


def _matches(host: str, path: str, rule: tuple[str, str]) -> bool:
    rhost, rpath = rule
    if not rhost or not (host == rhost or host.endswith("." + rhost)):
        return False
    return not rpath or path == rpath or path.startswith(rpath + "/")


@dataclass(frozen=True)
class DomainRules:
    """Allow list (empty: every domain), deny list, and whether fact-check sites are set aside."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    deny_factcheckers: bool = True
    factcheckers: tuple[str, ...] = FACTCHECK_DOMAINS

    @classmethod
    def from_options(cls, allow: Iterable[str] | str | None, deny: Iterable[str] | str | None,
                     deny_factcheckers: bool = True) -> "DomainRules":
        def as_tuple(value: Iterable[str] | str | None) -> tuple[str, ...]:
            if value is None:
                return ()
            if isinstance(value, str):
                value = value.replace(",", " ").split()
            return tuple(str(v).strip() for v in value if str(v).strip())

        return cls(allow=as_tuple(allow), deny=as_tuple(deny), deny_factcheckers=bool(deny_factcheckers))

    def verdict(self, url: str) -> str:
        """``allowed``, ``denied`` (deny list, or not on a non-empty allow list) or ``factcheck``."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().strip(".").removeprefix("www.")
        path = parts.path or "/"
        if self.deny_factcheckers and any(_matches(host, path, _split_rule(r)) for r in self.factcheckers):
            return "factcheck"
        if any(_matches(host, path, _split_rule(r)) for r in self.deny):
            return "denied"
        if self.allow and not any(_matches(host, path, _split_rule(r)) for r in self.allow):
            return "denied"
        return "allowed"


__all__ = ["DomainRules", "FACTCHECK_DOMAINS"]
