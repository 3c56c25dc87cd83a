"""PayFast: plans bought as a monthly recurring subscription, and its ITN checked as PayFast documents.

The flow (/work/shared/docs/payfast.md has the sources):
- start_checkout() makes a PENDING PayFastSubscription and the signed form the browser posts to
  PayFast's process URL (subscription_type=1, frequency=3 monthly, cycles=0 until cancelled).
- PayFast posts an ITN to the notify URL. handle_itn() stores it first, then checks, stopping at
  the first failure: it parses (malformed), the signature with the passphrase, the source address
  (PAYFAST_CHECK_SOURCE_IP), the merchant, our own record by m_payment_id, a replay of an applied
  pf_payment_id, the amount against our record (integer cents, exactly), and PayFast's server
  confirmation (the validate URL must answer VALID). Only then is it applied, once per
  pf_payment_id (a partial unique constraint is the backstop).
- A verified COMPLETE payment changes the tier at once (services.change_tier, audited) and
  schedules the lapse to FREE at the paid period's end plus PAYFAST_GRACE; each renewal moves the
  lapse on. CANCELLED and FAILED schedule FREE at the period's end. A cancel or downgrade asked
  for on the plans page calls PayFast's subscriptions API and takes effect at the period's end.
  services.plan_for applies a scheduled change at request time (no task needed).

Forged, replayed, under-paid or malformed notifications change nothing: the row says why and a
warning is logged. Nothing here knows the studio.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import ipaddress
import json
import logging
import socket
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import services
from billing.models import PayFastNotification, PayFastSubscription, Plan

log = logging.getLogger(__name__)

# The checkout form's documented field order, which is also the signature's order (not alphabetical).
CHECKOUT_ORDER = [
    "merchant_id", "merchant_key", "return_url", "cancel_url", "notify_url", "fica_idnumber",
    "name_first", "name_last", "email_address", "cell_number", "m_payment_id", "amount", "item_name",
    "item_description", *[f"custom_int{i}" for i in range(1, 6)], *[f"custom_str{i}" for i in range(1, 6)],
    "email_confirmation", "confirmation_address", "payment_method", "subscription_type", "billing_date",
    "recurring_amount", "frequency", "cycles", "subscription_notify_email", "subscription_notify_webhook",
    "subscription_notify_buyer",
]  # fmt: skip
MONTHLY = "3"
# Where ITNs come from (PayFast's "IP addresses" page): these hosts' addresses and these ranges.
SOURCE_HOSTS = ("www.payfast.co.za", "w1w.payfast.co.za", "w2w.payfast.co.za", "sandbox.payfast.co.za")
SOURCE_RANGES = tuple(
    ipaddress.ip_network(r)
    for r in (
        "197.97.145.144/28",
        "41.74.179.192/27",
        "102.216.36.0/28",
        "102.216.36.128/28",
        "144.126.193.139",
    )
)
REQUIRED_ITN_FIELDS = ("m_payment_id", "pf_payment_id", "payment_status", "amount_gross", "merchant_id")
MAX_ITN_BYTES = 10_000


class PayFastError(Exception):
    """PayFast is not set up, or its API refused or did not answer; the message is for the user."""


# --- Signatures (MD5 of the URL-encoded fields, PHP urlencode style, passphrase last) -----------


def _enc(value: object) -> str:
    return quote_plus(str(value).strip(), safe="").replace("~", "%7E")  # = PHP urlencode()


def checkout_signature(fields: dict[str, str], passphrase: str) -> str:
    """The checkout form's signature: documented fields in documented order, blanks left out."""
    if unknown := set(fields) - set(CHECKOUT_ORDER) - {"signature"}:
        raise ValueError(f"unsigned/unknown checkout fields: {sorted(unknown)}")
    parts = [f"{k}={_enc(fields[k])}" for k in CHECKOUT_ORDER if k in fields and str(fields[k]).strip()]
    if passphrase:
        parts.append(f"passphrase={_enc(passphrase)}")
    return hashlib.md5("&".join(parts).encode()).hexdigest()


def itn_param_string(pairs: list[tuple[str, str]]) -> str:
    """Every posted field in the order received, blanks included, up to `signature`."""
    out = []
    for key, value in pairs:
        if key == "signature":
            break
        out.append(f"{key}={_enc(value)}")
    return "&".join(out)


def itn_signature(pairs: list[tuple[str, str]], passphrase: str) -> str:
    text = itn_param_string(pairs) + (f"&passphrase={_enc(passphrase)}" if passphrase else "")
    return hashlib.md5(text.encode()).hexdigest()


def api_signature(headers: dict[str, str], params: dict[str, str], passphrase: str) -> str:
    """The subscriptions API's signature: headers, body and query (not `testing`), sorted by key."""
    data = {**headers, **{k: v for k, v in params.items() if k != "testing"}, "passphrase": passphrase}
    text = "&".join(f"{k}={_enc(v)}" for k, v in sorted(data.items()) if str(v) != "")
    return hashlib.md5(text.encode()).hexdigest()


# --- Configuration -------------------------------------------------------------------------------


def configured() -> bool:
    return bool(
        settings.PAYFAST_MERCHANT_ID and settings.PAYFAST_MERCHANT_KEY and settings.PAYFAST_PASSPHRASE
    )


def process_origin() -> str:
    """The origin the checkout form posts to (the page's CSP form-action must allow it)."""
    url = urlsplit(settings.PAYFAST_PROCESS_URL)
    return f"{url.scheme}://{url.netloc}"


def rand(cents: int) -> str:
    """ZAR cents as PayFast writes amounts: "49.00"."""
    return f"{cents // 100}.{cents % 100:02d}"


def cents(text: str) -> int:
    """PayFast's "49.00" (or "49") as cents; ValueError for anything else."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"not an amount: {text!r}")
    return int(amount * 100)


def add_month(when: datetime) -> datetime:
    """The same day next month (the last day when it has fewer days): PayFast's monthly cycle."""
    year, month = (when.year + 1, 1) if when.month == 12 else (when.year, when.month + 1)
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


# --- Checkout ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkout:
    subscription: PayFastSubscription
    process_url: str
    fields: dict[str, str]


def start_checkout(user: User, plan: Plan, *, return_url: str, cancel_url: str, notify_url: str) -> Checkout:
    """A PENDING subscription for `plan` and the signed form that starts it at PayFast."""
    if not configured():
        raise PayFastError(_("Payments are not set up on this site yet."))
    if not plan.price_cents:
        raise PayFastError(_("%(plan)s is free: there is nothing to pay.") % {"plan": plan.code})
    if services.plan_for(user).rank >= plan.rank:
        raise PayFastError(_("You are already on %(plan)s or above.") % {"plan": plan.code})
    subscription = PayFastSubscription.objects.create(
        user=user, plan=plan, m_payment_id=f"ms-{uuid.uuid4().hex}", amount_cents=plan.price_cents
    )
    amount = rand(plan.price_cents)
    fields = {
        "merchant_id": settings.PAYFAST_MERCHANT_ID,
        "merchant_key": settings.PAYFAST_MERCHANT_KEY,
        "return_url": return_url,
        "cancel_url": cancel_url,
        "notify_url": notify_url,
        "email_address": user.email,
        "m_payment_id": subscription.m_payment_id,
        "amount": amount,
        "item_name": f"Media Studio {plan.code} monthly",
        "subscription_type": "1",
        "billing_date": timezone.localdate().isoformat(),
        "recurring_amount": amount,
        "frequency": MONTHLY,
        "cycles": "0",
    }
    fields = {k: v for k, v in fields.items() if v}
    fields["signature"] = checkout_signature(fields, settings.PAYFAST_PASSPHRASE)
    return Checkout(subscription, settings.PAYFAST_PROCESS_URL, fields)


def active_subscription(user: User) -> PayFastSubscription | None:
    """The user's PayFast subscription that is paying now, if any."""
    return (
        PayFastSubscription.objects.filter(user=user, status=PayFastSubscription.Status.ACTIVE)
        .select_related("plan", "change_to")
        .first()
    )


# --- ITN -------------------------------------------------------------------------------------------


class Rejected(Exception):
    def __init__(self, outcome: str, reason: str, *, retry: bool = False):
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason
        self.retry = retry  # PayFast should send it again (answer non-200): our check could not run


def handle_itn(body: bytes, source_ip: str | None) -> tuple[PayFastNotification, bool]:
    """Store, check and apply one ITN. Returns the stored row and whether PayFast should retry
    (the validation call could not be made), in which case the view answers 503."""
    text = body[:MAX_ITN_BYTES].decode("utf-8", errors="replace")
    note = PayFastNotification.objects.create(body=text, source_ip=source_ip)
    try:
        outcome, reason = _check_and_apply(note, body, source_ip)
    except Rejected as rejected:
        note.outcome, note.reason = rejected.outcome, rejected.reason[:300]
        note.save(update_fields=["outcome", "reason"])
        log.warning("PayFast ITN %s %s: %s (from %s)", note.pk, rejected.outcome, rejected.reason, source_ip)
        return note, rejected.retry
    note.outcome, note.reason = outcome, reason[:300]
    log.info("PayFast ITN %s %s: %s", note.pk, outcome, reason)
    return note, False


def _parse(body: bytes) -> list[tuple[str, str]]:
    if len(body) > MAX_ITN_BYTES:
        raise Rejected(PayFastNotification.Outcome.REJECTED, "malformed: too large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as error:
        raise Rejected(PayFastNotification.Outcome.REJECTED, f"malformed: {error}") from None
    keys = [k for k, _value in pairs]
    if len(set(keys)) != len(keys):
        raise Rejected(PayFastNotification.Outcome.REJECTED, "malformed: a field is posted twice")
    missing = [f for f in (*REQUIRED_ITN_FIELDS, "signature") if not dict(pairs).get(f, "").strip()]
    if missing:
        raise Rejected(PayFastNotification.Outcome.REJECTED, f"malformed: missing {', '.join(missing)}")
    return pairs


def source_allowed(ip: str | None) -> bool:
    """Whether `ip` is one of PayFast's: in the published ranges or an address of its hosts."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    if any(address in network for network in SOURCE_RANGES):
        return True
    for host in SOURCE_HOSTS:
        try:
            if str(address) in {info[4][0] for info in socket.getaddrinfo(host, None)}:
                return True
        except OSError:
            continue
    return False


def _check_and_apply(note: PayFastNotification, body: bytes, source_ip: str | None) -> tuple[str, str]:
    Outcome = PayFastNotification.Outcome
    pairs = _parse(body)
    data = dict(pairs)
    note.pf_payment_id = data["pf_payment_id"][:64]
    note.payment_status = data["payment_status"][:32]
    note.save(update_fields=["pf_payment_id", "payment_status"])
    if itn_signature(pairs, settings.PAYFAST_PASSPHRASE) != data["signature"]:
        raise Rejected(Outcome.REJECTED, "forged: the signature does not match")
    if settings.PAYFAST_CHECK_SOURCE_IP and not source_allowed(source_ip):
        raise Rejected(Outcome.REJECTED, f"forged: {source_ip} is not a PayFast address")
    if data["merchant_id"] != settings.PAYFAST_MERCHANT_ID:
        raise Rejected(Outcome.REJECTED, "forged: another merchant's notification")
    subscription = PayFastSubscription.objects.filter(m_payment_id=data["m_payment_id"]).first()
    if subscription is None:
        raise Rejected(Outcome.REJECTED, f"unknown m_payment_id {data['m_payment_id'][:100]!r}")
    note.subscription = subscription
    note.save(update_fields=["subscription"])
    if subscription.token and data.get("token") and data["token"] != subscription.token:
        raise Rejected(Outcome.REJECTED, "forged: the token is not this subscription's")
    if _applied(note.pf_payment_id):
        raise Rejected(Outcome.DUPLICATE, f"replay: pf_payment_id {note.pf_payment_id} was applied before")
    status = data["payment_status"]
    if status == "COMPLETE":
        try:
            paid = cents(data["amount_gross"])
        except ValueError as error:
            raise Rejected(Outcome.REJECTED, f"malformed: amount_gross {error}") from None
        expected = _expected_cents(subscription)
        if paid != expected:
            raise Rejected(Outcome.REJECTED, f"wrong amount: paid {rand(paid)}, expected {rand(expected)}")
    _confirm_with_payfast(pairs)
    return _apply(note, subscription, status, data.get("token", ""))


def _applied(pf_payment_id: str) -> bool:
    return PayFastNotification.objects.filter(
        pf_payment_id=pf_payment_id, outcome=PayFastNotification.Outcome.APPLIED
    ).exists()


def _expected_cents(subscription: PayFastSubscription) -> int:
    """What a COMPLETE payment must be: the first one the checkout's amount, a renewal after a
    downgrade the lower plan's price."""
    if subscription.status == PayFastSubscription.Status.ACTIVE and subscription.change_to is not None:
        return subscription.change_to.price_cents
    return subscription.amount_cents


def _confirm_with_payfast(pairs: list[tuple[str, str]]) -> None:
    """PayFast's server confirmation: POST the param string back; the answer must be VALID."""
    request = urllib.request.Request(
        settings.PAYFAST_VALIDATE_URL,
        data=itn_param_string(pairs).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "MediaStudio"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.PAYFAST_TIMEOUT_SECONDS) as response:
            answer = response.read(100).decode("utf-8", errors="replace").strip()
    except (urllib.error.URLError, OSError) as error:
        raise Rejected(
            PayFastNotification.Outcome.REJECTED, f"validation call failed: {error}", retry=True
        ) from None
    if answer != "VALID":
        raise Rejected(PayFastNotification.Outcome.REJECTED, f"PayFast did not confirm it: {answer[:40]!r}")


def _apply(
    note: PayFastNotification, subscription: PayFastSubscription, status: str, token: str
) -> tuple[str, str]:
    Outcome, Status = PayFastNotification.Outcome, PayFastSubscription.Status
    try:
        with transaction.atomic():
            note.outcome = Outcome.APPLIED
            note.save(update_fields=["outcome"])  # the partial unique constraint: once per pf_payment_id
            subscription = PayFastSubscription.objects.select_for_update().get(pk=subscription.pk)
            user = subscription.user
            if status == "COMPLETE":
                reason = _paid(note, subscription, user, token)
            elif status in ("CANCELLED", "FAILED") and subscription.status == Status.ACTIVE:
                subscription.status = Status.CANCELLED if status == "CANCELLED" else Status.FAILED
                subscription.save(update_fields=["status", "updated_at"])
                _end_at_period_end(subscription, f"PayFast subscription {status.lower()}")
                reason = f"{subscription.plan.code} ends {subscription.paid_until:%Y-%m-%d}: {status.lower()}"
            else:
                note.outcome = Outcome.IGNORED
                note.save(update_fields=["outcome"])
                reason = f"{status} on a {subscription.status} subscription changes nothing"
            note.reason = reason[:300]
            note.save(update_fields=["reason"])
            return note.outcome, reason
    except IntegrityError:
        raise Rejected(
            Outcome.DUPLICATE, f"replay: pf_payment_id {note.pf_payment_id} was applied before"
        ) from None


def _paid(note: PayFastNotification, subscription: PayFastSubscription, user: User, token: str) -> str:
    Status = PayFastSubscription.Status
    now = timezone.now()
    if subscription.status == Status.PENDING:
        subscription.status = Status.ACTIVE
        subscription.token = token[:64]
        subscription.paid_until = add_month(now)
        # An upgrade: the plan it replaces stops being charged now (no refund, no proration).
        for old in PayFastSubscription.objects.filter(user=user, status=Status.ACTIVE).exclude(
            pk=subscription.pk
        ):
            old.status = Status.REPLACED
            old.save(update_fields=["status", "updated_at"])
            if old.token:
                transaction.on_commit(functools.partial(_cancel_quietly, old.token))
    elif subscription.status == Status.ACTIVE:  # a renewal
        subscription.paid_until = add_month(max(subscription.paid_until or now, now))
        if subscription.change_to is not None:
            subscription.plan, subscription.amount_cents = (
                subscription.change_to,
                subscription.change_to.price_cents,
            )
            subscription.change_to = None
    else:
        note.outcome = PayFastNotification.Outcome.IGNORED
        note.save(update_fields=["outcome"])
        log.error(
            "PayFast payment %s on a %s subscription: refund it", note.pf_payment_id, subscription.status
        )
        return f"a payment on a {subscription.status} subscription changes nothing (refund it)"
    subscription.save()
    if services.plan_for(user).pk != subscription.plan_id:
        services.change_tier(user, subscription.plan, by=None, reason=f"PayFast payment {note.pf_payment_id}")
    services.schedule_change(
        user,
        services.default_plan(),
        at=subscription.paid_until + settings.PAYFAST_GRACE,
        reason="the paid period ended without a renewal",
    )
    return f"{subscription.plan.code} paid until {subscription.paid_until:%Y-%m-%d}"


def _end_at_period_end(subscription: PayFastSubscription, reason: str) -> None:
    services.schedule_change(
        subscription.user,
        services.default_plan(),
        at=subscription.paid_until or timezone.now(),
        reason=reason,
    )


# --- The user's own changes: cancel and downgrade (through PayFast's subscriptions API) -------------


def cancel(user: User) -> PayFastSubscription:
    """Stop the user's subscription: PayFast charges no more; the plan lasts until the period's end."""
    subscription = active_subscription(user)
    if subscription is None:
        raise PayFastError(_("You have no paid subscription to cancel."))
    _api("PUT", f"/subscriptions/{subscription.token}/cancel")
    with transaction.atomic():
        subscription.status = PayFastSubscription.Status.CANCELLED
        subscription.save(update_fields=["status", "updated_at"])
        _end_at_period_end(subscription, "cancelled by the user")
    return subscription


def downgrade(user: User, plan: Plan) -> PayFastSubscription:
    """Charge `plan`'s price from the next renewal; the current plan lasts until the period's end."""
    subscription = active_subscription(user)
    if subscription is None:
        raise PayFastError(_("You have no paid subscription to change."))
    if not plan.price_cents:
        raise PayFastError(_("To move to FREE, cancel the subscription."))
    if plan.rank >= subscription.plan.rank:
        raise PayFastError(
            _("%(plan)s is not below %(current)s: subscribe to it instead.")
            % {"plan": plan.code, "current": subscription.plan.code}
        )
    _api("PATCH", f"/subscriptions/{subscription.token}/update", {"amount": str(plan.price_cents)})
    with transaction.atomic():
        subscription.change_to = plan
        subscription.save(update_fields=["change_to", "updated_at"])
        services.schedule_change(
            user, plan, at=subscription.paid_until or timezone.now(), reason=f"downgrade to {plan.code}"
        )
    return subscription


def _cancel_quietly(token: str) -> None:
    try:
        _api("PUT", f"/subscriptions/{token}/cancel")
    except PayFastError as error:
        log.error("PayFast: could not cancel the replaced subscription %s: %s", token, error)


def _api(method: str, path: str, body: dict[str, str] | None = None) -> dict:
    """One call to PayFast's subscriptions API, signed; PayFastError unless it says success."""
    if not configured():
        raise PayFastError(_("Payments are not set up on this site yet."))
    headers = {
        "merchant-id": settings.PAYFAST_MERCHANT_ID,
        "version": "v1",
        "timestamp": timezone.localtime().isoformat(timespec="seconds"),
    }
    params = body or {}
    headers["signature"] = api_signature(headers, params, settings.PAYFAST_PASSPHRASE)
    query = "?" + urlencode({"testing": "true"}) if settings.PAYFAST_SANDBOX else ""
    data = json.dumps(params).encode() if params else b""
    request = urllib.request.Request(
        settings.PAYFAST_API_URL.rstrip("/") + path + query,
        data=data,
        headers={**headers, "Content-Type": "application/json", "Content-Length": str(len(data))},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.PAYFAST_TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        log.warning("PayFast API %s %s: HTTP %s %s", method, path, error.code, error.read(300))
        raise PayFastError(_("PayFast refused the change. Nothing was changed; try again later.")) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        log.warning("PayFast API %s %s failed: %s", method, path, error)
        raise PayFastError(_("PayFast could not be reached. Nothing was changed; try again later.")) from None
    if answer.get("status") != "success":
        log.warning("PayFast API %s %s answered %s", method, path, answer)
        raise PayFastError(_("PayFast refused the change. Nothing was changed; try again later."))
    return answer
