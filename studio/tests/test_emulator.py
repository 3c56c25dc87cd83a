"""The offline emulator, driven through the real google-genai and google-cloud-storage clients
over real HTTP. No database: the emulator is standalone."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import httpx2 as httpx
import imageio_ffmpeg
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from google.oauth2.credentials import Credentials
from PIL import Image, ImageChops, ImageDraw

from emulator import start_emulator

pytestmark = pytest.mark.filterwarnings("ignore::google.genai._common.ExperimentalWarning")

IMAGEN = "imagen-3.0-generate-002"
CAPABILITY = "imagen-3.0-capability-001"
UPSCALER = "imagen-4.0-upscale-preview"
FLASH_IMAGE = "gemini-3.1-flash-image"
PRO_IMAGE = "gemini-3-pro-image"
VEO = "veo-3.1-generate-001"
VEO_FAST = "veo-3.1-fast-generate-001"


@pytest.fixture(scope="module")
def emu():
    emulator = start_emulator(port=0, gcs_port=0, operation_delay=0.5)
    yield emulator
    emulator.stop()


@pytest.fixture(autouse=True)
def clean_emulator(emu):
    emu.reset()


def make_client(emu, api_version: str = "v1", location: str = "us-central1", **http_options) -> genai.Client:
    return genai.Client(
        vertexai=True,
        project="test-proj",
        location=location,
        credentials=Credentials(token="emulator-token"),
        http_options=types.HttpOptions(base_url=emu.base_url, api_version=api_version, **http_options),
    )


@pytest.fixture(scope="module")
def client(emu):
    return make_client(emu)


def picture(width: int, height: int, colour=(30, 120, 200)) -> Image.Image:
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    for step in range(0, width, 40):  # some structure, so "unchanged" means something
        draw.line((step, 0, width - step, height), fill=(step % 255, 80, 160), width=3)
    return image


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def rect_mask(width: int, height: int, box: tuple[int, int, int, int]) -> Image.Image:
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    return mask


def changed_area(before: Image.Image, after: Image.Image) -> tuple[int, int, int, int] | None:
    return ImageChops.difference(before, after).getbbox()


def vertex_url(emu, model: str, verb: str, version: str = "v1") -> str:
    prefix = f"{emu.base_url}/{version}/projects/test-proj/locations/us-central1"
    return f"{prefix}/publishers/google/models/{model}:{verb}"


def probe(data: bytes) -> dict:
    """What ffmpeg says about a media file (imageio-ffmpeg ships no ffprobe)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        path.write_bytes(data)
        result = subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True
        )
    info = result.stderr
    hours, minutes, seconds = re.search(r"Duration: (\d+):(\d+):([\d.]+)", info).groups()
    video = re.search(r"Video: (\w+).*?, (yuv\w+).*?, (\d+)x(\d+)", info)
    return {
        "duration": int(hours) * 3600 + int(minutes) * 60 + float(seconds),
        "codec": video.group(1),
        "pix_fmt": video.group(2),
        "size": (int(video.group(3)), int(video.group(4))),
        "has_audio": "Audio: aac" in info,
    }


def first_frame(data: bytes) -> Image.Image:
    with tempfile.TemporaryDirectory() as folder:
        clip, frame = Path(folder) / "clip.mp4", Path(folder) / "frame.png"
        clip.write_bytes(data)
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(clip), "-frames:v", "1", str(frame)],
            check=True,
        )
        return Image.open(frame).convert("RGB")


def wait_for(client: genai.Client, operation, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not operation.done:
        assert time.monotonic() < deadline, "the operation never finished"
        time.sleep(0.2)
        operation = client.operations.get(operation)
    return operation


# --- Imagen generate -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "aspect_ratio, size",
    [
        ("1:1", (1024, 1024)),
        ("3:4", (896, 1280)),
        ("4:3", (1280, 896)),
        ("9:16", (768, 1408)),
        ("16:9", (1408, 768)),
    ],
)
def test_generate_returns_the_documented_size_for_each_aspect_ratio(client, aspect_ratio, size):
    response = client.models.generate_images(
        model=IMAGEN,
        prompt="a red fox in the snow",
        config=types.GenerateImagesConfig(number_of_images=1, aspect_ratio=aspect_ratio),
    )
    [generated] = response.generated_images
    assert generated.image.mime_type == "image/png"
    assert opened(generated.image.image_bytes).size == size


def test_generate_is_deterministic_for_prompt_and_seed_and_random_without_seed(client):
    def images(prompt: str, seed: int | None, count: int = 2) -> list[bytes]:
        config = types.GenerateImagesConfig(
            number_of_images=count, seed=seed, add_watermark=False if seed else None
        )
        response = client.models.generate_images(model=IMAGEN, prompt=prompt, config=config)
        return [g.image.image_bytes for g in response.generated_images]

    first = images("a lighthouse", 42)
    assert len(first) == 2 and first[0] != first[1]  # samples of one request differ
    assert images("a lighthouse", 42) == first
    assert images("a lighthouse", 43) != first
    assert images("a lighthouthe", 42) != first
    assert images("a lighthouse", None, 1) != images("a lighthouse", None, 1)


def test_generate_defaults_to_four_images_like_the_rest_api(client):
    response = client.models.generate_images(model=IMAGEN, prompt="four foxes")
    assert len(response.generated_images) == 4


def test_seed_while_watermark_is_on_is_rejected(client):
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.generate_images(
            model=IMAGEN, prompt="a fox", config=types.GenerateImagesConfig(number_of_images=1, seed=1)
        )
    assert caught.value.code == 400 and caught.value.status == "INVALID_ARGUMENT"
    assert "addWatermark" in caught.value.message


@pytest.mark.parametrize(
    "parameters",
    [
        {"sampleCount": 5},
        {"sampleCount": 0},
        {"aspectRatio": "2:1"},
        {"seed": -1, "addWatermark": False},
        {"outputOptions": {"mimeType": "image/gif"}},
        {"outputOptions": {"mimeType": "image/jpeg", "compressionQuality": 101}},
        {"safetySetting": "block_everything"},
        {"storageUri": "s3://bucket/x"},
    ],
)
def test_generate_rejects_what_the_service_rejects(emu, parameters):
    answer = httpx.post(
        vertex_url(emu, IMAGEN, "predict"),
        json={"instances": [{"prompt": "a fox"}], "parameters": parameters},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert answer.json()["error"]["code"] == 400


def test_generate_needs_a_prompt(emu):
    answer = httpx.post(
        vertex_url(emu, IMAGEN, "predict"), json={"instances": [{"prompt": ""}], "parameters": {}}
    )
    assert answer.status_code == 400


def test_generate_accepts_float_numbers_uppercase_enums_and_ignores_query_strings(emu):
    # What the aiplatform REST transport sends.
    answer = httpx.post(
        vertex_url(emu, IMAGEN, "predict") + "?%24alt=json%3Benum-encoding%3Dint",
        json={
            "instances": [{"prompt": "a fox"}],
            "parameters": {
                "sampleCount": 2.0,
                "seed": 7.0,
                "addWatermark": False,
                "safetySetting": "BLOCK_MEDIUM_AND_ABOVE",
                "personGeneration": "allow_adult",
            },
        },
    )
    assert answer.status_code == 200
    assert len(answer.json()["predictions"]) == 2


def test_generate_answers_jpeg_when_asked(client):
    response = client.models.generate_images(
        model=IMAGEN,
        prompt="a fox",
        config=types.GenerateImagesConfig(
            number_of_images=1, output_mime_type="image/jpeg", output_compression_quality=60
        ),
    )
    image = response.generated_images[0].image
    assert image.mime_type == "image/jpeg"
    assert Image.open(io.BytesIO(image.image_bytes)).format == "JPEG"


def test_v1beta1_is_served_too(emu):
    beta = make_client(emu, api_version="v1beta1")
    response = beta.models.generate_images(
        model=IMAGEN, prompt="a fox", config=types.GenerateImagesConfig(number_of_images=1)
    )
    assert len(response.generated_images) == 1
    assert emu.requests()[-1]["path"].startswith("/v1beta1/projects/test-proj/")


def test_storage_uri_outputs_are_written_to_the_gcs_emulator(emu, client, monkeypatch):
    from google.cloud import storage

    response = client.models.generate_images(
        model=IMAGEN,
        prompt="a fox",
        config=types.GenerateImagesConfig(
            number_of_images=2, output_gcs_uri=f"gs://{emu.default_bucket}/renders/"
        ),
    )
    uris = [g.image.gcs_uri for g in response.generated_images]
    assert all(
        re.fullmatch(rf"gs://{emu.default_bucket}/renders/\d{{13}}/sample_\d\.png", uri) for uri in uris
    )
    assert all(g.image.image_bytes is None for g in response.generated_images)

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emu.gcs_url)
    bucket = storage.Client(project="test-proj").bucket(emu.default_bucket)
    stored = bucket.blob(uris[0].split("/", 3)[3]).download_as_bytes()
    assert opened(stored).size == (1024, 1024)


def test_safety_attributes_and_enhanced_prompt_come_back_when_asked(client):
    response = client.models.generate_images(
        model=IMAGEN,
        prompt="a fox",
        config=types.GenerateImagesConfig(
            number_of_images=1, include_safety_attributes=True, enhance_prompt=True
        ),
    )
    assert len(response.generated_images) == 1
    assert response.generated_images[0].enhanced_prompt.startswith("a fox")
    assert response.positive_prompt_safety_attributes is not None


# --- Imagen edit ------------------------------------------------------------------------------


def edit(
    client,
    base: Image.Image,
    mask: Image.Image | None,
    mode: str,
    *,
    prompt="a wooden bench",
    mask_mode="MASK_MODE_USER_PROVIDED",
    dilation=None,
    **config,
):
    mask_image = types.Image(image_bytes=png(mask), mime_type="image/png") if mask is not None else None
    response = client.models.edit_image(
        model=CAPABILITY,
        prompt=prompt,
        reference_images=[
            types.RawReferenceImage(
                reference_id=1, reference_image=types.Image(image_bytes=png(base), mime_type="image/png")
            ),
            types.MaskReferenceImage(
                reference_id=2,
                reference_image=mask_image,
                config=types.MaskReferenceConfig(mask_mode=mask_mode, mask_dilation=dilation),
            ),
        ],
        config=types.EditImageConfig(edit_mode=mode, number_of_images=1, **config),
    )
    return opened(response.generated_images[0].image.image_bytes)


@pytest.mark.parametrize(
    "mode", ["EDIT_MODE_INPAINT_INSERTION", "EDIT_MODE_INPAINT_REMOVAL", "EDIT_MODE_BGSWAP"]
)
def test_edit_changes_only_the_masked_pixels(client, mode):
    base = picture(640, 480)
    box = (200, 150, 399, 329)
    result = edit(client, base, rect_mask(640, 480, box), mode)
    assert result.size == base.size
    changed = changed_area(base, result)
    assert changed is not None
    left, top, right, bottom = changed
    assert left >= 200 and top >= 150 and right <= 400 and bottom <= 330


def test_edit_mask_dilation_grows_the_edit_area_a_little(client):
    base = picture(640, 480)
    result = edit(
        client, base, rect_mask(640, 480, (200, 150, 399, 329)), "EDIT_MODE_INPAINT_INSERTION", dilation=0.02
    )  # 2% of 640 px = 13 px
    left, top, right, bottom = changed_area(base, result)
    assert 180 <= left < 200 and 130 <= top < 150 and 400 < right <= 420 and 330 < bottom <= 350


def test_outpaint_changes_only_the_new_canvas_area(client):
    original = picture(400, 300)
    canvas = Image.new("RGB", (700, 300), (128, 128, 128))
    canvas.paste(original, (150, 0))
    mask = Image.new("L", (700, 300), 255)
    mask.paste(0, (150, 0, 550, 300))
    result = edit(client, canvas, mask, "EDIT_MODE_OUTPAINT", prompt="extend the meadow")
    assert result.size == (700, 300)
    assert changed_area(original, result.crop((150, 0, 550, 300))) is None
    assert changed_area(canvas.crop((0, 0, 150, 300)), result.crop((0, 0, 150, 300))) is not None


def test_background_swap_with_automatic_mask_keeps_the_subject(client):
    base = picture(600, 400)
    result = edit(
        client, base, None, "EDIT_MODE_BGSWAP", prompt="a marble counter", mask_mode="MASK_MODE_BACKGROUND"
    )
    assert result.getpixel((300, 200)) == base.getpixel((300, 200))  # the subject in the middle
    assert result.getpixel((5, 5)) != base.getpixel((5, 5))


def test_edit_rejects_a_mask_of_another_size(client):
    with pytest.raises(genai_errors.ClientError) as caught:
        edit(client, picture(640, 480), rect_mask(320, 240, (10, 10, 50, 50)), "EDIT_MODE_INPAINT_INSERTION")
    assert caught.value.code == 400 and "same size" in caught.value.message


def test_edit_needs_one_raw_and_one_mask_reference(emu):
    raw = {
        "referenceType": "REFERENCE_TYPE_RAW",
        "referenceId": 1,
        "referenceImage": {"bytesBase64Encoded": base64.b64encode(png(picture(64, 64))).decode()},
    }
    answer = httpx.post(
        vertex_url(emu, CAPABILITY, "predict"),
        json={
            "instances": [{"prompt": "x", "referenceImages": [raw]}],
            "parameters": {"editMode": "EDIT_MODE_INPAINT_INSERTION"},
        },
    )
    assert answer.status_code == 400


def test_edit_with_user_provided_mask_needs_mask_bytes(emu):
    raw = {
        "referenceType": "REFERENCE_TYPE_RAW",
        "referenceId": 1,
        "referenceImage": {"bytesBase64Encoded": base64.b64encode(png(picture(64, 64))).decode()},
    }
    mask = {
        "referenceType": "REFERENCE_TYPE_MASK",
        "referenceId": 2,
        "maskImageConfig": {"maskMode": "MASK_MODE_USER_PROVIDED", "dilation": 0.01},
    }
    answer = httpx.post(
        vertex_url(emu, CAPABILITY, "predict"),
        json={
            "instances": [{"prompt": "x", "referenceImages": [raw, mask]}],
            "parameters": {"editMode": "EDIT_MODE_INPAINT_INSERTION", "sampleCount": 1},
        },
    )
    assert answer.status_code == 400


# --- Upscale ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, factor, multiple",
    [(UPSCALER, "x2", 2), (UPSCALER, "x3", 3), (UPSCALER, "x4", 4), (IMAGEN, "x2", 2)],
)
def test_upscale_multiplies_the_input_size(client, model, factor, multiple):
    response = client.models.upscale_image(
        model=model,
        image=types.Image(image_bytes=png(picture(300, 200)), mime_type="image/png"),
        upscale_factor=factor,
    )
    [generated] = response.generated_images
    assert opened(generated.image.image_bytes).size == (300 * multiple, 200 * multiple)


def test_upscale_above_17_megapixels_is_rejected(client):
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.upscale_image(
            model=UPSCALER,
            image=types.Image(image_bytes=png(Image.new("RGB", (2100, 2100))), mime_type="image/png"),
            upscale_factor="x2",
        )
    assert caught.value.code == 400


def test_upscale_rejects_an_unknown_factor(client):
    with pytest.raises(genai_errors.ClientError):
        client.models.upscale_image(
            model=UPSCALER,
            image=types.Image(image_bytes=png(picture(64, 64)), mime_type="image/png"),
            upscale_factor="x8",
        )


# --- Gemini image -----------------------------------------------------------------------------


def image_parts(response) -> list[Image.Image]:
    return [
        opened(part.inline_data.data)
        for part in response.candidates[0].content.parts
        if part.inline_data is not None and not part.thought
    ]


@pytest.mark.parametrize(
    "model, ratio, size, expected",
    [
        (FLASH_IMAGE, "16:9", "1K", (1344, 768)),
        (FLASH_IMAGE, "1:1", "512", (512, 512)),
        (PRO_IMAGE, "3:4", "2K", (1792, 2400)),
    ],
)
def test_gemini_image_size_follows_aspect_ratio_and_image_size(emu, model, ratio, size, expected):
    client = make_client(emu, location="global")
    response = client.models.generate_content(
        model=model,
        contents=["a lighthouse at dusk"],
        config=types.GenerateContentConfig(
            response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio=ratio, image_size=size)
        ),
    )
    [image] = image_parts(response)
    assert image.size == expected
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.usage_metadata.candidates_token_count > 0


def test_gemini_is_deterministic_with_seed_and_answers_text_too_when_asked(client):
    def ask():
        return client.models.generate_content(
            model=FLASH_IMAGE,
            contents=["a lighthouse"],
            config=types.GenerateContentConfig(
                response_modalities=["TEXT", "IMAGE"],
                seed=5,
                image_config=types.ImageConfig(aspect_ratio="1:1"),
            ),
        )

    first, second = ask(), ask()
    assert first.candidates[0].content.parts[0].text
    assert (
        first.candidates[0].content.parts[1].inline_data.data
        == second.candidates[0].content.parts[1].inline_data.data
    )


def test_gemini_edit_with_a_mask_image_changes_only_the_white_area(client):
    base = picture(1344, 768)
    mask = rect_mask(1344, 768, (400, 200, 799, 499)).convert("RGB")
    response = client.models.generate_content(
        model=FLASH_IMAGE,
        contents=[
            "Image 1 is a photo, image 2 a mask. Add a red boat in the white area.",
            types.Part.from_bytes(data=png(base), mime_type="image/png"),
            types.Part.from_bytes(data=png(mask), mime_type="image/png"),
        ],
        config=types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(aspect_ratio="16:9", image_size="1K"),
        ),
    )
    [result] = image_parts(response)
    left, top, right, bottom = changed_area(base, result)
    assert left >= 400 and top >= 200 and right <= 800 and bottom <= 500


def test_gemini_reads_input_images_from_gcs(client, emu, monkeypatch):
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emu.gcs_url)
    blob = storage.Client(project="test-proj").bucket(emu.default_bucket).blob("inputs/photo.png")
    blob.upload_from_string(png(picture(768, 1344)), content_type="image/png")
    response = client.models.generate_content(
        model=FLASH_IMAGE,
        contents=[
            "Make it evening.",
            types.Part.from_uri(
                file_uri=f"gs://{emu.default_bucket}/inputs/photo.png", mime_type="image/png"
            ),
        ],
        config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
    )
    # No aspect ratio asked for: the output follows the input's shape.
    assert image_parts(response)[0].size == (768, 1344)


def test_gemini_rejects_an_aspect_ratio_the_model_does_not_have(client):
    with pytest.raises(genai_errors.ClientError) as caught:
        client.models.generate_content(
            model=PRO_IMAGE,
            contents=["a fox"],
            config=types.GenerateContentConfig(
                response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio="1:8")
            ),
        )
    assert caught.value.code == 400


def test_gemini_blocked_prompt_has_prompt_feedback_and_no_candidates(client):
    response = client.models.generate_content(
        model=FLASH_IMAGE,
        contents=["something nasty [[fault:blocked]]"],
        config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
    )
    assert response.candidates is None
    assert response.prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT


def test_gemini_filtered_image_and_text_only_refusal(client, emu):
    emu.inject("filter_all", match={"model": FLASH_IMAGE})
    filtered = client.models.generate_content(
        model=FLASH_IMAGE,
        contents=["a fox"],
        config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
    )
    assert filtered.candidates[0].finish_reason == types.FinishReason.IMAGE_SAFETY
    assert image_parts(filtered) == []
    refusal = client.models.generate_content(
        model=FLASH_IMAGE,
        contents=["a fox [[fault:text_only]]"],
        config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
    )
    assert refusal.candidates[0].finish_reason == types.FinishReason.STOP
    assert image_parts(refusal) == []


def test_gemini_streaming_answers_one_sse_frame(client):
    chunks = list(
        client.models.generate_content_stream(
            model=FLASH_IMAGE,
            contents=["a fox"],
            config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
        )
    )
    assert len(chunks) == 1 and image_parts(chunks[0])


# --- Veo --------------------------------------------------------------------------------------


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
        ({"prompt": "x"}, {"resolution": "4k"}),
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


# --- Faults -----------------------------------------------------------------------------------


def generate_one(client, prompt="a fox", model=IMAGEN):
    return client.models.generate_images(
        model=model, prompt=prompt, config=types.GenerateImagesConfig(number_of_images=1)
    )


@pytest.mark.parametrize(
    "fault, code, status",
    [
        ("429", 429, "RESOURCE_EXHAUSTED"),
        ("500", 500, "INTERNAL"),
        ("503", 503, "UNAVAILABLE"),
        ("404", 404, "NOT_FOUND"),
        ("403", 403, "PERMISSION_DENIED"),
    ],
)
def test_injected_status_faults_answer_the_google_error_body_once(emu, fault, code, status):
    emu.inject(fault)
    body = {"instances": [{"prompt": "a fox"}], "parameters": {"sampleCount": 1}}
    failed = httpx.post(vertex_url(emu, IMAGEN, "predict"), json=body)
    assert failed.status_code == code
    assert failed.json()["error"]["code"] == code and failed.json()["error"]["status"] == status
    assert failed.json()["error"]["message"]
    assert httpx.post(vertex_url(emu, IMAGEN, "predict"), json=body).status_code == 200


def test_quota_error_reaches_the_sdk_as_client_error(client, emu):
    emu.inject("429")
    with pytest.raises(genai_errors.ClientError) as caught:
        generate_one(client)
    assert caught.value.code == 429 and caught.value.status == "RESOURCE_EXHAUSTED"
    assert "Quota exceeded" in caught.value.message


def test_marker_with_count_fails_only_the_first_requests_and_the_log_times_retries(emu):
    retrying = make_client(
        emu,
        retry_options=types.HttpRetryOptions(
            attempts=3, initial_delay=0.2, max_delay=0.5, http_status_codes=[429]
        ),
    )
    response = generate_one(retrying, prompt="a fox [[fault:429x2]]")
    assert len(response.generated_images) == 1
    log = [entry for entry in emu.requests() if entry["kind"] == "imagen_generate"]
    assert [entry["status"] for entry in log] == [429, 429, 200]
    assert [entry["fault"] for entry in log] == ["429", "429", None]
    assert log[1]["monotonic"] - log[0]["monotonic"] >= 0.15


def test_marker_without_count_fails_every_time(client):
    for _ in range(2):
        with pytest.raises(genai_errors.ServerError):
            generate_one(client, prompt="a fox [[fault:503]]")


def test_fault_match_limits_it_to_one_model_and_forever_lasts_until_reset(client, emu):
    emu.inject("500", times=-1, match={"model": CAPABILITY})
    generate_one(client)  # another model is unaffected
    answer = httpx.post(vertex_url(emu, CAPABILITY, "predict"), json={"instances": [{"prompt": "x"}]})
    assert answer.status_code == 500
    assert (
        httpx.post(vertex_url(emu, CAPABILITY, "predict"), json={"instances": [{"prompt": "x"}]}).status_code
        == 500
    )
    emu.reset()
    assert (
        httpx.post(vertex_url(emu, CAPABILITY, "predict"), json={"instances": [{"prompt": "x"}]}).status_code
        == 400
    )


def test_path_contains_match(emu):
    emu.inject("503", match={"path_contains": ":predictLongRunning"})
    assert (
        httpx.post(
            vertex_url(emu, IMAGEN, "predict"),
            json={"instances": [{"prompt": "a"}], "parameters": {"sampleCount": 1}},
        ).status_code
        == 200
    )
    assert (
        httpx.post(
            vertex_url(emu, VEO, "predictLongRunning"), json={"instances": [{"prompt": "a"}]}
        ).status_code
        == 503
    )


def test_imagen_blocked_prompt_is_a_400_with_the_real_message(client):
    with pytest.raises(genai_errors.ClientError) as caught:
        generate_one(client, prompt="a bad thing [[fault:blocked]]")
    assert caught.value.code == 400 and "Responsible AI practices" in caught.value.message


def test_imagen_filter_some_and_filter_all(client, emu):
    emu.inject("filter_some")
    some = client.models.generate_images(
        model=IMAGEN,
        prompt="foxes",
        config=types.GenerateImagesConfig(number_of_images=4, include_rai_reason=True),
    )
    images = [g for g in some.generated_images if g.image and g.image.image_bytes]
    reasons = [g.rai_filtered_reason for g in some.generated_images if g.rai_filtered_reason]
    assert len(images) == 2 and len(reasons) == 1 and "filtered out 2" in reasons[0]

    emu.inject("filter_all")
    none = client.models.generate_images(
        model=IMAGEN, prompt="foxes", config=types.GenerateImagesConfig(number_of_images=2)
    )
    assert none.generated_images is None


def test_drop_closes_the_connection_without_an_answer(emu):
    emu.inject("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(vertex_url(emu, IMAGEN, "predict"), json={"instances": [{"prompt": "a"}]})


def test_slow_answers_after_the_delay(emu):
    emu.inject("slow", delay=0.6)
    with pytest.raises(httpx.TimeoutException):
        httpx.post(vertex_url(emu, IMAGEN, "predict"), json={"instances": [{"prompt": "a"}]}, timeout=0.2)
    emu.inject("slow", delay=0.3)
    started = time.monotonic()
    answer = httpx.post(
        vertex_url(emu, IMAGEN, "predict"),
        json={"instances": [{"prompt": "a"}], "parameters": {"sampleCount": 1}},
        timeout=5,
    )
    assert answer.status_code == 200 and time.monotonic() - started >= 0.3


def test_unknown_fault_kind_is_refused(emu):
    with pytest.raises(ValueError):
        emu.inject("meteor")


# --- Routing, models, log ---------------------------------------------------------------------


def test_unknown_model_is_the_real_404(client):
    with pytest.raises(genai_errors.ClientError) as caught:
        generate_one(client, model="imagen-3.0-generate-001")
    assert caught.value.code == 404 and caught.value.status == "NOT_FOUND"
    assert "Publisher Model" in caught.value.message


def test_publisher_model_get_for_the_aiplatform_sdk(emu):
    answer = httpx.get(
        f"{emu.base_url}/v1/publishers/google/models/{IMAGEN}?%24alt=json%3Benum-encoding%3Dint"
    )
    assert answer.status_code == 200
    assert answer.json()["publisherModelTemplate"].endswith(f"/publishers/google/models/{IMAGEN}")
    assert answer.json()["predictSchemata"]["instanceSchemaUri"].endswith(
        "vision_generative_model_1.0.0.yaml"
    )
    assert httpx.get(f"{emu.base_url}/v1/publishers/google/models/nope").status_code == 404


def test_request_log_records_what_the_client_sent(client, emu):
    generate_one(client, prompt="logged fox")
    [entry] = emu.requests()
    assert entry["method"] == "POST"
    assert entry["path"].endswith(f"/models/{IMAGEN}:predict")
    assert entry["headers"]["authorization"] == "Bearer emulator-token"
    assert entry["json"]["instances"] == [{"prompt": "logged fox"}]
    assert entry["status"] == 200 and entry["model"] == IMAGEN
    assert abs(entry["time"] - time.time()) < 60 and entry["query"] == {}


def test_request_log_keeps_only_the_size_of_binary_bodies(emu):
    body = b"\x89PNG\x00\x01binary"
    answer = httpx.post(
        vertex_url(emu, IMAGEN, "predict"), content=body, headers={"Content-Type": "application/octet-stream"}
    )
    assert answer.status_code == 400
    [entry] = emu.requests()
    assert entry["json"] is None and entry["body_size"] == len(body)


# --- Pollinations -----------------------------------------------------------------------------


@pytest.mark.parametrize("gateway", ["prompt", "image"])
def test_pollinations_returns_a_jpeg_of_the_requested_size(emu, gateway):
    url = (
        f"{emu.base_url}/{gateway}/a%20cat%20on%20a%20mat?width=640&height=360&seed=7&model=flux&nologo=true"
    )
    with urllib.request.urlopen(url) as answer:
        assert answer.headers["Content-Type"] == "image/jpeg"
        first = answer.read()
    assert Image.open(io.BytesIO(first)).size == (640, 360)
    with urllib.request.urlopen(url) as again:
        assert again.read() == first  # same seed, same bytes
    log = emu.requests()[-1]
    assert log["query"]["width"] == "640" and log["model"] == "flux"


def test_pollinations_faults_and_validation(emu):
    emu.inject("429", match={"path_contains": "/prompt/"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{emu.base_url}/prompt/a%20cat")
    assert caught.value.code == 429 and "Queue full" in json.loads(caught.value.read())["error"]["message"]
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{emu.base_url}/image/a%20cat?width=wide")
    assert caught.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{emu.base_url}/image/a%20cat%20%5B%5Bfault%3A402%5D%5D")
    assert caught.value.code == 402
