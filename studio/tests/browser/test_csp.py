"""The Content Security Policy in a real browser: pages carry it, an inline script or style put
back into a page is refused and fails the test (the `page` fixture's check), and the admin works
under it. Every other browser test also fails on any violation (conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from billing import services
from studio.tests.factories import make_asset

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

INJECTED = '<script>document.title = "injected"</script><p id="painted" style="color: rgb(255, 0, 0)">x</p>'


def test_an_inline_script_or_style_put_back_into_a_page_is_refused_and_reported(
    page, live_server, csp_violations
):
    def inject(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace("</main>", INJECTED + "</main>"))

    page.route("**/accounts/login/", inject)
    response = page.goto(live_server.url + "/accounts/login/")

    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe" not in policy
    expect(page.locator("#painted")).to_be_attached()
    assert page.title() != "injected"
    assert page.locator("#painted").evaluate("e => getComputedStyle(e).color") != "rgb(255, 0, 0)"
    assert any("script-src" in v for v in csp_violations), csp_violations
    assert any("style-src" in v for v in csp_violations), csp_violations
    csp_violations.clear()  # provoked on purpose; any other would fail the test


def test_the_admin_works_under_the_policy(page, live_server, make_user, log_in):
    staff = make_user(username="sipho", tier="JIGGA", staff=True)
    for reference, units in (("a1", 2), ("a2", 1)):
        services.reserve(staff, "images", units, reference)
        services.commit(reference, operation="generate_image", model="gemini-3.1", price_class="image")
    asset = make_asset(staff, bytes=1000, width=64, height=48, synthid=False)
    log_in(page, staff)

    for path in (
        "/admin/",
        f"/admin/auth/user/{staff.pk}/change/",
        "/admin/auth/user/add/",
        "/admin/studio/mediajob/",
        f"/admin/studio/mediaasset/{asset.pk}/change/",
        "/admin/studio/mediaasset/",
        "/admin/billing/costentry/",
    ):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"]

    # The spend chart draws without style attributes: the busiest day is the full 120 px.
    busiest = page.locator('.spend-bars [data-height="100"]')
    expect(busiest).to_have_count(1)
    assert busiest.evaluate("e => e.getBoundingClientRect().height") > 100
    assert page.locator(".spend-chart").evaluate("e => getComputedStyle(e).marginBottom") != "0px"


def test_the_api_docs_work_under_the_policy(page, live_server):
    """django-ninja's Swagger UI: static files shipped with ninja, settings in a JSON data block."""
    response = page.goto(live_server.url + "/api/v1/media/docs")

    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Media Studio API")
    expect(page.locator(".opblock").first).to_be_visible()
