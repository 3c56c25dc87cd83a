"""What users read when a provider fails: a stable code and a plain sentence from studio/errors.py,
never the provider's raw text (GCP resource paths, IAM permissions, our Pollinations balance, the
setting an operator should change). The raw text is kept for staff: MediaJob.error_detail, the
admin's job page and the log.

Each fault is driven through the emulator into a real job, then every surface the user has is
read: the status JSON, the result answer, the job page, the tray's toast; and the tool answer for
refusals at submit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from studio import errors, worker
from studio.models import MediaJob

HTMX = {"HTTP_HX_REQUEST": "true"}


@dataclass(frozen=True)
class Fault:
    name: str
    tier: str
    path: str  # the API submit path
    body: dict
    inject: tuple | None  # (fault kind, match) for the emulator's control endpoint
    code: str
    raw: tuple[str, ...]  # what the provider or the operator side said: staff may read it, users never


IMAGE_MODEL = "imagen-3.0-generate-002"  # the default generate model in the tests
VIDEO_MODEL = "veo-3.1-generate-001"

FAULTS = [
    Fault(
        "iam permission denied",
        "JIVE",
        "/images/generate",
        {"prompt": "Table Mountain at dawn"},
        ("403", {}),
        "provider_unavailable",
        ("aiplatform.endpoints.predict", "projects/test-project", "permission", IMAGE_MODEL),
    ),
    Fault(
        "retired model",
        "JIVE",
        "/images/generate",
        {"prompt": "Table Mountain at dawn"},
        ("404", {}),
        "model_unavailable",
        ("Publisher Model", "projects/test-project", "MODEL_", "gemini-3.1-flash-image", IMAGE_MODEL),
    ),
    Fault(
        "pollinations balance",
        "FREE",
        "/images/generate",
        {"prompt": "a protea in the rain"},
        ("402", {}),
        "provider_unavailable",
        ("balance", "pollen", "pollinations.ai", "Top up"),
    ),
    Fault(
        "400 with operator hints",
        "JIVE",
        "/images/generate",
        {"prompt": "Table Mountain at dawn"},
        ("400", {}),
        "provider_rejected",
        ("HarmBlockThreshold", "allowlist", "invoiced billing", IMAGE_MODEL),
    ),
    Fault(
        "safety block",
        "JIVE",
        "/images/generate",
        {"prompt": "a street scene [[fault:blocked]]"},
        None,
        "safety_blocked",
        ("Responsible AI", "Support codes", "sensitive words"),
    ),
    Fault(
        "video permission denied",
        "JIVE",
        "/videos/generate",
        {"prompt": "waves at Muizenberg", "duration_seconds": 4},
        ("403", {"model": VIDEO_MODEL}),
        "provider_unavailable",
        ("aiplatform.endpoints.predict", "projects/test-project", "permission", VIDEO_MODEL),
    ),
]


def leaks(text: str, raw: tuple[str, ...]) -> list[str]:
    """The raw strings found in `text` (case-insensitive, except the setting prefix MODEL_)."""
    found = []
    for needle in raw:
        if needle == "MODEL_":
            if re.search(r"\bMODEL_[A-Z]", text):
                found.append(needle)
        elif needle.lower() in text.lower():
            found.append(needle)
    return found


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_it_tells_users_a_plain_sentence_and_staff_the_raw_detail(
    fault, studio_env, api, make_user, client, caplog
):
    user = make_user(tier=fault.tier)
    api.login(user)
    if fault.inject:
        kind, match = fault.inject
        studio_env.inject(kind, times=-1, match=match)
    accepted = api.post(fault.path, fault.body)
    assert accepted.status_code == 202, accepted.content
    job = MediaJob.objects.get(pk=accepted.json()["job_id"])
    assert job.state == MediaJob.State.FAILED, (job.state, job.error_detail)
    sentence = errors.user_message(fault.code)

    # Staff: the raw detail is kept, in the row, the log and the admin's job page.
    assert job.error_code == fault.code and job.error_message == sentence
    assert all(needle.lower() in job.error_detail.lower() for needle in fault.raw if needle != "MODEL_")
    if "MODEL_" in fault.raw:
        assert "set MODEL_IMAGE_GENERATE=gemini-3.1-flash-image" in job.error_detail
    assert any(str(job.id) in r.getMessage() and fault.code in r.getMessage() for r in caplog.records)
    assert any(fault.raw[0].lower() in r.getMessage().lower() for r in caplog.records)

    # The user: the tray's toast first (a full job page would mark the job announced without one).
    tray = api.client.get("/studio/tray/", **HTMX).content.decode()
    assert "failed; you were not charged" in tray
    status = api.get(accepted.json()["status_url"]).json()
    assert status["error"] == {"code": fault.code, "message": sentence}
    result = api.get(accepted.json()["result_url"]).json()
    assert result["error"]["code"] == "job_failed" and result["error"]["message"] == sentence
    page_url = f"/studio/videos/{job.id}/" if job.output_kind == "video" else f"/studio/jobs/{job.id}/"
    page = api.client.get(page_url).content.decode()
    assert sentence in page
    partial = api.client.get(page_url, **HTMX).content.decode()
    assert sentence in partial
    user_surfaces = {
        "status error": str(status["error"]),
        "result": str(result),
        "job page": page,
        "job partial": partial,
        "tray": tray,
    }
    for surface, text in user_surfaces.items():
        assert not leaks(text, fault.raw), (surface, leaks(text, fault.raw))

    staff = make_user(staff=True)
    client.force_login(staff)
    admin_page = client.get(f"/admin/studio/mediajob/{job.id}/change/").content.decode()
    assert fault.code in admin_page and sentence in admin_page
    assert fault.raw[0].lower() in admin_page.lower()
    assert "Error detail (staff only)" in admin_page


def test_it_refuses_a_submit_for_a_misconfigured_model_without_naming_the_setting(
    studio_env, api, make_user, settings, caplog
):
    """The tool answer (and the API's 503) for a model setting that cannot serve the operation."""
    api.login(make_user(tier="JIVE"))
    settings.MODEL_IMAGE_GENERATE = "flux"  # a Pollinations model cannot serve Google generation

    tool = api.post("/tools/call", {"name": "generate_image", "arguments": {"prompt": "a braai"}})
    rest = api.post("/images/generate", {"prompt": "a braai"})

    body = tool.json()
    assert body["ok"] is False and body["error"]["code"] == "provider_unavailable"
    assert body["message"] == body["error"]["message"] == errors.user_message("provider_unavailable")
    assert rest.status_code == 503 and rest.json()["error"]["message"] == body["message"]
    for text in (tool.content.decode(), rest.content.decode()):
        assert not leaks(text, ("MODEL_", "flux", "pollinations", "image_generate"))
    assert not MediaJob.objects.exists()
    assert any("MODEL_IMAGE_GENERATE=flux" in r.getMessage() for r in caplog.records)


def test_the_pages_and_commands_refuse_a_misconfigured_model_in_plain_words(
    studio_env, client, make_user, settings, django_capture_on_commit_callbacks
):
    import uuid

    client.force_login(make_user(tier="JIVE"))
    settings.MODEL_IMAGE_GENERATE = "flux"
    key = str(uuid.uuid4())
    form = {"prompt": "a braai", "count": "1", "aspect_ratio": "1:1", "idempotency_key": key}

    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/studio/images/create/", form).content.decode()
        command = client.post(
            "/studio/command/",
            {"command": "/image a braai", "idempotency_key": str(uuid.uuid4()), "box": "h"},
            **HTMX,
        ).content.decode()

    sentence = errors.user_message("provider_unavailable")
    for text in (page, command):
        assert sentence in text
        assert not leaks(text, ("MODEL_", "pollinations model", "image_generate"))
    assert not MediaJob.objects.exists()


def test_it_refuses_a_submit_while_the_breaker_is_open_without_naming_the_model(
    studio_env, api, make_user, settings
):
    settings.BREAKER_IMAGE_FAIL_MAX = 1
    settings.BREAKER_IMAGE_RESET_SECONDS = 600
    api.login(make_user(tier="JIVE"))
    studio_env.inject("500", times=-1)
    failed = api.post("/images/generate", {"prompt": "a failing request"})
    assert MediaJob.objects.get(pk=failed.json()["job_id"]).error_code == "provider_unavailable"

    tool = api.post("/tools/call", {"name": "generate_image", "arguments": {"prompt": "again"}})

    body = tool.json()
    assert body["ok"] is False and body["error"]["code"] == "provider_unavailable", body
    assert body["message"].startswith("This service is not available right now. Try again in")
    assert body["message"].endswith("You were not charged.")
    assert not leaks(tool.content.decode(), (IMAGE_MODEL, "breaker", "failing"))
    assert MediaJob.objects.count() == 1


def test_every_failure_code_in_use_has_a_user_sentence():
    """A code passed to fail_job or returned by error_code without a sentence in USER_MESSAGES
    would fall back to a generic one: add it to the map instead."""
    import inspect

    from studio import tasks

    source = inspect.getsource(worker) + inspect.getsource(tasks)
    codes = set(re.findall(r"fail_job\(\s*\w+,\s*\"(\w+)\"", source))
    codes |= set(re.findall(r"return \"(\w+)\"", inspect.getsource(worker.error_code)))
    assert {"worker_lost", "video_timeout", "internal_error", "safety_blocked"} <= codes
    assert codes <= set(errors.USER_MESSAGES), codes - set(errors.USER_MESSAGES)
    for code, sentence in errors.USER_MESSAGES.items():
        assert sentence.format(try_again="Try again later.").endswith("You were not charged."), code


def test_it_words_old_jobs_that_stored_raw_provider_text(studio_env, api, make_user):
    """Jobs failed before the vocabulary kept the provider's text in error_message: still not shown."""
    api.login(make_user(tier="JIVE"))
    accepted = api.post("/images/generate", {"prompt": "a quiet harbour"}).json()
    raw = "Google refused access to imagen-3.0-generate-002 (403): Permission 'aiplatform.endpoints.predict'"
    MediaJob.objects.filter(pk=accepted["job_id"]).update(
        state="failed", error_code="provider_unavailable", error_message=raw
    )

    status = api.get(accepted["status_url"]).json()
    page = api.client.get(f"/studio/jobs/{accepted['job_id']}/").content.decode()

    assert status["error"]["message"] == errors.user_message("provider_unavailable")
    assert "aiplatform" not in page and errors.user_message("provider_unavailable") in page


def test_health_shows_anyone_only_the_verdict(studio_env, client, make_user, settings):
    anonymous = client.get("/api/v1/media/health")
    body = anonymous.json()

    assert anonymous.status_code == 200 and set(body) == {"status", "serving", "checks", "time"}
    assert all(set(check) == {"ok"} for check in body["checks"].values())
    text = anonymous.content.decode()
    for internal in (IMAGE_MODEL, VIDEO_MODEL, "MODEL_", "retired", "qcluster", "sqlite", "Storage"):
        assert internal not in text

    # Staff see the details, by session or by bearer token.
    staff = make_user(staff=True)
    client.force_login(staff)
    detailed = client.get("/api/v1/media/health").json()
    assert {"breakers", "models", "model_warnings"} <= set(detailed)
    assert detailed["checks"]["database"]["detail"]
    client.logout()
    from studio.models import ApiToken

    _, secret = ApiToken.issue(staff, "health")
    by_token = client.get("/api/v1/media/health", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert "breakers" in by_token
    user_token = ApiToken.issue(make_user(), "health")[1]
    as_user = client.get("/api/v1/media/health", HTTP_AUTHORIZATION=f"Bearer {user_token}").json()
    assert "breakers" not in as_user


def test_a_refusal_says_when_to_try_again_in_whole_seconds():
    refusal = errors.provider_unavailable(retry_after=12.2)

    assert refusal.status == 503 and refusal.extra == {"retry_after": 13}
    assert "Try again in 13 seconds." in refusal.message
    assert "Try again in about 5 minutes." in errors.provider_unavailable(retry_after=300).message
    assert "Try again in a few minutes." in errors.provider_unavailable().message
    assert errors.provider_unavailable().extra == {}
