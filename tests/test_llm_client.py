"""The LLM client against a scripted OpenAI-compatible stub on 127.0.0.1.

The stub covers what a real model cannot do on demand (malformed JSON, timeouts, 429s, 500s, a
server without JSON-schema support); tests/test_llm_server.py runs a real llama.cpp server.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from factdesk import registry
from factdesk.errors import ConfigError, LLMError, LLMOutputError, LLMTimeout, StoreError
from factdesk.llm import OpenAICompatibleClient, UsageLedger, cache_key
from factdesk.llm.client import retry_after_seconds
from factdesk.llm.structured import JSONAnswerError, parse_json, schema_errors
from factdesk.protocols import LLMClient
from factdesk.store import Store
from factdesk.testing import FakeLLM

SCHEMA = {"type": "object", "required": ["label", "passage_ids"], "additionalProperties": False,
          "properties": {"label": {"type": "string", "enum": ["supported", "refuted", "not enough evidence"]},
                         "passage_ids": {"type": "array", "items": {"type": "string"}}}}
GOOD = '{"label": "supported", "passage_ids": ["p1"]}'
ASK = [{"role": "system", "content": "You check facts."},
       {"role": "user", "content": "Claim: the dam opened in 1998. [p1] The dam opened in 1998."}]


def reply(content: str, *, status: int = 200, prompt_tokens: int = 10, completion_tokens: int = 5,
          headers: dict[str, str] | None = None, delay: float = 0.0, finish_reason: str = "stop") -> dict[str, Any]:
    body = {"id": "x", "object": "chat.completion", "model": "stub",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}}
    return {"status": status, "body": json.dumps(body).encode(), "headers": headers or {}, "delay": delay}


def error(status: int, message: str = "boom", *, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"status": status, "body": json.dumps({"error": {"message": message}}).encode(),
            "headers": headers or {}, "delay": 0.0}


class Stub:
    """An OpenAI-compatible server whose chat answers come from a script (a list, then ``default``)."""

    def __init__(self) -> None:
        self.script: list[Any] = []
        self.default: Any = lambda req: reply(GOOD)
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, answer: dict[str, Any]) -> None:
                if answer["delay"]:
                    time.sleep(answer["delay"])
                try:
                    self.send_response(answer["status"])
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer["body"])))
                    for k, v in answer["headers"].items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(answer["body"])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def do_GET(self) -> None:
                body = json.dumps({"object": "list", "data": [{"id": "stub-model", "object": "model"}]}).encode()
                self._send({"status": 200, "body": body, "headers": {}, "delay": 0.0})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                request = {"path": self.path, "headers": dict(self.headers), "json": json.loads(raw)}
                with stub.lock:
                    stub.requests.append(request)
                    step = stub.script.pop(0) if stub.script else stub.default
                    stub.in_flight += 1
                    stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
                try:
                    self._send(step(request) if callable(step) else step)
                finally:
                    with stub.lock:
                        stub.in_flight -= 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        # a short poll interval: shutdown() waits for it
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub() -> Iterator[Stub]:
    s = Stub()
    yield s
    s.close()


def client(stub: Stub, **options: Any) -> OpenAICompatibleClient:
    options.setdefault("backoff", 0.01)
    return OpenAICompatibleClient(stub.url, "stub-model", **options)


# -- plain and structured answers ---------------------------------------------------------------
def test_plain_completion_sends_an_openai_request(stub):
    stub.script = [reply("The dam opened in 1998.", prompt_tokens=12, completion_tokens=7)]
    llm = client(stub, max_tokens=64, temperature=0.2)
    out = llm.complete(ASK, stage="plain", prompt_version="plain.v1")
    assert (out.text, out.data, out.prompt_tokens, out.completion_tokens, out.cached) == \
        ("The dam opened in 1998.", None, 12, 7, False)
    [req] = stub.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["json"]["model"] == "stub-model" and req["json"]["messages"] == ASK
    assert (req["json"]["max_tokens"], req["json"]["temperature"]) == (64, 0.2)
    assert "response_format" not in req["json"] and "Authorization" not in req["headers"]
    assert isinstance(llm, LLMClient)


def test_schema_is_sent_as_json_schema_response_format(stub):
    llm = client(stub)
    out = llm.complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="verdict.v1")
    assert out.data == {"label": "supported", "passage_ids": ["p1"]}
    fmt = stub.requests[0]["json"]["response_format"]
    assert fmt == {"type": "json_schema", "json_schema": {"name": "verdict", "schema": SCHEMA, "strict": True}}


def test_malformed_json_gets_one_repair(stub):
    stub.script = [reply('{"label": "supported", "passage_ids": ["p1"'), reply("```json\n" + GOOD + "\n```")]
    llm = client(stub)
    out = llm.complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="verdict.v1")
    assert out.data == {"label": "supported", "passage_ids": ["p1"]}
    assert (out.prompt_tokens, out.completion_tokens) == (20, 10)  # both calls counted
    repair = stub.requests[1]["json"]["messages"]
    assert repair[:2] == ASK and repair[2] == {"role": "assistant",
                                               "content": '{"label": "supported", "passage_ids": ["p1"'}
    assert "not valid JSON" in repair[3]["content"] and '"enum"' in repair[3]["content"]
    usage = llm.usage.to_dict()["verdict"]
    assert (usage["calls"], usage["repairs"], usage["failures"]) == (2, 1, 0)


def test_an_answer_outside_the_schema_is_repaired_too(stub):
    stub.script = [reply('{"label": "maybe", "passage_ids": []}'), reply(GOOD)]
    out = client(stub).complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="verdict.v1")
    assert out.data["label"] == "supported"
    assert "'maybe' is not one of" in stub.requests[1]["json"]["messages"][-1]["content"]


def test_malformed_twice_is_a_clear_output_error(stub):
    stub.script = [reply("I think it is supported."), reply("Supported, because of p1.")]
    llm = client(stub)
    with pytest.raises(LLMOutputError) as info:
        llm.complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="verdict.v1")
    assert info.value.code == "llm_bad_output" and isinstance(info.value, LLMError)
    assert "after one repair attempt" in str(info.value) and "stub-model" in str(info.value)
    assert "pick a larger" in str(info.value)
    assert len(stub.requests) == 2 and llm.usage.to_dict()["verdict"]["failures"] == 1


def test_a_cut_off_answer_says_to_raise_max_tokens(stub):
    stub.script = [reply('{"label": "supp', finish_reason="length")] * 2
    with pytest.raises(LLMOutputError, match="raise max_tokens"):
        client(stub, max_tokens=8).complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="verdict.v1")


# -- structured-output fallbacks ------------------------------------------------------------------
def test_a_server_without_response_format_gets_the_schema_in_the_prompt(stub):
    def strict_server(req: dict[str, Any]) -> dict[str, Any]:
        if "response_format" in req["json"]:
            return error(400, "Unrecognized request argument supplied: response_format")
        return reply(GOOD)

    stub.default = strict_server
    llm = client(stub)
    out = llm.complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="verdict.v1")
    assert out.data["label"] == "supported" and llm.structured_output == "prompt"
    types = [r["json"].get("response_format", {}).get("type") for r in stub.requests]
    assert types == ["json_schema", "json_object", None]
    last = stub.requests[-1]["json"]["messages"]
    assert last[0] == ASK[0] and last[1]["content"].startswith(ASK[1]["content"])
    assert "JSON schema" in last[1]["content"] and '"passage_ids"' in last[1]["content"]
    assert llm.usage.to_dict()["verdict"]["calls"] == 1  # refusals are not answers

    # remembered: the next call goes straight to the prompt form
    llm.complete(ASK[1:], schema=SCHEMA, stage="verdict", prompt_version="verdict.v1")
    assert len(stub.requests) == 4 and "response_format" not in stub.requests[-1]["json"]


def test_llama_cpp_python_style_refusal_falls_back_to_json_object(stub):
    # llama-cpp-python's server answers 500 to type json_schema but honours json_object + schema
    def server(req: dict[str, Any]) -> dict[str, Any]:
        fmt = req["json"].get("response_format", {})
        if fmt.get("type") == "json_schema":
            return error(500, "1 validation error: ('body', 'response_format', 'type') Input should be "
                              "'text' or 'json_object'")
        return reply(GOOD)

    stub.default = server
    llm = client(stub)
    assert llm.complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="v1").data["label"] == "supported"
    assert stub.requests[-1]["json"]["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert llm.structured_output == "json_object" and llm.usage.total().retries == 0


# -- failures: timeouts, 429, 5xx, a server that is down ---------------------------------------------
def test_timeout_is_an_llm_timeout_and_not_retried(stub):
    stub.default = reply(GOOD, delay=2.0)
    llm = client(stub, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(LLMTimeout) as info:
        llm.complete(ASK, stage="verdict", prompt_version="v1")
    assert time.monotonic() - started < 1.5
    assert info.value.code == "llm_timeout" and "0.3 s" in str(info.value) and "raise the timeout" in str(info.value)
    assert len(stub.requests) == 1


def test_429_waits_for_retry_after_then_retries(stub):
    stub.script = [error(429, "slow down", headers={"Retry-After": "1"}), reply(GOOD)]
    llm = client(stub, backoff=0.0)
    started = time.monotonic()
    out = llm.complete(ASK, stage="plain", prompt_version="v1")
    waited = time.monotonic() - started
    assert out.text == GOOD and len(stub.requests) == 2 and 1.0 <= waited < 3.0
    assert llm.usage.to_dict()["plain"]["retries"] == 1


def test_retry_after_is_capped(stub):
    stub.script = [error(429, headers={"Retry-After": "3600"}), reply(GOOD)]
    started = time.monotonic()
    client(stub, max_retry_wait=0.2).complete(ASK, stage="plain", prompt_version="v1")
    assert time.monotonic() - started < 1.5


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("7") == 7.0 and retry_after_seconds(" 1.5 ") == 1.5
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


def test_500_then_success(stub):
    stub.script = [error(500), error(502), reply("fine")]
    llm = client(stub)
    assert llm.complete(ASK, stage="plain", prompt_version="v1").text == "fine"
    assert len(stub.requests) == 3 and llm.usage.to_dict()["plain"]["retries"] == 2


def test_5xx_every_time_gives_up_after_max_retries(stub):
    stub.default = error(503, "model is loading")
    llm = client(stub, max_retries=2)
    with pytest.raises(LLMError) as info:
        llm.complete(ASK, stage="plain", prompt_version="v1")
    assert len(stub.requests) == 3
    assert info.value.code == "llm_failed" and "503" in str(info.value) and "model is loading" in str(info.value)


def test_a_client_error_is_not_retried_and_says_what_to_check(stub):
    stub.default = error(404, "model 'nope' not found")
    with pytest.raises(LLMError) as info:
        client(stub).complete(ASK, stage="plain", prompt_version="v1")
    assert len(stub.requests) == 1
    assert "404" in str(info.value) and "model name" in str(info.value) and "llm ping" in str(info.value)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_down_is_a_clear_llm_error():
    llm = OpenAICompatibleClient(f"http://127.0.0.1:{free_port()}/v1", "m", max_retries=2, backoff=0.01)
    with pytest.raises(LLMError) as info:
        llm.complete(ASK, stage="plain", prompt_version="v1")
    message = str(info.value)
    assert info.value.code == "llm_failed" and "cannot reach the LLM server" in message
    assert "start the server" in message and "check the URL" in message
    usage = llm.usage.to_dict()["plain"]
    assert (usage["retries"], usage["failures"], usage["calls"]) == (2, 1, 0)


# -- the API key ------------------------------------------------------------------------------------
def test_api_key_is_a_bearer_header_and_goes_nowhere_else(stub, tmp_path, monkeypatch):
    secret = "sk-test-0123456789abcdef"
    monkeypatch.setenv("FD_TEST_LLM_KEY", secret)
    # a server that echoes the request headers in its error body
    stub.script = [lambda req: error(500, f"upstream failed for {req['headers'].get('Authorization')}")] * 2
    with Store.open(tmp_path / "fd.db") as store:
        llm = client(stub, api_key_env="FD_TEST_LLM_KEY", store=store, max_retries=1)
        with pytest.raises(LLMError) as info:
            llm.complete(ASK, stage="plain", prompt_version="v1")
        assert secret not in str(info.value) and "***" in str(info.value)
        llm.complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="v1")
        assert all(r["headers"]["Authorization"] == f"Bearer {secret}" for r in stub.requests)
        assert secret not in repr(vars(llm)) and secret not in json.dumps(llm.ping())
        rows = store.conn.execute("SELECT * FROM llm_cache").fetchall()
        assert len(rows) == 1 and secret not in repr([tuple(r) for r in rows])
    assert secret.encode() not in b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())


def test_a_named_but_unset_key_variable_is_reported(stub, monkeypatch):
    monkeypatch.delenv("FD_TEST_LLM_KEY", raising=False)
    llm = client(stub, api_key_env="FD_TEST_LLM_KEY")
    with pytest.raises(ConfigError, match="FD_TEST_LLM_KEY"):
        llm.warm_up()
    with pytest.raises(LLMError, match="FD_TEST_LLM_KEY .*is not set"):
        llm.complete(ASK, stage="plain", prompt_version="v1")
    assert stub.requests == []


# -- the cache ----------------------------------------------------------------------------------------
def test_cache_in_a_sqlite_store_file_makes_a_rerun_free(stub, tmp_path):
    db = tmp_path / "fd.db"
    with Store.open(db) as store:
        first = client(stub, store=store)
        a = first.complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="verdict.v1")
        assert not a.cached and len(stub.requests) == 1
    with Store.open(db) as store:  # a new process would see the same file
        again = client(stub, store=store)
        b = again.complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="verdict.v1")
        assert b.cached and b.data == a.data and b.text == a.text and len(stub.requests) == 1
        assert (b.prompt_tokens, b.completion_tokens) == (a.prompt_tokens, a.completion_tokens)
        usage = again.usage.to_dict()["verdict"]
        assert (usage["calls"], usage["cached"], usage["tokens"]) == (0, 1, 0)
        # anything that changes the answer is a new request
        again.complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="verdict.v2")
        again.complete(ASK, stage="verdict", prompt_version="verdict.v1")
        client(stub, store=store, max_tokens=99).complete(ASK, schema=SCHEMA, stage="verdict",
                                                          prompt_version="verdict.v1")
        assert len(stub.requests) == 4 and store.llm_cache.count() == 4
        assert store.llm_cache.count(model="stub-model", stage="verdict") == 4
    raw = sqlite3.connect(db)
    [(model, stage, version, data)] = raw.execute(
        "SELECT model, stage, prompt_version, data FROM llm_cache WHERE key = ?",
        (cache_key("stub-model", "verdict.v1", "verdict", ASK, SCHEMA, 512, 0.0),)).fetchall()
    raw.close()
    assert (model, stage, version, json.loads(data)) == ("stub-model", "verdict", "verdict.v1", a.data)


def test_failures_are_not_cached(stub, tmp_path):
    stub.script = [reply("nope"), reply("still nope")]
    with Store.open(tmp_path / "fd.db") as store:
        llm = client(stub, store=store)
        with pytest.raises(LLMOutputError):
            llm.complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="v1")
        assert store.llm_cache.count() == 0
        assert llm.complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="v1").data["label"] == "supported"


def test_cache_write_joins_an_open_transaction(stub, tmp_path):
    with Store.open(tmp_path / "fd.db") as store:
        llm = client(stub, store=store)
        with pytest.raises(RuntimeError), store.transaction():
            llm.complete(ASK, stage="plain", prompt_version="v1")
            raise RuntimeError("the check failed")
        assert store.llm_cache.count() == 0  # rolled back with the caller's work
        llm.complete(ASK, stage="plain", prompt_version="v1")
        assert store.llm_cache.count() == 1 and store.llm_cache.clear() == 1


def test_a_store_without_the_cache_table_falls_back_to_memory(stub):
    class NoCache:  # as a PostgreSQL store answers store.llm_cache today
        @property
        def llm_cache(self):
            raise StoreError("the LLM response cache are not available on a PostgreSQL store yet")

    llm = client(stub, store=NoCache())
    for _ in range(2):
        assert llm.complete(ASK, stage="plain", prompt_version="v1").text == GOOD
    assert len(stub.requests) == 1 and llm.store is None


def test_without_a_store_the_cache_is_in_memory(stub):
    llm = client(stub)
    for _ in range(3):
        llm.complete(ASK, stage="plain", prompt_version="v1")
    assert len(stub.requests) == 1 and llm.usage.to_dict()["plain"]["cached"] == 2


# -- concurrency and accounting -------------------------------------------------------------------
def test_concurrency_limit_is_respected_across_threads(stub):
    stub.default = lambda req: reply("ok", delay=0.15)
    llm = client(stub, concurrency=2)
    errors: list[BaseException] = []

    def ask(i: int) -> None:
        try:
            llm.complete([{"role": "user", "content": f"question {i}"}], stage="plain", prompt_version="v1")
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == [] and len(stub.requests) == 6
    assert stub.max_in_flight == 2
    assert llm.usage.to_dict()["plain"]["calls"] == 6


def test_threads_share_one_store_cache(stub, tmp_path):
    stub.default = lambda req: reply("ok", delay=0.05)
    with Store.open(tmp_path / "fd.db") as store:
        llm = client(stub, concurrency=3, store=store)
        threads = [threading.Thread(target=llm.complete, args=([{"role": "user", "content": f"q{i}"}],),
                                    kwargs={"stage": "plain", "prompt_version": "v1"}) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert store.llm_cache.count() == 8 and llm.usage.to_dict()["plain"]["calls"] == 8


def test_a_refused_key_says_to_check_it(stub):
    stub.default = error(401, "invalid api key")
    with pytest.raises(LLMError, match="check the API key"):
        client(stub).complete(ASK, stage="plain", prompt_version="v1")
    assert len(stub.requests) == 1


def test_usage_ledger_sums_per_stage_and_in_total(stub):
    stub.script = [reply("a", prompt_tokens=100, completion_tokens=10),
                   reply(GOOD, prompt_tokens=200, completion_tokens=20),
                   reply(GOOD, prompt_tokens=300, completion_tokens=30)]
    llm = client(stub)
    llm.complete(ASK, stage="questions", prompt_version="q.v1")
    llm.complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="v.v1")
    llm.complete(ASK[1:], schema=SCHEMA, stage="verdict", prompt_version="v.v1")
    llm.complete(ASK[1:], schema=SCHEMA, stage="verdict", prompt_version="v.v1")  # cached
    usage = llm.usage.to_dict()
    assert list(usage) == ["questions", "verdict"]
    assert {k: usage["verdict"][k] for k in ("calls", "cached", "prompt_tokens", "completion_tokens", "tokens")} \
        == {"calls": 2, "cached": 1, "prompt_tokens": 500, "completion_tokens": 50, "tokens": 550}
    total = llm.usage.total()
    assert (total.calls, total.cached, total.tokens) == (3, 1, 660) and total.seconds > 0
    llm.usage.reset()
    assert llm.usage.to_dict() == {} and UsageLedger().total().tokens == 0


# -- ping, registry, configuration -------------------------------------------------------------------
def test_ping_lists_models_and_detects_json_schema(stub):
    stub.default = lambda req: reply('{"ok": true}')
    out = client(stub).ping()
    assert out["ok"] and out["models"] == ["stub-model"] and out["model_listed"]
    assert out["json_schema"] is True and out["structured_output"] == "json_schema" and "error" not in out
    assert out["base_url"] == stub.url and out["seconds"] >= 0


def test_ping_finds_a_server_that_ignores_response_format(stub):
    stub.default = lambda req: reply("Sure! Here you go: ok")  # accepted, never honoured
    llm = client(stub)
    out = llm.ping()
    assert out["ok"] and out["json_schema"] is False and out["structured_output"] == "prompt"
    assert llm.structured_output == "prompt"


def test_a_named_structured_output_form_is_used_and_kept(stub):
    stub.default = lambda req: reply('{"ok": true}')
    llm = client(stub, structured_output="prompt")
    assert llm.ping()["structured_output"] == "json_schema" and llm.structured_output == "prompt"
    llm.complete(ASK, schema={"type": "object"}, stage="verdict", prompt_version="v1")
    assert "response_format" not in stub.requests[-1]["json"]
    with pytest.raises(ConfigError, match="structured_output"):
        client(stub, structured_output="grammar")


def test_ping_of_a_server_that_is_down_reports_the_error():
    out = OpenAICompatibleClient(f"http://127.0.0.1:{free_port()}", "m").ping()
    assert out["ok"] is False and "cannot reach" in out["error"] and out["base_url"].endswith("/v1")


def test_registry_builds_the_client_with_the_shared_store(stub, tmp_path):
    assert "openai" in registry.names("llm")
    with Store.open(tmp_path / "fd.db") as store:
        llm = registry.create("llm", "openai", base_url=stub.url, model="stub-model", timeout=5,
                              parts={"store": lambda: store})
        assert llm.store is store and llm.timeout == 5.0 and isinstance(llm, LLMClient)
    with pytest.raises(ConfigError, match="base_url and a model"):
        registry.create("llm", "openai", model="m")


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "ftp://host/v1", ""])
def test_a_bad_url_is_a_config_error(url):
    with pytest.raises(ConfigError, match="not an http"):
        OpenAICompatibleClient(url, "m")


# -- the schema subset and the fake --------------------------------------------------------------------
def test_schema_subset_validation():
    assert schema_errors({"label": "supported", "passage_ids": ["p1"]}, SCHEMA) == []
    problems = schema_errors({"label": 3, "passage_ids": ["p1", 2], "extra": 1}, SCHEMA)
    assert problems == ["$.label: expected string, got integer", "$.passage_ids[1]: expected string, got integer",
                        "$: unexpected property 'extra'"]
    assert schema_errors({}, SCHEMA) == ["$: missing required property 'label'",
                                         "$: missing required property 'passage_ids'"]
    numbers = {"type": "number", "minimum": 0, "maximum": 1}
    assert schema_errors(True, numbers) and schema_errors(1.5, numbers) and not schema_errors(0.5, numbers)
    assert not schema_errors(2.0, {"type": "integer"}) and schema_errors(2.5, {"type": "integer"})
    assert not schema_errors(None, {"type": ["string", "null"]})
    with pytest.raises(JSONAnswerError, match="not valid JSON"):
        parse_json('Sure: {"label": "supported"}', SCHEMA)


def test_fake_llm_follows_the_client_interface():
    llm = FakeLLM({"verdict": [{"label": "supported", "passage_ids": []}, "not json"],
                   "down": LLMTimeout("no answer")}, default="plain answer", cache=True)
    assert isinstance(llm, LLMClient) and llm.ping()["ok"]
    first = llm.complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="v1")
    assert first.data["label"] == "supported" and not first.cached
    assert llm.complete(ASK, schema=SCHEMA, stage="verdict", prompt_version="v1").cached
    with pytest.raises(LLMOutputError):
        llm.complete(ASK[1:], schema=SCHEMA, stage="verdict", prompt_version="v1")
    with pytest.raises(LLMTimeout):
        llm.complete([{"role": "user", "content": "is the server down?"}], stage="plain", prompt_version="v1")
    assert llm.complete([{"role": "user", "content": "hi"}], stage="plain", prompt_version="v1").text == "plain answer"
    usage = llm.usage.to_dict()
    assert (usage["verdict"]["calls"], usage["verdict"]["cached"], usage["verdict"]["failures"]) == (1, 1, 1)
    assert len(llm.calls) == 4 and llm.prompts[-1] == "hi"
