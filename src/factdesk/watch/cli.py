"""``factdesk watch``: poll RSS/Atom feeds, check each new article once, alert on earlier fact-checks.

The main CLI adds it with ``cli.add_command(watch)``; see docs/watch.md.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from factdesk.errors import FetchError, InputError, UnsafeURLError
from factdesk.ingest.url import check_url
from factdesk.pipeline import Pipeline
from factdesk.settings import load_settings
from factdesk.store import Store
from factdesk.watch.alerts import JsonlSink, Sink, TerminalSink, WebhookSink, printable
from factdesk.watch.watcher import MAX_ATTEMPTS, FeedRun, Watcher, parse_interval


def _vet(url: str, allow_private: bool, what: str) -> None:
    """A URL that can never be fetched fails now; one whose host does not resolve yet is tried at each poll."""
    try:
        check_url(url, allow_private=allow_private)
    except UnsafeURLError:
        raise
    except FetchError:
        pass
    except InputError as exc:
        raise InputError(f"{what}: {exc.message}") from exc


@contextmanager
def _stoppable(watcher: Watcher) -> Iterator[None]:
    """SIGTERM and the first Ctrl-C finish the current article and stop; a second Ctrl-C stops at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = {"count": 0}

    def on_signal(signum: int, _frame: Any) -> None:
        signals["count"] += 1
        if signum == signal.SIGINT and signals["count"] > 1:
            raise KeyboardInterrupt
        watcher.stop()
        click.echo("stopping after the current article (Ctrl-C again to stop now; an unfinished "
                   "article is checked at the next start)", err=True)

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


@contextmanager
def _single_watcher(store: Store) -> Iterator[None]:
    """One watcher per store: a second one would check the same new entries (an exclusive lock file beside it)."""
    path = getattr(store, "path", None)
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock, as documented
        fcntl = None  # type: ignore[assignment]
    if path is None or fcntl is None:
        yield
        return
    lock_path = Path(f"{path}.watch.lock")
    with open(lock_path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise InputError(f"another factdesk watch is already running on the store {path}",
                             hint=f"stop it first, or give this one another --db (lock: {lock_path})") from exc
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _summary(run: FeedRun) -> str:
    text = (f"{run.url}: {run.status}; {run.new_entries} new entries, {run.checked} checked, "
            f"{run.duplicates} duplicates, {run.failed} failed, {run.alerts} alerts")
    return printable(text + (f" ({run.error})" if run.error else ""))


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("feeds", nargs=-1, metavar="FEED_URL...")
@click.option("--every", default="15m", show_default=True, metavar="INTERVAL",
              help="Time between polls: 30s, 15m, 1h, 1h30m.")
@click.option("--once", is_flag=True, help="Poll once, check what is new, and exit.")
@click.option("--alerts", "alerts_path", type=click.Path(dir_okay=False), default=None, metavar="FILE.jsonl",
              help="Append each alert to this file as one JSON line.")
@click.option("--webhook", default=None, metavar="URL", help="POST each alert as JSON to this URL.")
@click.option("--json", "as_json", is_flag=True,
              help="Print alerts and poll summaries to stdout as JSON lines (event: alert | poll).")
@click.option("--allow-private", is_flag=True, default=None,
              help="Allow loopback/private feed, article and webhook URLs [setting allow_private].")
@click.option("--verifier", default=None, help="Registered verifier name (see `factdesk info`).")
@click.option("--max-attempts", type=click.IntRange(min=1), default=MAX_ATTEMPTS, show_default=True,
              help="Checks of one article that may fail before it is marked failed.")
@click.option("--db", type=click.Path(dir_okay=False),
              help="The store, a SQLite file (default: $FACTDESK_DB or ~/.local/share/factdesk/factdesk.db).")
def watch(feeds: tuple[str, ...], every: str, once: bool, alerts_path: str | None, webhook: str | None,
          as_json: bool, allow_private: bool | None, verifier: str | None, max_attempts: int,
          db: str | None) -> None:
    """Watch RSS/Atom feeds: check each new article once and alert on earlier fact-checks.

    Each poll is a conditional GET (ETag / Last-Modified); each new entry's article (its link, or
    the entry's own text when the link cannot be read) is checked like `factdesk check` and kept in
    the store.  An alert is raised when a claim matches an imported ClaimReview record
    (`factdesk reviews import`): "repeats" it, or "contradicts" it when the verdict and the
    rating disagree.  Alerts go to the terminal, --alerts FILE and/or --webhook URL.

    State lives in the store: stop it any time (Ctrl-C, SIGTERM) and start it again; nothing is
    checked twice and entries still listed by the feed are not missed.  Without FEED_URL, the
    feeds already in the store are watched.  With --once the exit status is 1 when a feed could
    not be read or an article failed.

    \b
    Examples:
      factdesk watch https://example.org/feed.xml --every 15m --alerts alerts.jsonl
      factdesk watch https://a.example/rss https://b.example/atom --once --json
    """
    interval = parse_interval(every)
    settings = load_settings(allow_private=allow_private, verifier=verifier)
    for url in feeds:
        _vet(url, settings.allow_private, "feed URL")
    if webhook:
        _vet(webhook, settings.allow_private, "--webhook")
    if db and db.strip().lower().startswith(("postgresql://", "postgres://")):
        raise InputError("factdesk watch keeps its state in a SQLite store for now", hint="pass --db FILE.db")
    store = Store.open(db)
    try:
        if not hasattr(store, "watch"):
            raise InputError("factdesk watch keeps its state in a SQLite store for now", hint="pass --db FILE.db")
        with _single_watcher(store):
            failures = _watch(store, feeds, settings, interval, every, once, alerts_path, webhook, as_json,
                              max_attempts)
    finally:
        store.close()
    if once and failures:
        sys.exit(1)


def _watch(store: Store, feeds: tuple[str, ...], settings: Any, interval: float, every: str, once: bool,
           alerts_path: str | None, webhook: str | None, as_json: bool, max_attempts: int) -> bool:
    """Run the watcher; True when a feed could not be read or an article failed."""
    urls = list(dict.fromkeys(feeds)) or [f["url"] for f in store.watch.list_feeds()]
    if not urls:
        raise InputError("no feed to watch", hint="give one or more FEED_URLs")
    pipe = Pipeline.from_settings(settings, store=store)
    sinks: list[Sink] = [TerminalSink(sys.stdout, as_json=as_json)]
    if alerts_path:
        sinks.append(JsonlSink(alerts_path))
    if webhook:
        sinks.append(WebhookSink(webhook, allow_private=settings.allow_private))
    watcher = Watcher(pipe, urls, sinks, max_attempts=max_attempts, feed_timeout=settings.fetch_timeout,
                      echo=lambda line: click.echo(printable(line), err=True))
    failures = {"any": False}

    def on_poll(runs: list[FeedRun]) -> None:
        for run in runs:
            failures["any"] = failures["any"] or bool(run.error) or run.failed > 0
            if as_json:
                click.echo(json.dumps(run.to_dict(), ensure_ascii=True))
            else:
                click.echo(_summary(run), err=True)

    if not once:
        click.echo(f"watching {len(urls)} feed(s) every {every}; Ctrl-C or SIGTERM stops", err=True)
    with _stoppable(watcher):
        watcher.run(interval, once=once, on_poll=on_poll)
    return failures["any"]


__all__ = ["watch"]
