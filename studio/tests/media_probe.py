"""What a stored media file really contains, read by ffprobe (or, where the machine has no
ffprobe, by the ffmpeg binary imageio-ffmpeg ships): independent of what the app recorded."""

from __future__ import annotations

import json
import re
import shutil
import subprocess


def streams(path) -> list[dict]:
    """[{"codec_type": "video"|"audio", "codec_name", "width", "height"}, ...] of a media file."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe:
        out = subprocess.run(
            [ffprobe, "-v", "error", "-show_streams", "-of", "json", str(path)],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
        return [
            {k: s.get(k) for k in ("codec_type", "codec_name", "width", "height")}
            for s in json.loads(out)["streams"]
        ]
    import imageio_ffmpeg

    info = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True,
        timeout=60,
    ).stderr.decode("utf-8", "replace")
    found = []
    for kind, codec, rest in re.findall(r"Stream #\d+:\d+[^:]*: (Video|Audio): (\w+)(.*)", info):
        size = re.search(r"\b(\d{2,5})x(\d{2,5})\b", rest) if kind == "Video" else None
        found.append(
            {
                "codec_type": kind.lower(),
                "codec_name": codec,
                "width": int(size.group(1)) if size else None,
                "height": int(size.group(2)) if size else None,
            }
        )
    return found


def kinds(path) -> list[str]:
    return [s["codec_type"] for s in streams(path)]
