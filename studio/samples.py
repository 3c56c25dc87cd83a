"""The FREE tier's Video Studio: a gallery of short South African sample clips.

The clips are made by our own offline pipeline, not by Veo: each scene is painted with Pillow and
given a slow camera move with ffmpeg (the binary imageio-ffmpeg ships), 3 s of H.264 at 640×360
(or 360×640) with a WebP poster of the first frame. `manage.py render_samples` writes them to
SAMPLES_ROOT (samples/, a static source folder served under /static/samples/) at set-up: `make
run` calls it before collectstatic, the container's build before its own. From there they are
static files like the CSS: hashed names, served by WhiteNoise (Range included) or the front
server, never by a view of ours. It skips clips that exist, so it is cheap to run every time.
Pages ask `available()` and say the clips are being prepared when some are missing.
"""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.templatetags.static import static
from django.utils.translation import gettext_lazy
from PIL import Image, ImageDraw, ImageFilter

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

FOLDER = "samples"
SECONDS = 3
FPS = 24
SIZES = {"16:9": (640, 360), "9:16": (360, 640)}
PREPARE_SECONDS = 300
# Painted at twice the output size, so the slow zoom never shows pixel steps.
PAINT_SCALE = 2
Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Sample:
    slug: str
    # The words on the gallery are translated (gettext_lazy); the slug is the files' name.
    title: StrOrPromise
    place: StrOrPromise
    description: StrOrPromise
    aspect: str  # "16:9" or "9:16"

    @property
    def size(self) -> tuple[int, int]:
        return SIZES[self.aspect]

    @property
    def video_name(self) -> str:
        return f"{self.slug}.mp4"

    @property
    def poster_name(self) -> str:
        return f"{self.slug}.webp"

    @property
    def video_url(self) -> str:
        return static(f"{FOLDER}/{self.video_name}")

    @property
    def poster_url(self) -> str:
        return static(f"{FOLDER}/{self.poster_name}")


CATALOGUE: tuple[Sample, ...] = (
    Sample(
        "table-mountain",
        gettext_lazy("Table Mountain at sunrise"),
        gettext_lazy("Cape Town, Western Cape"),
        gettext_lazy("First light on the flat top, the tablecloth of cloud rolling over the edge."),
        "16:9",
    ),
    Sample(
        "kruger",
        gettext_lazy("Acacia sunset in the Kruger"),
        gettext_lazy("Kruger National Park, Mpumalanga"),
        gettext_lazy("An umbrella thorn against a red sky as the bushveld goes quiet."),
        "16:9",
    ),
    Sample(
        "drakensberg",
        gettext_lazy("The Amphitheatre, Drakensberg"),
        gettext_lazy("uKhahlamba-Drakensberg, KwaZulu-Natal"),
        gettext_lazy("Basalt cliffs above green foothills and the Tugela's first falls."),
        "16:9",
    ),
    Sample(
        "cape-point",
        gettext_lazy("Lighthouse at Cape Point"),
        gettext_lazy("Cape Peninsula, Western Cape"),
        gettext_lazy("The old lighthouse on its cliff above the Atlantic swell."),
        "9:16",
    ),
    Sample(
        "karoo",
        gettext_lazy("Night sky over the Karoo"),
        gettext_lazy("Sutherland, Northern Cape"),
        gettext_lazy("The Milky Way over a koppie, far from any city light."),
        "16:9",
    ),
    Sample(
        "durban",
        gettext_lazy("Morning surf, Durban"),
        gettext_lazy("Golden Mile, KwaZulu-Natal"),
        gettext_lazy("Warm Indian Ocean sets rolling in under a rising sun."),
        "9:16",
    ),
)
BY_SLUG = {sample.slug: sample for sample in CATALOGUE}


# --- Where they live ------------------------------------------------------------------------


def folder() -> Path:
    """SAMPLES_ROOT (read on every call: tests move it)."""
    return Path(settings.SAMPLES_ROOT)


def is_rendered(sample: Sample) -> bool:
    base = folder()
    return (base / sample.video_name).is_file() and (base / sample.poster_name).is_file()


def is_served(sample: Sample) -> bool:
    """Whether the static files have the clip: with hashed names (DEBUG off) only clips rendered
    before the last collectstatic have a URL; the next one (a restart of `make run`) adds the rest."""
    try:
        sample.video_url, sample.poster_url  # noqa: B018 - asked for the ValueError
    except ValueError:
        return False
    return True


def available() -> list[Sample]:
    """The clips that are ready to show, in catalogue order."""
    return [sample for sample in CATALOGUE if is_rendered(sample) and is_served(sample)]


def prepare_in_background() -> bool:
    """Ask a worker to render the missing clips (the page calls this when some are missing, so
    that "being prepared" is true even where set-up skipped render_samples). At most once per
    PREPARE_SECONDS per folder; True when it asked."""
    from django.core.cache import cache
    from django_q.tasks import async_task

    if not cache.add(f"studio:samples:preparing:{folder()}", 1, timeout=PREPARE_SECONDS):
        return False
    async_task("studio.tasks.render_samples", task_name="render sample clips")
    return True


def render_missing() -> int:
    """Render every clip that is missing; how many were."""
    return sum(render(sample) for sample in CATALOGUE)


# --- Rendering ------------------------------------------------------------------------------


def render(sample: Sample, *, force: bool = False) -> bool:
    """Render one clip and its poster into folder(); False when both existed and not `force`.

    Both files are written under temporary names and renamed into place, so a page never sees a
    half-written clip, and an interrupted run just renders that clip again next time.
    """
    if is_rendered(sample) and not force:
        return False
    import imageio_ffmpeg

    base = folder()
    base.mkdir(parents=True, exist_ok=True)
    width, height = sample.size
    scene = paint(sample)
    with tempfile.TemporaryDirectory(prefix="mediastudio-sample-", dir=base) as tmp:
        work = Path(tmp)
        scene.save(work / "scene.png")
        video = work / sample.video_name
        frames = SECONDS * FPS
        # Ken Burns: zoom in by 8 % over the clip, centred; one input picture, `frames` frames out.
        zoom = f"zoompan=z='1+0.08*on/{frames}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'"
        command = [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-y",
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-i",
            str(work / "scene.png"),
            "-vf",
            f"{zoom}:d={frames}:s={width}x{height}:fps={FPS},format=yuv420p",
            "-frames:v",
            str(frames),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "27",
            "-an",
            "-movflags",
            "+faststart",
            str(video),
        ]
        completed = subprocess.run(command, capture_output=True, timeout=300)
        if completed.returncode != 0:
            raise RuntimeError(f"ffmpeg could not render {sample.slug}: {completed.stderr.decode()[-1000:]}")
        poster = work / sample.poster_name
        scene.resize((width, height), Image.Resampling.LANCZOS).save(poster, "WEBP", quality=72, method=6)
        os.replace(video, base / sample.video_name)
        os.replace(poster, base / sample.poster_name)
    return True


def paint(sample: Sample) -> Image.Image:
    """The clip's scene as a still picture, PAINT_SCALE times the clip's size."""
    width, height = (side * PAINT_SCALE for side in sample.size)
    return _PAINTERS[sample.slug](width, height, random.Random(sample.slug))


# --- The scenes (simple shapes and gradients; the point is recognisable, not photographic) ----


def _sky(width: int, height: int, top: Colour, horizon: Colour, until: float = 1.0) -> Image.Image:
    image = Image.new("RGB", (width, height), horizon)
    draw = ImageDraw.Draw(image)
    end = int(height * until)
    for y in range(end):
        t = y / max(1, end - 1)
        draw.line([(0, y), (width, y)], fill=_mix(top, horizon, t))
    return image


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _glow(image: Image.Image, centre: tuple[float, float], radius: float, colour: Colour) -> None:
    """A sun (or moon) with a soft halo."""
    halo = Image.new("L", image.size, 0)
    cx, cy = centre
    ImageDraw.Draw(halo).ellipse(
        (cx - radius * 3, cy - radius * 3, cx + radius * 3, cy + radius * 3), fill=110
    )
    halo = halo.filter(ImageFilter.GaussianBlur(radius * 1.5))
    image.paste(Image.new("RGB", image.size, colour), mask=halo)
    ImageDraw.Draw(image).ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=colour)


def _ridge(
    width: int, height: int, rng: random.Random, base: float, rough: float, steps: int
) -> list[tuple[float, float]]:
    """A jagged skyline as polygon points, closed along the bottom edge."""
    points = [(0.0, float(height))]
    for i in range(steps + 1):
        x = width * i / steps
        points.append((x, height * (base + rng.uniform(-rough, rough))))
    points.append((float(width), float(height)))
    return points


def _table_mountain(width: int, height: int, rng: random.Random) -> Image.Image:
    image = _sky(width, height, (86, 132, 196), (250, 196, 140), 0.75)
    _glow(image, (width * 0.18, height * 0.52), height * 0.05, (255, 236, 190))
    draw = ImageDraw.Draw(image)
    # The flat top between Devil's Peak and Lion's Head, then the city bowl and the bay.
    mountain = [
        (0, height * 0.78),
        (width * 0.06, height * 0.5),
        (width * 0.12, height * 0.36),
        (width * 0.2, height * 0.3),
        (width * 0.72, height * 0.3),
        (width * 0.8, height * 0.4),
        (width * 0.86, height * 0.5),
        (width * 0.92, height * 0.44),
        (width * 0.97, height * 0.56),
        (width, height * 0.7),
        (width, height * 0.78),
    ]
    draw.polygon(mountain, fill=(74, 70, 96))
    draw.polygon(
        [
            (width * 0.2, height * 0.3),
            (width * 0.72, height * 0.3),
            (width * 0.7, height * 0.34),
            (width * 0.22, height * 0.34),
        ],
        fill=(110, 98, 120),
    )
    cloth = Image.new("L", image.size, 0)  # the tablecloth, spilling over the edge
    ImageDraw.Draw(cloth).rounded_rectangle(
        (width * 0.19, height * 0.26, width * 0.73, height * 0.34), radius=height * 0.04, fill=235
    )
    image.paste((246, 244, 242), mask=cloth.filter(ImageFilter.GaussianBlur(height * 0.012)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 0.78, width, height), fill=(38, 84, 128))
    for _ in range(40):  # city lights along the shore
        x = rng.uniform(0, width)
        draw.rectangle((x, height * 0.76, x + width * 0.004, height * 0.78), fill=(255, 214, 140))
    return image


def _kruger(width: int, height: int, rng: random.Random) -> Image.Image:
    image = _sky(width, height, (120, 40, 70), (250, 150, 60), 0.72)
    _glow(image, (width * 0.62, height * 0.62), height * 0.09, (255, 220, 120))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 0.72, width, height), fill=(66, 40, 24))
    draw.polygon(_ridge(width, height, rng, 0.72, 0.01, 40), fill=(66, 40, 24))
    # An umbrella thorn: trunk, branches and the flat crown.
    trunk_x = width * 0.3
    draw.line(
        [(trunk_x, height * 0.95), (trunk_x, height * 0.5)], fill=(30, 18, 12), width=int(width * 0.012)
    )
    for dx in (-0.09, -0.05, 0.05, 0.1):
        draw.line(
            [(trunk_x, height * 0.62), (trunk_x + width * dx, height * 0.44)],
            fill=(30, 18, 12),
            width=int(width * 0.006),
        )
    draw.ellipse(
        (trunk_x - width * 0.17, height * 0.36, trunk_x + width * 0.17, height * 0.48), fill=(30, 18, 12)
    )
    # A giraffe in the distance: body, legs, neck, head.
    gx, gy, dark, line = width * 0.8, height * 0.72, (30, 18, 12), int(width * 0.005)
    draw.ellipse((gx, gy - height * 0.1, gx + width * 0.05, gy - height * 0.065), fill=dark)
    for dx in (0.006, 0.016, 0.034, 0.044):
        draw.line([(gx + width * dx, gy - height * 0.075), (gx + width * dx, gy)], fill=dark, width=line)
    neck_top = (gx + width * 0.068, gy - height * 0.2)
    draw.line([(gx + width * 0.045, gy - height * 0.09), neck_top], fill=dark, width=line * 2)
    draw.ellipse(
        (
            neck_top[0] - width * 0.004,
            neck_top[1] - height * 0.012,
            neck_top[0] + width * 0.02,
            neck_top[1] + height * 0.008,
        ),
        fill=dark,
    )
    return image


def _drakensberg(width: int, height: int, rng: random.Random) -> Image.Image:
    image = _sky(width, height, (70, 130, 200), (200, 226, 240), 0.6)
    draw = ImageDraw.Draw(image)
    draw.polygon(_ridge(width, height, rng, 0.38, 0.03, 24), fill=(108, 98, 104))
    # The Amphitheatre wall: a long cliff with a flat rim.
    draw.polygon(
        [
            (width * 0.1, height * 0.6),
            (width * 0.18, height * 0.3),
            (width * 0.8, height * 0.28),
            (width * 0.9, height * 0.6),
        ],
        fill=(88, 74, 80),
    )
    draw.line(
        [(width * 0.52, height * 0.29), (width * 0.53, height * 0.58)],
        fill=(236, 244, 250),
        width=int(width * 0.006),
    )
    draw.polygon(_ridge(width, height, rng, 0.6, 0.03, 12), fill=(92, 138, 70))
    draw.polygon(_ridge(width, height, rng, 0.75, 0.04, 8), fill=(66, 112, 52))
    return image


def _cape_point(width: int, height: int, rng: random.Random) -> Image.Image:
    image = _sky(width, height, (60, 120, 190), (196, 222, 240), 0.62)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 0.62, width, height), fill=(24, 70, 112))
    for i in range(14):  # swell lines
        y = height * (0.65 + i * 0.025)
        x = rng.uniform(0, width * 0.5)
        draw.line([(x, y), (x + width * rng.uniform(0.2, 0.5), y)], fill=(170, 206, 230), width=3)
    draw.polygon(
        [
            (width * 0.35, height),
            (width * 0.45, height * 0.45),
            (width * 0.62, height * 0.4),
            (width * 0.8, height * 0.55),
            (width, height * 0.7),
            (width, height),
        ],
        fill=(110, 100, 70),
    )
    # The lighthouse: tower, lantern room, beam.
    lx = width * 0.6
    draw.rectangle(
        (lx - width * 0.035, height * 0.28, lx + width * 0.035, height * 0.41), fill=(246, 246, 240)
    )
    draw.rectangle((lx - width * 0.045, height * 0.25, lx + width * 0.045, height * 0.28), fill=(60, 60, 60))
    draw.polygon([(lx, height * 0.265), (0, height * 0.2), (0, height * 0.3)], fill=(255, 246, 200))
    return image


def _karoo(width: int, height: int, rng: random.Random) -> Image.Image:
    image = _sky(width, height, (6, 8, 28), (40, 36, 80), 0.8)
    draw = ImageDraw.Draw(image)
    # The Milky Way: a diagonal band of faint dots, then brighter stars everywhere.
    for _ in range(1800):
        t = rng.random()
        x = width * t
        y = height * (0.1 + 0.5 * t) + rng.gauss(0, height * 0.06)
        shade = rng.randint(90, 170)
        draw.point((x, y), fill=(shade, shade, shade + 20))
    for _ in range(260):
        x, y, r = rng.uniform(0, width), rng.uniform(0, height * 0.75), rng.choice((1, 1, 1, 2, 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 240))
    # A flat-topped koppie and the telescope dome on it.
    draw.polygon(
        [
            (0, height),
            (0, height * 0.82),
            (width * 0.3, height * 0.78),
            (width * 0.42, height * 0.66),
            (width * 0.62, height * 0.65),
            (width * 0.74, height * 0.78),
            (width, height * 0.8),
            (width, height),
        ],
        fill=(4, 4, 10),
    )
    draw.pieslice((width * 0.5, height * 0.61, width * 0.56, height * 0.69), 180, 360, fill=(200, 200, 210))
    return image


def _durban(width: int, height: int, rng: random.Random) -> Image.Image:
    image = _sky(width, height, (250, 170, 120), (255, 226, 170), 0.5)
    _glow(image, (width * 0.5, height * 0.44), width * 0.08, (255, 244, 210))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 0.5, width, height * 0.8), fill=(28, 120, 150))
    for i in range(6):  # breaking sets
        y = height * (0.56 + i * 0.04)
        for k in range(8):
            x = width * k / 7
            draw.arc(
                (x - width * 0.1, y - height * 0.01, x + width * 0.1, y + height * 0.015),
                180,
                360,
                fill=(236, 248, 250),
                width=4,
            )
    draw.rectangle((0, height * 0.8, width, height), fill=(232, 204, 150))
    for _ in range(5):  # surfers
        x, y = rng.uniform(0.1, 0.9) * width, rng.uniform(0.6, 0.75) * height
        draw.ellipse((x - 5, y - 5, x + 5, y + 5), fill=(20, 20, 20))
        draw.line([(x - 18, y + 8), (x + 18, y + 8)], fill=(240, 90, 60), width=5)
    return image


_PAINTERS: dict[str, Callable[[int, int, random.Random], Image.Image]] = {
    "table-mountain": _table_mountain,
    "kruger": _kruger,
    "drakensberg": _drakensberg,
    "cape-point": _cape_point,
    "karoo": _karoo,
    "durban": _durban,
}
