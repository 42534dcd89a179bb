"""``python -m factdesk.evaluate TASK DATA [options]``: the same command as ``factdesk eval``."""

from __future__ import annotations

import sys

from factdesk.cli import cli


def main() -> None:
    cli(["eval", *sys.argv[1:]], prog_name="python -m factdesk.evaluate")


if __name__ == "__main__":
    main()
