"""The studio admin: staff-only, fast read-only lists of jobs, media, idempotency records and worker
leases; API tokens listed and revoked (one-way), never added or deleted here."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.test import RequestFactory
from django.utils import timezone

from studio.auth import ApiTokenAuth
from studio.models import ApiToken, IdempotencyRecord, MediaJob, WorkerLease
from studio.tests.factories import make_asset, make_job


@pytest.fixture
def staff_client(client, make_user):
    client.force_login(make_user(username="sipho", staff=True))
    return client


@pytest.fixture
def studio_rows(make_user):
    """A few rows of everything, for several owners, so an N+1 would show in the query count."""
    owners = [make_user(username=name) for name in ("alice", "bob", "thandi")]
    jobs, assets = [], []
    for owner in owners:
        for state in (MediaJob.State.SUCCEEDED, MediaJob.State.FAILED):
            job = make_job(
                owner,
                state=state,
                cost_zar_cents=74 if state == MediaJob.State.SUCCEEDED else None,
                error_code="" if state == MediaJob.State.SUCCEEDED else "safety_filtered",
                started_at=timezone.now() - timedelta(seconds=5),
                finished_at=timezone.now(),
            )
            jobs.append(job)
            assets.append(make_asset(owner, job=job))
        IdempotencyRecord.objects.create(
            user=owner,
            key=uuid.uuid4(),
            fingerprint="f" * 64,
            state=IdempotencyRecord.State.COMPLETED,
            response_status=202,
            response_body={"job_id": str(jobs[-1].id)},
            locked_until=timezone.now(),
            expires_at=timezone.now() + timedelta(hours=1),
        )
        ApiToken.issue(owner, "script")
    WorkerLease.try_take("video-poller", "worker-1", 30)
    return {"jobs": jobs, "assets": assets}


CHANGELISTS = [
    "/admin/studio/apitoken/",
    "/admin/studio/mediajob/",
    "/admin/studio/mediaasset/",
    "/admin/studio/idempotencyrecord/",
    "/admin/studio/workerlease/",
]


@pytest.mark.parametrize("url", CHANGELISTS)
def test_it_lets_staff_open_each_list_with_few_queries(
    staff_client, studio_rows, url, django_assert_max_num_queries
):
    # Six jobs and assets by three owners: one query per row would blow this bound.
    with django_assert_max_num_queries(9):
        response = staff_client.get(url)
    assert response.status_code == 200


def test_it_shows_a_job_list_with_owner_state_and_cost_in_rand(staff_client, studio_rows):
    listing = staff_client.get("/admin/studio/mediajob/").content.decode()
    assert "alice" in listing and "thandi" in listing
    assert "R0.74" in listing
    assert "safety_filtered" in listing


def test_it_finds_jobs_by_owner_id_prefix_and_error_code(staff_client, studio_rows):
    job = studio_rows["jobs"][0]
    by_owner = staff_client.get("/admin/studio/mediajob/", {"q": "alice"})
    assert len(by_owner.context["cl"].result_list) == 2
    by_id = staff_client.get("/admin/studio/mediajob/", {"q": str(job.id)[:8]})
    assert list(by_id.context["cl"].result_list) == [job]
    by_error = staff_client.get("/admin/studio/mediajob/", {"q": "safety_filtered"})
    assert len(by_error.context["cl"].result_list) == 3
    failed = staff_client.get("/admin/studio/mediajob/", {"state__exact": "failed"})
    assert len(failed.context["cl"].result_list) == 3


def test_it_shows_a_job_read_only_with_params_timings_and_reservation(
    staff_client, studio_rows, django_assert_max_num_queries
):
    job = studio_rows["jobs"][0]
    with django_assert_max_num_queries(10):
        response = staff_client.get(f"/admin/studio/mediajob/{job.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Table Mountain at dawn" in page
    assert job.reservation_reference in page
    assert "/admin/billing/reservation/?q=" in page
    assert "5.0 s" in page  # how long it took
    assert 'name="_save"' not in page  # view only
    assert "Outputs" in page  # the assets it produced


@pytest.mark.parametrize(
    "url",
    [
        "/admin/studio/mediaasset/{asset}/change/",
        "/admin/studio/idempotencyrecord/{record}/change/",
        "/admin/studio/apitoken/{token}/change/",
        "/admin/studio/workerlease/video-poller/change/",
    ],
)
def test_it_lets_staff_open_a_change_page(staff_client, studio_rows, url, django_assert_max_num_queries):
    url = url.format(
        asset=studio_rows["assets"][0].pk,
        record=IdempotencyRecord.objects.first().pk,
        token=ApiToken.objects.first().pk,
    )
    with django_assert_max_num_queries(10):
        response = staff_client.get(url)
    assert response.status_code == 200


def test_it_previews_media_only_through_signed_serving_urls(staff_client, studio_rows, settings):
    """Media is served only through studio.serving; the admin must not hand out MEDIA_URL links."""
    asset = studio_rows["assets"][0]
    signed_thumbnail = f"/media/a/{asset.id}/thumbnail?"
    for url in ("/admin/studio/mediaasset/", f"/admin/studio/mediaasset/{asset.pk}/change/"):
        page = staff_client.get(url).content.decode()
        assert settings.MEDIA_URL.strip("/") + "/assets/" not in page
        assert signed_thumbnail in page and "sig=" in page
    page = staff_client.get(f"/admin/studio/mediaasset/{asset.pk}/change/").content.decode()
    assert asset.file.name in page  # named as text, for support, but not linked


@pytest.mark.parametrize("url", [*CHANGELISTS, "/admin/studio/mediajob/add/"])
def test_it_sends_non_staff_to_the_login_page(client, make_user, url):
    client.force_login(make_user(tier="JIGGA"))
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_it_offers_no_add_or_delete_for_jobs(staff_client, studio_rows):
    job = studio_rows["jobs"][0]
    assert staff_client.get("/admin/studio/mediajob/add/").status_code == 403
    assert staff_client.get(f"/admin/studio/mediajob/{job.pk}/delete/").status_code == 403
    assert staff_client.post(f"/admin/studio/mediajob/{job.pk}/delete/", {"post": "yes"}).status_code == 403
    response = staff_client.post(
        "/admin/studio/mediajob/", {"action": "delete_selected", "_selected_action": [job.pk]}
    )
    assert MediaJob.objects.filter(pk=job.pk).exists()
    assert 'value="delete_selected"' not in staff_client.get("/admin/studio/mediajob/").content.decode()
    assert response.status_code in (200, 302)


def test_it_offers_no_add_or_delete_for_tokens(staff_client, studio_rows):
    token = ApiToken.objects.first()
    assert staff_client.get("/admin/studio/apitoken/add/").status_code == 403
    assert staff_client.get(f"/admin/studio/apitoken/{token.pk}/delete/").status_code == 403


def test_it_revokes_selected_tokens_and_they_stop_working(staff_client, make_user):
    alice = make_user(username="alice")
    token, secret = ApiToken.issue(alice, "laptop")
    other, other_secret = ApiToken.issue(alice, "ci")
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert ApiTokenAuth()(request) == alice

    response = staff_client.post(
        "/admin/studio/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]}, follow=True
    )

    assert "Revoked 1 token." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiTokenAuth()(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {secret}")) is None
    assert ApiTokenAuth()(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {other_secret}")) == alice
    entry = LogEntry.objects.get(object_id=str(token.pk))
    assert (entry.action_flag, entry.user.username) == (CHANGE, "sipho")


def test_it_cannot_un_revoke_or_rewrite_a_token(staff_client, make_user):
    token, _ = ApiToken.issue(make_user(username="alice"), "laptop")
    revoked_at = timezone.now() - timedelta(days=1)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=revoked_at)
    original_hash = token.token_hash

    staff_client.post(
        f"/admin/studio/apitoken/{token.pk}/change/",
        {"name": "renamed", "revoked_at_0": "", "revoked_at_1": "", "token_hash": "0" * 64, "hint": "x"},
    )

    token.refresh_from_db()
    assert token.revoked_at == revoked_at
    assert token.token_hash == original_hash
    assert token.name == "renamed"  # the one thing staff may change


def test_it_leaves_already_revoked_tokens_alone(staff_client, make_user):
    token, _ = ApiToken.issue(make_user(username="alice"))
    revoked_at = timezone.now() - timedelta(days=3)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=revoked_at)
    response = staff_client.post(
        "/admin/studio/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]}, follow=True
    )
    assert "already revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at == revoked_at
    assert not LogEntry.objects.exists()


def test_it_shows_token_status_in_the_list(staff_client, make_user):
    alice, bob = make_user(username="alice"), make_user(username="bob")
    ApiToken.issue(alice, "active one")
    revoked, _ = ApiToken.issue(alice, "old one")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    ApiToken.issue(bob, "bob's")
    bob.is_active = False
    bob.save()

    listing = staff_client.get("/admin/studio/apitoken/").content.decode()
    assert "Active" in listing and "Revoked" in listing and "User deactivated" in listing
    assert (
        len(staff_client.get("/admin/studio/apitoken/", {"status": "revoked"}).context["cl"].result_list) == 1
    )
    assert len(staff_client.get("/admin/studio/apitoken/", {"q": "alice"}).context["cl"].result_list) == 2


def test_the_plans_page_says_what_each_upscale_and_video_choice_runs_on(staff_client, settings):
    from billing.models import Plan

    for name in (
        "MODEL_UPSCALE_V3",
        "MODEL_UPSCALE_V4",
        "MODEL_VIDEO",
        "MODEL_VIDEO_FAST",
        "MODEL_VIDEO_LITE",
    ):
        setattr(settings, name, "")  # the defaults (the suite pins the seed's V3 model)
    jigga = Plan.objects.get(code="JIGGA")

    html = staff_client.get(f"/admin/billing/plan/{jigga.pk}/change/").content.decode()

    assert "Runs on (model catalog)" in html
    assert "V3 upscale: <code>imagen-4.0-upscale-preview</code>" in html
    assert "since Imagen 3 shut down, V3" in html
    assert "Veo Lite: <code>veo-3.1-lite-generate-001</code> (preview)" in html
    listing = staff_client.get("/admin/billing/plan/").content.decode()
    assert "4k" in listing  # JIGGA's video resolutions
