"""Image Studio in Afrikaans and isiZulu in Chromium at phone width: every tab's words come from the
catalogue (no English sentence left), the mask editor's live status speaks the language through its
script's data-words (studio/languages.py), and the longer words fit the phone's width (nothing scrolls
sideways).
Screenshots: screenshots/image-<tab>-<lang>-{desktop,phone}.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from studio import assets
from studio.models import Profile
from studio.tests.browser.conftest import PHONE
from studio.tests.factories import make_photo

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Words each tab shows in each language, and English sentences that must not be left on it.
WORDS = {
    "af": {
        "create": ("Opdrag", "Beeldverhouding", "Genereer"),
        "edit": ("Kies ’n prent", "Laai ’n prent op"),
        "canvas": ("Verf die masker", "Ruil agtergrond", "Pas toe"),
        "painted": "Geverf:",
        "upscale": ("Prent om te vergroot", "Vergroot"),
        "compose": ("Hoe om hulle te kombineer", "Stel saam"),
        "free-compose": ("Samestelling kom met ’n betaalde plan", "Vergelyk planne"),
    },
    "zu": {
        "create": ("Umyalo", "Isilinganiso sesithombe", "Khiqiza"),
        "edit": ("Khetha isithombe", "Layisha isithombe"),
        "canvas": ("Penda imaski", "Shintsha ingemuva", "Sebenzisa"),
        "painted": "Okupendiwe:",
        "upscale": ("Isithombe ozosikhulisa", "Khulisa"),
        "compose": ("Indlela yokuzihlanganisa", "Hlanganisa"),
        "free-compose": ("Ukuhlanganisa kuza nohlelo olukhokhelwayo", "Qhathanisa izinhlelo"),
    },
}
ENGLISH = ("Number of images", "More options", "Paint the mask", "Compare plans", "Cost:", "Your recent")


def speaks(page, lang: str, tab: str) -> None:
    """The page is in `lang`, shows the tab's words, no English sentence, and fits a phone."""
    expect(page.locator("html")).to_have_attribute("lang", lang)
    main = page.locator("main")
    for word in WORDS[lang][tab]:
        expect(main).to_contain_text(word)
    text = main.inner_text()
    left = [english for english in ENGLISH if english in text]
    assert not left, f"{tab} in {lang} still says {left}"
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{tab} in {lang} is {overflow}px wider than a phone"


def as_user(page, live_server, make_user, log_in, lang: str, tier: str):
    user = make_user(username=f"{tier.lower()}-{lang}", tier=tier)
    Profile.objects.update_or_create(user=user, defaults={"language": lang})
    log_in(page, user)
    return user


@pytest.mark.parametrize("lang", ["af", "zu"])
def test_the_image_studio_speaks_the_users_language_and_fits_a_phone(
    page, live_server, make_user, log_in, shoot, lang
):
    jive = as_user(page, live_server, make_user, log_in, lang, "JIVE")
    photo = assets.save_upload(jive, make_photo((320, 240)))
    assets.save_upload(jive, make_photo((200, 200)))
    tabs = {
        "create": "/studio/images/create/",
        "edit": "/studio/images/edit/",
        "upscale": f"/studio/images/upscale/?image={photo.id}",
        "compose": f"/studio/images/compose/?images={photo.id}",
        "canvas": f"/studio/images/edit/{photo.id}/",
    }
    for tab, url in tabs.items():
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(live_server.url + url)
        speaks(page, lang, tab)
        shoot(page, f"image-{tab}-{lang}")

    # The mask editor's live status comes from its script's words (data-words on mask_editor.js).
    canvas = page.locator("#mask-editor canvas")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6, steps=5)
    page.mouse.up()
    expect(page.locator("#mask-status")).to_contain_text(WORDS[lang]["painted"])


@pytest.mark.parametrize("lang", ["af", "zu"])
def test_a_free_user_sees_why_composing_needs_a_plan_in_their_language(
    page, live_server, make_user, log_in, shoot, lang
):
    as_user(page, live_server, make_user, log_in, lang, "FREE")
    page.goto(live_server.url + "/studio/images/compose/")
    speaks(page, lang, "free-compose")
    shoot(page, f"image-compose-free-{lang}")


@pytest.mark.parametrize(("lang", "typed", "of"), [("af", "1\xa0234", "2\xa0000"), ("zu", "1,234", "2,000")])
def test_the_prompts_character_count_is_grouped_as_the_server_groups_it(
    page, live_server, make_user, log_in, lang, typed, of
):
    """image_studio.js counts with the browser's Intl in the page's language: the same grouping as
    billing.pricing.format_count wrote before the first key."""
    as_user(page, live_server, make_user, log_in, lang, "JIVE")
    page.goto(live_server.url + "/studio/images/create/")
    count = page.locator("#prompt-count")
    expect(count).to_have_text(f"0 / {of}")
    expect(count).to_have_attribute("data-max", "2000")
    page.locator("#id_prompt").fill("x" * 1234)
    expect(count).to_have_text(f"{typed} / {of}")
