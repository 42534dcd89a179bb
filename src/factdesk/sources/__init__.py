"""Evidence from outside the local index: web search (SearxNG, Brave), Kiwix ZIM files (issue 16).

Each source is an :class:`~factdesk.protocols.EvidenceSource` registered as kind ``source``
(``source.searxng``, ``source.brave``, …).  Sources run only when configured — ``--source KIND=SPEC``,
``sources`` in factdesk.toml, or ``factdesk sources add`` — so nothing leaves the machine otherwise.

* :mod:`factdesk.sources.config`: which sources a check uses, from settings, the store and flags;
* :mod:`factdesk.sources.web`: query cache, budget, domain rules, snapshots and ranking, for every
  web search API; :mod:`~factdesk.sources.searxng` and :mod:`~factdesk.sources.brave` adapt one API each;
* :mod:`factdesk.sources.http`: rate limit, concurrency, retries honouring ``Retry-After``;
* :mod:`factdesk.sources.snapshot`: result pages fetched safely and kept as dated snapshots;
* :mod:`factdesk.sources.domains`: allow/deny lists and the fact-check sites set aside.

See docs/sources.md.
"""
