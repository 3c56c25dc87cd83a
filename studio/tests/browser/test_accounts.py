"""Log-in lockout and password reset in Chromium: the locked-out person reads why on the log-in
page, follows "Forgot your password?", gets the mail, and sets a new password through its link.
No CSP violation on any of these pages (the page fixture fails the test on one)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_locked_out_user_resets_the_password_and_logs_in(page, live_server, make_user, settings, shoot):
    settings.AXES_FAILURE_LIMIT = 3
    thandi = make_user(username="thandi", tier="JIVE", password="pw-123456")
    thandi.email = "thandi@example.co.za"
    thandi.save()

    page.goto(live_server.url + "/accounts/login/")
    for attempt in range(3):
        page.get_by_label("Username").fill("thandi")
        page.get_by_label("Password").fill(f"wrong-{attempt}")
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errorlist")).to_contain_text("Too many failed log-ins for this username")
    shoot(page, "login-locked-out")

    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.get_by_label("Email").fill("thandi@example.co.za")
    with page.expect_navigation():
        page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/reset/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password:", exact=True).fill("a-brand-new-phrase")
    page.get_by_label("New password confirmation:").fill("a-brand-new-phrase")
    with page.expect_navigation():
        page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()
