"""The prompt helper on the Create and Video forms (studio/prompt_helper.py, studio/pages/prompt_helper.py):
a suggestion shown as an editable preview, never put in the form by the server; metered by tokens
from the text_tokens allowance, shown in ZAR before use, charged once per click; refusals in the block."""

from __future__ import annotations

import re
import uuid

import pytest
from django.utils import translation

from billing import services as billing
from billing.models import Allowance, CostEntry, Reservation
from studio.errors import StudioError
from studio.models import MediaJob, PromptRewrite
from studio.prompt_helper import clean_prompt

from .conftest import product_requests

HELPER = "/studio/prompt-helper/"
HTMX = {"HTTP_HX_REQUEST": "true"}
ZULU = "Indlovu enkulu ehamba ogwini lolwandle ekuseni"
ENGLISH = "A big elephant walking on the seashore in the morning"


@pytest.fixture
def alice(make_user, client, providers_env):
    user = make_user(username="alice", tier="JIVE")
    client.force_login(user)
    return user


def ask(client, action: str, prompt: str, key=None, *, htmx=True, **extra):
    data = {
        "helper": action,
        "prompt": prompt,
        "helper_key": str(key or uuid.uuid4()),
        "back": "image-create",
    }
    return client.post(HELPER, {**data, **extra}, **(HTMX if htmx else {}))


def text_calls(emulator) -> list[dict]:
    return [r for r in product_requests(emulator) if r["model"] == "gemini-3.8-flash"]


def test_it_shows_both_buttons_with_the_most_a_use_costs_and_the_tokens_left(alice, client):
    for url in ("/studio/images/create/", "/studio/videos/new/"):
        html = client.get(url).content.decode()
        assert ">Improve</button>" in html and ">To English</button>" in html, url
        cost = re.search(
            r"Prompt helper: at most (R\d+\.\d\d) a use \(([\d\xa0]+) tokens\), "
            r"from your free ([\d\xa0]+) tokens",
            html,
        )
        assert cost, url
        assert cost[1] == "R0.04" and cost[3] == "250\xa0000"  # grouped: format_count


def test_an_isizulu_prompt_is_translated_into_a_preview_and_charged_once(alice, client, providers_env):
    key = uuid.uuid4()

    answer = ask(client, "translate", ZULU, key).content.decode()

    assert f'<textarea id="helper-suggestion" rows="4" maxlength="2000">{ENGLISH}</textarea>' in answer
    assert "Your prompt stays as it is until you use this one" in answer
    assert 'name="prompt"' not in answer  # the preview is not a form field: nothing is replaced
    entry = CostEntry.objects.get(user=alice)
    assert (entry.operation, entry.model, entry.price_class, entry.variant) == (
        "prompt_helper",
        "gemini-3.8-flash",
        "text",
        "tokens",
    )
    rewrite = PromptRewrite.objects.get(owner=alice, key=key)
    assert rewrite.result == ENGLISH and rewrite.cost_zar_cents == entry.zar_cents
    used = Allowance.objects.get(user=alice, meter="text_tokens").used
    assert used == rewrite.tokens == entry.units > 0
    assert f"used {rewrite.tokens} tokens" in answer
    # The request told the model what to do; the emulator answered from its glossary.
    sent = text_calls(providers_env)[-1]["json"]
    assert "into English" in sent["systemInstruction"]["parts"][0]["text"]
    assert sent["contents"] == [{"role": "user", "parts": [{"text": ZULU}]}]

    # The same click again (the same key): the same suggestion, no second call, no second charge.
    again = ask(client, "translate", ZULU, key).content.decode()
    assert ENGLISH in again
    assert CostEntry.objects.filter(user=alice).count() == 1 and len(text_calls(providers_env)) == 1
    # A fresh key comes back for the next use.
    assert str(key) not in re.search(r'name="helper_key" value="([^"]+)"', again)[1]


def test_improve_rewrites_a_short_prompt_into_a_detailed_one(alice, client):
    answer = ask(client, "improve", "a protea").content.decode()
    suggestion = re.search(r'<textarea id="helper-suggestion"[^>]*>([^<]*)</textarea>', answer)[1]
    assert suggestion.startswith("A protea, shown in rich detail") and len(suggestion) > 100


def test_the_accepted_suggestion_is_submitted_and_the_helper_is_not_charged_again(
    alice, client, django_capture_on_commit_callbacks
):
    ask(client, "translate", ZULU)
    form = client.get("/studio/images/create/").content.decode()
    idempotency_key = re.search(r'name="idempotency_key" value="([^"]+)"', form)[1]
    with django_capture_on_commit_callbacks(execute=False):
        client.post(
            "/studio/images/create/",
            {"prompt": ENGLISH, "aspect_ratio": "1:1", "count": "1", "idempotency_key": idempotency_key},
            **HTMX,
        )
    job = MediaJob.objects.get(owner=alice)
    assert job.params["prompt"] == ENGLISH
    assert CostEntry.objects.filter(user=alice, operation="prompt_helper").count() == 1


def test_over_the_allowance_it_refuses_with_the_upgrade_path_and_charges_nothing(
    make_user, client, providers_env
):
    bob = make_user(username="bob", tier="FREE")
    client.force_login(bob)
    billing.reserve(bob, "text_tokens", 9_900, "text:earlier")  # of FREE's 10,000 a day

    answer = ask(client, "translate", ZULU).content.decode()

    assert answer.count('class="alert helper-error"') == 1
    assert "Not enough allowance left" in answer
    assert "More tokens with JIVE (R49.00 a month, 250\xa0000 tokens a month)" in answer
    assert "you were not charged" in answer
    assert not CostEntry.objects.filter(user=bob).exists()
    assert Reservation.objects.filter(user=bob).count() == 1  # only the one made above
    assert not text_calls(providers_env) and not PromptRewrite.objects.exists()


@pytest.mark.parametrize("prompt", ["", "   ", "x" * 2001])
def test_bad_input_is_a_message_in_the_block_not_an_error_page(alice, client, prompt, providers_env):
    response = ask(client, "improve", prompt)
    assert response.status_code == 200
    assert 'class="alert helper-error"' in response.content.decode()
    assert not CostEntry.objects.exists() and not text_calls(providers_env)
    assert ask(client, "shout", "a protea").status_code == 200
    assert not CostEntry.objects.exists()


def test_a_failing_model_is_refused_released_and_not_charged(alice, client, providers_env):
    providers_env.inject("400", times=1, match={"model": "gemini-3.8-flash"})
    answer = ask(client, "improve", "a protea").content.decode()
    assert "could not be made as asked" in answer
    assert not CostEntry.objects.exists()
    assert Reservation.objects.get(user=alice).state == Reservation.State.RELEASED
    assert not PromptRewrite.objects.exists()  # the key may try again


def test_without_javascript_the_suggestion_comes_on_a_page_that_leads_back_to_the_form(alice, client):
    response = ask(client, "translate", ZULU, htmx=False, aspect_ratio="16:9", style="cinematic")
    html = response.content.decode()
    assert '<form method="get" action="/studio/images/create/"' in html
    assert f'name="prompt" rows="5" maxlength="2000">{ENGLISH}</textarea>' in html
    assert '<input type="hidden" name="aspect_ratio" value="16:9">' in html
    assert '<input type="hidden" name="style" value="cinematic">' in html
    form = client.get("/studio/images/create/", {"prompt": ENGLISH, "aspect_ratio": "16:9"}).content.decode()
    assert ENGLISH in form


def test_it_needs_a_session(client):
    response = client.post(HELPER, {"helper": "improve", "prompt": "a protea"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en-za", "The helper takes prompts up to 2\xa0000 characters."),
        ("zu", "Umsizi womyalo wamukela imiyalo enezinhlamvu ezingafika ku-2,000."),
    ],
)
def test_a_prompt_too_long_for_the_helper_is_refused_in_the_readers_words(lang, words):
    with translation.override(lang), pytest.raises(StudioError) as refused:
        clean_prompt("x" * 2001)
    assert refused.value.code == "validation_error" and refused.value.message == words
