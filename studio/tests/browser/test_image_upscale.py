"""The Upscale tab in Chromium: V3/V4 prices follow the choice, JIVE cannot choose V4 (and sees why
and the upgrade), FREE sees the upgrade instead of a form, and a JIGGA upscale runs on a real
worker until its card shows the result."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from billing import pricing
from billing.models import PriceClass
from studio import assets
from studio.models import MediaJob
from studio.tests.browser.loading import assert_loaded
from studio.tests.cluster import wait_for_job
from studio.tests.factories import make_photo

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def zar(price_class) -> str:
    return pricing.format_zar(pricing.quote(price_class, 1).zar_cents)


def test_it_prices_v3_and_v4_as_they_are_chosen_and_upscales_on_a_worker(
    page, live_server, make_user, log_in, worker, shoot
):
    jigga = make_user(username="jigga", tier="JIGGA")
    photo = assets.save_upload(jigga, make_photo((320, 240)))
    assets.save_upload(jigga, make_photo((200, 200)))
    log_in(page, jigga)
    page.goto(f"{live_server.url}/studio/images/upscale/?image={photo.id}")
    estimate = page.locator("#estimate")
    expect(estimate).to_contain_text(f"Cost: {zar(PriceClass.UPSCALE_V3)}")
    expect(estimate).to_contain_text("Result: 640 × 480 px")
    shoot(page, "image-upscale-jigga")

    page.locator("label.model", has_text="V4 Ultra").click()
    expect(estimate).to_contain_text(f"Cost: {zar(PriceClass.UPSCALE_V4)}")
    expect(estimate).to_contain_text("(V4 Ultra, x2)")
    page.get_by_text("x3", exact=True).click()
    expect(estimate).to_contain_text("Result: 960 × 720 px")
    page.locator("label.model", has_text="V3").click()
    expect(estimate).to_contain_text(f"Cost: {zar(PriceClass.UPSCALE_V3)}")
    expect(estimate).to_contain_text("(V3, x3)")
    page.locator("label.model", has_text="V4 Ultra").click()
    expect(estimate).to_contain_text(f"Cost: {zar(PriceClass.UPSCALE_V4)}")

    page.get_by_role("button", name="Upscale").click()
    card = page.locator("#upscale-results article.job").first
    expect(card).to_be_visible()
    job = MediaJob.objects.get(owner=jigga)
    assert job.params == {"image_id": str(photo.id), "factor": "x3", "model": "v4"}
    assert wait_for_job(job.id).state == MediaJob.State.SUCCEEDED
    image = card.get_by_role("img")
    expect(image).to_be_visible(timeout=15_000)
    assert_loaded(page, image)
    expect(card).to_contain_text(f"Cost: {zar(PriceClass.UPSCALE_V4)}")
    # The form is fresh (a new key) and ready for another go.
    expect(page.get_by_role("button", name="Upscale")).to_be_enabled()
    shoot(page, "image-upscale-result")


def test_it_keeps_v4_from_jive_with_the_reason_and_the_upgrade(
    page, live_server, make_user, log_in, settings, tmp_path, shoot
):
    settings.MEDIA_ROOT = tmp_path / "media"
    jive = make_user(username="jive", tier="JIVE")
    assets.save_upload(jive, make_photo((320, 240)))
    log_in(page, jive)
    page.goto(live_server.url + "/studio/images/upscale/")
    v4 = page.get_by_role("radio", name="V4 Ultra")
    expect(v4).to_be_disabled()
    expect(v4).to_have_accessible_description(
        "V4 Ultra is on JIGGA. Upgrade to JIGGA (R149.00 a month): see plans."
    )
    expect(page.get_by_role("radio", name="V3")).to_be_checked()
    page.locator("label.model", has_text="V4 Ultra").click(force=True)
    expect(page.get_by_role("radio", name="V3")).to_be_checked()
    expect(page.locator("#estimate")).to_contain_text(f"Cost: {zar(PriceClass.UPSCALE_V3)}")
    expect(page.locator("#model-v4-why").get_by_role("link", name="see plans")).to_be_visible()
    shoot(page, "image-upscale-jive")


def test_it_shows_free_users_the_upgrade(page, live_server, make_user, log_in, settings, tmp_path, shoot):
    settings.MEDIA_ROOT = tmp_path / "media"
    free = make_user(username="free", tier="FREE")
    log_in(page, free)
    page.goto(live_server.url + "/studio/images/")
    expect(page.get_by_role("link", name="Create your first image")).to_be_visible()
    shoot(page, "image-gallery-empty")

    page.goto(live_server.url + "/studio/images/upscale/")
    expect(page.get_by_role("heading", name="Upscaling comes with a paid plan")).to_be_visible()
    expect(page.get_by_role("link", name="Compare plans")).to_be_visible()
    expect(page.locator("form#upscale-form")).to_have_count(0)
    expect(page.locator(".upgrade-card")).to_contain_text("JIGGA — R149.00 a month")
    shoot(page, "image-upscale-free")

    # The viewer keeps upscaling and animating behind the same upgrade; the editor is a demo.
    photo = assets.save_upload(free, make_photo((320, 240)))
    page.goto(f"{live_server.url}/studio/images/{photo.id}/")
    actions = page.locator(".actions-panel")
    expect(actions.get_by_role("link", name="Edit (demo)")).to_be_visible()
    expect(actions.get_by_role("link", name="Upscale")).to_have_count(0)
    expect(actions.locator(".upgrade-note")).to_contain_text(
        "JIVE (R49.00 a month) or JIGGA (R149.00 a month)"
    )
    shoot(page, "image-viewer-free")
