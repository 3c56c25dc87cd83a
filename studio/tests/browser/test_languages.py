"""Every user page in Afrikaans and isiZulu at phone width (390×844), in Chromium: the language
chosen with the header's switcher (and kept on the profile), <html lang> right, nothing wider than
the screen, and no English left. Screenshots: screenshots/i18n-<lang>-<page>-phone.png.

"No English left" is a heuristic: the page's visible text (document.body.innerText) must contain
none of ENGLISH, common English words that are not also Afrikaans or isiZulu words. The user's own
content (usernames, prompts) is chosen to contain none of them; brand and plan names are not on
the list. The catalogue check (make check) proves every marked string is translated; this shows
that nothing unmarked is left on the page and that the layout holds with the longer words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from studio import jobs
from studio.models import Profile
from studio.schemas import GenerateImage
from studio.tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS
from studio.tests.browser.test_shell import PAGES, page_path
from studio.tests.browser.test_shell import rendered_samples as rendered_samples  # noqa: F401
from studio.tests.browser.test_shell import sample_clips as sample_clips  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Common English words that are words in neither Afrikaans nor isiZulu ("plan", "video", "is", "in",
# "die", "op" and the like are left out because Afrikaans has them too).
ENGLISH = [
    "the", "and", "your", "you", "with", "this", "that", "month", "left", "create", "images", "upgrade",
    "account", "gallery", "prompt", "allowance", "cancel", "delete", "download", "settings", "sign",
    "which", "what", "from", "will", "have", "not", "more", "new", "make", "open", "close", "back",
    "page", "found", "choose", "upload", "there", "here", "each", "day", "days", "seconds", "edit",
    "help", "language", "plans", "log", "out", "start", "try", "again", "free",
]  # fmt: skip
ENGLISH_WORD = re.compile(r"\b(" + "|".join(ENGLISH) + r")\b", re.I)
# The plan name FREE is a brand (locale/glossary.md); "free" as an English word is not allowed.
# The Free plan's name, capitalised, is a name too; slash commands and their flags are code.
BRANDS = re.compile(
    r"\b(FREE|Free|JIVE|JIGGA|Media Studio|Image Studio|Video Studio|PayFast|Google|Gemini|Veo)\b"
    r"|(?<![\w/])/[a-z]+|--[a-z]+"
)


def english_left(text: str) -> list[str]:
    return sorted({m.lower() for m in ENGLISH_WORD.findall(BRANDS.sub(" ", text))})


def where(text: str) -> list[str]:
    """Each English word with the words around it, for the failure message."""
    text = BRANDS.sub(" ", text)
    return [
        " ".join(text[max(0, m.start() - 40) : m.end() + 40].split()) for m in ENGLISH_WORD.finditer(text)
    ][:8]


# The innermost elements whose right edge is past the screen's (for the failure message).
WIDER_THAN_THE_SCREEN = """() => {
  const past = e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1;
  return [...document.querySelectorAll("body *")].filter(e => past(e) && ![...e.children].some(past))
    .slice(0, 5).map(e => e.tagName + "." + e.className + ": " + (e.textContent || "").trim().slice(0, 60));
}"""

# Words in table cells that are split over two lines (a break after a hyphen is a normal one) or stick
# out of their cell. On a phone a .stack table is one card per row (app.css), so every word fits its
# line; the stacked tables' header row is hidden there (1px wide) and is left out.
WORDS_CUT = """() => {
  const cut = [];
  for (const cell of document.querySelectorAll("th, td")) {
    if (cell.closest(".stack thead")) continue;
    if (cell.scrollWidth > cell.clientWidth + 1) cut.push("wider than its cell: " + cell.textContent.trim());
    const texts = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node; (node = texts.nextNode()); ) {
      for (const word of node.data.matchAll(/[^\\s\\u00ad-]+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        if (new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1) cut.push(word[0]);
      }
    }
  }
  return cut;
}"""

# Whether a .stack table is cards: its first row's first cell is under the row's name, not beside it.
STACKED = """(selector) => {
  const row = document.querySelector(selector).tBodies[0].rows[0];
  return row.cells[0].getBoundingClientRect().bottom <= row.cells[1].getBoundingClientRect().top + 1;
}"""
# Just wider than app.css's 40rem breakpoint: the tables are tables again, with the phone's words.
TABLET = {"width": 41 * 16, "height": 844}


def choose_language(page, live_server, lang: str) -> None:
    """Open the account menu and press the language's button, as a user would."""
    page.goto(live_server.url + "/account/")
    page.locator("#account-menu summary").click()
    name = {"af": "Afrikaans", "zu": "isiZulu"}[lang]
    with page.expect_navigation():
        page.locator("#account-menu").get_by_role("button", name=name).click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def test_the_english_heuristic_can_fail():
    assert english_left("Jou toelae vir die maand: 50 prente") == []
    assert english_left("Upgrade to JIVE for more images") == ["images", "more", "upgrade"]
    assert english_left("FREE-plan · Media Studio") == []


@pytest.mark.parametrize("lang", ["af", "zu"])
@pytest.mark.parametrize(("name", "tier", "url_name", "needs"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_in_the_language_at_phone_width(
    page, live_server, make_user, log_in, studio_env, request, name, tier, url_name, needs, lang
):
    user = make_user(username=f"thandi{tier[1:3].lower()}", tier=tier)
    path = page_path(request, user, url_name, needs, prompt="Protea")
    log_in(page, user)
    choose_language(page, live_server, lang)
    assert Profile.objects.get(user=user).language == lang

    page.set_viewport_size(PHONE)
    response = page.goto(live_server.url + path)
    assert response.status == (404 if url_name is None else 200)
    page.wait_for_load_state("networkidle")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"i18n-{lang}-{name}-phone.png"), full_page=True)
    overflow = page.evaluate("() => (e => e.scrollWidth - e.clientWidth)(document.documentElement)")
    wide = page.evaluate(WIDER_THAN_THE_SCREEN)
    assert overflow <= 0, f"{name} in {lang}: the page is {overflow}px wider than the screen: {wide}"
    cut = page.evaluate(WORDS_CUT)
    assert cut == [], f"{name} in {lang}: words cut in table cells: {cut}"
    text = page.evaluate("() => document.body.innerText")
    assert english_left(text) == [], f"{name} in {lang}: English left: {where(text)}"


@pytest.mark.parametrize("lang", ["af", "zu"])
def test_the_allowance_and_plans_tables_are_cards_on_a_phone_and_fit_every_width(
    page, live_server, make_user, log_in, lang
):
    """The landing page's allowances and the plans' comparison: one card per row on a phone, each
    value after its column's name; a table from just past the breakpoint up. At every width no word
    is wider than its cell and the page is no wider than the window (isiZulu's long words made the
    four columns break words mid-way, "Oku sel e", before the cards)."""
    thandi = make_user(username="thandi", tier="JIVE")
    jobs.submit_job(thandi, "generate_image", GenerateImage(prompt="Protea"))  # "(+1 in progress)"
    log_in(page, thandi)
    page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    for path, table in (("/", ".allowances"), ("/plans/", ".plans-table")):
        for size in (PHONE, TABLET, DESKTOP):
            page.set_viewport_size(size)
            page.goto(live_server.url + path)
            expect(page.locator("html")).to_have_attribute("lang", lang)
            at = f"{path} in {lang} at {size['width']}px"
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), at
            assert page.evaluate(WORDS_CUT) == [], at
            assert page.evaluate(STACKED, table) == (size == PHONE), at
        # Each card's value is named by its column's heading.
        headings = page.locator(f"{table} thead th").all_inner_texts()[1:]
        labels = (
            page.locator(f"{table} tbody tr")
            .first.locator("td")
            .evaluate_all("cells => cells.map(c => c.dataset.label)")
        )
        assert labels == headings


@pytest.mark.parametrize("lang", ["af", "zu"])
def test_the_log_in_page_follows_the_browsers_language(browser, live_server, lang):
    context = browser.new_context(viewport=PHONE, locale=lang)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/accounts/login/")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        page.screenshot(path=str(SCREENSHOTS / f"i18n-{lang}-login-phone.png"), full_page=True)
        text = page.evaluate("() => document.body.innerText")
        assert english_left(text) == [], f"log-in in {lang}: English left: {where(text)}"
    finally:
        context.close()
