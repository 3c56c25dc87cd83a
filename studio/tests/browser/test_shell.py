"""The app shell in Chromium on every user page, at desktop (1280×800) and phone (390×844) width:
the navigation with its three studios, the plan and allowance meter in view, nothing wider than
the screen, and axe-core finding no serious or critical violation. Screenshots of each page at
both widths go to screenshots/ (shell-<page>-desktop.png, -phone.png).

Also: the header's pop-overs (jobs tray, account menu, command answer) close on Escape and on a
click outside."""

from __future__ import annotations

import re

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from studio import assets, jobs
from studio.schemas import GenerateImage
from studio.tests import sample_clips as clips
from studio.tests.browser.a11y import assert_accessible
from studio.tests.browser.conftest import DESKTOP, PHONE
from studio.tests.factories import make_finished_video, make_job, make_photo

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
rendered_samples, sample_clips = clips.rendered_samples, clips.sample_clips

# (screenshot name, tier, URL name, which object its URL takes)
PAGES = [
    ("landing", "JIVE", "landing", None),
    ("create", "JIVE", "image-create", None),
    ("create-free", "FREE", "image-create", None),
    ("edit-pick", "JIVE", "image-edit", None),
    ("edit-canvas", "JIVE", "image-edit-canvas", "asset"),
    ("edit-demo-free", "FREE", "image-edit", None),
    ("compose", "JIVE", "image-compose", None),
    ("compose-free", "FREE", "image-compose", None),
    ("upscale", "JIGGA", "image-upscale", None),
    ("upscale-free", "FREE", "image-upscale", None),
    ("gallery", "JIVE", "image-gallery", None),
    ("viewer", "JIVE", "image-viewer", "asset"),
    ("job", "JIVE", "job-detail", "job"),
    ("video-form", "JIVE", "video-create", None),
    ("video-progress", "JIVE", "video-job", "video"),
    ("video-samples-free", "FREE", "video-create", "samples"),
    ("video-extend", "JIVE", "video-extend", "finished-video"),
    ("plans", "JIVE", "plans", None),
    ("assistant", "JIVE", "assistant", None),
    ("account", "JIVE", "account", None),
    ("not-found", "JIVE", None, None),
]


MODEL_WORDS = re.compile(
    r"\b(?:imagen|gemini|veo|flux)-[\w.-]+|projects/\S+|publishers/\S+|generateContent|predictLongRunning",
    re.I,
)
RUN_TOGETHER = re.compile(r"\b[a-z]{2,}[.!?][A-Z][a-z]+")


def page_path(request, user, url_name: str | None, needs: str | None, *, prompt: str = "Protea") -> str:
    """The URL of one of PAGES for `user`, making the object it shows (skips a page this build lacks)."""
    if needs == "samples":
        request.getfixturevalue("sample_clips")
    objects = {}
    if needs == "asset":
        objects["asset_id"] = assets.save_upload(user, make_photo((640, 480))).id
    elif needs == "job":
        objects["job_id"] = jobs.submit_job(user, "generate_image", GenerateImage(prompt=prompt)).id
    elif needs == "video":
        objects["job_id"] = make_job(user, operation="generate_video", params={"prompt": prompt}).id
    elif needs == "finished-video":
        objects["video_id"] = make_finished_video(user).id
    try:
        return reverse(url_name, kwargs=objects) if url_name else "/studio/no-such-page/"
    except NoReverseMatch:
        pytest.skip(f"{url_name} is not a page of this build")


def check_shell(page, label: str, *, meter: bool = True) -> None:
    main_nav = page.get_by_role("navigation", name="Main")
    for name in ("Image Studio", "Video Studio", "Gallery", "Plans"):
        expect(main_nav.get_by_role("link", name=name, exact=True)).to_be_in_viewport(ratio=1)
    expect(page.locator(".brand img")).to_be_visible()
    if meter:
        expect(page.locator("#shell-meter")).to_be_in_viewport()
    # Nothing sticks out sideways (a phone would scroll the whole page).
    overflow = page.evaluate("() => (e => e.scrollWidth - e.clientWidth)(document.documentElement)")
    assert overflow <= 0, f"{label}: the page is {overflow}px wider than the screen"
    # One visual language: no link in the browser's default blue.
    blue = page.evaluate(
        """() => [...document.querySelectorAll("a")].filter(a => a.checkVisibility()
             && getComputedStyle(a).color === "rgb(0, 0, 238)").map(a => a.textContent.trim())"""
    )
    assert not blue, f"{label}: links in the browser's blue: {blue}"
    # The words users read: no model ids, no provider paths, no sentences run together.
    text = page.evaluate("() => document.body.innerText")
    assert not MODEL_WORDS.findall(text), f"{label}: {MODEL_WORDS.findall(text)}"
    assert not RUN_TOGETHER.findall(text), f"{label}: run-together sentences {RUN_TOGETHER.findall(text)}"
    assert_accessible(page, label)


@pytest.mark.parametrize(("name", "tier", "url_name", "needs"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_has_the_shell_at_both_widths_and_no_serious_axe_violation(
    page, live_server, make_user, log_in, studio_env, shoot, request, name, tier, url_name, needs
):
    user = make_user(username=f"shell-{tier.lower()}", tier=tier)
    path = page_path(request, user, url_name, needs)
    log_in(page, user)

    response = page.goto(live_server.url + path)
    assert response.status == (404 if url_name is None else 200)
    page.wait_for_load_state("networkidle")
    check_shell(page, f"{name} at desktop")
    page.set_viewport_size(PHONE)
    check_shell(page, f"{name} on a phone")
    page.set_viewport_size(DESKTOP)
    shoot(page, f"shell-{name}")


def test_the_log_in_and_sign_up_pages_pass_axe_at_both_widths(page, live_server, shoot):
    for path, name in (("/accounts/login/", "login"), ("/accounts/signup/", "signup")):
        page.goto(live_server.url + path)
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            assert_accessible(page, f"{name} at {size['width']}px")
        page.set_viewport_size(DESKTOP)
        shoot(page, f"shell-{name}")


def test_the_tray_the_menu_and_the_command_answer_close_on_escape_and_a_click_outside(
    page, live_server, make_user, log_in
):
    log_in(page, make_user(username="alice", tier="JIVE"))
    page.goto(live_server.url + "/studio/images/create/")
    tray = page.locator("#jobs-tray")
    menu = page.locator("#account-menu")

    for pop in (tray, menu):
        summary = pop.locator("summary")
        summary.click()
        expect(pop).to_have_attribute("open", "")
        page.keyboard.press("Escape")
        expect(pop).not_to_have_attribute("open", re.compile(".*"))
        expect(summary).to_be_focused()

        summary.click()
        expect(pop).to_have_attribute("open", "")
        page.get_by_role("heading", name="Image Studio").click()
        expect(pop).not_to_have_attribute("open", re.compile(".*"))

    # Opening one closes the other.
    tray.locator("summary").click()
    menu.locator("summary").click()
    expect(tray).not_to_have_attribute("open", re.compile(".*"))
    expect(menu).to_have_attribute("open", "")
    page.keyboard.press("Escape")

    box = page.get_by_role("textbox", name="Command")
    answer = page.locator("#cmd-h-out")
    for close in ("Escape", "click"):
        box.fill("/help")
        box.press("Enter")
        expect(answer).to_contain_text("/image")
        if close == "Escape":
            page.keyboard.press("Escape")
            expect(box).to_be_focused()
        else:
            page.get_by_role("heading", name="Image Studio").click()
        expect(answer).to_be_empty()


def test_axe_fails_a_page_with_a_serious_violation(page, live_server):
    """The check can fail: an image without alt text and an unlabelled field, put into a page."""

    def inject(route):
        response = route.fetch()
        body = response.text().replace("</main>", '<img src="/static/studio/logo.svg"><input></main>')
        route.fulfill(response=response, body=body)

    page.route("**/accounts/login/", inject)
    page.goto(live_server.url + "/accounts/login/")
    with pytest.raises(AssertionError, match="critical image-alt") as failure:
        assert_accessible(page)
    assert "label" in str(failure.value)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_refusal_after_a_submit_is_in_view_and_focused(page, live_server, make_user, log_in, shoot, size):
    """Four images asked with two left: the refusal replaces the form's top, which on a phone is
    far above the Generate button the user just pressed."""
    from billing import services

    alice = make_user(username="alice", tier="JIVE")
    services.reserve(alice, "images", 48, "used")
    services.commit("used", operation="generate_image", model="gemini", price_class="image")
    log_in(page, alice)
    page.set_viewport_size(size)
    page.goto(live_server.url + "/studio/images/create/")
    page.get_by_label("Prompt", exact=True).fill("A hadeda on a Joburg lawn")
    page.get_by_role("group", name="Number of images").get_by_text("4", exact=True).click()
    expect(page.locator("#estimate")).to_contain_text("2 images left")
    generate = page.get_by_role("button", name="Generate")
    generate.scroll_into_view_if_needed()
    if size == PHONE:
        assert page.evaluate("() => scrollY") > 300, "the button should be far down the page"
    generate.click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not enough allowance left")
    expect(alert).to_be_focused()
    expect(alert).to_be_in_viewport()
    top = alert.evaluate("e => e.getBoundingClientRect().top")
    assert 0 <= top < size["height"] / 2, top
    assert_accessible(page, f"the refusal at {size['width']}px")
    shoot(page, "refusal-in-view")


def test_a_quick_typist_gets_the_last_estimate_and_no_console_errors(page, live_server, make_user, log_in):
    """The estimate's requests queue the last change instead of aborting the one in flight (htmx
    logs every aborted request as a console error)."""
    log_in(page, make_user(username="alice", tier="JIVE"))
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.goto(live_server.url + "/studio/images/create/")
    prompt = page.get_by_label("Prompt", exact=True)
    for key in "A protea at sunrise":
        prompt.press(key)
    counts = page.get_by_role("group", name="Number of images")
    for n in "2341234":
        counts.get_by_text(n, exact=True).click()

    expect(page.locator("#estimate")).to_contain_text("R2.96")  # four images at R0.74
    page.wait_for_timeout(1_000)
    expect(page.locator("#estimate")).to_contain_text("R2.96")
    assert console == []


def test_the_header_meter_follows_a_submit(page, live_server, make_user, log_in):
    log_in(page, make_user(username="alice", tier="JIVE"))
    page.goto(live_server.url + "/studio/images/create/")
    meter = page.locator("#shell-meter .meter-words")
    expect(meter).to_have_text("50 images left this month")
    page.get_by_label("Prompt", exact=True).fill("A protea at sunrise")
    page.get_by_role("group", name="Number of images").get_by_text("2", exact=True).click()
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("article.job").first).to_contain_text("A protea at sunrise")
    expect(meter).to_have_text("48 images left this month")
