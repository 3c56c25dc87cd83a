"""Plans and PayFast in Chromium, against the emulator's PayFast sandbox stand-in over real HTTP: a
FREE user finds the plans from a refusal, subscribes to JIVE through PayFast's checkout, the ITN the
stand-in posts to the live server moves them to JIVE at once, and they generate with Google's model;
a forged ITN and a replayed one change nothing. The allowance button and the refusal links too."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from billing import payfast, services
from billing.models import PayFastNotification, PayFastSubscription, TierChange
from billing.tests.helpers import use_payfast_stand_in
from emulator import PAYFAST_MERCHANT
from studio.models import MediaJob
from studio.tests.browser.a11y import assert_accessible
from studio.tests.browser.loading import assert_loaded
from studio.tests.cluster import wait_for_job

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
Outcome = PayFastNotification.Outcome


@pytest.fixture
def payfast_sandbox(providers_env, settings):
    """The app's PayFast settings on the emulator's stand-in, as `make run` sets them."""
    use_payfast_stand_in(settings, providers_env.base_url)
    return providers_env


def plan_of(user) -> str:
    return services.plan_for(type(user).objects.get(pk=user.pk)).code


def test_a_free_user_upgrades_to_jive_through_payfast_then_generates(
    page, live_server, make_user, log_in, worker, payfast_sandbox, shoot
):
    thandi = make_user(username="thandi", tier="FREE")
    log_in(page, thandi)

    # The way up from a refusal (Upscale is not on FREE) leads to the plans page.
    page.goto(live_server.url + "/studio/images/upscale/")
    with page.expect_navigation():
        page.get_by_role("link", name="Compare plans").click()
    assert page.url == live_server.url + "/plans/"
    current = page.locator("section.plan-current")
    expect(current.get_by_role("heading")).to_contain_text("FREE")
    expect(current).to_contain_text("Your plan")
    expect(page.locator("#plan-JIVE").locator("..")).to_contain_text("R49.00")
    expect(page.locator("table.plans-table")).to_contain_text("50 a month")
    assert_accessible(page, "plans, FREE")
    shoot(page, "plans-free")

    # Subscribe: our page with the signed form, then PayFast's checkout (the stand-in).
    page.get_by_role("button", name="Subscribe to JIVE").click()
    expect(page.get_by_role("heading", name="Subscribe to JIVE")).to_be_visible()
    assert_accessible(page, "checkout")
    shoot(page, "plans-checkout")
    with page.expect_navigation():
        page.get_by_role("button", name="Pay R49.00 a month with PayFast").click()
    assert page.url == payfast_sandbox.base_url + "/eng/process"
    expect(page.get_by_role("heading", name="PayFast sandbox (offline stand-in)")).to_be_visible()
    expect(page.locator("body")).to_contain_text("R49.00 a month")
    with page.expect_navigation():
        page.get_by_role("button", name="Pay now").click()

    # PayFast posted the ITN before sending the browser back: the plan changed at once.
    assert page.url == live_server.url + "/plans/?checkout=done"
    expect(page.locator(".plans-note")).to_contain_text("PayFast confirmed your payment: you are on JIVE now")
    expect(page.locator("section.plan-current").get_by_role("heading")).to_contain_text("JIVE")
    expect(page.locator("main")).to_contain_text("paid with PayFast until")
    shoot(page, "plans-paid-jive")
    assert plan_of(thandi) == "JIVE"
    subscription = PayFastSubscription.objects.get(user=thandi)
    assert subscription.status == PayFastSubscription.Status.ACTIVE
    [applied] = PayFastNotification.objects.filter(outcome=Outcome.APPLIED)
    assert TierChange.objects.filter(user=thandi).first().reason == f"PayFast payment {applied.pf_payment_id}"

    # Then generating: Google's model, no watermark, charged to JIVE's monthly images.
    page.goto(live_server.url + "/studio/images/create/")
    page.get_by_label("Prompt", exact=True).fill("A protea at sunrise on Table Mountain")
    expect(page.locator("#estimate")).to_contain_text("R0.74")
    page.get_by_role("button", name="Generate").click()
    card = page.locator("article.job").first
    expect(card).to_contain_text("A protea at sunrise")
    job = wait_for_job(MediaJob.objects.get(owner=thandi).id)
    assert job.state == MediaJob.State.SUCCEEDED and not job.watermark
    image = card.get_by_role("img")
    expect(image).to_be_visible(timeout=15_000)
    image.evaluate("img => img.decode()")
    assert_loaded(page, image)

    # A forged ITN (signed without the passphrase) for a JIGGA checkout changes nothing.
    page.goto(live_server.url + "/plans/")
    page.get_by_role("button", name="Upgrade to JIGGA").click()
    m_payment_id = page.locator("input[name=m_payment_id]").get_attribute("value")
    pairs = [
        ("m_payment_id", m_payment_id),
        ("pf_payment_id", "4242"),
        ("payment_status", "COMPLETE"),
        ("amount_gross", "149.00"),
        ("merchant_id", PAYFAST_MERCHANT[0]),
    ]
    forged = urlencode([*pairs, ("signature", payfast.itn_signature(pairs, "a-guess"))])
    answer = page.request.post(
        live_server.url + "/billing/payfast/itn/",
        data=forged,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 200
    forged_note = PayFastNotification.objects.get(pf_payment_id="4242")
    assert forged_note.outcome == Outcome.REJECTED and "signature" in forged_note.reason
    assert plan_of(thandi) == "JIVE"

    # PayFast's replay of the paid ITN (the same pf_payment_id) changes nothing either.
    paid_until = PayFastSubscription.objects.get(pk=subscription.pk).paid_until
    assert payfast_sandbox.payfast_itn(subscription.token, "resend-itn")["notify_status"] == 200
    replay = PayFastNotification.objects.order_by("-pk").first()
    assert replay.pf_payment_id == applied.pf_payment_id and replay.outcome == Outcome.DUPLICATE
    assert TierChange.objects.filter(user=thandi).count() == 1
    assert PayFastSubscription.objects.get(pk=subscription.pk).paid_until == paid_until
    page.goto(live_server.url + "/plans/")
    expect(page.locator("section.plan-current").get_by_role("heading")).to_contain_text("JIVE")


def test_a_used_up_allowance_offers_the_plans_instead_of_a_refused_submit(
    page, live_server, make_user, log_in, providers_env, shoot
):
    sipho = make_user(username="sipho", tier="FREE")
    services.reserve(sipho, "images", 1, "test:used-today")
    log_in(page, sipho)
    page.goto(live_server.url + "/studio/images/create/")
    expect(page.locator("#estimate")).to_contain_text("0 images left today")
    expect(page.get_by_role("button", name="Generate")).to_be_hidden()
    more = page.get_by_role("link", name="Get more images: see plans")
    expect(more).to_be_visible()
    shoot(page, "create-allowance-used")
    with page.expect_navigation():
        more.click()
    assert page.url == live_server.url + "/plans/"
