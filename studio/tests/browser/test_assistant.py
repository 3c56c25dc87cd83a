"""The assistant and the prompt helper in Chromium, with a real worker and the emulator's text model:
a chat message becomes a tool call, a job card and then the image; a request over the allowance
shows the refusal with the way up and charges nothing; an isiZulu prompt is translated in a
preview, accepted, submitted, and the helper charged once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from billing import services as billing
from billing.models import CostEntry
from studio.models import MediaJob
from studio.tests.browser.a11y import assert_accessible
from studio.tests.browser.loading import assert_loaded
from studio.tests.cluster import wait_for_job

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ZULU = "Indlovu enkulu ehamba ogwini lolwandle ekuseni"
ENGLISH = "A big elephant walking on the seashore in the morning"


def send(page, words: str) -> None:
    page.get_by_label("Your message").fill(words)
    page.locator("#assistant-form").get_by_role("button", name="Send").click()


def test_a_chat_message_becomes_a_tool_call_a_job_card_and_the_image(
    page, live_server, make_user, log_in, worker, shoot
):
    alice = make_user(username="alice", tier="JIVE")
    log_in(page, alice)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Assistant").click()
    expect(page.get_by_role("heading", name="Assistant")).to_be_visible()
    expect(page.locator(".assistant-cost")).to_contain_text("your 250\xa0000 free tokens left this month")
    shoot(page, "assistant-empty")

    send(page, "make me a picture of a protea at sunrise")

    expect(page.locator(".msg-user").last).to_contain_text("make me a picture of a protea at sunrise")
    card = page.locator(".msg-model .tool-call article.job")
    expect(card).to_contain_text("a protea at sunrise")
    reply = page.locator(".msg-model .msg-text").last
    expect(reply).to_contain_text("Started generating 1 image (R0.74 / $0.04)")
    expect(page.get_by_label("Your message")).to_have_value("")
    job = MediaJob.objects.get(owner=alice)
    assert job.operation == "generate_image" and job.params["prompt"] == "a protea at sunrise"

    wait_for_job(job.id)
    image = card.get_by_role("img")
    expect(image).to_be_visible(timeout=15_000)
    assert_loaded(page, image)
    assert_accessible(page, "the assistant with a job card")
    shoot(page, "assistant-image")
    # The conversation is kept: after a reload it is all there.
    page.reload()
    expect(page.locator(".msg-user")).to_contain_text("make me a picture of a protea at sunrise")
    assert CostEntry.objects.filter(user=alice, operation="assistant").count() == 2


def test_a_request_over_the_allowance_shows_the_refusal_with_the_upgrade_and_charges_nothing(
    page, live_server, make_user, log_in, providers_env, shoot
):
    alice = make_user(username="alice", tier="JIVE")
    billing.reserve(alice, "images", 50, "job:earlier")  # JIVE's 50 images this month
    log_in(page, alice)
    page.goto(live_server.url + "/studio/assistant/")

    send(page, "make me a picture of a protea at sunrise")

    refusal = page.locator(".tool-refusal")
    expect(refusal).to_contain_text("Not enough allowance left")
    expect(refusal).to_contain_text("JIGGA")
    expect(refusal.get_by_role("link", name="See the plans")).to_have_attribute("href", "/plans/")
    expect(refusal).to_contain_text("Nothing was created and you were not charged.")
    expect(page.locator(".msg-model .msg-text").last).to_contain_text("I could not do that")
    assert_accessible(page, "the assistant with a refusal")
    shoot(page, "assistant-refused")
    assert not MediaJob.objects.exists()
    assert not CostEntry.objects.filter(user=alice).exclude(operation="assistant").exists()


def test_an_isizulu_prompt_is_translated_in_a_preview_accepted_and_submitted(
    page, live_server, make_user, log_in, worker, shoot
):
    alice = make_user(username="alice", tier="JIVE")
    log_in(page, alice)
    page.goto(live_server.url + "/studio/images/create/")
    helper = page.locator("#prompt-helper")
    expect(helper).to_contain_text("at most R0.04 a use")
    expect(helper).to_contain_text("250\xa0000 tokens left this month")
    prompt = page.get_by_label("Prompt", exact=True)
    prompt.fill(ZULU)

    helper.get_by_role("button", name="To English").click()

    suggestion = page.locator("#helper-suggestion")
    expect(suggestion).to_have_value(ENGLISH)
    expect(prompt).to_have_value(ZULU)  # never replaced before the user accepts
    expect(page.locator(".helper-charged")).to_contain_text("tokens (less than R0.01)")
    assert_accessible(page, "the prompt helper's preview")
    shoot(page, "prompt-helper-preview")
    suggestion.fill(ENGLISH + ", golden light")  # the preview is editable
    page.get_by_role("button", name="Use this prompt").click()
    expect(prompt).to_have_value(ENGLISH + ", golden light")
    expect(suggestion).to_have_count(0)
    page.get_by_role("button", name="Generate").click()

    card = page.locator("#results article.job").first
    expect(card).to_contain_text(ENGLISH)
    job = MediaJob.objects.get(owner=alice)
    assert job.params["prompt"] == ENGLISH + ", golden light"
    wait_for_job(job.id)
    expect(card.get_by_role("img")).to_be_visible(timeout=15_000)
    helper_charges = CostEntry.objects.filter(user=alice, operation="prompt_helper")
    # A translation is a fraction of a cent: the ledger keeps it in micro-dollars.
    assert helper_charges.count() == 1 and helper_charges.get().usd_micros > 0
    assert CostEntry.objects.filter(user=alice, operation="generate_image").count() == 1


def test_a_call_above_the_setting_waits_for_a_yes_then_shows_its_job_card(
    page, live_server, make_user, log_in, providers_env, settings, shoot
):
    settings.ASSISTANT_CONFIRM_ABOVE_ZAR = "0.50"
    alice = make_user(username="alice", tier="JIVE")
    log_in(page, alice)
    page.goto(live_server.url + "/studio/assistant/")

    send(page, "make me a picture of a braai at Kirstenbosch")

    waiting = page.locator(".tool-awaiting")
    expect(waiting).to_contain_text(
        "this costs R0.74, more than the R0.50 the assistant spends without asking"
    )
    assert not MediaJob.objects.exists()
    assert_accessible(page, "a call waiting for a yes")
    shoot(page, "assistant-confirm")
    waiting.get_by_role("button", name="Yes, make it (R0.74)").click()

    card = page.locator(".tool-started article.job")
    expect(card).to_contain_text("a braai at Kirstenbosch")
    expect(page.locator(".tool-awaiting")).to_have_count(0)
    expect(page.locator(".msg-model .msg-text").last).to_contain_text("Started generating 1 image")
    assert MediaJob.objects.get(owner=alice).params["prompt"] == "a braai at Kirstenbosch"
