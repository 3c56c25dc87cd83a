"""Prices per model and variant (README "Prices"): the seed's models at the seed's figures, and
today's Google models at Google's list prices, each with its source and date. Staff edit them
in the admin afterwards; this migration only fills an empty key, it never overwrites an edit."""

import datetime as dt

from django.db import migrations

SEED = "Seed price list (DESIGN.md Pricing; V3 upscale priced as an Imagen 3 image)"
SEED_DATE = dt.date(2026, 6, 1)
# The Agent Platform (Vertex AI) pricing page; the stored copies were read through two third-party
# transcriptions that agree (2026-09-02 and 2026-10-08), see the README's price table.
VERTEX_PRICING = "https://cloud.google.com/gemini-enterprise-agent-platform/generative-ai/pricing"
VERTEX_DATE = dt.date(2026, 10, 8)

IMAGE, SECOND = "image", "second"

# (model, variant, unit, USD micro-dollars, source, as of)
PRICES = [
    # The seed's models at the seed's figures.
    ("imagen-3.0-generate-002", "1K", IMAGE, 40_000, SEED, SEED_DATE),
    ("imagen-3.0-capability-001", "1K", IMAGE, 40_000, SEED, SEED_DATE),
    ("imagen-3.0-generate-002", "upscale", IMAGE, 40_000, SEED, SEED_DATE),
    ("imagen-4.0-upscale-preview", "upscale", IMAGE, 60_000, SEED, SEED_DATE),
    ("flux", "1K", IMAGE, 0, "Pollinations FREE preview (no charge to us per image)", SEED_DATE),
    # Veo 3.1 standard: the seed's $0.20/$0.40 per second are Google's 720p/1080p prices.
    ("veo-3.1-generate-001", "720p", SECOND, 200_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-generate-001", "720p+audio", SECOND, 400_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-generate-001", "1080p", SECOND, 200_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-generate-001", "1080p+audio", SECOND, 400_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-generate-001", "4k", SECOND, 400_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-generate-001", "4k+audio", SECOND, 600_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-fast-generate-001", "720p", SECOND, 80_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-fast-generate-001", "720p+audio", SECOND, 100_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-fast-generate-001", "1080p", SECOND, 100_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-fast-generate-001", "1080p+audio", SECOND, 120_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-fast-generate-001", "4k", SECOND, 250_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-fast-generate-001", "4k+audio", SECOND, 300_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-lite-generate-001", "720p", SECOND, 30_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-lite-generate-001", "720p+audio", SECOND, 50_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-lite-generate-001", "1080p", SECOND, 50_000, VERTEX_PRICING, VERTEX_DATE),
    ("veo-3.1-lite-generate-001", "1080p+audio", SECOND, 80_000, VERTEX_PRICING, VERTEX_DATE),
    # Gemini image models are token priced; these are Google's per-image figures (global endpoint).
    ("gemini-3.1-flash-image", "512", IMAGE, 44_800, VERTEX_PRICING, VERTEX_DATE),
    ("gemini-3.1-flash-image", "1K", IMAGE, 67_200, VERTEX_PRICING, VERTEX_DATE),
    ("gemini-3.1-flash-image", "2K", IMAGE, 100_800, VERTEX_PRICING, VERTEX_DATE),
    ("gemini-3.1-flash-image", "4K", IMAGE, 151_200, VERTEX_PRICING, VERTEX_DATE),
    ("gemini-3-pro-image", "1K", IMAGE, 134_000, VERTEX_PRICING, VERTEX_DATE),
    ("gemini-3-pro-image", "2K", IMAGE, 134_000, VERTEX_PRICING, VERTEX_DATE),
    ("gemini-3-pro-image", "4K", IMAGE, 240_000, VERTEX_PRICING, VERTEX_DATE),
]


def seed(apps, schema_editor):
    ModelPrice = apps.get_model("billing", "ModelPrice")
    for model, variant, unit, micros, source, as_of in PRICES:
        ModelPrice.objects.get_or_create(
            model=model,
            variant=variant,
            defaults=dict(unit=unit, usd_micros=micros, source=source, as_of=as_of),
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_model_prices")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
