"""What an operation declares, in one place: the shape every module in studio/operations/ fills in.

The web side (studio/jobs.py), the worker (studio/worker.py), the API, the LLM tools, the slash
commands and the pages ask an operation for what differs between operations and keep no
`if operation == ...` of their own; see the README's "Adding an operation".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from pydantic import BaseModel

from studio import providers

# The size an image operation without a size choice makes (edit, whose output follows its input),
# and so the variant its price row has.
IMAGE_SIZE = "1K"


@dataclass(frozen=True)
class JobPlan:
    """What the tier gate decided for one request: which provider capability serves it, which
    allowance meter pays, how many units, at which price class, watermarked or not. (Not
    billing.Plan, which is the user's subscription.)"""

    capability: providers.Operation
    meter: str
    units: int
    price_class: str
    watermark: bool = False


@dataclass(frozen=True)
class Flag:
    """One flag of a slash command. The first name is the one /help and the messages use."""

    names: tuple[str, ...]
    field: str  # the schema field it sets
    help: str | Promise
    # value: the next word; words: the words up to the next flag; list: those words (or
    # comma-separated values) as a list; switch: no value (sets True)
    kind: Literal["value", "words", "list", "switch"] = "value"

    @property
    def name(self) -> str:
        return self.names[0]


@dataclass(frozen=True)
class SlashCommand:
    """How an operation is typed in the command box: `/<name> <prompt> [flags]` (studio/slash.py)."""

    name: str
    summary: str | Promise
    example: str
    flags: tuple[Flag, ...]


class Operation:
    """One thing a user can ask the studio to make. Subclasses set the class attributes and
    override the methods their operation needs; the defaults fit a one-shot image operation."""

    # --- What it is -------------------------------------------------------------------------
    name: ClassVar[str]  # the stored MediaJob.operation and the API/tool name
    label: ClassVar[str | Promise]  # "Generate image": the admin, the gallery's "Made with"
    schema: ClassVar[type[BaseModel]]  # validates every channel's request (studio/schemas.py)
    output_kind: ClassVar[Literal["image", "video"]] = "image"  # what its assets are
    # A Veo-style render that finishes later: the worker starts it and the poller delivers it.
    long_running: ClassVar[bool] = False
    # Request fields that name one of the user's images (or a list of them); submit checks they
    # are the user's own.
    image_fields: ClassVar[tuple[str, ...]] = ()
    # The same for the user's videos (extend_video's video_id).
    video_fields: ClassVar[tuple[str, ...]] = ()
    # Request fields kept as files on the job (MediaJob.mask), never in its params.
    file_fields: ClassVar[frozenset[str]] = frozenset()
    # Its output is the parent image at a larger size (an upscale): the parent's thumbnail is the
    # output's, so the worker does not decode a 4096² file to make it again.
    output_looks_like_parent: ClassVar[bool] = False

    # --- The words users see ----------------------------------------------------------------
    nouns: ClassVar[tuple[str | Promise, str | Promise]]  # what a toast calls its output: (one, several)
    typical_seconds: ClassVar[int]  # the progress hint's idea of how long a job takes
    tool_description: ClassVar[str]  # the LLM tool's description (studio/tools.py adds the answer)
    # Fields the schema accepts that an LLM cannot fill (the painted mask): left out of the tool.
    tool_hidden_fields: ClassVar[frozenset[str]] = frozenset()
    slash_command: ClassVar[SlashCommand | None] = None

    # --- The JSON API (studio/api/media.py makes one submit endpoint per operation) -------------
    api_path: ClassVar[str]  # POST /api/v1/media<api_path>, e.g. "/images/generate"
    api_summary: ClassVar[str]  # the OpenAPI summary
    api_description: ClassVar[str]  # the OpenAPI description
    # Refusals beyond those every submit has (studio/api/errors.py SUBMIT), e.g. another user's image.
    api_error_codes: ClassVar[tuple[str, ...]] = ()

    # --- Price, meter and the tier gate -----------------------------------------------------
    # The request fields that change the meter, the price class or the gate, with their
    # defaults: quote() takes them as keywords, so a page prices an option without a request.
    price_choices: ClassVar[dict[str, Any]] = {}

    def choices_of(self, params: BaseModel) -> dict[str, Any]:
        return {field: getattr(params, field) for field in self.price_choices}

    def choices(self, given: dict[str, Any]) -> dict[str, Any]:
        unknown = set(given) - set(self.price_choices)
        if unknown:
            raise TypeError(f"{self.name} is not priced by {', '.join(sorted(unknown))}")
        return {**self.price_choices, **given}

    def price_variant(self, **choices) -> str:
        """The variant of the model's price row (billing.ModelPrice) that prices this request:
        an image size, "upscale", or a video resolution with "+audio". The model is the one the
        capability resolves to (operations.quote)."""
        return IMAGE_SIZE

    def price_variant_of_job(self, job) -> str:
        """The same, from a stored job's params (the worker's charge)."""
        stored = {field: job.params[field] for field in self.price_choices if field in job.params}
        return self.price_variant(**self.choices(stored))

    def units(self, params: BaseModel) -> int:
        """The units a request reserves (images, upscales, seconds of video)."""
        return getattr(params, "count", 1)

    def meter(self, **choices) -> str:
        """The allowance meter that pays (billing.Meter)."""
        raise NotImplementedError

    def admit(self, plan, units: int, **choices) -> JobPlan:
        """The tier gate for `plan` (billing.Plan): the JobPlan, or StudioError(upgrade_required)
        when the plan does not offer this at all."""
        raise NotImplementedError

    # --- Submit ------------------------------------------------------------------------------
    def check_model(self, model, fields: dict[str, Any]) -> None:
        """Refuse with a StudioError what the model that would serve the request cannot do
        (`model`: the catalog's ModelInfo; `fields`: the request's, or a quote's choices). Asked
        by the quote and by submit, before anything is reserved."""

    def check_inputs(self, params: Any, images: dict) -> dict[str, bytes]:
        """Checks beyond the schema's that need the user's images and videos ({field: MediaAsset,
        or a list of them for a list field}); raises
        StudioError. Returns the files to keep on the job ({"mask": png}), usually none."""
        return {}

    def idempotency_ttl_minutes(self) -> int:
        return settings.IDEMPOTENCY_IMAGE_TTL_MINUTES

    # --- The worker --------------------------------------------------------------------------
    def call_provider(self, job) -> tuple[providers.ImageResult, Any]:
        """A one-shot operation's provider call, built from the stored job (its validated params
        and files): (the result, the image it was made from or None)."""
        raise NotImplementedError

    def video_request(self, job) -> providers.VideoRequest:
        """A long-running operation's render request (the model is the job's capability's)."""
        raise NotImplementedError

    def expected_outputs(self, job) -> int:
        return job.params.get("count", 1)

    def delivered_units(self, job, outputs: int) -> int:
        """The units charged for `outputs` stored results (the rest of the reservation goes back)."""
        return outputs

    # --- Words for one job or request --------------------------------------------------------
    def started_message(self, params: BaseModel, answer: dict) -> str:
        """ "Started generating 2 images": the LLM tool's answer, before the cost and the link."""
        raise NotImplementedError

    def refusal_hint(self, details: list[dict]) -> str:
        """A sentence the LLM tool adds to a validation refusal (how to do it another way), chosen
        by the problems' fields and types (studio/messages.py validation_details)."""
        return ""

    def alt_text(self, params: dict) -> str:
        """Words for one of its images when the job had no prompt (the gallery's alt text)."""
        return _("Image")

    def settings_rows(self, params: dict, made_types: Collection[str] = ()) -> list[tuple[str, str]]:
        """The gallery's rows for what made an image, besides the shared ones (style, ratio, ...).
        `made_types`: the MIME types of the files the job made, for rows that name a file type
        (what was stored can differ from what was asked)."""
        return []

    def summary(self, params: dict) -> str:
        """What was started, in a few words: "2 images · 16:9 · Cinematic" (the command box)."""
        count = params.get("count", 1)
        return f"{count} {self.nouns[0] if count == 1 else self.nouns[1]}"
