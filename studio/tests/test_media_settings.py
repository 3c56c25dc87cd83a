"""One setting per thing for media (mediastudio/settings.py): one bucket (GCS_BUCKET) for media
and provider outputs, one lifetime for links (MEDIA_SIGNED_URL_HOURS), and how django-storages is
told to sign. Read as production reads them: a subprocess per environment (settings are read once).
"""

from __future__ import annotations

import datetime

from .test_security_settings import PRODUCTION_ENV, refusal, run, settings_under


def storage(facts: dict[str, str]) -> dict:
    """The default storage from the settings' repr (a dict of literals and a timedelta)."""
    return eval(facts["STORAGES"], {"__builtins__": {}, "datetime": datetime})["default"]  # noqa: S307


def test_without_a_bucket_media_are_local_files(tmp_path):
    facts = settings_under(PRODUCTION_ENV, tmp_path)

    assert storage(facts) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert facts["GCS_BUCKET"] == "''"


def test_one_bucket_holds_the_media_signed_by_the_runtime_service_account(tmp_path):
    facts = settings_under(
        {**PRODUCTION_ENV, "GCS_BUCKET": "studio-prod", "MEDIA_SIGNED_URL_HOURS": "6"}, tmp_path
    )

    default = storage(facts)
    assert default["BACKEND"] == "storages.backends.gcloud.GoogleCloudStorage"
    assert default["OPTIONS"] == {
        "bucket_name": "studio-prod",
        "location": "media",
        "file_overwrite": False,
        "default_acl": None,
        "querystring_auth": True,
        "expiration": datetime.timedelta(hours=6),
        "iam_sign_blob": True,  # no key file: IAM signBlob with ADC (Cloud Run)
    }
    assert facts["GCS_OUTPUT_PREFIX"] == "'generated'"  # Veo and Imagen write beside the media


def test_a_key_file_or_the_emulator_signs_without_signblob(tmp_path):
    with_key = settings_under(
        {**PRODUCTION_ENV, "GCS_BUCKET": "b", "GCS_SIGNING_KEY_FILE": "/secrets/signer.json"}, tmp_path
    )
    emulated = settings_under(
        {**PRODUCTION_ENV, "GCS_BUCKET": "b", "STORAGE_EMULATOR_HOST": "http://127.0.0.1:9023"}, tmp_path
    )

    assert storage(with_key)["OPTIONS"]["iam_sign_blob"] is False
    assert storage(emulated)["OPTIONS"]["iam_sign_blob"] is False


def test_the_names_before_one_bucket_are_still_read(tmp_path):
    facts = settings_under(
        {**PRODUCTION_ENV, "MEDIA_BUCKET": "old-media", "MEDIA_BUCKET_PREFIX": "uploads"}, tmp_path
    )

    assert facts["GCS_BUCKET"] == "'old-media'"
    assert storage(facts)["OPTIONS"]["bucket_name"] == "old-media"
    assert storage(facts)["OPTIONS"]["location"] == "uploads"


def test_two_different_buckets_are_refused_at_start(tmp_path):
    line = refusal(
        run(["check"], {**PRODUCTION_ENV, "MEDIA_BUCKET": "media-b", "GCS_BUCKET": "veo-b"}, tmp_path)
    )

    assert line.startswith(
        "django.core.exceptions.ImproperlyConfigured: MEDIA_BUCKET (media-b) and GCS_BUCKET"
    )


def test_a_link_lifetime_google_cannot_sign_is_refused_at_start(tmp_path):
    for hours in ("0", "169"):
        line = refusal(run(["check"], {**PRODUCTION_ENV, "MEDIA_SIGNED_URL_HOURS": hours}, tmp_path))

        assert "MEDIA_SIGNED_URL_HOURS must be 1 to 168" in line


def test_a_submit_limit_below_one_is_refused_at_start(tmp_path):
    """studio.limits' guard asks for the limit-th job of the minute (OFFSET limit - 1): a limit of 0
    would make every submit a database error, so the app does not start with one."""
    for limit in ("0", "-3"):
        line = refusal(run(["check"], {**PRODUCTION_ENV, "SUBMITS_PER_MINUTE": limit}, tmp_path))

        assert f"SUBMITS_PER_MINUTE must be 1 or more, not {limit}" in line
