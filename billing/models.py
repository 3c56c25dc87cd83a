"""Plans, prices, subscriptions, allowances and the two ledgers.

Money is integer ZAR cents and integer USD micro-dollars with the exchange rate stored beside
them (zulip's billing). The allowance counters are guarded by a database CHECK constraint, so
even a bug in the reserve path cannot overspend; the cost ledger is append-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Meter(models.TextChoices):
    IMAGES = "images", _("Images")
    EDITS = "edits", _("Edits")
    UPSCALES = "upscales", _("Upscales")
    VIDEO_SECONDS = "video_seconds", _("Video seconds (no audio)")
    VIDEO_AUDIO_SECONDS = "video_audio_seconds", _("Video seconds with audio")
    TEXT_TOKENS = "text_tokens", _("Assistant and prompt helper tokens")


class Period(models.TextChoices):
    MONTH = "month", _("per calendar month")
    DAY = "day", _("per day")


class PriceClass(models.TextChoices):
    IMAGE = "image", "Image generate or edit, per image"
    UPSCALE_V3 = "upscale_v3", "Upscale V3, per image"
    UPSCALE_V4 = "upscale_v4", "Upscale V4 Ultra, per image"
    VIDEO = "video", "Video without audio, per second"
    VIDEO_AUDIO = "video_audio", "Video with audio, per second"
    POLLINATIONS = "pollinations", "Pollinations preview, per image"
    TEXT = "text", "Text model (assistant, prompt helper), per token"


class UpscaleModel(models.TextChoices):
    V3 = "v3", "V3"
    V4 = "v4", "V4 Ultra"


class Plan(models.Model):
    """A tier. Rows are created by a migration and edited by staff in the admin."""

    code = models.CharField(max_length=16, unique=True, help_text="FREE, JIVE or JIGGA")
    name = models.CharField(max_length=64)
    price_cents = models.PositiveIntegerField(help_text="Monthly price in ZAR cents")
    rank = models.PositiveSmallIntegerField(default=0, help_text="Order of plans, cheapest first")
    upscale_models = models.JSONField(
        default=list, blank=True, help_text='Allowed upscale models, e.g. ["v3", "v4"]'
    )
    video_resolutions = models.JSONField(
        default=list,
        blank=True,
        help_text='Video resolutions the plan may use, e.g. ["720p", "1080p", "4k"]',
    )
    watermark_output = models.BooleanField(default=False, help_text="Outputs carry a visible watermark")
    edit_demo_only = models.BooleanField(
        default=False, help_text="Edit is a demo: painting works, applying does not"
    )
    video_samples_only = models.BooleanField(
        default=False, help_text="Video Studio shows the sample gallery only"
    )
    is_default = models.BooleanField(default=False, help_text="New users start on this plan")

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.code

    def allowance_for(self, meter: str) -> PlanAllowance | None:
        return next((a for a in self.allowances.all() if a.meter == meter), None)


class PlanAllowance(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="allowances")
    meter = models.CharField(max_length=24, choices=Meter.choices)
    units = models.PositiveIntegerField()
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.MONTH)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "meter"], name="uniq_plan_meter")]
        ordering = ["plan__rank", "meter"]

    def __str__(self) -> str:
        return f"{self.plan.code} {self.meter}: {self.units} {self.get_period_display()}"


class Price(models.Model):
    """The USD list price of one unit of a price class."""

    price_class = models.CharField(max_length=24, choices=PriceClass.choices, unique=True)
    usd_micros = models.PositiveIntegerField(help_text="USD per unit in micro-dollars (0.04 USD = 40000)")

    class Meta:
        ordering = ["price_class"]

    def __str__(self) -> str:
        from billing.pricing import format_usd

        return f"{self.price_class}: {format_usd(self.usd_micros)}"


class PriceUnit(models.TextChoices):
    IMAGE = "image", "per image"
    SECOND = "second", "per second of video"
    MILLION_TOKENS = "mtok", "per million tokens"


class ModelPrice(models.Model):
    """Google's USD list price of one unit from one model in one variant: what quotes,
    reservations and the cost ledger charge. Rows are seeded by migrations and edited by staff
    in the admin; an edit applies to new quotes and charges, never to ledger rows already written.

    The variant is what changes the price for that model, written as pricing.variant() makes it:
    an image size ("1K", "4K"), "upscale", or a video resolution with "+audio" ("1080p+audio").
    Standard, Fast and Lite are separate model ids, so they are separate rows. A text model has
    two rows, "input" and "output", per million tokens (output includes thinking), as Google
    prices them.
    """

    model = models.CharField(max_length=64, help_text="The model id, e.g. gemini-3.1-flash-image")
    variant = models.CharField(
        max_length=32,
        blank=True,
        help_text='Image size ("1K"), "upscale", or video resolution, "+audio" with sound ("1080p+audio")',
    )
    unit = models.CharField(max_length=8, choices=PriceUnit.choices)
    usd_micros = models.PositiveIntegerField(help_text="USD per unit in micro-dollars (0.04 USD = 40000)")
    source = models.CharField(max_length=300, help_text="Where the figure comes from (a URL, or the seed)")
    as_of = models.DateField(help_text="When the source said so")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model", "variant"]
        constraints = [models.UniqueConstraint(fields=["model", "variant"], name="uniq_model_price")]

    def __str__(self) -> str:
        from billing.pricing import format_usd

        return f"{self.model} {self.variant or '-'}: {format_usd(self.usd_micros)} {self.get_unit_display()}"


class Subscription(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscription"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    # What happens next, and when: a paid plan lapses to FREE at its period's end unless a renewal
    # moves this on; a cancel, a failed payment or a downgrade is scheduled here. plan_for()
    # applies it, through change_tier, on the first look at the user's plan after `change_at`.
    change_at = models.DateTimeField(null=True, blank=True)
    change_to = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    change_reason = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} on {self.plan}"


class PayFastSubscription(models.Model):
    """One PayFast recurring subscription (billing/payfast.py): made PENDING when the user goes to
    checkout, ACTIVE from its first verified payment, then CANCELLED, FAILED or REPLACED (by an
    upgrade). Found again by `m_payment_id`, never by what the notification claims about a user."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for payment")
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Payment failed")
        REPLACED = "replaced", _("Replaced by an upgrade")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payfast_subscriptions"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    m_payment_id = models.CharField(max_length=100, unique=True)
    amount_cents = models.PositiveIntegerField(help_text="The monthly amount PayFast charges, ZAR cents")
    token = models.CharField(
        max_length=64, blank=True, help_text="PayFast's subscription token (from the ITN)"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    paid_until = models.DateTimeField(null=True, blank=True, help_text="The end of the paid period")
    change_to = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
        help_text="A downgrade that takes effect at the next renewal",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "PayFast subscription"

    def __str__(self) -> str:
        return f"{self.m_payment_id} {self.plan} ({self.status})"


class PayFastNotification(models.Model):
    """Every ITN PayFast (or anyone) posted to the notify URL, stored before it is checked, with what
    became of it. At most one APPLIED row per pf_payment_id: a replay changes nothing."""

    class Outcome(models.TextChoices):
        RECEIVED = "received", "Received"
        APPLIED = "applied", "Applied"
        IGNORED = "ignored", "Ignored"
        DUPLICATE = "duplicate", "Duplicate"
        REJECTED = "rejected", "Rejected"

    received_at = models.DateTimeField(auto_now_add=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    body = models.TextField()
    pf_payment_id = models.CharField(max_length=64, blank=True, db_index=True)
    payment_status = models.CharField(max_length=32, blank=True)
    subscription = models.ForeignKey(
        PayFastSubscription, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.RECEIVED)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pf_payment_id"], condition=Q(outcome="applied"), name="uniq_applied_pf_payment"
            )
        ]

    def __str__(self) -> str:
        return f"ITN {self.pf_payment_id or '?'} {self.payment_status} ({self.outcome})"


class TierChange(models.Model):
    """Audit trail of plan changes made by staff (or by the system for new users)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tier_changes")
    from_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    to_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user}: {self.from_plan} → {self.to_plan}"


class Allowance(models.Model):
    """One user's counter for one meter in one period.

    `entitled` is the plan's units plus grants for the period. `limit` is what reserve() checks
    against: normally equal to `entitled`, it stays at used + reserved after a downgrade below
    usage (so the CHECK holds and nothing remains) and shrinks back as units are returned.
    reserved + used never exceeds `limit`: reserve() uses a conditional UPDATE, and the CHECK
    constraint is the backstop.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="allowances")
    meter = models.CharField(max_length=24, choices=Meter.choices)
    period = models.CharField(max_length=8, choices=Period.choices)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    entitled = models.PositiveIntegerField(help_text="Plan units plus grants for this period")
    limit = models.PositiveIntegerField()
    used = models.PositiveIntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "meter", "period_start"], name="uniq_allowance_period"),
            models.CheckConstraint(
                condition=Q(used__gte=0) & Q(reserved__gte=0) & Q(limit__gte=F("used") + F("reserved")),
                name="allowance_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.user} {self.meter} {self.period_start:%Y-%m-%d}: {self.used}+{self.reserved}/{self.limit}"
        )

    @property
    def remaining(self) -> int:
        return self.limit - self.used - self.reserved


class Reservation(models.Model):
    class State(models.TextChoices):
        RESERVED = "reserved"
        COMMITTED = "committed"
        RELEASED = "released"

    reference = models.CharField(max_length=64, unique=True, help_text="The job's reference; one per job")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reservations")
    allowance = models.ForeignKey(Allowance, on_delete=models.PROTECT, related_name="reservations")
    meter = models.CharField(max_length=24, choices=Meter.choices)
    units = models.PositiveIntegerField()
    used_units = models.PositiveIntegerField(null=True, blank=True, help_text="Units charged at commit")
    state = models.CharField(max_length=12, choices=State.choices, default=State.RESERVED)
    release_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.reference} {self.meter}×{self.units} ({self.state})"


class Grant(models.Model):
    """Extra units of a meter for one user's current period, given by staff with a reason."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grants")
    meter = models.CharField(max_length=24, choices=Meter.choices)
    units = models.PositiveIntegerField()
    period_start = models.DateTimeField(help_text="The period the grant applies to")
    reason = models.TextField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(units__gt=0), name="grant_units_positive")]

    def __str__(self) -> str:
        return f"+{self.units} {self.meter} for {self.user}"


class CostEntryQuerySet(models.QuerySet):
    def in_range(self, start, end):
        return self.filter(created_at__gte=start, created_at__lt=end)


class CostEntry(models.Model):
    """Append-only cost ledger. A correction is a new row with kind=correction, never an update."""

    class Kind(models.TextChoices):
        CHARGE = "charge"
        CORRECTION = "correction"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cost_entries")
    tier = models.CharField(max_length=16, db_index=True, help_text="The user's plan code when charged")
    operation = models.CharField(max_length=32, db_index=True)
    model = models.CharField(max_length=64)
    price_class = models.CharField(max_length=24, choices=PriceClass.choices)
    # The model price row's variant this entry was charged at (blank on rows from before 0003).
    variant = models.CharField(max_length=32, blank=True)
    units = models.IntegerField()
    usd_micros = models.BigIntegerField()
    zar_cents = models.BigIntegerField()
    rate = models.DecimalField(max_digits=10, decimal_places=4, help_text="USD→ZAR rate used")
    reference = models.CharField(max_length=64)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CHARGE)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    objects = CostEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "cost entries"
        indexes = [
            # A period's report or chart reads this index, not the table (issue 17: a month is a
            # third of a million rows): it holds every column billing.reports groups or sums and
            # the admin filters by. PostgreSQL only (INCLUDE); SQLite gets a plain created_at index.
            models.Index(
                fields=["created_at"],
                include=[
                    "user",
                    "tier",
                    "operation",
                    "model",
                    "variant",
                    "price_class",
                    "kind",
                    "units",
                    "usd_micros",
                    "zar_cents",
                ],
                name="costentry_created_covering",
            ),
            # The admin's search for a job's reference (a charge and any correction of it).
            models.Index(fields=["reference"], name="costentry_reference"),
        ]
        constraints = [
            # A double charge is impossible, not merely unlikely.
            models.UniqueConstraint(
                fields=["reference", "kind"], condition=Q(kind="charge"), name="uniq_charge_per_reference"
            ),
        ]

    def __str__(self) -> str:
        from billing.pricing import format_zar

        return f"{self.reference} {self.operation} {format_zar(self.zar_cents)}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("The cost ledger is append-only: add a correction instead of updating a row")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The cost ledger is append-only")
