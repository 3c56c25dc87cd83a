from django import template

from billing import pricing

register = template.Library()


@register.filter
def zar(cents: int) -> str:
    """12345 → 'R123.45'."""
    return pricing.format_zar(int(cents))


@register.filter
def usd(micros: int) -> str:
    return pricing.format_usd(int(micros))
