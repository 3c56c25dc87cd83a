"""Staff admin for the studio: API tokens (list and revoke), and read-only views of jobs, media,
idempotency records and worker leases.

Jobs and media are written by studio/jobs.py and studio/worker.py, never by hand: adding a job
here would skip the tier gate and the reservation, deleting one would orphan its reservation in
the billing ledger. Files
are never linked to their storage URL (Django's default for a FileField): media is served only
through studio.serving's owner or signed URLs.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from billing import pricing
from billing.admin import PlanAdmin, ReadOnlyAdmin
from billing.models import Plan
from studio import errors, providers
from studio.auth import known_tokens
from studio.models import ApiToken, IdempotencyRecord, MediaAsset, MediaJob, WorkerLease


def _pretty_json(value) -> str:
    if value is None:
        return "—"
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


def _thumbnail_url(asset: MediaAsset) -> str | None:
    """A signed link to the thumbnail, or None while studio.serving is not there."""
    if not asset.thumbnail:
        return None
    try:
        from studio.serving import media_url
    except ImportError:
        return None
    return media_url(asset, "thumbnail")


# --- API tokens ----------------------------------------------------------------------------


class TokenStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are listed and revoked here, and issued by `manage.py create_api_token`.

    No add form: the secret must be shown exactly once, and here it would travel in a flash message
    (by default a signed but readable cookie) to a staff member who should not hold a user's secret
    at all. Revoking is one-way: revoked_at is read-only, and there is no delete, so a revoked
    token keeps its history (last use, who revoked it in the LogEntry trail).
    """

    list_display = ["token", "user", "name", "created_at", "last_used_at", "status", "revoked_at"]
    list_filter = [TokenStatusFilter, "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "hint", "name"]
    fields = ["user", "name", "hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "hint", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_tokens"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Token", ordering="hint")
    def token(self, api_token: ApiToken) -> str:
        return f"{api_token.hint}…"

    @admin.display(description="Status", ordering="revoked_at")
    def status(self, api_token: ApiToken) -> str:
        if api_token.revoked_at is not None:
            return "Revoked"
        if not api_token.user.is_active:
            return "User deactivated"
        return "Active"

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_tokens(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        revoked = ApiToken.objects.filter(pk__in=[t.pk for t in tokens], revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        for api_token in tokens:
            known_tokens.forget(api_token.token_hash)  # this process at once; others within the bound
            self.log_change(request, api_token, "Revoked the token.")
        if revoked:
            self.message_user(request, f"Revoked {revoked} token{'s' if revoked != 1 else ''}.")
        else:
            self.message_user(request, "The selected tokens were already revoked.", messages.WARNING)


# --- Jobs ----------------------------------------------------------------------------------


JOB_ASSET_FIELDS = ("kind", "dimensions", "size", "synthid", "watermarked", "created_at")


class JobAssetInline(admin.TabularInline):
    model = MediaAsset
    fk_name = "source_job"
    fields = JOB_ASSET_FIELDS
    readonly_fields = JOB_ASSET_FIELDS
    extra = 0
    show_change_link = True
    verbose_name_plural = "Outputs"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Dimensions")
    def dimensions(self, asset: MediaAsset) -> str:
        return _dimensions(asset)

    @admin.display(description="Size")
    def size(self, asset: MediaAsset) -> str:
        return filesizeformat(asset.bytes)


class ErrorCodeFilter(admin.SimpleListFilter):
    """The failure codes from studio/errors.py: a fixed list, so no DISTINCT over every job."""

    title = "error"
    parameter_name = "error_code"

    def lookups(self, request, model_admin):
        return [(code, code) for code in errors.USER_MESSAGES]

    def queryset(self, request, queryset):
        return queryset.filter(error_code=self.value()) if self.value() else queryset


@admin.register(MediaJob)
class MediaJobAdmin(ReadOnlyAdmin):
    list_display = [
        "short_id",
        "owner",
        "operation",
        "state",
        "model",
        "units",
        "cost",
        "created_at",
        "error_code",
    ]
    list_filter = ["state", "operation", "model", "watermark", ErrorCodeFilter]
    list_select_related = ["owner"]
    search_fields = ["owner__username", "id", "error_code", "reservation_reference"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # no COUNT(*) over every job on each page view
    inlines = [JobAssetInline]
    fieldsets = [
        (
            "Request",
            {
                "fields": [
                    "id",
                    "owner",
                    "operation",
                    "capability",
                    "model",
                    "watermark",
                    "params_json",
                    "mask_file",
                ]
            },
        ),
        (
            "State",
            {
                "fields": [
                    "state",
                    "attempts",
                    "provider_job_name",
                    "delivered_units",
                    "filtered_count",
                ]
            },
        ),
        (
            # What the user read, and beside it what the provider really said: the detail is for
            # staff only (GCP resource paths, IAM permissions, our balance, the setting to change).
            "Error",
            {"fields": ["error_code", "error_message", "error_detail_text"]},
        ),
        ("Money", {"fields": ["meter", "price_class", "units", "quote", "cost", "reservation"]}),
        (
            "Timings",
            {
                "fields": [
                    "created_at",
                    "started_at",
                    "finished_at",
                    "took",
                    "lease_until",
                    "next_poll_at",
                    "deadline_at",
                ]
            },
        ),
    ]
    readonly_fields = [
        "params_json",
        "mask_file",
        "quote",
        "cost",
        "reservation",
        "took",
        "error_detail_text",
    ]

    @admin.display(description="Job", ordering="id")
    def short_id(self, job: MediaJob) -> str:
        return str(job.id)[:8]

    @admin.display(description="Cost (ZAR)", ordering="cost_zar_cents")
    def cost(self, job: MediaJob) -> str:
        return "—" if job.cost_zar_cents is None else pricing.format_zar(job.cost_zar_cents)

    @admin.display(description="Quote")
    def quote(self, job: MediaJob) -> str:
        return f"{pricing.format_zar(job.quote_zar_cents)} ({pricing.format_usd(job.quote_usd_micros)})"

    @admin.display(description="Params")
    def params_json(self, job: MediaJob) -> str:
        return _pretty_json(job.params)

    @admin.display(description="Error detail (staff only)")
    def error_detail_text(self, job: MediaJob) -> str:
        return format_html("<pre>{}</pre>", job.error_detail) if job.error_detail else "—"

    @admin.display(description="Mask")
    def mask_file(self, job: MediaJob) -> str:
        return job.mask.name or "—"  # the name only: a link would bypass studio.serving

    @admin.display(description="Reservation")
    def reservation(self, job: MediaJob) -> str:
        url = (
            reverse("admin:billing_reservation_changelist")
            + "?"
            + urlencode({"q": job.reservation_reference})
        )
        return format_html('<a href="{}">{}</a>', url, job.reservation_reference)

    @admin.display(description="Took")
    def took(self, job: MediaJob) -> str:
        if job.started_at is None or job.finished_at is None:
            return "—"
        return f"{(job.finished_at - job.started_at).total_seconds():.1f} s"


# --- Media ---------------------------------------------------------------------------------


def _dimensions(asset: MediaAsset) -> str:
    size = f"{asset.width}×{asset.height}" if asset.width and asset.height else "—"
    if asset.duration_seconds:
        size += f", {asset.duration_seconds:g} s" + (" with audio" if asset.has_audio else "")
    return size


@admin.register(MediaAsset)
class MediaAssetAdmin(ReadOnlyAdmin):
    class Media:
        css = {"all": ["studio/admin.css"]}  # the preview's size (.admin-thumb)

    list_display = [
        "short_id",
        "preview",
        "owner",
        "kind",
        "origin",
        "dimensions",
        "size",
        "synthid",
        "watermarked",
        "created_at",
    ]
    list_filter = ["kind", "origin", "synthid", "watermarked", "has_audio"]
    list_select_related = ["owner"]
    search_fields = ["owner__username", "id", "source_job__id"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = [
        "id",
        "preview",
        "owner",
        "kind",
        "origin",
        "mime_type",
        "dimensions",
        "size",
        "synthid",
        "watermarked",
        "source_job",
        "parent",
        "stored_as",
        "created_at",
    ]
    readonly_fields = ["preview", "dimensions", "size", "stored_as"]

    @admin.display(description="Asset", ordering="id")
    def short_id(self, asset: MediaAsset) -> str:
        return str(asset.id)[:8]

    @admin.display(description="Preview")
    def preview(self, asset: MediaAsset) -> str:
        url = _thumbnail_url(asset)
        if url is None:
            return "—"
        return format_html('<img src="{}" alt="" loading="lazy" class="admin-thumb">', url)

    @admin.display(description="Dimensions")
    def dimensions(self, asset: MediaAsset) -> str:
        return _dimensions(asset)

    @admin.display(description="Size", ordering="bytes")
    def size(self, asset: MediaAsset) -> str:
        return filesizeformat(asset.bytes)

    @admin.display(description="Stored as")
    def stored_as(self, asset: MediaAsset) -> str:
        return asset.file.name or ""  # the name only: a link would bypass studio.serving


# --- Idempotency and worker leases ---------------------------------------------------------


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "user", "state", "response_status", "created_at", "expires_at"]
    list_filter = ["state", "response_status"]
    list_select_related = ["user"]
    search_fields = ["user__username", "key"]
    show_full_result_count = False
    fields = [
        "key",
        "user",
        "state",
        "fingerprint",
        "response_status",
        "response",
        "locked_until",
        "created_at",
        "expires_at",
    ]
    readonly_fields = ["response"]

    @admin.display(description="Response body")
    def response(self, record: IdempotencyRecord) -> str:
        return _pretty_json(record.response_body)


@admin.register(WorkerLease)
class WorkerLeaseAdmin(ReadOnlyAdmin):
    list_display = ["name", "holder", "held", "expires_at", "updated_at"]

    @admin.display(description="Held now", boolean=True)
    def held(self, lease: WorkerLease) -> bool:
        return bool(lease.holder) and lease.expires_at > timezone.now()


# --- Plans: what each plan's choices run on today (the model catalog's words) -------------------

# The plan choices the catalog routes to a Google model: upscale V3/V4 and the video models.
_PLAN_ROUTES = {
    "upscale_v3": "V3 upscale",
    "upscale_v4": "V4 Ultra upscale",
    "video": "Veo (standard)",
    "video_fast": "Veo Fast",
    "video_lite": "Veo Lite",
}

admin.site.unregister(Plan)


@admin.register(Plan)
class StudioPlanAdmin(PlanAdmin):
    """billing's Plan admin (billing never imports studio), with the model each upscale and video
    choice runs on now and the catalog's note: V3 upscale runs on imagen-4.0-upscale-preview since
    Google shut Imagen 3 down."""

    list_display = [*PlanAdmin.list_display, "video_resolutions"]
    readonly_fields = ["runs_on"]

    @admin.display(description="Runs on (model catalog)")
    def runs_on(self, plan: Plan) -> str:
        rows = [r for r in providers.catalog_rows() if r.operation in _PLAN_ROUTES]
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: <code>{}</code> ({}){}</li>",
                (
                    (_PLAN_ROUTES[r.operation], r.model, r.lifecycle, f". {r.note}" if r.note else "")
                    for r in rows
                ),
            ),
        )
