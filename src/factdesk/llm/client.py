"""A client for any OpenAI-compatible chat endpoint (Ollama, a llama.cpp server, vLLM), standard library only.

What it adds over a bare HTTP call, each because a local model server needs it:

* **retries** with exponential backoff on 429, 5xx and dropped connections, honouring
  ``Retry-After`` (seconds or an HTTP date, capped); a timeout is not retried (it would
  only multiply the wait) and ends in :class:`~factdesk.errors.LLMTimeout`;
* **a concurrency limit** shared by every thread calling :meth:`OpenAICompatibleClient.complete`;
* **structured output**: with a ``schema`` the request asks for ``response_format`` type
  ``json_schema`` (OpenAI, vLLM, Ollama, llama.cpp's own server); a server that rejects it is
  asked next for ``json_object`` with the schema (llama-cpp-python's server), and one that
  rejects that too gets the schema in the prompt.  The first accepted form is remembered.
  The answer is parsed strictly and validated; a bad one gets one repair attempt, then
  :class:`~factdesk.errors.LLMOutputError`;
* **a response cache** (the store's ``llm_cache`` table, else a dict) keyed by
  :func:`cache_key`, so a re-run of the same check makes no server call;
* **accounting** per stage in :attr:`OpenAICompatibleClient.usage`.

The API key is read at call time from the environment variable *named* by ``api_key_env`` and
sent as a Bearer header; it is never kept on the object, cached, logged or put in a message.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import json
import logging
import os
import random
import re
import threading
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from factdesk.errors import ConfigError, LLMError, LLMOutputError, LLMTimeout, StoreError
from factdesk.llm.structured import JSONAnswerError, json_instruction, parse_json, repair_request
from factdesk.llm.usage import UsageLedger
from factdesk.protocols import LLMReply

if TYPE_CHECKING:
    from factdesk.store.sqlite import Store

log = logging.getLogger(__name__)

# The forms of structured output tried in order; "prompt" always works (the schema goes in the prompt).
STRUCTURED_MODES = ("json_schema", "json_object", "prompt")
_MAX_BODY = 32 * 1024 * 1024  # a chat completion is small; refuse to buffer a runaway answer
_SNIPPET = 300  # characters of a server's error body quoted in a message
# How servers word a refusal of response_format: 400/422 from most, 500 from llama-cpp-python.
_FORMAT_REFUSAL = re.compile(r"response_format|json_schema|json_object|grammar|structured", re.I)
_PROBE_SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}


def cache_key(model: str, prompt_version: str, stage: str, messages: list[dict[str, str]],
              schema: dict[str, Any] | None, max_tokens: int, temperature: float) -> str:
    """SHA-256 (hex) of everything that decides an answer, as canonical JSON (sorted keys, no spaces).

    The base URL and the API key are left out on purpose: the same model behind another URL gives
    the same answer, and a secret must never shape a stored key.
    """
    request = {"model": model, "prompt_version": prompt_version, "stage": stage, "messages": messages,
               "schema": schema, "max_tokens": max_tokens, "temperature": temperature}
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header as seconds from now (delay-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class _Unreachable(LLMError):
    """A connection that failed or dropped (retried; what finally surfaces is this, an LLMError)."""


class _FormatRefused(Exception):
    """The server refused the response_format we sent (try the next structured-output form)."""


class _Answer:
    __slots__ = ("text", "prompt_tokens", "completion_tokens", "seconds", "finish_reason")

    def __init__(self, text: str, prompt_tokens: int, completion_tokens: int, seconds: float,
                 finish_reason: str | None) -> None:
        self.text, self.prompt_tokens, self.completion_tokens = text, prompt_tokens, completion_tokens
        self.seconds, self.finish_reason = seconds, finish_reason


class OpenAICompatibleClient:
    """Chat completions from an OpenAI-compatible server, with retries, a cache and per-stage accounting.

    ``base_url`` is the API root: ``http://127.0.0.1:11434/v1`` (Ollama), ``http://127.0.0.1:8080/v1``
    (llama.cpp); a bare ``http://host:port`` gets ``/v1`` added.  ``structured_output`` names the
    form to start from (``json_schema``, ``json_object`` or ``prompt``) instead of ``auto``; a
    refused form still steps down to the next, and :meth:`ping` leaves a named form alone.

    Example::

        client = OpenAICompatibleClient("http://127.0.0.1:11434/v1", "qwen3:14b", store=store)
        reply = client.complete([{"role": "user", "content": "Is water wet? Answer yes or no."}],
                                schema={"type": "object", "required": ["answer"],
                                        "properties": {"answer": {"enum": ["yes", "no"]}}},
                                stage="demo", prompt_version="demo.v1")
        reply.data, reply.cached           # ({'answer': 'yes'}, False)
        client.usage.to_dict()["demo"]     # {'calls': 1, 'cached': 0, 'prompt_tokens': 24, ...}
    """

    name = "openai"

    def __init__(self, base_url: str, model: str, *, api_key_env: str | None = None, timeout: float = 120.0,
                 max_retries: int = 3, concurrency: int = 2, max_tokens: int = 512, temperature: float = 0.0,
                 store: Store | None = None, backoff: float = 0.5, max_retry_wait: float = 30.0,
                 structured_output: str = "auto") -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"the LLM URL {base_url!r} is not an http(s) URL",
                              hint="give the server's API root, e.g. http://127.0.0.1:8080/v1")
        if not model:
            raise ConfigError("no LLM model named", hint="give the model the server serves (factdesk llm ping lists them)")
        if structured_output != "auto" and structured_output not in STRUCTURED_MODES:
            raise ConfigError(f"unknown structured_output {structured_output!r}",
                              hint=f"choose auto or one of: {', '.join(STRUCTURED_MODES)}")
        if concurrency < 1 or max_retries < 0 or timeout <= 0:
            raise ConfigError("LLM concurrency must be >= 1, max_retries >= 0 and timeout > 0")
        path = parts.path.rstrip("/")
        self._path = path if path else "/v1"  # a bare host:port means the usual /v1 root
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname, parts.port
        self.base_url = f"{parts.scheme}://{parts.netloc}{self._path}"
        self.model = model
        self.api_key_env = api_key_env
        self.timeout, self.max_retries = float(timeout), int(max_retries)
        self.concurrency, self.max_tokens, self.temperature = int(concurrency), int(max_tokens), float(temperature)
        self.backoff, self.max_retry_wait = float(backoff), float(max_retry_wait)
        self.store = store
        self.usage = UsageLedger()
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._mode = "json_schema" if structured_output == "auto" else structured_output
        self._mode_chosen = structured_output != "auto"
        self._mode_lock = threading.Lock()
        self._memory: dict[str, dict[str, Any]] = {}  # the cache without a store
        self._memory_lock = threading.Lock()

    # -- public -----------------------------------------------------------------------------------
    @property
    def structured_output(self) -> str:
        """The structured-output form in use now (``json_schema``, ``json_object`` or ``prompt``)."""
        return self._mode

    def warm_up(self) -> None:
        """Nothing to load; checks that the API key's environment variable is set, when one is named."""
        if self.api_key_env and not os.environ.get(self.api_key_env):
            raise ConfigError(f"the environment variable {self.api_key_env} (the LLM API key) is not set",
                              hint="export it, or leave api_key_env out for a server without a key")

    def complete(self, messages: list[dict[str, str]], *, schema: dict[str, Any] | None = None, stage: str,
                 prompt_version: str) -> LLMReply:
        """One chat completion (from the cache when this exact request was answered before)."""
        _check_messages(messages)
        started = time.monotonic()
        key = cache_key(self.model, prompt_version, stage, messages, schema, self.max_tokens, self.temperature)
        hit = self._cache_get(key)
        if hit is not None:
            self.usage.record(stage, cached=1)
            return LLMReply(text=hit["text"], data=hit["data"], prompt_tokens=hit["prompt_tokens"],
                            completion_tokens=hit["completion_tokens"], seconds=time.monotonic() - started,
                            cached=True)
        try:
            reply = self._fresh(messages, schema, stage)
        except LLMError:
            self.usage.record(stage, failures=1)
            raise
        self._cache_put(key, reply, stage=stage, prompt_version=prompt_version)
        return reply

    def ping(self) -> dict[str, Any]:
        """Whether the server answers, which models it serves and whether it can constrain output to a schema.

        ``json_schema`` is True when the server constrains answers to a JSON schema in either form
        (``structured_output`` says which: ``json_schema`` or ``json_object``; ``prompt`` when
        neither); the form found is remembered for later calls.  Never raises.
        """
        started = time.monotonic()
        out: dict[str, Any] = {"ok": False, "base_url": self.base_url, "model": self.model, "models": [],
                               "json_schema": False, "structured_output": None}
        try:
            status, _, raw = self._exchange("GET", "/models", None)
            if status != 200:
                raise self._refusal(status, raw)
            try:
                listed = json.loads(raw).get("data") or []
                out["models"] = [str(m.get("id")) for m in listed if isinstance(m, dict) and m.get("id")]
            except (ValueError, AttributeError):
                raise LLMError(f"{self.base_url}/models did not answer with a model list",
                               hint="check the URL: it should be the server's OpenAI-compatible API root (…/v1)") from None
            out["model_listed"] = self.model in out["models"]
            mode = self._probe_structured_output()
            if not self._mode_chosen:
                with self._mode_lock:
                    self._mode = mode
            out.update(ok=True, json_schema=mode != "prompt", structured_output=mode)
        except LLMError as exc:
            out["error"] = str(exc)
        out["seconds"] = round(time.monotonic() - started, 3)
        return out

    # -- the request, its structured form and its repair ------------------------------------------
    def _fresh(self, messages: list[dict[str, str]], schema: dict[str, Any] | None, stage: str) -> LLMReply:
        first = self._chat(messages, schema, stage)
        if schema is None:
            return LLMReply(first.text, None, first.prompt_tokens, first.completion_tokens, first.seconds, False)
        try:
            data = parse_json(first.text, schema)
            return LLMReply(first.text, data, first.prompt_tokens, first.completion_tokens, first.seconds, False)
        except JSONAnswerError as exc:
            problem = str(exc)
        # One repair: show the model its answer and what is wrong with it.
        self.usage.record(stage, repairs=1)
        follow_up = [*messages, {"role": "assistant", "content": first.text},
                     {"role": "user", "content": repair_request(problem, schema)}]
        second = self._chat(follow_up, schema, stage)
        try:
            data = parse_json(second.text, schema)
        except JSONAnswerError as exc:
            cut = "length" in (first.finish_reason, second.finish_reason)
            raise LLMOutputError(
                f"model {self.model!r} gave no usable JSON for stage {stage!r}, even after one repair attempt: {exc}",
                hint=(f"the answer was cut off at max_tokens={self.max_tokens}: raise max_tokens" if cut else
                      "pick a larger or instruction-tuned model, or a server that supports JSON-schema output "
                      "(factdesk llm ping shows whether yours does)")) from None
        return LLMReply(second.text, data, first.prompt_tokens + second.prompt_tokens,
                        first.completion_tokens + second.completion_tokens, first.seconds + second.seconds, False)

    def _chat(self, messages: list[dict[str, str]], schema: dict[str, Any] | None, stage: str) -> _Answer:
        while True:
            mode = self._mode
            body: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": self.max_tokens,
                                    "temperature": self.temperature, "stream": False}
            if schema is not None:
                if mode == "json_schema":
                    body["response_format"] = {"type": "json_schema", "json_schema": {
                        "name": _schema_name(stage), "schema": schema, "strict": True}}
                elif mode == "json_object":
                    body["response_format"] = {"type": "json_object", "schema": schema}
                else:
                    body["messages"] = _with_instruction(messages, schema)
            try:
                answer = self._post_with_retries(body, stage)
            except _FormatRefused:
                self._step_down(mode)
                continue
            self.usage.record(stage, calls=1, prompt_tokens=answer.prompt_tokens,
                              completion_tokens=answer.completion_tokens, seconds=answer.seconds)
            return answer

    def _step_down(self, refused: str) -> None:
        """Remember that the server refused ``refused``: every later call uses the next form."""
        with self._mode_lock:
            if self._mode == refused:
                self._mode = STRUCTURED_MODES[STRUCTURED_MODES.index(refused) + 1]
                log.info("LLM server %s refused response_format %s; using %s", self.base_url, refused, self._mode)

    def _post_with_retries(self, body: dict[str, Any], stage: str) -> _Answer:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        attempt = 0
        while True:
            try:
                started = time.monotonic()
                status, headers, raw = self._exchange("POST", "/chat/completions", payload)
                seconds = time.monotonic() - started
            except _Unreachable:
                if attempt >= self.max_retries:
                    raise
                wait = self._backoff(attempt)
            else:
                if status == 200:
                    return self._answer(raw, seconds)
                if "response_format" in body and status in (400, 422, 500, 501) and \
                        _FORMAT_REFUSAL.search(raw[:4000].decode("utf-8", "replace")):
                    raise _FormatRefused()
                if status != 429 and status < 500:
                    raise self._refusal(status, raw)
                if attempt >= self.max_retries:
                    raise LLMError(
                        f"the LLM server at {self.base_url} answered {status} {attempt + 1} times "
                        f"(model {self.model!r}): {self._snippet(raw)}",
                        hint="the server is overloaded or failing: try again later, lower the concurrency, "
                             "or check its log")
                told = retry_after_seconds(headers.get("retry-after"))
                wait = min(told, self.max_retry_wait) if told is not None else self._backoff(attempt)
            self.usage.record(stage, retries=1)
            time.sleep(wait)
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        # jitter keeps threads that failed together from retrying together
        return min(self.backoff * (2 ** attempt) * (1 + 0.25 * random.random()), self.max_retry_wait)

    def _probe_structured_output(self) -> str:
        """The first form of structured output this server honours, by asking it for a tiny JSON object."""
        for mode in STRUCTURED_MODES[:-1]:
            response_format: dict[str, Any] = (
                {"type": "json_schema", "json_schema": {"name": "ping", "schema": _PROBE_SCHEMA, "strict": True}}
                if mode == "json_schema" else {"type": "json_object", "schema": _PROBE_SCHEMA})
            body = {"model": self.model, "max_tokens": 16, "temperature": 0.0, "stream": False,
                    "messages": [{"role": "user", "content": 'Reply with the JSON object {"ok": true}.'}],
                    "response_format": response_format}
            status, _, raw = self._exchange("POST", "/chat/completions", json.dumps(body).encode("utf-8"))
            if status == 200:
                try:
                    parse_json(self._answer(raw, 0.0).text, _PROBE_SCHEMA)
                    return mode
                except (JSONAnswerError, LLMError):
                    continue  # accepted but not honoured: the server ignored response_format
            elif status in (400, 422, 500, 501) and _FORMAT_REFUSAL.search(raw[:4000].decode("utf-8", "replace")):
                continue
            else:
                raise self._refusal(status, raw)
        return "prompt"

    # -- HTTP ----------------------------------------------------------------------------------------
    def _exchange(self, method: str, path: str, payload: bytes | None) -> tuple[int, dict[str, str], bytes]:
        """One HTTP exchange under the concurrency limit; transport failures become LLM errors."""
        headers = {"Accept": "application/json", "User-Agent": "factdesk"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        secret = self._api_key()
        if secret:
            headers["Authorization"] = f"Bearer {secret}"
        conn_type = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        with self._slots:
            conn = conn_type(self._host, self._port, timeout=self.timeout)
            try:
                conn.request(method, self._path + path, body=payload, headers=headers)
                response = conn.getresponse()
                raw = response.read(_MAX_BODY)
                return response.status, {k.lower(): v for k, v in response.getheaders()}, raw
            except TimeoutError:
                raise LLMTimeout(
                    f"the LLM server at {self.base_url} did not answer within {self.timeout:g} s (model {self.model!r})",
                    hint="raise the timeout, lower max_tokens, or pick a smaller model") from None
            except (OSError, http.client.HTTPException) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else (str(exc) or type(exc).__name__)
                raise _Unreachable(
                    f"cannot reach the LLM server at {self.base_url}: {reason}",
                    hint="start the server (ollama serve, python -m llama_cpp.server --model …, vllm serve …) "
                         "or check the URL and port") from None
            finally:
                conn.close()

    def _api_key(self) -> str | None:
        if not self.api_key_env:
            return None
        value = os.environ.get(self.api_key_env)
        if not value:
            raise LLMError(f"the environment variable {self.api_key_env} (the LLM API key) is not set",
                           hint="export it, or leave api_key_env out for a server without a key")
        return value

    def _answer(self, raw: bytes, seconds: float) -> _Answer:
        try:
            body = json.loads(raw)
            choice = body["choices"][0]
            text = choice["message"].get("content") or ""
            usage = body.get("usage") or {}
            return _Answer(str(text), int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0),
                           seconds, choice.get("finish_reason"))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise LLMError(f"the server at {self.base_url} did not answer with an OpenAI chat completion: "
                           f"{self._snippet(raw)}",
                           hint="check the URL: it should be an OpenAI-compatible API root (…/v1)") from None

    def _refusal(self, status: int, raw: bytes) -> LLMError:
        said = self._snippet(raw)
        if status in (401, 403):
            hint = "check the API key: the environment variable named by api_key_env"
        elif status == 404:
            hint = ("check the URL (most servers want …/v1) and the model name: factdesk llm ping lists "
                    "the models the server has")
        else:
            hint = "check the model name, and max_tokens against the model's context length"
        return LLMError(f"the LLM server at {self.base_url} refused the request ({status}, model {self.model!r}): "
                        f"{said}", hint=hint)

    def _snippet(self, raw: bytes) -> str:
        text = " ".join(raw[:4000].decode("utf-8", "replace").split())
        secret = os.environ.get(self.api_key_env) if self.api_key_env else None
        if secret:
            text = text.replace(secret, "***")  # a server that echoes headers must not leak the key
        return text[:_SNIPPET] + ("…" if len(text) > _SNIPPET else "") if text else "(empty answer)"

    # -- the cache -------------------------------------------------------------------------------------
    def _cache_get(self, key: str) -> dict[str, Any] | None:
        if self.store is not None:
            try:
                return self.store.llm_cache.get(key)
            except StoreError as exc:
                self._cache_unavailable(exc)
        with self._memory_lock:
            return self._memory.get(key)

    def _cache_put(self, key: str, reply: LLMReply, *, stage: str, prompt_version: str) -> None:
        entry = {"text": reply.text, "data": reply.data, "prompt_tokens": reply.prompt_tokens,
                 "completion_tokens": reply.completion_tokens, "seconds": reply.seconds}
        if self.store is not None:
            try:
                self.store.llm_cache.put(key, model=self.model, stage=stage, prompt_version=prompt_version, **entry)
                return
            except StoreError as exc:
                self._cache_unavailable(exc)
        with self._memory_lock:
            self._memory[key] = entry

    def _cache_unavailable(self, exc: StoreError) -> None:
        # a store without the cache table (PostgreSQL, for now) costs the re-run, never the check
        log.warning("LLM answers are cached in memory only: %s", exc)
        self.store = None


def _check_messages(messages: list[dict[str, str]]) -> None:
    if not messages or not all(isinstance(m, dict) and isinstance(m.get("role"), str)
                               and isinstance(m.get("content"), str) for m in messages):
        raise ValueError("messages must be a non-empty list of {'role': str, 'content': str} dicts")


def _schema_name(stage: str) -> str:
    # OpenAI allows [a-zA-Z0-9_-], at most 64 characters
    return re.sub(r"[^A-Za-z0-9_-]", "_", stage)[:64] or "answer"


def _with_instruction(messages: list[dict[str, str]], schema: dict[str, Any]) -> list[dict[str, str]]:
    """The messages with the schema instruction added to the last user turn (a new one if none ends them)."""
    out = [dict(m) for m in messages]
    if out[-1]["role"] == "user":
        out[-1]["content"] = out[-1]["content"].rstrip() + "\n\n" + json_instruction(schema)
    else:
        out.append({"role": "user", "content": json_instruction(schema)})
    return out


def make_openai(*, base_url: str | None = None, model: str | None = None, store: Store | None = None,
                **options: Any) -> OpenAICompatibleClient:
    """The registered ``llm.openai`` factory: ``registry.create("llm", "openai", base_url=…, model=…)``."""
    if not base_url or not model:
        raise ConfigError("the LLM needs a base_url and a model",
                          hint="e.g. --llm http://127.0.0.1:8080/v1 --llm-model smollm2, or [llm] in factdesk.toml")
    return OpenAICompatibleClient(base_url, model, store=store, **options)


__all__ = ["LLMReply", "OpenAICompatibleClient", "STRUCTURED_MODES", "cache_key", "make_openai",
           "retry_after_seconds"]
