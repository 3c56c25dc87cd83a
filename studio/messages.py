"""Validation errors in the words users read: one table, used by the API, the pages, the slash
commands and the LLM tools.

Every rule raises a stable error type: pydantic's own (`missing`, `literal_error`,
`string_too_long`, ...) or ours (studio/schemas.py: `edit_needs_mask`, `prompt_without_meaning`,
...). What a channel shows is chosen by that type and the field, never by searching the error's
English text.

    validation_details(error)   [{field, message, type}]: the API's `details`, the tools' refusals
    form_errors(error)          {form field: words} for a page's form, the rules between fields
                                placed beside the field they are about
    form_error(item)            one error item as (form field, words)
    message(item)               one error's message in the reader's language (PYDANTIC_MESSAGES)
    sentence(item)              one error as a sentence (the slash commands' last resort)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from billing.pricing import format_count
from studio import schemas

# Where django-ninja says a value came from; not part of the field's name.
_LOCATION_PARTS = {"__root__", "body", "payload", "query", "path"}


@dataclass(frozen=True)
class Placement:
    """Where a form shows a rule between fields, and in which words.

    `field` is the form field the rule is about ("" for the form as a whole); `words`, when set,
    replace the schema's message there, since the field's label already says the rest."""

    field: str = ""
    words: str | Promise = ""


# Our rules between fields (raised on the whole request, so their location is empty) and the
# field a form shows each beside. A type not here stays where pydantic located it.
FORM_PLACEMENT: dict[str, Placement] = {
    schemas.EDIT_NEEDS_PROMPT: Placement("prompt", gettext_lazy("Describe what to put in the edited area.")),
    schemas.EDIT_NEEDS_MASK: Placement("mask", gettext_lazy("Paint the area to edit on the picture first.")),
    schemas.EDIT_ONE_MASK: Placement("mask"),
    schemas.MASK_DESCRIPTION_MODE: Placement(""),
    schemas.OUTPAINT_WITHOUT_SIDES: Placement(
        "outpaint", gettext_lazy("Extend at least one side by some pixels.")
    ),
    schemas.OUTPAINT_WITH_MASK: Placement("outpaint"),
    schemas.OUTPAINT_SIDES_OR_RATIO: Placement("outpaint"),
    schemas.OUTPAINT_ONLY: Placement("outpaint"),
    schemas.VIDEO_NEEDS_PROMPT_OR_FRAME: Placement(""),
    schemas.LAST_FRAME_NEEDS_FIRST: Placement(""),
    schemas.DUPLICATE_IMAGE: Placement("image_ids", gettext_lazy("Choose each image once.")),
    schemas.VIDEO_ONE_MODEL: Placement("fast", gettext_lazy("Choose one model.")),
    schemas.REFERENCES_WITH_FRAMES: Placement(
        "reference_image_ids",
        gettext_lazy("Reference images take no first or last frame: clear one or the other."),
    ),
    schemas.REFERENCES_NEED_PROMPT: Placement(
        "prompt", gettext_lazy("Describe the scene to put your reference images in.")
    ),
    schemas.REFERENCES_LAST_EIGHT_SECONDS: Placement(
        "duration_seconds", gettext_lazy("A video from reference images lasts 8 seconds.")
    ),
}
_NOT_A_CHOICE = ("literal_error", "enum")


def _choices(expected: str) -> str:
    """pydantic's allowed values ("'x2', 'x3' or 'x4'") with the reader's word for "or" (none of
    the studio's choices has " or " in it)."""
    some, separator, last = expected.rpartition(" or ")
    return _("%(some)s or %(last)s") % {"some": some, "last": last} if separator else expected


# pydantic's own messages are English, whatever the request's language: the words of each error
# type the API and the tools can meet, with the error's context (ctx) as placeholders. The English
# is pydantic's, except where its words would leak an internal name (model_type's class name) or an
# English detail no catalogue can hold (uuid_parsing's "invalid character: found `n` at 0",
# json_invalid's parser message). A type not here keeps pydantic's words; our own rules
# (studio/schemas.py) raise their words translated already.
PYDANTIC_MESSAGES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": lambda ctx: _("Field required"),
    "extra_forbidden": lambda ctx: _("Extra inputs are not permitted"),
    "string_type": lambda ctx: _("Input should be a valid string"),
    "string_unicode": lambda ctx: _(
        "Input should be a valid string, unable to parse raw data as a unicode string"
    ),
    "string_too_short": lambda ctx: (
        ngettext(
            "String should have at least %(min_length)s character",
            "String should have at least %(min_length)s characters",
            ctx["min_length"],
        )
        % ctx
    ),
    "string_too_long": lambda ctx: (
        ngettext(
            "String should have at most %(max_length)s character",
            "String should have at most %(max_length)s characters",
            ctx["max_length"],
        )
        % ctx
    ),
    # The studio's only length-limited values besides text are lists (image ids).
    "too_short": lambda ctx: (
        ngettext(
            "List should have at least %(min_length)s item after validation, not %(actual_length)s",
            "List should have at least %(min_length)s items after validation, not %(actual_length)s",
            ctx["min_length"],
        )
        % ctx
    ),
    "too_long": lambda ctx: (
        ngettext(
            "List should have at most %(max_length)s item after validation, not %(actual_length)s",
            "List should have at most %(max_length)s items after validation, not %(actual_length)s",
            ctx["max_length"],
        )
        % ctx
    ),
    "literal_error": lambda ctx: _("Input should be %(expected)s") % {"expected": _choices(ctx["expected"])},
    "enum": lambda ctx: _("Input should be %(expected)s") % {"expected": _choices(ctx["expected"])},
    "int_type": lambda ctx: _("Input should be a valid integer"),
    "int_parsing": lambda ctx: _("Input should be a valid integer, unable to parse string as an integer"),
    "int_parsing_size": lambda ctx: _("Unable to parse input string as an integer, exceeded maximum size"),
    "int_from_float": lambda ctx: _("Input should be a valid integer, got a number with a fractional part"),
    "float_type": lambda ctx: _("Input should be a valid number"),
    "float_parsing": lambda ctx: _("Input should be a valid number, unable to parse string as a number"),
    "bool_type": lambda ctx: _("Input should be a valid boolean"),
    "bool_parsing": lambda ctx: _("Input should be a valid boolean, unable to interpret input"),
    "greater_than": lambda ctx: _("Input should be greater than %(gt)s") % ctx,
    "greater_than_equal": lambda ctx: _("Input should be greater than or equal to %(ge)s") % ctx,
    "less_than": lambda ctx: _("Input should be less than %(lt)s") % ctx,
    "less_than_equal": lambda ctx: _("Input should be less than or equal to %(le)s") % ctx,
    "uuid_type": lambda ctx: _("UUID input should be a string, bytes or UUID object"),
    "uuid_parsing": lambda ctx: _("Input should be a valid UUID"),
    "dict_type": lambda ctx: _("Input should be a valid dictionary"),
    "model_type": lambda ctx: _("Input should be a valid dictionary"),
    "list_type": lambda ctx: _("Input should be a valid list"),
    "json_invalid": lambda ctx: _("Invalid JSON"),
}


def message(item: Mapping[str, Any]) -> str:
    """One error's message in the reader's language: "Field required", "Veld is verpligtend"."""
    kind = str(item.get("type", ""))
    ctx = dict(item.get("ctx") or {})
    if kind in ("too_short", "too_long") and ctx.get("field_type") == "Value":
        # A text's length rule applied after its validators (MaskDescription) is pydantic's
        # generic one, which calls the text a "Value" of "items".
        kind = f"string_{kind}"
    words = PYDANTIC_MESSAGES.get(kind)
    if words is not None:
        try:
            return words(ctx)
        except KeyError:  # a context this pydantic version does not give: its own words then
            pass
    return str(item.get("msg", "invalid value")).removeprefix("Value error, ")


def sentence(item: Mapping[str, Any]) -> str:
    """One error's message as a sentence: "A video needs a prompt or a first frame."."""
    words = message(item)
    return words[:1].upper() + words[1:] + ("" if words.endswith(".") else ".")


def validation_details(error) -> list[dict]:
    """A validation error (pydantic's, or django-ninja's wrapping of it) as a short list of
    {field, message, type}: a message a person can act on, in the reader's language, and the
    error type (stable: "missing", "literal_error", "prompt_without_meaning", ...) for programs."""
    items = error.errors(include_url=False) if callable(error.errors) else error.errors
    details = []
    for item in items:
        field = ".".join(str(part) for part in item.get("loc", ()) if part not in _LOCATION_PARTS)
        details.append(
            {"field": field, "message": message(item), "type": str(item.get("type", "value_error"))}
        )
    return details


def form_errors(error) -> dict[str, str]:
    """One message per form field, in words a person can act on (pydantic's are for developers).

    Keyed by the schema's top-level field (`outpaint` for `outpaint.left`); the rules between
    fields go where FORM_PLACEMENT says, "" meaning the form as a whole."""
    errors: dict[str, str] = {}
    for item in error.errors(include_url=False):
        field, words = form_error(item)
        errors.setdefault(field, words)
    return errors


def form_error(item: Mapping[str, Any]) -> tuple[str, str]:
    """One pydantic error item as (form field, words)."""
    kind = item["type"]
    location = item["loc"]
    field = str(location[0]) if location else ""
    placement = FORM_PLACEMENT.get(kind)
    if placement is not None:
        return placement.field, str(placement.words) or sentence(item)
    if field == "outpaint" and len(location) > 1:  # one side's pixels
        return field, _("Each side is a whole number of pixels from 0 to %(max)s.") % {
            "max": format_count(schemas.MAX_OUTPAINT_PIXELS)
        }
    if kind == "string_too_long":
        length = len(str(item.get("input", "")).strip())
        return field, _("At most %(max)s characters; this has %(length)s.") % {
            "max": format_count(item["ctx"]["max_length"]),
            "length": format_count(length),
        }
    if field == "prompt" and kind in ("string_too_short", "missing"):
        return field, _("Describe the image you want.")
    if field == "count":
        return field, _("Choose 1 to %(max)s.") % {"max": schemas.MAX_COUNT}
    if field == "reference_image_ids" and kind == "too_long":
        return field, _("Choose at most %(max)s reference images.") % {"max": schemas.MAX_VIDEO_REFERENCES}
    if field == "seed":
        return field, _("A seed is a whole number from 0 to %(max)s.") % {
            "max": format_count(schemas.MAX_SEED)
        }
    if kind in _NOT_A_CHOICE:
        return field, _("Choose one of the options.")
    if kind.startswith("uuid") or (kind == "missing" and field.endswith("_id")):
        return field, _("Choose one of your images.")
    if field == "image_ids":  # compose: none chosen, or more than any model takes
        return field, _("Choose 1 to %(max)s of your images.") % {"max": schemas.MAX_COMPOSE_IMAGES}
    if kind == "missing":
        return field, _("This is required.")
    return field, sentence(item)
