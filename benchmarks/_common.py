"""Shared helpers for the benchmark scripts: synthetic news text, timing, tables, JSON output."""

from __future__ import annotations

import json
import random
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

PLACES = ["Harbor Creek", "Northfield", "the river valley", "the capital", "Lakeside", "the port city",
          "the eastern province", "Riverton", "the coastal region", "Mill County", "Westbrook", "the border town",
          "Granite Falls", "the island", "Oakridge", "the northern district", "Springvale", "the old town"]
ACTORS = ["The city council", "The health ministry", "Local officials", "The central bank", "The mayor",
          "Police", "Researchers at the university", "The transport authority", "A government spokesperson",
          "The company", "Union leaders", "The environment agency", "Opposition lawmakers", "The school board",
          "Firefighters", "The weather service", "Hospital staff", "Farmers", "The election commission"]
VERBS = ["approved", "rejected", "announced", "reported", "delayed", "cancelled", "expanded", "reviewed",
         "criticised", "funded", "investigated", "opened", "closed", "postponed", "confirmed", "denied"]
OBJECTS = ["a new budget for road repairs", "plans for a second bridge", "the vaccination campaign",
           "a flood protection scheme", "the bus fare increase", "a tax on plastic bags", "the hospital expansion",
           "new rules for short-term rentals", "the wind farm project", "a curfew for the festival weekend",
           "the water treatment plant", "teacher salary negotiations", "the recycling programme",
           "emergency housing for families", "the airport runway extension", "a ban on night flights",
           "the minimum wage rise", "the clean air zone", "a survey of drinking water", "the mining licence"]
QUANTS = ["{n} percent", "{n} million dollars", "{n} people", "{n} kilometres", "{n} tonnes", "{n} new jobs",
          "{n} homes", "{n} cases", "{n} schools", "{n} megawatts"]
CLAUSES = ["after a long debate", "despite strong protests", "according to a statement released on {day}",
           "citing rising costs", "following heavy rain", "amid concerns about safety",
           "after months of negotiations", "in a close vote", "as inflation continued to climb",
           "according to figures published on {day}", "weeks before the election", "after an audit"]
FOLLOWUPS = ["Critics said the decision would hurt small businesses.",
             "Supporters argued the change was long overdue.",
             "The figures were higher than last year.",
             "Residents will be able to comment until the end of the month.",
             "An independent review is expected early next year.",
             "Officials declined to give further details.",
             "The plan still needs approval from the regional parliament.",
             "Similar measures were introduced in neighbouring towns.",
             "Environmental groups welcomed the move.",
             "The cost is expected to be shared with the national government."]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def sentence(rng: random.Random) -> str:
    kind = rng.random()
    place, actor = rng.choice(PLACES), rng.choice(ACTORS)
    if kind < 0.45:
        clause = rng.choice(CLAUSES).format(day=rng.choice(DAYS))
        return f"{actor} in {place} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {clause}."
    if kind < 0.75:
        q = rng.choice(QUANTS).format(n=rng.choice([2, 3, 5, 7, 12, 15, 20, 35, 40, 120, 300, 1500, 2.5, 4.8]))
        return (f"The project in {place} will involve {q}, "
                f"{rng.choice(['officials said', 'the report found', 'data showed', 'a spokesperson confirmed'])}.")
    if kind < 0.9:
        return (f"In {rng.choice(MONTHS)} {rng.randint(1990, 2024)}, {actor.lower()} "
                f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}.")
    return rng.choice(FOLLOWUPS)


def article_text(rng: random.Random, paragraphs: int = 3) -> str:
    paras = []
    for _ in range(paragraphs):
        paras.append(" ".join(sentence(rng) for _ in range(rng.randint(2, 4))))
    return "\n\n".join(paras)


def passage_text(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(3))


def query_text(rng: random.Random) -> str:
    """A claim-like query from the same vocabulary."""
    s = sentence(rng)
    return s if rng.random() < 0.7 else s.replace("approved", "backed").replace("rejected", "voted down")


def random_date(rng: random.Random) -> str:
    return f"{rng.randint(2015, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    vals = sorted(values)
    pos = (len(vals) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(vals) - 1)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": round(percentile(ms, 0.5), 2), "p95_ms": round(percentile(ms, 0.95), 2),
            "mean_ms": round(statistics.fmean(ms), 2) if ms else float("nan"), "max_ms": round(max(ms), 2)}


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for j, r in enumerate(cells):
        print("  ".join(c.rjust(w) if j and i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if j == 0:
            print("  ".join("-" * w for w in widths))


def write_json(path: str | None, data: dict[str, Any]) -> None:
    if not path:
        return
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {p}")


def machine() -> dict[str, Any]:
    import os
    import platform

    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


@contextmanager
def building_store(path: Path) -> Iterator[Any]:
    """Open a store at ``<path>.building``; on success, close it and move it to ``path``.

    An interrupted build leaves no half-built store under the cached name.
    """
    from factdesk.store import Store

    tmp = path.with_suffix(".building")
    for p in (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
        p.unlink(missing_ok=True)
    store = Store.open(tmp)
    try:
        yield store
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    tmp.rename(path)
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)


def random_unit_vectors(nrng: Any, n: int, dim: int) -> Any:
    """``n`` random unit vectors (float32): search cost without embedding every text."""
    vecs = nrng.standard_normal((n, dim)).astype("float32")
    vecs /= (vecs ** 2).sum(axis=1, keepdims=True) ** 0.5
    return vecs


def shared_data(name: str, arg: str | None = None, marker: str = "gold.jsonl") -> Path | None:
    """A shared data folder: ``arg``, else ``name`` under a data root (``$FACTDESK_DATA``,
    ``../shared/data``, /work/shared/data: :func:`factdesk.paths.data_roots`), else beside this
    checkout; the first that holds ``marker`` (None when none does)."""
    from factdesk.paths import data_roots

    candidates = [Path(arg)] if arg else []
    candidates += [root / name for root in data_roots()] + [ROOT.parent / "shared" / "data" / name]
    return next((c for c in candidates if (c / marker).is_file()), None)
