"""The Compose tab and the new image controls in Chromium: compose from two gallery images (the
ticked images numbered, the cost before submit following the size, the result from a real worker
through the emulator), and the size control gated by plan with its price shown (issue 13.4)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from billing import pricing
from studio import assets
from studio.models import MediaJob
from studio.tests.browser.loading import assert_loaded
from studio.tests.cluster import wait_for_job
from studio.tests.factories import make_photo

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FLASH = "gemini-3.1-flash-image"


def zar(size: str, units: int = 1) -> str:
    return pricing.format_zar(pricing.quote_model("image", FLASH, size, units).zar_cents)


def pick(page, asset) -> None:
    page.locator(f'label.pick:has(input[value="{asset.id}"])').click()


def test_it_composes_two_gallery_images_with_the_cost_shown_before_submit(
    page, live_server, make_user, log_in, worker, shoot
):
    jive = make_user(username="jive", tier="JIVE")
    person = assets.save_upload(jive, make_photo((240, 320)))
    mountain = assets.save_upload(jive, make_photo((320, 200)))
    assets.save_upload(jive, make_photo((200, 200)))  # in the gallery, not used
    log_in(page, jive)
    page.goto(f"{live_server.url}/studio/images/compose/")
    estimate = page.locator("#estimate")
    expect(estimate).to_contain_text("Tick the images to use")

    pick(page, person)
    pick(page, mountain)
    # Numbered in the order they are sent: the picker's (newest first).
    expect(estimate.get_by_role("img", name="Image 1:")).to_be_visible()
    expect(estimate.get_by_role("img", name="Image 2:")).to_be_visible()
    expect(estimate).to_contain_text(f"Cost: {zar('1K')}")
    page.get_by_label("How to combine them").fill(
        "Put the person from image 2 in front of the mountain in image 1"
    )
    page.locator("label.size", has_text="2K").click()
    expect(estimate).to_contain_text(f"Cost: {zar('2K')}")
    expect(estimate).to_contain_text("1 × 2K")
    shoot(page, "image-compose-form")

    page.get_by_role("button", name="Compose").click()
    card = page.locator("#compose-results article.job").first
    expect(card).to_be_visible()
    job = MediaJob.objects.get(owner=jive)
    assert job.operation == "compose_image" and job.params["image_ids"] == [str(mountain.id), str(person.id)]
    assert wait_for_job(job.id).state == MediaJob.State.SUCCEEDED
    image = card.get_by_role("img")
    expect(image).to_be_visible(timeout=15_000)
    assert_loaded(page, image)
    expect(card).to_contain_text(f"Cost: {zar('2K')}")
    job.refresh_from_db()
    assert (job.model, job.assets.get().mime_type) == (FLASH, "image/png")
    shoot(page, "image-compose-result")


def test_the_size_control_is_gated_by_plan_with_its_price(
    page, live_server, make_user, log_in, settings, shoot
):
    settings.MODEL_IMAGE_GENERATE = FLASH
    jive = make_user(username="jive", tier="JIVE")
    log_in(page, jive)
    page.goto(f"{live_server.url}/studio/images/create/")
    four_k = page.get_by_role("radio", name="4K")
    expect(four_k).to_be_disabled()
    expect(four_k).to_have_accessible_description(
        "4K is on JIGGA. Upgrade to JIGGA (R149.00 a month): see plans."
    )
    expect(page.locator("label.size", has_text="4K")).to_contain_text(f"{zar('4K')} per image")
    estimate = page.locator("#estimate")
    expect(estimate).to_contain_text(f"Cost: {zar('1K')}")
    page.locator("label.size", has_text="2K").click()
    expect(estimate).to_contain_text(f"Cost: {zar('2K')}")
    page.get_by_text("2", exact=True).first.click()  # two images
    expect(estimate).to_contain_text(f"Cost: {zar('2K', 2)}")
    page.locator("label.size", has_text="4K").click(force=True)
    expect(page.get_by_role("radio", name="2K")).to_be_checked()
    expect(page.get_by_role("radio", name="WebP")).to_be_enabled()
    shoot(page, "image-create-sizes-jive")


def test_free_sees_only_1k_and_the_compose_plans(page, live_server, make_user, log_in, settings, shoot):
    settings.MODEL_IMAGE_GENERATE = FLASH
    free = make_user(username="free", tier="FREE")
    log_in(page, free)
    page.goto(f"{live_server.url}/studio/images/create/")
    expect(page.get_by_role("radio", name="1K")).to_be_checked()
    two_k = page.get_by_role("radio", name="2K")
    expect(two_k).to_be_disabled()
    expect(two_k).to_have_accessible_description(
        "2K is on JIVE and JIGGA. Upgrade to JIVE (R49.00 a month) or JIGGA (R149.00 a month): see plans."
    )
    expect(page.locator("label.size", has_text="2K")).to_contain_text(f"{zar('2K')} per image")
    page.get_by_role("link", name="Compose").click()
    expect(page.get_by_role("heading", name="Composing comes with a paid plan")).to_be_visible()
    expect(page.locator("#compose-form")).to_have_count(0)
    shoot(page, "image-compose-free")
