"""The shell's pages that test_languages.py (every page of test_shell's list) does not open, in
Afrikaans and isiZulu at phone width: sign-up, password reset, the email and password pages and
deleting an image. Each is in the language (<html lang>, a translated word, no English by
test_languages' heuristic) and no wider than the phone. Also the header meter's plural form, and
the viewer's rows (with Django's own words: file size, month) and its script's "Copied". Screenshots:
screenshots/lang-<lang>-<page>-{phone,desktop}.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from studio.tests.browser.test_languages import english_left, where
from studio.tests.factories import make_asset, make_job, make_png

PHONE_FITS = "document.documentElement.scrollWidth <= window.innerWidth"

# A word each page shows in the language (from locale/parts/shell), so the test fails if the page
# fell back to English.
SIGNED_OUT = {
    "signup": ("/accounts/signup/", {"af": "Skep jou rekening", "zu": "Vula i-akhawunti yakho"}),
    "password-reset": ("/accounts/password/reset/", {"af": "Stuur die skakel", "zu": "Thumela isixhumanisi"}),
}
SIGNED_IN = {
    "email": ("/accounts/email/", {"af": "Verander my e-posadres", "zu": "Shintsha i-imeyili yami"}),
    "password-change": ("/accounts/password/change/", {"af": "Huidige wagwoord", "zu": "Iphasiwedi yamanje"}),
}


def _check(page, url: str, lang: str, word: str, name: str, shoot) -> None:
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == lang
    text = page.evaluate("() => document.body.innerText")
    assert word in text, f"{url} in {lang}: {word!r} is missing"
    assert english_left(text) == [], f"{url} in {lang}: English left: {where(text)}"
    shoot(page, f"lang-{lang}-{name}")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(PHONE_FITS), f"{url} in {lang} is wider than a phone"
    page.set_viewport_size({"width": 1280, "height": 800})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("lang", ["af", "zu"])
def test_the_shell_pages_are_in_the_language_and_fit_a_phone(
    page, live_server, make_user, log_in, shoot, lang
):
    for name, (path, words) in SIGNED_OUT.items():
        page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
        _check(page, live_server.url + path, lang, words[lang], name, shoot)

    alice = make_user(username="alice", tier="JIVE")
    older = make_asset(alice, data=make_png((96, 64)), thumbnail=make_png((48, 32)))
    newer = make_asset(alice, data=make_png((96, 64)), thumbnail=make_png((48, 32)), parent=older)
    page.context.clear_cookies()
    log_in(page, alice)
    page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    delete = {"af": "Skrap hierdie prent?", "zu": "Susa lesi sithombe?"}
    pages = {**SIGNED_IN, "delete": (f"/studio/media/{newer.id}/delete/", delete)}
    for name, (path, words) in pages.items():
        _check(page, live_server.url + path, lang, words[lang], name, shoot)
    # The header's meter, in the language's plural form.
    page.goto(live_server.url + "/")
    meter = page.locator("#shell-meter .meter-words").inner_text()
    assert {"af": "prente oor", "zu": "Izithombe ezingu-"}[lang] in meter
    # The viewer's rows and Django's own words on it (file size, month) are in the language too.
    page.goto(live_server.url + f"/studio/images/{newer.id}/")
    about = page.locator(".viewer .panel").inner_text()
    assert {"af": "Onbekend", "zu": "Akwaziwa"}[lang] in about
    assert "bytes" not in about and "Unknown" not in about
    # The viewer's script says "Copied" in the language (viewer.js's data-words).
    prompted = make_asset(alice, job=make_job(alice), data=make_png((96, 64)), thumbnail=make_png((48, 32)))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(live_server.url + f"/studio/images/{prompted.id}/")
    page.locator("#copy-prompt").click()
    expect(page.locator("#copy-status")).to_have_text({"af": "Gekopieer", "zu": "Kukopishiwe"}[lang])
