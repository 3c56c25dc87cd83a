"""Video Studio: the form and its live estimate, submitting (with frames picked or uploaded),
refusals, the job page in each state, and the FREE tier's sample clips."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from billing import services as billing
from billing.models import Reservation
from studio import assets, jobs, samples
from studio.models import MediaAsset, MediaJob
from studio.schemas import GenerateImage, GenerateVideo
from studio.tests import sample_clips as clips
from studio.tests.factories import make_png
from studio.tests.media_probe import streams

CREATE = "/studio/videos/new/"
ESTIMATE = "/studio/videos/estimate/"
HTMX = {"HTTP_HX_REQUEST": "true"}
# The sample clips, rendered once per session by render_samples (studio/tests/sample_clips.py).
rendered_samples, sample_clips = clips.rendered_samples, clips.sample_clips


def form(**overrides) -> dict:
    data = {
        "prompt": "Waves rolling in at Muizenberg at sunrise",
        "negative_prompt": "",
        "fast": "false",
        "duration_seconds": "8",
        "aspect_ratio": "16:9",
        "resolution": "720p",
        "count": "1",
        "seed": "",
        "person_generation": "",
        "first_frame_id": "",
        "last_frame_id": "",
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST the form and run the on-commit work (the enqueue, then the job inline with studio_env)."""

    def post_(data, *, execute=True, **headers):
        with django_capture_on_commit_callbacks(execute=execute):
            return client.post(CREATE, data, **headers)

    return post_


def job_url(job) -> str:
    return reverse("video-job", kwargs={"job_id": job.id})


def checked_value(html: str, name: str) -> str | None:
    for tag in re.findall(rf'<input type="radio" name="{name}"[^>]*>', html):
        if " checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


# --- The form and the estimate ---------------------------------------------------------------


def test_it_renders_every_veo_setting_with_the_estimate(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    response = client.get(CREATE)

    html = response.content.decode()
    assert response.status_code == 200
    for name in (
        "prompt",
        "negative_prompt",
        "seed",
        "generate_audio",
        "first_frame_upload",
        "last_frame_upload",
    ):
        assert f'name="{name}"' in html, name
    for name, values in {
        "model": ("standard", "fast", "lite"),
        "duration_seconds": ("4", "6", "8"),
        "aspect_ratio": ("16:9", "9:16"),
        "resolution": ("720p", "1080p", "4k"),
        "count": ("1", "2", "3", "4"),
        "person_generation": ("", "allow_adult", "dont_allow"),
        "first_frame_id": ("",),
        "last_frame_id": ("",),
    }.items():
        for value in values:
            assert f'name="{name}" value="{value}"' in html, (name, value)
    assert checked_value(html, "duration_seconds") == "8" and checked_value(html, "resolution") == "720p"
    assert 'enctype="multipart/form-data"' in html and 'name="idempotency_key"' in html
    # 8 s without audio at R3.70 ($0.20) a second, from JIVE's 300 s.
    assert "R29.60" in html and "$1.60" in html and "After this: 292 s of video without audio" in html
    assert "Sample clips" not in html


@pytest.mark.parametrize(
    ("audio", "price", "usd", "pool", "left"),
    [
        (
            "false",
            "R59.20",
            "$3.20",
            "16 s of video without audio (8 s × 2 videos)",
            "284 s of video without audio",
        ),
        (
            "true",
            "R118.40",
            "$6.40",
            "16 s of video with audio (8 s × 2 videos)",
            "104 s of video with audio",
        ),
    ],
)
def test_it_estimates_seconds_and_cost_from_the_pool_audio_picks(
    client, make_user, audio, price, usd, pool, left
):
    client.force_login(make_user(tier="JIVE"))
    response = client.get(ESTIMATE, {"duration_seconds": "8", "count": "2", "generate_audio": audio})

    html = response.content.decode()
    assert response.status_code == 200
    assert price in html and usd in html and pool in html and f"After this: {left}" in html


def test_it_warns_and_offers_an_upgrade_when_the_seconds_left_are_too_few(client, make_user):
    user = make_user(tier="JIVE")
    billing.reserve(user, "video_audio_seconds", 100, "test:earlier-video")
    client.force_login(user)

    response = client.get(ESTIMATE, {"duration_seconds": "8", "count": "4", "generate_audio": "true"})

    html = response.content.decode()
    assert "You have 20 s of video with audio left this month; this needs 32 s." in html
    assert "Without audio it would come from your 300 s of video without audio." in html
    assert "JIGGA (R149.00 a month, 600 s)" in html


def test_it_answers_bad_estimate_input_with_a_message(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    response = client.get(ESTIMATE, {"duration_seconds": "5", "resolution": "4k"})

    assert response.status_code == 200
    assert "Length: Choose one of the options." in response.content.decode()


def test_it_preselects_the_image_the_viewer_asked_to_animate(client, make_user, settings):
    settings.UPLOADS_PER_MINUTE = 13  # test data, not one person's burst
    alice = make_user(tier="JIVE")
    oldest = assets.save_upload(alice, make_png())
    for _ in range(12):  # more than the picker lists: the chosen one is still offered
        assets.save_upload(alice, make_png(colour=(10, 200, 10)))
    client.force_login(alice)

    html = client.get(CREATE, {"first_frame": str(oldest.id)}).content.decode()

    assert checked_value(html, "first_frame_id") == str(oldest.id)
    assert checked_value(html, "last_frame_id") == ""


def test_it_ignores_another_users_image_in_the_link(client, make_user):
    alice, bob = make_user(tier="JIVE"), make_user(tier="JIVE")
    bobs = assets.save_upload(bob, make_png())
    client.force_login(alice)

    html = client.get(CREATE, {"first_frame": str(bobs.id)}).content.decode()

    # Only the language switcher's "next" repeats the page's own URL: nothing else shows Bob's image.
    assert str(bobs.id) not in re.sub(r'<form[^>]*action="/i18n/setlang/".*?</form>', "", html, flags=re.S)
    assert checked_value(html, "first_frame_id") == ""


def test_it_fills_the_form_from_a_jobs_settings(client, make_user):
    client.force_login(make_user(tier="JIVE"))
    html = client.get(
        CREATE,
        {"prompt": "Kruger at dusk", "duration_seconds": 6, "fast": True, "generate_audio": True, "count": 3},
    ).content.decode()

    assert ">Kruger at dusk</textarea>" in html
    assert checked_value(html, "duration_seconds") == "6" and checked_value(html, "model") == "fast"
    assert checked_value(html, "count") == "3"
    assert re.search(r'name="generate_audio" value="true"[^>]* checked', html)


# --- Submitting ----------------------------------------------------------------------------------


def test_it_shows_a_missing_prompt_and_frame_as_a_form_error(client, make_user, post):
    client.force_login(make_user(tier="JIVE"))
    data = form(prompt="  ")
    response = post(data)

    html = response.content.decode()
    assert response.status_code == 200
    assert "A video needs a prompt or a first frame." in html
    assert data["idempotency_key"] in html  # kept, so a corrected resend is the same request
    assert not MediaJob.objects.exists()


def test_it_shows_field_errors_next_to_their_fields(client, make_user, post):
    client.force_login(make_user(tier="JIVE"))
    response = post(form(seed="-4", duration_seconds="5", first_frame_id="not-an-id"), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="video-form"')  # htmx: only the form, swapped in place
    assert re.search(r'id="seed-error">A seed is a whole number', html)
    assert "Choose one of the options." in html
    assert re.search(r'id="first_frame-error">Choose one of your images.', html)
    assert not MediaJob.objects.exists()


def test_it_refuses_another_users_image_as_a_frame(client, make_user, post):
    alice, bob = make_user(tier="JIVE"), make_user(tier="JIVE")
    client.force_login(alice)
    response = post(form(first_frame_id=str(assets.save_upload(bob, make_png()).id)))

    assert re.search(r'id="first_frame-error">Choose one of your images.', response.content.decode())
    assert not MediaJob.objects.exists()


def test_it_submits_one_job_with_exactly_the_forms_settings(client, make_user, post, studio_env):
    alice = make_user(tier="JIVE")
    first, last = (
        assets.save_upload(alice, make_png()),
        assets.save_upload(alice, make_png(colour=(1, 2, 3))),
    )
    client.force_login(alice)
    data = form(
        prompt="A protea opening",
        negative_prompt="people",
        fast="true",
        duration_seconds="6",
        aspect_ratio="9:16",
        resolution="1080p",
        generate_audio="true",
        count="2",
        seed="42",
        person_generation="dont_allow",
        first_frame_id=str(first.id),
        last_frame_id=str(last.id),
    )

    response = post(data, execute=False)
    again = post(data, execute=False)

    job = MediaJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job) == again["Location"]
    assert job.params == {
        "prompt": "A protea opening",
        "negative_prompt": "people",
        "fast": True,
        "lite": False,
        "duration_seconds": 6,
        "aspect_ratio": "9:16",
        "resolution": "1080p",
        "generate_audio": True,
        "enhance_prompt": True,
        "count": 2,
        "seed": 42,
        "person_generation": "dont_allow",
        "first_frame_id": str(first.id),
        "last_frame_id": str(last.id),
        "reference_image_ids": [],
    }
    # Veo 3.1 Fast at 1080p with audio: $0.12 a second, 12 s = $1.44 = R26.64.
    assert (job.meter, job.units, job.quote_zar_cents) == ("video_audio_seconds", 12, 2664)


def test_it_redirects_htmx_to_the_job_url(client, make_user, post, studio_env):
    client.force_login(make_user(tier="JIVE"))
    response = post(form(), execute=False, **HTMX)

    assert response["HX-Redirect"] == job_url(MediaJob.objects.get())


def test_it_animates_an_uploaded_first_frame(client, make_user, post, studio_env):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    upload = SimpleUploadedFile("cape.png", make_png((320, 180)), "image/png")

    response = post(form(prompt="", duration_seconds="4", first_frame_upload=upload))

    job = MediaJob.objects.get()
    frame = MediaAsset.objects.get(pk=job.params["first_frame_id"])
    assert response.status_code == 302
    assert (frame.owner, frame.origin, frame.kind) == (alice, "uploaded", "image")
    assert job.state == "succeeded" and job.assets.get().kind == "video"


def test_it_makes_one_job_and_one_image_when_a_form_with_an_upload_is_sent_twice(
    client, make_user, post, studio_env
):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    data = form(duration_seconds="4")
    picture = make_png((200, 120), (90, 30, 160))

    first = post(
        {**data, "first_frame_upload": SimpleUploadedFile("a.png", picture, "image/png")}, execute=False
    )
    second = post(
        {**data, "first_frame_upload": SimpleUploadedFile("a.png", picture, "image/png")}, execute=False
    )

    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert MediaJob.objects.count() == 1
    assert MediaAsset.objects.filter(owner=alice, origin="uploaded").count() == 1


def test_it_keeps_an_upload_but_makes_no_job_when_the_rest_is_invalid(client, make_user, post, studio_env):
    alice = make_user(tier="JIVE")
    client.force_login(alice)
    upload = SimpleUploadedFile("cape.png", make_png(), "image/png")

    response = post(form(seed="nope", first_frame_upload=upload))

    uploaded = MediaAsset.objects.get(owner=alice)
    assert response.status_code == 200 and not MediaJob.objects.exists()
    assert checked_value(response.content.decode(), "first_frame_id") == str(uploaded.id)
    assert not Reservation.objects.exists()


def test_it_shows_a_refused_upload_on_its_field(client, make_user, post, studio_env):
    client.force_login(make_user(tier="JIVE"))
    upload = SimpleUploadedFile("notes.png", b"this is not a picture", "image/png")

    response = post(form(last_frame_upload=upload, first_frame_id=""))

    html = response.content.decode()
    assert re.search(r'id="last_frame-error">[^<]+', html)
    assert not MediaJob.objects.exists() and not MediaAsset.objects.exists()


def test_it_refuses_free_users_with_the_samples_and_no_form(client, make_user, post, sample_clips):
    client.force_login(make_user(tier="FREE"))
    page = client.get(CREATE).content.decode()
    refused = post(form())

    assert 'name="prompt"' not in page and '<form id="video-form"' not in page
    assert page.count("<video ") == len(samples.CATALOGUE)
    for sample in samples.CATALOGUE:
        assert str(sample.title) in page and sample.poster_url in page and sample.video_url in page
    assert "JIVE</strong> — R49.00 a month: 300 s of video" in page and "JIGGA" in page
    assert refused.status_code == 200 and "not part of the Free plan" in refused.content.decode()
    assert not MediaJob.objects.exists()


def test_it_says_the_samples_are_being_prepared_and_has_a_worker_make_them(
    client, make_user, settings, tmp_path, q_sync
):
    settings.SAMPLES_ROOT = tmp_path / "samples"
    client.force_login(make_user(tier="FREE"))

    first = client.get(CREATE)  # with q_sync the worker's task runs inside this request
    later = client.get(CREATE)

    assert first.status_code == 200
    assert "The sample clips are being prepared" in first.content.decode()
    assert first.content.decode().count("<video ") == 0
    assert later.content.decode().count("<video ") == len(samples.CATALOGUE)
    assert "being prepared" not in later.content.decode()


def test_it_refuses_a_jive_request_over_the_seconds_left_and_creates_nothing(
    client, make_user, post, studio_env
):
    user = make_user(tier="JIVE")
    billing.reserve(user, "video_audio_seconds", 100, "test:earlier-video")
    client.force_login(user)

    response = post(form(generate_audio="true", count="4"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Not enough allowance left" in html and "Or wait: your allowance resets" in html
    assert "<strong>JIGGA</strong> — R149.00 a month: 600 s of video with audio" in html
    assert not MediaJob.objects.exists()
    assert Reservation.objects.get().units == 100


# --- The job page ------------------------------------------------------------------------------


def test_it_shows_progress_and_polls_while_the_video_renders(client, make_user):
    user = make_user(tier="JIVE")
    job = jobs.submit_job(user, "generate_video", GenerateVideo(prompt="A quiet river", duration_seconds=4))
    client.force_login(user)

    page = client.get(job_url(job))
    poll = client.get(job_url(job), **HTMX)

    html = page.content.decode()
    assert page.status_code == 200 and "Waiting for a worker" in html
    assert 'hx-trigger="every 3s"' in html and "about 90 s left" in html
    assert "A quiet river" in html and "R14.80" in html
    assert poll.status_code == 200 and poll.content.decode().lstrip().startswith('<div id="video-progress"')


def test_it_shows_the_player_once_the_video_is_ready(client, make_user, post, studio_env):
    client.force_login(make_user(tier="JIVE"))
    post(form(duration_seconds="4", count="2", generate_audio="true"))
    job = MediaJob.objects.get()

    page = client.get(job_url(job))
    poll = client.get(job_url(job), **HTMX)

    html = page.content.decode()
    assert job.state == "succeeded"
    videos = re.findall(
        r'<video controls playsinline preload="metadata" src="([^"]+)" poster="([^"]+)"', html
    )
    assert len(videos) == 2
    assert html.count(">Download video") == 2 and "with sound" in html
    assert "every 3s" not in html
    assert client.get(videos[0][0], HTTP_RANGE="bytes=0-99").status_code == 206
    assert poll.status_code == 286 and poll["HX-Retarget"] == "#video-state"
    assert 'id="video-state"' in poll.content.decode()


def test_it_shows_a_failed_video_and_the_way_back_with_its_settings(client, make_user, post, studio_env):
    client.force_login(make_user(tier="JIVE"))
    post(form(prompt="boom [[fault:operation_failed]]", duration_seconds="6", resolution="1080p"))
    job = MediaJob.objects.get()

    html = client.get(job_url(job)).content.decode()
    back = re.search(r'href="(/studio/videos/new/\?[^"]+)"', html).group(1).replace("&amp;", "&")
    again = client.get(back).content.decode()

    assert job.state == "failed" and "You were not charged" in html
    assert "boom [[fault:operation_failed]]</textarea>" in again
    assert checked_value(again, "duration_seconds") == "6" and checked_value(again, "resolution") == "1080p"


def test_it_hides_video_jobs_from_other_users_and_image_jobs_from_this_page(client, make_user):
    alice, bob = make_user(tier="JIVE"), make_user(tier="JIVE")
    video = jobs.submit_job(alice, "generate_video", GenerateVideo(prompt="mine"))
    image = jobs.submit_job(alice, "generate_image", GenerateImage(prompt="mine"))

    client.force_login(bob)
    assert client.get(job_url(video)).status_code == 404
    client.force_login(alice)
    assert client.get(job_url(image)).status_code == 404
    assert client.get(job_url(video)).status_code == 200


def test_it_sends_anonymous_visitors_to_log_in(client, db):
    for url in (CREATE, ESTIMATE):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Sample clips -------------------------------------------------------------------------------


def test_it_renders_the_sample_clips_once_and_again_only_when_forced(settings, tmp_path):
    folder = settings.SAMPLES_ROOT = tmp_path / "samples"

    first, second, forced = io.StringIO(), io.StringIO(), io.StringIO()
    call_command("render_samples", stdout=first)
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    call_command("render_samples", stdout=second)
    unchanged = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    call_command("render_samples", "--force", stdout=forced)

    assert sorted(stamps) == sorted(name for s in samples.CATALOGUE for name in (s.video_name, s.poster_name))
    assert "6 rendered, 0 already there" in first.getvalue()
    assert "0 rendered, 6 already there" in second.getvalue() and unchanged == stamps
    assert "6 rendered" in forced.getvalue()
    for sample in samples.CATALOGUE:
        (video,) = streams(folder / sample.video_name)
        assert (video["codec_type"], video["codec_name"]) == ("video", "h264")
        assert (video["width"], video["height"]) == sample.size


def test_it_serves_sample_clips_as_static_files_with_range(client, sample_clips):
    """WhiteNoise (or the front server) serves them, not a view: no worker, no session needed."""
    sample = samples.BY_SLUG["table-mountain"]

    whole = client.get(sample.video_url)
    part = client.get(sample.video_url, HTTP_RANGE="bytes=10-19")
    poster = client.get(sample.poster_url)

    data = (sample_clips / "table-mountain.mp4").read_bytes()
    assert sample.video_url == "/static/samples/table-mountain.mp4"
    assert whole.status_code == 200 and whole["Content-Type"] == "video/mp4"
    assert int(whole["Content-Length"]) == len(data)  # WhiteNoise answers Range without announcing it
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert b"".join(part.streaming_content) == data[10:20]
    assert poster.status_code == 200 and poster["Content-Type"] == "image/webp"
