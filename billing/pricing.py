"""The one place that converts and rounds money.

USD is held in integer micro-dollars and ZAR in integer cents; the exchange rate is a Decimal.
Conversion rounds half up to the cent, once, on the total (not per unit), so a 6-second video
costs exactly 6 × the per-second price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

MICROS_PER_DOLLAR = 1_000_000
CENTS_PER_RAND = 100


@dataclass(frozen=True)
class Quote:
    price_class: str
    units: int
    usd_micros: int
    zar_cents: int
    rate: Decimal

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


def micros_to_usd(micros: int) -> Decimal:
    """Exact dollars with six decimals, e.g. 40000 → Decimal('0.040000')."""
    return (Decimal(micros) / MICROS_PER_DOLLAR).quantize(Decimal("0.000001"))


def cents_to_zar(cents: int) -> Decimal:
    return (Decimal(cents) / CENTS_PER_RAND).quantize(Decimal("0.01"))


def format_zar(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    rands, rest = divmod(abs(cents), CENTS_PER_RAND)
    return f"{sign}R{rands:,}.{rest:02d}".replace(",", " ")


def format_usd(micros: int) -> str:
    dollars = (Decimal(micros) / MICROS_PER_DOLLAR).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"${dollars:,}"
