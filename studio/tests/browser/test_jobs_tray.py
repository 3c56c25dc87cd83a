"""The jobs tray in Chromium, with a real worker: "Run in background" hides the progress card and
the tray follows the job; the toast comes on whatever page the user is on when it finishes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from studio.models import MediaJob
from studio.tests.cluster import wait_for_job

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SLOW_SECONDS = 12  # long enough to send the job to the background and leave the page


def submit(page, live_server, prompt: str):
    page.goto(live_server.url + "/studio/images/create/")
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Generate").click()
    card = page.locator("article.job").first
    expect(card).to_contain_text(prompt)
    return card


def test_it_runs_a_job_in_the_background_and_toasts_on_the_next_page(
    page, live_server, make_user, log_in, worker, providers_env, shoot
):
    alice = make_user(username="alice", tier="JIVE")
    providers_env.inject("slow", delay=SLOW_SECONDS)  # the image model answers after a while
    log_in(page, alice)
    tray = page.locator("#jobs-tray")
    expect(tray.locator("summary")).to_have_text("Jobs")

    card = submit(page, live_server, "A baobab at dusk over the Limpopo")
    job = MediaJob.objects.get(owner=alice)
    # The submit woke the resting tray (HX-Trigger: jobs-changed).
    expect(tray.locator("summary")).to_have_text("Jobs (1)")

    card.get_by_role("link", name="Run in background").click()
    expect(page.locator(f'[data-progress="{job.id}"]')).to_be_hidden()
    expect(tray.locator("summary")).to_be_focused()
    page.wait_for_timeout(3_500)  # the card keeps polling, hidden: its new copies stay hidden
    expect(page.locator(f'[data-progress="{job.id}"]')).to_be_hidden()
    expect(tray.locator("summary")).to_be_focused()  # the tray's polls do not take the focus away

    page.keyboard.press("Enter")  # opens the tray from the keyboard
    item = tray.locator("li")
    expect(item.get_by_role("link", name="Generate image")).to_have_attribute(
        "href", f"/studio/jobs/{job.id}/"
    )
    expect(item).to_contain_text("A baobab at dusk")
    expect(item.locator("progress")).to_be_visible()
    shoot(page, "jobs-tray-open")

    page.goto(live_server.url + "/")
    expect(tray.locator("summary")).to_have_text("Jobs (1)")
    assert MediaJob.objects.get(pk=job.pk).state in MediaJob.ACTIVE_STATES, "finished before we left"
    toast = page.locator(".toast")
    expect(toast).to_contain_text("Your image is ready", timeout=SLOW_SECONDS * 1000 + 15_000)
    expect(page.get_by_role("status").filter(has=toast)).to_have_attribute("aria-live", "polite")
    expect(tray.locator("summary")).to_have_text("Jobs")  # and the tray has let it go
    shoot(page, "jobs-toast")
    assert MediaJob.objects.get(pk=job.pk).announced_at is not None

    toast.get_by_role("link", name="View").click()
    expect(page).to_have_url(f"{live_server.url}/studio/jobs/{job.id}/")
    expect(page.locator("article.job").get_by_role("img")).to_be_visible()
    expect(page.locator(".toast")).to_have_count(0)  # announced once, not again here


def test_a_card_the_user_watches_finish_gets_no_toast_and_polling_stops(
    page, live_server, make_user, log_in, worker
):
    alice = make_user(username="alice", tier="JIVE")
    log_in(page, alice)
    trays: list[str] = []
    page.on("request", lambda r: trays.append(r.url) if "/studio/tray/" in r.url else None)

    card = submit(page, live_server, "A hadeda on a Joburg lawn")
    job = wait_for_job(MediaJob.objects.get(owner=alice).id)
    expect(card.get_by_role("img")).to_be_visible(timeout=15_000)
    expect(page.locator("#jobs-tray summary")).to_have_text("Jobs", timeout=8_000)
    page.wait_for_timeout(1_000)
    expect(page.locator(".toast")).to_have_count(0)
    assert any(f"shown={job.id}" in url for url in trays), trays  # the tray was told
    assert MediaJob.objects.get(pk=job.pk).announced_at is not None

    # Resting: no timer, no requests.
    settled = len(trays)
    page.wait_for_timeout(4_000)
    assert len(trays) == settled, trays[settled:]


def test_a_background_job_finishing_on_the_same_page_toasts_and_shows_its_result(
    page, live_server, make_user, log_in, worker, providers_env, shoot
):
    alice = make_user(username="alice", tier="JIVE")
    providers_env.inject("slow", delay=3)
    log_in(page, alice)
    card = submit(page, live_server, "Table Mountain under a tablecloth of cloud")
    card.get_by_role("link", name="Run in background").click()
    expect(card).to_be_hidden()

    toast = page.locator(".toast")
    expect(toast).to_contain_text("Your image is ready", timeout=20_000)
    # Once final, the card comes back in the list with its image.
    expect(page.locator("article.job").first.get_by_role("img")).to_be_visible()
    toast.get_by_role("button", name="Dismiss").click()
    expect(toast).to_have_count(0)


def test_a_job_that_finished_with_no_page_open_toasts_on_the_next_page_then_hides(
    page, live_server, make_user, log_in, worker, providers_env
):
    alice = make_user(username="alice", tier="JIVE")
    providers_env.inject("slow", delay=3)
    log_in(page, alice)
    submit(page, live_server, "Kruger at first light")
    page.goto("about:blank")  # the tab is closed, as far as the studio can tell
    job = wait_for_job(MediaJob.objects.get(owner=alice).id)
    assert job.state == MediaJob.State.SUCCEEDED and job.announced_at is None

    page.goto(live_server.url + "/")
    toast = page.locator(".toast")
    expect(toast).to_contain_text("Your image is ready")
    expect(toast.get_by_role("link", name="View")).to_have_attribute("href", f"/studio/jobs/{job.id}/")
    expect(toast).to_have_count(0, timeout=12_000)  # gone by itself after about 8 s


def test_without_javascript_the_toast_stays_in_the_page_and_the_tray_still_opens(
    browser, live_server, make_user, log_in, shoot
):
    from studio.tests.test_jobs_tray import make_job

    alice = make_user(username="alice", tier="JIVE")
    running = make_job(alice, prompt="A baobab at dusk")
    make_job(alice, state=MediaJob.State.SUCCEEDED, prompt="A hadeda on a lawn")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        log_in(page, alice)
        toast = page.locator(".toast")
        expect(toast).to_contain_text("Your image is ready")
        expect(toast.get_by_role("button", name="Dismiss")).to_be_hidden()  # it needs JavaScript
        assert page.locator("#toasts").evaluate("el => getComputedStyle(el).position") == "static"
        page.locator("#jobs-tray summary").click()
        expect(page.locator("#jobs-tray").get_by_role("link", name="Generate image")).to_be_visible()
        shoot(page, "jobs-tray-no-js")

        page.goto(f"{live_server.url}/studio/jobs/{running.id}/")
        expect(page.locator(".toast")).to_have_count(0)  # announced once, on the page before
        with page.expect_navigation():
            page.get_by_role("link", name="Run in background").click()
        assert page.url == live_server.url + "/"
    finally:
        context.close()
