"""Jobs, the media they produce, idempotency records and API tokens.

A MediaJob is a state machine: queued → running → (video: waiting on Google's
long-running operation) → succeeded | failed | cancelled. Every transition is a conditional
UPDATE on the current state, so two processes can never both move the same job: a task that
django-q2 delivers twice, or a sweeper racing a slow worker, finds the row already moved and
does nothing. The billing app knows a job only by its reservation reference.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mediastudio.sql import ComposedQuery

_MARKER_OWNER = -1  # the values user_job_columns's query is composed with (no row has them)
_MARKER_JOB = uuid.UUID(int=0)


@functools.cache
def _in_model_order(fields: tuple[str, ...]) -> tuple[str, ...]:
    """`fields` as MediaJob's column attributes, in the model's field order (what from_db takes)."""
    ordered = tuple(
        f.attname for f in MediaJob._meta.concrete_fields if f.attname in fields or f.name in fields
    )
    if len(ordered) != len(fields):
        raise ValueError(f"not MediaJob's fields: {sorted(set(fields) - set(ordered))}")
    return ordered


@functools.cache
def _user_job_query(fields: tuple[str, ...], operation_count: int, vendor: str) -> ComposedQuery:
    """MediaJobQuerySet.user_job_columns's SELECT of `fields` in the model's field order, composed
    once per shape and database kind (`vendor`)."""
    markers = [f"\x00operation {n}" for n in range(operation_count)]
    rows = (
        MediaJob.objects.filter(owner_id=_MARKER_OWNER)
        .filter(pk=_MARKER_JOB)
        .filter(operation__in=markers)
        .values_list(*fields)
    )
    job = MediaJob._meta.pk
    assert job is not None
    return ComposedQuery.of(
        rows, markers=(_MARKER_OWNER, job.get_db_prep_value(_MARKER_JOB, connection), *markers)
    )


class MediaJobQuerySet(models.QuerySet):
    def for_user(self, user) -> MediaJobQuerySet:
        return self.filter(owner=user)

    def user_job_columns(
        self, user, job_id, operations: Sequence[str], fields: tuple[str, ...]
    ) -> MediaJob | None:
        """The user's job `job_id` if its operation is one of `operations`, loaded with only
        `fields` (the others deferred); None when there is no such job.

        A status poll is the API's most frequent request, and composing this query with the ORM
        each time cost twice what running it does (issue 17: 1.2 ms against 0.5 ms); the SQL is
        composed once per shape (and raw() cost as much again as running it) and the row becomes
        a MediaJob as the ORM makes one (from_db, the fields' database conversions applied)."""
        if not operations:
            return None
        ordered = _in_model_order(fields)
        pk = MediaJob._meta.pk
        assert pk is not None
        found = _user_job_query(ordered, len(operations), connection.vendor).rows(
            [user.pk, pk.get_db_prep_value(job_id, connection), *operations]
        )
        return MediaJob.from_db(connection.alias, list(ordered), found[0]) if found else None

    def active(self) -> MediaJobQuerySet:
        return self.filter(state__in=MediaJob.ACTIVE_STATES)

    def for_tray(self, since) -> MediaJobQuerySet:
        """What the jobs tray shows: jobs created since `since` that are running, or that
        finished (succeeded or failed) and have not been announced yet."""
        return self.filter(created_at__gte=since).filter(
            Q(state__in=MediaJob.ACTIVE_STATES)
            | Q(state__in=MediaJob.ANNOUNCED_STATES, announced_at__isnull=True)
        )


def _operation_choices() -> list[tuple[str, str | Promise]]:
    from studio import operations  # its modules import this one

    return operations.choices()


class MediaJob(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        WAITING = "waiting", _("Rendering")  # a Veo operation is running at Google
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE_STATES = (State.QUEUED, State.RUNNING, State.WAITING)
    FINAL_STATES = (State.SUCCEEDED, State.FAILED, State.CANCELLED)
    # Finished jobs the user is told about (a cancelled job was the user's own doing).
    ANNOUNCED_STATES = (State.SUCCEEDED, State.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media_jobs")
    # The registry's names (studio/operations/): a new operation needs no migration here.
    operation = models.CharField(max_length=24, choices=_operation_choices)
    params = models.JSONField(help_text="The validated request (studio/schemas.py)")
    # What the tier gate chose (studio/operations/): the provider capability that serves the
    # job (e.g. image_preview for FREE), the model behind it, and the meter and price class the
    # allowance and the ledger use.
    capability = models.CharField(max_length=24, help_text="The provider capability that serves the job")
    model = models.CharField(max_length=64)
    meter = models.CharField(max_length=24)
    price_class = models.CharField(max_length=24)
    units = models.PositiveIntegerField(help_text="Units reserved (images or seconds)")
    watermark = models.BooleanField(default=False, help_text="Bake the visible watermark into outputs")
    reservation_reference = models.CharField(max_length=64, unique=True)
    quote_zar_cents = models.PositiveIntegerField()
    quote_usd_micros = models.PositiveBigIntegerField()
    mask = models.FileField(upload_to="masks/%Y/%m/", blank=True)

    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED, db_index=True)
    provider_job_name = models.CharField(
        max_length=255, blank=True, help_text="Veo's long-running operation; polling needs only this"
    )
    provider_call_started_at = models.DateTimeField(
        null=True, blank=True, help_text="Set just before a paid provider call is sent (intent, for recovery)"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=500, blank=True, help_text="What the user reads")
    error_detail = models.TextField(
        blank=True, help_text="The provider's raw answer, for staff and logs; never shown to the user"
    )
    delivered_units = models.PositiveIntegerField(default=0)
    filtered_count = models.PositiveSmallIntegerField(default=0)
    seed_applied = models.BooleanField(
        null=True,
        blank=True,
        help_text="True when the model honoured the job's seed; the viewer shows a seed only then",
    )
    cost_zar_cents = models.PositiveIntegerField(null=True, blank=True)
    cost_usd_micros = models.PositiveBigIntegerField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A running job whose lease has passed belongs to a dead worker: the sweeper fails it.
    lease_until = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True, help_text="Video: give up polling after this")
    announced_at = models.DateTimeField(
        null=True, blank=True, help_text="When the user was told it finished (a toast, or its progress view)"
    )

    objects = MediaJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="job_owner_recent")]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} {self.id} ({self.state})"

    @property
    def output_kind(self) -> str:
        """What its assets are, "image" or "video" (MediaAsset.Kind), as its operation says."""
        from studio import operations

        return operations.for_job(self).output_kind

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES

    def move(self, from_states, to_state: str, **fields) -> bool:
        """Move this job from one of `from_states` to `to_state` if nobody else has; True if we did.

        The one way a job changes state. Updates the instance too when the move wins.
        """
        if isinstance(from_states, str):
            from_states = (from_states,)
        moved = MediaJob.objects.filter(pk=self.pk, state__in=from_states).update(state=to_state, **fields)
        if moved:
            self.state = to_state
            for name, value in fields.items():
                if not hasattr(value, "resolve_expression"):
                    setattr(self, name, value)
        return bool(moved)

    def announce(self) -> bool:
        """Mark the finished job as announced to its owner; True for the one caller that did.

        A conditional UPDATE, so two tabs polling at once cannot both show the toast.
        """
        now = timezone.now()
        done = MediaJob.objects.filter(pk=self.pk, announced_at__isnull=True).update(announced_at=now)
        if done:
            self.announced_at = now
        return bool(done)


class MediaAssetQuerySet(models.QuerySet):
    def for_user(self, user) -> MediaAssetQuerySet:
        return self.filter(owner=user)

    def images(self) -> MediaAssetQuerySet:
        return self.filter(kind=MediaAsset.Kind.IMAGE)

    def videos(self) -> MediaAssetQuerySet:
        return self.filter(kind=MediaAsset.Kind.VIDEO)


def _asset_path(asset: MediaAsset, filename: str) -> str:
    return f"assets/{asset.owner_id}/{asset.id}/{filename}"


class MediaAsset(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")

    class Origin(models.TextChoices):
        GENERATED = "generated", _("Generated")
        UPLOADED = "uploaded", _("Uploaded")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media_assets")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.GENERATED)
    file = models.FileField(upload_to=_asset_path, max_length=255)
    thumbnail = models.FileField(
        upload_to=_asset_path, max_length=255, blank=True, help_text="Image thumbnail or video poster"
    )
    mime_type = models.CharField(max_length=32)
    bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(
        max_length=64,
        blank=True,
        default="",
        editable=False,
        help_text="Hex SHA-256 of the file, set when the asset is stored: finds a re-sent upload "
        "without reading any file back (empty only where the file was missing when it was filled in)",
    )
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    has_audio = models.BooleanField(default=False)
    synthid = models.BooleanField(default=False, help_text="Carries Google's invisible SynthID watermark")
    watermarked = models.BooleanField(default=False, help_text="Carries the visible FREE-tier watermark")
    source_job = models.ForeignKey(
        MediaJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="assets"
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="derived",
        help_text="The image this one was edited, upscaled or animated from",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = MediaAssetQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "kind", "-created_at"], name="asset_owner_kind_recent"),
            # save_upload's "the same picture, uploaded again" lookup (studio/assets.py).
            models.Index(fields=["owner", "sha256"], name="asset_owner_sha256"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class IdempotencyRecord(models.Model):
    """One Idempotency-Key per user: the request's fingerprint and, once done, its answer.

    Durable and shared by every web process: the unique constraint is
    the claim, so concurrent duplicates cannot both run.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.UUIDField()
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # Text, not JSONField: PostgreSQL's jsonb reorders keys, and a replay must be byte-identical.
    response_body = models.TextField(blank=True)
    locked_until = models.DateTimeField(help_text="An in-progress claim older than this was abandoned")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_idempotency_user_key")]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the secret is shown once."""

    PREFIX = "ms_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False, help_text="The token's first characters")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(token_hash=""), name="api_token_hash_present"),
        ]

    def __str__(self) -> str:
        return f"{self.hint}… ({self.user})"

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name: str = "") -> tuple[ApiToken, str]:
        """Create a token; returns it with the secret, which is never stored or shown again."""
        secret = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, token_hash=cls.hash(secret), hint=secret[:10])
        return token, secret

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WorkerLease(models.Model):
    """A named lease shared by every worker process: the video poller, and the heartbeat.

    The django-q2 cluster writes `heartbeat` each time the sweeper runs, so /health can tell a
    living cluster from a dead one whatever the broker.
    """

    name = models.CharField(max_length=32, primary_key=True)
    holder = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField()
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def try_take(cls, name: str, holder: str, seconds: float) -> bool:
        """Take the lease if it is free or expired; True when this holder now has it."""
        now = timezone.now()
        until = now + timedelta(seconds=seconds)
        cls.objects.get_or_create(name=name, defaults={"expires_at": now - timedelta(seconds=1)})
        return bool(
            cls.objects.filter(name=name)
            .filter(Q(expires_at__lt=now) | Q(holder=holder))
            .update(holder=holder, expires_at=until, updated_at=now)
        )

    @classmethod
    def give_up(cls, name: str, holder: str) -> None:
        cls.objects.filter(name=name, holder=holder).update(expires_at=timezone.now(), holder="")


class AddressWindow(models.Model):
    """How many times one client address did one thing (sign up, ask for a password reset) in
    the current window. One row per (action, address); studio/limits.py claims a slot with a
    conditional UPDATE, so racing requests from any number of processes never pass the cap."""

    class Action(models.TextChoices):
        SIGNUP = "signup", "Sign-up"
        PASSWORD_RESET = "password_reset", "Password reset"

    action = models.CharField(max_length=16, choices=Action.choices)
    address = models.CharField(max_length=64, help_text="An IPv4 address or an IPv6 /64 network")
    window_start = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "address"], name="one_window_per_address")]

    def __str__(self) -> str:
        return f"{self.action} from {self.address}: {self.count}"


# --- The prompt helper and the assistant (README "Assistant and prompt helper") --------------


class PromptRewrite(models.Model):
    """One prompt helper call: the prompt, what the text model made of it, and the tokens it
    cost. (owner, key) is the form's one-time key, so a second click of the same button shows
    the same answer and charges nothing more."""

    class Action(models.TextChoices):
        IMPROVE = "improve", _("Improve")
        TRANSLATE = "translate", _("To English")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.UUIDField()
    action = models.CharField(max_length=12, choices=Action.choices)
    source = models.TextField()
    result = models.TextField()
    tokens = models.PositiveIntegerField(default=0)
    cost_zar_cents = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="one_rewrite_per_key")]

    def __str__(self) -> str:
        return f"{self.action}: {self.source[:40]}"


class ConversationQuerySet(models.QuerySet):
    def for_user(self, user) -> ConversationQuerySet:
        return self.filter(owner=user)


class Conversation(models.Model):
    """A user's chat with the assistant; its messages are the model's history."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.owner} {self.created_at:%Y-%m-%d %H:%M}"


class AssistantMessage(models.Model):
    """One turn: what the user wrote, or what the model answered (its text, and as `content` the
    turn exactly as the model sent it, thought signatures included, to send back next time)."""

    class Role(models.TextChoices):
        USER = "user", _("You")
        MODEL = "model", _("Assistant")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=8, choices=Role.choices)
    text = models.TextField(blank=True)
    content = models.JSONField(help_text="The turn in the Gemini wire form")
    tokens = models.PositiveIntegerField(default=0, help_text="Tokens the model's call cost")
    cost_zar_cents = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:40]}"


class AssistantToolCall(models.Model):
    """A function the model asked to call. It runs at once when it costs at most
    ASSISTANT_CONFIRM_ABOVE_ZAR, otherwise it waits for the user's yes or no. `answer` is what
    the model is told (studio/tools.py's call answer), `job` what it started."""

    class State(models.TextChoices):
        AWAITING = "awaiting", _("Waiting for your go-ahead")
        DECLINED = "declined", _("Not run")
        STARTED = "started", _("Started")
        REFUSED = "refused", _("Refused")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(AssistantMessage, on_delete=models.CASCADE, related_name="tool_calls")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=64)
    arguments = models.JSONField(default=dict)
    quote_zar_cents = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices)
    answer = models.JSONField(null=True, blank=True)
    job = models.ForeignKey(MediaJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["message_id", "position"]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"

    def decide(self, state: str) -> bool:
        """Move an awaiting call to `state`, once: two clicks (or tabs) cannot both run it."""
        moved = AssistantToolCall.objects.filter(pk=self.pk, state=self.State.AWAITING).update(state=state)
        if moved:
            self.state = state
        return bool(moved)


class Profile(models.Model):
    """A user's own settings: today the language they chose in the header's switcher."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    # One of settings.LANGUAGES' codes; blank = none chosen (the browser's Accept-Language decides).
    language = models.CharField(max_length=10, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.user} ({self.language or 'browser'})"
