"""factdesk batch on Apache Spark (local[2]): the same articles give the same verdicts as the local engine.

Marked ``spark`` and left out of the default run (a JVM start and Python workers per executor take
tens of seconds); run ``pytest -m spark`` or ``bash .ci/spark.sh``.  Skipped without pyspark.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factdesk.scale import read_articles, run_batch
from factdesk.settings import load_settings
from test_batch import demo_parts, index_demo, temp_files, verdicts, write_articles

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark_ready() -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install '.[spark]'")


def test_spark_local2_gives_the_local_engines_verdicts(spark_ready: None, tmp_path: Path) -> None:
    db = index_demo(tmp_path / "demo.db")
    articles = write_articles(tmp_path / "articles")
    manifest = tmp_path / "articles.jsonl"
    rows = [{"id": a.id, "path": a.path} for a in read_articles(articles)]
    rows.append({"id": "gone", "path": str(tmp_path / "missing.txt")})
    rows.append({"id": "inline", "text": demo_parts()[0].split("\n", 1)[1], "published": "2024-11-20"})
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    settings = load_settings(verifier="baseline")

    local = run_batch(manifest, out=tmp_path / "local", engine="local", workers=2, db=str(db), settings=settings)
    spark = run_batch(manifest, out=tmp_path / "spark", engine="spark", master="local[2]", partitions=3, db=str(db),
                      settings=settings)
    assert (local.done, local.failed) == (spark.done, spark.failed) == (5, 1)
    assert spark.workers == 2
    names = sorted(p.name for p in (tmp_path / "local").glob("*.json"))
    assert names == sorted(p.name for p in (tmp_path / "spark").glob("*.json")) and len(names) == 5
    for name in names:
        assert verdicts(tmp_path / "spark" / name) == verdicts(tmp_path / "local" / name), name
    record = json.loads((tmp_path / "spark" / "errors" / "gone.json").read_text())
    assert "no such file" in record["message"]
    assert temp_files(tmp_path / "spark") == []

    # a re-run on Spark skips the finished articles and tries the failed one again
    again = run_batch(manifest, out=tmp_path / "spark", engine="spark", master="local[2]", db=str(db),
                      settings=settings)
    assert (again.skipped, again.done, again.failed) == (5, 0, 1)
