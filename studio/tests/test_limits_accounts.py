"""Account abuse limits: log-in throttling (django-axes) on our log-in page and the admin's, the
staff unlock, sign-up and password-reset caps per client address (behind trusted proxies), and
password reset by real mail with a working link."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.http import HttpRequest
from django.test import RequestFactory

from studio import limits
from studio.models import AddressWindow

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/?next=/admin/"
SIGNUP = "/accounts/signup/"
RESET = "/accounts/password/reset/"


@pytest.fixture
def lindiwe(make_user):
    return make_user(username="lindiwe", tier="JIVE", password="the-right-password")


def log_in(client, username, password, url=LOGIN, **extra):
    field = "login" if url == LOGIN else "username"  # allauth's form names it "login", the admin's "username"
    return client.post(url, {field: username, "password": password}, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- Log-in throttling --------------------------------------------------------------------


def test_it_refuses_even_the_right_password_after_the_failure_limit(client, lindiwe, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for _ in range(4):
        assert log_in(client, "lindiwe", "wrong").status_code == 200
    fifth = log_in(client, "lindiwe", "wrong")

    right = log_in(client, "lindiwe", "the-right-password")

    assert fifth.status_code == right.status_code == 429
    text = right.content.decode()
    # The log-in page, with the form and a message a person can act on; not a bare 403 page.
    assert "<h1>Log in</h1>" in text and 'name="password"' in text
    assert "Too many failed log-ins for this username from your network" in text
    assert "15 minutes" in text and "Forgot your password?" in text
    assert not logged_in(client)


def test_it_lets_the_user_in_again_after_the_cool_off(client, lindiwe, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    for _ in range(3):
        log_in(client, "lindiwe", "wrong")
    assert log_in(client, "lindiwe", "the-right-password").status_code == 429

    time.sleep(1.2)

    response = log_in(client, "lindiwe", "the-right-password")
    assert response.status_code == 302 and logged_in(client)
    assert not AccessAttempt.objects.exists()  # a success clears the count (AXES_RESET_ON_SUCCESS)


def test_it_locks_the_username_only_from_the_guessing_address(client, lindiwe, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        log_in(client, "lindiwe", "wrong", REMOTE_ADDR="203.0.113.9")
    assert log_in(client, "lindiwe", "the-right-password", REMOTE_ADDR="203.0.113.9").status_code == 429

    # The real Lindiwe, at home: the guesser did not lock her out.
    response = log_in(client, "lindiwe", "the-right-password", REMOTE_ADDR="198.51.100.20")
    assert response.status_code == 302 and logged_in(client)


def test_it_throttles_the_admin_log_in_too(client, make_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    make_user(username="boss", staff=True, password="the-admin-password")
    for _ in range(3):
        log_in(client, "boss", "wrong", url=ADMIN_LOGIN)

    response = log_in(client, "boss", "the-admin-password", url=ADMIN_LOGIN)

    text = response.content.decode()
    assert response.status_code == 429 and not logged_in(client)
    # The admin's own log-in page, the lockout in its error note.
    assert re.search(r'<p class="errornote">\s*Too many failed log-ins', text), text


def test_staff_unlock_a_locked_user_in_the_admin(client, lindiwe, make_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        log_in(client, "lindiwe", "wrong")
    attempt = AccessAttempt.objects.get(username="lindiwe")

    staff = client.__class__()
    staff.force_login(make_user(username="support", staff=True))
    listing = staff.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "lindiwe" in listing.content.decode()
    staff.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )

    assert not AccessAttempt.objects.exists()
    assert log_in(client, "lindiwe", "the-right-password").status_code == 302


def test_the_test_clients_log_ins_still_work(client, lindiwe):
    """force_login does not authenticate; client.login does, and axes needs the request then."""
    client.force_login(lindiwe)
    assert client.get("/").status_code == 200
    client.logout()
    assert client.login(request=HttpRequest(), username="lindiwe", password="the-right-password")
    assert client.get("/").status_code == 200


# --- Client address behind proxies ---------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "client"),
    [
        (0, "6.6.6.6", "10.0.0.1", "10.0.0.1"),  # no proxies trusted: the header is the client's word
        (1, "6.6.6.6, 198.51.100.7", "169.254.1.1", "198.51.100.7"),  # Cloud Run appended the client
        (1, "198.51.100.7", "169.254.1.1", "198.51.100.7"),
        (
            2,
            "6.6.6.6, 198.51.100.7, 35.191.0.1",
            "35.191.0.2",
            "198.51.100.7",
        ),  # load balancer, then Cloud Run
        (2, "198.51.100.7", "10.0.0.1", "10.0.0.1"),  # too short to have come through both
        (1, "not-an-address", "10.0.0.1", "10.0.0.1"),
        (1, "", "10.0.0.1", "10.0.0.1"),
    ],
)
def test_it_takes_the_client_address_from_the_trusted_end_of_x_forwarded_for(
    settings, proxies, forwarded, remote, client
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert limits.client_ip(request) == client


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
    ],
)
def test_it_counts_an_ipv6_client_by_its_64_network(ip, key):
    assert limits.address_key(ip) == key


# --- Sign-up cap -----------------------------------------------------------------------------


def sign_up(client, username, **extra):
    return client.post(
        SIGNUP,
        {
            "username": username,
            "email": f"{username}@example.co.za",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
        **extra,
    )


def test_it_caps_sign_ups_per_address_with_a_form_error(client, db, settings):
    settings.SIGNUPS_PER_ADDRESS = 3
    for name in ("ayanda", "bongani", "chloe"):
        assert sign_up(client, name, REMOTE_ADDR="203.0.113.5").status_code == 302
        client.logout()

    response = sign_up(client, "dumisani", REMOTE_ADDR="203.0.113.5")

    text = response.content.decode()
    assert response.status_code == 200 and "Too many new accounts from your network" in text
    assert "Try again in" in text and "errorlist" in text
    assert not get_user_model().objects.filter(username="dumisani").exists()
    # Another address is not affected.
    assert sign_up(client, "dumisani", REMOTE_ADDR="198.51.100.77").status_code == 302


def test_a_spoofed_forwarded_for_does_not_escape_the_cap(client, db, settings):
    settings.SIGNUPS_PER_ADDRESS = 1
    settings.TRUSTED_PROXY_COUNT = 1
    behind_proxy = {"REMOTE_ADDR": "169.254.8.1"}
    assert sign_up(client, "first", HTTP_X_FORWARDED_FOR="198.51.100.7", **behind_proxy).status_code == 302
    client.logout()

    response = sign_up(client, "second", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7", **behind_proxy)

    assert response.status_code == 200 and "Too many new accounts" in response.content.decode()


def test_the_window_reopens_after_its_time(client, db, settings):
    settings.SIGNUPS_PER_ADDRESS = 1
    assert sign_up(client, "first").status_code == 302
    client.logout()
    assert sign_up(client, "second").status_code == 200
    AddressWindow.objects.update(
        window_start=AddressWindow.objects.get().window_start - timedelta(minutes=61)
    )

    assert sign_up(client, "second").status_code == 302


def test_an_invalid_sign_up_does_not_use_a_slot(client, db, settings):
    settings.SIGNUPS_PER_ADDRESS = 1
    client.post(SIGNUP, {"username": "x", "email": "x@example.co.za", "password1": "a", "password2": "b"})
    assert sign_up(client, "valid").status_code == 302


def test_sign_up_asks_for_an_email(client, db):
    response = client.post(
        SIGNUP, {"username": "noemail", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"}
    )
    assert response.status_code == 200 and 'name="email"' in response.content.decode()
    assert not get_user_model().objects.filter(username="noemail").exists()


# --- Password reset by mail ------------------------------------------------------------------


def verify_email(client) -> None:
    """Follow the verification link of the last mail and confirm (the page's button)."""
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    assert "Confirm my email" in client.get(link).content.decode()
    assert client.post(link).status_code == 302


def test_password_reset_sends_a_link_that_sets_a_new_password(client, db):
    sign_up(client, "thandi")
    verify_email(client)
    client.logout()
    mail.outbox.clear()
    assert "Forgot your password?" in client.get(LOGIN).content.decode()

    response = client.post(RESET, {"email": "thandi@example.co.za"})

    assert response.status_code == 302 and response.url == "/accounts/password/reset/done/"
    assert "Check your email" in client.get(response.url).content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["thandi@example.co.za"] and message.subject == "Media Studio: Reset your password"
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", message.body).group(1)

    form_page = client.get(link, follow=True)  # allauth swaps the token for a session marker
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"password1": "a-brand-new-phrase", "password2": "a-brand-new-phrase"},
    )
    assert done.status_code == 302 and "Your password is changed" in client.get(done.url).content.decode()
    assert log_in(client, "thandi", "a-brand-new-phrase").status_code == 302 and logged_in(client)
    # The link worked once.
    client.logout()
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/accounts/password_reset/", RESET),
        ("/accounts/password_change/", "/accounts/password/change/"),
        ("/accounts/reset/MQ/abc-123/", RESET),  # a link in a mail of before: ask again
    ],
)
def test_the_old_addresses_lead_to_the_new_ones(client, db, old, new):
    response = client.get(old)
    assert response.status_code == 301 and response.url == new


def test_password_reset_says_the_same_for_an_unknown_address(client, db):
    response = client.post(RESET, {"email": "nobody@example.co.za"})
    assert response.status_code == 302 and response.url == "/accounts/password/reset/done/"
    assert mail.outbox == []


def test_password_reset_requests_are_capped_per_address(client, db, settings):
    settings.PASSWORD_RESETS_PER_ADDRESS = 2
    sign_up(client, "thandi")
    client.logout()
    mail.outbox.clear()  # the verification mail
    for _ in range(2):
        assert client.post(RESET, {"email": "thandi@example.co.za"}).status_code == 302

    response = client.post(RESET, {"email": "thandi@example.co.za"})

    assert response.status_code == 200
    assert "Too many password reset requests from your network" in response.content.decode()
    assert len(mail.outbox) == 2
