"""The studio operations (studio/operations/) as tools an LLM can call, built from their schemas.

    TOOLS            name → Tool: an LLM-facing description and the pydantic model that validates
    openai_tools()   OpenAI function-calling definitions (JSON Schema, refs inlined)
    gemini_tools()   a Gemini API Tool object (the OpenAPI 3.0 subset Google's Schema accepts)
    call_tool()      validate an LLM's arguments and submit the job, answering (status, dict)

The parameters are never written by hand: each tool's schema is its pydantic model's
`model_json_schema()`, with fields an LLM cannot fill (the painted edit mask) taken out, then
translated for each vendor. Descriptions state the tier rules in words but no prices: prices are
data staff edit (billing.Price, billing.Plan), so the figures come in each call's answer, and the
definitions stay static (no database read, and vendors' prompt caches keep hitting).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from billing.pricing import format_count
from studio import answers, jobs, operations
from studio.errors import StudioError, validation_error
from studio.messages import validation_details

_ANSWER = (
    " Returns at once with ok=true, a job_id, the cost quote in ZAR (South African rand, with USD) "
    "and a status_url to follow, or with ok=false and a message: tell the user that message "
    "(it explains limits, prices and upgrade options) rather than retrying the same call."
)

# What one unit of each allowance meter is called in a sentence ("20 edits a month").
_METER_NOUNS = {
    "images": gettext_lazy("images"),
    "edits": pgettext_lazy("allowance of", "edits"),
    "upscales": pgettext_lazy("allowance of", "upscales"),
    "video_seconds": gettext_lazy("seconds of video"),
    "video_audio_seconds": gettext_lazy("seconds of video with audio"),
}
_PER_PERIOD = {"month": gettext_lazy("a month"), "day": gettext_lazy("a day")}


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    model: type[BaseModel]
    # Fields the model accepts but an LLM may not send: absent from the schema, refused in a call.
    hidden: frozenset[str] = frozenset()

    def parameters(self) -> dict:
        """The tool's JSON Schema (with $defs, as pydantic writes it) minus the hidden fields."""
        return copy.deepcopy(_parameters(self))

    def validate(self, arguments: dict) -> BaseModel:
        """The model's validation, with a hidden field refused exactly like an unknown one."""
        hidden = sorted(self.hidden & arguments.keys())
        if not hidden:
            return self.model.model_validate(arguments)
        line_errors: list = [
            {"type": "extra_forbidden", "loc": (field,), "input": arguments[field]} for field in hidden
        ]
        try:
            self.model.model_validate({key: value for key, value in arguments.items() if key not in hidden})
        except ValidationError as e:
            for item in e.errors(include_url=False):
                # As a custom error: pydantic rebuilds only its own types by name, not ours
                # (studio/schemas.py's `edit_needs_mask`, ...). The type, the message and the
                # context (which studio/messages.py words pydantic's types from) carry over.
                error = PydanticCustomError(item["type"], item["msg"], item.get("ctx"))
                line_errors.append({"type": error, "loc": item["loc"], "input": item["input"]})
        raise ValidationError.from_exception_data(self.model.__name__, line_errors)


TOOLS: dict[str, Tool] = {
    operation.name: Tool(
        name=operation.name,
        description=operation.tool_description + _ANSWER,
        model=operation.schema,
        hidden=operation.tool_hidden_fields,
    )
    for operation in operations.all()
}


# Keywords the OpenAPI document carries that the vendors' schema subsets lack: the rules between
# fields (studio/schemas.py puts them under allOf: if/then, anyOf of required) and the prompts'
# regex. The tool and field descriptions state the same rules in words.
_OPENAPI_ONLY = ("allOf", "pattern")


def _without_openapi_only(node: dict) -> dict:
    return {key: value for key, value in node.items() if key not in _OPENAPI_ONLY}


@cache
def _parameters(tool: Tool) -> dict:
    schema = _map_schema(tool.model.model_json_schema(), _without_openapi_only)
    for field in tool.hidden:
        schema["properties"].pop(field, None)
        if field in schema.get("required", ()):
            schema["required"].remove(field)
    # The tool's own description says what the call does; the model's title and docstring are noise.
    schema.pop("title", None)
    schema.pop("description", None)
    return schema


# --- Definitions ---------------------------------------------------------------------------


def openai_tools() -> list[dict]:
    """OpenAI (and compatible) function definitions. `$ref`s are inlined, titles dropped;
    enums, bounds, defaults, descriptions, `required` and `additionalProperties: false` stay."""
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": _map_schema(inline_refs(tool.parameters()), _openai_node),
                # Strict mode would need every field required and no defaults or bounds.
                "strict": False,
            },
        }
        for tool in TOOLS.values()
    ]


def gemini_tools() -> dict:
    """A Gemini API Tool object: `{"functionDeclarations": [...]}`, parameters in the OpenAPI 3.0
    subset of Google's Schema type (checked against google.genai.types in the tests)."""
    return {
        "functionDeclarations": [
            {
                "name": tool.name,
                "description": tool.description,
                "parameters": _map_schema(inline_refs(tool.parameters()), _gemini_node),
            }
            for tool in TOOLS.values()
        ]
    }


def inline_refs(schema: dict) -> dict:
    """The schema with every `$ref` replaced by a copy of its `$defs` entry (keywords beside
    the `$ref` win), and no `$defs`. Recursive models cannot be inlined and raise ValueError."""
    defs = schema.get("$defs", {})

    def resolve(node: dict, seen: frozenset[str]) -> dict:
        node = dict(node)
        node.pop("$defs", None)
        if "$ref" in node:
            name = node.pop("$ref").rsplit("/", 1)[-1]
            if name in seen:
                raise ValueError(f"{name} refers to itself; a recursive schema cannot be inlined")
            return resolve({**defs[name], **node}, seen | {name})
        return _map_children(node, lambda child: resolve(child, seen))

    return resolve(schema, frozenset())


def _map_schema(node: dict, visit: Callable[[dict], dict]) -> dict:
    """Apply `visit` to every (sub)schema, parents first."""
    return _map_children(visit(dict(node)), lambda child: _map_schema(child, visit))


def _map_children(node: dict, fn: Callable[[dict], dict]) -> dict:
    """`node` with `fn` applied to its direct subschemas (not to, say, a property called "items")."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "$defs") and isinstance(value, Mapping):
            out[key] = {name: fn(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, Mapping):
            out[key] = fn(cast(dict, value))
        elif key in ("anyOf", "oneOf", "allOf", "prefixItems") and isinstance(value, list):
            out[key] = [fn(sub) for sub in value]
        else:
            out[key] = value
    return out


def _openai_node(node: dict) -> dict:
    node.pop("title", None)
    return node


# Keys of Google's Schema type that this app's schemas use (google.genai.types.Schema also has
# default, title and additionalProperties, which the Gemini API has refused in some versions).
_GEMINI_KEYS = frozenset(
    {
        "type",
        "format",
        "description",
        "nullable",
        "enum",
        "properties",
        "required",
        "items",
        "anyOf",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
    }
)
# Formats the Gemini API accepts per type; "enum" marks a non-string enum (values as strings).
_GEMINI_FORMATS = {
    "STRING": {"enum", "date-time"},
    "INTEGER": {"enum", "int32", "int64"},
    "NUMBER": {"enum", "float", "double"},
}


def _gemini_node(node: dict) -> dict:
    """One JSON Schema node as a Gemini Schema node (its children are converted after it)."""
    nullable = False
    types = node.get("type")
    if isinstance(types, list):  # {"type": ["string", "null"]}
        nullable = "null" in types
        rest = [t for t in types if t != "null"]
        node["type"] = rest[0] if len(rest) == 1 else rest
    variants = node.get("anyOf")
    if variants is not None:
        rest = [v for v in variants if v.get("type") != "null"]
        nullable = nullable or len(rest) < len(variants)
        if len(rest) == 1:
            # Optional[X]: X itself, nullable. The field's own keywords (its description) win.
            del node["anyOf"]
            node = {**rest[0], **node}
        else:
            node["anyOf"] = rest
    if nullable:
        node["nullable"] = True

    if "const" in node:
        node["enum"] = [node.pop("const")]
    kind = node.get("type")
    if isinstance(kind, str):
        kind = node["type"] = kind.upper()
    notes = []
    if "enum" in node:
        # Google's enum is a list of strings; a number enum is type INTEGER, format "enum".
        node["enum"] = [str(value) for value in node["enum"] if value is not None]
        if kind in ("INTEGER", "NUMBER"):
            node["format"] = "enum"
    if "format" in node and node["format"] not in _GEMINI_FORMATS.get(str(kind), ()):
        notes.append(f"Format: {node.pop('format')}.")
    default = node.get("default")
    if default not in (None, ""):
        notes.append(f"Default: {json.dumps(default)}.")
    if notes:
        node["description"] = " ".join([node.get("description", ""), *notes]).strip()
    return {key: value for key, value in node.items() if key in _GEMINI_KEYS}


# --- Calling -------------------------------------------------------------------------------


def call_tool(user, name: str, arguments) -> tuple[int, dict]:
    """Run one tool call for `user` and answer (HTTP status, body).

    A refusal (bad arguments, a plan that does not include the operation, an exhausted
    allowance, someone else's image) is a normal outcome the LLM must relay to the user, so it
    is a 200 with ok=false, the error's stable code and details, and a `message` sentence ready
    to pass on. Only protocol problems are HTTP errors: an unknown tool is a 404. An accepted
    call is a 202 with the same job fields as the JSON API's submit answer.

    `arguments` may be a dict or the JSON string LLMs often send. Nothing is written unless
    jobs.submit_job accepts the job.
    """
    tool = TOOLS.get(name)
    if tool is None:
        message = _("There is no tool called %(name)s.") % {"name": repr(name)}
        return 404, {
            "ok": False,
            "error": {"code": "unknown_tool", "message": message, "tools": list(TOOLS)},
            "message": _("%(message)s The tools are %(tools)s.")
            % {"message": message, "tools": _or(list(TOOLS))},
        }
    try:
        params = tool.validate(_parse_arguments(arguments))
    except ValidationError as e:
        details = validation_details(e)
        return 200, _refusal(tool, validation_error(_("The tool arguments are not valid."), details))
    except StudioError as e:
        return 200, _refusal(tool, e)
    try:
        job = jobs.submit_job(user, tool.name, params)
    except StudioError as e:
        return 200, _refusal(tool, e, params)
    answer = answers.accepted(job)
    return 202, {"ok": True, **answer, "message": _started_message(tool, params, answer)}


def _parse_arguments(arguments) -> dict:
    if arguments is None:
        return {}
    if isinstance(arguments, (str, bytes, bytearray)):
        if not arguments.strip():
            return {}
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as e:
            raise validation_error(
                _("The tool arguments are not valid JSON (%(error)s at line %(line)s, column %(column)s).")
                % {"error": e.msg, "line": e.lineno, "column": e.colno}
            ) from None
    if not isinstance(arguments, Mapping):
        raise validation_error(_("The tool arguments must be a JSON object of named parameters."))
    return dict(arguments)


def _refusal(tool: Tool, error: StudioError, params: BaseModel | None = None) -> dict:
    return {"ok": False, "error": error.as_dict(), "message": _refusal_message(tool, error, params)}


def _refusal_message(tool: Tool, error: StudioError, params: BaseModel | None) -> str:
    if error.code == "validation_error" and error.extra.get("details"):
        problems = "; ".join(
            f"{item['field']}: {item['message']}" if item["field"] else item["message"]
            for item in error.extra["details"]
        )
        hint = operations.get(tool.name).refusal_hint(error.extra["details"])
        return _("The request was not valid: %(problems)s.") % {"problems": problems} + hint
    if error.code in ("upgrade_required", "quota_exceeded"):
        meter = error.extra.get("meter") or _meter(tool, params)
        upgrade = _upgrade_sentence(error.extra.get("upgrade") or [], meter)
        if upgrade and error.extra.get("plans_url"):
            upgrade += " " + _("Plans and checkout: %(url)s") % {"url": error.extra["plans_url"]}
        return f"{error.message} {upgrade}".strip()
    return error.message


def _meter(tool: Tool, params: BaseModel | None) -> str:
    operation = operations.get(tool.name)
    return operation.meter(**(operation.choices_of(params) if params is not None else {}))


def _upgrade_sentence(options: list[dict], meter: str) -> str:
    """ "Available on JIVE (R49.00/month, 20 edits a month) or JIGGA (...)." from upgrade options."""
    if not options:
        return ""
    noun = _METER_NOUNS.get(meter, meter)
    plans = [
        _("%(tier)s (%(price)s/month, %(allowance)s %(noun)s %(period)s)")
        % {
            "tier": option["tier"],
            "price": option["price"],
            "allowance": format_count(option["allowance"]),
            "noun": noun,
            "period": _PER_PERIOD.get(option["period"], option["period"]),
        }
        for option in options
    ]
    return _("Available on %(plans)s.") % {"plans": _or(plans)}


def _started_message(tool: Tool, params: BaseModel, answer: dict) -> str:
    quote = answer.get("quote")
    cost = f"{quote['zar']} / {quote['usd']}" if quote and quote["zar_cents"] else _("no charge")
    operation = operations.get(tool.name)
    what = operation.started_message(params, answer)
    if operation.long_running:
        wait = _("it usually takes a minute or two")
    else:
        wait = _("it should be ready in seconds")
    return _("%(what)s (%(cost)s). Job %(job)s: %(wait)s; progress at %(url)s.") % {
        "what": what,
        "cost": cost,
        "job": answer["job_id"],
        "wait": wait,
        "url": answer["status_url"],
    }


def _or(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return _("%(some)s or %(last)s") % {"some": ", ".join(items[:-1]), "last": items[-1]}
