"""``factdesk batch``: check many articles into a folder of reports (local process pool or Spark).

The main CLI adds it with::

    from factdesk.scale.batch_cli import batch
    cli.add_command(batch)

pyspark is imported only for ``--engine spark``, so the command works without the ``spark`` extra.
It also runs on its own: ``python -m factdesk.scale.batch_cli INPUT --out DIR``.
"""

from __future__ import annotations

import json
import sys

import click
from tqdm import tqdm

from factdesk.errors import FactdeskError
from factdesk.scale.local import DEFAULT_START_METHOD
from factdesk.scale.output import parse_formats
from factdesk.scale.runner import ENGINES, BatchSummary, run_batch
from factdesk.scale.worker import Outcome
from factdesk.settings import load_settings


@click.command(context_settings={"help_option_names": ["-h", "--help"]})  # the same whether run alone or under factdesk
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="Folder for the reports: one file per article and format, errors in OUT/errors/.")
@click.option("--engine", type=click.Choice(list(ENGINES)), default="local", show_default=True,
              help="local: a process pool on this machine; spark: Apache Spark (extra factdesk[spark]).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="local: worker processes, each loading the models once [default: the CPU cores].")
@click.option("--format", "formats", default="json", show_default=True, metavar="LIST",
              help="Report formats, comma-separated: json, markdown, html, claimreview.")
@click.option("--db", metavar="STORE", default=None,
              help="The evidence store: a SQLite file (opened read-only) or a postgresql:// URL "
              "(default: $FACTDESK_DB or ~/.local/share/factdesk/factdesk.db).")
@click.option("--verifier", default=None, help="Verifier name [setting verifier; auto].")
@click.option("--master", metavar="URL", default=None,
              help="spark: the master, e.g. local[2] or spark://host:7077 [default: spark-submit's, else local[*]].")
@click.option("--partitions", type=click.IntRange(min=1), default=None,
              help="spark: partitions of the article DataFrame [default: 4 per core].")
@click.option("--start-method", type=click.Choice(["fork", "spawn", "forkserver"]), default=DEFAULT_START_METHOD,
              show_default=True, help="local: how worker processes start.")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when it is a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def batch(ctx: click.Context, input_path: str, out: str, engine: str, workers: int | None, formats: str,
          db: str | None, verifier: str | None, master: str | None, partitions: int | None, start_method: str,
          progress: bool | None, as_json: bool) -> None:
    """Check every article of INPUT, one report per article, into the folder --out.

    \b
    INPUT is one of:
      a folder            its .txt .md .html .pdf files (recursively); each
                          article's id is a hash of its content
      a .jsonl manifest   one {"id", "path"|"url"|"text", "title"?, "published"?}
                          a line; relative paths are relative to the manifest
      a .parquet file     the same columns (needs pyarrow)

    Each report is written atomically as OUT/<id>.json (.md, .html,
    .claimreview.json); a re-run skips articles whose reports exist, so a killed
    run resumes where it stopped.  An article that fails leaves
    OUT/errors/<id>.json and the run goes on; the exit status is 1 when any
    failed.  Reports are not saved in the store.

    \b
    Examples:
      factdesk batch news/ --out reports/ --workers 2
      factdesk batch articles.jsonl --out reports/ --format json,markdown --db corpus.db
      factdesk batch articles.parquet --engine spark --master 'local[2]' --out reports/
    """
    show = progress if progress is not None else (sys.stderr.isatty() and not as_json)
    bar = tqdm(total=0, desc="checking", unit="article", disable=not show, file=sys.stderr, leave=False)

    def on_pending(count: int) -> None:
        bar.total = count
        bar.refresh()

    def on_outcome(outcome: Outcome) -> None:
        if outcome.status != "done":
            bar.write(f"failed {outcome.id}: {outcome.error}", file=sys.stderr)
        bar.update(1)

    # errors as one line and an exit code here too, so the command behaves the same run on its own
    # (python -m factdesk.scale.batch_cli) as under the factdesk group
    try:
        summary = run_batch(input_path, out=out, engine=engine, workers=workers, formats=parse_formats(formats),
                            db=db, settings=load_settings(verifier=verifier), master=master, partitions=partitions,
                            start_method=start_method, progress=show, on_pending=on_pending, on_outcome=on_outcome)
    except FactdeskError as exc:
        bar.close()
        click.echo(f"error: {exc}", err=True)
        ctx.exit(exc.exit_code)
    except KeyboardInterrupt:
        bar.close()
        click.echo(f"interrupted: the reports written are kept in {out}; run the command again to resume", err=True)
        ctx.exit(130)
    bar.close()
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
    else:
        click.echo(_summary_line(summary), err=True)
    if summary.failed:
        ctx.exit(1)


def _summary_line(s: BatchSummary) -> str:
    line = (f"batch: {s.articles} articles, {s.skipped} finished before, {s.done} checked now, "
            f"{s.failed} failed in {s.seconds:.1f}s")
    if s.done:
        line += f" ({s.articles_per_hour:.0f} articles/hour)"
    line += f"; reports in {s.out}"
    if s.failed:
        line += f", errors in {s.out}/errors/"
    return line


if __name__ == "__main__":
    batch()
