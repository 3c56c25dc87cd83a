"""Draw the FREE tier's Edit demo: a sample photo, the mask painted on it and the edited result.

    .venv/bin/python scripts/make_edit_demo.py

Writes static/studio/demo/edit-source.webp, edit-mask.png and edit-result.webp (a few KB each),
which are committed: the demo page only links them. The scene is drawn with Pillow, not taken
from a model, so it is ours to ship, and the "result" is the source with a hot-air balloon
painted inside the mask, which is what an insert edit with the demo's prompt would give.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

OUT = Path(__file__).resolve().parent.parent / "static" / "studio" / "demo"
SIZE = (768, 512)
# The painted area: an upright ellipse in the sky, left of the mountain's flat top.
MASK_BOX = (150, 36, 310, 280)
PROMPT = "A red and yellow hot-air balloon drifting over the mountain"


def _lerp(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def scene() -> Image.Image:
    width, height = SIZE
    image = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(image)
    horizon = 330
    for y in range(horizon):  # sky: deep blue to a warm haze at the horizon
        draw.line([(0, y), (width, y)], fill=_lerp((70, 130, 200), (250, 214, 170), y / horizon))
    draw.ellipse((600, 60, 660, 120), fill=(255, 236, 180))
    # Table Mountain: a long flat top between two shoulders, Lion's Head on the right.
    draw.polygon(
        [
            (0, 330),
            (0, 250),
            (90, 215),
            (170, 170),
            (520, 165),
            (585, 215),
            (640, 245),
            (768, 300),
            (768, 330),
        ],
        fill=(84, 96, 110),
    )
    draw.polygon([(640, 330), (690, 230), (715, 222), (745, 260), (768, 280), (768, 330)], fill=(70, 82, 95))
    draw.rectangle((0, 300, width, 330), fill=(60, 90, 80))  # the city's green strip
    for y in range(330, height):  # the bay
        draw.line([(0, y), (width, y)], fill=_lerp((40, 100, 140), (20, 60, 100), (y - 330) / (height - 330)))
    for i in range(40):  # a few wave glints, scattered but the same on every run
        x, y = (i * 197) % width, 345 + (i * 83) % 160
        draw.line([(x, y), (x + 10 + i % 3 * 6, y)], fill=(150, 190, 215), width=2)
    return image.filter(ImageFilter.SMOOTH)


def mask() -> Image.Image:
    painted = Image.new("L", SIZE, 0)
    ImageDraw.Draw(painted).ellipse(MASK_BOX, fill=255)
    return painted.convert("1")


def result(source: Image.Image) -> Image.Image:
    balloon = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(balloon)
    cx, top = 230, 60
    envelope = (cx - 62, top, cx + 62, top + 140)
    draw.ellipse(envelope, fill=(214, 40, 40))
    for i, colour in enumerate([(250, 200, 40), (214, 40, 40), (250, 200, 40)]):
        inset = 18 + i * 20
        draw.ellipse((cx - 62 + inset, top, cx + 62 - inset, top + 140), fill=colour)
    draw.polygon(
        [(cx - 50, top + 112), (cx + 50, top + 112), (cx + 14, top + 168), (cx - 14, top + 168)],
        fill=(214, 40, 40),
    )
    for dx in (-14, 14):
        draw.line([(cx + dx, top + 168), (cx + dx // 2, top + 186)], fill=(60, 40, 30), width=2)
    draw.rectangle((cx - 12, top + 186, cx + 12, top + 204), fill=(120, 80, 40))
    out = source.convert("RGBA")
    out.alpha_composite(balloon)
    # Only the painted area may change, as in a real masked edit.
    return Image.composite(out.convert("RGB"), source, mask().convert("L"))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    source = scene()
    source.save(OUT / "edit-source.webp", "WEBP", quality=72, method=6)
    mask().save(OUT / "edit-mask.png", "PNG", optimize=True)
    result(source).save(OUT / "edit-result.webp", "WEBP", quality=72, method=6)
    for path in sorted(OUT.glob("edit-*")):
        print(f"{path.relative_to(OUT.parent.parent.parent)}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
