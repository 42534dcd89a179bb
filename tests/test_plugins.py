"""A verifier and a retriever from another package, installed through the entry-point group.

The plugin is real: a module plus a ``*.dist-info`` folder on ``PYTHONPATH``, which is all
``importlib.metadata`` needs to find an installed distribution's entry points.  The factdesk CLI
runs in a subprocess, so nothing registered in this test process leaks into it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from factdesk import registry

PLUGIN = '''
from factdesk.protocols import StanceResult
from factdesk.types import Hit, Passage


class EchoVerifier:
    """Always the stance it was configured with."""

    name = "echo-verifier"

    def __init__(self, label="refutes", token=None):
        if token is not None and token != "s3cret":  # stands in for an API key the backend checks
            raise ValueError("bad token")
        self.label, self.token = label, token

    def warm_up(self):
        pass

    def stances(self, pairs):
        p = {"supports": 0.1, "refutes": 0.1, "neutral": 0.1}
        p[self.label] = 0.8
        return [StanceResult(dict(p), reasons=["echo: " + self.label]) for _ in pairs]


def make_verifier(**options):
    return EchoVerifier(**options)


class OnePassageRetriever:
    """Every query finds the same passage (and says which store it was given)."""

    def __init__(self, store):
        self.passage = Passage(document_id="d-plugin", text="PLUGIN PASSAGE: the dam opened in 2001.",
                               start=0, end=40, title="From the plugin")
        self.store = store

    def search(self, query, k=10, *, mode="hybrid", before=None, exclude_documents=None, max_per_document=0):
        return [Hit(passage=self.passage, score=1.0)][:k]

    def search_many(self, queries, k=10, **kwargs):
        return [self.search(q, k) for q in queries]


def make_retriever(store, **options):
    assert store is not None  # the registry hands over the pipeline's store because it is asked for
    return OnePassageRetriever(store)
'''

ENTRY_POINTS = """[factdesk.components]
verifier.echo-verifier = fdplugin:make_verifier
retriever.one-passage = fdplugin:make_retriever
"""


@pytest.fixture
def plugin_path(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "fdplugin-0.1.dist-info").mkdir(parents=True)
    (site / "fdplugin.py").write_text(PLUGIN)
    (site / "fdplugin-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: fdplugin\nVersion: 0.1\n")
    (site / "fdplugin-0.1.dist-info" / "entry_points.txt").write_text(ENTRY_POINTS)
    return site


def _factdesk(args: list[str], site: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(site), **env}
    return subprocess.run([sys.executable, "-c", "from factdesk.cli import main; main()", *args], cwd=cwd,
                          env=environ, capture_output=True, text=True, timeout=300)


def test_a_plugin_verifier_and_retriever_are_listed_and_drive_check(plugin_path: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "fd.db")
    info = _factdesk(["info", "--json", "--db", db], plugin_path, tmp_path)
    assert info.returncode == 0, info.stderr
    comps = json.loads(info.stdout)["components"]
    echo = next(c for c in comps["verifier"] if c["name"] == "echo-verifier")
    one = next(c for c in comps["retriever"] if c["name"] == "one-passage")
    assert echo["origin"] == one["origin"] == "fdplugin 0.1" and echo["available"] and one["available"]
    assert "echo-verifier" in json.loads(info.stdout)["verifiers"]
    # the plain listing says where each part comes from too
    text = _factdesk(["info", "--db", db], plugin_path, tmp_path).stdout
    assert "echo-verifier" in text and "fdplugin 0.1" in text and "factdesk 0.1.0 (built-in)" in text

    article = tmp_path / "article.txt"
    article.write_text("date 2024-03-01\nThe Ridgeway dam opened in 1998 and cost 40 million euros to build.\n")
    res = _factdesk(["check", str(article), "--verifier", "echo-verifier", "--retriever", "one-passage",
                     "--format", "json", "--no-save", "--db", db], plugin_path, tmp_path)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["verifier"] == "echo-verifier" and report["claims"]
    evidence = report["claims"][0]["evidence"]
    assert evidence and evidence[0]["text"].startswith("PLUGIN PASSAGE")
    assert evidence[0]["stance"] == "refutes"


def test_plugin_options_come_from_factdesk_toml_with_secrets_from_the_environment(plugin_path: Path,
                                                                                   tmp_path: Path) -> None:
    (tmp_path / "factdesk.toml").write_text(
        '[verifier]\nname = "echo-verifier"\n[verifier.options]\nlabel = "supports"\n'
        'token = { "$env" = "FDPLUGIN_TOKEN" }\n[retriever]\nname = "one-passage"\n')
    article = tmp_path / "article.txt"
    article.write_text("The Ridgeway dam opened in 1998 and cost 40 million euros to build.\n")
    db = str(tmp_path / "fd.db")
    res = _factdesk(["check", str(article), "--format", "json", "--no-save", "--db", db], plugin_path, tmp_path,
                    FDPLUGIN_TOKEN="s3cret")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    ev = report["claims"][0]["evidence"][0]
    assert ev["stance"] == "supports"  # the option reached the plugin, and so did the secret (else it raises)
    assert "s3cret" not in res.stdout + res.stderr
    # without the variable the run stops before any work, naming the variable and not a value
    res = _factdesk(["check", str(article), "--no-save", "--db", db], plugin_path, tmp_path)
    assert res.returncode != 0 and "FDPLUGIN_TOKEN" in res.stderr and "Traceback" not in res.stderr


def test_parts_are_injected_by_parameter_name_and_secrets_resolved(monkeypatch) -> None:
    seen = {}

    @registry.register("verifier", "test-injected")
    def make(*, embedder=None, key=None, **options):
        seen.update(embedder=embedder, key=key, options=options)
        return object()

    monkeypatch.setenv("TEST_INJECTED_KEY", "k1")
    registry.create("verifier", "test-injected", parts={"embedder": lambda: "EMB", "store": lambda: 1 / 0},
                    key={"$env": "TEST_INJECTED_KEY"}, nested={"a": [{"$env": "TEST_INJECTED_KEY"}]})
    # the store was not asked for, so its (failing) maker never ran
    assert seen == {"embedder": "EMB", "key": "k1", "options": {"nested": {"a": ["k1"]}}}
    registry._REGISTERED.pop(("verifier", "test-injected"))
