"""The Video Studio, the command box, the assistant and the jobs tray in Afrikaans and isiZulu
(issue 16): the words come from the catalogues (locale/parts/video), the English stays the source,
and the numbers, prices and codes stay as they are."""

from __future__ import annotations

import re
import uuid

import pytest
from django.utils import timezone

from studio.models import MediaJob
from studio.tests import factories

CREATE = "/studio/videos/new/"
ESTIMATE = "/studio/videos/estimate/"
HTMX = {"HTTP_HX_REQUEST": "true"}

pytestmark = pytest.mark.django_db


def in_language(client, user, lang: str):
    client.force_login(user)
    client.cookies["lang"] = lang  # the header switcher's cookie
    return client


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("lang", "words", "english"),
    [
        (
            "af",
            [
                "Skep video",
                "Beeldverhouding",
                "Jou onlangse video's",
                "Laat Veo my opdrag verbeter",
                "Veo herskryf jou opdrag",
            ],
            ["Generate video", "Aspect ratio", "Your recent videos", "Let Veo improve my prompt"],
        ),
        (
            "zu",
            [
                "Dala ividiyo",
                "Amavidiyo akho akamuva",
                "Vumela i-Veo ithuthukise umyalo wami",
                "I-Veo ibhala kabusha umyalo wakho",
            ],
            ["Generate video", "Your recent videos", "Let Veo improve my prompt"],
        ),
    ],
)
def test_the_video_studio_speaks_the_language(client, make_user, lang, words, english):
    page = text(in_language(client, make_user(tier="JIVE"), lang).get(CREATE))
    assert f'<html lang="{lang}">' in page
    for word in words:
        assert word in page
    for word in english:
        assert word not in page


@pytest.mark.parametrize(
    ("lang", "cost", "seconds"),
    [
        ("af", "Koste: <strong>R", "s video sonder klank"),
        ("zu", "Izindleko: <strong>R", "s: ividiyo engenamsindo"),
    ],
)
def test_a_jive_users_estimate_in_the_language(client, make_user, lang, cost, seconds):
    query = {
        "prompt": "Waves at Muizenberg",
        "model": "standard",
        "duration_seconds": "8",
        "aspect_ratio": "16:9",
        "resolution": "720p",
        "count": "1",
        "generate_audio": "false",
        "enhance_prompt": "true",
    }
    answer = text(in_language(client, make_user(tier="JIVE"), lang).get(ESTIMATE, query, **HTMX))
    assert cost in answer and f"8 {seconds}" in answer
    # The Rand as CLDR writes it in the language: af a decimal comma, zu a decimal point.
    amount = re.search(r"<strong>(R[^<]+)</strong>", answer)[1]
    assert ("," in amount) if lang == "af" else ("." in amount)
    assert "Cost:" not in answer


@pytest.mark.parametrize(
    ("lang", "samples", "nothing"),
    [
        ("af", "Voorbeeldsnitte", "Niks is gemaak nie en jy is niks gehef nie."),
        ("zu", "Iziqeshana zesibonelo", "Akukho okwenziwe futhi awukhokhiswanga."),
    ],
)
def test_a_free_users_refusal_in_the_language(client, make_user, lang, samples, nothing):
    client = in_language(client, make_user(tier="FREE"), lang)
    assert samples in text(client.get(CREATE))
    answer = text(
        client.post(
            "/studio/command/",
            {"command": "/video waves at Muizenberg", "idempotency_key": uuid.uuid4()},
            **HTMX,
        )
    )
    assert nothing in answer and "Nothing was created" not in answer
    assert not MediaJob.objects.exists()


def _toast_of_a_finished_job(client, user, lang, operation: str, params: dict, units: int):
    """(the job, the toast the next page shows for it in `lang`)."""
    job = factories.make_job(
        user,
        operation=operation,
        params=params,
        model="test-model",
        units=units,
        delivered_units=units,
        state=MediaJob.State.SUCCEEDED,
        finished_at=timezone.now(),
    )
    page = text(in_language(client, user, lang).get("/"))
    [found] = re.findall(r'<p class="toast[^"]*">(.*?)</p>', page, re.S)
    return job, found


@pytest.mark.parametrize(
    ("lang", "toast", "action"),
    [("af", "Jou video is gereed", "Kyk"), ("zu", "Ividiyo yakho ilungile", "Buka")],
)
def test_a_finished_videos_toast_in_the_language(client, make_user, lang, toast, action):
    params = {"prompt": "Waves at Muizenberg"}
    job, found = _toast_of_a_finished_job(client, make_user(tier="JIVE"), lang, "generate_video", params, 8)
    assert f'{toast} — <a href="/studio/videos/{job.id}/">{action}</a>' in found


@pytest.mark.parametrize(
    ("lang", "toast", "action"),
    [
        ("af", "Jou samestelling is gereed", "Bekyk"),
        ("zu", "Isithombe sakho esihlanganisiwe silungile", "Buka"),
    ],
)
def test_a_finished_compositions_toast_uses_the_glossarys_words(client, make_user, lang, toast, action):
    """locale/glossary.md: a composition is zu "isithombe esihlanganisiwe" and "view" is "buka",
    as on the pages (not "inhlanganisela" nor "bheka")."""
    params = {"prompt": "Image 1 on the beach of image 2", "image_ids": []}
    _, found = _toast_of_a_finished_job(client, make_user(tier="JIVE"), lang, "compose_image", params, 1)
    assert re.search(rf'{toast} — <a href="[^"]+">{action}</a>', found), found


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("af", ["Beskryf die video ná /video, byvoorbeeld:", "Tik 'n bevel"]),
        ("zu", ["Chaza ividiyo ngemva kuka-/video, isibonelo:", "Thayipha umyalelo"]),
    ],
)
def test_the_command_box_explains_in_the_language(client, make_user, lang, words):
    client = in_language(client, make_user(tier="JIVE"), lang)
    answer = text(client.post("/studio/command/", {"command": "/video", "idempotency_key": uuid.uuid4()}))
    for word in words:
        assert word.replace("'", "&#x27;") in answer or word in answer
    assert "Describe the video" not in answer


@pytest.mark.parametrize(("lang", "heading"), [("af", "<h1>Assistent</h1>"), ("zu", "<h1>Umsizi</h1>")])
def test_the_assistant_page_in_the_language(client, make_user, lang, heading):
    page = text(in_language(client, make_user(tier="JIVE"), lang).get("/studio/assistant/"))
    assert heading in page and "Start a new conversation" not in page
