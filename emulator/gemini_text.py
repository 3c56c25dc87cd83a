"""Gemini text models: `:generateContent` and `:streamGenerateContent?alt=sse` with text output
and function calling, answering deterministically so the assistant and the prompt helper run the
real google-genai client over HTTP.

What it answers, from the last user turn:

- function responses (the app ran a call): a short text that passes on each response's
  `message` ("Started generating 1 image…", or the refusal's words);
- a system instruction asking for a translation "into English": the prompt translated word by
  word with a small glossary (isiZulu and Afrikaans; unknown words are kept);
- a system instruction asking to "rewrite" a prompt: the prompt with fixed detail added;
- with tools declared: a request for a picture, photo or image → a `generate_image` call with what
  follows "of" as the prompt; a video or clip → `generate_video`; "upscale <image id>" →
  `upscale_image`; a declared function only, each call carrying a thought signature;
- anything else: a short text saying what it can do.

What it refuses, as Vertex does (400 INVALID_ARGUMENT): no contents, a role other than user or
model, a conversation that does not end on a user turn, invalid function names, a model turn's
function call sent back without its thought signature (Gemini 3 models), function responses that
do not match the calls they answer, maxOutputTokens or temperature out of range. Past a model's
shutdown date it answers 404 like the other models (server.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from .catalog import ModelSpec
from .errors import invalid_argument
from .state import Call, EmulatorState, Reply, json_reply
from .validation import as_dict, estimated_tokens, optional_int, optional_number

ROLES = ("user", "model")
FUNCTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$")
INVALID_NAME = (
    "* GenerateContentRequest.tools[{tool}].function_declarations[{index}].name: Invalid function name. "
    "Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), "
    "dots (.), colons (:), or dashes (-), with a maximum length of 64."
)
MISSING_SIGNATURE = (
    "Function call is missing a thought_signature in functionCall parts. This is required for tools "
    "to work correctly, and missing thought_signature may lead to degraded model performance. "
    "Additional data, function call `default_api:{name}` , position {position}. Please refer to "
    "https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
)
RESPONSE_COUNT = (
    "Please ensure that the number of function response parts is equal to the number of function "
    "call parts of the function call turn."
)
BLOCKED_MESSAGE = "The prompt was blocked because it may contain prohibited content."
HELLO = (
    "I can make pictures and short videos for you, upscale your images, and tell you what they "
    "cost before anything is charged. What would you like to see?"
)

# A few words and phrases, enough to show the prompt helper; longest match first.
GLOSSARY = {
    # isiZulu
    "ukuphuma kwelanga": "sunrise",
    "ekuphumeni kwelanga": "at sunrise",
    "ukushona kwelanga": "sunset",
    "indlovu enkulu": "a big elephant",
    "ogwini lolwandle": "on the seashore",
    "indlovu": "an elephant",
    "izindlovu": "elephants",
    "ingonyama": "a lion",
    "imbali": "a flower",
    "izimbali": "flowers",
    "intaba": "a mountain",
    "izintaba": "mountains",
    "ulwandle": "the sea",
    "ehamba": "walking",
    "ekuseni": "in the morning",
    "ebusuku": "at night",
    "enhle": "beautiful",
    "inja": "a dog",
    "ikati": "a cat",
    "isithombe": "a picture",
    "nelanga": "and the sun",
    "ilanga": "the sun",
    # Afrikaans
    "'n": "a",
    "by": "at",
    "sonop": "sunrise",
    "sononder": "sunset",
    "berg": "mountain",
    "strand": "beach",
    "olifant": "elephant",
    "die": "the",
    "op": "on",
}
DETAIL = (
    "shown in rich detail: soft natural light, a clear main subject, a balanced composition, "
    "fine textures and true-to-life colour, photographed with a shallow depth of field"
)
PICTURE = re.compile(r"\b(picture|image|photo|photograph|drawing|painting|illustration)s?\b", re.IGNORECASE)
MOTION = re.compile(r"\b(video|clip|animation)s?\b", re.IGNORECASE)
SUBJECT = re.compile(r"\b(?:of|showing|with)\s+(.+)$", re.IGNORECASE | re.DOTALL)
IMAGE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
COUNT = re.compile(r"\b([1-4])\s+(?:pictures|images|photos)\b", re.IGNORECASE)


def handle(call: Call, state: EmulatorState, spec: ModelSpec, *, stream: bool) -> Reply:
    body = as_dict(call.json, "body")
    contents = _contents(body)
    declared = _declared_functions(body)
    _check_history(contents, spec)
    config = as_dict(body.get("generationConfig"), "generationConfig")
    max_tokens = optional_int(config, "maxOutputTokens", low=1, high=spec.max_output_tokens) or 8192
    optional_number(config, "temperature", low=0, high=2)
    system = " ".join(_texts(as_dict(body.get("systemInstruction"), "systemInstruction")))
    prompt_tokens = estimated_tokens(
        system + json.dumps(body.get("tools") or []) + " ".join(t for c in contents for t in _texts(c))
    )
    if call.fault and call.fault.kind == "blocked":
        blocked = {
            "promptFeedback": {"blockReason": "PROHIBITED_CONTENT", "blockReasonMessage": BLOCKED_MESSAGE},
            "usageMetadata": {"promptTokenCount": prompt_tokens, "totalTokenCount": prompt_tokens},
        }
        return _reply([blocked], stream)
    parts = _answer(contents[-1], system, declared, spec)
    finish = "STOP"
    if "text" in parts[0]:
        text, finish = _cap(parts[0]["text"], max_tokens)
        parts = [{"text": text, "thoughtSignature": _signature(spec, text)}]
    output_tokens = estimated_tokens(json.dumps(parts))
    usage: dict[str, Any] = {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": output_tokens,
        "totalTokenCount": prompt_tokens + output_tokens,
        "trafficType": "ON_DEMAND",
    }
    frames = _frames(parts, stream)
    payloads = []
    for index, frame_parts in enumerate(frames):
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": frame_parts}, "index": 0}
        frame: dict[str, Any] = {"candidates": [candidate], "modelVersion": spec.id}
        if index == len(frames) - 1:
            candidate["finishReason"] = finish
            frame["usageMetadata"] = usage
        payloads.append(frame)
    return _reply(payloads, stream)


# --- Reading the request ---------------------------------------------------------------------


def _contents(body: dict) -> list[dict]:
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise invalid_argument("contents is required and must not be empty.")
    for index, content in enumerate(contents):
        if (
            not isinstance(content, dict)
            or not isinstance(content.get("parts"), list)
            or not content["parts"]
        ):
            raise invalid_argument(f"contents[{index}].parts must not be empty.")
        if content.get("role", "user") not in ROLES:
            raise invalid_argument("Please use a valid role: user, model.")
    if contents[-1].get("role", "user") != "user":
        raise invalid_argument("Please ensure that the conversation ends with a user turn.")
    return contents


def _declared_functions(body: dict) -> set[str]:
    tools = body.get("tools") or []
    if not isinstance(tools, list):
        raise invalid_argument("tools must be a list.")
    names = set()
    for tool_index, tool in enumerate(tools):
        declarations = as_dict(tool, f"tools[{tool_index}]").get("functionDeclarations") or []
        for index, declaration in enumerate(declarations):
            name = as_dict(declaration, "functionDeclaration").get("name")
            if not isinstance(name, str) or not FUNCTION_NAME.match(name):
                raise invalid_argument(INVALID_NAME.format(tool=tool_index, index=index))
            names.add(name)
    return names


def _check_history(contents: list[dict], spec: ModelSpec) -> None:
    position = 0
    for index, content in enumerate(contents):
        calls = [part for part in content["parts"] if isinstance(part, dict) and "functionCall" in part]
        responses = [
            part for part in content["parts"] if isinstance(part, dict) and "functionResponse" in part
        ]
        # Gemini 3 wants the signature of each turn's first function call back.
        if calls and spec.thought_signatures and not calls[0].get("thoughtSignature"):
            name = calls[0]["functionCall"].get("name", "")
            raise invalid_argument(MISSING_SIGNATURE.format(name=name, position=position + 1))
        position += len(content["parts"])
        if responses:
            before = contents[index - 1] if index else {"parts": []}
            asked = [part for part in before["parts"] if isinstance(part, dict) and "functionCall" in part]
            if before.get("role") != "model" or len(asked) != len(responses):
                raise invalid_argument(RESPONSE_COUNT)


def _texts(content: dict) -> list[str]:
    return [
        part["text"]
        for part in content.get("parts") or []
        if isinstance(part, dict) and isinstance(part.get("text"), str) and not part.get("thought")
    ]


# --- Answering -------------------------------------------------------------------------------


def _answer(turn: dict, system: str, declared: set[str], spec: ModelSpec) -> list[dict]:
    responses = [part["functionResponse"] for part in turn["parts"] if "functionResponse" in part]
    if responses:
        return [{"text": " ".join(_relay(as_dict(r, "functionResponse")) for r in responses)}]
    text = " ".join(_texts(turn)).strip()
    lowered = system.lower()
    if "into english" in lowered:
        return [{"text": translate(text)}]
    if "rewrite" in lowered:
        return [{"text": improve(text)}]
    call = _function_call(text, declared)
    if call is None:
        return [{"text": HELLO}]
    return [{"functionCall": call, "thoughtSignature": _signature(spec, json.dumps(call))}]


def _relay(response: dict) -> str:
    answer = response.get("response")
    answer = answer if isinstance(answer, dict) else {}
    message = str(answer.get("message") or "").strip()
    if answer.get("ok") is False:
        return f"I could not do that: {message}" if message else "I could not do that."
    return message or "Done."


def _function_call(text: str, declared: set[str]) -> dict | None:
    image_id = IMAGE_ID.search(text)
    if "upscale" in text.lower() and image_id and "upscale_image" in declared:
        return {
            "name": "upscale_image",
            "args": {"image_id": image_id.group(0), "factor": "x2", "model": "v3"},
        }
    if MOTION.search(text) and "generate_video" in declared:
        args: dict[str, Any] = {"prompt": _subject(text), "duration_seconds": 4}
        if image_id:
            args["first_frame_id"] = image_id.group(0)
        return {"name": "generate_video", "args": args}
    if PICTURE.search(text) and "generate_image" in declared:
        args = {"prompt": _subject(text)}
        count = COUNT.search(text)
        if count:
            args["count"] = int(count.group(1))
        return {"name": "generate_image", "args": args}
    return None


def _subject(text: str) -> str:
    found = SUBJECT.search(text)
    subject = (found.group(1) if found else text).strip().rstrip(".!?")
    return subject or text


def translate(text: str) -> str:
    words = re.findall(r"\S+", text)
    out: list[str] = []
    index = 0
    while index < len(words):
        for size in (3, 2, 1):
            if index + size > len(words):
                continue
            key = " ".join(words[index : index + size]).lower().strip(".,!?")
            if key in GLOSSARY:
                out.append(GLOSSARY[key])
                index += size
                break
        else:
            out.append(words[index])
            index += 1
    english = " ".join(out).strip()
    return english[:1].upper() + english[1:] if english else english


def improve(text: str) -> str:
    base = text.strip().rstrip(".!?")
    return f"{base[:1].upper()}{base[1:]}, {DETAIL}." if base else DETAIL.capitalize() + "."


def _cap(text: str, max_tokens: int) -> tuple[str, str]:
    if estimated_tokens(text) <= max_tokens:
        return text, "STOP"
    return text[: max_tokens * 4].rstrip(), "MAX_TOKENS"


def _signature(spec: ModelSpec, seed: str) -> str:
    digest = hashlib.sha256(f"{spec.id}:{seed}".encode()).digest()[:12]
    return base64.b64encode(b"emulator-signature-" + digest).decode()


def _frames(parts: list[dict], stream: bool) -> list[list[dict]]:
    """One frame, or for a streamed text a few words per frame (the signature on the last)."""
    if not stream or "text" not in parts[0]:
        return [parts]
    words = re.findall(r"\S+\s*", parts[0]["text"]) or [""]
    pieces = ["".join(words[i : i + 4]) for i in range(0, len(words), 4)]
    frames = [[{"text": piece}] for piece in pieces]
    frames[-1][0]["thoughtSignature"] = parts[0]["thoughtSignature"]
    return frames


def _reply(payloads: list[dict], stream: bool) -> Reply:
    stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    response_id = secrets.token_urlsafe(12)
    for payload in payloads:
        payload.update(createTime=stamp, responseId=response_id)
    if stream:
        body = "".join(f"data: {json.dumps(payload)}\r\n\r\n" for payload in payloads)
        return Reply(200, body.encode(), content_type="text/event-stream")
    return json_reply(payloads[0])  # unstreamed, an answer is one frame
