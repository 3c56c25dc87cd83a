"""What the emulator's tests share: the model ids, a google-genai client pointed at the emulator,
images to send and ways to look at what comes back."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
from google import genai
from google.genai import types
from google.oauth2.credentials import Credentials
from PIL import Image, ImageChops, ImageDraw

IMAGEN = "imagen-3.0-generate-002"
CAPABILITY = "imagen-3.0-capability-001"
UPSCALER = "imagen-4.0-upscale-preview"
FLASH_IMAGE = "gemini-3.1-flash-image"
PRO_IMAGE = "gemini-3-pro-image"
VEO = "veo-3.1-generate-001"
VEO_FAST = "veo-3.1-fast-generate-001"
VEO_LITE = "veo-3.1-lite-generate-001"


def make_client(emu, api_version: str = "v1", location: str = "us-central1", **http_options) -> genai.Client:
    return genai.Client(
        vertexai=True,
        project="test-proj",
        location=location,
        credentials=Credentials(token="emulator-token"),
        http_options=types.HttpOptions(base_url=emu.base_url, api_version=api_version, **http_options),
    )


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


def generate_one(client, prompt="a fox", model=IMAGEN):
    return client.models.generate_images(
        model=model, prompt=prompt, config=types.GenerateImagesConfig(number_of_images=1)
    )
