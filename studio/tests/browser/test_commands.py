"""The slash-command box in Chromium, with a real worker: /image shows the job's card and then the
image in place, /video a progress line with a link, a bad flag a message and no job, /help the
flags; the box in the header works on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from studio import slash
from studio.models import MediaJob
from studio.tests.browser.loading import assert_loaded
from studio.tests.cluster import wait_for_job

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def run(page, box: str, text: str) -> None:
    field = page.locator(f"#cmd-{box}-in")
    field.fill(text)
    field.press("Enter")


def test_it_makes_an_image_from_the_media_creator_box(page, live_server, make_user, log_in, worker, shoot):
    alice = make_user(username="alice", tier="JIVE")
    log_in(page, alice)
    expect(page.get_by_label("Type a command")).to_be_visible()
    shoot(page, "command-box")

    run(page, "m", "/image a baobab at dusk --ar 16:9 --style cinematic")
    answer = page.locator("#cmd-m-out")
    expect(answer).to_contain_text("Started: 1 image · 16:9 · Cinematic")
    card = answer.locator("article.job")
    expect(card).to_contain_text("a baobab at dusk")
    job = MediaJob.objects.get(owner=alice)
    assert job.params["aspect_ratio"] == "16:9" and job.params["style"] == "cinematic"
    # The box is emptied for the next command and keeps the focus.
    expect(page.locator("#cmd-m-in")).to_have_value("")
    expect(page.locator("#cmd-m-in")).to_be_focused()

    wait_for_job(job.id)
    image = card.get_by_role("img")
    expect(image).to_be_visible(timeout=15_000)
    assert_loaded(page, image)
    shoot(page, "command-image")


def test_it_starts_a_video_with_a_progress_line_and_a_link(
    page, live_server, make_user, log_in, worker, shoot
):
    alice = make_user(username="alice", tier="JIVE")
    log_in(page, alice)
    run(page, "m", "/video waves at Muizenberg --seconds 4 --ar 9:16")
    line = page.locator("#cmd-m-out .cmd-job")
    expect(line).to_be_visible()
    job = MediaJob.objects.get(owner=alice)
    assert job.operation == "generate_video" and job.params["duration_seconds"] == 4
    expect(line.get_by_role("link")).to_have_attribute("href", f"/studio/videos/{job.id}/")
    shoot(page, "command-video")

    wait_for_job(job.id)
    expect(line).to_contain_text("Your video is ready", timeout=15_000)
    expect(line.get_by_role("link", name="watch it in the Video Studio")).to_be_visible()


def test_it_answers_a_bad_flag_with_a_message_and_creates_nothing(
    page, live_server, make_user, log_in, shoot
):
    alice = make_user(username="alice", tier="JIVE")
    log_in(page, alice)
    run(page, "m", "/video waves --ar 1:1 --seconds 5")
    answer = page.locator("#cmd-m-out")
    expect(answer).to_contain_text("--ar must be one of 16:9, 9:16 for /video")
    expect(answer).to_contain_text("--seconds must be one of 4, 6, 8 for /video")
    expect(page.locator("#cmd-m-in")).to_have_value("/video waves --ar 1:1 --seconds 5")
    assert not MediaJob.objects.exists()
    shoot(page, "command-error")

    # Its /help link answers in the same place with that command's flags.
    answer.get_by_role("link", name="/help video").click()
    expect(answer).to_contain_text("--seconds, --duration")
    expect(answer).not_to_contain_text("--style")


def test_it_lists_the_commands_and_flags_for_help(page, live_server, make_user, log_in, shoot):
    log_in(page, make_user(username="alice", tier="JIVE"))
    page.get_by_role("link", name="/help lists them all").click()
    answer = page.locator("#cmd-m-out")
    for command in slash.COMMANDS.values():
        expect(answer).to_contain_text(f"/{command.name} <prompt> [flags]")
        for flag in command.flags:
            expect(answer).to_contain_text(", ".join(flag.names))
    shoot(page, "command-help")
    answer.get_by_role("button", name="Close").click()
    expect(answer).to_be_hidden()


def test_it_works_from_the_header_on_another_page(page, live_server, make_user, log_in, worker, shoot):
    alice = make_user(username="alice", tier="JIVE")
    log_in(page, alice)
    page.goto(live_server.url + "/studio/images/create/")
    header = page.locator("header")
    # The jobs tray refreshes on this htmx event; count them.
    page.evaluate(
        "window.jobsChanged = 0; document.body.addEventListener('jobs-changed', () => window.jobsChanged++)"
    )

    header.get_by_label("Command", exact=True).fill("/help image")
    header.get_by_role("button", name="Send").click()
    dropdown = page.locator("#cmd-h-out")
    expect(dropdown).to_contain_text("--style")
    shoot(page, "command-header-help")

    run(page, "h", "/image a hadeda on a lawn --n 2")
    expect(dropdown.locator("article.job")).to_contain_text("a hadeda on a lawn")
    job = MediaJob.objects.get(owner=alice)
    assert job.params["count"] == 2
    assert page.evaluate("window.jobsChanged") == 1
    wait_for_job(job.id)
    expect(dropdown.get_by_role("img")).to_have_count(2, timeout=15_000)
    shoot(page, "command-header-image")

    dropdown.get_by_role("button", name="Close").click()
    expect(dropdown).to_be_hidden()


def test_it_shows_free_users_the_way_up_for_video(page, live_server, make_user, log_in, shoot):
    log_in(page, make_user(username="bob", tier="FREE"))
    page.goto(live_server.url + "/studio/images/")  # the header's box (the landing page has its own)
    run(page, "h", "/video a dhow at sunset --seconds 6")
    dropdown = page.locator("#cmd-h-out")
    expect(dropdown).to_contain_text("Making videos is not part of the Free plan")
    expect(dropdown).to_contain_text(re.compile(r"JIVE.*R49\.00 a month"))
    expect(dropdown.get_by_role("link", name="Watch the sample videos")).to_be_visible()
    assert not MediaJob.objects.exists()
    shoot(page, "command-free-video")


def test_it_works_without_javascript(browser, live_server, make_user, worker):
    """A plain form: a job leads to its page, a bad flag to the command page with the message."""
    alice = make_user(username="alice", tier="JIVE")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("pw-123456")
        page.get_by_role("button", name="Log in").click()
        page.get_by_label("Type a command").fill("/image x --n 9")
        page.locator("#cmd-m-form").get_by_role("button", name="Send").click()
        expect(page.get_by_role("heading", name="Commands")).to_be_visible()
        expect(page.locator("#cmd-m-out")).to_contain_text("--n must be a whole number from 1 to 4")
        assert not MediaJob.objects.exists()

        page.get_by_label("Type a command").fill("/image a guinea fowl")
        page.locator("#cmd-m-form").get_by_role("button", name="Send").click()
        job = MediaJob.objects.get(owner=alice)
        expect(page).to_have_url(f"{live_server.url}/studio/jobs/{job.id}/")
    finally:
        context.close()
