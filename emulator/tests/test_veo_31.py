"""Veo 3.1 as Google documents it on 2026-12-01: asset reference images (up to 3, not on Lite, no
style images), 4K on the standard model only, the Lite model, and extending a 1-30 s video by 7 s.
Sources: the Veo 3.1 model page and the extend-a-veo-video and generate-videos-from-references
pages (README, "Veo 3.1")."""

from __future__ import annotations

import base64

import httpx2 as httpx
import pytest
from google.genai import types
from PIL import Image

from emulator import video
from emulator.tests.helpers import VEO, VEO_FAST, VEO_LITE, png, probe, vertex_url, wait_for

pytestmark = pytest.mark.filterwarnings("ignore::google.genai._common.ExperimentalWarning")


def reference(colour=(200, 40, 40), kind="asset") -> dict:
    data = png(Image.new("RGB", (640, 360), colour))
    image = {"bytesBase64Encoded": base64.b64encode(data).decode(), "mimeType": "image/png"}
    return {"image": image, "referenceType": kind}


def clip(seconds: int, size=(1280, 720)) -> bytes:
    return video.render_video(
        width=size[0], height=size[1], duration=seconds, with_audio=False, prompt="source", seed_bytes=b"s"
    )


def submit(emu, model, instance, parameters=None):
    return httpx.post(
        vertex_url(emu, model, "predictLongRunning"),
        json={"instances": [instance], "parameters": parameters or {}},
        timeout=60,
    )


def test_reference_images_make_an_8_second_video_that_starts_from_the_first(client):
    asset = Image.new("RGB", (1280, 720), (10, 200, 30))
    operation = client.models.generate_videos(
        model=VEO_FAST,
        source=types.GenerateVideosSource(prompt="the green mug on a cafe table"),
        config=types.GenerateVideosConfig(
            reference_images=[
                types.VideoGenerationReferenceImage(
                    image=types.Image(image_bytes=png(asset), mime_type="image/png"), reference_type="asset"
                )
            ],
            duration_seconds=8,
            aspect_ratio="9:16",
        ),
    )
    made = probe(wait_for(client, operation).result.generated_videos[0].video.video_bytes)
    assert made["size"] == (720, 1280) and abs(made["duration"] - 8) < 0.1


@pytest.mark.parametrize(
    "model, references, parameters, words",
    [
        (VEO, [reference()] * 4, {}, "up to 3 asset images"),
        (VEO_FAST, [reference(kind="style")], {}, "does not support style"),
        (VEO_LITE, [reference()], {}, "does not support referenceImages"),
        (VEO, [reference()], {"durationSeconds": 6}, "only supports durationSeconds 8"),
    ],
)
def test_reference_images_are_refused_as_google_refuses_them(emu, model, references, parameters, words):
    answer = submit(emu, model, {"prompt": "x", "referenceImages": references}, parameters)

    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert words in answer.json()["error"]["message"]


@pytest.mark.parametrize("model", [VEO_FAST, VEO_LITE])
def test_4k_is_refused_by_fast_and_lite(emu, model):
    answer = submit(emu, model, {"prompt": "x"}, {"resolution": "4k"})

    assert answer.status_code == 400
    assert "does not support resolution '4k'" in answer.json()["error"]["message"]


def test_the_standard_model_renders_4k(client):
    operation = client.models.generate_videos(
        model=VEO,
        source=types.GenerateVideosSource(prompt="table mountain"),
        config=types.GenerateVideosConfig(resolution="4k", duration_seconds=4),
    )
    made = probe(wait_for(client, operation, timeout=90).result.generated_videos[0].video.video_bytes)
    assert made["size"] == (3840, 2160)


def test_lite_makes_a_text_to_video(client):
    operation = client.models.generate_videos(
        model=VEO_LITE,
        source=types.GenerateVideosSource(prompt="waves"),
        config=types.GenerateVideosConfig(duration_seconds=4, resolution="1080p"),
    )
    made = probe(wait_for(client, operation).result.generated_videos[0].video.video_bytes)
    assert made["size"] == (1920, 1080)


def test_extend_adds_7_seconds_to_the_video(client):
    operation = client.models.generate_videos(
        model=VEO_LITE,
        source=types.GenerateVideosSource(
            prompt="a butterfly lands", video=types.Video(video_bytes=clip(4), mime_type="video/mp4")
        ),
        config=types.GenerateVideosConfig(duration_seconds=7, resolution="720p", generate_audio=True),
    )
    made = probe(wait_for(client, operation, timeout=60).result.generated_videos[0].video.video_bytes)
    assert made["size"] == (1280, 720) and abs(made["duration"] - 11) < 0.2 and made["has_audio"]


@pytest.mark.parametrize(
    "source, parameters, words",
    [
        (lambda: clip(31), {}, "videos to extend must be 1 to 30 seconds"),
        (lambda: clip(4, (720, 720)), {}, "extend takes 16:9 or 9:16"),
        (lambda: clip(4), {"durationSeconds": 8}, "Supported: 7"),
        (lambda: b"not a video", {}, "not a readable MP4"),
    ],
)
def test_extend_refuses_what_google_refuses(emu, source, parameters, words):
    encoded = base64.b64encode(source()).decode()
    instance = {"prompt": "more", "video": {"bytesBase64Encoded": encoded, "mimeType": "video/mp4"}}
    answer = submit(emu, VEO, instance, parameters)

    assert answer.status_code == 400
    assert words in answer.json()["error"]["message"]
