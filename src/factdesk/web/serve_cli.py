"""Click commands for the web desk: ``factdesk serve`` and ``factdesk user add|token|list|revoke-tokens|disable|enable``.

The main CLI adds them with::

    from factdesk.web.serve_cli import serve, user
    cli.add_command(serve)
    cli.add_command(user)

They import FastAPI & co. only when run, so ``factdesk --help`` works without the ``web`` extra.
``serve`` takes its defaults from the settings (``web_host``, ``web_port``, ``job_timeout``,
``web_max_upload_bytes``, ``web_login_*``; factdesk.toml or ``FACTDESK_WEB_HOST`` …); flags win.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import sys
from typing import Any

import click

from factdesk.errors import ConfigError, FactdeskError, InputError
from factdesk.settings import load_settings
from factdesk.paths import default_db_target
from factdesk.store import Store
from factdesk.web import accounts

db_option = click.option("--db", type=click.Path(dir_okay=False),  # None: factdesk.paths.default_db_target()
                         help="The store: a SQLite file or a postgresql:// URL (default: $FACTDESK_DB or "
                              "~/.local/share/factdesk/factdesk.db).")

WEB_MODULES = ("fastapi", "uvicorn", "jinja2", "multipart", "argon2", "itsdangerous")


def _need_web() -> None:
    missing = [m for m in WEB_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"the web desk needs {', '.join(missing)}", hint="pip install 'factdesk[web]'")


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _store_path(db: str | None) -> str:
    """The store to open: ``--db``, else ``$FACTDESK_DB`` (a postgresql:// URL kept as is), else the default file."""
    return str(db).strip() if db else str(default_db_target())


def _shown(path: str) -> str:
    """The store as messages name it: a URL without its password."""
    from factdesk.store.postgres import is_postgres_url, redact_url

    return redact_url(path) if is_postgres_url(path) else path


def _given(ctx: click.Context, **values: Any) -> dict[str, Any]:
    """The flags typed on the command line; None for those left at their default (the setting wins then)."""
    return {k: None if ctx.get_parameter_source(k) == click.core.ParameterSource.DEFAULT else v
            for k, v in values.items()}


def _run(fn: Any) -> None:
    """Errors as one line and a non-zero exit, like the main CLI (also when run on their own)."""
    try:
        fn()
    except FactdeskError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})  # the same whether run alone or under factdesk
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port.")
@db_option
@click.option("--allow-private-urls", is_flag=True,
              help="Let URL checks reach loopback/private networks (never cloud metadata addresses).")
@click.option("--require-login/--no-require-login", default=None,
              help="Ask for a login [default: required unless --host is a loopback address].")
@click.option("--no-warm-up", is_flag=True, help="Load the models on the first check instead of at start.")
@click.option("--job-timeout", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Fail a check that runs longer than this (0: no limit) [default: setting job_timeout, 600].")
@click.option("--job-isolation", type=click.Choice(["process", "thread"]), default=None,
              help="process: each check runs in a child process killed at --job-timeout (a hard limit; the "
                   "models load in that process); thread: in the server, stopped only between stages "
                   "[default: setting job_isolation, process].")
@click.option("--job-memory", type=click.FloatRange(min=0), default=None, metavar="MB",
              help="With --job-isolation process: stop a check whose process holds more memory than this, "
                   "models included (0: no limit) [default: setting job_memory_mb, 4096].")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(host: str, port: int, db: str | None, allow_private_urls: bool, require_login: bool | None,
          no_warm_up: bool, job_timeout: float | None, job_isolation: str | None, job_memory: float | None,
          log_level: str) -> None:
    """Run the web desk: submit articles, follow checks, review and export verdicts.

    \b
    On 127.0.0.1 (the default) no login is needed. Anywhere else the desk
    asks for one: create accounts first with
      factdesk user add alice --role reviewer
    """
    given = _given(click.get_current_context(), host=host, port=port)

    def go() -> None:
        _need_web()
        import uvicorn  # the `web` extra

        from factdesk.web.app import LOOPBACK_HOSTS, create_app  # imports FastAPI: the `web` extra

        overrides: dict[str, Any] = {"job_isolation": job_isolation} if job_isolation else {}
        if job_memory is not None:
            overrides["job_memory_mb"] = job_memory
        settings = load_settings(job_timeout=job_timeout, web_host=given["host"], web_port=given["port"],
                                 **overrides)
        host_, port_ = settings.web_host, settings.web_port
        login = (not is_loopback(host_)) if require_login is None else require_login
        if not login and not is_loopback(host_):
            click.echo(f"warning: serving {host_} WITHOUT login: anyone who can reach it can edit verdicts",
                       err=True)
        path = _store_path(db)
        # without login only loopback Host names are answered (DNS-rebinding guard); serving on another
        # loopback address (127.0.0.2) must answer to that address too, or every request is a 400 bad_host
        hosts = None if login else [*LOOPBACK_HOSTS, host_.strip("[]"), f"[{host_.strip('[]')}]"]
        app = create_app(path, require_login=login, allow_private_urls=allow_private_urls, settings=settings,
                         warm_up=not no_warm_up, allowed_hosts=hosts)
        if login:
            with Store.open(path) as store:
                if not accounts.list_users(store):
                    click.echo("warning: login is required but there are no users yet: "
                               "run `factdesk user add NAME --role reviewer`", err=True)
        click.echo(f"factdesk desk on http://{host_ if ':' not in host_ else '[' + host_ + ']'}:{port_}/ "
                   f"(store {_shown(path)}; login {'required' if login else 'not required'})", err=True)
        uvicorn.run(app, host=host_, port=port_, log_level=log_level, proxy_headers=False, server_header=False)

    _run(go)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def user() -> None:
    """Manage web desk users (reviewers edit and approve, viewers only read).

    \b
    Lock someone out:  factdesk user disable NAME       (sessions end, tokens are refused)
    Let them back in:  factdesk user enable NAME
    Leaked token:      factdesk user revoke-tokens NAME (then `factdesk user token NAME`)
    """


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["reviewer", "viewer"]), default="viewer", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@db_option
def user_add(name: str, role: str, password_stdin: bool, db: str | None) -> None:
    """Create a user; prompts for the password (or reads it with --password-stdin)."""

    def go() -> None:
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        if not password:
            raise InputError("empty password")
        with Store.open(_store_path(db)) as store:
            accounts.add_user(store, name, password, role)
        click.echo(f"user {name} added ({role})", err=True)

    _run(go)


@user.command("token")
@click.argument("name")
@db_option
def user_token(name: str, db: str | None) -> None:
    """Print a new API token for NAME (send it as `Authorization: Bearer TOKEN`); it is shown only once."""

    def go() -> None:
        with Store.open(_store_path(db)) as store:
            token = accounts.new_token(store, name)
        click.echo(token)

    _run(go)


@user.command("list")
@db_option
def user_list(db: str | None) -> None:
    """List users: role, API tokens, when added, and active or disabled."""

    def go() -> None:
        with Store.open(_store_path(db)) as store:
            users = accounts.list_users(store)
        if not users:
            click.echo("no users (add one with `factdesk user add NAME --role reviewer`)", err=True)
        for u in users:
            state = f"disabled since {u['disabled']}" if u["disabled"] else "active"
            click.echo(f"{u['name']}\t{u['role']}\t{u['tokens']} token(s)\tsince {u['created']}\t{state}")

    _run(go)


@user.command("revoke-tokens")
@click.argument("name")
@db_option
def user_revoke_tokens(name: str, db: str | None) -> None:
    """Invalidate every API token of NAME at once.

    Scripts using them get 401 on their next request. Browser sessions are not touched: use `factdesk user disable NAME` to end those too.
    Give a script a new token with `factdesk user token NAME`.
    """

    def go() -> None:
        with Store.open(_store_path(db)) as store:
            count = accounts.revoke_tokens(store, name)
        click.echo(f"revoked {count} API token(s) of {name}", err=True)

    _run(go)


@user.command("disable")
@click.argument("name")
@db_option
def user_disable(name: str, db: str | None) -> None:
    """Lock NAME out: no login, their sessions end and their API tokens are refused.

    Takes effect on their next request, also on a running server. The tokens are kept
    (suspended) so `factdesk user enable NAME` restores them; revoke them for good with
    `factdesk user revoke-tokens NAME`.
    """

    def go() -> None:
        with Store.open(_store_path(db)) as store:
            done = accounts.set_disabled(store, name, True)
        head = f"user {name} disabled" if done["changed"] else f"user {name} was already disabled"
        click.echo(f"{head}: {done['sessions_ended']} session(s) ended, {done['tokens']} API token(s) suspended "
                   f"(undo with `factdesk user enable {name}`)", err=True)

    _run(go)


@user.command("enable")
@click.argument("name")
@db_option
def user_enable(name: str, db: str | None) -> None:
    """Let a disabled NAME log in again; their API tokens work again too."""

    def go() -> None:
        with Store.open(_store_path(db)) as store:
            done = accounts.set_disabled(store, name, False)
        head = f"user {name} enabled" if done["changed"] else f"user {name} was not disabled"
        click.echo(f"{head} ({done['tokens']} API token(s))", err=True)

    _run(go)
