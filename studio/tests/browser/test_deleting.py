"""Deleting in Chromium: an image from the viewer (its file and thumbnail leave storage), and the
whole account from the account page, confirmed with the password (logged out, files gone, the
username and password let no one in). Real jobs through the emulator (studio_env)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from studio import jobs
from studio.models import MediaAsset, MediaJob
from studio.schemas import GenerateImage
from studio.tests.browser.a11y import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def generated_images(user, count: int) -> list[MediaAsset]:
    job = jobs.submit_job(
        user, "generate_image", GenerateImage(prompt="Kalk Bay harbour at noon", count=count)
    )
    assert MediaJob.objects.get(pk=job.pk).state == MediaJob.State.SUCCEEDED
    return list(MediaAsset.objects.filter(source_job=job).order_by("-created_at", "-id"))


def test_deleting_an_image_from_the_viewer(page, live_server, make_user, log_in, studio_env, shoot):
    alice = make_user(username="alice", tier="JIVE")
    doomed, kept = generated_images(alice, 2)
    files = [doomed.file.name, doomed.thumbnail.name]
    assert all(default_storage.exists(name) for name in files)
    log_in(page, alice)

    page.goto(f"{live_server.url}/studio/images/{doomed.id}/")
    page.get_by_role("link", name="Delete", exact=True).click()
    expect(page.get_by_role("heading", name="Delete this image?")).to_be_visible()
    assert_accessible(page)
    shoot(page, "image-delete-confirm")
    with page.expect_navigation():
        page.get_by_role("button", name="Delete for good").click()

    expect(page).to_have_url(live_server.url + "/studio/images/")
    expect(page.locator(".messages")).to_contain_text("The image is deleted.")
    assert_accessible(page)
    expect(page.locator(f'a[href="/studio/images/{doomed.id}/"]')).to_have_count(0)
    expect(page.locator(f'a[href="/studio/images/{kept.id}/"]')).to_have_count(1)
    assert not MediaAsset.objects.filter(pk=doomed.pk).exists()
    assert not any(default_storage.exists(name) for name in files)
    assert default_storage.exists(kept.file.name)


def test_deleting_the_account_and_its_media(page, live_server, make_user, log_in, studio_env, shoot):
    thabo = make_user(username="thabo", tier="JIVE")
    files = [name for image in generated_images(thabo, 1) for name in (image.file.name, image.thumbnail.name)]
    log_in(page, thabo)

    page.locator("#account-menu summary").click()  # the header's account menu
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text("You have 1 image, 0 videos and 1 job")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    assert download.value.suggested_filename.startswith("media-studio-thabo-")
    assert_accessible(page)
    shoot(page, "account")

    page.get_by_label("Your password").fill("not-my-password")
    with page.expect_navigation():
        page.get_by_role("button", name="Delete my account and media").click()
    expect(page.locator(".errorlist")).to_contain_text("That is not your password.")
    assert all(default_storage.exists(name) for name in files)

    page.get_by_label("Your password").fill("pw-123456")
    with page.expect_navigation():
        page.get_by_role("button", name="Delete my account and media").click()

    expect(page).to_have_url(live_server.url + "/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text(
        "Your account and all its images and videos are deleted"
    )
    assert_accessible(page)
    shoot(page, "account-deleted")
    assert not any(default_storage.exists(name) for name in files)
    assert not get_user_model().objects.filter(username="thabo").exists()
    # The old username and password are refused.
    page.get_by_label("Username").fill("thabo")
    page.get_by_label("Password").fill("pw-123456")
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errorlist")).to_be_visible()
    expect(page).to_have_url(live_server.url + "/accounts/login/")
