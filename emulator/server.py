"""The HTTP server: reads a request, logs it, applies faults, dispatches to a model family,
and writes the answer."""

from __future__ import annotations

import json
import logging
import socket
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import catalog, control, errors, gemini, gemini_text, imagen, payfast, pollinations, routing, veo
from .errors import ApiError, invalid_argument
from .faults import STATUS_FAULTS, Fault
from .state import Call, EmulatorState, Reply, Route, json_reply
from .validation import normalize_numbers

logger = logging.getLogger(__name__)

POLLINATIONS_KINDS = ("pollinations", "pollinations_models")
FAMILY_OF_KIND = {
    "imagen_generate": catalog.IMAGEN,
    "imagen_edit": catalog.IMAGEN,
    "imagen_upscale": catalog.IMAGEN,
    "gemini": catalog.GEMINI,
    "veo_submit": catalog.VEO,
    "veo_poll": catalog.VEO,
}
VISION_SCHEMA = "gs://google-cloud-aiplatform/schema/predict/instance/vision_generative_model_1.0.0.yaml"


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: EmulatorState):
        super().__init__(address, EmulatorHandler)
        self.state = state


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real endpoints allow
    server_version = "MediaStudioEmulator/1.0"
    server: EmulatorHTTPServer

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def log_message(self, format: str, *args: object) -> None:
        logger.info("emulator: " + format, *args)

    def _handle(self, method: str) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        body = self._read_body()
        query = {key: values[-1] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
        if url.path.startswith("/_emulator/payfast"):
            self._send(payfast.control(method, url.path, state.payfast))
            return
        if url.path.startswith("/_emulator"):
            self._send(control.handle(method, url.path, body, state))
            return
        if payfast.handles(url.path):  # PayFast's sandbox: form posts, its own API (payfast.py)
            headers = {name.lower(): value for name, value in self.headers.items()}
            self._send(payfast.handle(method, url.path, headers, query, body, state.payfast))
            return
        payload, bad_json = _parse_json(body)
        route = routing.resolve(method, url.path, payload)
        if route.kind == "pollinations":
            route = replace(route, model=query.get("model") or "flux")
        entry = state.log.record(
            {
                "method": method,
                "path": url.path,
                "query": query,
                "headers": {name.lower(): value for name, value in self.headers.items()},
                "json": payload,
                "body_size": len(body),
                "time": time.time(),
                "monotonic": time.monotonic(),
                "kind": route.kind,
                "model": route.model,
                "fault": None,
                "status": None,
            }
        )
        call = Call(method, url.path, query, dict(entry["headers"]), payload, route)
        reply = self._answer(call, state, bad_json, entry)
        if reply is None:  # the connection was dropped on purpose
            return
        state.log.update(entry, status=reply.status)
        self._send(reply)

    def _answer(self, call: Call, state: EmulatorState, bad_json: bool, entry: dict) -> Reply | None:
        route = call.route
        fault = None
        if route.kind != "not_found":
            fault = state.faults.take(
                route_kind=route.kind, model=route.model, path=call.path, prompt=_prompt_of(call)
            )
        if fault is not None:
            state.log.update(entry, fault=fault.kind)
            if fault.kind == "drop":
                self._drop()
                return None
            if fault.kind == "slow":
                # Longer than any client timeout by default; ends early when the emulator stops.
                if state.stopping.wait(fault.delay):
                    self._drop()
                    return None
            elif fault.kind == "slow_reply":
                # The work is done (a Veo operation starts rendering) and only the answer is late:
                # what a caller sees when Google accepted the request and the reply is slow or lost.
                reply = _answer_call(call, state, bad_json)
                if state.stopping.wait(fault.delay):
                    self._drop()
                    return None
                return reply
            elif fault.kind in STATUS_FAULTS:
                return _error_reply(route, _status_fault_error(fault, route))
            else:
                call.fault = fault
        return _answer_call(call, state, bad_json)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout fired during "slow")

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _answer_call(call: Call, state: EmulatorState, bad_json: bool) -> Reply:
    try:
        if bad_json:
            raise invalid_argument("Invalid JSON payload received. The request body is not valid JSON.")
        return _dispatch(call, state)
    except ApiError as error:
        return _error_reply(call.route, error)
    except Exception:
        logger.exception("Emulator failed on %s %s", call.method, call.path)
        return _error_reply(call.route, ApiError(500, errors.INTERNAL))


def _parse_json(body: bytes) -> tuple[object, bool]:
    """(parsed JSON with integral floats as ints, whether the body was unreadable)."""
    if not body:
        return None, False
    try:
        return normalize_numbers(json.loads(body)), False
    except (ValueError, UnicodeDecodeError):
        return None, True  # binary bodies are logged by size only


def _prompt_of(call: Call) -> str | None:
    kind = call.route.kind
    if kind.startswith("imagen_"):
        return imagen.prompt_of(call.json)
    if kind == "gemini":
        return gemini.prompt_of(call.json)
    if kind == "veo_submit":
        return veo.prompt_of(call.json)
    if kind == "pollinations":
        return call.route.prompt_path
    return None


def _dispatch(call: Call, state: EmulatorState) -> Reply:
    route = call.route
    if route.kind == "not_found":
        raise ApiError(404, f"The requested URL {call.path} was not found on this server.")
    if route.kind == "pollinations":
        return pollinations.handle(call)
    if route.kind == "pollinations_models":
        return pollinations.models(call)
    spec = catalog.find_model(route.model or "")
    if spec is None or spec.is_shut_down(state.today()):
        raise errors.model_not_found(route.project, route.location, route.model or "")
    if route.kind == "publisher_model":
        return json_reply(_publisher_model(spec))
    if route.kind == "gemini" and spec.family == catalog.GEMINI_TEXT:
        return gemini_text.handle(call, state, spec, stream=route.verb == "streamGenerateContent")
    if spec.family != FAMILY_OF_KIND[route.kind]:
        raise invalid_argument(f"Model {spec.id} does not support the {route.verb or 'GET'} method.")
    if route.kind.startswith("imagen_"):
        return imagen.handle(call, state, spec)
    if route.kind == "gemini":
        return gemini.handle(call, state, spec, stream=route.verb == "streamGenerateContent")
    if route.kind == "veo_submit":
        return veo.submit(call, state, spec)
    return veo.fetch(call, state) if route.verb == "fetchPredictOperation" else veo.get(call, state)


def _publisher_model(spec: catalog.ModelSpec) -> dict:
    """Enough for the aiplatform SDK's from_pretrained() (its _publisher_models.py reads these)."""
    model: dict[str, Any] = {
        "name": f"publishers/google/models/{spec.id}",
        "publisherModelTemplate": (
            f"projects/{{user-project}}/locations/{{location}}/publishers/google/models/{spec.id}"
        ),
        "launchStage": "GA",
    }
    if spec.family not in (catalog.GEMINI, catalog.GEMINI_TEXT):
        model["predictSchemata"] = {"instanceSchemaUri": VISION_SCHEMA}
    return model


def _status_fault_error(fault: Fault, route: Route) -> ApiError:
    code = STATUS_FAULTS[fault.kind]
    if route.kind in POLLINATIONS_KINDS:
        return pollinations.fault_error(code, route.gateway)
    model = route.model or ""
    if code == 404:
        return errors.model_not_found(route.project, route.location, model)
    messages = {
        400: errors.RESTRICTED_SETTING,
        401: errors.UNAUTHENTICATED,
        403: errors.permission_denied(route.project, route.location, model),
        429: errors.quota_exceeded(model),
        500: errors.INTERNAL,
        503: errors.UNAVAILABLE,
    }
    return ApiError(code, messages.get(code, errors.INTERNAL))


def _error_reply(route: Route, error: ApiError) -> Reply:
    if route.kind in POLLINATIONS_KINDS:
        return json_reply(pollinations.error_body(error), error.code)
    return json_reply(error.body or errors.google_error_body(error.code, error.message), error.code)
