"""Staff admin: plans and prices, users with their tier and allowances, audited grants and tier
changes, and the read-only ledgers with filters, CSV export and a spend-per-day chart."""

from __future__ import annotations

import csv
import json

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, StreamingHttpResponse
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from billing import pricing, reports, services
from billing.models import (
    Allowance,
    CostEntry,
    Grant,
    ModelPrice,
    PayFastNotification,
    PayFastSubscription,
    Plan,
    PlanAllowance,
    Price,
    Reservation,
    Subscription,
    TierChange,
)
from billing.periods import SAST, month_window, parse_month


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledgers and audit rows are written by the services, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Plans and prices ----------------------------------------------------------------------


class PlanAllowanceInline(admin.TabularInline):
    model = PlanAllowance
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "price",
        "upscale_models",
        "watermark_output",
        "edit_demo_only",
        "is_default",
    ]
    inlines = [PlanAllowanceInline]

    @admin.display(description="Price a month", ordering="price_cents")
    def price(self, plan: Plan) -> str:
        return pricing.format_zar(plan.price_cents)


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ["price_class", "usd_per_unit", "zar_per_unit"]

    @admin.display(description="USD per unit")
    def usd_per_unit(self, price: Price) -> str:
        return f"${pricing.micros_to_usd(price.usd_micros)}"

    @admin.display(description="ZAR per unit at the current rate")
    def zar_per_unit(self, price: Price) -> str:
        return pricing.format_zar(pricing.usd_micros_to_zar_cents(price.usd_micros, pricing.current_rate()))


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    """What quotes and charges use. An edit prices new quotes and charges; ledger rows already
    written keep the price they were charged at."""

    list_display = ["model", "variant", "usd_per_unit", "zar_per_unit", "unit", "as_of", "source"]
    list_filter = ["unit", "model"]
    search_fields = ["model", "variant"]
    readonly_fields = ["updated_at"]

    @admin.display(description="USD per unit", ordering="usd_micros")
    def usd_per_unit(self, price: ModelPrice) -> str:
        return f"${pricing.micros_to_usd(price.usd_micros)}"

    @admin.display(description="ZAR per unit at the current rate")
    def zar_per_unit(self, price: ModelPrice) -> str:
        return pricing.format_zar(pricing.usd_micros_to_zar_cents(price.usd_micros, pricing.current_rate()))


# --- Users ---------------------------------------------------------------------------------

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StudioUserAdmin(UserAdmin):
    list_display = ["username", "email", "tier", "is_staff", "date_joined"]
    list_filter = ["subscription__plan", "is_staff", "is_active"]
    list_select_related = ["subscription__plan"]
    readonly_fields = ["tier", "allowances_now"]
    fieldsets = [
        *(UserAdmin.fieldsets or ()),
        ("Plan and allowances", {"fields": ["tier", "allowances_now"]}),
    ]

    @admin.display(description="Tier", ordering="subscription__plan__rank")
    def tier(self, user) -> str:
        subscription = getattr(user, "subscription", None)
        return subscription.plan.code if subscription else "—"

    @admin.display(description="This period")
    def allowances_now(self, user) -> str:
        if user.pk is None:
            return "—"
        return render_to_string("admin/billing/allowances.html", {"balances": services.remaining(user)})


# --- Audited staff actions -----------------------------------------------------------------


class AuditTrailAdmin(admin.ModelAdmin):
    """Rows staff add with a reason, applied through billing.services and then kept unchanged."""

    search_fields = ["user__username", "reason"]
    autocomplete_fields = ["user"]

    def has_change_permission(self, request, obj=None):
        return obj is None

    def has_delete_permission(self, request, obj=None):
        return False


class GrantForm(forms.ModelForm):
    class Meta:
        model = Grant
        fields = ["user", "meter", "units", "reason"]


@admin.register(Grant)
class GrantAdmin(AuditTrailAdmin):
    """Grants are created here with a reason and then kept, unchanged, as the audit trail."""

    form = GrantForm
    list_display = ["created_at", "user", "meter", "units", "granted_by", "reason"]
    list_filter = ["meter", "created_at"]

    def save_model(self, request, obj, form, change):
        grant = services.grant(
            obj.user, obj.meter, obj.units, by=request.user, reason=form.cleaned_data["reason"]
        )
        obj.pk = grant.pk  # so the admin's success message and redirect find the saved row


class TierChangeForm(forms.ModelForm):
    class Meta:
        model = TierChange
        fields = ["user", "to_plan", "reason"]
        labels = {"to_plan": "New tier"}


@admin.register(TierChange)
class TierChangeAdmin(AuditTrailAdmin):
    """Changing a user's tier means adding a tier change: the reason is required and kept."""

    form = TierChangeForm
    list_display = ["created_at", "user", "from_plan", "to_plan", "changed_by", "reason"]
    list_filter = ["to_plan", "created_at"]

    def save_model(self, request, obj, form, change):
        change_row = services.change_tier(obj.user, obj.to_plan, by=request.user, reason=obj.reason)
        obj.pk = change_row.pk


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["user", "plan", "change_to", "change_at", "updated_at"]
    list_filter = ["plan"]
    search_fields = ["user__username"]


@admin.register(PayFastSubscription)
class PayFastSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["m_payment_id", "user", "plan", "status", "paid_until", "change_to", "created_at"]
    list_filter = ["status", "plan"]
    search_fields = ["user__username", "m_payment_id", "token"]


@admin.register(PayFastNotification)
class PayFastNotificationAdmin(ReadOnlyAdmin):
    """Every ITN received, with what became of it (forged, replayed and under-paid ones included)."""

    list_display = ["received_at", "pf_payment_id", "payment_status", "outcome", "reason", "source_ip"]
    list_filter = ["outcome", "payment_status"]
    search_fields = ["pf_payment_id", "subscription__m_payment_id", "subscription__user__username"]


# --- Ledgers -------------------------------------------------------------------------------


class MonthFilter(admin.SimpleListFilter):
    """The ledger's period: a calendar month in SAST."""

    title = "period"
    parameter_name = "month"

    def lookups(self, request, model_admin):
        now = timezone.now().astimezone(SAST)
        months = []
        year, month = now.year, now.month
        for _ in range(12):
            months.append((f"{year}-{month:02d}", f"{year}-{month:02d}"))
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        return months

    def queryset(self, request, queryset):
        month = self.value()
        if not month:
            return queryset
        try:
            window = parse_month(month)
        except ValueError:
            return queryset.none()
        return queryset.filter(created_at__gte=window.start, created_at__lt=window.end)


class _FixedChoices(admin.SimpleListFilter):
    """A filter whose choices come from a small table or the code, never from the ledger: the
    default field filter asks SELECT DISTINCT over every row (a million, issue 17)."""

    field = ""

    def choices_of(self) -> list[str]:
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return [(value, value) for value in self.choices_of()]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field: self.value()}) if self.value() else queryset


class TierFilter(_FixedChoices):
    title = parameter_name = field = "tier"

    def choices_of(self) -> list[str]:
        return list(Plan.objects.order_by("rank").values_list("code", flat=True))


class ModelFilter(_FixedChoices):
    title = parameter_name = field = "model"

    def choices_of(self) -> list[str]:
        return sorted(set(ModelPrice.objects.values_list("model", flat=True)))


# The ledger's operations, as the app that charges them names them: billing does not know the
# studio, so the studio lists its operations here when it starts (studio/apps.py).
LEDGER_OPERATIONS: list[str] = []


class OperationFilter(_FixedChoices):
    title = parameter_name = field = "operation"

    def choices_of(self) -> list[str]:
        return sorted(set(LEDGER_OPERATIONS))


class EstimatedCountPaginator(Paginator):
    """PostgreSQL's estimate of how many rows the list has instead of COUNT(*), which reads every
    matching row (a month of the ledger is a third of a million): the whole ledger's from its
    statistics (pg_class.reltuples, kept by autovacuum and ANALYZE), a filtered list's from the
    planner (EXPLAIN). Page numbers are then approximate, which is all they are for. Estimates
    under ESTIMATE_ABOVE rows are counted exactly, and SQLite always counts."""

    ESTIMATE_ABOVE = 10_000

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is not None and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if not query.where:
                    table = query.model._meta.db_table
                    cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
                    estimate = int((cursor.fetchone() or [0])[0])
                else:
                    try:
                        sql, params = query.sql_with_params()
                    except EmptyResultSet:  # a filter that matches nothing (queryset.none())
                        return 0
                    cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
                    plan = cursor.fetchone()[0]
                    estimate = int(
                        (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"]
                    )
            if estimate > self.ESTIMATE_ABOVE:
                return estimate
        return super().count


@admin.register(CostEntry)
class CostEntryAdmin(ReadOnlyAdmin):
    change_list_template = "admin/billing/costentry/change_list.html"
    list_display = [
        "created_at",
        "user",
        "tier",
        "operation",
        "model",
        "variant",
        "units",
        "zar",
        "usd",
        "rate",
        "reference",
    ]
    # At a million rows (issue 17): fixed-choice filters (no DISTINCT over the ledger), users found
    # by the search box instead of a list of every user, the months instead of a date drill-down
    # (its per-level DISTINCT dates), an estimated count of the whole ledger, and the chart from
    # the report's own GROUP BY (reports.daily_spend) over the covering index (models.py).
    list_filter = [MonthFilter, TierFilter, OperationFilter, ModelFilter, "price_class", "kind"]
    # What get_search_results looks in (the admin shows the search box when this is set).
    search_fields = ["user__username", "user__email", "=reference"]
    search_help_text = "A user's name or e-mail (or part of one), or a job's exact reference (job:…, text:…)."
    list_select_related = ["user"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False  # a COUNT(*) over a huge ledger on every page view is not worth it

    @admin.display(description="ZAR", ordering="zar_cents")
    def zar(self, entry: CostEntry) -> str:
        return pricing.format_zar(entry.zar_cents)

    @admin.display(description="USD", ordering="usd_micros")
    def usd(self, entry: CostEntry) -> str:
        return f"${pricing.micros_to_usd(entry.usd_micros)}"

    def get_search_results(self, request, queryset, search_term):
        """A term with a colon is a reference (job:…, text:…; no username or e-mail address has
        one), found by its index. Anything else names users: their ids are read from the users
        table first, and the ledger is then asked for those ids, so PostgreSQL plans with a known
        number of users (a subquery's LIKE it cannot estimate: it took a nested loop through one
        user's entries per user, 13 s for a term every user matched). Django's own search ORed
        the name with the reference across a join that read every ledger row (issue 17)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if ":" in term:
            return queryset.filter(reference=term), False
        users = User.objects.filter(Q(username__icontains=term) | Q(email__icontains=term))
        return queryset.filter(user__in=list(users.values_list("pk", flat=True))), False

    def get_urls(self):
        export = path(
            "export.csv", self.admin_site.admin_view(self.export_csv), name="billing_costentry_export"
        )
        return [export, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            entries = context["cl"].queryset
            window = self._chart_window(request)
            days = reports.daily_spend(entries, window.start, window.end)
            peak = max((cents for _, cents in days), default=0) or 1
            context["spend_days"] = [
                {
                    "day": d,
                    "cents": cents,
                    "zar": pricing.format_zar(cents),
                    "height": round(100 * cents / peak),
                }
                for d, cents in days
            ]
            context["spend_total"] = pricing.format_zar(sum(cents for _, cents in days))
            context["spend_window"] = window
            context["export_query"] = request.GET.urlencode()
        return response

    @staticmethod
    def _chart_window(request):
        try:
            return parse_month(request.GET.get("month", ""))
        except ValueError:
            return month_window()

    def export_csv(self, request: HttpRequest) -> StreamingHttpResponse:
        """The ledger as CSV, with the same filters as the list the staff member is looking at."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        entries = self.get_changelist_instance(request).get_queryset(request).select_related("user")

        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())
        header = [
            "created_at",
            "user",
            "tier",
            "operation",
            "model",
            "price_class",
            "units",
            "usd",
            "zar",
            "rate",
            "reference",
            "kind",
        ]

        def rows():
            yield writer.writerow(header)
            for e in entries.iterator(chunk_size=2000):
                yield writer.writerow(
                    [
                        e.created_at.astimezone(SAST).isoformat(),
                        e.user.username,
                        e.tier,
                        e.operation,
                        e.model,
                        e.price_class,
                        e.units,
                        pricing.micros_to_usd(e.usd_micros),
                        pricing.cents_to_zar(e.zar_cents),
                        e.rate,
                        e.reference,
                        e.kind,
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="cost-ledger.csv"'
        return response


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "reference",
        "user",
        "meter",
        "units",
        "used_units",
        "state",
        "release_reason",
    ]
    list_filter = ["state", "meter"]
    search_fields = ["reference", "user__username"]
    list_select_related = ["user"]


@admin.register(Allowance)
class AllowanceAdmin(ReadOnlyAdmin):
    list_display = ["user", "meter", "period_start", "limit", "used", "reserved", "left"]
    list_filter = ["meter", "period"]
    search_fields = ["user__username"]
    list_select_related = ["user"]

    @admin.display(description="Left")
    def left(self, allowance: Allowance):
        return format_html("<strong>{}</strong>", allowance.remaining)


admin.site.site_header = "Media Studio admin"
admin.site.site_title = "Media Studio admin"
