"""The factdesk command line: thin over the library.

Each command parses its options, calls one library function and prints the
result.  A :class:`~factdesk.errors.FactdeskError` becomes a one-line
``error: …`` message on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from factdesk import __version__, demodata, registry
from factdesk.errors import FactdeskError, InputError
from factdesk.evaluate import format_table, run_eval
from factdesk.ingest.records import is_records_file
from factdesk.match.reviews_cli import reviews
from factdesk.pipeline import Pipeline, resolve_name
from factdesk.report import claims_to_dict, render
from factdesk.report.claimreview import publishing
from factdesk.scale.batch_cli import batch
from factdesk.settings import Settings, load_settings
from factdesk.sources import config as source_config
from factdesk.store import Store, default_db_path
from factdesk.watch.cli import watch
from factdesk.web.serve_cli import serve, user

FORMAT_CHOICES = ["markdown", "json", "html", "claimreview"]


class FactdeskGroup(click.Group):
    """Turns library errors into clear messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FactdeskError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted: work committed so far is kept in the store; run the command again "
                       "to resume", err=True)
            ctx.exit(130)


def _open_store(db: str | None) -> Store:
    return Store.open(db)


def _settings(**overrides: Any) -> Settings:
    return load_settings(**overrides)


def _emit(text: str, output: str | None) -> None:
    if output:
        try:
            Path(output).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        except OSError as exc:
            raise FactdeskError(f"cannot write {output}: {exc.strerror or exc}") from exc
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text)


# $FACTDESK_DB is read where the default path is made (factdesk.paths), not here too
db_option = click.option("--db", type=click.Path(dir_okay=False),
                         help="The store: a SQLite file or a postgresql:// URL (default: $FACTDESK_DB or "
                              "~/.local/share/factdesk/factdesk.db).")
format_option = click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="markdown",
                             show_default=True, help="Report format.")
output_option = click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file.")

CLAIMREVIEW_HELP = """

    \b
    ClaimReview (--format claimreview): each review's url is the page that
    publishes the fact-check, the first of:
      --review-url TEMPLATE   TEMPLATE with {report_id} and {claim_id} filled in,
                              e.g. 'https://example.org/fc/{report_id}#claim-{claim_id}'
      --publisher-url URL     URL/factchecks/REPORT_ID#claim-CLAIM_ID
      (neither)               the local web desk's page for the report:
                              http://127.0.0.1:8000/checks/REPORT_ID#claim-CLAIM_ID
    The last is only for local use: set one of the others before publishing.
    Each flag defaults to its setting (publisher, publisher_url,
    review_url_template in factdesk.toml or FACTDESK_* variables).
"""


def _publish_options(f: Any) -> Any:
    """The --publisher, --publisher-url and --review-url options, and their help (after the docstring)."""
    f.__doc__ = (f.__doc__ or "").rstrip() + CLAIMREVIEW_HELP
    for deco in reversed([
        click.option("--publisher", metavar="NAME", default=None,
                     help="ClaimReview: who publishes the fact-checks (author.name) [setting publisher, factdesk]."),
        click.option("--publisher-url", metavar="URL", default=None,
                     help="ClaimReview: the publisher's home page (author.url) [setting publisher_url]."),
        click.option("--review-url", metavar="TEMPLATE", default=None,
                     help="ClaimReview: URL of each review's page, with {report_id} and {claim_id} "
                     "[setting review_url_template]."),
    ]):
        f = deco(f)
    return f


def _claimreview_options(settings: Any, fmt: str) -> dict[str, Any]:
    """Render options for ``fmt``: the publishing settings for claimreview (checked now), else none."""
    if fmt != "claimreview":
        return {}
    options = {"publisher": settings.publisher, "publisher_url": settings.publisher_url,
               "review_url": settings.review_url_template}
    publishing(**options)  # a bad URL or template fails before any work is done
    return options


@click.group(cls=FactdeskGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="factdesk")
def cli() -> None:
    """factdesk: a local-first fact-checking desk.

    \b
    Typical session:
      factdesk index ./my-corpus          # build the evidence index (idempotent)
      factdesk check article.html         # claim-by-claim report with citations
      factdesk check https://… --format json -o report.json
      factdesk list; factdesk show <report-id> --format html -o report.html

    Everything runs offline: the models ship inside the installed packages.
    """


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--prune", is_flag=True, help="Remove documents whose files are gone from PATH.")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--limit", type=click.IntRange(min=0), default=None, metavar="N",
              help="With a .zim, .jsonl or .parquet file: stop after N articles or records (to try a huge "
                   "file first).")
@db_option
def index(path: str, prune: bool, as_json: bool, quiet: bool, limit: int | None, db: str | None) -> None:
    """Index a folder (or file) of .txt .md .html .pdf documents as evidence.

    Re-running is cheap: unchanged files are skipped, changed files are
    re-indexed, and with --prune deleted files are removed.  A Kiwix .zim file
    (offline Wikipedia; pip install 'factdesk[zim]') is indexed article by
    article, resumably; see docs/zim.md.  A .jsonl or .parquet file of passages
    (one record a document: text, and any of id, title, url, published, source,
    author) is read as a stream and resumes after a kill where it stopped.
    """
    is_zim = path.lower().endswith(".zim")
    if is_zim and prune:
        raise InputError("--prune does not apply to a .zim file", hint="index the ZIM again without --prune")
    is_records = is_records_file(path)
    if limit is not None and not (is_zim or is_records):
        raise InputError("--limit applies to a .zim, .jsonl or .parquet file only")
    if is_records and prune:
        raise InputError("--prune does not apply to a file of records", hint="index the file again without --prune")
    with _open_store(db) as store:
        pipe = Pipeline.from_settings(_settings(), store=store)
        bar = not quiet and not as_json and sys.stderr.isatty()
        if is_zim:
            zstats = pipe.index_zim(path, limit=limit, progress=bar)
            if as_json:
                click.echo(json.dumps(zstats.to_dict(), indent=2))
            else:
                click.echo(f"indexed {path}: {zstats.added} added, {zstats.updated} updated, "
                           f"{zstats.unchanged} unchanged, {zstats.passages} passages in {zstats.seconds:.1f}s "
                           f"({zstats.redirects} redirects and {zstats.not_html} non-HTML entries skipped"
                           f"{', stopped at --limit' if zstats.limited else ''})")
                for p, err in zstats.failed:
                    click.echo(f"  skipped {p}: {err}", err=True)
            if zstats.failed and not (zstats.added or zstats.updated or zstats.unchanged):
                raise InputError(f"nothing indexed from {path}: all {zstats.failed_count or len(zstats.failed)} article(s) failed",
                                 hint="see the reasons above; is the ZIM file damaged?")
            return
        stats = (pipe.index_records(path, progress=bar, limit=limit) if is_records
                 else pipe.index_path(path, prune=prune, progress=bar))
    if as_json:
        click.echo(json.dumps(stats.to_dict(), indent=2))
    else:
        click.echo(f"indexed {path}: {stats.added} added, {stats.updated} updated, {stats.unchanged} unchanged, "
                   f"{stats.removed} removed, {stats.passages} passages in {stats.seconds:.1f}s")
        for p, err in stats.failed:
            click.echo(f"  skipped {p}: {err}", err=True)
    if stats.failed and not (stats.added or stats.updated or stats.unchanged):
        # nothing could be read: a script must not take this for success
        raise InputError(f"nothing indexed from {path}: {len(stats.failed)} file(s) or folder(s) skipped",
                         hint="see the reasons above; fix or remove those files")


def _llm_options(f: Any) -> Any:
    """--llm URL, --llm-model NAME and --llm-stages LIST (each defaults to its setting)."""
    for deco in reversed([
        click.option("--llm", "llm_url", metavar="URL", default=None,
                     help="An OpenAI-compatible LLM server's API root, e.g. http://127.0.0.1:11434/v1 "
                     "(Ollama), http://127.0.0.1:8080/v1 (llama.cpp server) [setting llm_url; off]."),
        click.option("--llm-model", metavar="NAME", default=None,
                     help="The model the LLM server serves, e.g. qwen2.5:7b-instruct [setting llm_model]."),
        click.option("--llm-stages", metavar="LIST", default=None,
                     help="Which stages use the LLM: decompose,questions,verdict (comma-separated) "
                     "[setting llm_stages; all three]."),
    ]):
        f = deco(f)
    return f


def _check_options(f: Any) -> Any:
    for deco in reversed([
        click.option("--allow-private", is_flag=True, default=None,
                     help="Allow fetching URLs on loopback/private networks (off by default: SSRF guard)."),
        click.option("--top-k", type=int, default=None, help="Evidence passages per claim [5]."),
        click.option("--threshold", type=float, default=None, help="Check-worthiness cut-off in [0,1] [0.5]."),
        click.option("--max-claims", type=int, default=None,
                     help="Claims checked per article, the most check-worthy first; the report says how many "
                     "it left out; 0 = all [40]."),
        click.option("--verifier", default=None, help="Registered verifier name (see `factdesk info`)."),
        click.option("--retriever", default=None, help="Registered retriever name (see `factdesk info`) [sqlite]."),
    ]):
        f = deco(f)
    return f


@cli.command()
@click.argument("source")
@format_option
@output_option
@_check_options
@click.option("--source", "sources", multiple=True,
              help="An evidence source KIND=SPEC to search besides the local index, e.g. "
              "searxng=http://127.0.0.1:8888, brave (key from $BRAVE_API_KEY) or brave=KEY_VARIABLE "
              "(docs/sources.md); or a text the article quotes or rebuts (file, URL or stored document id). "
              "Repeatable. Without a quoted text, stored documents by the quoted author or with a matching "
              "title are used.")
@click.option("--refresh", is_flag=True, default=None,
              help="Evidence sources: ask the search APIs and fetch result pages again instead of reusing "
              "cached answers and stored snapshots.")
@click.option("--no-save", is_flag=True, help="Do not store the report.")
@_llm_options
@_publish_options
@db_option
def check(source: str, fmt: str, output: str | None, allow_private: bool | None, top_k: int | None,
          threshold: float | None, max_claims: int | None, verifier: str | None, retriever: str | None, sources: tuple[str, ...],
          refresh: bool | None, no_save: bool, llm_url: str | None, llm_model: str | None, llm_stages: str | None,
          publisher: str | None, publisher_url: str | None, review_url: str | None, db: str | None) -> None:
    """Fact-check an article (file or http(s) URL), claim by claim.

    Prints a Markdown report (or --format json|html|claimreview) and stores it;
    see it again with `factdesk show <id>`.

    With --llm URL --llm-model NAME a local LLM splits claims, writes search
    questions and gives verdicts with cited passages, beside the built-in
    verifier's stances (docs/llm.md); a re-run is answered from the cache.

    With --source searxng=URL (or brave, or sources added with `factdesk
    sources add`) each claim is also searched on the web; result pages are
    kept in the store as dated snapshots the report cites (docs/sources.md).
    """
    evidence_specs = [s for s in sources if source_config.looks_like_spec(s)]
    quoted = [s for s in sources if s not in evidence_specs]
    base = _settings()
    settings = _settings(allow_private=allow_private, top_k=top_k, threshold=threshold, max_claims=max_claims,
                         verifier=verifier,
                         retriever=retriever, publisher=publisher, publisher_url=publisher_url,
                         review_url_template=review_url, llm_url=llm_url, llm_model=llm_model,
                         llm_stages=llm_stages, refresh_sources=refresh,
                         sources=(*base.sources, *evidence_specs) if evidence_specs else None)
    options = _claimreview_options(settings, fmt)
    with _open_store(db) as store:
        pipe = Pipeline.from_settings(settings, store=store)
        if store.count("passages") == 0 and settings.retriever == Settings.retriever:
            if pipe.source_entries():
                click.echo("note: the store has no indexed documents; evidence comes from the configured "
                           "sources only", err=True)
            else:
                click.echo("warning: the store has no indexed documents, so no evidence can be found; "
                           "run `factdesk index FOLDER` first (or `factdesk demo`)", err=True)
        report = pipe.check(source, save=not no_save, sources=quoted)
    _emit(render(report, fmt, **options), output)
    if isinstance(report.get("llm"), dict):
        click.echo(_llm_summary(report["llm"]), err=True)
    if isinstance(report.get("sources"), dict):
        for line in _sources_summary(report["sources"]):
            click.echo(line, err=True)
    if not no_save:
        click.echo(f"report {report['id']} saved", err=True)


def _sources_summary(info: dict[str, Any]) -> list[str]:
    """Lines on stderr: what each evidence source cost, and each one skipped (the report says why too)."""
    lines = [f"source {u.get('name')}: {u.get('api_calls', 0)} API calls, {u.get('cached', 0)} cached, "
             f"{u.get('pages_fetched', 0)} pages fetched, {u.get('pages_reused', 0)} reused, {u.get('hits', 0)} hits"
             + (f"; skipped: {u['disabled']}" if u.get("disabled") else "") for u in info.get("used") or []]
    failed = [x for x in info.get("skipped") or [] if x.get("claim_id")]
    if failed:
        lines.append(f"warning: {len(failed)} source search(es) failed and were skipped; first: "
                     f"{failed[0].get('source')}: {failed[0].get('reason')}")
    return lines


def _llm_summary(info: dict[str, Any]) -> str:
    """One line on stderr: what the LLM cost this check, and how many of its steps fell back."""
    t = info.get("total") or {}
    line = (f"LLM {info.get('model')}: {t.get('calls', 0)} calls ({t.get('cached', 0)} cached), "
            f"{t.get('prompt_tokens', 0)} + {t.get('completion_tokens', 0)} tokens, {t.get('seconds', 0)}s")
    if info.get("fallbacks"):
        line += f"; {len(info['fallbacks'])} step(s) fell back to the built-in path (see the report)"
    return line


@cli.command()
@click.argument("source")
@click.option("--format", "fmt", type=click.Choice(["json", "markdown"]), default="json", show_default=True)
@output_option
@click.option("--threshold", type=float, default=None, help="Check-worthiness cut-off in [0,1] [0.5].")
@click.option("--max-claims", type=int, default=None,
              help="Claims listed, the most check-worthy first; the output says how many it left out; 0 = all [40].")
@click.option("--allow-private", is_flag=True, default=None, help="Allow loopback/private URLs.")
def claims(source: str, fmt: str, output: str | None, threshold: float | None, max_claims: int | None,
           allow_private: bool | None) -> None:
    """Extract the check-worthy claims of an article, without evidence (fast)."""
    settings = _settings(threshold=threshold, max_claims=max_claims, allow_private=allow_private)
    with Store.open(":memory:") as store:
        doc, claim_set = Pipeline.from_settings(settings, store=store).extract(source)
    data = claims_to_dict(doc, claim_set)
    _emit(render(data, fmt), output)


@cli.command(name="list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--limit", type=int, default=50, show_default=True)
@db_option
def list_reports(fmt: str, limit: int, db: str | None) -> None:
    """List stored reports, newest first."""
    with _open_store(db) as store:
        rows = store.list_reports(limit)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no reports yet: run `factdesk check ARTICLE`")
        return
    for r in rows:
        counts = ", ".join(f"{n} {label}" for label, n in sorted(r["verdicts"].items()))
        click.echo(f"{r['id']}  {r['created'][:19]}  {r['claims']:>3} claims  {(r['title'] or '(untitled)')[:60]}"
                   f"  [{counts}]")


@cli.command()
@click.argument("report_id")
@format_option
@output_option
@_publish_options
@db_option
def show(report_id: str, fmt: str, output: str | None, publisher: str | None, publisher_url: str | None,
         review_url: str | None, db: str | None) -> None:
    """Show a stored report (an id prefix is enough)."""
    options: dict[str, Any] = {}
    if fmt == "claimreview":  # other formats need no settings (nor a readable factdesk.toml)
        options = _claimreview_options(_settings(publisher=publisher, publisher_url=publisher_url,
                                                 review_url_template=review_url), fmt)
    with _open_store(db) as store:
        report = store.get_report(report_id)
    _emit(render(report, fmt, **options), output)


@cli.command()
@click.argument("query")
@click.option("-k", type=int, default=5, show_default=True)
@click.option("--mode", type=click.Choice(["hybrid", "lexical", "dense"]), default="hybrid", show_default=True)
@click.option("--before", help="ISO date: flag and rank down passages published after it.")
@click.option("--per-document", "per_document", type=int, default=None,
              help="At most this many passages from one document (default: the max_per_document setting, "
                   "2 unless changed; 0 = no cap), so the k results show several sources.")
@click.option("--json", "as_json", is_flag=True)
@db_option
def search(query: str, k: int, mode: str, before: str | None, per_document: int | None, as_json: bool,
           db: str | None) -> None:
    """Search the indexed corpus (what `check` uses to find evidence).

    Example: factdesk search "when did the depot open?" -k 5 --json
    """
    settings = _settings()
    cap = settings.max_per_document if per_document is None else per_document
    with _open_store(db) as store:
        hits = Pipeline.from_settings(settings, store=store).retriever.search(
            query, k=k, mode=mode, before=before, max_per_document=cap)
    if as_json:
        click.echo(json.dumps([h.to_dict() for h in hits], indent=2, ensure_ascii=False))
        return
    for i, h in enumerate(hits, 1):
        flag = "  [after date]" if h.after_claim_date else ""
        click.echo(f"{i}. {h.passage.title or h.passage.document_id} ({h.passage.published or 'undated'})"
                   f"  score {h.score:.4f}{flag}\n   {' '.join(h.passage.text.split())[:300]}")


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True)
def info(db: str | None, as_json: bool) -> None:
    """Show the store location, its contents and the registered components.

    Components are listed per kind with where each comes from: factdesk's own
    (built-in) or the installed package that declares it in the
    `factdesk.components` entry-point group. Names marked "unavailable" are
    declared but cannot run here (a model file or a dependency is missing).
    """
    with _open_store(db) as store:
        s = _settings()
        data: dict[str, Any] = {
            "version": __version__,
            "store": str(store.path) if store.path is not None else getattr(store, "url", None),
            "schema_version": store.schema_version,
            "documents": store.count("documents"),
            "passages": store.count("passages"),
            "reports": store.count("reports"),
            **({"dense_search": store.dense_search} if hasattr(store, "dense_search") else {}),
            "verifiers": registry.names("verifier"),
            "default_verifier": resolve_name("verifier", s.verifier),
            "checkworthiness": registry.names("checkworthiness"),
            "embedders": registry.names("embedder"),
            "llm": (f"{s.llm_model} at {s.llm_url} ({s.llm}; stages: {', '.join(s.llm_stage_list()) or 'none'})"
                    if s.llm_configured else "none (set --llm URL --llm-model NAME or [llm] in factdesk.toml)"),
            "components": _components(),
        }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for k, v in data.items():
        if k != "components":
            click.echo(f"{k:>16}: {', '.join(v) if isinstance(v, list) else v}")
    click.echo("components:")
    for kind, comps in data["components"].items():
        click.echo(f"  {kind}:")
        for c in comps:
            state = "" if c["available"] else f"  [unavailable{': ' + c['error'] if c['error'] else ''}]"
            click.echo(f"    {c['name']:<20} {c['origin']}  ({c['target']}){state}")


def _components() -> dict[str, list[dict[str, Any]]]:
    """Each kind's registered components, whether each can run here, and where it comes from."""
    usable = {kind: set(registry.names(kind)) for kind in registry.KINDS}
    out: dict[str, list[dict[str, Any]]] = {}
    for c in registry.components():
        out.setdefault(c.kind, []).append({"name": c.name, "origin": c.origin, "target": c.target,
                                           "available": c.name in usable.get(c.kind, set()),
                                           "error": c.error})
    return out


@cli.command()
@format_option
@output_option
@click.option("--score", is_flag=True, help="Also compare the verdicts with the demo's gold labels.")
@db_option
def demo(fmt: str, output: str | None, score: bool, db: str | None) -> None:
    """Index the shipped demo corpus and check the shipped demo article.

    The demo is an invented local-news story (see factdesk/demo/README.md).
    It uses its own store (demo.db in the data dir) unless --db is given.
    """
    if db is None:
        db = str(default_db_path().with_name("demo.db"))
    settings = _settings()
    options = _claimreview_options(settings, fmt)
    with _open_store(db) as store:
        pipe = Pipeline.from_settings(settings, store=store)
        stats = pipe.index_path(demodata.corpus_dir(), prune=True, progress=sys.stderr.isatty())
        click.echo(f"demo corpus: {stats.added + stats.updated + stats.unchanged} documents indexed "
                   f"({stats.added} new) in {db}", err=True)
        report = pipe.check(demodata.article_path())
        if score:
            result = demodata.score_report(report, store=store)
    _emit(render(report, fmt, **options), output)
    if score:
        click.echo(f"demo gold: {result['claims_found']}/{result['gold_claims']} claims found, "
                   f"label accuracy {result['label_accuracy']:.2f}, evidence recall {result['evidence_recall']:.2f}",
                   err=True)


@cli.command("eval")
@click.argument("task", type=click.Choice(["verify", "open", "checkworthy", "match"]))
@click.argument("data", required=False)
@click.option("--data", "data_opt", metavar="PATH", multiple=True,
              help="The data set (same as the DATA argument); repeat it to read several files as one set, "
              "e.g. FEVER's dev.jsonl and dev_nei_retrieved.jsonl for three labels.")
@click.option("--limit", type=int, help="Evaluate a label-stratified random sample of N items (seeded), "
              "not the first N lines.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for --limit sampling.")
@click.option("--verifier", default="auto", show_default=True,
              help="Registered verifier (verify, open); auto = the one `factdesk check` uses.")
@click.option("--scorer", default="auto", show_default=True,
              help="Registered check-worthiness scorer (checkworthy); auto = the one `factdesk check` uses.")
@click.option("--corpus", type=click.Path(exists=True),
              help="open: corpus folder or passages JSONL {id?, title?, text}; FEVER data builds and caches "
              "its own evidence pool when omitted.")
@click.option("--reviews", type=click.Path(exists=True), help="match: fact-check records to match against.")
@click.option("--threshold", type=float, default=0.5, show_default=True,
              help="checkworthy: score cut-off for 'check-worthy'.")
@click.option("--level", type=click.Choice(["auto", "pair", "claim"]), default="auto", show_default=True,
              help="verify: label from one stance (pair) or aggregate several evidence units (claim).")
@click.option("--mode", type=click.Choice(["hybrid", "lexical", "dense"]), default="hybrid", show_default=True,
              help="open: retrieval mode.")
@click.option("--aggregation", type=click.Choice(["shipped", "raw"]), default="shipped", show_default=True,
              help="verify, open: judge as `factdesk check` does, with the verifier's calibrated aggregation "
              "(shipped), or with uncalibrated defaults and the top stance of each pair (raw).")
@click.option("--stance-threshold", type=float, help="verify, open: override the aggregation's stance threshold.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@output_option
@click.option("--predictions", type=click.Path(dir_okay=False), metavar="FILE",
              help="verify, open, checkworthy: also write each item's gold and predicted label, confidence "
              "and explanation to FILE, one JSON object a line (for error analysis). match: a TREC run file "
              "(qid Q0 docid rank score tag) for CheckThat!'s official scorer.")
@click.option("--progress/--no-progress", default=None, help="Progress bars (default: when stderr is a terminal).")
@click.option("--llm", "llm_url", metavar="URL", default=None,
              help="verify, open: also ask this OpenAI-compatible LLM server for each claim's verdict over the same "
              "evidence and score it beside the built-in verifier (accuracy, macro-F1, seconds and tokens per claim) "
              "[setting llm_url].")
@click.option("--llm-model", metavar="NAME", default=None, help="verify, open: the LLM's model [setting llm_model].")
def eval_cmd(task: str, data: str | None, data_opt: tuple[str, ...], limit: int | None, seed: int, verifier: str, scorer: str, corpus: str | None,
             reviews: str | None, threshold: float, level: str, mode: str, aggregation: str,
             stance_threshold: float | None, fmt: str, output: str | None, predictions: str | None,
             progress: bool | None, llm_url: str | None, llm_model: str | None) -> None:
    """Score factdesk on a labelled data set.

    \b
    TASK is one of:
      verify       claim + gold evidence -> label (FEVER/NLI JSONL, AVeriTeC JSON, claim-level files)
      open         claim -> retrieve from a corpus -> label (+ evidence recall@5)
      checkworthy  sentence -> check-worthy or not (CheckThat!/ClaimBuster TSV)
      match        claim -> earlier fact-checks (--reviews RECORDS)
    DATA (or --data PATH, repeatable) is a file or folder, or a name under $FACTDESK_DATA
    such as fever/dev.jsonl.

    \b
    Example:
      factdesk eval verify fever/dev.jsonl --limit 2000 --verifier baseline --format json
    """
    if data and data_opt:
        raise click.UsageError("give the data set once: as DATA or as --data, not both")
    sets = [data] if data else list(data_opt)
    if not sets:
        raise click.UsageError("missing the data set: give DATA or --data PATH (e.g. fever/dev.jsonl)")
    if progress is None:
        progress = sys.stderr.isatty()
    result = run_eval(task, sets, limit=limit, seed=seed, verifier=verifier, scorer=scorer, corpus=corpus,
                      reviews=reviews, progress=progress, threshold=threshold, level=level, mode=mode,
                      aggregation=aggregation, stance_threshold=stance_threshold, predictions=predictions,
                      settings=_settings(llm_url=llm_url, llm_model=llm_model))
    _emit(json.dumps(result, indent=2, ensure_ascii=False) if fmt == "json" else format_table(result), output)


@cli.group()
def llm() -> None:
    """The LLM server factdesk can use (docs/llm.md)."""


@llm.command()
@click.option("--llm", "llm_url", metavar="URL", default=None, help="The server's API root [setting llm_url].")
@click.option("--llm-model", metavar="NAME", default=None, help="The model to use [setting llm_model].")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def ping(llm_url: str | None, llm_model: str | None, as_json: bool) -> None:
    """Check that the LLM server answers, serves the model and supports structured output.

    Exits 0 when the server answered, 4 when it did not.

    Example: factdesk llm ping --llm http://127.0.0.1:11434/v1 --llm-model qwen2.5:7b-instruct
    """
    settings = _settings(llm_url=llm_url, llm_model=llm_model)
    if not settings.llm_configured:
        raise FactdeskError("no LLM configured", hint="give --llm URL --llm-model NAME, or set [llm] url and model "
                            "in factdesk.toml")
    client = registry.create("llm", settings.llm, base_url=settings.llm_url, model=settings.llm_model,
                             **settings.options_for("llm"))
    result = client.ping()
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(f"server: {result.get('base_url')}: {'reachable' if result.get('ok') else 'NOT reachable'} "
                   f"({result.get('seconds', 0)}s)")
        listed = result.get("model_listed")
        click.echo(f"model: {result.get('model')}" + ("" if listed is None else
                                                       " (served)" if listed else " (NOT in the server's list)"))
        if result.get("models"):
            click.echo(f"models served: {', '.join(map(str, result['models'][:20]))}")
        click.echo(f"structured output: {'yes' if result.get('json_schema') else 'no'}"
                   + (f" ({result['structured_output']})" if result.get("structured_output") else ""))
        if result.get("error"):
            click.echo(f"error: {result['error']}", err=True)
    if not result.get("ok"):
        sys.exit(4)


_TRAINERS = {
    "verifier": "factdesk.train.cross_encoder",
    "verifier-head": "factdesk.train.verifier",
    "checkworthy": "factdesk.train.checkworthy",
    "calibration": "factdesk.evaluate.fit_aggregation",
}


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                               "help_option_names": []})
@click.argument("model", required=False, metavar="MODEL")
@click.pass_context
def train(ctx: click.Context, model: str | None) -> None:
    """Train (or calibrate) one of factdesk's shipped models from the data in ../shared/data.

    \b
    MODEL:
      verifier       the cross-encoder verifier (needs torch: pip install '.[train]')
      verifier-head  the torch-free embedding + features + MLP-head verifier
      checkworthy    the check-worthiness head
      calibration    verdict aggregation for a verifier (threshold, confidence scaling)
    Every other option goes to that trainer; `factdesk train MODEL --help` lists them, and
    `--quick` trains a tiny model in seconds. Model cards: docs/models/.
    """
    import importlib

    if model in (None, "--help", "-h"):
        click.echo(ctx.get_help())
        ctx.exit(0)
    if model not in _TRAINERS:
        raise FactdeskError(f"unknown model {model!r}", hint=f"choose one of: {', '.join(sorted(_TRAINERS))}")
    module_name = _TRAINERS[model]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise FactdeskError(f"training {model} needs {exc.name}", hint="pip install 'factdesk[train]'") from exc
    code = module.main(list(ctx.args))
    ctx.exit(int(code or 0))


@cli.group()
def sources() -> None:
    """Evidence sources beyond the local index: SearxNG, Brave Search, Kiwix ZIM (docs/sources.md).

    \b
    Sources run only when configured; nothing leaves the machine otherwise.
      factdesk sources add searxng http://127.0.0.1:8888
      factdesk sources add brave BRAVE_API_KEY      # the variable's NAME; the key is never stored
      factdesk sources add zim /data/wikipedia_en_all_nopic.zim
      factdesk sources test searxng "Ridgeway dam opened"
    """


_SECRET_WORDS = ("key", "token", "secret", "password")


def _option_pairs(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--option takes NAME=VALUE, not {pair!r}")
        key = key.strip()
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        secret = any(w in key.lower() for w in _SECRET_WORDS) and not key.lower().endswith("_env")
        if secret and not (isinstance(value, dict) and set(value) == {"$env"}):
            raise InputError(f"refusing to store the secret option {key!r} in the store",
                             hint=f'name its environment variable instead: --option {key}_env=VARIABLE '
                                  f'or --option \'{key}={{"$env": "VARIABLE"}}\'')
        out[key] = value
    return out


@sources.command("add")
@click.argument("kind")
@click.argument("spec", required=False, default="")
@click.option("--name", default=None, help="What reports call it (default: the kind).")
@click.option("--option", "option_pairs", multiple=True, metavar="NAME=VALUE",
              help="A further option for the source (JSON values; secrets only as NAME_env=VARIABLE); repeatable.")
@db_option
def sources_add(kind: str, spec: str, name: str | None, option_pairs: tuple[str, ...], db: str | None) -> None:
    """Add an evidence source every check then searches: KIND and SPEC (a URL, a path, a variable name).

    Example: factdesk sources add searxng http://127.0.0.1:8888 --option budget=20
    """
    registry.require("source", kind)
    options = _option_pairs(option_pairs)
    with _open_store(db) as store:
        if getattr(store, "sources", None) is None:
            raise FactdeskError("this store cannot keep evidence sources", hint="use a SQLite store (--db FILE)")
        store.sources.add_configured(name or kind, kind=kind, spec=spec, options=options)
    click.echo(f"added source {name or kind} ({kind}{' ' + spec if spec else ''})")


@sources.command("remove")
@click.argument("name")
@db_option
def sources_remove(name: str, db: str | None) -> None:
    """Remove a source added with `factdesk sources add`."""
    with _open_store(db) as store:
        store.sources.remove_configured(name)
    click.echo(f"removed source {name}")


@sources.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
def sources_list(as_json: bool, db: str | None) -> None:
    """List the configured evidence sources (added ones and factdesk.toml's) and the kinds there are."""
    settings = _settings()
    with _open_store(db) as store:
        stored = [{"name": e.name, "kind": e.kind, "options": e.options, "from": "store"}
                  for e in source_config.stored_entries(store)]
        cached = store.sources.cached_queries() if getattr(store, "sources", None) is not None else 0
        snapshots = store.sources.snapshot_count() if getattr(store, "sources", None) is not None else 0
    configured = stored + [{"name": e.name, "kind": e.kind, "options": e.options, "from": "settings"}
                           for e in source_config.entries(settings.sources)]
    data = {"configured": configured, "kinds": registry.names("source"), "cached_queries": cached,
            "snapshots": snapshots}
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if not configured:
        click.echo("no evidence sources configured: checks use the local index only (nothing leaves the machine)")
    for c in configured:
        opts = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(c["options"].items()))
        click.echo(f"{c['name']:<12} {c['kind']:<10} [{c['from']}]  {opts}")
    click.echo(f"kinds available: {', '.join(data['kinds']) or '(none)'}; {cached} cached queries, "
               f"{snapshots} page snapshots in the store")


@sources.command("test")
@click.argument("source")
@click.argument("query", required=False, default="fact check")
@click.option("-k", type=int, default=3, show_default=True)
@click.option("--allow-private", is_flag=True, default=None, help="Let result pages on loopback/private addresses be fetched.")
@click.option("--refresh", is_flag=True, default=None, help="Ask the API again instead of using the cache.")
@db_option
def sources_test(source: str, query: str, k: int, allow_private: bool | None, refresh: bool | None,
                 db: str | None) -> None:
    """Search one source once and show what came back: a configured NAME or KIND=SPEC.

    Exits 0 when the source answered, 4 when it could not (with the reason).

    Example: factdesk sources test searxng=http://127.0.0.1:8888 "Ridgeway dam opened"
    """
    settings = _settings(allow_private=allow_private, refresh_sources=refresh)
    with _open_store(db) as store:
        pipe = Pipeline.from_settings(settings, store=store)
        known = {e.name: e for e in pipe.source_entries()}
        entry = known.get(source) or source_config.parse_spec(source)
        src = pipe.create_source(entry)
        src.warm_up()
        detailed = getattr(src, "search_detailed", None)
        outcome = detailed(query, k) if detailed is not None else None
        hits = outcome.hits if outcome is not None else src.search(query, k)
    if outcome is not None:
        click.echo(f"{entry.name}: {outcome.results} results ({'cached' if outcome.cached else f'{outcome.api_calls} API call'}), "
                   f"{outcome.pages_fetched} pages fetched, {outcome.pages_reused} reused, "
                   f"{len(outcome.factchecks)} on fact-check sites, {len(outcome.denied)} denied, "
                   f"{outcome.seconds:.2f}s")
        for err in outcome.page_errors:
            click.echo(f"  page not used: {err['url']}: {err['reason']}", err=True)
    for i, h in enumerate(hits, 1):
        prov = h.provenance or {}
        click.echo(f"{i}. {prov.get('url') or h.passage.url}  snapshot {prov.get('snapshot_id') or '-'}"
                   f"{'  [after date]' if h.after_claim_date else ''}\n   {' '.join(h.passage.text.split())[:200]}")


# these commands' modules import their extras lazily and explain a missing one themselves
cli.add_command(reviews)
cli.add_command(serve)
cli.add_command(user)
cli.add_command(batch)
cli.add_command(watch)


def main() -> None:
    cli(prog_name="factdesk")


if __name__ == "__main__":
    main()
