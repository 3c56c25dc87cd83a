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


@register.filter
def count(n: int) -> str:
    """250000 → '250 000' (af, en; a non-breaking space) or '250,000' (zu): a count in words,
    never in an attribute (billing.pricing.format_count)."""
    return pricing.format_count(int(n))
