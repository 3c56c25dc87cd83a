"""URL → Route. Vertex paths are accepted under /v1 and /v1beta1, with or without the
projects/{p}/locations/{l} prefix (express mode leaves it out); query strings never matter."""

from __future__ import annotations

import re
from urllib.parse import unquote

from . import imagen
from .state import Route

VERTEX_PATH = re.compile(
    r"^/(?P<version>v1|v1beta1)"
    r"(?:/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+))?"
    r"/publishers/google/models/(?P<model>[^/:]+)"
    r"(?::(?P<verb>[A-Za-z]+)|/operations/(?P<operation>[^/]+))?$"
)
POLLINATIONS_PATH = re.compile(r"^/(?P<gateway>prompt|image)/(?P<prompt>.+)$")

POST_VERBS = {
    "predict",
    "generateContent",
    "streamGenerateContent",
    "predictLongRunning",
    "fetchPredictOperation",
}


def resolve(method: str, path: str, body: object) -> Route:
    found = VERTEX_PATH.match(path)
    if found:
        return _vertex_route(method, found, body)
    if method == "GET" and path in ("/models", "/image/models"):
        return Route(kind="pollinations_models", gateway="legacy" if path == "/models" else "gen")
    found = POLLINATIONS_PATH.match(path)
    if found and method == "GET":
        gateway = "legacy" if found["gateway"] == "prompt" else "gen"
        return Route(kind="pollinations", prompt_path=unquote(found["prompt"]), gateway=gateway)
    return Route(kind="not_found")


def _vertex_route(method: str, found: re.Match, body: object) -> Route:
    model, verb, operation = found["model"], found["verb"], found["operation"]
    common = dict(
        model=model,
        version=found["version"],
        project=found["project"] or "-",
        location=found["location"] or "-",
        verb=verb,
    )
    if operation and method == "GET":
        name = f"projects/{found['project']}/locations/{found['location']}/publishers/google/models/{model}"
        return Route(kind="veo_poll", operation_name=f"{name}/operations/{operation}", **common)
    if verb is None and operation is None and method == "GET":
        return Route(kind="publisher_model", **common)
    if method != "POST" or verb not in POST_VERBS:
        return Route(kind="not_found", **common)
    if verb == "predict":
        return Route(kind=imagen.operation_of(model, body), **common)
    if verb in ("generateContent", "streamGenerateContent"):
        return Route(kind="gemini", **common)
    if verb == "predictLongRunning":
        return Route(kind="veo_submit", **common)
    return Route(kind="veo_poll", **common)
