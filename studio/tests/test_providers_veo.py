"""Contract tests: Veo 3.1 long-running operations."""

from __future__ import annotations

import base64
import time

import pytest

from studio import providers
from studio.providers import gcs
from studio.providers.base import ImageInput
from studio.tests.factories import make_png, make_video_clip

from .conftest import EMULATOR_BUCKET, product_requests

MODEL_PATH = "/v1/projects/test-project/locations/us-central1/publishers/google/models/{model}"


def wait_for(name: str, timeout: float = 15.0) -> providers.VideoStatus:
    deadline = time.monotonic() + timeout
    while True:
        status = providers.poll_video(name)
        if status.done:
            return status
        assert time.monotonic() < deadline, "the operation never finished"
        time.sleep(0.2)


def test_it_sends_every_video_parameter_and_polls_by_name(providers_env):
    first, last = make_png((1280, 720), (10, 80, 200)), make_png((1280, 720), (200, 80, 10))
    prefix = gcs.output_prefix("contract", "veo")

    operation = providers.start_video(
        providers.VideoRequest(
            prompt="drone shot over a coastline",
            duration_seconds=6,
            aspect_ratio="16:9",
            resolution="1080p",
            generate_audio=True,
            count=1,
            seed=123,
            negative_prompt="text overlays",
            person_generation="allow_adult",
            first_frame=ImageInput(data=first, mime_type="image/png"),
            last_frame=ImageInput(data=last, mime_type="image/png"),
            output_gcs_uri=prefix,
        )
    )

    submit = product_requests(providers_env)[0]
    assert submit["path"] == MODEL_PATH.format(model="veo-3.1-generate-001") + ":predictLongRunning"
    instance = submit["json"]["instances"][0]
    assert instance["prompt"] == "drone shot over a coastline"
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == first
    assert instance["image"]["mimeType"] == "image/png"
    assert base64.b64decode(instance["lastFrame"]["bytesBase64Encoded"]) == last
    assert instance["lastFrame"]["mimeType"] == "image/png"
    assert submit["json"]["parameters"] == {
        "durationSeconds": 6,
        "aspectRatio": "16:9",
        "resolution": "1080p",
        "generateAudio": True,
        "sampleCount": 1,
        "seed": 123,
        "negativePrompt": "text overlays",
        "personGeneration": "allow_adult",
        "storageUri": prefix,
    }
    assert operation.name.startswith("projects/test-project/locations/us-central1/publishers/google/models/")
    assert "/operations/" in operation.name
    assert operation.price_class == "video_audio"

    status = wait_for(operation.name)

    poll = product_requests(providers_env)[1]
    assert poll["path"] == MODEL_PATH.format(model="veo-3.1-generate-001") + ":fetchPredictOperation"
    assert poll["json"] == {"operationName": operation.name}
    assert len(status.videos) == 1
    for video in status.videos:
        assert video.gcs_uri.startswith(f"gs://{EMULATOR_BUCKET}/generated/contract/veo/")
        assert video.mime_type == "video/mp4"
        assert (video.width, video.height) == (1920, 1080)
        assert video.duration_seconds == pytest.approx(6, abs=0.1)
    assert status.synthid is True
    assert status.filtered_count == 0


def test_a_fast_text_to_video_comes_back_inline(providers_env):
    operation = providers.start_video(
        providers.VideoRequest(prompt="waves", duration_seconds=4, aspect_ratio="9:16"),
        providers.Operation.VIDEO_FAST,
    )

    assert operation.model == "veo-3.1-fast-generate-001"
    assert operation.price_class == "video"
    submit = product_requests(providers_env)[0]["json"]
    assert "storageUri" not in submit["parameters"]
    assert submit["parameters"]["generateAudio"] is False
    status = wait_for(operation.name)
    video = status.videos[0]
    assert video.data and video.gcs_uri is None
    assert (video.width, video.height) == (720, 1280)
    assert video.duration_seconds == pytest.approx(4, abs=0.1)


def test_a_running_operation_reports_not_done(providers_env):
    operation = providers.start_video(providers.VideoRequest(prompt="waves", duration_seconds=4))

    assert providers.poll_video(operation.name).done is False


def test_every_video_filtered_is_a_safety_block(providers_env):
    providers_env.inject("video_filtered")
    operation = providers.start_video(providers.VideoRequest(prompt="waves", duration_seconds=4))

    with pytest.raises(providers.SafetyBlockedError) as caught:
        wait_for(operation.name)

    assert caught.value.filtered_count == 1
    assert "usage guidelines" in caught.value.reasons[0]


def test_some_videos_filtered_are_counted(providers_env):
    providers_env.inject("filter_some")
    operation = providers.start_video(providers.VideoRequest(prompt="waves", duration_seconds=4, count=2))

    status = wait_for(operation.name)

    assert product_requests(providers_env)[0]["json"]["parameters"]["sampleCount"] == 2
    assert len(status.videos) == 1
    assert status.filtered_count == 1


def test_a_failed_operation_raises_a_retryable_operation_error(providers_env):
    providers_env.inject("operation_failed")
    operation = providers.start_video(providers.VideoRequest(prompt="waves", duration_seconds=4))

    with pytest.raises(providers.VideoOperationFailedError) as caught:
        wait_for(operation.name)

    assert caught.value.rpc_code == 13
    assert caught.value.retryable is True


def test_a_blocked_prompt_fails_the_operation_as_a_safety_block(providers_env):
    providers_env.inject("blocked")
    operation = providers.start_video(providers.VideoRequest(prompt="waves", duration_seconds=4))

    with pytest.raises(providers.SafetyBlockedError):
        wait_for(operation.name)


def test_a_submit_is_retried_after_a_429_but_not_after_a_503(providers_env):
    providers_env.inject("429", times=2)
    providers.start_video(providers.VideoRequest(prompt="waves", duration_seconds=4))
    assert [r["status"] for r in product_requests(providers_env)] == [429, 429, 200]

    providers_env.reset()
    providers_env.inject("503", times=1)
    with pytest.raises(providers.RetryableError) as caught:
        providers.start_video(providers.VideoRequest(prompt="waves", duration_seconds=4))
    assert caught.value.may_have_started is True  # a 503 might have started paid work
    assert len(product_requests(providers_env)) == 1


def test_polling_is_retried_freely(providers_env):
    operation = providers.start_video(providers.VideoRequest(prompt="waves", duration_seconds=4))
    providers_env.reset()
    providers_env.inject("503", times=2)

    status = providers.poll_video(operation.name)

    assert status.name == operation.name
    assert [r["status"] for r in product_requests(providers_env)] == [503, 503, 200]


@pytest.mark.parametrize(
    "changes",
    [
        {"duration_seconds": 5},
        {"aspect_ratio": "1:1"},
        {"resolution": "8k"},
        {"last_frame": ImageInput(data=b"x")},
        {"count": 5},
    ],
)
def test_invalid_video_requests_are_refused_before_anything_is_sent(providers_env, changes):
    request = providers.VideoRequest(prompt="waves", **changes)

    with pytest.raises(providers.InvalidRequestError):
        providers.start_video(request)

    assert product_requests(providers_env) == []


def test_an_unknown_operation_name_is_refused(providers_env):
    with pytest.raises(providers.InvalidRequestError):
        providers.poll_video("operations/123")


# --- Veo 3.1: reference images, Lite, 4K, extend, enhancePrompt (README, "Veo 3.1") ---------


def test_reference_images_go_out_as_asset_references_with_enhance_prompt_off(providers_env):
    refs = tuple(
        ImageInput(data=make_png((640, 360), (i * 60, 90, 30)), mime_type="image/png") for i in range(3)
    )

    operation = providers.start_video(
        providers.VideoRequest(
            prompt="the mug on a cafe table", reference_images=refs, enhance_prompt=False, seed=7
        ),
        providers.Operation.VIDEO_FAST,
    )

    submit = product_requests(providers_env)[0]["json"]
    sent = submit["instances"][0]["referenceImages"]
    assert [r["referenceType"].lower() for r in sent] == ["asset"] * 3
    assert base64.b64decode(sent[0]["image"]["bytesBase64Encoded"]) == refs[0].data
    assert submit["parameters"]["enhancePrompt"] is False and submit["parameters"]["seed"] == 7
    assert operation.seed_applied is True  # a seed repeats only with enhancement off
    assert wait_for(operation.name).videos[0].duration_seconds == pytest.approx(8, abs=0.1)


@pytest.mark.parametrize(
    ("operation", "changes"),
    [
        (providers.Operation.VIDEO_LITE, {"reference_images": (ImageInput(data=b"x"),)}),
        (providers.Operation.VIDEO, {"reference_images": (ImageInput(data=b"x"),) * 4}),
        (providers.Operation.VIDEO_FAST, {"resolution": "4k"}),
        (providers.Operation.VIDEO_LITE, {"resolution": "4k"}),
        (providers.Operation.VIDEO, {"video": providers.VideoInput(data=b"x"), "duration_seconds": 8}),
    ],
)
def test_what_the_model_cannot_do_is_refused_before_anything_is_sent(providers_env, operation, changes):
    with pytest.raises(providers.InvalidRequestError):
        providers.start_video(providers.VideoRequest(prompt="waves", **changes), operation)

    assert product_requests(providers_env) == []


def test_the_standard_model_makes_4k_and_lite_makes_1080p(providers_env):
    big = providers.start_video(providers.VideoRequest(prompt="waves", duration_seconds=4, resolution="4k"))
    lite = providers.start_video(
        providers.VideoRequest(prompt="waves", duration_seconds=4, resolution="1080p"),
        providers.Operation.VIDEO_LITE,
    )

    assert lite.model == "veo-3.1-lite-generate-001"
    assert (wait_for(big.name, 90).videos[0].width, wait_for(lite.name).videos[0].width) == (3840, 1920)


def test_extend_sends_a_gcs_video_and_gets_7_seconds_more(providers_env):
    source = gcs.upload(make_video_clip(4), "contract/source.mp4", content_type="video/mp4")

    operation = providers.start_video(
        providers.VideoRequest(
            prompt="the camera pulls back", duration_seconds=7, video=providers.VideoInput(gcs_uri=source)
        ),
        providers.Operation.VIDEO_LITE,
    )

    instance = product_requests(providers_env)[0]["json"]["instances"][0]
    assert instance["video"] == {"gcsUri": source, "mimeType": "video/mp4"}
    video = wait_for(operation.name, 60).videos[0]
    assert video.duration_seconds == pytest.approx(11, abs=0.2)


def test_extend_sends_an_inline_video_without_a_bucket(providers_env, settings):
    settings.GCS_BUCKET = ""
    operation = providers.start_video(
        providers.VideoRequest(duration_seconds=7, video=providers.VideoInput(data=make_video_clip(4)))
    )

    submit = product_requests(providers_env)[0]["json"]
    assert submit["instances"][0]["video"]["mimeType"] == "video/mp4"
    assert "storageUri" not in submit["parameters"]
    video = wait_for(operation.name, 60).videos[0]
    assert video.data and video.duration_seconds == pytest.approx(11, abs=0.2)
