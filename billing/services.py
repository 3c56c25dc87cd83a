"""The allowance API the rest of the app uses: reserve, commit, release, remaining.

Units are reserved when a job is accepted, committed with the real cost when it succeeds and
released when it fails. Reserve is one conditional UPDATE (`limit >= used + reserved + n`),
which is exact under any concurrency on PostgreSQL and on SQLite (IMMEDIATE transactions);
the CHECK constraint on Allowance is the backstop. commit and release are idempotent per
reference: each flips the reservation's state with a conditional UPDATE and only the caller
that flipped it touches the counters or the ledger.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Greatest
from django.utils import dateformat, timezone
from django.utils.translation import gettext

from billing import pricing
from billing.models import (
    Allowance,
    CostEntry,
    Grant,
    Meter,
    Plan,
    PlanAllowance,
    PriceClass,
    Reservation,
    Subscription,
    TierChange,
)
from billing.periods import SAST, Window, window_for
from mediastudio import sql
from mediastudio.sql import ComposedQuery, Subquery, in_a_transaction, insert_or_nothing

log = logging.getLogger(__name__)


class BillingError(Exception):
    """Bad input to the billing API: unknown meter or plan, non-positive units, unknown reference."""


class QuotaExceeded(Exception):
    """A request needs more units than remain; nothing was reserved."""

    def __init__(
        self, *, meter: str, needed: int, remaining: int, resets_at: datetime, tier: str, upgrade: list[dict]
    ):
        self.meter = meter
        self.needed = needed
        self.remaining = remaining
        self.resets_at = resets_at
        self.tier = tier
        self.upgrade = upgrade
        super().__init__(
            gettext("%(meter)s: %(needed)s needed, %(remaining)s left until %(resets)s SAST")
            % {
                "meter": Meter(meter).label,
                "needed": pricing.format_count(needed),
                "remaining": pricing.format_count(remaining),
                "resets": dateformat.format(resets_at.astimezone(SAST), "j M Y, H:i"),
            }
        )

    def as_dict(self) -> dict:
        return {
            "meter": self.meter,
            "needed": self.needed,
            "remaining": self.remaining,
            "resets_at": self.resets_at.isoformat(),
            "tier": self.tier,
            "upgrade": self.upgrade,
        }


@dataclass(frozen=True)
class MeterBalance:
    meter: str
    label: str
    period: str
    allowance: int
    used: int
    reserved: int
    remaining: int
    resets_at: datetime


# --- Plans ---------------------------------------------------------------------------------

# The plans looked up during one request, by user id. A request asks for the plan several times
# (the tier gate, the quote, the allowance, the page's context); billing.middleware opens this
# for the request's life so the database is asked once. Outside a request (the worker, commands,
# tests calling billing directly) it is not open and every call reads the database, so a tier
# change is seen at once.
_request_plans: ContextVar[dict[int, Plan] | None] = ContextVar("billing_request_plans", default=None)


# The balances a page shows in several places (the form's estimate, the header's meter, the
# prompt helper) are read once per request too; any change to an allowance in the request
# (reserve, commit, release, grant, a tier change) forgets them, so what is shown after a submit
# is read again.
_request_balances: ContextVar[dict[int, list[MeterBalance]] | None] = ContextVar(
    "billing_request_balances", default=None
)


@contextmanager
def plans_remembered() -> Iterator[None]:
    """Within this block plan_for asks the database once per user, and remaining() once until an
    allowance changes (billing.middleware)."""
    plans = _request_plans.set({})
    balances = _request_balances.set({})
    try:
        yield
    finally:
        _request_balances.reset(balances)
        _request_plans.reset(plans)


def _balances_changed() -> None:
    """An allowance changed: the request's remembered balances are read again when next asked."""
    remembered = _request_balances.get()
    if remembered:
        remembered.clear()


_PLAN_FIELDS = tuple(f.attname for f in Plan._meta.concrete_fields)
_ALLOWANCE_FIELDS = ("id", "meter", "units", "period")
_SUBSCRIPTION_FIELDS = ("id", "user_id", "plan_id", "change_at", "change_to_id", "change_reason")


def plan_for(user: User, *, lock: bool = False) -> Plan:
    """The user's plan, with its allowances; users without a subscription row are put on the
    default plan. Once per request (plans_remembered), in one query (the plan and its allowance
    rows joined).

    `lock` (inside a transaction): also lock the user's subscription row until the transaction
    ends, in the same statement, so a user's submits are counted one after another
    (studio.jobs.submit_job); it always asks the database."""
    remembered = _request_plans.get()
    if not lock and remembered is not None and user.pk in remembered:
        return remembered[user.pk]
    plan, subscription = _read_plan(user, lock)
    if plan is None or subscription is None:
        Subscription.objects.get_or_create(user=user, defaults={"plan": default_plan()})
        plan, subscription = _read_plan(user, lock)
        assert plan is not None
    elif subscription.change_at is not None and subscription.change_at <= timezone.now():
        if _apply_due_change(user, subscription):
            plan, subscription = _read_plan(user, lock)
            assert plan is not None
    if remembered is not None:
        remembered[user.pk] = plan
    return plan


_USER_MARKER = -1  # the user id the plan query is composed with (no user has it)


@functools.cache
def _plan_query(lock: bool, vendor: str) -> ComposedQuery:
    """_read_plan's query, composed once per process and database kind (`vendor`)."""
    rows = Subscription.objects.filter(user_id=_USER_MARKER).values_list(
        *_SUBSCRIPTION_FIELDS,
        *(f"plan__{name}" for name in _PLAN_FIELDS),
        *(f"plan__allowances__{name}" for name in _ALLOWANCE_FIELDS),
    )
    if lock:
        rows = rows.select_for_update(of=("self",))
    return ComposedQuery.of(rows, markers=(_USER_MARKER,))


def _read_plan(user: User, lock: bool) -> tuple[Plan | None, Subscription | None]:
    """The plan with its allowances, and the subscription's fields plan_for needs, in one query
    (`lock`: FOR UPDATE of the subscription row, inside the caller's transaction)."""
    found = _plan_query(lock, connection.vendor).rows([user.pk])
    if not found:
        return None, None
    db = Subscription.objects.db
    at_plan = len(_SUBSCRIPTION_FIELDS)
    at_allowance = at_plan + len(_PLAN_FIELDS)
    subscription = Subscription.from_db(db, list(_SUBSCRIPTION_FIELDS), found[0][:at_plan])
    plan = Plan.from_db(db, list(_PLAN_FIELDS), found[0][at_plan:at_allowance])
    allowances = [
        PlanAllowance.from_db(db, ["plan_id", *_ALLOWANCE_FIELDS], (plan.pk, *row[at_allowance:]))
        for row in found
        if row[at_allowance] is not None
    ]
    allowances.sort(key=lambda a: a.meter)
    for allowance in allowances:
        allowance.plan = plan
    # What prefetch_related("allowances") would have left: plan.allowances.all() asks nothing.
    cached = plan.allowances.all()
    cached._result_cache = allowances
    cached._prefetch_done = True  # type: ignore[attr-defined]
    plan._prefetched_objects_cache = {"allowances": cached}  # type: ignore[attr-defined]
    subscription.plan = plan
    return plan, subscription


def _apply_due_change(user: User, subscription: Subscription) -> bool:
    """A scheduled change (a lapse, cancel, failed payment or downgrade at the period's end) whose
    time has come: made once, by whichever request or task looks first (a conditional UPDATE
    claims it), through change_tier. This check at request time is how period ends take effect:
    plan_for reads the row anyway, so it costs no query until a change is due."""
    with transaction.atomic():
        claimed = Subscription.objects.filter(pk=subscription.pk, change_at=subscription.change_at).update(
            change_at=None, change_to=None, change_reason=""
        )
        if not claimed or subscription.change_to_id is None:
            return bool(claimed)
        target = Plan.objects.get(pk=subscription.change_to_id)
        change_tier(user, target, by=None, reason=subscription.change_reason or "scheduled change")
        if target.price_cents:
            # A downgrade to a paid plan is paid by the renewal that PayFast charges now; if
            # no verified payment arrives within the grace period, the plan lapses to FREE.
            schedule_change(
                user, default_plan(), at=timezone.now() + settings.PAYFAST_GRACE, reason="no renewal payment"
            )
    log.info("scheduled change for user %s: now on %s", user.pk, target.code)
    return True


def apply_due_changes(now: datetime | None = None) -> int:
    """Make every scheduled change due by `now`; how many were made (billing.tasks' sweep)."""
    due = Subscription.objects.filter(change_at__lte=now or timezone.now()).select_related("user")
    made = 0
    for subscription in due:
        made += _apply_due_change(subscription.user, subscription)
    return made


def schedule_change(user: User, plan: Plan | None, *, at: datetime | None, reason: str) -> None:
    """Move the user to `plan` at `at` (plan_for makes the change); None, None clears it."""
    Subscription.objects.filter(user=user).update(
        change_at=at, change_to=plan, change_reason=reason[:200], updated_at=timezone.now()
    )


def _forget_plan(user: User) -> None:
    """After a tier change: the rest of the request asks the database again."""
    remembered = _request_plans.get()
    if remembered is not None:
        remembered.pop(user.pk, None)


def default_plan() -> Plan:
    return Plan.objects.get(is_default=True)


def get_plan(code: str) -> Plan:
    try:
        return Plan.objects.get(code__iexact=code)
    except Plan.DoesNotExist:
        codes = ", ".join(Plan.objects.values_list("code", flat=True))
        raise BillingError(f"unknown tier {code!r} (choose one of {codes})") from None


def check_meter(meter: str) -> str:
    if meter not in Meter.values:
        raise BillingError(f"unknown meter {meter!r} (choose one of {', '.join(Meter.values)})")
    return meter


def upgrade_plans(current: Plan) -> list[Plan]:
    return list(Plan.objects.filter(rank__gt=current.rank).prefetch_related("allowances"))


def upgrade_options(current: Plan, meter: str, needed: int) -> list[dict]:
    """Plans above `current` whose allowance for `meter` covers `needed` units."""
    options = []
    for plan in upgrade_plans(current):
        allowance = plan.allowance_for(meter)
        if allowance and allowance.units >= needed:
            options.append(
                {
                    "tier": plan.code,
                    "price": pricing.format_zar(plan.price_cents),
                    "price_cents": plan.price_cents,
                    "allowance": allowance.units,
                    "period": allowance.period,
                }
            )
    return options


# --- Allowances ----------------------------------------------------------------------------


def _plan_terms(plan: Plan, meter: str) -> tuple[str, int]:
    """(period, units) of the plan for a meter; a meter the plan lacks is 0 a month."""
    allowance = plan.allowance_for(meter)
    return (allowance.period, allowance.units) if allowance else ("month", 0)


def _granted(user: User, meter: str, window: Window) -> int:
    total = Grant.objects.filter(user=user, meter=meter, period_start=window.start).aggregate(n=Sum("units"))[
        "n"
    ]
    return total or 0


def _current_allowance(user: User, meter: str, when: datetime | None = None) -> Allowance:
    period, units = _plan_terms(plan_for(user), meter)
    window = window_for(period, when)
    entitled = units + _granted(user, meter, window)
    allowance, _ = Allowance.objects.get_or_create(
        user=user,
        meter=meter,
        period_start=window.start,
        defaults={"period": period, "period_end": window.end, "entitled": entitled, "limit": entitled},
    )
    return allowance


def _limit_after(returned_units: int = 0) -> Greatest:
    """The limit once `returned_units` of the reservation go back: the entitlement, or what is
    still held if that is more (only after a downgrade below usage)."""
    return Greatest(F("entitled"), F("used") + F("reserved") - returned_units)


@dataclass(frozen=True)
class Guard:
    """A caller's own condition on a reservation, checked in the same statement as the allowance:
    `sql`, a boolean SQL expression with `params` (e.g. NOT EXISTS (…)), ANDed to the allowance
    UPDATE's WHERE; when the reservation misses, `explain()` runs first and raises the caller's
    refusal if the condition is why. studio.limits' submit rate is one."""

    sql: str
    params: tuple
    explain: Callable[[], None]


def reserve(
    user: User,
    meter: str,
    units: int,
    reference: str,
    *,
    when: datetime | None = None,
    guard: Guard | None = None,
) -> Reservation:
    """Hold `units` of `meter` for the job `reference`, or raise QuotaExceeded.

    Two statements when the period's allowance row exists: one conditional UPDATE of the row
    (`limit >= used + reserved + units`, and the guard's condition), and the reservation's
    INSERT … ON CONFLICT, in the caller's transaction if there is one (no savepoint: a refusal
    has written nothing). Only when the UPDATE matches no row is anything else
    read: the guard's explanation, the entitlement (plan + grants) for a period's first row,
    the balance for QuotaExceeded.

    `when` (default now) picks the period; tests use it to cross month and day boundaries.
    """
    check_meter(meter)
    if units <= 0:
        raise BillingError("units must be a positive whole number")
    period, _ = _plan_terms(plan_for(user), meter)
    start = window_for(period, when).start
    # The allowance row's key as the statements below send it: user, meter, period start.
    key = (user.pk, meter, sql.db_value(Allowance, "period_start", start))
    _balances_changed()
    with in_a_transaction():
        if not _claim(key, units, guard):
            if guard is not None:
                guard.explain()
            allowance = _current_allowance(user, meter, when)  # the period's first reserve makes it
            if not _claim(key, units, guard):
                allowance.refresh_from_db()
                plan = plan_for(user)
                raise QuotaExceeded(
                    meter=meter,
                    needed=units,
                    remaining=max(allowance.remaining, 0),
                    resets_at=allowance.period_end,
                    tier=plan.code,
                    upgrade=upgrade_options(plan, meter, units),
                )
        now = timezone.now()
        values = {
            "reference": reference,
            "user": user.pk,
            "allowance": Subquery(_allowance_id_sql(connection.vendor), key),
            "meter": meter,
            "units": units,
            "created_at": now,
        }
        pk = insert_or_nothing(Reservation, values, conflict=("reference",))
        if pk is None:  # undone here: the caller's transaction may go on
            Allowance.objects.filter(user_id=user.pk, meter=meter, period_start=start).update(
                reserved=F("reserved") - units
            )
            raise BillingError(f"reference {reference!r} already has a reservation")
        return Reservation(pk=pk, reference=reference, user=user, meter=meter, units=units, created_at=now)


def _claim(key: tuple, units: int, guard: Guard | None) -> bool:
    """Reserve `units` on the allowance row `key` (user, meter, period start) if they fit and the
    guard holds: one UPDATE, written once (composing it with the ORM cost a submit more than
    running it; issue 17)."""
    statement, params = _claim_sql(connection.vendor), [units, *key, units]
    if guard is not None:
        statement, params = f"{statement} AND ({guard.sql})", [*params, *guard.params]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount > 0


@functools.cache
def _claim_sql(vendor: str) -> str:
    """UPDATE … SET reserved = reserved + units WHERE <the row> AND limit >= used + reserved + units."""
    reserved, used, limit = (sql.column(Allowance, name) for name in ("reserved", "used", "limit"))
    return (
        f"UPDATE {sql.table(Allowance)} SET {reserved} = {reserved} + %s WHERE {_allowance_key_sql()}"
        f" AND {limit} >= {used} + {reserved} + %s"
    )


@functools.cache
def _allowance_id_sql(vendor: str) -> str:
    """The allowance row's id by its key (user, meter, period start), for the reservation's INSERT."""
    return f"SELECT {sql.column(Allowance, 'id')} FROM {sql.table(Allowance)} WHERE {_allowance_key_sql()}"


def _allowance_key_sql() -> str:
    """The WHERE that finds one allowance row: user, meter, period start (the unique key)."""
    return " AND ".join(f"{sql.column(Allowance, name)} = %s" for name in ("user", "meter", "period_start"))


def commit(
    reference: str,
    *,
    operation: str,
    model: str,
    price_class: str,
    units: int | None = None,
    variant: str | None = None,
    quoted_unit_usd_micros: int | None = None,
) -> CostEntry | None:
    """Charge a reservation: `units` delivered (default: all reserved), the rest returned.

    With a `variant`, the charge is priced by the model price row (model, variant) as it is
    now; if that row has gone (or the model that served differs and has none), the job is still
    charged, at `quoted_unit_usd_micros` (what its quote said per unit), and the gap is logged for
    the operator. Without one, by `price_class` (the seed's price list).

    Returns the ledger entry. A second call for the same reference charges nothing and returns
    the first entry; a call on a released reservation charges nothing and returns None.
    """
    with transaction.atomic():
        reservation, delivered = _settle(reference, units)
        if reservation is None:
            return CostEntry.objects.filter(reference=reference, kind=CostEntry.Kind.CHARGE).first()
        quote = _charge_quote(price_class, model, variant, delivered, quoted_unit_usd_micros)
        return _ledger(reservation, quote, operation=operation, model=model, variant=variant or "")


def commit_tokens(
    reference: str, *, operation: str, model: str, input_tokens: int, output_tokens: int
) -> CostEntry | None:
    """Charge a text model call's reservation (meter text_tokens) with the tokens it really used.

    The allowance is charged the tokens in all (at most what was reserved: the reservation is the
    call's ceiling, its input counted and its output capped); the ledger the call's price from the
    model's input and output rows (pricing.quote_tokens), with the split in the entry's note.
    Idempotent per reference, like commit.
    """
    with transaction.atomic():
        ceiling = _get_reservation(reference).units
        reservation, _ = _settle(reference, max(1, min(input_tokens + output_tokens, ceiling)))
        if reservation is None:
            return CostEntry.objects.filter(reference=reference, kind=CostEntry.Kind.CHARGE).first()
        quote = pricing.quote_tokens(PriceClass.TEXT, model, input_tokens, output_tokens)
        note = f"{input_tokens} input + {output_tokens} output tokens"
        return _ledger(reservation, quote, operation=operation, model=model, variant=quote.variant, note=note)


def _settle(reference: str, units: int | None) -> tuple[Reservation | None, int]:
    """Flip a reservation to committed with `units` delivered (default: all) and move its
    counters; (None, 0) when it was settled already. Inside the caller's transaction."""
    _balances_changed()
    reservation = _get_reservation(reference)
    delivered = reservation.units if units is None else units
    if not 1 <= delivered <= reservation.units:
        raise BillingError(f"commit between 1 and {reservation.units} units, or release the reservation")
    flipped = Reservation.objects.filter(pk=reservation.pk, state=Reservation.State.RESERVED).update(
        state=Reservation.State.COMMITTED, used_units=delivered, settled_at=timezone.now()
    )
    if not flipped:
        log.info("commit of %s ignored: already %s", reference, reservation.state)
        return None, 0
    Allowance.objects.filter(pk=reservation.allowance_id).update(
        reserved=F("reserved") - reservation.units,
        used=F("used") + delivered,
        limit=_limit_after(reservation.units - delivered),
    )
    return reservation, delivered


def _ledger(
    reservation: Reservation,
    quote: pricing.Quote,
    *,
    operation: str,
    model: str,
    variant: str,
    note: str = "",
) -> CostEntry:
    return CostEntry.objects.create(
        user_id=reservation.user_id,
        tier=plan_for(reservation.user).code,
        operation=operation,
        model=model,
        price_class=quote.price_class,
        variant=variant,
        units=quote.units,
        usd_micros=quote.usd_micros,
        zar_cents=quote.zar_cents,
        rate=quote.rate,
        reference=reservation.reference,
        note=note[:200],
        created_at=timezone.now(),
    )


def _charge_quote(
    price_class: str, model: str, variant: str | None, units: int, quoted_unit_usd_micros: int | None
) -> pricing.Quote:
    if variant is None:
        return pricing.quote(price_class, units)
    try:
        return pricing.quote_model(price_class, model, variant, units)
    except pricing.PriceMissing as e:
        if quoted_unit_usd_micros is None:
            raise
        log.error("charged at the quoted price: %s", e)
        rate = pricing.current_rate()
        usd_micros = quoted_unit_usd_micros * units
        cents = pricing.usd_micros_to_zar_cents(usd_micros, rate)
        return pricing.Quote(price_class, units, usd_micros, cents, rate, model, variant)


def release(reference: str, reason: str) -> bool:
    """Return a reservation's units. True if this call released it, False if it was settled already."""
    _balances_changed()
    with transaction.atomic():
        reservation = _get_reservation(reference)
        flipped = Reservation.objects.filter(pk=reservation.pk, state=Reservation.State.RESERVED).update(
            state=Reservation.State.RELEASED, release_reason=reason[:200], settled_at=timezone.now()
        )
        if flipped:
            Allowance.objects.filter(pk=reservation.allowance_id).update(
                reserved=F("reserved") - reservation.units, limit=_limit_after(reservation.units)
            )
        return bool(flipped)


def _get_reservation(reference: str) -> Reservation:
    try:
        return Reservation.objects.select_related("user").get(reference=reference)
    except Reservation.DoesNotExist:
        raise BillingError(f"no reservation with reference {reference!r}") from None


def balance(user: User, meter: str) -> MeterBalance:
    """One meter's balance for the current period, in one query (remaining() reads them all).
    Without this period's row nothing was reserved or granted yet (a grant makes the row)."""
    remembered = _request_balances.get()
    if remembered and user.pk in remembered:  # this request read them all already
        return next(b for b in remembered[user.pk] if b.meter == check_meter(meter))
    period, units = _plan_terms(plan_for(user), check_meter(meter))
    window = window_for(period)
    row = Allowance.objects.filter(user=user, meter=meter, period_start=window.start).first()
    limit, used, reserved = (row.limit, row.used, row.reserved) if row else (units, 0, 0)
    return MeterBalance(
        meter=meter,
        label=str(Meter(meter).label),
        period=period,
        allowance=limit,
        used=used,
        reserved=reserved,
        remaining=max(limit - used - reserved, 0),
        resets_at=window.end,
    )


def remaining(user: User, when: datetime | None = None) -> list[MeterBalance]:
    """Every meter's allowance, used, reserved and remaining units for the current period.

    A fixed number of queries whatever the number of meters: the plan with its allowances, the user's
    current allowance rows and the user's grants for the current periods.
    """
    remembered = _request_balances.get() if when is None else None
    if remembered is not None and user.pk in remembered:
        return remembered[user.pk]
    plan = plan_for(user)
    terms = {meter: _plan_terms(plan, meter) for meter in Meter}
    windows = {meter: window_for(period, when) for meter, (period, _) in terms.items()}
    starts = {w.start for w in windows.values()}
    rows = {
        (row.meter, row.period_start): row
        for row in Allowance.objects.filter(user=user, period_start__in=starts)
    }
    granted = {
        (g["meter"], g["period_start"]): g["units"]
        for g in Grant.objects.filter(user=user, period_start__in=starts)
        .values("meter", "period_start")
        .annotate(units=Sum("units"))
    }
    balances = []
    for meter, (period, units) in terms.items():
        window = windows[meter]
        row = rows.get((meter.value, window.start))
        if row is None:
            limit, used, reserved = units + granted.get((meter.value, window.start), 0), 0, 0
        else:
            limit, used, reserved = row.limit, row.used, row.reserved
        balances.append(
            MeterBalance(
                meter=meter.value,
                label=str(meter.label),
                period=period,
                allowance=limit,
                used=used,
                reserved=reserved,
                remaining=max(limit - used - reserved, 0),
                resets_at=window.end,
            )
        )
    if remembered is not None:
        remembered[user.pk] = balances
    return balances


# --- Staff operations (audited) ------------------------------------------------------------


def change_tier(user: User, plan: Plan, *, by: User | None, reason: str) -> TierChange:
    """Move a user to another plan and resize this period's allowances to the new plan."""
    _balances_changed()
    if not reason.strip():
        raise BillingError("a reason is required")
    with transaction.atomic():
        old = plan_for(user)
        Subscription.objects.filter(user=user).update(plan=plan, updated_at=timezone.now())
        _forget_plan(user)
        change = TierChange.objects.create(
            user=user, from_plan=old, to_plan=plan, changed_by=by, reason=reason
        )
        plan = Plan.objects.prefetch_related("allowances").get(pk=plan.pk)
        now = timezone.now()
        for row in Allowance.objects.filter(user=user, period_end__gt=now):
            period, units = _plan_terms(plan, row.meter)
            # A row of another period kind (e.g. FREE's daily images) no longer grows.
            base = units if period == row.period else 0
            entitled = base + _granted(user, row.meter, Window(row.period_start, row.period_end))
            # Never below what is already used or reserved: a downgrade leaves 0 remaining, not a violation.
            Allowance.objects.filter(pk=row.pk).update(
                entitled=entitled, limit=Greatest(Value(entitled), F("used") + F("reserved"))
            )
        return change


# The most one grant may give: far above any plan, far below the 2^31 - 1 the allowance
# columns hold (2147483648 units was a database error, not a refusal).
MAX_GRANT_UNITS = 1_000_000


def grant(user: User, meter: str, units: int, *, by: User | None, reason: str) -> Grant:
    """Give a user extra units of a meter for the current period."""
    _balances_changed()
    check_meter(meter)
    if not isinstance(units, int) or units <= 0:
        raise BillingError("units must be a positive whole number")
    if units > MAX_GRANT_UNITS:
        raise BillingError(f"one grant gives at most {MAX_GRANT_UNITS} units")
    if not reason.strip():
        raise BillingError("a reason is required")
    with transaction.atomic():
        # Create the period's row first, so the grant is added to its limit exactly once.
        allowance = _current_allowance(user, meter)
        given = Grant.objects.create(
            user=user,
            meter=meter,
            units=units,
            period_start=allowance.period_start,
            reason=reason,
            granted_by=by,
        )
        Allowance.objects.filter(pk=allowance.pk).update(
            entitled=F("entitled") + units, limit=Greatest(F("entitled") + units, F("used") + F("reserved"))
        )
        return given


def forget_user(user: User) -> None:
    """Billing's part of deleting an account (studio/accounts.py anonymises the user row itself).
    Call it inside the deleting transaction.

    A PayFast subscription that is paying is cancelled at PayFast first, so the person is charged
    no more; if PayFast cannot be reached this raises PayFastError and the deletion must not go on.
    Deleted: the user's allowances, reservations and grants (what was left of a period's allowance
    is of no use to anyone), and any plan change scheduled. Kept, pointing at the anonymous user
    row: the cost ledger (what each job cost us, for accounting and tax: append-only, its rows name
    no person), the tier-change log (the audit of plan changes) and the PayFast subscriptions and
    notifications (the payments)."""
    _balances_changed()
    from billing import payfast  # payfast uses this module

    if payfast.active_subscription(user) is not None:
        payfast.cancel(user)
    schedule_change(user, None, at=None, reason="")
    Reservation.objects.filter(user=user).delete()
    Allowance.objects.filter(user=user).delete()
    Grant.objects.filter(user=user).delete()
