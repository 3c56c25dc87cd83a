"""The emulator's own JSON endpoints under /_emulator/ (never logged, never faulted).

POST /_emulator/faults    {"fault": "429", "times": 1, "match": {"model": ..., "path_contains": ...},
                           "delay": 30}                         -> {"fault": {...}}
GET  /_emulator/faults    -> {"faults": [...]}                   (still pending)
GET  /_emulator/requests  -> {"requests": [{"method", "path", "query", "headers", "json",
                                            "body_size", "time", "monotonic", "kind", "model",
                                            "fault", "status"}, ...]}
                          (oldest first; header names lowercased; binary bodies by size only)
POST /_emulator/clock     {"today": "2026-06-01"} or {"today": null} (the real date)
                          -> {"today": "2026-06-01", "fixed": true}
                          (the date model lifecycles are judged by: a model past its shutdown
                          date answers Google's 404 NOT_FOUND)
POST /_emulator/reset     -> {"ok": true}   (clears the log and the faults; the clock goes back to
                                             the date the emulator was started with)
GET  /_emulator/health    -> {"ok": true, ...}
"""

from __future__ import annotations

import datetime as dt
import json

from .faults import FAULT_KINDS, FaultError, make_fault
from .state import EmulatorState, Reply, json_reply


def handle(method: str, path: str, body: bytes, state: EmulatorState) -> Reply:
    endpoint = (method, path.rstrip("/"))
    if endpoint == ("GET", "/_emulator/requests"):
        return json_reply({"requests": state.log.snapshot()})
    if endpoint == ("GET", "/_emulator/faults"):
        return json_reply({"faults": state.faults.pending()})
    if endpoint == ("POST", "/_emulator/faults"):
        return _add_fault(body, state)
    if endpoint == ("POST", "/_emulator/clock"):
        return _set_clock(body, state)
    if endpoint == ("POST", "/_emulator/reset"):
        state.log.clear()
        state.faults.reset()
        state.clock_today = state.start_today
        return json_reply({"ok": True})
    if endpoint == ("GET", "/_emulator/health"):
        return json_reply(
            {
                "ok": True,
                "gcs_url": state.gcs_url,
                "default_bucket": state.default_bucket,
                "operation_delay": state.operation_delay,
                "today": state.today().isoformat(),
                "fault_kinds": list(FAULT_KINDS),
            }
        )
    return json_reply({"error": f"no control endpoint {method} {path}"}, 404)


def _add_fault(body: bytes, state: EmulatorState) -> Reply:
    try:
        request = json.loads(body or b"{}")
        if not isinstance(request, dict):
            raise FaultError("the body must be a JSON object")
        fault = make_fault(
            request.get("fault"), request.get("times", 1), request.get("match"), request.get("delay")
        )
    except (ValueError, FaultError) as error:  # json.JSONDecodeError is a ValueError
        return json_reply({"error": str(error)}, 400)
    state.faults.add(fault)
    return json_reply({"fault": fault.as_dict()})


def _set_clock(body: bytes, state: EmulatorState) -> Reply:
    try:
        request = json.loads(body or b"{}")
        if not isinstance(request, dict) or "today" not in request:
            raise ValueError('the body must be {"today": "YYYY-MM-DD"} or {"today": null}')
        today = request["today"]
        state.clock_today = None if today is None else dt.date.fromisoformat(str(today))
    except (ValueError, TypeError) as error:
        return json_reply({"error": str(error)}, 400)
    return json_reply({"today": state.today().isoformat(), "fixed": state.clock_today is not None})
