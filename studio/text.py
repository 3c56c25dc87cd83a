"""Metered calls to the text model, for the assistant and the prompt helper.

Every call is priced and paid like a job, by tokens instead of images:

    ceiling()   the most tokens a call can use: its input (about four characters a token) plus
                its output cap; what is reserved, and what an estimate is shown for
    estimate()  that ceiling in ZAR and USD and what is left of the user's text_tokens allowance,
                for the pages to show before anything is used
    stream()    reserve the ceiling (refused with quota_exceeded and the upgrade path, nothing
                reserved, before Google is called), call the model, then commit the tokens Google
                counted (a ledger row priced at the model's input and output rates) or, when the
                call fails or is abandoned, release the reservation

A call is one reservation, one ledger row: billing's unique reference makes a second charge
impossible. Google's usageMetadata are the units; the ceiling caps them, so the allowance can
never be passed by a call whose answer ran long.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from billing import pricing
from billing import services as billing
from billing.models import Meter, PriceClass, Reservation
from studio import errors, providers
from studio.errors import StudioError

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 4  # Google's rule of thumb for English; the emulator counts the same way
# What a text call is for: the cost ledger's operation.
ASSISTANT = "assistant"
PROMPT_HELPER = "prompt_helper"
PURPOSES = (ASSISTANT, PROMPT_HELPER)


def ceiling(request: providers.TextRequest) -> int:
    """The most tokens `request` can cost: its input, generously counted, plus its output cap."""
    text = request.system + json.dumps(request.contents) + json.dumps(request.tools or {})
    return len(text) // CHARS_PER_TOKEN + 1 + request.max_output_tokens


@dataclass(frozen=True)
class Answer:
    """A finished call: the model's result and the ledger row it was charged as."""

    result: providers.TextResult
    tokens: int  # what the allowance was charged
    zar_cents: int


@dataclass(frozen=True)
class Estimate:
    tokens: int
    zar_cents: int
    usd_micros: int
    remaining: int  # tokens left this period
    period: str
    resets_at: object
    upgrade: list[dict]

    @property
    def enough(self) -> bool:
        return self.remaining >= self.tokens


def estimate(user, request: providers.TextRequest) -> Estimate:
    """What `request` would cost at most, and what is left; StudioError(price_missing or
    provider_unavailable) when the text model cannot be priced or resolved now."""
    tokens = ceiling(request)
    quote = _quote(tokens - request.max_output_tokens, request.max_output_tokens)
    balance = billing.balance(user, Meter.TEXT_TOKENS)
    upgrade = (
        []
        if balance.remaining >= tokens
        else billing.upgrade_options(billing.plan_for(user), Meter.TEXT_TOKENS, tokens)
    )
    return Estimate(
        tokens=tokens,
        zar_cents=quote.zar_cents,
        usd_micros=quote.usd_micros,
        remaining=balance.remaining,
        period=balance.period,
        resets_at=balance.resets_at,
        upgrade=upgrade,
    )


def _quote(input_tokens: int, output_tokens: int) -> pricing.Quote:
    model = _model()
    try:
        return pricing.quote_tokens(PriceClass.TEXT, model, input_tokens, output_tokens)
    except pricing.PriceMissing as e:
        log.error("text call refused: %s", e)
        raise errors.price_missing() from e


def _model() -> str:
    try:
        return providers.text_model()
    except providers.ProviderError as e:
        log.error("text call refused: %s", e.detail)
        raise errors.provider_unavailable() from e


def stream(user, request: providers.TextRequest, *, purpose: str) -> Iterator[providers.TextDelta | Answer]:
    """The model's answer as it streams (TextDelta pieces, then the Answer), paid from the
    user's text_tokens allowance; `purpose` ("assistant", "prompt_helper") is the ledger's
    operation. Raises StudioError before anything is reserved (quota, price, breaker), or when
    the call fails (released, nothing charged)."""
    model = _model()
    tokens = ceiling(request)
    _quote(0, 0)  # a missing price row refuses here, before any reserve
    reference = f"text:{uuid.uuid4()}"
    try:
        billing.reserve(user, Meter.TEXT_TOKENS, tokens, reference)
    except billing.QuotaExceeded as e:
        raise errors.quota_exceeded(e) from e
    settled = False
    try:
        for item in providers.stream_text(request):
            if isinstance(item, providers.TextResult):
                entry = billing.commit_tokens(
                    reference,
                    operation=purpose,
                    model=item.model or model,
                    input_tokens=item.input_tokens,
                    output_tokens=item.output_tokens,
                )
                settled = True
                used = Reservation.objects.values_list("used_units", flat=True).get(reference=reference)
                yield Answer(item, used or 0, entry.zar_cents if entry else 0)
            else:
                yield item
    except providers.ProviderError as e:
        from studio.worker import error_code

        code = error_code(e)
        log.warning("text call for %s failed (%s): %s", purpose, code, e.detail)
        retry_after = getattr(e, "retry_after", None)
        raise StudioError(code, errors.user_message(code, retry_after=retry_after), status=503) from e
    finally:
        if not settled:
            billing.release(reference, "text call failed or was abandoned")


def generate(user, request: providers.TextRequest, *, purpose: str) -> Answer:
    """The whole answer (the last item of stream())."""
    answer = None
    for item in stream(user, request, purpose=purpose):
        answer = item
    assert isinstance(answer, Answer)
    return answer
