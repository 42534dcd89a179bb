"""Write docs/cli.md from the commands' own --help text.

    python scripts/gen_cli_docs.py          # rewrite docs/cli.md
    python scripts/gen_cli_docs.py --check  # exit 1 if docs/cli.md is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from factdesk.cli import cli

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def _walk(cmd: click.Command, path: list[str], parent: click.Context | None = None
          ) -> list[tuple[list[str], click.Context]]:
    # each context as the real command line builds it: the command's own settings, under its parent's
    # (so "-h, --help" shows where `factdesk -h` works, whatever ran before in this process)
    ctx = click.Context(cmd, info_name=path[-1] if parent else " ".join(path), parent=parent,
                        terminal_width=100, **cmd.context_settings)
    out = [(path, ctx)]
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.list_commands(ctx)):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                out += _walk(sub, path + [name], ctx)
    return out


def render() -> str:
    parts = ["# factdesk command reference", "",
             "Generated from `--help` by `python scripts/gen_cli_docs.py`; a test checks it is current.", ""]
    for path, ctx in _walk(cli, ["factdesk"]):
        with ctx:
            text = ctx.command.get_help(ctx)
        parts += [f"## `{' '.join(path)}`", "", "```", text.rstrip(), "```", ""]
    return "\n".join(parts)


def main() -> None:
    text = render()
    if "--check" in sys.argv:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print("docs/cli.md is out of date: run python scripts/gen_cli_docs.py", file=sys.stderr)
            sys.exit(1)
        return
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
