"""Veo long-running operations through the real google-genai client: real MP4s of the
requested shape, image-to-video, GCS output, failures.

The emulator runs standalone over real HTTP (conftest.py); no database."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import httpx2 as httpx
import imageio_ffmpeg
import pytest
from google.genai import errors as genai_errors
from google.genai import types
from PIL import Image

from emulator.tests.helpers import (
    VEO,
    VEO_FAST,
    first_frame,
    png,
    probe,
    vertex_url,
    wait_for,
)

pytestmark = pytest.mark.filterwarnings("ignore::google.genai._common.ExperimentalWarning")


def start_video(client, model=VEO_FAST, prompt="drone shot over a coastline", image=None, **config):
    return client.models.generate_videos(
        model=model,
        source=types.GenerateVideosSource(prompt=prompt, image=image),
        config=types.GenerateVideosConfig(**config),
    )


def test_veo_videos_have_the_requested_shape_duration_and_audio(client):
    # Submitted together so they render in parallel.
    with_audio = start_video(
        client, duration_seconds=4, aspect_ratio="16:9", resolution="720p", generate_audio=True
    )
    silent = start_video(
        client, model=VEO, duration_seconds=6, aspect_ratio="9:16", resolution="1080p", generate_audio=False
    )
    assert not with_audio.done  # operation_delay has not passed yet

    loud = probe(wait_for(client, with_audio).result.generated_videos[0].video.video_bytes)
    assert loud["size"] == (1280, 720) and abs(loud["duration"] - 4) < 0.1 and loud["has_audio"]
    assert (loud["codec"], loud["pix_fmt"]) == ("h264", "yuv420p")

    quiet_video = wait_for(client, silent).result.generated_videos[0].video
    assert quiet_video.mime_type == "video/mp4"
    quiet = probe(quiet_video.video_bytes)
    assert quiet["size"] == (1080, 1920) and abs(quiet["duration"] - 6) < 0.1 and not quiet["has_audio"]


def test_veo_image_to_video_starts_on_the_given_image(client):
    still = Image.new("RGB", (1280, 720), (200, 40, 40))
    operation = start_video(
        client,
        prompt="",
        image=types.Image(image_bytes=png(still), mime_type="image/png"),
        duration_seconds=4,
        number_of_videos=2,
    )
    videos = wait_for(client, operation).result.generated_videos
    assert len(videos) == 2
    red, green, blue = first_frame(videos[0].video.video_bytes).resize((1, 1)).getpixel((0, 0))
    assert abs(red - 200) < 12 and abs(green - 40) < 12 and abs(blue - 40) < 12


def test_veo_last_frame_fades_in_by_the_end(client):
    first = types.Image(image_bytes=png(Image.new("RGB", (1280, 720), (200, 40, 40))), mime_type="image/png")
    last = types.Image(image_bytes=png(Image.new("RGB", (1280, 720), (40, 40, 200))), mime_type="image/png")
    operation = client.models.generate_videos(
        model=VEO_FAST,
        source=types.GenerateVideosSource(prompt="red to blue", image=first),
        config=types.GenerateVideosConfig(duration_seconds=4, last_frame=last),
    )
    clip = wait_for(client, operation).result.generated_videos[0].video.video_bytes
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "clip.mp4").write_bytes(clip)
        subprocess.run(
            [
                imageio_ffmpeg.get_ffmpeg_exe(),
                "-v",
                "error",
                "-sseof",
                "-0.1",
                "-i",
                str(Path(folder) / "clip.mp4"),
                "-frames:v",
                "1",
                str(Path(folder) / "end.png"),
            ],
            check=True,
        )
        red, _, blue = (
            Image.open(Path(folder) / "end.png")
            .convert("RGB")
            .crop((0, 0, 200, 200))
            .resize((1, 1))
            .getpixel((0, 0))
        )
    assert blue > 150 and red < 90


def test_veo_storage_uri_output_lands_in_gcs(emu, client, monkeypatch):
    from google.cloud import storage

    operation = wait_for(
        client, start_video(client, duration_seconds=4, output_gcs_uri=f"gs://{emu.default_bucket}/videos")
    )
    video = operation.result.generated_videos[0].video
    assert re.fullmatch(rf"gs://{emu.default_bucket}/videos/\d{{13}}/sample_0\.mp4", video.uri)
    assert video.video_bytes is None
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emu.gcs_url)
    blob = storage.Client(project="test-proj").bucket(emu.default_bucket).blob(video.uri.split("/", 3)[3])
    assert probe(blob.download_as_bytes())["duration"] == pytest.approx(4, abs=0.1)


def test_veo_operation_can_fail_or_be_filtered(client, emu):
    emu.inject("operation_failed", match={"model": VEO_FAST})
    failed = wait_for(client, start_video(client, duration_seconds=4))
    assert failed.error["code"] == 13 and failed.result is None

    blocked = wait_for(
        client, start_video(client, prompt="a bad scene [[fault:blocked]]", duration_seconds=4)
    )
    assert blocked.error["code"] == 3 and "Responsible AI" in blocked.error["message"]

    filtered = wait_for(
        client, start_video(client, prompt="a scene [[fault:video_filtered]]", duration_seconds=4)
    )
    assert filtered.error is None
    assert filtered.result.rai_media_filtered_count == 1
    assert filtered.result.rai_media_filtered_reasons
    assert filtered.result.generated_videos is None


def test_veo_polling_survives_a_restored_operation_name(client):
    operation = start_video(client, duration_seconds=4, generate_audio=False)
    restored = types.GenerateVideosOperation(name=operation.name)
    assert wait_for(client, restored).result.generated_videos


def test_veo_operation_can_also_be_read_with_a_get(client, emu):
    operation = wait_for(client, start_video(client, duration_seconds=4))
    answer = httpx.get(f"{emu.base_url}/v1beta1/{operation.name}")
    assert answer.status_code == 200
    assert answer.json()["done"] is True and answer.json()["name"] == operation.name
    assert answer.json()["response"]["@type"].endswith("GenerateVideoResponse")


def test_veo_unknown_operation_is_not_found(client):
    missing = types.GenerateVideosOperation(
        name=f"projects/test-proj/locations/us-central1/publishers/google/models/{VEO}/operations/nope"
    )
    with pytest.raises(genai_errors.ClientError) as caught:
        client.operations.get(missing)
    assert caught.value.code == 404


@pytest.mark.parametrize(
    "instance, parameters",
    [
        ({"prompt": "x"}, {"durationSeconds": 5}),
        ({"prompt": "x"}, {"aspectRatio": "1:1"}),
        ({"prompt": "x"}, {"resolution": "8k"}),
        ({"prompt": "x"}, {"sampleCount": 5}),
        ({"prompt": ""}, {}),
        ({"prompt": "x", "lastFrame": {"bytesBase64Encoded": "AAAA", "mimeType": "image/png"}}, {}),
        ({"prompt": "x", "image": {"bytesBase64Encoded": "AAAA"}}, {}),  # mimeType is required
    ],
)
def test_veo_rejects_what_the_service_rejects(emu, instance, parameters):
    answer = httpx.post(
        vertex_url(emu, VEO, "predictLongRunning"), json={"instances": [instance], "parameters": parameters}
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"
