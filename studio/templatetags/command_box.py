"""{% new_idempotency_key %}: the one-time key of the slash-command box in every page's header.

The header is rendered by base.html for pages of every view, so the key cannot come from each
view's context; a fresh one per render keeps the box's submit idempotent like every other form.
"""

from __future__ import annotations

import uuid

from django import template

register = template.Library()


@register.simple_tag
def new_idempotency_key() -> str:
    return str(uuid.uuid4())


@register.simple_tag
def command_max_chars() -> int:
    from studio.slash import MAX_COMMAND_CHARS

    return MAX_COMMAND_CHARS
