"""The output folder of a batch run: one report file per article and format, written atomically.

A report is written to a temporary file in the same folder, flushed to disk (``fsync``) and
renamed over its final name (``os.replace``), so a reader — or a resumed run — sees either no
file or a whole one, whatever moment the run was killed at.  An article is finished when every
requested format's file exists; a failed article leaves ``errors/<id>.json`` instead, which a
later successful check removes.

Example::

    >>> out = ReportDir("reports/", ["json", "markdown"])   # doctest: +SKIP
    >>> out.is_done("a3f1c0d2e4b5a6978")                     # doctest: +SKIP
    False
    >>> out.write_report("a3f1c0d2e4b5a6978", report)         # doctest: +SKIP
    [PosixPath('reports/a3f1c0d2e4b5a6978.md'), PosixPath('reports/a3f1c0d2e4b5a6978.json')]
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from factdesk.errors import ConfigError, FactdeskError
from factdesk.report import FORMATS, render

# file name suffix per report format (claimreview is JSON too, so it needs its own)
SUFFIX = {"json": ".json", "markdown": ".md", "html": ".html", "claimreview": ".claimreview.json"}
TEMP_SUFFIX = ".tmp"
ERRORS = "errors"


def parse_formats(value: str | Iterable[str]) -> list[str]:
    """``"json,markdown"`` → ``["json", "markdown"]``; an unknown name is a ConfigError."""
    names = value.split(",") if isinstance(value, str) else list(value)
    formats = list(dict.fromkeys(n.strip().lower() for n in names if n.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ConfigError(f"unknown report format(s): {', '.join(unknown) or '(none given)'}",
                          hint="choose from: " + ", ".join(FORMATS))
    return formats


def _file_mode() -> int:
    # mkstemp makes 0600 files; reports get the mode any new file would (0666 less the umask)
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


_MODE = _file_mode()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is never seen half-written (temp file, fsync, rename).

    Example::

        write_atomic(Path("reports/n1.json"), b"{}")
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        os.fchmod(fd, _MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    # the rename is an entry in the folder: sync the folder too, or a power cut may forget it
    with suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class ReportDir:
    """The batch output folder: ``<id>.<ext>`` per format, ``errors/<id>.json`` per failed article.

    ``render_options`` go to the claimreview renderer (publisher, publisher_url, review_url).

    Example::

        out = ReportDir("reports/", ["json"])
        if not out.is_done(article.id):
            out.write_report(article.id, pipe.check(article.path, save=False))
    """

    def __init__(self, root: str | Path, formats: Iterable[str] = ("json",), *,
                 render_options: Mapping[str, Any] | None = None) -> None:
        self.root = Path(root).expanduser()
        self.formats = parse_formats(list(formats))
        self.render_options = dict(render_options or {})

    @property
    def errors_dir(self) -> Path:
        return self.root / ERRORS

    def prepare(self) -> int:
        """Create the folders and delete temporary files a killed run left; returns how many were deleted.

        Only one run may write to a folder at a time: another run's temporary files would be deleted.
        """
        try:
            self.errors_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FactdeskError(f"cannot create {self.root}: {exc.strerror or exc}") from exc
        removed = 0
        for folder in (self.root, self.errors_dir):
            for tmp in folder.glob(f".*{TEMP_SUFFIX}"):
                with suppress(FileNotFoundError):
                    tmp.unlink()
                    removed += 1
        return removed

    def paths(self, article_id: str) -> list[Path]:
        """The report files of one article, one per format."""
        return [self.root / f"{article_id}{SUFFIX[f]}" for f in self.formats]

    def error_path(self, article_id: str) -> Path:
        return self.errors_dir / f"{article_id}.json"

    def is_done(self, article_id: str) -> bool:
        """Whether every format's report of this article is written."""
        return all(p.is_file() for p in self.paths(article_id))

    def write_report(self, article_id: str, report: dict[str, Any]) -> list[Path]:
        """Render ``report`` in each format and write the files atomically; drops an old error record."""
        written = []
        # the JSON file last: when it is there, so are the others (a reader may poll for *.json)
        for fmt in sorted(self.formats, key=lambda f: f == "json"):
            options = self.render_options if fmt == "claimreview" else {}
            path = self.root / f"{article_id}{SUFFIX[fmt]}"
            write_atomic(path, render(report, fmt, **options).encode("utf-8"))
            written.append(path)
        with suppress(FileNotFoundError):
            self.error_path(article_id).unlink()
        return written

    def write_error(self, article_id: str, source: str, exc: BaseException) -> Path:
        """Record why one article failed (``errors/<id>.json``: id, source, error class, code, message, hint)."""
        record = {
            "id": article_id,
            "source": source,
            "error": type(exc).__name__,
            "code": getattr(exc, "code", None),
            "message": str(exc),
            "hint": getattr(exc, "hint", None),
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        path = self.error_path(article_id)
        write_atomic(path, (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        return path

    def finished(self) -> set[str]:
        """Ids of the articles whose reports are all written."""
        first = SUFFIX[self.formats[0]]
        names = {p.name[: -len(first)] for p in self.root.glob(f"*{first}") if not p.name.startswith(".")}
        return {i for i in names if self.is_done(i)}

    def failed(self) -> set[str]:
        """Ids with an error record."""
        return {p.stem for p in self.errors_dir.glob("*.json")} if self.errors_dir.is_dir() else set()
