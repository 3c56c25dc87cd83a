"""The prompt helper on the Create and Video forms: "Improve" rewrites a short prompt into a
detailed one, "To English" translates a prompt (Afrikaans, isiZulu, isiXhosa, Sesotho,
Setswana or any other language) into English, the language Imagen and Veo follow best.

The answer is a suggestion the page shows for the user to edit and accept; nothing here touches
the form's prompt. Each call is a metered text call (studio/text.py): its ceiling is shown in ZAR
before use, it is paid from the text_tokens allowance, and the form's one-time key makes a
repeated click the same call (PromptRewrite), charged once.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from billing.pricing import format_count
from studio import providers, schemas, text
from studio.errors import StudioError, validation_error
from studio.models import PromptRewrite

INSTRUCTIONS = {
    PromptRewrite.Action.IMPROVE: (
        "Rewrite the user's short image or video prompt as a detailed prompt in English: the subject, "
        "the setting, the light, the composition and the style. Keep everything they asked for and "
        "add nothing that changes it. Answer with the prompt only, in one paragraph."
    ),
    PromptRewrite.Action.TRANSLATE: (
        "Translate the user's image or video prompt into English. It may be written in Afrikaans, "
        "isiZulu, isiXhosa, Sesotho, Setswana or any other language. Keep names, places and meaning; "
        "answer with the English prompt only."
    ),
}
# What the estimate before use assumes: a prompt this long (the ceiling is charged at most).
TYPICAL_PROMPT = "x" * 400


def request_for(action: str, prompt: str) -> providers.TextRequest:
    return providers.TextRequest(
        contents=[{"role": "user", "parts": [{"text": prompt}]}],
        system=INSTRUCTIONS[PromptRewrite.Action(action)],
        max_output_tokens=settings.PROMPT_HELPER_MAX_OUTPUT_TOKENS,
        temperature=0.4,
    )


def estimate(user) -> text.Estimate:
    """The most one use costs, and what is left of the allowance (shown beside the buttons)."""
    return text.estimate(user, request_for(PromptRewrite.Action.IMPROVE, TYPICAL_PROMPT))


def clean_prompt(prompt: str) -> str:
    prompt = (prompt or "").strip()
    if not prompt:
        raise validation_error(_("Write a prompt first, then ask the helper to improve or translate it."))
    if len(prompt) > schemas.PROMPT_MAX_CHARS:
        raise validation_error(
            _("The helper takes prompts up to %(max)s characters.")
            % {"max": format_count(schemas.PROMPT_MAX_CHARS)}
        )
    return prompt


def rewrite(user, action: str, prompt: str, key: uuid.UUID) -> PromptRewrite:
    """The helper's suggestion for `prompt`; the same key answers the same suggestion again,
    charged once. Raises StudioError (bad input, no allowance left, model unavailable)."""
    if action not in PromptRewrite.Action.values:
        raise validation_error("Choose Improve or To English.")
    prompt = clean_prompt(prompt)
    # The key is claimed before the call, so a second click while it runs cannot pay twice.
    with transaction.atomic():
        row, created = PromptRewrite.objects.get_or_create(
            owner=user, key=key, defaults={"action": action, "source": prompt, "result": ""}
        )
    if not created:
        if row.result:
            return row
        raise StudioError(
            "idempotency_conflict",
            "The helper is still writing this suggestion; try again in a moment.",
            status=409,
        )
    try:
        answer = text.generate(user, request_for(action, prompt), purpose=text.PROMPT_HELPER)
        suggestion = answer.result.text.strip()
        if not suggestion:
            raise StudioError(
                "provider_rejected", "The helper had no suggestion for this prompt. Try rewording it."
            )
    except BaseException:
        row.delete()  # nothing was kept, so the same key may try again
        raise
    row.result, row.tokens, row.cost_zar_cents = suggestion, answer.tokens, answer.zar_cents
    row.save(update_fields=["result", "tokens", "cost_zar_cents"])
    return row
