"""The ``factdesk reviews`` commands: import, list and search earlier fact-checks.

Wired into the main CLI with ``cli.add_command(reviews)`` (factdesk/cli.py).
Errors are :class:`~factdesk.errors.FactdeskError` subclasses, which the
main group prints as one ``error: …`` line with a non-zero exit code.

    factdesk reviews import factchecks/ https://fc.example/page.html
    factdesk reviews list --limit 20
    factdesk reviews search "the mayor banned plastic bags" -k 5 --json
"""

from __future__ import annotations

import json
from typing import Any

import click

from factdesk.errors import FactdeskError, InputError

db_option = click.option("--db", type=click.Path(dir_okay=False),  # None: factdesk.paths.default_db_target()
                         help="The store: a SQLite file or a postgresql:// URL (default: $FACTDESK_DB or "
                              "~/.local/share/factdesk/factdesk.db).")


class NoReviewsError(InputError):
    """The store holds no fact-checks to match against."""


def _open_store(db: str | None) -> Any:
    from factdesk.store import Store

    return Store.open(db)


class _Group(click.Group):
    """Prints FactdeskErrors as one line when the group runs on its own (the main CLI does it too)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FactdeskError as exc:
            if ctx.parent is not None:  # inside `factdesk`: let its group report it
                raise
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def reviews() -> None:
    """Earlier fact-checks (ClaimReview): import them, then claims are matched against them."""


@reviews.command(name="import")
@click.argument("sources", nargs=-1, required=True)
@click.option("--allow-private", is_flag=True, help="Allow fetching URLs on loopback/private networks.")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@db_option
def import_cmd(sources: tuple[str, ...], allow_private: bool, as_json: bool, db: str | None) -> None:
    """Import ClaimReview records from files, folders or URLs (JSON-LD, HTML, Google Fact Check JSON, CSV).

    Invalid records are listed and skipped; re-importing the same records changes nothing.
    """
    from factdesk.match.importer import import_reviews

    with _open_store(db) as store:
        stats = import_reviews(store, list(sources), allow_private=allow_private)
    if as_json:
        click.echo(json.dumps(stats.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"imported {stats.imported} fact-checks ({stats.duplicates} already stored, "
               f"{len(stats.invalid)} invalid, {len(stats.warnings)} warnings) from {stats.sources} source(s)")
    for pos, reason in stats.invalid:
        click.echo(f"  skipped {pos}: {reason}", err=True)
    for pos, fld, reason in stats.warnings:
        click.echo(f"  warning {pos}: {fld}: {reason}", err=True)


@reviews.command(name="list")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@db_option
def list_cmd(limit: int, as_json: bool, db: str | None) -> None:
    """List stored fact-checks, newest first."""
    from factdesk.match.reviews import count_reviews, list_reviews

    with _open_store(db) as store:
        rows = list_reviews(store, limit)
        total = count_reviews(store)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no fact-checks yet: run `factdesk reviews import FILE|FOLDER|URL`")
        return
    for r in rows:
        click.echo(f"{r.date or 'undated':<10}  {(r.rating or '?')[:14]:<14}  {(r.publisher or '?')[:18]:<18}  "
                   f"{r.claim[:70]}  {r.url}")
    if total > len(rows):
        click.echo(f"({len(rows)} of {total}; use --limit)")


@reviews.command(name="search")
@click.argument("text")
@click.option("-k", type=int, default=5, show_default=True, help="At most this many matches.")
@click.option("--all", "show_all", is_flag=True, help="Also show candidates below the match threshold.")
@click.option("--json", "as_json", is_flag=True)
@db_option
def search_cmd(text: str, k: int, show_all: bool, as_json: bool, db: str | None) -> None:
    """Find earlier fact-checks of a claim (only matches above the calibrated threshold, unless --all)."""
    from factdesk.match.matcher import ClaimMatcher
    from factdesk.match.reviews import count_reviews

    if not text.strip():
        raise InputError("the claim text is empty", hint='give the claim in quotes: reviews search "…"')
    if k <= 0:
        raise InputError("-k must be at least 1")
    with _open_store(db) as store:
        if count_reviews(store) == 0:
            raise NoReviewsError("the store holds no fact-checks",
                                 hint="import some first: factdesk reviews import FILE|FOLDER|URL")
        matcher = ClaimMatcher(store)
        ranked = matcher.rank_many([text], k)[0]
    matches = ranked if show_all else [m for m in ranked if m.score >= matcher.threshold]
    if as_json:
        click.echo(json.dumps([m.to_dict() for m in matches], indent=2, ensure_ascii=False))
        return
    if not matches:
        click.echo(f"no earlier fact-check matches this claim (threshold {matcher.threshold:.2f})")
        return
    for i, m in enumerate(matches, 1):
        flag = "" if m.score >= matcher.threshold else "  [below threshold]"
        click.echo(f"{i}. {m.score:.2f}  {m.rating or '?'} — {m.publisher or '?'} ({m.date or 'undated'}){flag}\n"
                   f"   {m.claim}\n   {m.url}" + (f"\n   ({'; '.join(m.reasons)})" if m.reasons else ""))
