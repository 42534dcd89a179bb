"""Bring your own model: a client for OpenAI-compatible chat servers, and the stages that use it.

The client (:class:`OpenAICompatibleClient`) talks to Ollama, a llama.cpp server or vLLM over
HTTP with the standard library only; ``pip install 'factdesk[llm]'`` adds nothing it needs, only
what the real-server tests run.  Every failure is a :class:`~factdesk.errors.LLMError`, so a
stage can fall back to the built-in verifier claim by claim.

Example::

    from factdesk.llm import OpenAICompatibleClient

    client = OpenAICompatibleClient("http://127.0.0.1:8080/v1", "smollm2", store=store)
    client.ping()["json_schema"]   # True when the server constrains output to a schema
"""

from factdesk.llm.client import LLMReply, OpenAICompatibleClient, cache_key, make_openai
from factdesk.llm.usage import StageUsage, UsageLedger

__all__ = ["LLMReply", "OpenAICompatibleClient", "StageUsage", "UsageLedger", "cache_key", "make_openai"]
