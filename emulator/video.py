"""Real, playable MP4 files made with the ffmpeg binary that imageio-ffmpeg ships.

H.264 in yuv420p at the requested size and duration; an AAC sine tone exactly when audio was
asked for. The frame rate is low (real Veo runs at 24 fps) so that a clip renders in a second or
two on a small machine. The first frame is the prompt picture or the given first-frame image; a
given last frame fades in over the clip; a white square travels across so the clip visibly moves.
"""

from __future__ import annotations

import random
import re
import subprocess
import tempfile
import threading
from pathlib import Path

import imageio_ffmpeg
from PIL import Image

from . import media

VIDEO_FPS = 12
# ffmpeg is the heaviest thing the emulator does; two renders at a time keep a laptop usable.
_render_slots = threading.BoundedSemaphore(2)


class RenderError(RuntimeError):
    pass


def render_video(
    *,
    width: int,
    height: int,
    duration: int,
    with_audio: bool,
    prompt: str,
    seed_bytes: bytes,
    first_frame: Image.Image | None = None,
    last_frame: Image.Image | None = None,
    resize_mode: str = "pad",
    fps: int = VIDEO_FPS,
) -> bytes:
    if first_frame is not None:
        start = media.fit(first_frame, width, height, resize_mode)
    else:
        start = media.render_picture(
            width, height, prompt, seed_bytes, caption=f"emulator · {width}x{height}"
        )
    end = media.fit(last_frame, width, height, resize_mode) if last_frame is not None else None
    tone = random.Random(seed_bytes).randint(220, 880)

    with _render_slots, tempfile.TemporaryDirectory(prefix="emulator-video-") as workdir:
        folder = Path(workdir)
        start.save(folder / "first.png")
        if end is not None:
            end.save(folder / "last.png")
        output = folder / "out.mp4"
        command = _ffmpeg_command(
            folder, output, width, height, duration, fps, with_audio, end is not None, tone
        )
        completed = subprocess.run(command, capture_output=True, timeout=300)
        if completed.returncode != 0:
            raise RenderError(completed.stderr.decode(errors="replace")[-2000:])
        return output.read_bytes()


def probe(data: bytes) -> tuple[int, int, float]:
    """(width, height, seconds) of an MP4, from ffmpeg's reading of it; RenderError if unreadable."""
    with tempfile.TemporaryDirectory(prefix="emulator-probe-") as workdir:
        source = Path(workdir) / "in.mp4"
        source.write_bytes(data)
        info = _ffmpeg_info(source)
    size = re.search(r"Video: .*?, (\d{2,5})x(\d{2,5})", info)
    length = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", info)
    if not size or not length:
        raise RenderError("not a video ffmpeg can read")
    hours, minutes, seconds = length.groups()
    return int(size[1]), int(size[2]), int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def extend_video(
    source: bytes,
    *,
    width: int,
    height: int,
    seconds: int,
    with_audio: bool,
    prompt: str,
    seed_bytes: bytes,
) -> bytes:
    """The source video at `width`x`height` followed by `seconds` more that start on its last
    frame: one merged clip, as third-party accounts of Veo's extend describe its output."""
    with tempfile.TemporaryDirectory(prefix="emulator-extend-") as workdir:
        folder = Path(workdir)
        (folder / "source.mp4").write_bytes(source)
        with _render_slots:
            _run(
                [*_ffmpeg(), "-sseof", "-0.5", "-i", str(folder / "source.mp4"), "-update", "1", "-q:v", "2"]
                + ["-y", str(folder / "last.png")]
            )
        last = Image.open(folder / "last.png").convert("RGB")
        tail = render_video(
            width=width,
            height=height,
            duration=seconds,
            with_audio=False,
            prompt=prompt,
            seed_bytes=seed_bytes,
            first_frame=last,
        )
        (folder / "tail.mp4").write_bytes(tail)
        _, _, source_seconds = probe(source)
        total = source_seconds + seconds
        fit = (
            f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={VIDEO_FPS},format=yuv420p"
        )
        command = [*_ffmpeg(), "-i", str(folder / "source.mp4"), "-i", str(folder / "tail.mp4")]
        audio_args: list[str] = []
        if with_audio:
            tone = random.Random(seed_bytes).randint(220, 880)
            command += ["-f", "lavfi", "-t", f"{total:.3f}", "-i", f"sine=frequency={tone}:sample_rate=48000"]
            audio_args = ["-map", "2:a", "-c:a", "aac", "-b:a", "96k"]
        concat = f"[0:v]{fit}[a];[1:v]{fit}[b];[a][b]concat=n=2:v=1:a=0[v]"
        command += [
            "-filter_complex",
            concat,
            "-map",
            "[v]",
            *audio_args,
            *_H264,
            "-y",
            str(folder / "out.mp4"),
        ]
        with _render_slots:
            _run(command)
        return (folder / "out.mp4").read_bytes()


# H.264 in yuv420p, fast to make, playable from its first bytes (moov atom first).
_H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart"]


def _ffmpeg() -> list[str]:
    return [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin"]


def _ffmpeg_info(source: Path) -> str:
    # ffmpeg with an input and no output prints the streams on stderr and exits 1.
    completed = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(source)],
        capture_output=True,
        timeout=60,
    )
    return completed.stderr.decode(errors="replace")


def _run(command: list[str]) -> None:
    completed = subprocess.run(command, capture_output=True, timeout=300)
    if completed.returncode != 0:
        raise RenderError(completed.stderr.decode(errors="replace")[-2000:])


def _ffmpeg_command(
    folder: Path,
    output: Path,
    width: int,
    height: int,
    duration: int,
    fps: int,
    with_audio: bool,
    has_last_frame: bool,
    tone: int,
) -> list[str]:
    inputs = ["-loop", "1", "-framerate", str(fps), "-t", str(duration), "-i", str(folder / "first.png")]
    square = max(16, min(width, height) // 9)
    filters = []
    background = "[0:v]"
    next_input = 1
    if has_last_frame:
        inputs += ["-loop", "1", "-framerate", str(fps), "-t", str(duration), "-i", str(folder / "last.png")]
        fade = max(1, duration - 2)
        filters.append(f"[1:v]format=yuva420p,fade=t=in:st=1:d={fade}:alpha=1[last]")
        filters.append("[0:v][last]overlay=eval=init[bg]")
        background = "[bg]"
        next_input = 2
    inputs += ["-f", "lavfi", "-i", f"color=c=white:s={square}x{square}:r={fps}"]
    # The square starts just off-screen, so the very first frame is exactly the first-frame image.
    filters.append(
        f"{background}[{next_input}:v]overlay=x='-w+(W+w)*t/{duration}':y='(H-h)*3/4':eval=frame:shortest=1,"
        "format=yuv420p[v]"
    )
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-hide_banner", "-loglevel", "error", *inputs]
    audio_args: list[str] = []
    if with_audio:
        command += ["-f", "lavfi", "-t", str(duration), "-i", f"sine=frequency={tone}:sample_rate=48000"]
        audio_args = ["-map", f"{next_input + 1}:a", "-c:a", "aac", "-b:a", "96k"]
    command += [
        "-filter_complex",
        ";".join(filters),
        "-map",
        "[v]",
        *audio_args,
        *_H264,
        "-r",
        str(fps),
        "-t",
        str(duration),
        str(output),
    ]
    return command
