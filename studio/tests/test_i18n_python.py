"""The words of errors, validation, operations, tools and billing follow the reader's language
(issue 16): the module tables are lazy (read in the language of the request that reads them), the
translations come from locale/parts/python, and codes stay English."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.utils import translation
from django.utils.functional import Promise

from billing import services as billing
from billing.models import Meter
from studio import errors, messages, operations

PARTS = Path(__file__).resolve().parents[2] / "locale" / "parts" / "python"


@pytest.fixture
def catalogue(settings, tmp_path):
    """This area's af and zu parts compiled alone, so the test reads exactly what they say."""
    for lang in ("af", "zu"):
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        polib.pofile(str(PARTS / f"{lang}.po")).save_as_mofile(str(folder / "django.mo"))
    settings.LOCALE_PATHS = [str(tmp_path)]


def test_the_module_tables_are_read_in_the_readers_language():
    """A plain str in a module-level table would be frozen in the language of whoever imported it."""
    lazy = [*errors.USER_MESSAGES.values(), errors.FALLBACK_MESSAGE, *errors.NOT_FOUND.values()]
    lazy += [p.words for p in messages.FORM_PLACEMENT.values() if p.words]
    lazy += [label for _, label in Meter.choices]
    for operation in operations.all():
        lazy += [operation.label, *operation.nouns]
        if operation.slash_command is not None:
            lazy += [operation.slash_command.summary, *(flag.help for flag in operation.slash_command.flags)]
    assert lazy and all(isinstance(words, Promise) for words in lazy), [
        w for w in lazy if not isinstance(w, Promise)
    ]


@pytest.mark.parametrize(
    ("lang", "try_again_1", "try_again_2"),
    [
        ("en", "Try again in 1 second.", "Try again in 2 seconds."),
        ("af", "Probeer oor 1 sekonde weer.", "Probeer oor 2 sekondes weer."),
        ("zu", "Zama futhi emva komzuzwana o-1.", "Zama futhi emva kwemizuzwana engu-2."),
    ],
)
def test_a_failed_jobs_words_and_their_plurals(catalogue, lang, try_again_1, try_again_2):
    with translation.override(lang):
        assert errors.user_message("provider_unavailable", retry_after=1).split(". ")[1] + "." == try_again_1
        assert try_again_2 in errors.user_message("provider_unavailable", retry_after=2)
        worded = errors.user_message("worker_lost")
    assert (
        worded
        == {
            "en": "This job was interrupted on our side. Try again. You were not charged.",
            "af": "Hierdie taak is aan ons kant onderbreek. Probeer weer. Jy is niks gehef nie.",
            "zu": "Lo msebenzi uphazanyiswe ngasohlangothini lwethu. Zama futhi. Awukhokhiswanga.",
        }[lang]
    )


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "Making videos is not part of the {plan} plan; it has the sample gallery."),
        ("af", "Om video's te maak is nie deel van die {plan}-plan nie; dit het die voorbeeldgalery."),
        ("zu", "Ukwenza amavidiyo akuyona ingxenye yohlelo lwe-{plan}; lunegalari yezibonelo."),
    ],
)
def test_an_api_refusal_is_worded_in_the_requests_language_with_an_english_code(
    catalogue, studio_env, api, make_user, lang, words
):
    user = make_user(tier="FREE")
    api.login(user)
    with translation.override(lang):
        response = api.post(
            "/videos/generate",
            {"prompt": "waves at Muizenberg", "duration_seconds": 4},
            HTTP_ACCEPT_LANGUAGE=lang,
        )

    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert error["code"] == "upgrade_required" and error["tier"] == "FREE"
    assert error["message"] == words.format(plan=billing.plan_for(user).name)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "a video needs a prompt or a first frame"),
        ("af", "'n video het 'n opdrag of 'n eerste raam nodig"),
        ("zu", "ividiyo idinga umyalo noma uhlaka lokuqala"),
    ],
)
def test_a_schema_rule_is_worded_in_the_requests_language_with_an_english_type(
    catalogue, studio_env, api, make_user, lang, words
):
    api.login(make_user(tier="JIVE"))
    with translation.override(lang):
        response = api.post("/videos/generate", {"duration_seconds": 4}, HTTP_ACCEPT_LANGUAGE=lang)

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"] == [{"field": "", "message": words, "type": "video_needs_prompt_or_frame"}]
