"""Sign-up, log-in, log-out and the landing page with the user's tier and allowances."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core import mail

from billing import services


def test_it_signs_up_a_new_user_on_free(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "thandi",
            "email": "thandi@example.co.za",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )
    # Not in yet: the address is verified first, by the link in the mail.
    assert response.status_code == 302 and response.url == "/accounts/confirm-email/"
    assert client.get("/").status_code == 302
    assert mail.outbox[0].to == ["thandi@example.co.za"]
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[0].body).group(1)
    assert client.post(link).status_code == 302
    landing = client.get("/")
    text = landing.content.decode()
    assert "FREE" in text and "thandi" in text
    assert 'data-meter="images"' in text


def test_signup_errors_are_shown_on_the_form(client, db):
    response = client.post("/accounts/signup/", {"username": "thandi", "password1": "a", "password2": "b"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_the_landing_page_needs_a_login(client, db):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_it_logs_in_and_out(client, make_user):
    make_user(username="lindiwe", tier="JIVE", password="pw-123456")
    response = client.post("/accounts/login/", {"login": "lindiwe", "password": "pw-123456"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_landing_shows_what_is_left_of_every_allowance(client, make_user):
    alice = make_user(tier="JIVE")
    services.reserve(alice, "video_seconds", 8, "v1")
    services.commit("v1", operation="generate_video", model="veo", price_class="video")
    client.force_login(alice)
    text = client.get("/").content.decode()
    assert "JIVE" in text and "R49.00 a month" in text
    assert "8 of 300" in text  # video seconds used of the allowance
    assert "JIGGA" in text  # the upgrade path


def test_signing_up_with_a_taken_address_says_the_same_and_mails_its_owner(client, make_user):
    make_user(username="lindiwe")  # lindiwe@example.com, verified
    response = client.post(
        "/accounts/signup/",
        {
            "username": "someone",
            "email": "lindiwe@example.com",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )

    # The same answer as for a new address: the page tells no one who has an account.
    assert response.status_code == 302 and response.url == "/accounts/confirm-email/"
    assert not get_user_model().objects.filter(username="someone").exists()
    assert [m.to for m in mail.outbox] == [["lindiwe@example.com"]]
    assert "confirm-email" not in mail.outbox[0].body  # no link that would verify it for someone else
