"""The one place that converts and rounds money.

USD is held in integer micro-dollars and ZAR in integer cents; the exchange rate is a Decimal.
Conversion rounds half up to the cent, once, on the total (not per unit), so a 6-second video
costs exactly 6 × the per-second price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, format_decimal
from django.conf import settings
from django.utils.translation import get_language

from mediastudio.brief import BriefCache

MICROS_PER_DOLLAR = 1_000_000
CENTS_PER_RAND = 100


# The variant of an upscale's price row: its price does not depend on the size.
UPSCALE_VARIANT = "upscale"


class PriceMissing(LookupError):
    """No price row for a model and variant: the operator's to add in the admin (billing.ModelPrice)."""

    def __init__(self, model: str, variant: str):
        self.model, self.variant = model, variant
        super().__init__(f"no price for model {model!r} variant {variant!r}: add one in the admin")


@dataclass(frozen=True)
class Quote:
    price_class: str
    units: int
    usd_micros: int
    zar_cents: int
    rate: Decimal
    # The price row it was made from (blank for a quote by price class).
    model: str = ""
    variant: str = ""

    @property
    def usd(self) -> Decimal:
        return Decimal(self.usd_micros) / MICROS_PER_DOLLAR

    @property
    def zar(self) -> Decimal:
        return Decimal(self.zar_cents) / CENTS_PER_RAND

    def as_dict(self) -> dict:
        return {
            "price_class": self.price_class,
            "units": self.units,
            "usd": format_usd(self.usd_micros),
            "zar": format_zar(self.zar_cents),
            "usd_micros": self.usd_micros,
            "zar_cents": self.zar_cents,
            "rate": str(self.rate),
        }


def current_rate() -> Decimal:
    return Decimal(settings.USD_TO_ZAR_RATE)


def usd_micros_to_zar_cents(usd_micros: int, rate: Decimal) -> int:
    cents = Decimal(usd_micros) * rate * CENTS_PER_RAND / MICROS_PER_DOLLAR
    return int(cents.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def unit_price_usd_micros(price_class: str) -> int:
    from billing.models import Price

    return Price.objects.values_list("usd_micros", flat=True).get(price_class=price_class)


def quote(price_class: str, units: int, rate: Decimal | None = None) -> Quote:
    """What `units` of `price_class` cost now, in both currencies."""
    if units < 0:
        raise ValueError("units must not be negative")
    rate = current_rate() if rate is None else rate
    usd_micros = unit_price_usd_micros(price_class) * units
    return Quote(price_class, units, usd_micros, usd_micros_to_zar_cents(usd_micros, rate), rate)


def video_variant(resolution: str, audio: bool) -> str:
    """A video price row's variant: "1080p", or "1080p+audio" when a soundtrack is generated."""
    return f"{resolution}+audio" if audio else resolution


# Quotes' prices, remembered PRICE_CACHE_SECONDS per process (billing.signals forgets on edit).
quoted_prices: BriefCache[int] = BriefCache(lambda: settings.PRICE_CACHE_SECONDS)


def model_unit_price(model: str, variant: str, *, remembered: bool = False) -> int:
    """USD micro-dollars per unit of `model` in `variant`; PriceMissing when there is no row.
    `remembered`: a read of the last PRICE_CACHE_SECONDS will do (a quote; a charge reads the row)."""
    from billing.models import ModelPrice

    def read() -> int | None:
        return (
            ModelPrice.objects.filter(model=model, variant=variant)
            .values_list("usd_micros", flat=True)
            .first()
        )

    price = quoted_prices.get((model, variant), read) if remembered else read()
    if price is None:
        raise PriceMissing(model, variant)
    return price


def quote_model(
    price_class: str,
    model: str,
    variant: str,
    units: int,
    rate: Decimal | None = None,
    *,
    remembered: bool = False,
) -> Quote:
    """What `units` of `model` in `variant` cost now, in both currencies (the model price rows).
    `remembered`: the price may be PRICE_CACHE_SECONDS old (quotes, not charges)."""
    if units < 0:
        raise ValueError("units must not be negative")
    rate = current_rate() if rate is None else rate
    usd_micros = model_unit_price(model, variant, remembered=remembered) * units
    return Quote(
        price_class, units, usd_micros, usd_micros_to_zar_cents(usd_micros, rate), rate, model, variant
    )


# A text model's two price rows (unit: per million tokens). Output includes thinking tokens.
TOKENS_IN_VARIANT = "input"
TOKENS_OUT_VARIANT = "output"
TOKENS_PER_PRICE_UNIT = 1_000_000


def quote_tokens(
    price_class: str, model: str, input_tokens: int, output_tokens: int, rate: Decimal | None = None
) -> Quote:
    """What a text model call costs: input and output tokens at the model's two rows (USD per
    million tokens), summed and rounded half up once to the micro-dollar, then to the cent.
    `units` is the tokens in all, the unit the allowance counts."""
    if input_tokens < 0 or output_tokens < 0:
        raise ValueError("token counts must not be negative")
    from billing.models import ModelPrice

    rate = current_rate() if rate is None else rate
    rows = dict(
        ModelPrice.objects.filter(
            model=model, variant__in=(TOKENS_IN_VARIANT, TOKENS_OUT_VARIANT)
        ).values_list("variant", "usd_micros")
    )
    for variant in (TOKENS_IN_VARIANT, TOKENS_OUT_VARIANT):
        if variant not in rows:
            raise PriceMissing(model, variant)
    exact = Decimal(input_tokens * rows[TOKENS_IN_VARIANT]) + Decimal(
        output_tokens * rows[TOKENS_OUT_VARIANT]
    )
    usd_micros = int((exact / TOKENS_PER_PRICE_UNIT).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    units = input_tokens + output_tokens
    return Quote(
        price_class, units, usd_micros, usd_micros_to_zar_cents(usd_micros, rate), rate, model, "tokens"
    )


def model_price_list(rate: Decimal | None = None) -> list[dict]:
    """Every model price row as the quota endpoint lists it: per unit, in both currencies, with
    its source and date (what quotes and charges use; the per-class Price list no longer is)."""
    from billing.models import ModelPrice

    rate = current_rate() if rate is None else rate
    return [
        {
            "model": row.model,
            "variant": row.variant,
            "unit": row.unit,
            "usd": f"${micros_to_usd(row.usd_micros)}",
            "zar": format_zar(usd_micros_to_zar_cents(row.usd_micros, rate)),
            "usd_micros": row.usd_micros,
            "zar_cents": usd_micros_to_zar_cents(row.usd_micros, rate),
            "source": row.source,
            "as_of": row.as_of.isoformat(),
        }
        for row in ModelPrice.objects.all()
    ]


def micros_to_usd(micros: int) -> Decimal:
    """Exact dollars with six decimals, e.g. 40000 → Decimal('0.040000')."""
    return (Decimal(micros) / MICROS_PER_DOLLAR).quantize(Decimal("0.000001"))


def cents_to_zar(cents: int) -> Decimal:
    return (Decimal(cents) / CENTS_PER_RAND).quantize(Decimal("0.01"))


# The languages whose Rand follows CLDR as Babel ships it: af-ZA "R1\xa0234,56" (a decimal comma,
# a non-breaking space between thousands), zu-ZA "R1,234.56". English keeps the product's own
# "R1 234.56" (CLDR's en-ZA would be "R1\xa0234,56"; README "Languages").
ZAR_LOCALES = {"af": "af_ZA", "zu": "zu_ZA"}


def _active_locale() -> str | None:
    """The Babel locale of the active language (ZAR_LOCALES), or None for English."""
    return ZAR_LOCALES.get((get_language() or "").split("-")[0])


def format_zar(cents: int) -> str:
    """Rand for people, in the active language's convention: the one place prices are written."""
    locale = _active_locale()
    if locale is not None:
        return format_currency(Decimal(cents) / CENTS_PER_RAND, "ZAR", locale=locale)
    sign = "-" if cents < 0 else ""
    rands, rest = divmod(abs(cents), CENTS_PER_RAND)
    return f"{sign}R{rands:,}.{rest:02d}".replace(",", " ")


# English counts are grouped as the product writes Rand ("250 000", a space between thousands),
# which is also CLDR's en-ZA for a whole number (its decimal comma never shows in a count). The
# space is a non-breaking one in every language that uses a space, so a number is never split over
# two lines in a narrow table cell.
COUNT_ENGLISH_LOCALE = "en_ZA"


def format_count(n: int) -> str:
    """A count of units (images, seconds, tokens) for people, grouped in the active language's
    convention: af "250\xa0000", zu "250,000", en "250\xa0000". Words only: HTML attributes,
    URLs and the API's numeric fields keep plain digits."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"format_count takes a whole number, not {n!r}")
    return format_decimal(n, locale=_active_locale() or COUNT_ENGLISH_LOCALE)


def format_usd(micros: int) -> str:
    dollars = (Decimal(micros) / MICROS_PER_DOLLAR).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"${dollars:,}"
