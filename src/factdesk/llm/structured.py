"""Structured output: strict JSON parsing of a model's answer and a small JSON-schema validator.

Only the subset of JSON Schema that factdesk's prompts use is checked — ``type`` (one or a list),
``properties``, ``required``, ``additionalProperties: false``, ``enum``, ``const``, ``items``,
``minItems``/``maxItems``, ``minLength``/``maxLength``, ``minimum``/``maximum`` — so the
``[llm]`` extra needs no validator package.  Unknown keywords are ignored, as JSON Schema says.

Example::

    schema = {"type": "object", "required": ["label"],
              "properties": {"label": {"type": "string", "enum": ["supported", "refuted"]}}}
    parse_json('```json\\n{"label": "supported"}\\n```', schema)  # {'label': 'supported'}
    schema_errors({"label": "maybe"}, schema)  # ["$.label: 'maybe' is not one of ['supported', 'refuted']"]
"""

from __future__ import annotations

import json
import re
from typing import Any

# A whole answer wrapped in one Markdown code fence (models add them even when told not to).
_FENCED = re.compile(r"\A```[a-zA-Z]*\s*\n?(.*?)\n?```\Z", re.S)

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float), "null": (type(None),),
}


class JSONAnswerError(ValueError):
    """An answer that is not JSON, or not JSON the schema allows; the message says where."""


def parse_json(text: str, schema: dict[str, Any] | None = None) -> Any:
    """The JSON value of a whole answer (optionally in one code fence), checked against ``schema``.

    Strict on purpose: JSON embedded in prose is refused, so a repair request can say why.
    """
    body = text.strip()
    fenced = _FENCED.match(body)
    if fenced:
        body = fenced.group(1).strip()
    if not body:
        raise JSONAnswerError("the answer is empty")
    try:
        value = json.loads(body)
    except json.JSONDecodeError as exc:
        raise JSONAnswerError(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if schema is not None:
        problems = schema_errors(value, schema)
        if problems:
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            raise JSONAnswerError("does not match the schema: " + "; ".join(problems[:3]) + more)
    return value


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False  # JSON true is not a number, though Python's bool is an int
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(name, (object,)))


def schema_errors(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema`` (the subset above), as ``path: problem`` strings."""
    out: list[str] = []
    expected = schema.get("type")
    if expected is not None:
        names = [expected] if isinstance(expected, str) else list(expected)
        if not any(_is_type(value, n) for n in names):
            return [f"{path}: expected {' or '.join(names)}, got {_json_type(value)}"]
    if "const" in schema and value != schema["const"]:
        out.append(f"{path}: must be {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} is not one of {schema['enum']!r}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                out.append(f"{path}: missing required property {name!r}")
        for name, item in value.items():
            if name in props:
                out.extend(schema_errors(item, props[name], f"{path}.{name}"))
            elif schema.get("additionalProperties") is False:
                out.append(f"{path}: unexpected property {name!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                out.extend(schema_errors(item, schema["additionalProperties"], f"{path}.{name}"))
    elif isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append(f"{path}: more than {schema['maxItems']} items")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                out.extend(schema_errors(item, schema["items"], f"{path}[{i}]"))
    elif isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            out.append(f"{path}: shorter than {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            out.append(f"{path}: longer than {schema['maxLength']} characters")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{path}: below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{path}: above the maximum {schema['maximum']}")
    return out


def _json_type(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return name
    return type(value).__name__


def json_instruction(schema: dict[str, Any]) -> str:
    """What to add to a prompt when the server cannot constrain the output to ``schema`` itself."""
    return ("Reply with only one JSON value that matches this JSON schema: no prose before or after it, "
            "no code fence.\nSchema: " + json.dumps(schema, separators=(",", ":"), sort_keys=True))


def repair_request(error: str, schema: dict[str, Any]) -> str:
    """The follow-up message of the one repair attempt, after an answer that failed to parse."""
    return (f"Your previous answer is not usable: {error}. Send it again as valid JSON only, matching this "
            "JSON schema, with nothing before or after it.\nSchema: "
            + json.dumps(schema, separators=(",", ":"), sort_keys=True))


__all__ = ["JSONAnswerError", "parse_json", "schema_errors", "json_instruction", "repair_request"]
