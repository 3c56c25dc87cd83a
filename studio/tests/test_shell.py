"""The app shell every page shares (templates/base.html, studio/templatetags/shell.py): the
navigation, the plan and the allowance meter in the unit of the page, and the branded 404 and 500
pages. The browser tests (browser/test_shell.py) check the same at phone and desktop width."""

from __future__ import annotations

import re

import pytest
from django.test import RequestFactory

from billing import services
from studio.tests.factories import make_asset, make_job

STUDIOS = {"Image Studio", "Video Studio", "Gallery", "Plans"}


def meter(html: str) -> str:
    found = re.search(r'<a class="meter-box".*?</a>', html, re.S)
    assert found, "no allowance meter in the header"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip()


def nav(html: str) -> list[str]:
    found = re.search(r'<nav class="shell-nav" aria-label="Main">(.*?)</nav>', html, re.S)
    assert found, "no main navigation"
    names = re.findall(r"<a [^>]+>(.*?)</a>", found.group(1))
    return [re.sub(r"<[^>]+>", "", name) for name in names]


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/", "JIVE 50 images left this month"),
        ("/studio/images/create/", "JIVE 50 images left this month"),
        ("/studio/images/edit/", "JIVE 20 edits left this month"),
        ("/studio/images/upscale/", "JIVE 20 upscales left this month"),
        ("/studio/images/", "JIVE 50 images left this month"),
        ("/studio/videos/new/", "JIVE 292 s of video left this month"),
    ],
)
def test_the_header_shows_the_plan_and_what_is_left_in_the_pages_unit(client, make_user, path, words):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "video_seconds", 8, "v1")
    services.commit("v1", operation="generate_video", model="veo", price_class="video")
    client.force_login(alice)

    html = client.get(path).content.decode()

    assert meter(html) == words
    assert nav(html) == ["Image Studio", "Video Studio", "Assistant", "Gallery", "Plans"]


def test_a_video_jobs_page_counts_seconds_and_an_image_jobs_page_images(client, make_user):
    alice = make_user(tier="JIGGA")
    client.force_login(alice)
    video = make_job(alice, operation="generate_video", params={"prompt": "A dhow", "duration_seconds": 4})
    image = make_job(alice)

    assert meter(client.get(f"/studio/jobs/{video.id}/", follow=True).content.decode()).endswith(
        "1 200 s of video left this month"  # the meter helper joins words with spaces
    )
    html = client.get(f"/studio/jobs/{image.id}/").content.decode()
    assert meter(html) == "JIGGA 200 images left this month"
    assert re.search(r'aria-current="page">Image<span class="long"> Studio</span><', html)


def test_a_free_user_sees_the_days_preview_and_what_the_plan_lacks(client, make_user):
    thandi = make_user(tier="FREE")
    client.force_login(thandi)

    assert meter(client.get("/studio/images/create/").content.decode()) == "FREE 1 image left today"
    assert meter(client.get("/studio/images/upscale/").content.decode()) == "FREE No upscales on FREE"
    assert meter(client.get("/studio/videos/new/").content.decode()) == "FREE No video on FREE"


def test_the_current_section_is_marked_in_the_navigation(client, make_user):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    asset = make_asset(alice)

    for path, section in (
        ("/studio/images/edit/", "Image Studio"),
        ("/studio/videos/new/", "Video Studio"),
        ("/studio/images/", "Gallery"),
        (f"/studio/images/{asset.id}/", "Gallery"),
    ):
        html = client.get(path).content.decode()
        current = re.findall(r'aria-current="page">(.*?)</a>', html)[0]
        assert re.sub(r"<[^>]+>", "", current) == section, path


def test_pages_carry_the_logo_and_the_svg_favicon(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    html = client.get("/").content.decode()
    assert re.search(r'<link rel="icon" href="/static/studio/logo[^"]*\.svg" type="image/svg\+xml">', html)
    assert re.search(r'<a class="brand" href="/"><img src="/static/studio/logo[^"]*\.svg" alt=""', html)


def test_an_unknown_page_is_the_branded_404_with_the_shell(client, make_user):
    client.force_login(make_user(tier="JIVE"))

    response = client.get("/studio/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "We can't find that page" in html
    assert nav(html) == ["Image Studio", "Video Studio", "Assistant", "Gallery", "Plans"]
    assert meter(html) == "JIVE 50 images left this month"
    assert 'id="jobs-tray"' in html


def test_another_users_image_is_the_same_404(client, make_user):
    bob = make_user(tier="JIVE")
    client.force_login(make_user(tier="JIVE"))
    response = client.get(f"/studio/images/{make_asset(bob).id}/")
    assert response.status_code == 404
    assert "We can't find that page" in response.content.decode()


def test_the_500_page_keeps_the_navigation_without_the_database():
    """No `db` fixture: pytest-django refuses any query, so this fails if the page needs one."""
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/studio/images/create/"))

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert nav(html) == ["Image Studio", "Video Studio", "Assistant", "Gallery", "Plans"]
    assert 'href="/static/studio/app' in html


def test_a_view_that_raises_answers_the_branded_500(client, make_user, settings):
    """Through the whole stack: the handler renders 500.html, not Django's plain text."""
    from django.urls import include, path

    def broken(request):
        raise RuntimeError("boom")

    urls = [path("broken/", broken), path("", include("mediastudio.urls"))]
    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": urls})
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_the_meter_answers_again_after_a_submit(client, make_user):
    """The header's meter re-asks on the tray's jobs-changed; the answer is the meter alone."""
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    html = client.get("/studio/images/edit/").content.decode()
    assert 'hx-get="/studio/meter/?meter=edits" hx-trigger="jobs-changed from:body"' in html
    services.reserve(alice, "edits", 3, "e1")

    answer = client.get("/studio/meter/", {"meter": "edits"}).content.decode()

    assert meter(answer) == "JIVE 17 edits left this month"
    assert "<header" not in answer
    assert meter(client.get("/studio/meter/", {"meter": "nonsense"}).content.decode()).endswith(
        "50 images left this month"
    )
    client.logout()
    assert client.get("/studio/meter/", {"meter": "edits"}).status_code == 302
