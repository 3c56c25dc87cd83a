"""Fault injection: by the control endpoint, or by a marker inside the prompt.

Injected faults (POST /_emulator/faults) wait in a queue; each product request takes the first
one that applies to it and matches its `match` filter, and `times` counts down (-1 = forever).

Prompt markers: `[[fault:KIND]]` makes every request carrying that prompt fail with KIND;
`[[fault:KINDxN]]` makes only the first N requests carrying that exact prompt fail, so a
client's retry succeeds afterwards (e.g. `[[fault:429x2]]`). Markers are counted per prompt
text and forgotten on reset. Veo polls carry no prompt, so only injected faults reach them.

Kinds and what they do:
  400 401 403 404 429 500 503  that HTTP error in the family's error body (Vertex: {"error": {code,
                           message, status}}; Pollinations: its gateway JSON). Any request. Vertex's
                           400 is a real refusal that tells the operator what to do (allowlist,
                           invoiced billing).
  402                      Pollinations only: its payment/queue answer.
  slow                     answer normally after `delay` seconds (default 30). Any request.
  slow_reply               do the work at once (a Veo operation starts rendering), hold the
                           answer `delay` seconds: Google accepted it, the reply is late or lost.
  drop                     close the connection without answering. Any request.
  blocked                  Imagen: 400 "prompt could not be submitted"; Gemini: 200 with
                           promptFeedback.blockReason and no candidates; Veo: the operation ends
                           with error code 3; Pollinations: 400.
  filter_some filter_all   Imagen: half (at least one) / all images left out, with
                           raiFilteredReason when includeRaiReason; Gemini: those candidates end
                           with IMAGE_SAFETY; Veo: raiMediaFilteredCount and fewer / no videos.
  text_only                Gemini: a text-only refusal with finishReason STOP.
  operation_failed         Veo: the operation ends with error code 13.
  video_filtered           Veo: every video filtered (raiMediaFilteredCount, no "videos").
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field

# Route kinds (see server.py): which requests a fault can apply to.
IMAGEN_KINDS = {"imagen_generate", "imagen_edit", "imagen_upscale"}
PROMPTED_KINDS = {"imagen_generate", "imagen_edit", "gemini", "veo_submit", "pollinations"}
PRODUCT_KINDS = IMAGEN_KINDS | {"gemini", "veo_submit", "veo_poll", "publisher_model", "pollinations"}

# HTTP error answered instead of the real response.
STATUS_FAULTS = {code: int(code) for code in ("400", "401", "402", "403", "404", "429", "500", "503")}

APPLIES_TO: dict[str, set[str]] = {
    **{kind: PRODUCT_KINDS for kind in STATUS_FAULTS},
    "402": {"pollinations"},  # Pollinations' "pay to bypass the queue" answer; Vertex has none
    "slow": PRODUCT_KINDS,
    "slow_reply": PRODUCT_KINDS,
    "drop": PRODUCT_KINDS,
    "blocked": PROMPTED_KINDS,
    "filter_some": IMAGEN_KINDS | {"gemini", "veo_submit"},
    "filter_all": IMAGEN_KINDS | {"gemini", "veo_submit"},
    "text_only": {"gemini"},
    "operation_failed": {"veo_submit"},
    "video_filtered": {"veo_submit"},
}
FAULT_KINDS = tuple(APPLIES_TO)
DEFAULT_SLOW_SECONDS = 30.0

MARKER = re.compile(r"\[\[fault:([a-z0-9_]+?)(?:x(\d+))?\]\]")


@dataclass
class Fault:
    kind: str
    times: int = 1
    match: dict = field(default_factory=dict)
    delay: float = DEFAULT_SLOW_SECONDS
    source: str = "injected"  # or "marker"

    def as_dict(self) -> dict:
        return asdict(self)


class FaultError(ValueError):
    pass


def make_fault(kind: object, times: object = 1, match: object = None, delay: object = None) -> Fault:
    """Validate the control endpoint's JSON and build a Fault."""
    if kind not in APPLIES_TO:
        raise FaultError(f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
    if isinstance(times, bool) or not isinstance(times, int) or times == 0 or times < -1:
        raise FaultError("times must be a positive integer, or -1 for forever")
    match = match or {}
    if not isinstance(match, dict) or set(match) - {"model", "path_contains"}:
        raise FaultError('match may only have the keys "model" and "path_contains"')
    if delay is None:
        delay = DEFAULT_SLOW_SECONDS
    if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
        raise FaultError("delay must be a number of seconds")
    return Fault(kind=str(kind), times=times, match=dict(match), delay=float(delay))


class FaultBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []
        self._marker_hits: Counter[tuple[str, str]] = Counter()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._queue.append(fault)

    def pending(self) -> list[dict]:
        with self._lock:
            return [fault.as_dict() for fault in self._queue]

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._marker_hits.clear()

    def take(self, *, route_kind: str, model: str | None, path: str, prompt: str | None) -> Fault | None:
        """The fault this request suffers, if any; consumes one use of it."""
        with self._lock:
            for fault in self._queue:
                if route_kind in APPLIES_TO[fault.kind] and _matches(fault.match, model, path):
                    if fault.times > 0:
                        fault.times -= 1
                        if fault.times == 0:
                            self._queue.remove(fault)
                    return fault
            return self._take_marker(route_kind, prompt)

    def _take_marker(self, route_kind: str, prompt: str | None) -> Fault | None:
        for found in MARKER.finditer(prompt or ""):
            kind, count = found.group(1), found.group(2)
            if kind not in APPLIES_TO or route_kind not in APPLIES_TO[kind]:
                continue
            if count is None:
                return Fault(kind=kind, times=-1, source="marker")
            self._marker_hits[(kind, prompt or "")] += 1
            if self._marker_hits[(kind, prompt or "")] <= int(count):
                return Fault(kind=kind, times=int(count), source="marker")
        return None


def _matches(match: dict, model: str | None, path: str) -> bool:
    if "model" in match and match["model"] != model:
        return False
    if "path_contains" in match and match["path_contains"] not in path:
        return False
    return True
