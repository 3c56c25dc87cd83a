"""Plans and PayFast: the plans page, checkout, the ITN checks, and changes at the period's end.

PayFast is the emulator's sandbox stand-in over real HTTP (emulator/payfast.py): it checks our
checkout signature, signs the ITN with the passphrase and answers the validation call. Its ITN goes
to a small capture server (PAYFAST_NOTIFY_URL), and the test posts what was captured to our
notify URL through Django's test client, so every check runs on what PayFast would send.
"""

from __future__ import annotations

import http.client
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.utils import timezone

from billing import payfast, services
from billing.models import PayFastNotification, PayFastSubscription, Subscription, TierChange
from billing.tests.helpers import use_payfast_stand_in

ITN_URL = "/billing/payfast/itn/"
Outcome = PayFastNotification.Outcome


class Capture(ThreadingHTTPServer):
    """Stands where our notify URL would be: keeps each ITN body PayFast's stand-in posts."""

    daemon_threads = True

    def __init__(self):
        self.bodies: list[bytes] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                server.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/billing/payfast/itn/"


@pytest.fixture(scope="module")
def payfast_emulator():
    from emulator import start_emulator

    emu = start_emulator(host="127.0.0.1", port=0, gcs_port=0)
    yield emu
    emu.stop()


@pytest.fixture
def capture():
    server = Capture()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def pf(payfast_emulator, capture, settings):
    """Settings pointing at the stand-in with PayFast's sandbox merchant; ITNs to the capture server."""
    use_payfast_stand_in(settings, payfast_emulator.base_url, notify_url=capture.url)
    return payfast_emulator


def _post(base_url: str, path: str, fields: dict[str, str]) -> http.client.HTTPResponse:
    host = urlsplit(base_url)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=20)
    connection.request("POST", path, urlencode(fields), {"Content-Type": "application/x-www-form-urlencoded"})
    return connection.getresponse()


def checkout(client, user, code: str) -> dict[str, str]:
    """What our checkout page would post to PayFast for `user` and plan `code`."""
    client.force_login(user)
    response = client.post(f"/plans/{code}/checkout/")
    assert response.status_code == 200, response.content
    return dict(response.context["checkout"].fields)


def pay_at_payfast(pf, capture, fields: dict[str, str]) -> bytes:
    """The buyer pays on the stand-in's checkout page; the ITN it sent (captured)."""
    page = _post(pf.base_url, "/eng/process", fields)
    text = page.read().decode()
    assert page.status == 200, text
    checkout_id = re.search(r'name="checkout" value="([0-9a-f]+)"', text)[1]
    paid = _post(pf.base_url, "/eng/process/pay", {"checkout": checkout_id})
    assert paid.status == 303 and paid.getheader("Location") == fields["return_url"]
    return capture.bodies[-1]


def notify(client, body: bytes, **extra):
    return client.post(ITN_URL, data=body, content_type="application/x-www-form-urlencoded", **extra)


def subscribe(client, pf, capture, user, code: str = "JIVE"):
    body = pay_at_payfast(pf, capture, checkout(client, user, code))
    response = notify(client, body)
    assert response.status_code == 200
    return body


def last_note() -> PayFastNotification:
    return PayFastNotification.objects.order_by("-pk").first()


def refresh_plan(user):
    return services.plan_for(type(user).objects.get(pk=user.pk)).code


# --- Signatures ------------------------------------------------------------------------------------


def test_the_checkout_signature_matches_payfasts_documented_example():
    from emulator.payfast import PUBLISHED_CHECKOUT, PUBLISHED_CHECKOUT_SIGNATURE

    assert payfast.checkout_signature(PUBLISHED_CHECKOUT, "jt7NOE43FZPn") == PUBLISHED_CHECKOUT_SIGNATURE
    assert PUBLISHED_CHECKOUT_SIGNATURE == "956ba72c565a50f7aee4fff9d0bdb540"  # the doc's figure


def test_the_itn_signature_keeps_blank_fields_in_posted_order():
    pairs = [("m_payment_id", "a"), ("item_description", ""), ("amount_gross", "49.00")]
    with_blank = payfast.itn_signature(pairs, "salt")
    assert with_blank != payfast.itn_signature([p for p in pairs if p[1]], "salt")
    assert payfast.itn_param_string(pairs) == "m_payment_id=a&item_description=&amount_gross=49.00"


# --- The plans page --------------------------------------------------------------------------------


def test_it_compares_the_plans_from_the_plan_rows_and_marks_the_users(client, make_user, pf):
    thandi = make_user(username="thandi", tier="JIVE")
    client.force_login(thandi)
    page = client.get("/plans/").content.decode()
    for words in ("FREE", "JIVE", "JIGGA", "R49.00", "R149.00", "50 a month", "1 a day", "5 min a month"):
        assert words in page
    current = re.search(r'<section class="plan plan-current".*?</section>', page, re.S)[0]
    assert 'id="plan-JIVE"' in current and "Your plan" in current
    assert "Upgrade to JIGGA" in page and "Subscribe to JIVE" not in page


def test_it_shows_plans_to_visitors_and_says_when_payments_are_not_set_up(client, settings, db):
    settings.PAYFAST_MERCHANT_ID = ""
    page = client.get("/plans/").content.decode()
    assert "R149.00" in page and "Your plan" not in page
    assert "Payments are not set up" in page


def test_the_checkout_page_posts_a_signed_monthly_subscription_to_payfast(client, make_user, pf):
    fields = checkout(client, make_user(username="sipho"), "JIVE")
    assert fields["subscription_type"] == "1" and fields["frequency"] == "3" and fields["cycles"] == "0"
    assert fields["amount"] == fields["recurring_amount"] == "49.00"
    assert fields["merchant_id"] == "10000100" and fields["notify_url"].endswith(ITN_URL)
    record = PayFastSubscription.objects.get(m_payment_id=fields["m_payment_id"])
    assert record.status == PayFastSubscription.Status.PENDING and record.amount_cents == 4900
    page = client.post("/plans/JIVE/checkout/")
    assert f'action="{pf.base_url}/eng/process"' in page.content.decode()
    # Only this page may post a form to PayFast (CSP form-action).
    assert pf.base_url in page["Content-Security-Policy"].split("form-action")[1].split(";")[0]


# --- The ITN ---------------------------------------------------------------------------------------


def test_a_verified_payment_changes_the_tier_at_once_through_the_audited_change(
    client, make_user, pf, capture
):
    sipho = make_user(username="sipho")
    body = subscribe(client, pf, capture, sipho)
    assert refresh_plan(sipho) == "JIVE"
    pf_payment_id = dict(parse_qsl(body.decode()))["pf_payment_id"]
    change = TierChange.objects.filter(user=sipho).first()
    assert change.to_plan.code == "JIVE" and change.reason == f"PayFast payment {pf_payment_id}"
    record = PayFastSubscription.objects.get(user=sipho)
    assert record.status == PayFastSubscription.Status.ACTIVE and len(record.token) == 36
    note = last_note()
    assert note.outcome == Outcome.APPLIED and note.subscription == record
    # The plan lapses to FREE unless PayFast renews it (paid period + grace).
    row = Subscription.objects.get(user=sipho)
    assert row.change_to.code == "FREE" and row.change_at == record.paid_until + timedelta(hours=24)
    assert [b for b in services.remaining(sipho) if b.meter == "images"][0].allowance == 50


def test_a_forged_signature_changes_nothing(client, make_user, pf, capture):
    sipho = make_user(username="sipho")
    body = pay_at_payfast(pf, capture, checkout(client, sipho, "JIVE"))
    forged = body.replace(b"amount_gross=49.00", b"amount_gross=49.01")
    assert notify(client, forged).status_code == 200
    assert last_note().outcome == Outcome.REJECTED and "signature" in last_note().reason
    assert refresh_plan(sipho) == "FREE" and not TierChange.objects.filter(user=sipho).exists()


def test_an_under_payment_changes_nothing(client, make_user, pf, capture, settings):
    """A JIGGA checkout paid at JIVE's price (a form altered by someone holding the passphrase):
    signed and confirmed by PayFast, but not what our record expects."""
    sipho = make_user(username="sipho")
    fields = checkout(client, sipho, "JIGGA")
    fields.update(amount="49.00", recurring_amount="49.00")
    fields["signature"] = payfast.checkout_signature(
        {k: v for k, v in fields.items() if k != "signature"}, settings.PAYFAST_PASSPHRASE
    )
    notify(client, pay_at_payfast(pf, capture, fields))
    assert last_note().outcome == Outcome.REJECTED
    assert last_note().reason == "wrong amount: paid 49.00, expected 149.00"
    assert refresh_plan(sipho) == "FREE"
    assert PayFastSubscription.objects.get(user=sipho).status == PayFastSubscription.Status.PENDING


def test_a_replayed_notification_changes_nothing(client, make_user, pf, capture):
    sipho = make_user(username="sipho")
    body = subscribe(client, pf, capture, sipho)
    paid_until = PayFastSubscription.objects.get(user=sipho).paid_until
    assert notify(client, body).status_code == 200
    assert last_note().outcome == Outcome.DUPLICATE
    assert TierChange.objects.filter(user=sipho).count() == 1
    assert PayFastSubscription.objects.get(user=sipho).paid_until == paid_until  # not extended twice
    # PayFast's own resend (the same ITN again) is refused the same way.
    record = PayFastSubscription.objects.get(user=sipho)
    pf.payfast_itn(record.token, "resend-itn")
    assert notify(client, capture.bodies[-1]).status_code == 200
    assert last_note().outcome == Outcome.DUPLICATE


@pytest.mark.parametrize(
    "body",
    [
        b"this is not a form",
        b"m_payment_id=x&payment_status=COMPLETE",
        b"m_payment_id=a&m_payment_id=b&pf_payment_id=1&payment_status=COMPLETE&amount_gross=1&merchant_id=1&signature=x",
        b"\xff\xfe",
        b"",
    ],
)
def test_a_malformed_notification_is_logged_and_changes_nothing(client, make_user, pf, body, caplog):
    sipho = make_user(username="sipho")
    assert notify(client, body).status_code == 200
    note = last_note()
    assert note.outcome == Outcome.REJECTED and note.reason.startswith("malformed")
    assert "PayFast ITN" in caplog.text
    assert refresh_plan(sipho) == "FREE"


def test_a_notification_payfast_did_not_send_fails_the_validation_call(client, make_user, pf, settings):
    """Correctly signed (whoever knows the passphrase), but PayFast answers INVALID."""
    sipho = make_user(username="sipho")
    fields = checkout(client, sipho, "JIVE")
    pairs = [
        ("m_payment_id", fields["m_payment_id"]),
        ("pf_payment_id", "999"),
        ("payment_status", "COMPLETE"),
        ("amount_gross", "49.00"),
        ("merchant_id", fields["merchant_id"]),
        ("token", "dc0521d3-55fe-269b-fa00-b647310d760f"),
    ]
    body = urlencode([*pairs, ("signature", payfast.itn_signature(pairs, settings.PAYFAST_PASSPHRASE))])
    assert notify(client, body.encode()).status_code == 200
    assert last_note().reason == "PayFast did not confirm it: 'INVALID'"
    assert refresh_plan(sipho) == "FREE"


def test_when_the_validation_call_cannot_be_made_payfast_is_asked_to_resend(
    client, make_user, pf, capture, settings
):
    sipho = make_user(username="sipho")
    body = pay_at_payfast(pf, capture, checkout(client, sipho, "JIVE"))
    settings.PAYFAST_VALIDATE_URL = "http://127.0.0.1:9/eng/query/validate"  # nothing listens
    assert notify(client, body).status_code == 503
    assert refresh_plan(sipho) == "FREE"
    settings.PAYFAST_VALIDATE_URL = pf.base_url + "/eng/query/validate"
    assert notify(client, body).status_code == 200  # PayFast's retry is applied
    assert refresh_plan(sipho) == "JIVE"


def test_with_the_source_check_on_only_payfasts_addresses_are_believed(
    client, make_user, pf, capture, settings
):
    settings.PAYFAST_CHECK_SOURCE_IP = True
    sipho = make_user(username="sipho")
    body = pay_at_payfast(pf, capture, checkout(client, sipho, "JIVE"))
    notify(client, body, REMOTE_ADDR="203.0.113.7")
    assert last_note().reason == "forged: 203.0.113.7 is not a PayFast address"
    assert refresh_plan(sipho) == "FREE"
    notify(client, body, REMOTE_ADDR="197.97.145.150")  # in PayFast's published 197.97.145.144/28
    assert last_note().outcome == Outcome.APPLIED
    assert refresh_plan(sipho) == "JIVE"


# --- Renewals, cancel, downgrade, lapse ---------------------------------------------------------------


def _period_ends(user) -> None:
    """Time passes: the scheduled change is due now."""
    Subscription.objects.filter(user=user).update(change_at=timezone.now() - timedelta(seconds=1))


def test_without_a_renewal_the_plan_falls_back_to_free_at_the_periods_end(client, make_user, pf, capture):
    sipho = make_user(username="sipho")
    subscribe(client, pf, capture, sipho)
    _period_ends(sipho)
    assert refresh_plan(sipho) == "FREE"
    assert TierChange.objects.filter(user=sipho).first().reason == "the paid period ended without a renewal"
    assert Subscription.objects.get(user=sipho).change_at is None


def test_the_clusters_sweep_makes_due_changes_for_users_who_do_not_come_back(client, make_user, pf, capture):
    from billing.tasks import apply_due_changes

    sipho = make_user(username="sipho")
    subscribe(client, pf, capture, sipho)
    assert apply_due_changes() == 0  # nothing due yet
    _period_ends(sipho)
    assert apply_due_changes() == 1
    row = Subscription.objects.select_related("plan").get(user=sipho)
    assert row.plan.code == "FREE" and row.change_at is None
    assert apply_due_changes() == 0


def test_a_renewal_keeps_the_plan_for_another_month(client, make_user, pf, capture):
    sipho = make_user(username="sipho")
    subscribe(client, pf, capture, sipho)
    record = PayFastSubscription.objects.get(user=sipho)
    pf.payfast_itn(record.token, "renew")
    assert notify(client, capture.bodies[-1]).status_code == 200
    assert last_note().outcome == Outcome.APPLIED
    renewed = PayFastSubscription.objects.get(pk=record.pk)
    assert renewed.paid_until == payfast.add_month(record.paid_until)
    assert Subscription.objects.get(user=sipho).change_at == renewed.paid_until + timedelta(hours=24)
    assert refresh_plan(sipho) == "JIVE"


def test_a_cancel_stops_payfast_and_takes_effect_at_the_periods_end(client, make_user, pf, capture):
    sipho = make_user(username="sipho")
    subscribe(client, pf, capture, sipho)
    record = PayFastSubscription.objects.get(user=sipho)
    response = client.post("/plans/cancel/", follow=True)
    assert "PayFast charges nothing more" in response.content.decode()
    assert pf.payfast()["subscriptions"][record.token]["status"] == "CANCELLED"
    assert refresh_plan(sipho) == "JIVE"  # paid for until the period's end
    row = Subscription.objects.get(user=sipho)
    assert row.change_at == record.paid_until and row.change_to.code == "FREE"
    assert "you move to <strong>FREE</strong>.</p>" in client.get("/plans/").content.decode()
    _period_ends(sipho)
    assert refresh_plan(sipho) == "FREE"


def test_forgetting_a_user_cancels_the_paying_subscription_at_payfast(client, make_user, pf, capture):
    """Deleting an account (studio/accounts.py calls forget_user) stops PayFast charging; the payment
    records stay for accounting."""
    sipho = make_user(username="sipho")
    subscribe(client, pf, capture, sipho)
    record = PayFastSubscription.objects.get(user=sipho)

    services.forget_user(sipho)

    assert pf.payfast()["subscriptions"][record.token]["status"] == "CANCELLED"
    kept = PayFastSubscription.objects.get(pk=record.pk)
    assert kept.status == PayFastSubscription.Status.CANCELLED and kept.user_id == sipho.pk
    assert PayFastNotification.objects.filter(subscription=record).exists()
    assert TierChange.objects.filter(user=sipho).exists()
    assert Subscription.objects.get(user=sipho).change_at is None


def test_forgetting_a_user_stops_when_payfast_cannot_cancel(client, make_user, pf, capture, settings):
    sipho = make_user(username="sipho")
    subscribe(client, pf, capture, sipho)
    settings.PAYFAST_API_URL = "http://127.0.0.1:9"  # nothing answers

    with pytest.raises(payfast.PayFastError):
        services.forget_user(sipho)

    assert PayFastSubscription.objects.get(user=sipho).status == PayFastSubscription.Status.ACTIVE


def test_a_cancelled_notification_falls_back_to_free_at_the_periods_end(client, make_user, pf, capture):
    sipho = make_user(username="sipho")
    subscribe(client, pf, capture, sipho)
    record = PayFastSubscription.objects.get(user=sipho)
    pf.payfast_itn(record.token, "cancel")  # the buyer cancels on PayFast's own site
    notify(client, capture.bodies[-1])
    assert last_note().outcome == Outcome.APPLIED
    assert PayFastSubscription.objects.get(pk=record.pk).status == PayFastSubscription.Status.CANCELLED
    assert refresh_plan(sipho) == "JIVE"
    assert Subscription.objects.get(user=sipho).change_at == record.paid_until
    _period_ends(sipho)
    assert refresh_plan(sipho) == "FREE"


def test_a_downgrade_takes_effect_at_the_periods_end_and_the_renewal_pays_the_lower_price(
    client, make_user, pf, capture
):
    sipho = make_user(username="sipho")
    subscribe(client, pf, capture, sipho, "JIGGA")
    record = PayFastSubscription.objects.get(user=sipho)
    client.post("/plans/JIVE/downgrade/")
    assert pf.payfast()["subscriptions"][record.token]["amount"] == 4900  # PayFast charges R49 from now on
    assert refresh_plan(sipho) == "JIGGA"
    _period_ends(sipho)
    assert refresh_plan(sipho) == "JIVE"
    pf.payfast_itn(record.token, "renew")
    notify(client, capture.bodies[-1])
    assert last_note().outcome == Outcome.APPLIED, last_note().reason
    renewed = PayFastSubscription.objects.get(pk=record.pk)
    assert renewed.plan.code == "JIVE" and renewed.change_to is None and renewed.amount_cents == 4900
    assert refresh_plan(sipho) == "JIVE"


def test_an_upgrade_is_at_once_and_stops_the_old_subscription(client, make_user, pf, capture):
    sipho = make_user(username="sipho")
    subscribe(client, pf, capture, sipho, "JIVE")
    old = PayFastSubscription.objects.get(user=sipho)
    with django_capture_commits():
        subscribe(client, pf, capture, sipho, "JIGGA")
    assert refresh_plan(sipho) == "JIGGA"
    assert PayFastSubscription.objects.get(pk=old.pk).status == PayFastSubscription.Status.REPLACED
    assert pf.payfast()["subscriptions"][old.token]["status"] == "CANCELLED"


def django_capture_commits():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_a_user_on_jive_cannot_check_out_jive_again(client, make_user, pf):
    client.force_login(make_user(username="sipho", tier="JIVE"))
    response = client.post("/plans/JIVE/checkout/", follow=True)
    assert "already on JIVE" in response.content.decode()
    assert not PayFastSubscription.objects.exists()


def test_check_deploy_warns_when_real_merchants_pay_in_the_sandbox_or_unchecked(settings):
    from billing.checks import payfast_settings

    settings.PAYFAST_MERCHANT_ID = ""
    assert payfast_settings(None) == []  # nothing set up, nothing to say (the default deploy is clean)
    settings.PAYFAST_MERCHANT_ID, settings.PAYFAST_SANDBOX, settings.PAYFAST_CHECK_SOURCE_IP = (
        "10000100",
        True,
        False,
    )
    assert [w.id for w in payfast_settings(None)] == ["billing.W001", "billing.W002"]
    settings.PAYFAST_SANDBOX, settings.PAYFAST_CHECK_SOURCE_IP = False, True
    assert payfast_settings(None) == []
