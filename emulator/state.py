"""What one running emulator holds: settings, the request log, the fault book, Veo operations,
and the small request/reply types the family handlers work with."""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .faults import Fault, FaultBook

# The log is for tests and for a developer watching `make run`. Bodies carry base64 images,
# so only the newest entries are kept.
MAX_LOGGED_REQUESTS = 200


@dataclass(frozen=True)
class Route:
    kind: str  # imagen_generate | imagen_edit | imagen_upscale | gemini | veo_submit | veo_poll |
    #            publisher_model | pollinations | pollinations_models | not_found
    model: str | None = None
    version: str = "v1"
    project: str = "-"
    location: str = "-"
    verb: str | None = None
    operation_name: str | None = None
    prompt_path: str | None = None  # Pollinations: the prompt from the URL
    gateway: str | None = None  # Pollinations: "legacy" (/prompt) or "gen" (/image)


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    route: Route
    fault: Fault | None = None  # a content fault (blocked, filter_*, ...) the handler must act out


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(payload: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(payload).encode())


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict] = deque(maxlen=MAX_LOGGED_REQUESTS)

    def record(self, entry: dict) -> dict:
        with self._lock:
            self._entries.append(entry)
        return entry

    def update(self, entry: dict, **changes: Any) -> None:
        with self._lock:
            entry.update(changes)

    def snapshot(self) -> list[dict]:
        with self._lock:
            return copy.deepcopy(list(self._entries))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _payfast_book() -> Any:
    from .payfast import PayFastBook  # here, not at the top: payfast.py uses this module's Reply

    return PayFastBook()


@dataclass
class EmulatorState:
    gcs_url: str
    operation_delay: float
    default_bucket: str
    faults: FaultBook = field(default_factory=FaultBook)
    log: RequestLog = field(default_factory=RequestLog)
    operations: dict[str, Any] = field(default_factory=dict)  # Veo: operation name -> VideoOperation
    operations_lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    # The emulator's clock for model lifecycles: None follows the real date. `start_today` is the
    # value start_emulator() was given, which /_emulator/reset restores.
    start_today: dt.date | None = None
    clock_today: dt.date | None = None
    # PayFast's sandbox stand-in: the merchant it accepts, its checkouts and subscriptions (payfast.py).
    payfast: Any = field(default_factory=_payfast_book)

    def today(self) -> dt.date:
        return self.clock_today or dt.date.today()
