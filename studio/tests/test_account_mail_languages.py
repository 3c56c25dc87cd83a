"""The account mails and refusals in the language of the request (the switcher's cookie or the
browser's Accept-Language): django-allauth has no af or zu catalogue, so these words are ours."""

from __future__ import annotations

import re

from django.core import mail

SIGNUP = "/accounts/signup/"
RESET = "/accounts/password/reset/"


def sign_up(client, username: str, **headers):
    data = {
        "username": username,
        "email": f"{username}@example.co.za",
        "password1": "a-long-pass-phrase",
        "password2": "a-long-pass-phrase",
    }
    return client.post(SIGNUP, data, headers=headers)


def test_the_verification_mail_is_in_isizulu(client, db):
    assert sign_up(client, "thandi", accept_language="zu").status_code == 302
    message = mail.outbox[-1]
    assert message.subject == "Media Studio: Qinisekisa i-imeyili yakho"
    assert message.body.startswith("Sawubona kusuka ku-Media Studio,")
    assert 'ye-Media Studio ethi "thandi". Liqinisekise lapha:' in message.body
    assert re.search(r"http://testserver/accounts/confirm-email/\S+/", message.body)
    assert "Confirm" not in message.body and "ignore" not in message.body


def test_the_reset_mail_is_in_afrikaans(client, db):
    sign_up(client, "pieter")
    client.logout()
    mail.outbox.clear()
    client.cookies["lang"] = "af"
    response = client.post(RESET, {"email": "pieter@example.co.za"})
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.subject == "Media Studio: Stel jou wagwoord terug"
    assert "Groete van Media Studio," in message.body
    assert 'Media Studio-rekening "pieter" terug te stel' in message.body
    assert "Die skakel werk net een keer." in message.body


def test_the_sign_up_form_refuses_in_the_language(client, db):
    html = client.post(
        SIGNUP,
        {"username": "a", "email": "not-an-address", "password1": "123", "password2": "124"},
        headers={"accept-language": "zu"},
    ).content.decode()
    assert "Faka ikheli le-imeyili elivumelekile." in html  # Django's, which has no zu
    assert "Iphasiwedi (futhi)" in html  # allauth's label
    assert "Enter a valid" not in html and "Password (again)" not in html
