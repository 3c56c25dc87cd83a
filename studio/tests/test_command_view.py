"""The slash-command box (studio/pages/commands.py): /image and /video start jobs exactly as the
studio forms do, anything wrong answers with a message and creates nothing, and htmx gets
partials where a plain form gets redirects and pages."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from studio import errors, worker
from studio.models import MediaJob

COMMAND = "/studio/command/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def key() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def send(client, django_capture_on_commit_callbacks):
    """POST a command as the box does (htmx unless htmx=False); runs the on-commit enqueue."""

    def send_(text, *, idempotency_key=None, htmx=True, box="h", execute=True):
        data = {"command": text, "idempotency_key": idempotency_key or key(), "box": box}
        with django_capture_on_commit_callbacks(execute=execute):
            return client.post(COMMAND, data, **(HTMX if htmx else {}))

    return send_


def box_key(html: str, box: str) -> str:
    form = re.search(rf'<form id="cmd-{box}-form".*?</form>', html, re.S)
    assert form, f"no #cmd-{box}-form in the answer"
    return re.search(r'name="idempotency_key" value="([^"]+)"', form[0])[1]


def box_value(html: str, box: str) -> str:
    return re.search(rf'id="cmd-{box}-in" name="command" value="([^"]*)"', html)[1]


def test_it_puts_the_box_in_the_header_of_every_page_with_a_fresh_key(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    urls = ("/studio/images/create/", "/studio/images/create/", "/studio/images/")
    pages = [client.get(url).content.decode() for url in urls]
    for html in pages:
        assert 'id="cmd-h-form"' in html and 'aria-label="Command"' in html
        assert 'placeholder="/image a protea at sunrise --ar 16:9"' in html
        assert 'role="status" aria-live="polite"' in html
    assert len({box_key(html, "h") for html in pages}) == 3
    assert all(uuid.UUID(box_key(html, "h")).version == 4 for html in pages)


def test_it_puts_a_larger_box_with_help_on_the_media_creator_page(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    html = client.get("/").content.decode()
    assert 'id="cmd-m-form"' in html and '<label for="cmd-m-in">Type a command</label>' in html
    assert 'href="/studio/command/?command=/help"' in html
    # The larger box replaces the header's there; only the Media Creator page has it.
    assert 'id="cmd-h-form"' not in html
    assert 'id="cmd-m-form"' not in client.get("/studio/images/create/").content.decode()


def test_it_shows_no_box_to_visitors_and_sends_them_to_log_in(client, db):
    assert "cmd-h-form" not in client.get("/accounts/login/").content.decode()
    response = client.post(COMMAND, {"command": "/image x", "idempotency_key": key()})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert not MediaJob.objects.exists()


def test_it_creates_one_image_job_with_the_exact_params(client, make_user, send, studio_env):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    response = send("/image a baobab at dusk --ar 16:9 --n 2 --seed 7 --style cinematic --no 'text, people'")
    job = MediaJob.objects.get()
    assert job.owner == alice and job.operation == "generate_image"
    assert job.params == {
        "prompt": "a baobab at dusk",
        "count": 2,
        "aspect_ratio": "16:9",
        "image_size": "1K",
        "output_format": "png",
        "negative_prompt": "text, people",
        "seed": 7,
        "style": "cinematic",
    }
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert f'id="job-{job.id}"' in html and f'hx-get="/studio/jobs/{job.id}/"' in html
    assert "Started: 2 images · 16:9 · Cinematic · R1.48" in html
    # The box comes back out of band, emptied, with a new key.
    assert 'id="cmd-h-form"' in html and 'hx-swap-oob="true"' in html
    assert box_value(html, "h") == ""
    assert response.headers["HX-Trigger"] == '{"jobs-changed": {}}'


def test_it_creates_a_video_job_and_answers_with_a_progress_line(client, make_user, send, studio_env):
    client.force_login(make_user(tier="JIGGA"))
    response = send(
        "/video waves at Muizenberg --seconds 6 --audio --ar 9:16 --res 1080p --fast", execute=False
    )
    job = MediaJob.objects.get()
    assert job.operation == "generate_video" and job.units == 6 and job.meter == "video_audio_seconds"
    assert job.params["duration_seconds"] == 6 and job.params["generate_audio"] is True
    assert job.params["aspect_ratio"] == "9:16" and job.params["resolution"] == "1080p" and job.params["fast"]
    html = response.content.decode()
    assert f'href="/studio/videos/{job.id}/"' in html
    assert f'hx-get="/studio/command/jobs/{job.id}/"' in html and 'hx-trigger="every 3s"' in html
    assert "6 s video · 9:16 · 1080p · audio · fast" in html
    assert response.headers["HX-Trigger"] == '{"jobs-changed": {}}'


def test_it_redirects_a_plain_form_to_the_job_page(client, make_user, send, studio_env):
    client.force_login(make_user(tier="JIVE"))
    response = send("/image a hadeda", htmx=False)
    job = MediaJob.objects.get()
    assert response.status_code == 302 and response.url == f"/studio/jobs/{job.id}/"
    response = send("/video a dhow --seconds 4", htmx=False, execute=False)
    video = MediaJob.objects.get(operation="generate_video")
    assert response.status_code == 302 and response.url == f"/studio/videos/{video.id}/"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/video waves --ar 1:1", "--ar must be one of 16:9, 9:16 for /video"),
        ("/image x --n 9", "--n must be a whole number from 1 to 4 for /image"),
        ("/image x --colour red", "/image has no --colour flag."),
        ("/video x --seconds", "--seconds needs a value: 4, 6, 8."),
    ],
)
def test_it_answers_a_bad_flag_with_the_message_and_creates_nothing(client, make_user, send, text, message):
    client.force_login(make_user(tier="JIGGA"))
    sent_key = key()
    response = send(text, idempotency_key=sent_key)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and "Nothing was created." in html
    assert box_value(html, "h") == text.replace("'", "&#x27;")  # kept, to fix
    assert box_key(html, "h") == sent_key  # the same request, still unsent
    assert "HX-Trigger" not in response.headers
    assert not MediaJob.objects.exists()


def test_it_links_a_bad_flag_to_the_help_of_its_command(client, make_user, send):
    client.force_login(make_user(tier="JIGGA"))
    html = send("/video waves --ar 1:1").content.decode()
    assert 'href="/studio/command/?command=%2Fhelp+video"' in html
    help_html = client.get(COMMAND, {"command": "/help video"}, **HTMX).content.decode()
    assert "--seconds, --duration" in help_html and "--style" not in help_html


def test_it_shows_a_bad_flag_without_javascript_on_a_page_with_the_box(client, make_user, send):
    client.force_login(make_user(tier="JIVE"))
    response = send("/video waves --ar 1:1", htmx=False)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Commands</h1>" in html and 'id="cmd-m-form"' in html
    assert "--ar must be one of 16:9, 9:16 for /video" in html
    assert box_value(html, "m") == "/video waves --ar 1:1"
    assert not MediaJob.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "--ar 16:9 --n 2",
        "/image --ar 16:9",
        "/image " + "x" * 10_000,
        "x" * 10_000,
        '/image "unbalanced',
        "/image x --no 'text",
        "/vídeo ünïcödé 🌺",
        "/image \u0000\u0007",
        "/help ' \"",
        "/video --audio=",
        "/ /",
    ],
)
def test_it_never_fails_with_a_server_error(client, make_user, send, text):
    client.force_login(make_user(tier="JIVE"))
    for htmx in (True, False):
        response = send(text, htmx=htmx)
        assert response.status_code == 200, text
        assert "alert" in response.content.decode()
    assert not MediaJob.objects.exists()


def test_it_answers_a_missing_field_and_a_bad_key_without_a_server_error(client, make_user, send):
    client.force_login(make_user(tier="JIVE"))
    assert client.post(COMMAND, {}, **HTMX).status_code == 200
    response = send("/image a hadeda", idempotency_key="not-a-uuid")
    assert response.status_code == 200
    html = response.content.decode()
    assert "UUID" in html and box_key(html, "h") != "not-a-uuid"
    assert not MediaJob.objects.exists()


def test_it_runs_a_unicode_prompt(client, make_user, send, studio_env):
    client.force_login(make_user(tier="JIVE"))
    send("/image ʻŌhiʻa lehua 🌺 in Knysna")
    assert MediaJob.objects.get().params["prompt"] == "ʻŌhiʻa lehua 🌺 in Knysna"


def test_it_answers_help_with_every_flag_from_the_table(client, make_user, send):
    from studio import slash

    client.force_login(make_user(tier="JIVE"))
    for response in (send("/help"), client.get(COMMAND, {"command": "/help"}, **HTMX)):
        html = response.content.decode()
        for command in slash.COMMANDS.values():
            assert f"/{command.name} &lt;prompt&gt; [flags]" in html
            for flag in command.flags:
                assert ", ".join(flag.names) in html
    assert not MediaJob.objects.exists()


def test_it_shows_help_on_the_command_page_without_javascript(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    html = client.get(COMMAND, {"command": "/help"}).content.decode()
    assert "<h1>Commands</h1>" in html and "--seconds, --duration" in html


def test_it_never_starts_a_job_from_a_get(client, make_user, studio_env):
    client.force_login(make_user(tier="JIVE"))
    response = client.get(COMMAND, {"command": "/image a hadeda"})
    assert response.status_code == 200
    assert box_value(response.content.decode(), "m") == "/image a hadeda"  # filled in, not run
    assert not MediaJob.objects.exists()


def test_it_makes_a_free_preview_image(client, make_user, send, studio_env):
    client.force_login(make_user(tier="FREE"))
    send("/image a protea at sunrise")
    job = MediaJob.objects.get()
    assert job.watermark and job.state == MediaJob.State.SUCCEEDED
    # One a day: the second is refused with the way up, and nothing is created.
    html = send("/image another protea").content.decode()
    assert "Not enough allowance left" in html
    assert "JIVE" in html and "50 images a month" in html
    assert MediaJob.objects.count() == 1


def test_it_refuses_video_to_free_with_the_upgrade_prompt(client, make_user, send, studio_env):
    client.force_login(make_user(tier="FREE"))
    response = send("/video waves at Muizenberg --seconds 6")
    html = response.content.decode()
    assert "Making videos is not part of the Free plan" in html
    assert "Upgrade for more" in html and "JIVE" in html and "JIGGA" in html
    assert "300 seconds of video a month" in html
    assert 'href="/studio/videos/new/"' in html  # the sample gallery
    assert box_value(html, "h") == "/video waves at Muizenberg --seconds 6"
    assert "HX-Trigger" not in response.headers
    assert not MediaJob.objects.exists()


def test_it_names_the_audio_allowance_when_refusing_video_with_audio(client, make_user, send, studio_env):
    client.force_login(make_user(tier="FREE"))
    assert "120 seconds of video with audio a month" in send("/video waves --audio").content.decode()


def test_it_makes_one_job_when_the_same_command_is_sent_twice(client, make_user, send, studio_env):
    client.force_login(make_user(tier="JIVE"))
    sent_key = key()
    first = send("/image a hadeda --n 2", idempotency_key=sent_key)
    second = send("/image a hadeda --n 2", idempotency_key=sent_key)
    job = MediaJob.objects.get()
    for response in (first, second):
        assert f'id="job-{job.id}"' in response.content.decode()
    assert job.units == 2


def test_it_gives_a_fresh_key_when_the_box_was_sent_before_with_another_command(
    client, make_user, send, studio_env
):
    client.force_login(make_user(tier="JIVE"))
    sent_key = key()
    send("/image a hadeda", idempotency_key=sent_key)
    html = send("/image a guinea fowl", idempotency_key=sent_key).content.decode()
    assert "already been sent" in html
    assert box_key(html, "h") != sent_key
    assert MediaJob.objects.count() == 1


def test_it_answers_into_the_box_that_asked(client, make_user, send):
    client.force_login(make_user(tier="JIVE"))
    html = send("/help", box="m").content.decode()
    assert 'id="cmd-m-form"' in html and 'id="cmd-h-form"' not in html
    html = send("/help", box="bogus").content.decode()
    assert 'id="cmd-h-form"' in html


def test_it_checks_csrf(make_user, studio_env, django_capture_on_commit_callbacks):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_user(tier="JIVE"))
    data = {"command": "/image a hadeda", "idempotency_key": key(), "box": "h"}
    assert browser.post(COMMAND, data, **HTMX).status_code == 403
    page = browser.get("/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(COMMAND, {**data, "csrfmiddlewaretoken": token}, **HTMX)
    assert response.status_code == 200
    assert MediaJob.objects.count() == 1


def test_it_polls_a_video_line_until_the_job_is_final(client, make_user, send, studio_env):
    client.force_login(make_user(tier="JIVE"))
    send("/video a dhow at sea --seconds 4", execute=False)
    job = MediaJob.objects.get()
    line = client.get(f"/studio/command/jobs/{job.id}/", **HTMX)
    assert line.status_code == 200 and 'hx-trigger="every 3s"' in line.content.decode()
    assert "Video queued" in line.content.decode()
    worker.fail_job(job, "provider_rejected", detail="InvalidRequestError: Veo rejected the request")
    line = client.get(f"/studio/command/jobs/{job.id}/", **HTMX)
    assert line.status_code == 286  # htmx stops polling
    html = line.content.decode()
    assert errors.user_message("provider_rejected") in html and "every 3s" not in html
    assert "Veo rejected" not in html
    # Without htmx, the job's own page.
    assert client.get(f"/studio/command/jobs/{job.id}/").url == f"/studio/videos/{job.id}/"


def test_it_hides_another_users_job_line(client, make_user, send, studio_env):
    client.force_login(make_user(tier="JIVE"))
    send("/video a dhow", execute=False)
    job = MediaJob.objects.get()
    client.force_login(make_user(tier="JIVE"))
    assert client.get(f"/studio/command/jobs/{job.id}/", **HTMX).status_code == 404
