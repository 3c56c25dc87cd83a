"""Counts of units in each language's convention (billing.pricing.format_count, the `count`
filter; README "Languages"): grouped in the words people read, plain digits in what programs
read (HTML attributes, URLs, the API's numbers)."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from django.utils import translation

from billing import services
from billing.models import Meter, PlanAllowance
from billing.pricing import format_count

BIG = 250_000
# The grouped form of BIG in each language: CLDR's af-ZA and en-ZA, a non-breaking space; zu-ZA, a comma.
GROUPED = [("af", "250\xa0000"), ("zu", "250,000"), ("en-za", "250\xa0000")]


@pytest.mark.parametrize(("lang", "grouped"), GROUPED)
def test_a_count_is_grouped_in_each_languages_convention(lang, grouped):
    with translation.override(lang):
        assert format_count(BIG) == grouped
        assert format_count(999) == "999"
        assert format_count(0) == "0"
        assert format_count(-1234).replace("\xa0", " ") in ("-1 234", "-1,234")
        assert format_count(2_147_483_647).count("\xa0" if lang != "zu" else ",") == 3


def test_a_count_that_is_not_a_whole_number_is_refused():
    for bad in (1.5, "250000", None, True):
        with pytest.raises(TypeError, match="whole number"):
            format_count(bad)


def test_the_template_filter_groups_and_leaves_attributes_to_the_template():
    template = Template('{% load money %}<meter max="{{ n }}"></meter>{{ n|count }}')
    with translation.override("zu"):
        assert template.render(Context({"n": BIG})) == '<meter max="250000"></meter>250,000'


class Page(HTMLParser):
    """A page's visible text (joined) and every attribute value, by attribute name."""

    def __init__(self, html: str):
        super().__init__()
        self.text: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.attributes += [(name, value or "") for name, value in attrs]

    def handle_data(self, data):
        self.text.append(data)


# Attributes that people read as words (a tooltip, a label): grouped like the text.
WORDS_ATTRIBUTES = {"title", "aria-label", "alt", "data-label"}


@pytest.fixture
def big_allowance(db):
    """JIGGA with a 250000-image month, as staff could set it in the admin."""
    PlanAllowance.objects.filter(plan__code="JIGGA", meter=Meter.IMAGES).update(units=BIG, period="month")


@pytest.mark.parametrize(("lang", "grouped"), GROUPED)
def test_the_landing_page_groups_a_big_allowance_and_keeps_attributes_plain(
    client, make_user, big_allowance, lang, grouped
):
    client.force_login(make_user(tier="JIGGA"))
    html = client.get("/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    page = Page(html)

    assert f'<html lang="{lang}">' in html
    row = html.split(f'<tr data-meter="{Meter.IMAGES}">', 1)[1].split("</tr>", 1)[0]
    assert f">{grouped}</td>" in row  # what is left
    assert row.count(grouped) == 2  # and "0 of 250 000" used
    assert f"<strong>{grouped}</strong>" in html  # the header's meter
    assert str(BIG) not in "".join(page.text)
    # The header's <meter> is read by the browser: plain digits.
    assert f'max="{BIG}"' in html and f'value="{BIG}"' in html and f'optimum="{BIG}"' in html
    for name, value in page.attributes:
        if name not in WORDS_ATTRIBUTES:
            assert grouped not in value, (name, value)


@pytest.mark.parametrize(("lang", "grouped"), GROUPED)
def test_the_plans_page_groups_a_big_allowance(client, big_allowance, lang, grouped):
    text = "".join(Page(client.get("/plans/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()).text)
    assert f"{grouped} " in text  # "250 000 images a month"
    assert str(BIG) not in text


def test_a_quota_refusal_groups_what_is_needed_and_what_is_left():
    with translation.override("zu"):
        refusal = services.QuotaExceeded(
            meter=Meter.VIDEO_SECONDS,
            needed=BIG,
            remaining=1200,
            resets_at=datetime(2026, 12, 31, 22, 0, tzinfo=UTC),
            tier="JIVE",
            upgrade=[{"tier": "JIGGA", "allowance": BIG}],
        )
    assert "250,000" in str(refusal) and "1,200" in str(refusal)
    # The API's numbers stay numbers.
    assert refusal.as_dict()["needed"] == BIG and refusal.as_dict()["remaining"] == 1200
