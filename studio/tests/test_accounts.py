"""Deleting an image or video (page and API), deleting an account, and the data export: the
files are really gone from storage (on disk and in the emulator's GCS bucket), every query is the
owner's, the allowance is not refunded, and the ledger rows accounting needs stay, anonymous."""

from __future__ import annotations

import io
import json
import re
import uuid
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import transaction
from django.http import HttpRequest

from billing import services as billing
from billing.models import Allowance, CostEntry, TierChange
from studio import accounts
from studio.errors import StudioError
from studio.models import ApiToken, MediaAsset, MediaJob
from studio.tests.factories import make_asset, make_job, make_png

VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64  # bytes enough: nothing here plays it


@pytest.fixture(params=["disk", "gcs"])
def storage(request, settings, tmp_path):
    """Media on local disk, or in the emulator's bucket through django-storages (gcs_media)."""
    if request.param == "gcs":
        request.getfixturevalue("gcs_media")
    else:
        request.getfixturevalue("disk")
    return request.param


def stored(name: str) -> bool:
    return default_storage.exists(name)


def done_job(user, **fields) -> MediaJob:
    return make_job(user, state=MediaJob.State.SUCCEEDED, **fields)


def image_of(user, **fields) -> MediaAsset:
    return make_asset(user, job=done_job(user), data=make_png(), thumbnail=make_png((16, 12)), **fields)


def video_of(user) -> MediaAsset:
    job = done_job(user, operation="generate_video", units=8)
    return make_asset(
        user,
        job=job,
        data=VIDEO,
        thumbnail=make_png((16, 9)),
        kind=MediaAsset.Kind.VIDEO,
        mime_type="video/mp4",
    )


def names(asset: MediaAsset) -> list[str]:
    return [asset.file.name, asset.thumbnail.name]


# --- One image or video ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["image", "video"])
def test_deleting_removes_the_file_and_its_thumbnail_or_poster(
    storage, alice, kind, django_capture_on_commit_callbacks
):
    asset = image_of(alice) if kind == "image" else video_of(alice)
    files = names(asset)
    assert all(stored(name) for name in files)

    with django_capture_on_commit_callbacks(execute=True):
        accounts.delete_asset(alice, asset.pk)

    assert not MediaAsset.objects.filter(pk=asset.pk).exists()
    assert not any(stored(name) for name in files)
    if storage == "disk":
        assert not any((Path(default_storage.location) / name).exists() for name in files)


def test_files_stay_when_the_transaction_fails(storage, alice, django_capture_on_commit_callbacks):
    """Files go only once the rows are gone for good."""
    asset = image_of(alice)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        accounts.delete_asset(alice, asset.pk)
        raise RuntimeError("the database failed after the delete")
    assert MediaAsset.objects.filter(pk=asset.pk).exists()
    assert all(stored(name) for name in names(asset))


@pytest.fixture
def disk(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_deleting_does_not_refund_the_allowance(alice, disk, django_capture_on_commit_callbacks):
    billing.reserve(alice, "images", 1, "ref-1")
    billing.commit("ref-1", operation="generate_image", model="gemini-3.1-flash-image", price_class="image")
    before = {b.meter: b.remaining for b in billing.remaining(alice)}
    asset = image_of(alice)

    with django_capture_on_commit_callbacks(execute=True):
        accounts.delete_asset(alice, asset.pk)

    assert {b.meter: b.remaining for b in billing.remaining(alice)} == before
    assert CostEntry.objects.filter(reference="ref-1").exists()


def test_another_users_image_is_not_found_and_stays(storage, alice, bob, django_capture_on_commit_callbacks):
    asset = image_of(alice)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(StudioError) as refused:
        accounts.delete_asset(bob, asset.pk)

    assert refused.value.code == "not_found" and refused.value.status == 404
    assert MediaAsset.objects.filter(pk=asset.pk).exists()
    assert all(stored(name) for name in names(asset))


def test_the_page_asks_then_deletes(client, alice, bob, disk, django_capture_on_commit_callbacks):
    asset = image_of(alice)
    url = f"/studio/media/{asset.pk}/delete/"
    client.force_login(alice)
    viewer = client.get(f"/studio/images/{asset.pk}/").content.decode()
    assert f'href="{url}"' in viewer

    page = client.get(url)
    assert page.status_code == 200 and "Delete for good" in page.content.decode()
    assert MediaAsset.objects.filter(pk=asset.pk).exists()  # asking deletes nothing

    # Bob cannot, by page either.
    client.force_login(bob)
    assert client.get(url).status_code == 404 and client.post(url).status_code == 404
    assert MediaAsset.objects.filter(pk=asset.pk).exists()

    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302 and response.url == "/studio/images/"
    assert not MediaAsset.objects.filter(pk=asset.pk).exists()
    assert not any(stored(name) for name in names(asset))
    assert "The image is deleted." in client.get(response.url).content.decode()


def test_the_video_page_links_to_deleting_each_video(client, alice, disk):
    video = video_of(alice)
    client.force_login(alice)

    page = client.get(f"/studio/videos/{video.source_job_id}/").content.decode()

    assert f'href="/studio/media/{video.pk}/delete/"' in page


def test_the_api_deletes_the_owners_asset_only(api, alice, bob, storage):
    asset = image_of(alice)
    path = f"/assets/{asset.pk}"

    assert api.client.delete(api.prefix + path).status_code == 401
    api.login(bob)
    refused = api.client.delete(api.prefix + path)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    assert all(stored(name) for name in names(asset))

    api.login(alice)
    with api.capture(execute=True):
        response = api.client.delete(api.prefix + path)

    assert response.status_code == 204 and response.content == b""
    assert not any(stored(name) for name in names(asset))
    again = api.client.delete(api.prefix + path)
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"
    assert api.client.delete(api.prefix + "/assets/not-a-uuid").status_code == 422


# --- The whole account -----------------------------------------------------------------------


def test_deleting_the_account_removes_its_media_and_keeps_the_ledger_anonymous(
    client, alice, bob, storage, django_capture_on_commit_callbacks
):
    image, video = image_of(alice), video_of(alice)
    masked = done_job(alice, operation="edit_image")
    masked.mask.save("mask.png", ContentFile(make_png()), save=True)
    ApiToken.objects.create(user=alice, name="laptop", token_hash="x" * 64, hint="ms_abc")
    billing.reserve(alice, "images", 1, "alice-1")
    billing.commit("alice-1", operation="generate_image", model="gemini-3.1-flash-image", price_class="image")
    keep = image_of(bob)
    files = [*names(image), *names(video), masked.mask.name]
    assert all(stored(name) for name in files)
    client.force_login(alice)

    wrong = client.post("/account/delete/", {"password": "not-it"})
    assert wrong.status_code == 400 and "That is not your password." in wrong.content.decode()
    assert MediaAsset.objects.for_user(alice).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/delete/", {"password": "pw-123456"})

    assert response.status_code == 302 and response.url == "/accounts/login/"
    assert (
        "Your account and all its images and videos are deleted" in client.get(response.url).content.decode()
    )
    assert not any(stored(name) for name in files)
    ghost = get_user_model().objects.get(pk=alice.pk)
    assert ghost.username.startswith("deleted-") and ghost.email == "" and not ghost.is_active
    assert not ghost.has_usable_password()
    for model in (MediaAsset, MediaJob):
        assert not model.objects.filter(owner=ghost).exists()
    assert not ApiToken.objects.filter(user=ghost).exists()
    assert not EmailAddress.objects.filter(user=ghost).exists()
    assert not Allowance.objects.filter(user=ghost).exists()
    # Accounting keeps what each job cost, and the plan history, on the anonymous row.
    assert CostEntry.objects.filter(user=ghost, reference="alice-1").exists()
    assert TierChange.objects.filter(user=ghost).exists()
    # Logged out, and the name and password let no one in.
    assert client.get("/").status_code == 302
    assert not client.login(request=HttpRequest(), username="alice", password="pw-123456")
    # Bob's things are untouched.
    assert MediaAsset.objects.filter(pk=keep.pk).exists() and all(stored(n) for n in names(keep))
    assert get_user_model().objects.get(pk=bob.pk).is_active


def test_the_account_is_not_deleted_while_a_job_runs(client, alice, disk):
    image = image_of(alice)
    make_job(alice, state=MediaJob.State.RUNNING)
    client.force_login(alice)

    response = client.post("/account/delete/", {"password": "pw-123456"})

    assert response.status_code == 400 and "1 of your jobs is still running" in response.content.decode()
    assert get_user_model().objects.get(pk=alice.pk).is_active
    assert MediaAsset.objects.filter(pk=image.pk).exists() and stored(image.file.name)


def test_the_account_page_gathers_email_password_export_and_delete(client, alice):
    client.force_login(alice)
    text = client.get("/account/").content.decode()
    for link in ("/accounts/email/", "/accounts/password/change/", "/account/export/"):
        assert f'href="{link}"' in text
    assert "alice@example.com" in text and 'action="/account/delete/"' in text
    assert 'name="password"' in text
    assert client.get("/account/delete/").status_code == 405


def test_the_account_pages_need_a_log_in(client, db):
    for url in ("/account/", "/account/export/", f"/studio/media/{uuid.uuid4()}/delete/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")


# --- The export ------------------------------------------------------------------------------


def test_the_export_is_the_users_data_with_links(client, alice, bob, disk):
    mine = image_of(alice)
    theirs = image_of(bob)
    client.force_login(alice)

    response = client.get("/account/export/")

    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="media-studio-alice-')
    data = json.loads(response.content)
    assert data["profile"]["username"] == "alice" and data["profile"]["plan"] == "JIVE"
    assert data["profile"]["email_addresses"] == [
        {"email": "alice@example.com", "verified": True, "primary": True}
    ]
    assert [m["asset_id"] for m in data["media"]] == [str(mine.pk)]
    assert [j["job_id"] for j in data["jobs"]] == [str(mine.source_job_id)]
    assert str(theirs.pk) not in response.content.decode()
    link = data["media"][0]["download_url"]
    assert link.startswith("http://testserver/")
    # The link works without a session (signed), and gives the file.
    client.logout()
    assert b"".join(client.get(link).streaming_content) == mine.file.open("rb").read()


# --- Email and password changes (django-allauth's flows, our pages) --------------------------


def test_a_new_email_takes_over_once_its_link_is_followed(client, alice):
    client.force_login(alice)
    page = client.get("/accounts/email/")
    assert page.status_code == 200 and "alice@example.com" in page.content.decode()

    response = client.post("/accounts/email/", {"action_add": "", "email": "alice@example.co.za"})

    assert response.status_code == 302
    assert mail.outbox[-1].to == ["alice@example.co.za"]
    pending = client.get("/accounts/email/").content.decode()
    assert "alice@example.co.za" in pending and "not verified yet" in pending
    assert get_user_model().objects.get(pk=alice.pk).email == "alice@example.com"  # not yet
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    assert client.post(link).status_code == 302

    assert get_user_model().objects.get(pk=alice.pk).email == "alice@example.co.za"
    assert list(EmailAddress.objects.filter(user=alice).values_list("email", "verified", "primary")) == [
        ("alice@example.co.za", True, True)
    ]


def test_the_password_changes_with_the_old_one(client, alice):
    client.force_login(alice)
    assert "Change your password" in client.get("/accounts/password/change/").content.decode()

    wrong = client.post(
        "/accounts/password/change/",
        {"oldpassword": "not-it", "password1": "a-new-long-phrase", "password2": "a-new-long-phrase"},
    )
    assert wrong.status_code == 200 and "errorlist" in wrong.content.decode()

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": "pw-123456", "password1": "a-new-long-phrase", "password2": "a-new-long-phrase"},
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a-new-long-phrase")
    client.logout()
    assert (
        client.post("/accounts/login/", {"login": "alice", "password": "a-new-long-phrase"}).status_code
        == 302
    )


def test_staff_delete_an_account_by_command(alice, disk, django_capture_on_commit_callbacks):
    files = names(image_of(alice))
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("delete_account", "nobody", "--yes")
    with pytest.raises(CommandError, match="add --yes"):
        call_command("delete_account", "alice")
    assert get_user_model().objects.get(pk=alice.pk).is_active

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("delete_account", "alice", "--yes", stdout=out)

    assert "Deleted 'alice'" in out.getvalue()
    assert not get_user_model().objects.get(pk=alice.pk).is_active
    assert not any(stored(name) for name in files)
