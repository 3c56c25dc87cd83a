"""{% prompt_helper "image-create" %}: the prompt helper's block inside a studio form."""

from __future__ import annotations

from django import template

from studio.pages.prompt_helper import helper_context

register = template.Library()


@register.inclusion_tag("studio/_prompt_helper.html", takes_context=True)
def prompt_helper(context, back: str) -> dict:
    """Improve / To English with what a use costs and what is left; `back` is the page's URL name."""
    request = context["request"]
    return {"request": request, **helper_context(request.user, back)}
