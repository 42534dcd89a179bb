#!/usr/bin/env bash
# CI step: factdesk batch on Apache Spark (pytest -m spark, issue 15 item 3).
# Installs the spark extra (pyspark from PyPI; Spark runs in local[2] inside it, on the machine's
# Java 17) and pyarrow (Parquet manifests) into the .venv of .ci/run, then runs the Spark tests and
# the default run's Parquet test, which the default install skips for want of pyarrow.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null 2>&1; then
  echo "spark: no java on PATH; Spark needs Java 17 or newer (apt-get install openjdk-17-jre-headless)" >&2
  exit 1
fi
.venv/bin/pip install -q '.[spark]' 'pyarrow>=14'

# the marker overrides addopts' "not spark"; a skip would hide a broken install, so none is allowed
log=$(mktemp)
.venv/bin/pytest -m spark -q -p no:cacheprovider -rs 2>&1 | tee "$log"
.venv/bin/pytest tests/test_batch.py -k parquet -q -p no:cacheprovider -rs 2>&1 | tee -a "$log"
if grep -qE "[0-9]+ skipped" "$log"; then
  echo "spark: tests were skipped: pyspark, pyarrow or Java is not usable" >&2
  exit 1
fi
