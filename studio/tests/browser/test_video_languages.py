"""The Video Studio, the Extend and video pages, the command page and the assistant in Afrikaans and
isiZulu at phone width (issue 16): the layout holds with the longer words (nothing wider than the
screen), the crop preview's words come from its script's data-words (studio/languages.py), and
screenshots of each."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from studio import assets
from studio.tests.browser.conftest import PHONE
from studio.tests.factories import make_finished_video, make_photo

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WORDS = {
    "af": {
        "crop": "Hierdie prent (640 × 360) is breër as 'n 9:16-video.",
        "portrait": "9:16 portret",
        "create": "Skep video",
        "video": "Verleng met",
        "extend": "Verleng video",
        "command": "Tik 'n bevel",
        "assistant": "Begin 'n nuwe gesprek",
    },
    "zu": {
        "crop": "Lesi sithombe (640 × 360) sibanzi kunevidiyo ye-9:16.",
        "portrait": "9:16 ime mpo",
        "create": "Dala ividiyo",
        "video": "Nweba ngo-",
        "extend": "Nweba ividiyo",
        "command": "Thayipha umyalelo",
        "assistant": "Qala ingxoxo entsha",
    },
}


def assert_fits(page) -> None:
    """Nothing on the page is wider than the phone's screen."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"


@pytest.mark.parametrize("lang", ["af", "zu"])
def test_the_video_pages_in_the_language_at_phone_width(
    page, live_server, make_user, log_in, studio_env, shoot, lang
):
    words = WORDS[lang]
    alice = make_user(username=f"alice_{lang}", tier="JIGGA")
    assets.save_upload(alice, make_photo((640, 360)))  # landscape
    video = make_finished_video(alice)
    log_in(page, alice)
    page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    page.set_viewport_size(PHONE)

    page.goto(live_server.url + "/studio/videos/new/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#generate")).to_have_text(words["create"])
    page.locator("input[name=first_frame_id]").nth(1).check(force=True)
    page.get_by_text(words["portrait"]).click()
    expect(page.locator("#crop-preview figcaption")).to_contain_text(words["crop"])
    assert_fits(page)
    shoot(page, f"i18n-video-create-{lang}")

    page.goto(live_server.url + f"/studio/videos/{video.source_job_id}/")
    expect(page.locator("a.extend")).to_contain_text(words["video"])
    assert_fits(page)
    shoot(page, f"i18n-video-job-{lang}")

    page.goto(live_server.url + f"/studio/videos/extend/{video.id}/")
    expect(page.locator("#extend")).to_have_text(words["extend"])
    assert_fits(page)
    shoot(page, f"i18n-video-extend-{lang}")

    page.goto(live_server.url + "/studio/command/")
    expect(page.get_by_text(words["command"], exact=True)).to_be_visible()
    page.locator("#cmd-m-in").fill("/help video")
    page.locator("#cmd-m-form button").click()
    expect(page.locator("#cmd-m-out .cmd-help")).to_be_visible()
    assert_fits(page)
    shoot(page, f"i18n-commands-{lang}")

    page.goto(live_server.url + "/studio/assistant/")
    expect(page.locator(".assistant-new button")).to_have_text(words["assistant"])
    assert_fits(page)
    shoot(page, f"i18n-assistant-{lang}")
