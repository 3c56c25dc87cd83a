"""The jobs tray in every page's header: running jobs with progress, polling only while something
runs, and one toast per finished job, on whichever page the user sees next."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from studio.models import MediaJob
from studio.tests import factories

TRAY = "/studio/tray/"
HTMX = {"HTTP_HX_REQUEST": "true"}
S = MediaJob.State


def make_job(
    owner,
    *,
    state: str = S.RUNNING,
    operation: str = "generate_image",
    prompt: str = "A protea at sunrise on Table Mountain",
    age: timedelta = timedelta(seconds=5),
    announced: bool = False,
    units: int = 1,
) -> MediaJob:
    now = timezone.now()
    final = state in MediaJob.FINAL_STATES
    return factories.make_job(
        owner,
        operation=operation,
        params={"prompt": prompt},
        model="test-model",
        units=units,
        delivered_units=units if state == S.SUCCEEDED else 0,
        state=state,
        created_at=now - age,
        started_at=None if state == S.QUEUED else now - age,
        finished_at=now if final else None,
        error_message="The prompt was blocked by the safety filters." if state == S.FAILED else "",
        announced_at=now if announced else None,
    )


def poll(client, *shown):
    return client.get(TRAY, {"shown": [str(i) for i in shown]} if shown else {}, **HTMX)


def tray_html(text: str) -> str:
    """The <details> of the tray in a full page."""
    return re.search(r'<details id="jobs-tray".*?</details>', text, re.S)[0]


def toasts(text: str) -> list[str]:
    return re.findall(r'<p class="toast[^"]*">(.*?)</p>', text, re.S)


def test_it_shows_the_users_running_jobs_in_the_header_of_every_page(client, make_user):
    alice, bob = make_user(tier="JIVE"), make_user(tier="JIVE")
    running = make_job(alice, prompt="A baobab at dusk")
    queued = make_job(alice, state=S.QUEUED, operation="generate_video", prompt="Kruger")
    make_job(bob, prompt="Bob's secret sunset")
    make_job(alice, state=S.SUCCEEDED, announced=True, prompt="Done long ago")
    client.force_login(alice)
    for url in ("/", "/studio/images/create/", f"/studio/jobs/{running.id}/"):
        tray = tray_html(client.get(url).content.decode())
        assert '<summary>Jobs<span id="jobs-n"> (2)</span></summary>' in tray
        assert f'href="/studio/jobs/{running.id}/"' in tray and "A baobab at dusk" in tray
        assert f'href="/studio/videos/{queued.id}/"' in tray and "Generate video" in tray
        assert "Bob&#x27;s secret sunset" not in tray and "Done long ago" not in tray
        assert 'hx-trigger="every 3s, jobs-changed from:body"' in tray
    # A running job shows how far it is; a queued one an indeterminate bar.
    assert re.search(r'<progress max="100" value="\d+"', tray)
    assert '<progress max="100" aria-label="Generate video: progress">' in tray


def test_it_keeps_polling_while_a_job_runs_and_stops_with_286_when_none_does(client, make_user):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    job = make_job(alice)
    response = poll(client)
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text
    assert (
        '<span id="jobs-n" hx-swap-oob="true"> (1)</span>' in text
        and 'hx-trigger="every 3s, jobs-changed from:body"' in text
    )

    MediaJob.objects.filter(pk=job.pk).update(state=S.CANCELLED)
    response = poll(client)
    text = response.content.decode()
    assert response.status_code == 286
    # It rests without a timer, and wakes up when a page says a job started.
    assert 'hx-trigger="jobs-changed from:body"' in text and "every 3s" not in text
    assert '<span id="jobs-n" hx-swap-oob="true"></span>' in text and "Nothing running." in text


def test_a_resting_tray_on_a_page_has_no_timer(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    tray = tray_html(client.get("/").content.decode())
    assert 'hx-trigger="jobs-changed from:body"' in tray and "every 3s" not in tray


def test_it_toasts_a_finished_job_once(client, make_user):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    job = make_job(alice, state=S.SUCCEEDED, prompt="A hadeda on a lawn")
    first = client.get("/").content.decode()
    [toast] = toasts(first)
    assert "Your image is ready" in toast and f'<a href="/studio/jobs/{job.id}/">View</a>' in toast
    assert "A hadeda on a lawn" in toast
    assert 'id="toasts" class="toasts" role="status" aria-live="polite"' in first
    job.refresh_from_db()
    assert job.announced_at is not None
    # Not on the next page, nor on a poll, nor in another tab.
    assert toasts(client.get("/studio/images/create/").content.decode()) == []
    assert toasts(poll(client).content.decode()) == []


def test_a_poll_adds_the_toast_out_of_band_to_the_toast_region(client, make_user):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    running = make_job(alice)
    assert poll(client).status_code == 200
    MediaJob.objects.filter(pk=running.pk).update(state=S.SUCCEEDED, delivered_units=2)
    response = poll(client)
    text = response.content.decode()
    assert response.status_code == 286  # nothing runs any more
    oob = text[text.index('<div hx-swap-oob="beforeend:#toasts">') :]
    [toast] = toasts(oob)
    assert "Your images are ready" in toast and f'href="/studio/jobs/{running.id}/"' in toast
    assert toasts(poll(client).content.decode()) == []


def test_it_toasts_a_failure_as_not_charged_and_a_video_with_a_link_to_watch(client, make_user):
    alice = make_user(tier="JIGGA")
    client.force_login(alice)
    failed = make_job(alice, state=S.FAILED, operation="edit_image")
    video = make_job(alice, state=S.SUCCEEDED, operation="generate_video", units=8)
    text = " ".join(toasts(client.get("/").content.decode()))
    assert "Your edit failed; you were not charged" in text
    assert f'<a href="/studio/jobs/{failed.id}/">Details</a>' in text
    assert "Your video is ready" in text and f'<a href="/studio/videos/{video.id}/">Watch</a>' in text


def test_it_does_not_toast_old_announced_cancelled_or_other_users_jobs(client, make_user):
    alice, bob = make_user(tier="JIVE"), make_user(tier="JIVE")
    old = make_job(alice, state=S.SUCCEEDED, age=timedelta(hours=25))
    make_job(alice, state=S.SUCCEEDED, announced=True)
    make_job(alice, state=S.CANCELLED)
    bobs = make_job(bob, state=S.SUCCEEDED)
    client.force_login(alice)
    assert toasts(client.get("/").content.decode()) == []
    assert toasts(poll(client, bobs.id).content.decode()) == []
    old.refresh_from_db()
    bobs.refresh_from_db()
    assert old.announced_at is None
    assert bobs.announced_at is None  # naming bob's job in a poll does nothing to it
    client.force_login(bob)
    assert len(toasts(client.get("/").content.decode())) == 1


def test_a_job_finishing_in_its_progress_view_on_screen_is_not_toasted(client, make_user):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    watched = make_job(alice, prompt="watched")
    elsewhere = make_job(alice, prompt="elsewhere")
    MediaJob.objects.filter(owner=alice).update(state=S.SUCCEEDED)
    text = poll(client, watched.id, "not-a-uuid").content.decode()
    [toast] = toasts(text)
    assert "elsewhere" in toast and f"/studio/jobs/{elsewhere.id}/" in toast
    watched.refresh_from_db()
    assert watched.announced_at is not None  # announced by its own view, not toasted later
    assert toasts(client.get("/").content.decode()) == []


def test_the_job_page_does_not_toast_its_own_job(client, make_user):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    job = make_job(alice, state=S.SUCCEEDED)
    other = make_job(alice, state=S.FAILED)
    text = client.get(f"/studio/jobs/{job.id}/").content.decode()
    [toast] = toasts(text)
    assert f"/studio/jobs/{other.id}/" in toast
    job.refresh_from_db()
    assert job.announced_at is not None
    assert toasts(client.get("/").content.decode()) == []


def test_two_tabs_announce_a_job_only_once(make_user):
    job = make_job(make_user(tier="JIVE"), state=S.SUCCEEDED)
    tab_one, tab_two = MediaJob.objects.get(pk=job.pk), MediaJob.objects.get(pk=job.pk)
    assert tab_one.announce() is True
    assert tab_two.announce() is False


def test_a_poll_with_nothing_to_tell_costs_one_query_beyond_the_session(
    client, make_user, django_assert_num_queries
):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    make_job(alice)
    make_job(alice)
    poll(client)
    with django_assert_num_queries(3):  # session, user, the tray's jobs
        assert poll(client).status_code == 200


def test_the_create_tabs_htmx_submit_wakes_the_tray(client, make_user, studio_env):
    client.force_login(make_user(tier="JIVE"))
    data = {
        "prompt": "A protea",
        "count": "1",
        "aspect_ratio": "1:1",
        "idempotency_key": str(uuid.uuid4()),
    }
    response = client.post("/studio/images/create/", data, **HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == '{"jobs-changed": {}}'


def test_a_running_progress_card_offers_run_in_background_and_a_finished_one_does_not(client, make_user):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    job = make_job(alice)
    card = client.get(f"/studio/jobs/{job.id}/", **HTMX).content.decode()
    assert f'data-progress="{job.id}"' in card
    assert '<a class="run-bg" href="/" data-run-in-background>Run in background</a>' in card
    MediaJob.objects.filter(pk=job.pk).update(state=S.SUCCEEDED)
    card = client.get(f"/studio/jobs/{job.id}/", **HTMX).content.decode()
    assert f'data-progress="{job.id}"' in card and "Run in background" not in card


def test_the_tray_needs_a_login_and_is_not_a_page(client, make_user):
    response = client.get(TRAY, **HTMX)
    assert response.status_code == 286 and response.headers["HX-Reswap"] == "none"
    response = client.get(TRAY)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    client.force_login(make_user(tier="JIVE"))
    assert client.get(TRAY).url == "/"


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/signup/"])
def test_anonymous_pages_have_no_tray(client, db, url):
    text = client.get(url).content.decode()
    assert 'id="jobs-tray"' not in text and "tray.js" not in text
