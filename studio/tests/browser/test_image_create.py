"""The Create tab in Chromium, with a real worker: the job card polls while the job runs, shows the
image when it is done, and stops polling."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from studio.models import MediaJob
from studio.tests.browser.loading import assert_loaded
from studio.tests.cluster import wait_for_job

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_it_creates_an_image_and_stops_polling_when_done(page, live_server, make_user, log_in, worker, shoot):
    alice = make_user(username="alice", tier="JIVE")
    log_in(page, alice)
    page.goto(live_server.url + "/studio/images/create/")
    shoot(page, "image-create")
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if "/studio/jobs/" in request.url else None)

    page.get_by_label("Prompt", exact=True).fill("A baobab at dusk over the Limpopo")
    page.get_by_text("Cinematic").click()
    page.get_by_text("16:9").click()
    expect(page.locator("#estimate")).to_contain_text("R0.74")
    page.get_by_role("button", name="Generate").click()

    card = page.locator("article.job").first
    expect(card).to_contain_text("A baobab at dusk")
    job = MediaJob.objects.get(owner=alice)
    assert job.params["style"] == "cinematic" and job.params["aspect_ratio"] == "16:9"
    wait_for_job(job.id)

    image = card.get_by_role("img")
    expect(image).to_be_visible(timeout=15_000)
    expect(card).not_to_have_attribute("aria-busy", "true")
    # Lazy thumbnails may still be loading when they become visible.
    image.evaluate("img => img.decode()")
    assert_loaded(page, image)
    shoot(page, "image-create-result")

    # A finished card answers 286 and htmx stops polling: no more requests for it.
    settled = len(polls)
    page.wait_for_timeout(4_000)
    assert len(polls) == settled, polls[settled:]
    assert polls, "the card never polled"
